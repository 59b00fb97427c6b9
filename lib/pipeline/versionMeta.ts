/**
 * What a registered version records about where it came from (`meta.yaml`):
 * the config's data block with the time type and axes extraction found, the
 * row counts, and lineage (config path and hash, data fingerprint, database
 * without password). The CLI pipeline and notebooks' `registerRun` share it.
 */
import { describeDatabase } from "../db/connect";
import { fingerprintColumns, type VersionMetaInput } from "../registry";
import type { Config, Layout, TimeType } from "../shapes/types";

/** What {@link versionMeta} needs to know about the data a model was trained on. */
export interface TrainedOn {
  readonly timeType: TimeType;
  readonly layout: Layout;
  /** Axis column names, in model order. */
  readonly axes: readonly string[];
  /** The extracted window's time column and axis columns (for the data fingerprint and the raw row count). */
  readonly time: Float64Array;
  readonly values: readonly Float64Array[];
  /** The data fingerprint when already computed (`fingerprintColumns([time, ...values])`); then only `time.length` is read. */
  readonly fingerprint?: string;
  /** Rows of the prepared frame. */
  readonly trainRows: number;
  /** Rows left out inside incidents labelled fault (recorded as `rows.labelled_fault_excluded`/`_incidents`; absent: none labelled). */
  readonly labelledFault?: { readonly rows: number; readonly incidents: number; readonly extractedRows: number };
}

/**
 * The registry metadata of a run (`meta.yaml`): model, data, prep, row counts
 * and lineage (config path and SHA-256, data fingerprint, database without
 * password). The CLI pipeline and notebooks register through this one
 * function, so both write the same metadata.
 */
export function versionMeta(config: Config, trainedOn: TrainedOn): VersionMetaInput {
  const { timeType, layout, axes, time, values, trainRows, fingerprint, labelledFault } = trainedOn;
  // Display names and units are how people see axes, not part of the model: kept out of meta.yaml.
  const { axis_labels: _labels, units: _units, ...data } = config.data;
  return {
    model: { type: config.model.type },
    data: { ...data, time_type: timeType, layout, axes: [...axes] },
    prep: { ...config.prep },
    rows:
      labelledFault === undefined
        ? { raw: time.length, train: trainRows }
        : { raw: labelledFault.extractedRows, train: trainRows, labelled_fault_excluded: labelledFault.rows, labelled_fault_incidents: labelledFault.incidents },
    lineage: {
      config_path: config.source_path,
      config_sha256: config.source_sha256,
      data_fingerprint: fingerprint ?? fingerprintColumns([time, ...values]),
      database: describeDatabase(config.database),
    },
  };
}
