// Preload (`node --require`) for tests: on exit, writes "undici loaded" to stderr
// when this process compiled Node's built-in fetch (undici), which costs ~40 ms.
"use strict";
const { isMainThread } = require("worker_threads");

if (isMainThread) {
  process.on("exit", () => {
    if (process.moduleLoadList.some((name) => name.includes("internal/deps/undici"))) process.stderr.write("undici loaded\n");
  });
}
