/**
 * The dependency graph Terraform would build from a synthesized stack: edges from `depends_on`
 * and from every `${type.name...}` / `${data.type.name...}` reference inside a block's values.
 * Nodes are addresses (`aws_kms_key.x`, `data.aws_ssm_parameter.y`); `byPath` maps construct
 * paths (`prod-keys/cloudhsm/hsm/...`) to addresses.
 */
import type { StackJson } from "../../helpers/synth";

export interface Graph {
  /** address -> addresses it depends on (directly). */
  readonly deps: ReadonlyMap<string, ReadonlySet<string>>;
  /** construct path -> address. */
  readonly byPath: ReadonlyMap<string, string>;
}

/** `type.name` and `data.type.name` inside `${...}` expressions (types always contain `_`). */
const ADDRESS = /(?<![\w.-])((?:data\.)?[a-z][a-z0-9]*_[a-z0-9_]+\.[A-Za-z0-9_-]+)/g;

function references(value: unknown, out: Set<string>): void {
  if (typeof value === "string") {
    for (const m of value.matchAll(/\$\{([^}]*)\}/g)) for (const r of m[1].matchAll(ADDRESS)) out.add(r[1]);
  } else if (Array.isArray(value)) value.forEach((v) => references(v, out));
  else if (value && typeof value === "object") Object.values(value).forEach((v) => references(v, out));
}

export function buildGraph(stack: StackJson): Graph {
  const deps = new Map<string, Set<string>>();
  const byPath = new Map<string, string>();
  const add = (prefix: string, blocks: StackJson["resource"]) => {
    for (const [type, byName] of Object.entries(blocks ?? {})) {
      for (const [name, body] of Object.entries(byName)) {
        const address = `${prefix}${type}.${name}`;
        const edges = new Set<string>();
        const {
          depends_on: dependsOn,
          "//": meta,
          ...rest
        } = body as { depends_on?: string[]; "//"?: { metadata?: { path?: string } } };
        for (const d of dependsOn ?? []) edges.add(d);
        references(rest, edges);
        edges.delete(address);
        deps.set(address, edges);
        if (meta?.metadata?.path) byPath.set(meta.metadata.path, address);
      }
    }
  };
  add("", stack.resource);
  add("data.", stack.data);
  return { deps, byPath };
}

/** True when `from` depends, directly or not, on `to`. */
export function dependsOn(g: Graph, from: string, to: string): boolean {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length) {
    const n = stack.pop() as string;
    for (const d of g.deps.get(n) ?? []) {
      if (d === to) return true;
      if (!seen.has(d)) {
        seen.add(d);
        stack.push(d);
      }
    }
  }
  return false;
}

/** Addresses whose construct path starts with `prefix` (e.g. `prod-keys/cloudhsm/create-kmsuser/`). */
export function under(g: Graph, prefix: string): string[] {
  return [...g.byPath.entries()].filter(([p]) => p.startsWith(prefix)).map(([, a]) => a);
}

/** The one address at exactly this construct path. */
export function at(g: Graph, path: string): string {
  const a = g.byPath.get(path);
  if (!a)
    throw new Error(
      `no resource at ${path}; have: ${[...g.byPath.keys()].filter((p) => p.startsWith(path.split("/").slice(0, 2).join("/"))).join(", ")}`,
    );
  return a;
}
