/**
 * ML Box: raw multi-axis sensor streams in SQL → a versioned linear-trend anomaly model.
 *
 * One stage per file. Public stages take and return danfo DataFrames; each
 * wraps a typed core (`...Columns`) that computes on Float64Arrays, which the
 * CLI pipeline calls directly.
 */
export * from "./types";
export * from "./errors";
export * from "./registry";
export * from "./charts";
export * from "./display";
export * from "./notebook";
export * from "./connect";
export * from "./extract";
export * from "./time";
export * from "./demoData";
export * from "./config";
export * from "./analyze";
export * from "./prepare";
export * from "./selectModel";
export * from "./train";
export * from "./predict";
export * from "./evaluate";
export * from "./thresholds";
export * from "./score";
export * from "./scoreStore";
export * from "./replay";
export * from "./scoreViews";
export * from "./pipeline";
export * from "./versionMeta";
export * from "./frame";
export * from "./timeColumn";
