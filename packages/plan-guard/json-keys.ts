/**
 * Finds a field written twice in one JSON object, at any depth, in one pass over the text and
 * without building a tree: `{"Effect": "Deny", "Effect": "Allow"}` means different things to
 * different readers (JSON.parse keeps the last, other parsers the first or refuse), so the guard
 * reads such a policy as unreadable. Keys are compared after unescaping (`"Eff\u0065ct"` is `Effect`).
 * The text must already be valid JSON (call after `JSON.parse` succeeded): the scanner only tracks
 * strings, brackets, colons and commas.
 */

interface Frame {
  readonly object: boolean;
  readonly path: string;
  readonly keys?: Set<string>;
  /** Object: the current key; array: the current index. */
  key: string;
  index: number;
}

/** The end (index of the closing quote) of the string starting at `start` (an opening quote). */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  for (;;) {
    const q = text.indexOf('"', i);
    if (q < 0) return text.length;
    let backslashes = 0;
    for (let j = q - 1; j > start && text.charCodeAt(j) === 92; j--) backslashes++;
    if (backslashes % 2 === 0) return q;
    i = q + 1;
  }
}

function childPath(f: Frame | undefined): string {
  if (!f) return "";
  return f.object ? (f.path ? `${f.path}.${f.key}` : f.key) : `${f.path}[${f.index}]`;
}

/** The path of the first field written twice in one object (`Statement[1].Effect`), or undefined. */
export function firstRepeatedField(text: string): string | undefined {
  const stack: Frame[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      const end = stringEnd(text, i);
      const top = stack[stack.length - 1];
      if (top?.object && expectKey) {
        const raw = text.slice(i + 1, end);
        const key = raw.includes("\\") ? (JSON.parse(`"${raw}"`) as string) : raw;
        if (top.keys?.has(key)) return top.path ? `${top.path}.${key}` : key;
        top.keys?.add(key);
        top.key = key;
        expectKey = false;
      }
      i = end;
    } else if (c === 123 /* { */) {
      stack.push({ object: true, path: childPath(stack[stack.length - 1]), keys: new Set(), key: "", index: 0 });
      expectKey = true;
    } else if (c === 91 /* [ */) {
      stack.push({ object: false, path: childPath(stack[stack.length - 1]), key: "", index: 0 });
      expectKey = false;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      stack.pop();
      expectKey = false;
    } else if (c === 44 /* , */) {
      const top = stack[stack.length - 1];
      if (top?.object) expectKey = true;
      else if (top) top.index++;
    }
  }
  return undefined;
}
