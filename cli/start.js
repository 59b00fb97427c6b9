/**
 * `npm start`: runs the CLI from its bundle (see cli/bundle.js), rebuilding it
 * first when a file under cli/ or lib/ changed since it was built, so editing
 * the sources never runs stale code.
 */
"use strict";
const bundle = require("./bundle");

if (bundle.isStale()) bundle.buildOrExit();
require(bundle.BUNDLE).start();
