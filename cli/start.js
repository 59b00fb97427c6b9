/**
 * `npm start`: runs the CLI from its bundle (see cli/bundle.js), rebuilding it
 * first when a file under cli/ or lib/ changed since it was built, so editing
 * the sources never runs stale code.
 */
"use strict";
const bundle = require("./bundle");
const { requireCached } = require("./codeCache");

if (bundle.isStale()) bundle.buildOrExit();
requireCached(bundle.BUNDLE).start();
