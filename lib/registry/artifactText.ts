/**
 * The text of each file of a registry version and reading it back:
 * models.json, prep_stats.json, thresholds.json and selection.json as JSON,
 * metrics.csv as CSV, meta.yaml as YAML, each checked against its schema
 * (lib/shapes/artifacts.ts). Pure text in, text out: the registry's store
 * and reader do the file I/O.
 *
 * Numbers are written so that they read back bit-exact (shortest round-trip
 * text, `-0` kept; see ./jsonText). A malformed file is an InputError of one
 * line naming the file, the key path and the value.
 */
import { errorText } from "../core/errorText";
import { loadYamlBounded } from "../core/boundedYaml";
import { parse as parseCsv } from "csv-parse/sync";
import { stringify as stringifyCsv } from "csv-stringify/sync";
import * as yaml from "js-yaml";
import { InputError } from "../core/errors";
import { describeValue, parseWithSchema, schemaErrorText, z } from "../core/schema";
import {
  ARTIFACT_FILES,
  OPTIONAL_ARTIFACT_FILES,
  MODEL_SET_TYPES,
  artifactsSchema as artifacts,
  axisModelSchema as axisModelBody,
  axisThresholdsSchema as axisThresholds,
  prepStatsSchema as prepStats,
  selectionSchema as selection,
  versionMetaSchema as versionMeta,
  type Artifacts,
  type AxisMetrics,
  type Selection,
  type VersionMeta,
} from "../shapes/artifacts";
import { jsonText, type JsonValue } from "./jsonText";
import { PCA_CHANNELS, pcaArtifactSchema, type PcaArtifact } from "../shapes/pcaArtifacts";

/** A metrics.csv field: a number as text, `NaN` or empty for NaN. */
const csvNumber = z.string().transform((text, context): number => {
  if (text === "NaN" || text.trim() === "") return NaN;
  const value = Number(text);
  if (Number.isNaN(value)) context.addIssue({ code: "custom", message: `must be a number, got ${describeValue(text)}` });
  return value;
});

/**
 * The text of every file of a version, in model axis order. What a caller
 * passes is checked against the schemas first: a wrong type is a bug in the
 * caller, so it is a TypeError naming the field (`metrics.axis1.rmse`).
 * Models, thresholds and metrics must cover the same axes (checked by the store).
 */
export function encodeArtifacts(value: Artifacts): Readonly<Record<keyof typeof ARTIFACT_FILES, string> & Partial<Record<keyof typeof OPTIONAL_ARTIFACT_FILES, string>>> {
  const axes = value.models.models.map((m) => m.axis);
  const input = {
    models: Object.fromEntries(value.models.models.map((m) => [m.axis, m])),
    prepStats: value.prepStats,
    thresholds: value.thresholds,
    metrics: Object.fromEntries(value.metrics.map((m) => [m.axis, m])),
    meta: value.meta,
    selection: value.selection,
    pca: value.pca,
  };
  const checked = artifacts.safeParse(input);
  if (!checked.success) throw new TypeError(`registerModel: ${schemaErrorText(checked.error, artifacts, input)}`);
  const { models, thresholds, metrics, meta } = checked.data;
  return {
    models: jsonText({ model_type: value.models.type, axes: Object.fromEntries(axes.map((axis) => [axis, models[axis]])) }),
    prepStats: jsonText(checked.data.prepStats),
    thresholds: jsonText(Object.fromEntries((value.models.type === "pca" ? PCA_CHANNELS : axes).map((axis) => [axis, thresholds[axis]]))),
    metrics: stringifyCsv(
      axes.map((axis) => [axis, ...[metrics[axis].r2, metrics[axis].mae, metrics[axis].rmse].map(csvNumberText)]),
      // Quote names with edge spaces too, so they read back unchanged.
      { header: true, columns: ["axis", "r2", "mae", "rmse"], quoted_match: /^\s|\s$/ },
    ),
    meta: yaml.dump(meta, { lineWidth: -1, noRefs: true, sortKeys: false }),
    ...(checked.data.selection === undefined ? {} : { selection: jsonText(checked.data.selection as JsonValue) }),
    ...(checked.data.pca === undefined ? {} : { pca: jsonText(checked.data.pca as unknown as JsonValue) }),
  };
}

/** Reads `pca.json` back; an InputError naming the file, key path and value when malformed. */
export function decodePca(text: string, file: string): PcaArtifact {
  return parseWithSchema(pcaArtifactSchema, parseJson(text, file), where(file));
}

/** Reads `selection.json` back; an InputError naming the file, key path and value when malformed. */
export function decodeSelection(text: string, file: string): Selection {
  return parseWithSchema(selection, parseJson(text, file), where(file));
}

/**
 * Reads the files of a version back (`texts` keyed like {@link ARTIFACT_FILES},
 * `files` their paths for messages). A malformed file is an InputError of one
 * line naming the file, the key path and the value; model and threshold axes
 * must be those of metrics.csv, whose order they take.
 */
export function decodeArtifacts(
  texts: Readonly<Record<keyof typeof ARTIFACT_FILES, string>>,
  files: Readonly<Record<keyof typeof ARTIFACT_FILES, string>>,
): Artifacts {
  const metrics = decodeMetrics(texts.metrics, files.metrics);
  const axes = metrics.map((m) => m.axis);
  const modelsFile = parseWithSchema(z.object({ model_type: z.enum(MODEL_SET_TYPES), axes: z.record(axisModelBody) }), parseJson(texts.models, files.models), where(files.models));
  checkSameAxes(Object.keys(modelsFile.axes), axes, files.models);
  const thresholds = parseWithSchema(z.record(axisThresholds), parseJson(texts.thresholds, files.thresholds), where(files.thresholds));
  checkSameAxes(Object.keys(thresholds), modelsFile.model_type === "pca" ? PCA_CHANNELS : axes, files.thresholds);
  return {
    models: { type: modelsFile.model_type, models: axes.map((axis) => ({ axis, ...modelsFile.axes[axis] })) },
    prepStats: parseWithSchema(prepStats, parseJson(texts.prepStats, files.prepStats), where(files.prepStats)),
    thresholds: Object.fromEntries((modelsFile.model_type === "pca" ? PCA_CHANNELS : axes).map((axis) => [axis, thresholds[axis]])),
    metrics,
    meta: decodeMeta(texts.meta, files.meta),
  };
}

/** metrics.csv rows (`axis,r2,mae,rmse`); an InputError naming the file, row and field when malformed. */
export function decodeMetrics(text: string, file: string): AxisMetrics[] {
  let records: string[][];
  try {
    records = parseCsv(text, { relax_column_count: true, skip_empty_lines: true }) as string[][];
  } catch (error) {
    throw corrupt(file, `invalid CSV (${errorText(error)})`);
  }
  const [header = [], ...rows] = records;
  if (header.join(",") !== "axis,r2,mae,rmse") throw corrupt(file, `header must be axis,r2,mae,rmse, got ${describeValue(header.join(","))}`);
  const seen = new Set<string>();
  return rows.map((row, i) => {
    if (row.length !== 4) throw corrupt(file, `row ${i + 2} must have 4 fields, got ${row.length}`);
    const [axis, r2, mae, rmse] = row;
    if (seen.has(axis)) throw corrupt(file, `axis ${JSON.stringify(axis)} appears twice`);
    seen.add(axis);
    return { axis, ...parseWithSchema(z.object({ r2: csvNumber, mae: csvNumber, rmse: csvNumber }), { r2, mae, rmse }, `${where(file)}: row ${i + 2}`) };
  });
}

/** meta.yaml; an InputError naming the file and key path when malformed. */
export function decodeMeta(text: string, file: string): VersionMeta {
  let loaded: unknown;
  try {
    loaded = loadYamlBounded(text);
  } catch (error) {
    throw corrupt(file, `invalid YAML (${errorText(error)})`);
  }
  return parseWithSchema(versionMeta, loaded, where(file));
}

function where(file: string): string {
  return `registry file ${file}`;
}

function corrupt(file: string, message: string): InputError {
  return new InputError(`${where(file)}: ${message}`);
}


function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw corrupt(file, `invalid JSON (${errorText(error)})`);
  }
}

function checkSameAxes(keys: readonly string[], axes: readonly string[], file: string): void {
  const set = new Set(axes);
  if (keys.length !== axes.length || !keys.every((k) => set.has(k))) {
    throw corrupt(file, `axes [${keys.join(", ")}] differ from metrics.csv axes [${axes.join(", ")}]`);
  }
}

function csvNumberText(value: number): string {
  return Object.is(value, -0) ? "-0" : String(value);
}
