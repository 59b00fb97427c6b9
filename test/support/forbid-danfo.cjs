// Preload (`node --require`) for tests: fails any load of danfojs-node or
// TensorFlow.js in this process, by name or by resolved path, and reports
// the first one on stderr.
"use strict";
const Module = require("module");

const FORBIDDEN = /(^|[\\/]node_modules[\\/])(danfojs-node|@tensorflow[\\/][^\\/]+)([\\/]|$)/;
const load = Module._load;
Module._load = function (request, parent, isMain) {
  if (FORBIDDEN.test(request)) {
    process.stderr.write(`forbidden module loaded: ${request}\n`);
    throw new Error(`forbidden module loaded: ${request}`);
  }
  return load.call(this, request, parent, isMain);
};
