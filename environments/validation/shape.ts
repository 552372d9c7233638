/**
 * The first pass over an environment: its shape against the zod schema (every object closed, every
 * field's type), and every string against Terraform template syntax. Returns the problems and a
 * copy of the environment with every wrongly typed value removed, so the constraint tables only
 * ever read values of the type they expect. Paths are relative to the environment.
 */
import type * as z from "zod";
import { EnvironmentSchema } from "../schema";
import { closest } from "./suggest";
import type { ReadTracker, Violation } from "./engine";

const SOURCE = "configuration schema (schema/environment.schema.json)";

/** What the shape pass found. */
export interface ShapeResult {
  /** Unknown fields, wrong types and template syntax: always reported. */
  readonly problems: Violation[];
  /** Wrong values of the right type and missing fields: reported only when no table rule names the same field. */
  readonly fallbacks: Violation[];
  /** The environment without wrongly typed values and unknown fields (safe for the tables). */
  readonly sanitized: Record<string, unknown>;
  /** Paths whose value was removed or refused: table findings at or below them are not reported. */
  readonly poisoned: ReadonlySet<string>;
  /**
   * The poisoned paths that are one element of a list or one entry of a map: a finding about another
   * element or entry (or another field beside the list) does not restate their problem.
   */
  readonly members: ReadonlySet<string>;
}

type Path = readonly PropertyKey[];
const dotted = (path: Path): string => path.map(String).join(".");

function get(root: unknown, path: Path): unknown {
  let node = root;
  for (const p of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<PropertyKey, unknown>)[p];
  }
  return node;
}

function set(root: unknown, path: Path, value: unknown): void {
  const parent = get(root, path.slice(0, -1));
  if (parent !== null && typeof parent === "object")
    (parent as Record<PropertyKey, unknown>)[path[path.length - 1]] = value;
}

function remove(root: unknown, path: Path): void {
  const parent = get(root, path.slice(0, -1));
  if (parent !== null && typeof parent === "object")
    delete (parent as Record<PropertyKey, unknown>)[path[path.length - 1]];
}

/**
 * How deep configuration may nest. The deepest field of the schema is 6 levels down
 * (`keys.<name>.externalAccounts.<i>.allow.<j>`); anything deeper is already wrong in a shallower
 * field, which is reported there. The bound keeps every later pass (zod, the template scan,
 * messages quoting values) away from the stack limit, and ends reference cycles in a TypeScript
 * environment.
 */
export const MAX_DEPTH = 32;

/**
 * Sets an own property, even one named `__proto__` (a plain assignment would set the prototype).
 * Any other key of a fresh object or array: a plain assignment makes the same own, enumerable,
 * writable property (Object.prototype has no other setter), several times faster.
 */
const define = (obj: Record<PropertyKey, unknown>, key: PropertyKey, value: unknown) => {
  if (key === "__proto__")
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
};

/**
 * Deep copy of plain objects and arrays (other values kept as they are), iterative so that no input
 * overflows the stack. Objects and arrays deeper than `maxDepth` become `null`; their paths are returned.
 */
export function boundedCopy(value: unknown, maxDepth = MAX_DEPTH): { copy: unknown; cut: PropertyKey[][] } {
  const cut: PropertyKey[][] = [];
  const fresh = (v: unknown): unknown =>
    Array.isArray(v) ? new Array<unknown>(v.length) : v !== null && typeof v === "object" ? {} : v;
  const root = fresh(value);
  const stack: { from: unknown; to: unknown; path: PropertyKey[] }[] =
    root !== value ? [{ from: value, to: root, path: [] }] : [];
  while (stack.length) {
    const { from, to, path } = stack.pop() as {
      from: Record<PropertyKey, unknown>;
      to: Record<PropertyKey, unknown>;
      path: PropertyKey[];
    };
    for (const [k, v] of Object.entries(from)) {
      const key: PropertyKey = Array.isArray(from) ? Number(k) : k;
      let child = fresh(v);
      if (child !== v && path.length + 1 > maxDepth) {
        cut.push([...path, key]);
        child = null;
      } else if (child !== v) stack.push({ from: v, to: child, path: [...path, key] });
      define(to, key, child);
    }
  }
  return { copy: root, cut };
}

const copy = (value: unknown): unknown => boundedCopy(value, Number.MAX_SAFE_INTEGER).copy;

/** The JSON-ish type of a value, as zod names it. */
function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  object: "an object",
  record: "an object",
  array: "a list",
};

const quote = (v: unknown) => (typeof v === "string" ? `'${v}'` : String(v));

/** Schema of the value at `path` (following the data through unions), or undefined. */
function schemaAt(schema: z.ZodType, path: Path, data: unknown): z.ZodType | undefined {
  let s: z.ZodType | undefined = schema;
  let node = data;
  let i = 0;
  while (s) {
    const def = (s as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
    const type = def.type as string;
    if (
      type === "optional" ||
      type === "default" ||
      type === "prefault" ||
      type === "nullable" ||
      type === "readonly"
    ) {
      s = def.innerType as z.ZodType;
      continue;
    }
    if (type === "union") {
      const options = def.options as z.ZodType[];
      const disc = def.discriminator as string | undefined;
      const nodeValue =
        node !== null && typeof node === "object" ? (node as Record<string, unknown>)[disc ?? ""] : undefined;
      s = disc
        ? options.find((o) => {
            const shape = (o as unknown as { shape?: Record<string, z.ZodType> }).shape;
            const lit = shape?.[disc] as unknown as { _zod: { def: { values?: unknown[] } } } | undefined;
            return lit?._zod.def.values?.includes(nodeValue);
          })
        : options.find(
            (o) =>
              (o as unknown as { _zod: { def: { type: string } } })._zod.def.type ===
              (Array.isArray(node) ? "array" : "object"),
          );
      continue;
    }
    if (i === path.length) return s;
    const key = path[i++];
    node = node !== null && typeof node === "object" ? (node as Record<PropertyKey, unknown>)[key] : undefined;
    if (type === "object") s = (def.shape as Record<string, z.ZodType>)[String(key)];
    else if (type === "record") s = def.valueType as z.ZodType;
    else if (type === "array") s = def.element as z.ZodType;
    else return undefined;
  }
  return undefined;
}

/** Field names the object at `path` may have (every option's, when its discriminator matches none). */
function knownFields(path: Path, data: unknown): string[] {
  const s = schemaAt(EnvironmentSchema, path, data) as unknown as { shape?: Record<string, unknown> } | undefined;
  if (s?.shape) return Object.keys(s.shape).filter((k) => k !== "$schema");
  const parent = schemaAt(EnvironmentSchema, path.slice(0, -1), data) as unknown as
    { shape?: Record<string, z.ZodType> } | undefined;
  const union = parent?.shape?.[String(path[path.length - 1])];
  let def = (union as unknown as { _zod?: { def: Record<string, unknown> } } | undefined)?._zod?.def;
  while (def && def.innerType) def = (def.innerType as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
  const options = (def?.options ?? []) as unknown as { shape?: Record<string, unknown> }[];
  return [...new Set(options.flatMap((o) => Object.keys(o.shape ?? {})))];
}

interface DiscriminatorIssue {
  readonly code: "invalid_union";
  readonly path: PropertyKey[];
  readonly discriminator?: string;
  readonly options?: unknown[];
}

const isDiscriminatorIssue = (i: z.core.$ZodIssue): i is z.core.$ZodIssue & DiscriminatorIssue =>
  i.code === "invalid_union" && (i as unknown as DiscriminatorIssue).discriminator !== undefined;

/**
 * Parses, and where a union's discriminator (`network.mode`, `backend.type`...) matches no option,
 * parses again with the option that fits the rest of the object best, so that the other fields
 * of that object are type-checked too. Returns every issue; the discriminator issues first.
 */
function parseAll(env: unknown): z.core.$ZodIssue[] {
  const probe = copy(env);
  const discriminators: z.core.$ZodIssue[] = [];
  const probed = new Set<string>();
  for (let round = 0; round < 8; round++) {
    const result = EnvironmentSchema.safeParse(probe);
    if (result.success) return discriminators;
    const fresh = result.error.issues.filter((i) => isDiscriminatorIssue(i) && !probed.has(dotted(i.path)));
    if (fresh.length === 0)
      return [...discriminators, ...result.error.issues.filter((i) => !probed.has(dotted(i.path)))];
    for (const issue of fresh as (z.core.$ZodIssue & DiscriminatorIssue)[]) {
      probed.add(dotted(issue.path));
      discriminators.push(issue);
      const scope = dotted(issue.path.slice(0, -1));
      const count = (option: unknown) => {
        set(probe, issue.path, option);
        const r = EnvironmentSchema.safeParse(probe);
        return r.success ? 0 : r.error.issues.filter((i) => dotted(i.path).startsWith(scope)).length;
      };
      const options = issue.options ?? [];
      const best = options.map((o) => ({ o, n: count(o) })).sort((a, b) => a.n - b.n)[0];
      if (best) set(probe, issue.path, best.o);
    }
  }
  return discriminators;
}

/** Terraform string templates (`${...}`, `%{...}`) and CDKTF token markers. */
export const TEMPLATE = /\$\{|%\{|TfToken\[/;

const TEMPLATE_RULE =
  "data, not a Terraform template: no '${', '%{' or 'TfToken[' (Terraform would evaluate it at plan time)";

/** Every string (and field name) holding template syntax, in document order. */
function templates(root: unknown, base: PropertyKey[], out: Violation[]): void {
  // Each entry: a value, and whether its field name (the last path segment) is still to be checked.
  const stack: { node: unknown; path: PropertyKey[]; named: boolean }[] = [{ node: root, path: base, named: false }];
  while (stack.length) {
    const { node, path, named } = stack.pop() as { node: unknown; path: PropertyKey[]; named: boolean };
    const key = String(path[path.length - 1]);
    if (named && TEMPLATE.test(key))
      out.push({
        path: dotted(path),
        value: key,
        rule: `a field name that is ${TEMPLATE_RULE}`,
        source: "Terraform string templates",
      });
    if (typeof node === "string") {
      if (TEMPLATE.test(node))
        out.push({ path: dotted(path), value: node, rule: TEMPLATE_RULE, source: "Terraform string templates" });
      continue;
    }
    if (node === null || typeof node !== "object") continue;
    const children = Object.entries(node);
    for (let i = children.length - 1; i >= 0; i--)
      stack.push({ node: children[i][1], path: [...path, children[i][0]], named: true });
  }
}

export function checkShape(input: Record<string, unknown>): ShapeResult {
  const problems: Violation[] = [];
  const fallbacks: Violation[] = [];
  // Every later pass reads the bounded copy: no value nests deeper than MAX_DEPTH.
  const bounded = boundedCopy(input);
  const env = bounded.copy as Record<string, unknown>;
  const sanitized = copy(env) as Record<string, unknown>;
  const poisoned = new Set<string>();
  const members = new Set<string>();
  const poison = (path: Path) => {
    poisoned.add(dotted(path));
    const holder = path.length > 0 ? schemaAt(EnvironmentSchema, path.slice(0, -1), env) : undefined;
    const kind = (holder as unknown as { _zod: { def: { type: string } } } | undefined)?._zod.def.type;
    if (kind === "array" || kind === "record") members.add(dotted(path));
  };
  const drop = (path: Path) => {
    // A wrong element leaves a hole in its list: the other elements keep their index and are still
    // checked (a rule that reads the hole is told so by trackReads).
    poison(path);
    remove(sanitized, path);
  };

  for (const issue of parseAll(env)) {
    const value = get(env, issue.path);
    const at = dotted(issue.path);
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const known = knownFields(issue.path, env);
        const near = closest(key, known);
        const message = near
          ? `unknown field (did you mean "${near}"?)`
          : `unknown field (known fields: ${known.join(", ")})`;
        problems.push({ path: dotted([...issue.path, key]), value: undefined, rule: "", source: SOURCE, message });
        drop([...issue.path, key]);
      }
      continue;
    }
    if (value === undefined && !Array.isArray(get(env, issue.path.slice(0, -1)))) {
      const expected =
        issue.code === "invalid_type"
          ? (EXPECTED[issue.expected] ?? issue.expected)
          : isDiscriminatorIssue(issue)
            ? `one of ${(issue.options ?? []).map(quote).join(", ")}`
            : "a value";
      fallbacks.push({ path: at, value, rule: expected, source: SOURCE });
      continue;
    }
    let expected: string | undefined;
    let wrongType = false;
    if (issue.code === "invalid_type") {
      expected = EXPECTED[issue.expected] ?? issue.expected;
      wrongType = !(issue.expected === "int" && typeof value === "number");
    } else if (issue.code === "invalid_value") {
      expected = `one of ${issue.values.map(quote).join(", ")}`;
      wrongType = !issue.values.some((v) => typeOf(v) === typeOf(value));
    } else if (isDiscriminatorIssue(issue)) {
      expected = `one of ${(issue.options ?? []).map(quote).join(", ")}`;
      wrongType = typeof value !== "string";
    } else {
      expected = issue.message;
    }
    if (wrongType) {
      problems.push({ path: at, value, rule: expected, source: SOURCE });
      if (
        issue.code === "invalid_type" &&
        (issue.expected === "object" || issue.expected === "record") &&
        !Array.isArray(get(env, issue.path.slice(0, -1)))
      ) {
        // An entry stays (empty) so that references to its name do not fail as well.
        poison(issue.path);
        set(sanitized, issue.path, {});
      } else {
        drop(issue.path);
      }
    } else {
      fallbacks.push({ path: at, value, rule: expected, source: SOURCE });
    }
  }

  const found: Violation[] = [];
  templates(env, [], found);
  for (const v of found) {
    problems.push(v);
    poison(v.path.split("."));
  }
  // Nesting beyond the bound, named where no shallower problem already covers it.
  const reported = [...problems, ...fallbacks].map((v) => v.path);
  for (const path of bounded.cut) {
    const at = dotted(path);
    if (reported.some((p) => p === "" || at === p || at.startsWith(`${p}.`))) continue;
    problems.push({
      path: at,
      value: undefined,
      rule: "",
      source: SOURCE,
      message: `nested deeper than ${MAX_DEPTH} levels (no field of an environment is deeper than 6)`,
    });
    poisoned.add(at);
  }
  return { problems, fallbacks, sanitized, poisoned, members };
}

/**
 * The sanitized environment behind a proxy that notes every read of a refused value (or of
 * anything inside one), for the tables' ReadTracker. A rule that read a refused field may only
 * restate its problem anywhere (its findings are dropped); one that read a refused element of a
 * list or entry of a map (`members`) only at that element, or at the list and what holds it: its
 * findings about the other elements, and about other fields, stand.
 */
export function trackReads(
  sanitized: Record<string, unknown>,
  poisoned: ReadonlySet<string>,
  members: ReadonlySet<string> = new Set(),
): { env: Record<string, unknown>; reads: ReadTracker } {
  const read = new Set<string>();
  const poisonedAt = (path: string) => {
    for (const p of poisoned) if (path === p || path.startsWith(`${p}.`)) return p;
    return undefined;
  };
  const parentOf = (path: string) => path.slice(0, Math.max(path.lastIndexOf("."), 0));
  const within = (path: string, scope: string) => scope === "" || path === scope || path.startsWith(`${scope}.`);
  // A subtree with no refused value at, above or below it cannot taint a read (no read inside it is
  // poisoned): it is handed out as it is, without a proxy. Most of the environment, and all of it
  // when nothing was refused; the proxy's string-building trap was most of the tables' time.
  const clean = (path: string) => {
    if (path === "") return poisoned.size === 0;
    for (const p of poisoned) if (p === path || p.startsWith(`${path}.`) || path.startsWith(`${p}.`)) return false;
    return true;
  };
  const cache = new WeakMap<object, Map<string, object>>();
  const wrap = (target: object, path: string): object => {
    if (clean(path)) return target;
    let byPath = cache.get(target);
    if (!byPath) cache.set(target, (byPath = new Map()));
    const known = byPath.get(path);
    if (known) return known;
    const note = (key: string) => {
      const p = poisonedAt(path ? `${path}.${key}` : key);
      if (p !== undefined) read.add(p);
    };
    const proxy = new Proxy(target, {
      get(t, key, receiver) {
        const value = Reflect.get(t, key, receiver) as unknown;
        if (typeof key === "symbol") return value;
        note(key);
        return value !== null && typeof value === "object" && Object.prototype.hasOwnProperty.call(t, key)
          ? wrap(value, path ? `${path}.${key}` : key)
          : value;
      },
      // map, filter, some, every, forEach and includes ask whether an element exists before reading
      // it: asking about a hole a refused element left is a read of that element.
      has(t, key) {
        if (typeof key !== "symbol") note(key);
        return Reflect.has(t, key);
      },
    });
    byPath.set(path, proxy);
    return proxy;
  };
  return {
    env: wrap(sanitized, "") as Record<string, unknown>,
    reads: {
      reset: () => read.clear(),
      get tainted() {
        return read.size > 0;
      },
      covers: (path: string, by: "field" | "cross") =>
        [...read].some((p) => {
          if (!members.has(p)) return true;
          const list = parentOf(p);
          // A field rule: its finding about another element of the same list stands (a duplicate, a
          // second replica in one Region). A cross rule, which reports on many fields at once: its
          // findings about the other fields of the object that holds the list stand too.
          const keeps = !within(list, path) && within(path, by === "field" ? list : parentOf(list));
          return within(path, p) || !keeps;
        }),
    },
  };
}
