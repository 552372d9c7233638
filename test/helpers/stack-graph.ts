/**
 * The dependency graph Terraform builds from a synthesized stack: an edge from X to Y when X's
 * configuration references Y (`${type.name.attr}`, `${data.type.name.attr}`) or lists Y in
 * `depends_on`. Lets tests assert creation order instead of echoing props.
 */
import type { StackJson } from "./synth";

type Blocks = Record<string, Record<string, Record<string, unknown>>>;

export interface StackGraph {
  /** Terraform address of the resource or data source created by the construct at `path`. */
  addressOf(path: string): string;
  /** Direct dependencies of an address. */
  dependenciesOf(address: string): ReadonlySet<string>;
  /** True when `later` depends on `earlier`, directly or transitively. */
  dependsOn(later: string, earlier: string): boolean;
}

const REF = /(?:^|[^\w.-])((?:data\.)?[a-z][a-z0-9_]*\.[A-Za-z0-9_-]+)(?=[.[\s}),]|$)/g;

function addresses(stack: StackJson): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const [prefix, blocks] of [
    ["", stack.resource],
    ["data.", stack.data],
  ] as const) {
    for (const [type, byName] of Object.entries((blocks ?? {}) as Blocks)) {
      for (const [name, body] of Object.entries(byName)) out.set(`${prefix}${type}.${name}`, body);
    }
  }
  return out;
}

/** Every string holding a `${...}` expression in a value (metadata and depends_on excluded). */
function expressions(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") {
    if (value.includes("${")) out.push(value);
  } else if (Array.isArray(value)) value.forEach((v) => expressions(v, out));
  else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) if (k !== "//" && k !== "depends_on") expressions(v, out);
  }
  return out;
}

export function stackGraph(stack: StackJson): StackGraph {
  const all = addresses(stack);
  const edges = new Map<string, Set<string>>();
  for (const [address, body] of all) {
    const deps = new Set<string>();
    for (const expr of expressions(body)) {
      for (const m of expr.matchAll(REF)) if (all.has(m[1]) && m[1] !== address) deps.add(m[1]);
    }
    for (const d of (body.depends_on ?? []) as string[]) deps.add(d);
    edges.set(address, deps);
  }
  const byPath = new Map<string, string>();
  for (const [address, body] of all) {
    const path = (body["//"] as { metadata?: { path?: string } } | undefined)?.metadata?.path;
    if (path) byPath.set(path, address);
  }
  const reach = (from: string, to: string, seen = new Set<string>()): boolean => {
    if (seen.has(from)) return false;
    seen.add(from);
    for (const d of edges.get(from) ?? []) if (d === to || reach(d, to, seen)) return true;
    return false;
  };
  return {
    addressOf: (path) => {
      const a = byPath.get(path);
      if (!a) throw new Error(`no resource at construct path ${path}; known: ${[...byPath.keys()].join(", ")}`);
      return a;
    },
    dependenciesOf: (address) => edges.get(address) ?? new Set(),
    dependsOn: (later, earlier) => reach(later, earlier),
  };
}
