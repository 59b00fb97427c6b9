/**
 * A small markdown subset as HTML, for the sentences notebooks print between
 * outputs (threshold notes, the selection advice): paragraphs, `- ` bullet
 * lists, fenced code blocks, inline `code` and **bold**. Everything is
 * escaped first, so no text can inject markup; outputs stay `text/html` like
 * every other display helper.
 */
import { escapeHtml } from "./html";

const inline = (text: string): string =>
  escapeHtml(text)
    .replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>");

/**
 * `markdown` as HTML: blank lines separate blocks; a block of `- ` lines is a list; a block between
 * ```` ``` ```` fences is preformatted code (the fence's language kept as a class).
 *
 * @example
 * import { markdownHtml } from "mlbox";
 * markdownHtml("Use **pca**:\n\n```yaml\nmodel:\n  type: pca\n```");
 * // '<div class="mlbox-note"><p>Use <strong>pca</strong>:</p>\n<pre><code class="language-yaml">model:\n  type: pca</code></pre></div>'
 */
export function markdownHtml(markdown: string): string {
  const lines = markdown.replace(/\r\n/g, "\n").split("\n");
  const blocks: string[] = [];
  let paragraph: string[] = [];
  let list: string[] = [];
  const flush = (): void => {
    if (paragraph.length > 0) blocks.push(`<p>${inline(paragraph.join(" "))}</p>`);
    if (list.length > 0) blocks.push(`<ul>${list.map((item) => `<li>${inline(item)}</li>`).join("")}</ul>`);
    paragraph = [];
    list = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fence = /^```\s*([\w-]*)\s*$/.exec(line);
    if (fence !== null) {
      flush();
      const code: string[] = [];
      for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) code.push(lines[i]);
      const language = fence[1] === "" ? "" : ` class="language-${escapeHtml(fence[1])}"`;
      blocks.push(`<pre><code${language}>${escapeHtml(code.join("\n"))}</code></pre>`);
    } else if (line.trim() === "") flush();
    else if (/^\s*- /.test(line)) {
      if (paragraph.length > 0) flush();
      list.push(line.replace(/^\s*- /, ""));
    } else if (list.length > 0 && /^\s+\S/.test(line)) list[list.length - 1] += ` ${line.trim()}`;
    else {
      if (list.length > 0) flush();
      paragraph.push(line.trim());
    }
  }
  flush();
  return `<div class="mlbox-note">${blocks.join("\n")}</div>`;
}
