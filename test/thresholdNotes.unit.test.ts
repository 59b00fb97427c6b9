/**
 * The threshold notes 06 and 08 print (lib/views/thresholdNotes.ts): a note when MaxC is below the
 * training values' 99th percentile or the training window raises more than 10 events, none otherwise;
 * the markdown states the rule; markdownHtml escapes and renders the small subset the notes use.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { thresholdNoteRule, thresholdNotes, thresholdNotesMarkdown } from "../lib/views/thresholdNotes";
import { markdownHtml } from "../lib/views/markdown";

// 0, 0.1, …, 0.9 repeated: every value is a run of one sample; 10 % of samples are 0.9.
const saw = Float64Array.from({ length: 1000 }, (_, i) => (i % 10) / 10);

test("MaxC below the 99th percentile: a note with the shares at each level and the training events", () => {
  const [note, ...rest] = thresholdNotes([{ axis: "axis8", MinC: 0.5, MaxC: 0.8, T_long_steps: 2, T_short_steps: 1, values: saw, statistic: "residual" }]);
  assert.equal(rest.length, 0);
  assert.equal(note.axis, "axis8");
  assert.equal(note.insideBand, true);
  assert.equal(note.trainingAlerts, 100, "runs 0.5…0.9 are 5 samples long, one per period");
  assert.equal(note.trainingErrors, 100, "runs at 0.8–0.9 last 2 samples ≥ T_short 1");
  assert.match(note.text, /^\*\*axis8\*\*: MaxC \(error level\) 0\.8 is below the 99th percentile of its training residual \(0\.9\): 20 % of the training samples reach the error level and 50 % the alert level/);
  assert.match(note.text, /raises 100 alerts and 100 errors \(more than 10\)\.$/);
});

test("levels above the band and few training events: no note; the markdown says none is flagged", () => {
  const notes = thresholdNotes([{ axis: "a", MinC: 0.95, MaxC: 1.2, T_long_steps: 1, T_short_steps: 1, values: saw }]);
  assert.deepEqual(notes, []);
  const text = thresholdNotesMarkdown(notes);
  assert.ok(text.startsWith(thresholdNoteRule()));
  assert.match(text, /No axis is flagged/);
});

test("many training events alone give a note, without the band sentence; the limits are options", () => {
  // Twelve separate 3-sample runs at 6 in a flat zero series: 36 of 1000 samples, so the 99th percentile is 0 < MaxC 10.
  const values = new Float64Array(1000);
  for (let r = 0; r < 12; r++) values.fill(6, 50 + 80 * r, 53 + 80 * r);
  const notes = thresholdNotes([{ axis: "T2", MinC: 5, MaxC: 10, T_long_steps: 3, T_short_steps: 1, values, statistic: "T²" }]);
  assert.equal(notes.length, 1);
  assert.equal(notes[0].insideBand, false);
  assert.equal(notes[0].text, "**T2**: its own training window raises 12 alerts and 0 errors (more than 10).");
  assert.deepEqual(thresholdNotes([{ axis: "T2", MinC: 5, MaxC: 10, T_long_steps: 3, T_short_steps: 1, values }], { maxTrainingEvents: 12 }), []);
  assert.match(thresholdNoteRule({ percentile: 95, maxTrainingEvents: 12 }), /below the 95th percentile .*\(more than 5 % .* more than 12 events/);
});

test("NaN breaks runs and is left out of the percentile", () => {
  const values = Float64Array.from({ length: 40 }, (_, i) => (i % 4 === 3 ? NaN : 1));
  const [note] = thresholdNotes([{ axis: "a", MinC: 0.5, MaxC: 0.9, T_long_steps: 3, T_short_steps: 3, values }]);
  assert.equal(note.trainingAlerts, 10);
  assert.equal(note.trainingErrors, 10);
  assert.match(note.text, /100 % of the training samples reach the error level/);
});

test("markdownHtml: paragraphs, bullets, fenced YAML, code and bold; markup in the text is escaped", () => {
  const html = markdownHtml("Rule `x` <b>.\n\n- **axis1**: one\n- two\n\n```yaml\nmodel:\n  type: pca <x>\n```");
  assert.equal(
    html,
    '<div class="mlbox-note"><p>Rule <code>x</code> &lt;b&gt;.</p>\n<ul><li><strong>axis1</strong>: one</li><li>two</li></ul>\n<pre><code class="language-yaml">model:\n  type: pca &lt;x&gt;</code></pre></div>',
  );
});
