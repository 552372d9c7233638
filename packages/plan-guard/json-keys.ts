/**
 * Finds a field written twice in one JSON object, at any depth, in one pass over the text and
 * without building a tree: `{"Effect": "Deny", "Effect": "Allow"}` means different things to
 * different readers (JSON.parse keeps the last, other parsers the first or refuse), so the guard
 * reads such a policy as unreadable. Keys are compared after unescaping (`"Eff\u0065ct"` is `Effect`).
 * The text must already be valid JSON (call after `JSON.parse` succeeded): the scanner only tracks
 * strings, brackets, colons and commas.
 */

/** The tokens that matter: strings (with escapes) and the structural characters. Numbers, literals and whitespace are skipped. */
const TOKEN = /"[^"\\]*(?:\\.[^"\\]*)*"|[{}[\],]/g;

interface Frame {
  /** Keys seen in this object; undefined for an array. */
  readonly keys?: Set<string>;
  /** Object: the last key; array: the current index. */
  key: string;
  index: number;
}

/** How many quotes are followed (after optional JSON whitespace) by a colon: in text without escapes, the number of keys. */
function keyEnds(text: string): number {
  let n = 0;
  for (let q = text.indexOf('"'); q >= 0; q = text.indexOf('"', q + 1)) {
    let j = q + 1;
    let c = text.charCodeAt(j);
    while (c === 32 || c === 9 || c === 10 || c === 13) c = text.charCodeAt(++j);
    if (c === 58) n++;
  }
  return n;
}

/** The number of fields of every object in a parsed value (iterative). */
function fieldCount(value: unknown): number {
  let n = 0;
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v !== "object" || v === null) continue;
    if (Array.isArray(v)) for (const x of v) stack.push(x);
    else {
      const keys = Object.keys(v);
      n += keys.length;
      for (const k of keys) stack.push((v as Record<string, unknown>)[k]);
    }
  }
  return n;
}

/**
 * The path of the first field written twice in one object (`Statement[1].Effect`), or undefined.
 * `parsed` (what `JSON.parse(text)` returned) allows a fast answer for the usual document: when the
 * text has no backslash, every quote delimits a string, so each `":` ends a key; if there are as many
 * as the parsed value has fields, JSON.parse dropped none, and no field is written twice.
 */
export function firstRepeatedField(text: string, parsed?: unknown): string | undefined {
  if (parsed !== undefined && !text.includes("\\") && keyEnds(text) === fieldCount(parsed)) return undefined;
  const stack: Frame[] = [];
  let expectKey = false;
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(text); m !== null; m = TOKEN.exec(text)) {
    const t = m[0];
    const c = t.charCodeAt(0);
    if (c === 34 /* " */) {
      if (!expectKey) continue;
      const top = stack[stack.length - 1];
      const key = t.includes("\\") ? (JSON.parse(t) as string) : t.slice(1, -1);
      if (top.keys?.has(key)) return pathOf(stack, key);
      top.keys?.add(key);
      top.key = key;
      expectKey = false;
    } else if (c === 123 /* { */) {
      stack.push({ keys: new Set(), key: "", index: 0 });
      expectKey = true;
    } else if (c === 91 /* [ */) {
      stack.push({ key: "", index: 0 });
      expectKey = false;
    } else if (c === 44 /* , */) {
      const top = stack[stack.length - 1];
      if (top?.keys) expectKey = true;
      else if (top) top.index++;
    } else {
      stack.pop();
      expectKey = false;
    }
  }
  return undefined;
}

/** `Statement[1].Effect`: the path to `key` in the innermost object of the stack. */
function pathOf(stack: readonly Frame[], key: string): string {
  let path = "";
  for (let i = 0; i < stack.length - 1; i++) {
    const f = stack[i];
    path = f.keys ? (path ? `${path}.${f.key}` : f.key) : `${path}[${f.index}]`;
  }
  return path ? `${path}.${key}` : key;
}
