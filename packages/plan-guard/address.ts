/**
 * Terraform resource instance addresses, read exactly: `module.a["x"].module.b[0].data.aws_x.y["k"]`
 * (https://developer.hashicorp.com/terraform/cli/state/resource-addressing). A plan repeats what an
 * address says in other fields (`type`, `name`, `mode`, `module_address`, `index`); the reader
 * checks they agree, so a plan that contradicts itself is refused rather than trusted on one field.
 */

/** What an address says. */
export interface ParsedAddress {
  /** `module.a["x"].module.b`, or "" in the root module. */
  readonly module: string;
  readonly mode: "managed" | "data";
  readonly type: string;
  readonly name: string;
  /** The instance key (`count` index or `for_each` key), when the address has one. */
  readonly index?: string | number;
}

const NAME = /[A-Za-z0-9_-]/;

/** Reads one `name` or `name[key]` step at `i`; returns the step and the index after it. */
function step(a: string, i: number): { name: string; index?: string | number; end: number } | undefined {
  let j = i;
  while (j < a.length && NAME.test(a[j])) j++;
  if (j === i) return undefined;
  const name = a.slice(i, j);
  if (a[j] !== "[") return { name, end: j };
  if (a[j + 1] === '"') {
    let k = j + 2;
    while (k < a.length && a[k] !== '"') k += a[k] === "\\" ? 2 : 1;
    if (a[k + 1] !== "]") return undefined;
    try {
      return { name, index: JSON.parse(a.slice(j + 1, k + 1)) as string, end: k + 2 };
    } catch {
      return undefined;
    }
  }
  const close = a.indexOf("]", j);
  const num = a.slice(j + 1, close);
  if (close < 0 || !/^\d+$/.test(num)) return undefined;
  return { name, index: Number(num), end: close + 1 };
}

/** Parses a resource instance address; undefined when it is not one. */
export function parseAddress(address: string): ParsedAddress | undefined {
  let i = 0;
  const steps: { name: string; index?: string | number }[] = [];
  for (;;) {
    const s = step(address, i);
    if (!s) return undefined;
    steps.push(s);
    i = s.end;
    if (i === address.length) break;
    if (address[i] !== ".") return undefined;
    i++;
  }
  // module steps come in pairs: `module` then the call name (with its key).
  let k = 0;
  while (k + 2 < steps.length && steps[k].name === "module" && steps[k].index === undefined) k += 2;
  const rest = steps.slice(k);
  const module = k === 0 ? "" : address.slice(0, moduleEndOf(address, k));
  let mode: "managed" | "data" = "managed";
  let r = rest;
  if (r.length === 3 && r[0].name === "data" && r[0].index === undefined) {
    mode = "data";
    r = r.slice(1);
  }
  if (r.length !== 2 || r[0].index !== undefined) return undefined;
  return { module, mode, type: r[0].name, name: r[1].name, ...(r[1].index !== undefined ? { index: r[1].index } : {}) };
}

/** The length of the first `steps` steps of an address (the module path), without the dot after it. */
function moduleEndOf(address: string, steps: number): number {
  let i = 0;
  for (let n = 0; n < steps; n++) {
    const s = step(address, i) as { end: number };
    i = s.end + 1;
  }
  return i - 1;
}
