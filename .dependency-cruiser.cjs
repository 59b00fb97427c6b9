/**
 * lib/'s layers, lowest first. A folder may import from its own layer's
 * folders and from lower layers, never from a higher one; no import cycles.
 * `npm run check:layers` runs this in CI (type-only imports count too).
 */
const LAYERS = [
  ["core", "stats"], // errors, time, schema helpers, formatting; numpy-equivalent statistics
  ["shapes"], // config, artifact schemas, types, DataFrame helpers
  ["model"], // trend fits, statistics over residuals
  ["stages", "db"], // the pipeline's stages; database access
  ["inDatabase", "registry"], // the stages as SQL; the on-disk registry
  ["scoring"], // the scorer, replay, follow, the events table
  ["selection"], // detection measured on held-out data, `auto`
  ["views"], // charts, HTML, display helpers
  ["pipeline"], // runPipeline in memory and in the database
  ["notebook"], // notebook views and registry writes
];

const forbidden = [
  { name: "no-circular", severity: "error", from: {}, to: { circular: true } },
];
LAYERS.forEach((folders, rank) => {
  const higher = LAYERS.slice(rank + 1).flat();
  if (higher.length === 0) return;
  forbidden.push({
    name: `layer-${folders.join("-")}`,
    comment: `lib/${folders.join(", lib/")} may not import from a higher layer (${higher.join(", ")})`,
    severity: "error",
    from: { path: `^lib/(${folders.join("|")})/` },
    to: { path: `^lib/(${higher.join("|")})/` },
  });
});
forbidden.push({
  name: "lib-not-outside",
  comment: "lib/ never imports cli/, server/, scripts/, bench/ or test/",
  severity: "error",
  from: { path: "^lib/" },
  to: { path: "^(cli|server|scripts|bench|test)/" },
});

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    moduleSystems: ["cjs", "es6"],
  },
};
