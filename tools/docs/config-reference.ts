/**
 * The configuration reference in `docs/configuration.md`, generated (`npm run docs`; a test fails
 * when the committed page is stale). Two sources, both data:
 *
 * - the environment schema (`environments/schema.ts`), read through the JSON Schema zod writes for it
 *   (the same document editors get in `schema/environment.schema.json`): every field's path, type,
 *   whether it is required, its default (the schema's own `default`, or the "Default: ..." sentence
 *   of its description when resolve.ts computes it), enumerations, constants, numeric ranges,
 *   lengths and patterns, and the description;
 * - the constraint tables (`environments/validation/`): every rule checked at synth on the field,
 *   with its AWS source, and each table's rules across fields.
 *
 * Both read the rulebook (`packages/aws-limits`), so the page shows its limits and defaults without
 * restating them. Nothing here knows a field by name: a new field or rule appears on the next run.
 */

/** A JSON Schema node (draft 2020-12, as zod's `toJSONSchema` writes it). */
export type JsonSchema = { readonly [key: string]: unknown };

/** The parts of a constraint table the reference shows (see environments/validation/engine.ts). */
export interface ReferenceTable {
  readonly domain: string;
  readonly fields: readonly ReferenceFieldRule[];
  readonly cross?: readonly { readonly description: string; readonly source: string }[];
}

/** What the reference reads of a table's field rule (environments/validation/engine.ts FieldRule). */
export interface ReferenceFieldRule {
  readonly field: string;
  readonly rule: string | ((...args: never[]) => string);
  readonly source: string;
  /** Method syntax on purpose: the engine's rules take its own context type, this passes a synthetic one. */
  when?(ctx: { env: Record<string, unknown>; parent: Record<string, unknown>; segments: readonly string[] }): boolean;
}

/** The tag of a union variant a row belongs to: the union at `pattern` has `tag` = `value` (of `values`). */
export interface Variant {
  readonly pattern: string;
  readonly tag: string;
  readonly value: unknown;
  readonly values: readonly unknown[];
}

/** One row of the reference: one field (in one variant of a union, when `when` is set). */
export interface ReferenceRow {
  /** Display path: `keys.<name>.alias`, `network.subnets[].az`. */
  readonly path: string;
  /** The constraint tables' pattern for the same field: `keys.*.alias`, `network.subnets.*.az`. */
  readonly pattern: string;
  /** The variant(s) of a union the field belongs to, e.g. `type: "s3"`; undefined when always. */
  readonly when?: string;
  /** The union variants behind `when` (to tell which table rules apply to this variant). */
  readonly variants?: readonly Variant[];
  readonly type: string;
  readonly required: boolean;
  readonly default?: string;
  /** What the schema itself allows beyond the type (ranges, lengths, patterns). */
  readonly limits: readonly string[];
  /** Rules of the constraint tables on this field (or each of its elements), with their source. */
  readonly checks: readonly string[];
  readonly description: string;
}

/** The rule text shown when a table's rule depends on other fields (it is worded per environment). */
export const CONTEXT_RULE = "depends on other fields (the message names what is allowed)";

const isSchema = (v: unknown): v is JsonSchema => v !== null && typeof v === "object" && !Array.isArray(v);
const code = (v: unknown): string => `\`${typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v)}\``;

/** Follows a local `$ref` (`#/$defs/Name`) against the root document. */
function deref(node: JsonSchema, root: JsonSchema): JsonSchema {
  let n = node;
  for (let i = 0; typeof n.$ref === "string" && i < 32; i++) {
    const ref = n.$ref;
    if (ref !== "#" && !ref.startsWith("#/"))
      throw new Error(`configuration reference: only local $ref are supported, got ${ref}`);
    let target: unknown = root;
    for (const part of ref === "#" ? [] : ref.slice(2).split("/"))
      target = isSchema(target) ? target[part.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined;
    if (!isSchema(target)) throw new Error(`configuration reference: unresolved $ref ${ref}`);
    const { $ref: _ref, ...rest } = n;
    n = { ...target, ...rest };
  }
  return n;
}

/** The options of a union node (`oneOf` / `anyOf`), or undefined. */
function unionOptions(node: JsonSchema): JsonSchema[] | undefined {
  const opts = node.oneOf ?? node.anyOf;
  return Array.isArray(opts) ? opts.filter(isSchema) : undefined;
}

/** The property every option declares as a constant (a discriminated union's tag), or undefined. */
function discriminator(options: readonly JsonSchema[]): string | undefined {
  const props = options.map((o) => (isSchema(o.properties) ? o.properties : undefined));
  if (props.some((p) => p === undefined)) return undefined;
  const first = props[0] as JsonSchema;
  return Object.keys(first).find((k) => props.every((p) => isSchema(p?.[k]) && "const" in (p[k] as JsonSchema)));
}

const isObjectNode = (n: JsonSchema) => n.type === "object" || isSchema(n.properties);

/** Splits "... Default: x. ..." out of a description (defaults that resolve.ts computes are described, not declared). */
export function splitDefault(description: string): { description: string; default?: string } {
  const m = /(^|\s)Default: (.+?)\.(?=\s|$)/.exec(description);
  if (!m) return { description };
  const rest = `${description.slice(0, m.index)}${m[1]}${description.slice(m.index + m[0].length)}`
    .replace(/\s+/g, " ")
    .trim();
  return { description: rest, default: m[2] };
}

/** The type of a scalar (or list/map of scalars), in words, with its enumeration or constant. */
function typeOf(node: JsonSchema, root: JsonSchema): string {
  const n = deref(node, root);
  if ("const" in n) return code(n.const);
  if (Array.isArray(n.enum)) return n.enum.map(code).join(" \\| ");
  const options = unionOptions(n);
  if (options) return options.map((o) => typeOf(o, root)).join(" or ");
  if (n.type === "array") return `list of ${isSchema(n.items) ? plural(typeOf(n.items, root)) : "values"}`;
  if (isObjectNode(n)) {
    if (isSchema(n.additionalProperties) && !isSchema(n.properties))
      return `map of name to ${typeOf(n.additionalProperties, root)}`;
    return "object";
  }
  if (Array.isArray(n.type)) return n.type.join(" or ");
  return typeof n.type === "string" ? n.type : "any";
}

function plural(type: string): string {
  if (/^(string|integer|number|boolean|object)$/.test(type)) return `${type}s`;
  return type.includes("`") ? `(${type})` : type;
}

/** What the schema allows beyond the type: ranges, lengths, patterns, counts. */
function limitsOf(node: JsonSchema, root: JsonSchema, prefix = ""): string[] {
  const n = deref(node, root);
  const out: string[] = [];
  // zod writes the safe-integer bounds for every integer: they say "integer", which the type already does.
  const safe = (v: unknown) => (typeof v === "number" && Math.abs(v) === Number.MAX_SAFE_INTEGER ? undefined : v);
  const lo = safe(n.minimum) ?? n.exclusiveMinimum;
  const hi = safe(n.maximum) ?? n.exclusiveMaximum;
  if (lo !== undefined || hi !== undefined) {
    const from = lo === undefined ? "" : `${n.exclusiveMinimum !== undefined ? "> " : ">= "}${String(lo)}`;
    const to = hi === undefined ? "" : `${n.exclusiveMaximum !== undefined ? "< " : "<= "}${String(hi)}`;
    out.push(
      `${prefix}${safe(n.minimum) !== undefined && safe(n.maximum) !== undefined ? `${String(lo)} to ${String(hi)}` : [from, to].filter(Boolean).join(" and ")}`,
    );
  }
  if (n.minLength !== undefined || n.maxLength !== undefined)
    out.push(`${prefix}${n.minLength ?? 0} to ${n.maxLength ?? "any number of"} characters`);
  if (typeof n.pattern === "string") out.push(`${prefix}matches \`${n.pattern}\``);
  if (typeof n.format === "string" && n.format !== "regex") out.push(`${prefix}format ${n.format}`);
  if (n.minItems !== undefined || n.maxItems !== undefined)
    out.push(`${prefix}${n.minItems ?? 0} to ${n.maxItems ?? "any number of"} entries`);
  if (n.type === "array" && isSchema(n.items) && !isObjectNode(deref(n.items, root)))
    out.push(...limitsOf(n.items, root, "each: "));
  return out;
}

interface Walk {
  readonly path: string;
  readonly pattern: string;
  readonly required: boolean;
  readonly when?: string;
  readonly variants?: readonly Variant[];
}

/** Every field of `node` (a JSON Schema object), depth first, in the schema's order; a field found in several variants of a union is one row when it is the same in each. */
export function referenceRows(node: JsonSchema, root: JsonSchema = node): ReferenceRow[] {
  return mergeVariants(variantRows(node, root));
}

/** {@link referenceRows} with the constraint tables' rules attached (before variants are merged, so a rule of one variant stays on it). */
export function checkedRows(
  node: JsonSchema,
  tables: readonly ReferenceTable[],
  root: JsonSchema = node,
): { rows: ReferenceRow[]; unmatched: string[] } {
  const { rows, unmatched } = attachChecks(variantRows(node, root), tables);
  return { rows: mergeVariants(rows), unmatched };
}

/** Every field, one row per variant of a union it appears in. */
function variantRows(node: JsonSchema, root: JsonSchema): ReferenceRow[] {
  const rows: ReferenceRow[] = [];
  const row = (n: JsonSchema, at: Walk, type: string, limits: string[] = limitsOf(n, root)) => {
    const split = splitDefault(typeof n.description === "string" ? n.description : "");
    const declared = n.default === undefined ? undefined : code(n.default);
    rows.push({
      path: at.path,
      pattern: at.pattern,
      when: at.when,
      variants: at.variants,
      type,
      required: at.required,
      default: declared ?? split.default,
      limits,
      checks: [],
      description: split.description,
    });
  };
  const join = (a: string, b: string) => (a ? `${a}.${b}` : b);

  const visit = (raw: JsonSchema, at: Walk): void => {
    // A recursive schema would never end: no field of a configuration is this deep.
    if (at.pattern.split(".").length > 32)
      throw new Error(`configuration reference: ${at.path} is nested more than 32 levels (a recursive schema?)`);
    const n = deref(raw, root);
    const options = unionOptions(n);
    if (options && options.some((o) => isObjectNode(deref(o, root)))) {
      const objects = options.map((o) => deref(o, root));
      const tag = discriminator(objects);
      const tagOf = (o: JsonSchema): unknown =>
        tag ? ((o.properties as JsonSchema)[tag] as JsonSchema).const : undefined;
      if (at.path) row(n, at, tag ? `object, by \`${tag}\`` : "one of the forms below");
      if (tag) {
        // The tag itself: one row listing every variant and what it means.
        const meanings = objects
          .filter((o) => typeof o.description === "string")
          .map((o) => `${code(tagOf(o))}: ${String(o.description)}`);
        rows.push({
          path: join(at.path, tag),
          pattern: join(at.pattern, tag),
          when: at.when,
          variants: at.variants,
          type: objects.map((o) => code(tagOf(o))).join(" \\| "),
          required: true,
          limits: [],
          checks: [],
          description: meanings.join(" "),
        });
      }
      objects.forEach((o, i) => {
        const when = tag ? `${tag}: ${JSON.stringify(tagOf(o))}` : `form ${i + 1}`;
        const variants = tag
          ? [...(at.variants ?? []), { pattern: at.pattern, tag, value: tagOf(o), values: objects.map(tagOf) }]
          : at.variants;
        visitObject(o, { ...at, when: at.when ? `${at.when}, ${when}` : when, variants }, tag);
      });
      return;
    }
    if (isObjectNode(n) && isSchema(n.properties)) {
      if (at.path) row(n, at, "object");
      visitObject(n, at);
      return;
    }
    if (isObjectNode(n) && isSchema(n.additionalProperties)) {
      const value = deref(n.additionalProperties, root);
      if (isObjectNode(value) || unionOptions(value)) {
        row(n, at, "map of name to object");
        visit(value, {
          path: `${at.path}.<name>`,
          pattern: `${at.pattern}.*`,
          required: false,
          when: at.when,
          variants: at.variants,
        });
      } else {
        row(n, at, typeOf(n, root), [...limitsOf(n, root), ...limitsOf(value, root, "each value: ")]);
      }
      return;
    }
    if (n.type === "array" && isSchema(n.items) && isObjectNode(deref(n.items, root))) {
      row(n, at, "list of objects");
      // The element's own row only when it says something the list's row does not.
      const items = deref(n.items, root);
      const element = {
        path: `${at.path}[]`,
        pattern: `${at.pattern}.*`,
        required: false,
        when: at.when,
        variants: at.variants,
      };
      if (typeof items.description === "string") row(items, element, "object");
      visitObject(items, element);
      return;
    }
    row(n, at, typeOf(n, root));
  };

  /** The properties of one object (one variant of a union), the tag excluded. */
  const visitObject = (o: JsonSchema, at: Walk, tag?: string): void => {
    const required = new Set(Array.isArray(o.required) ? (o.required as string[]) : []);
    for (const [key, child] of Object.entries(isSchema(o.properties) ? o.properties : {})) {
      if (key === tag || !isSchema(child)) continue;
      visit(child, {
        path: join(at.path, key),
        pattern: join(at.pattern, key),
        required: required.has(key),
        when: at.when,
        variants: at.variants,
      });
    }
  };

  visit(node, { path: "", pattern: "", required: true });
  return rows;
}

/** Rows of one field that are the same in several variants of a union become one row. */
function mergeVariants(rows: readonly ReferenceRow[]): ReferenceRow[] {
  const out: ReferenceRow[] = [];
  const whens = new Map<ReferenceRow, string[]>();
  const same = (a: ReferenceRow, b: ReferenceRow) =>
    a.path === b.path &&
    JSON.stringify({ ...a, when: undefined, variants: undefined }) ===
      JSON.stringify({ ...b, when: undefined, variants: undefined });
  for (const r of rows) {
    const twin = out.find((o) => same(o, r));
    if (twin && twin.when !== undefined && r.when !== undefined) whens.get(twin)?.push(r.when);
    else {
      out.push(r);
      whens.set(r, r.when === undefined ? [] : [r.when]);
    }
  }
  // A field found in every variant of its union needs no qualifier.
  return out.map((r) => {
    const w = whens.get(r) ?? [];
    if (w.length <= 1) return r;
    return w.length === r.variants?.at(-1)?.values.length
      ? { ...r, when: undefined, variants: undefined }
      : { ...r, when: w.join(" or ") };
  });
}

/** Attaches each table's field rules to the rows they check; returns the rules no row matched. */
export function attachChecks(
  rows: readonly ReferenceRow[],
  tables: readonly ReferenceTable[],
): { rows: ReferenceRow[]; unmatched: string[] } {
  const checks = new Map<ReferenceRow, string[]>(rows.map((r) => [r, [...r.checks]]));
  const unmatched: string[] = [];
  for (const table of tables) {
    for (const f of table.fields) {
      const text = `${typeof f.rule === "string" ? f.rule : CONTEXT_RULE} (${f.source})`;
      // A rule on `<list>.*` or `<map>.*` whose elements have no row of their own is shown on the list or map.
      let targets = rows.filter((r) => r.pattern === f.field);
      let prefix = "";
      if (targets.length === 0 && f.field.endsWith(".*")) {
        targets = rows.filter((r) => r.pattern === f.field.slice(0, -2));
        prefix = targets.some((r) => r.type.startsWith("map")) ? "each value: " : "each: ";
      }
      if (targets.length === 0) unmatched.push(`${table.domain}: ${f.field}`);
      for (const r of targets) {
        if (!appliesToVariant(f, r)) continue;
        const list = checks.get(r) as string[];
        if (!list.includes(prefix + text)) list.push(prefix + text);
      }
    }
  }
  return { rows: rows.map((r) => ({ ...r, checks: checks.get(r) ?? [] })), unmatched };
}

/**
 * Whether a table rule applies to the union variant(s) of a row: a rule whose condition (`when`) is
 * decided by a union's tag (the S3 backend's fields, a new VPC's natGateway) is shown only on the
 * variants it holds for. The condition is asked about a synthetic environment holding just the tags;
 * a condition that depends on anything else, or throws, keeps the rule.
 */
function appliesToVariant(rule: ReferenceFieldRule, row: ReferenceRow): boolean {
  if (!rule.when || !row.variants?.length) return true;
  const holds = (variants: readonly Variant[]): boolean | undefined => {
    const env: Record<string, unknown> = {};
    const at = (pattern: string): Record<string, unknown> => {
      let node = env;
      for (const seg of pattern ? pattern.split(".") : []) {
        const key = seg === "*" ? "0" : seg;
        if (node[key] === null || typeof node[key] !== "object") node[key] = {};
        node = node[key] as Record<string, unknown>;
      }
      return node;
    };
    for (const v of variants) at(v.pattern)[v.tag] = v.value;
    const segments = row.pattern.split(".").map((s) => (s === "*" ? "0" : s));
    try {
      return rule.when?.({ env, parent: at(row.pattern.split(".").slice(0, -1).join(".")), segments });
    } catch {
      return undefined;
    }
  };
  if (holds(row.variants) !== false) return true;
  const alternatives = row.variants.flatMap((v, i) =>
    v.values
      .filter((x) => x !== v.value)
      .map((x) => row.variants?.map((w, j) => (j === i ? { ...w, value: x } : w)) ?? []),
  );
  return !alternatives.some((alt) => holds(alt) === true);
}

/** Markdown table cell text: one line, pipes escaped. */
export function cell(text: string): string {
  return text
    .replace(/\r?\n/g, " ")
    .replace(/(?<!\\)\|/g, "\\|")
    .trim();
}

/** One section's table. */
export function renderRows(rows: readonly ReferenceRow[]): string {
  const lines = [
    "| field | type | required | default | allowed (checked at synth) | description |",
    "|---|---|---|---|---|---|",
  ];
  for (const r of rows) {
    const field = `\`${r.path}\`${r.when ? ` (${r.when.replace(/(\w+): ("[^"]*")/g, "`$1: $2`")})` : ""}`;
    const allowed = [...r.limits, ...r.checks].map(cell).join("<br>");
    lines.push(
      `| ${field} | ${r.type} | ${r.required ? "yes" : "no"} | ${r.default === undefined ? "" : cell(r.default)} | ${allowed} | ${cell(r.description)} |`,
    );
  }
  return lines.join("\n");
}

/** Sections: the top-level objects and maps each get one; the top-level scalars share the first. */
export function sections(
  rows: readonly ReferenceRow[],
  general = "General",
): { title: string; description?: string; rows: ReferenceRow[] }[] {
  const out: { title: string; description?: string; rows: ReferenceRow[] }[] = [{ title: general, rows: [] }];
  for (const r of rows) {
    const top = r.path.split(/[.[]/)[0];
    const own = rows.some((o) => o.path.startsWith(`${top}.`) || o.path.startsWith(`${top}[`));
    if (!own) {
      out[0].rows.push(r);
      continue;
    }
    let s = out.find((x) => x.title === top);
    if (!s) out.push((s = { title: top, rows: [] }));
    if (r.path === top && s.description === undefined) s.description = r.description;
    s.rows.push(r);
  }
  return out.filter((s) => s.rows.length > 0);
}

/** The whole generated block: a section per top-level field, then each table's rules across fields. */
export function renderReference(
  root: JsonSchema,
  tables: readonly ReferenceTable[],
  entry?: string,
): { text: string; unmatched: string[] } {
  const start = entry === undefined ? root : deref({ $ref: entry }, root);
  const { rows, unmatched } = checkedRows(start, tables, root);
  const parts: string[] = [];
  for (const s of sections(rows)) {
    parts.push(`### ${s.title === "General" ? "General" : `\`${s.title}\``}`, "");
    if (s.description) parts.push(cell(splitDefault(s.description).description), "");
    parts.push(renderRows(s.rows), "");
  }
  const cross = tables.filter((t) => (t.cross ?? []).length > 0);
  if (cross.length > 0) {
    parts.push("### Rules across fields", "", "Checked at synth on the whole environment, each with its source:", "");
    for (const t of cross) {
      parts.push(`- **${t.domain}**`);
      for (const c of t.cross ?? []) parts.push(`  - ${cell(c.description)} (${cell(c.source)})`);
    }
    parts.push("");
  }
  return { text: parts.join("\n").trimEnd(), unmatched };
}

export const BEGIN = "<!-- BEGIN GENERATED: configuration reference (npm run docs; do not edit by hand) -->";
export const END = "<!-- END GENERATED: configuration reference -->";

/** `page` with the text between the markers replaced by `generated`; throws when the markers are missing. */
export function replaceBetweenMarkers(page: string, generated: string): string {
  const a = page.indexOf(BEGIN);
  const b = page.indexOf(END);
  if (a < 0 || b < a) throw new Error(`configuration reference: the page must hold the markers ${BEGIN} and ${END}`);
  return `${page.slice(0, a + BEGIN.length)}\n\n${generated}\n\n${page.slice(b)}`;
}
