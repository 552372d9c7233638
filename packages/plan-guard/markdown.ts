/**
 * Text from a plan (addresses, values, policy principals: all written by whoever wrote the
 * configuration, a pull request's author included) made safe for a GitHub comment or job summary:
 * it cannot end a table cell or a line, open HTML, a link, an image, a code span or emphasis, and
 * cannot mention a user or team, reference an issue, or autolink a URL. What it says still reads the
 * same: each Markdown character becomes its HTML character reference, which GitHub shows as the
 * character itself (https://github.github.com/gfm/#entity-and-numeric-character-references). An
 * underscore between two letters or digits stays: it cannot open or close emphasis there
 * (https://github.github.com/gfm/#left-flanking-delimiter-run), and addresses are full of them.
 */

/**
 * Characters with a meaning inside a line of GitHub Markdown or HTML (the text never starts a line:
 * it follows a label or sits in a table cell, so list and heading markers mean nothing there).
 */
const SPECIAL = /[&<>|`*~[\]\\$#@]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g;
/** Zero-width space: splits `@user`, `#123`, `https://` and `www.` so GitHub links none of them. */
const ZWSP = "&#8203;";

/** Line breaks, other control characters, and direction overrides (which reorder how text reads). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point: they are made visible
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/gu;

function visible(c: string): string {
  if (c === "\n" || c === "\r" || c === "\u2028" || c === "\u2029") return "↵";
  if (c === "\t") return " ";
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/** Plain text for Markdown (also inside a table cell or an HTML element). */
export function mdText(s: string): string {
  return s
    .replace(INVISIBLE, visible)
    .replace(SPECIAL, (c) => `&#${c.charCodeAt(0)};`)
    .replace(/&#64;/g, `&#64;${ZWSP}`)
    .replace(/&#35;/g, `&#35;${ZWSP}`)
    .replace(/:\/\//g, `:${ZWSP}//`)
    .replace(/www\./gi, (w) => `${w.slice(0, 3)}${ZWSP}.`);
}

/** Text shown as code (an address, a path): `<code>` with the text escaped, never a backtick span. */
export function mdCode(s: string): string {
  return `<code>${mdText(s)}</code>`;
}

/** Plain text for a terminal or CI log: one line (a newline could forge a line or a workflow command such as `::add-mask::`). */
export function oneLine(s: string): string {
  return s.replace(INVISIBLE, visible);
}
