/**
 * Per-plan lookups the rules share, built once in linear time: resource changes by address and by
 * type, configuration resources by address, and the references each configuration resource makes.
 */
import {
  isObject,
  type ConfigExpression,
  type ConfigModule,
  type ConfigResource,
  type JsonObject,
  type JsonValue,
  type PlanJson,
  type ResourceChange,
} from "./plan-json";
import type { Finding, GuardAction, LoadedPlan } from "./model";

/** Collapses Terraform's action list into one {@link GuardAction}. */
export function actionOf(actions: readonly string[]): GuardAction {
  if (actions.length === 1) {
    const a = actions[0];
    if (a === "no-op" || a === "create" || a === "read" || a === "update" || a === "delete" || a === "forget") return a;
    return "unknown";
  }
  if (actions.length === 2 && actions.includes("delete") && actions.includes("create")) return "replace";
  // A replacement whose old object is forgotten rather than destroyed.
  if (actions.length === 2 && actions.includes("forget") && actions.includes("create")) return "forget";
  return "unknown";
}

/**
 * Whether a change leaves an object whose rights must be judged: created, updated, replaced, created
 * while the old object is forgotten (`["create", "forget"]`: a replacement under `lifecycle { destroy =
 * false }`), or an action list the guard does not know (fail closed: judged as if it created).
 */
export function leavesObject(actions: readonly string[]): boolean {
  const a = actionOf(actions);
  return a === "create" || a === "update" || a === "replace" || a === "unknown" || actions.includes("create");
}

/** `module.a["x"].aws_kms_key.k[0]` -> `module.a.aws_kms_key.k` (the address in `configuration`). */
export function configAddressOf(address: string): string {
  return address.includes("[") ? address.replace(/\[[^\]]*\]/g, "") : address;
}

/** One reference from a configuration resource: the attribute path it sits in and what it names. */
export interface Reference {
  /** Top-level attribute holding it (`kms_key_id`, `rule`, ...). */
  readonly via: string;
  /** Configuration address of the referenced resource (module-prefixed), e.g. `aws_kms_key.k`. */
  readonly target?: string;
  /** For `data.terraform_remote_state.<ds>.outputs.<name>`: the data source and output. */
  readonly remote?: { readonly dataSource: string; readonly output: string };
}

const RESOURCE_REF = /^((?:data\.)?[a-z][a-z0-9_]*\.[A-Za-z0-9_-]+)/;
const REMOTE_REF = /^data\.terraform_remote_state\.([A-Za-z0-9_-]+)\.outputs(?:\.([A-Za-z0-9_-]+)|\["([^"]+)"\])/;
const NOT_RESOURCES = /^(var|local|each|count|path|terraform|self|module)\./;

function collectRefs(expr: ConfigExpression | JsonValue | undefined, out: Set<string>): void {
  if (Array.isArray(expr)) {
    for (const e of expr) collectRefs(e as ConfigExpression, out);
    return;
  }
  if (!isObject(expr as JsonValue)) return;
  const o = expr as JsonObject;
  if (Array.isArray(o.references)) for (const r of o.references) if (typeof r === "string") out.add(r);
  for (const [k, v] of Object.entries(o)) if (k !== "references" && k !== "constant_value") collectRefs(v, out);
}

/** The references in one resource's expressions, per top-level attribute, normalised to resource addresses. */
export function referencesOf(resource: ConfigResource, modulePrefix = ""): Reference[] {
  const out: Reference[] = [];
  const seen = new Set<string>();
  for (const [via, expr] of Object.entries(resource.expressions ?? {})) {
    const refs = new Set<string>();
    collectRefs(expr, refs);
    for (const r of refs) {
      const remote = REMOTE_REF.exec(r);
      if (remote) {
        const key = `${via}|remote|${remote[1]}|${remote[2] ?? remote[3]}`;
        if (!seen.has(key)) out.push({ via, remote: { dataSource: remote[1], output: remote[2] ?? remote[3] } });
        seen.add(key);
        continue;
      }
      if (NOT_RESOURCES.test(r)) continue;
      const m = RESOURCE_REF.exec(r.replace(/\[[^\]]*\]/g, ""));
      if (!m || m[1].startsWith("data.terraform_remote_state")) continue;
      const target = modulePrefix + m[1];
      const key = `${via}|${target}`;
      if (!seen.has(key)) out.push({ via, target });
      seen.add(key);
    }
  }
  return out;
}

/** Lookups over one plan. */
export class PlanIndex {
  readonly stack: string;
  readonly plan: PlanJson;
  /** Managed resource changes (deposed objects included, addressed `addr (deposed <key>)`). */
  readonly changes: readonly ResourceChange[];
  readonly byType = new Map<string, ResourceChange[]>();
  readonly byAddress = new Map<string, ResourceChange>();
  /** Configuration resources by module-prefixed address, with their module prefix. */
  readonly config = new Map<string, { resource: ConfigResource; prefix: string }>();
  private refCache = new Map<string, Reference[]>();

  constructor(loaded: LoadedPlan) {
    this.stack = loaded.stack;
    this.plan = loaded.plan;
    this.changes = (loaded.plan.resource_changes ?? []).filter((rc) => rc.mode !== "data");
    for (const rc of this.changes) {
      const list = this.byType.get(rc.type);
      if (list) list.push(rc);
      else this.byType.set(rc.type, [rc]);
      if (!rc.deposed) this.byAddress.set(rc.address, rc);
    }
    const walk = (m: ConfigModule | undefined, prefix: string): void => {
      for (const r of m?.resources ?? []) this.config.set(prefix + r.address, { resource: r, prefix });
      for (const [name, call] of Object.entries(m?.module_calls ?? {})) walk(call.module, `${prefix}module.${name}.`);
    };
    walk(loaded.plan.configuration?.root_module, "");
  }

  /** Resource changes of these types. */
  ofTypes(...types: string[]): ResourceChange[] {
    return types.flatMap((t) => this.byType.get(t) ?? []);
  }

  /** References made by the configuration of the resource at `address` (instance keys ignored). */
  references(address: string): Reference[] {
    const key = configAddressOf(address);
    let refs = this.refCache.get(key);
    if (!refs) {
      const c = this.config.get(key);
      refs = c ? referencesOf(c.resource, c.prefix) : [];
      this.refCache.set(key, refs);
    }
    return refs;
  }

  /** True when the configuration of `from` references `to` (configuration addresses). */
  refersTo(from: string, to: string, via?: string): boolean {
    const target = configAddressOf(to);
    return this.references(from).some((r) => r.target === target && (!via || r.via === via));
  }
}

/**
 * Whether the change imports an existing object (`change.importing`, Terraform >= 1.5). An imported
 * object's rights were set outside Terraform and never reviewed in a plan: rules that judge what a
 * policy or grant newly allows judge an imported one as if it were created.
 * https://developer.hashicorp.com/terraform/internals/json-format#change-representation
 */
export function isImport(rc: ResourceChange): boolean {
  const importing = (rc.change as { importing?: unknown }).importing;
  return importing !== undefined && importing !== null;
}

/** An imported object's findings say why a policy that did not change is judged. */
export function asImported(rc: ResourceChange, findings: Finding[]): Finding[] {
  if (!isImport(rc)) return findings;
  return findings.map((f) => ({
    ...f,
    why: `imported in this plan (its rights were set outside Terraform and never reviewed here), so judged as if created: ${f.why}`,
  }));
}

/** `change.before` / `change.after` as an object (empty when absent, null or not an object). */
export function valuesOf(v: JsonValue | undefined): JsonObject {
  return isObject(v) ? v : {};
}

/** Whether `after_unknown` marks a top-level attribute unknown (`after_unknown: true`: the whole value is). */
export function isUnknown(rc: ResourceChange, attr: string): boolean {
  const u = rc.change.after_unknown;
  return u === true || (isObject(u) && u[attr] === true);
}
