/**
 * The headline numbers of `npm run report`'s index.html: per executed
 * notebook what its own tables show (version, model, statistic, measured
 * false alarms and recall, events scored), and for the registry's latest
 * version what its files record — so the index says what was found, not
 * only how long each notebook ran.
 */
import { readFileSync } from "fs";
import { loadConfig } from "../lib/shapes/config";
import { loadVersion } from "../lib/registry";
import { versionDetection } from "../lib/views/scoreViews";

/** One table of a notebook's HTML output (as `showTable`/`showRecord` write them). */
export interface OutputTable {
  readonly caption: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** What a headline can say; absent: not shown by that notebook. */
export interface Headline {
  readonly version?: string;
  readonly model?: string;
  readonly statistic?: string;
  readonly false_alarms_per_hour?: string;
  readonly recall?: string;
  readonly events?: string;
}

const unescape = (text: string): string =>
  text.replace(/<[^>]*>/g, "").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&").trim();

const cells = (row: string, tag: "th" | "td" | "t[hd]"): string[] => Array.from(row.matchAll(new RegExp(`<${tag}[^>]*>([\\s\\S]*?)</${tag}>`, "g")), (m) => unescape(m[1]));

/** Every `<table class="dataframe">` of `html`: caption, header cells, body rows. */
export function outputTables(html: string): OutputTable[] {
  return Array.from(html.matchAll(/<table class="dataframe">([\s\S]*?)<\/table>/g), (m) => {
    const body = m[1];
    const caption = unescape(/<caption[^>]*>([\s\S]*?)<\/caption>/.exec(body)?.[1] ?? "");
    const head = /<thead>([\s\S]*?)<\/thead>/.exec(body)?.[1] ?? "";
    const rows = Array.from((/<tbody>([\s\S]*?)<\/tbody>/.exec(body)?.[1] ?? "").matchAll(/<tr>([\s\S]*?)<\/tr>/g), (r) => cells(r[1], "t[hd]"));
    return { caption, columns: cells(head, "th"), rows };
  });
}

/** The HTML outputs of an executed notebook, in cell order. */
export function notebookHtml(ipynb: string): string[] {
  const notebook = JSON.parse(readFileSync(ipynb, "utf8")) as { cells?: { outputs?: { data?: Record<string, string | string[]> }[] }[] };
  return (notebook.cells ?? []).flatMap((cell) => (cell.outputs ?? []).map((o) => o.data?.["text/html"]).filter((h): h is string | string[] => h !== undefined).map((h) => (Array.isArray(h) ? h.join("") : h)));
}

const VERSION = /^v\d+[A-Za-z0-9._-]*$/;

/**
 * The headline of one executed notebook from its tables: `version` from a "Version vN" caption or a
 * `version`/`model` cell like `v3`; `model` from `trend`/`trained`/`model`; `statistic` from
 * `statistic`/`scored_on`; false alarms and recall from the row marked `chosen` (or a record with
 * both); `events` as the sum of `alerts` and `errors` of a per-axis events table.
 */
export function notebookHeadline(tables: readonly OutputTable[]): Headline {
  const found: Record<string, string> = {};
  const put = (key: keyof Headline, value: string | undefined): void => {
    if (value !== undefined && value !== "" && found[key] === undefined) found[key] = value;
  };
  for (const t of tables) {
    put("version", /^Version (v\S+)/.exec(t.caption)?.[1]);
    const isRecord = t.columns.length === 2 && t.columns[0] === "key" && t.columns[1] === "value";
    const records: Record<string, string>[] = isRecord
      ? [Object.fromEntries(t.rows.map((r) => [r[0], r[1]]))]
      : t.rows.map((r) => Object.fromEntries(t.columns.map((c, i) => [c, r[i] ?? ""])));
    for (const rec of records) {
      for (const key of ["version", "model"]) if (VERSION.test(rec[key] ?? "")) put("version", rec[key]);
      if (isRecord) {
        put("model", rec.trend ?? rec.trained ?? (VERSION.test(rec.model ?? "") ? undefined : rec.model));
        put("statistic", rec.statistic ?? rec.scored_on);
      }
      if (rec.false_alarms_per_hour !== undefined && rec.recall !== undefined && (isRecord || rec.chosen === "chosen")) {
        put("false_alarms_per_hour", rec.false_alarms_per_hour);
        put("recall", rec.recall);
      }
    }
    const [alerts, errors] = [t.columns.indexOf("alerts"), t.columns.indexOf("errors")];
    if (alerts >= 0 && errors >= 0) put("events", String(t.rows.reduce((sum, r) => sum + Number(r[alerts]) + Number(r[errors]), 0)));
  }
  return found;
}

/** The headline of the registry's latest version (null when there is none or the config does not load). */
export async function registryHeadline(configPath: string): Promise<Headline | null> {
  try {
    const config = loadConfig(configPath);
    const latest = await loadVersion(config.registry.root_dir, "latest");
    const detection = versionDetection(latest);
    const chosen = latest.selection?.candidates.find((c) => c.model === latest.selection?.chosen.model && c.statistic === latest.selection?.chosen.statistic);
    return {
      version: latest.version,
      model: latest.models.type,
      statistic: String(detection.statistic),
      ...(chosen?.false_alarms_per_hour == null ? {} : { false_alarms_per_hour: String(chosen.false_alarms_per_hour) }),
      ...(chosen?.recall == null ? {} : { recall: String(chosen.recall) }),
    };
  } catch {
    return null;
  }
}

/** A headline in one line: `v3 · linear · EWMA(α=0.1) of residual · 0.5 false alarms/h · recall 0.9 · 27 events`; "" when empty. */
export function headlineText(h: Headline): string {
  return [
    h.version,
    h.model,
    h.statistic,
    h.false_alarms_per_hour === undefined ? undefined : `${h.false_alarms_per_hour} false alarms/h`,
    h.recall === undefined ? undefined : `recall ${h.recall}`,
    h.events === undefined ? undefined : `${h.events} events scored`,
  ]
    .filter((part): part is string => part !== undefined)
    .join(" · ");
}
