/**
 * Stand-ins for values a plan does not know yet (ids, ARNs): used to feed a keys stack's outputs
 * to a data stack offline, and to turn a plan into a state so that a later plan against a changed
 * configuration shows deletes, replacements and forgets without ever touching AWS.
 */
import { createHash } from "node:crypto";
import { IAM } from "@cmk-stacks/aws-limits";
import {
  isObject,
  type ConfigExpression,
  type ConfigModule,
  type ConfigResource,
  type JsonObject,
  type JsonValue,
  type PlanJson,
  type PlanValuesModule,
  type ResourceChange,
} from "@cmk-stacks/plan-guard";
import type { ProviderSchemasJson, SchemaBlock } from "./run";
import { stableUuid, type StatePathStep, type StateResource, type TerraformState } from "./state";

/** Region and account used in placeholder ARNs. */
export interface PlanLocation {
  region: string;
  account: string;
}

function firstString(v: JsonValue | undefined, test: (s: string) => string | undefined, depth = 0): string | undefined {
  if (v === undefined || v === null || depth > 8) return undefined;
  if (typeof v === "string") return test(v);
  if (Array.isArray(v)) {
    for (const x of v) {
      const r = firstString(x, test, depth + 1);
      if (r) return r;
    }
    return undefined;
  }
  if (isObject(v)) return firstString(Object.values(v), test, depth + 1);
  return undefined;
}

/** Region from the AWS provider configuration, account from any ARN or `allowed_account_ids`; else us-east-1 / 123456789012. */
export function planLocation(plan: PlanJson): PlanLocation {
  let region: string | undefined;
  let account: string | undefined;
  for (const p of Object.values(plan.configuration?.provider_config ?? {})) {
    if (p.name !== "aws" && !p.full_name?.endsWith("/aws")) continue;
    const ex = p.expressions ?? {};
    const r = ex.region;
    if (!region && isObject(r) && typeof r.constant_value === "string") region = r.constant_value;
    const ids = ex.allowed_account_ids;
    if (!account && isObject(ids) && Array.isArray(ids.constant_value) && typeof ids.constant_value[0] === "string")
      account = ids.constant_value[0];
  }
  if (!account) {
    const values: JsonValue[] = (plan.resource_changes ?? []).map((rc) => rc.change.after ?? rc.change.before ?? null);
    account = firstString(values, (s) => IAM.accountOfAnyArn(s));
  }
  return { region: region ?? "us-east-1", account: account ?? "123456789012" };
}

function hex(seed: string, n: number): string {
  return createHash("sha256").update(seed).digest("hex").slice(0, n);
}

/** An id in the shape AWS uses for the resource type (KMS keys are UUIDs, key stores `cks-...`, clusters `cluster-...`). */
export function placeholderId(type: string, seed: string): string {
  if (/^aws_kms_(key|external_key|replica_key|replica_external_key)$/.test(type)) return stableUuid(seed);
  if (type === "aws_kms_custom_key_store") return `cks-${hex(seed, 17)}`;
  if (type === "aws_cloudhsm_v2_cluster") return `cluster-${hex(seed, 11).replace(/[0189]/g, "a")}`;
  if (type === "aws_cloudhsm_v2_hsm") return `hsm-${hex(seed, 11).replace(/[0189]/g, "b")}`;
  if (/^aws_fsx_.*_file_system$/.test(type)) return `fs-${hex(seed, 17)}`;
  if (type === "aws_ebs_volume") return `vol-${hex(seed, 17)}`;
  return `placeholder-${hex(seed, 12)}`;
}

/** An ARN in the shape AWS uses for the resource type. */
export function placeholderArn(type: string, id: string, loc: PlanLocation): string {
  const m = /^aws_([a-z0-9]+)_(.+)$/.exec(type);
  const service = type.startsWith("aws_kms_")
    ? "kms"
    : type.startsWith("aws_cloudhsm")
      ? "cloudhsm"
      : (m?.[1] ?? "placeholder");
  if (type === "aws_s3_bucket") return `arn:aws:s3:::${id}`;
  if (service === "kms" && type === "aws_kms_alias")
    return `arn:aws:kms:${loc.region}:${loc.account}:${id.startsWith("alias/") ? id : `alias/${id}`}`;
  if (service === "kms") return `arn:aws:kms:${loc.region}:${loc.account}:key/${id}`;
  return `arn:aws:${service}:${loc.region}:${loc.account}:${m?.[2] ?? "resource"}/${id}`;
}

/** Resource type named inside a CDKTF output name (`cross-stack-output-aws_kms_keykeyarn`: type, construct id, attribute). */
function typeInName(name: string): string {
  const known = [
    "aws_kms_external_key",
    "aws_kms_replica_external_key",
    "aws_kms_replica_key",
    "aws_kms_custom_key_store",
    "aws_kms_alias",
    "aws_kms_key",
    "aws_cloudhsm_v2_cluster",
    "aws_cloudhsm_v2_hsm",
    "aws_s3_bucket",
    "aws_ebs_volume",
    "aws_fsx_ontap_file_system",
  ];
  return known.find((t) => name.includes(t)) ?? name.match(/aws_[a-z0-9_]+?(?=[._]|$)/)?.[0] ?? "";
}

/** A plausible value for an output whose planned value is unknown, chosen from its name. */
export function placeholderForOutput(name: string, loc: PlanLocation): JsonValue {
  const type = typeInName(name);
  // CDKTF concatenates type, construct id and attribute without separators (`aws_kms_keykeyarn`).
  const attr = /arn$/i.test(name) ? "arn" : /id$/i.test(name) ? "id" : "";
  if (attr === "arn") {
    const t = type || "aws_kms_key";
    return placeholderArn(t, t === "aws_s3_bucket" ? `placeholder-${hex(name, 8)}` : placeholderId(t, name), loc);
  }
  if (attr === "id") return placeholderId(type, name);
  return `placeholder-${name.replace(/^cross-stack-output-/, "").replace(/[^A-Za-z0-9-]/g, "-")}`;
}

/**
 * The outputs of a plan, as a later stack's `terraform_remote_state` would read them: known
 * planned values kept, unknown ones replaced with {@link placeholderForOutput}. `location`
 * overrides the region/account found in the plan (a scratch copy has no `allowed_account_ids`).
 */
export function placeholderOutputs(plan: PlanJson, location: Partial<PlanLocation> = {}): Record<string, JsonValue> {
  const loc = { ...planLocation(plan), ...location };
  const planned = plan.planned_values?.outputs ?? {};
  const names = new Set([...Object.keys(planned), ...Object.keys(plan.output_changes ?? {})]);
  const out: Record<string, JsonValue> = {};
  for (const name of names) {
    const p = planned[name];
    const unknown = plan.output_changes?.[name]?.after_unknown === true;
    out[name] = p && "value" in p && p.value !== undefined && !unknown ? p.value : placeholderForOutput(name, loc);
  }
  return out;
}

/** Options of {@link stateFromPlan}. */
export interface StateFromPlanOptions {
  /** Provider schemas (`providerSchemas(dir)`), to give unknown attributes values of the right type; without them, unknown scalars other than ids and ARNs become null. */
  readonly schemas?: ProviderSchemasJson;
}

function schemaFor(
  schemas: ProviderSchemasJson | undefined,
  provider: string | undefined,
  type: string,
): SchemaBlock | undefined {
  if (!schemas?.provider_schemas) return undefined;
  const p =
    (provider && schemas.provider_schemas[provider]) ||
    Object.values(schemas.provider_schemas).find((x) => x.resource_schemas?.[type]);
  return p?.resource_schemas?.[type]?.block;
}

function emptyOfType(block: SchemaBlock | undefined, key: string): JsonValue | undefined {
  const attr = block?.attributes?.[key];
  const t = attr?.type;
  if (t === "number") return 0;
  if (t === "bool") return false;
  if (Array.isArray(t) && (t[0] === "list" || t[0] === "set")) return [];
  if (Array.isArray(t) && t[0] === "map") return {};
  const nested = attr?.nested_type?.nesting_mode ?? block?.block_types?.[key]?.nesting_mode;
  if (nested === "list" || nested === "set") return [];
  if (nested === "map") return {};
  return undefined;
}

interface FillContext {
  type: string;
  address: string;
  loc: PlanLocation;
  block?: SchemaBlock;
  ids: { id: string };
}

function placeholderAttr(key: string, shape: JsonValue | undefined, ctx: FillContext): JsonValue {
  if (Array.isArray(shape)) return [];
  if (isObject(shape)) return {};
  if (key === "id" || (key === "key_id" && ctx.type.startsWith("aws_kms_"))) return ctx.ids.id;
  if (key === "arn") return placeholderArn(ctx.type, ctx.ids.id, ctx.loc);
  if (key.endsWith("_arn")) return placeholderArn(ctx.type, `${key}-${hex(ctx.address, 8)}`, ctx.loc);
  const typed = emptyOfType(ctx.block, key);
  if (typed !== undefined) return typed;
  if (key.endsWith("_id") || key === "name" || key.endsWith("_name"))
    return `placeholder-${key}-${hex(ctx.address, 8)}`;
  // null suits every type; Terraform keeps a null computed attribute as it is when nothing else changes.
  return null;
}

function fill(
  values: JsonObject,
  unknown: JsonValue | undefined,
  shape: JsonValue | undefined,
  ctx: FillContext,
  top: boolean,
): void {
  if (!isObject(unknown)) return;
  for (const [k, u] of Object.entries(unknown)) {
    const s = isObject(shape) ? shape[k] : undefined;
    if (u === true) {
      if (values[k] === undefined || values[k] === null)
        values[k] = top ? placeholderAttr(k, s, ctx) : Array.isArray(s) ? [] : isObject(s) ? {} : null;
    } else if (isObject(values[k]) && isObject(u)) {
      fill(values[k] as JsonObject, u, s, ctx, false);
    } else if (Array.isArray(values[k]) && Array.isArray(u)) {
      const arr = values[k] as JsonValue[];
      u.forEach((ue, i) => {
        const se = Array.isArray(s) ? s[i] : undefined;
        if (ue === true && (arr[i] === undefined || arr[i] === null))
          arr[i] = Array.isArray(se) ? [] : isObject(se) ? {} : null;
        else if (isObject(arr[i]) && isObject(ue)) fill(arr[i] as JsonObject, ue, se, ctx, false);
      });
    }
  }
}

/** Paths marked `true` in a plan's sensitive-values tree, in state v4's step notation. */
export function sensitivePaths(shape: JsonValue | undefined, prefix: StatePathStep[] = []): StatePathStep[][] {
  if (shape === true) return prefix.length ? [prefix] : [];
  const out: StatePathStep[][] = [];
  if (Array.isArray(shape))
    shape.forEach((s, i) =>
      out.push(...sensitivePaths(s, [...prefix, { type: "index", value: { value: i, type: "number" } }])),
    );
  // Object keys are attributes (or nested-block attributes): sensitive map elements are rare and Terraform re-derives them from the schema anyway.
  else if (isObject(shape))
    for (const [k, s] of Object.entries(shape))
      out.push(...sensitivePaths(s, [...prefix, { type: "get_attr", value: k }]));
  return out;
}

function walkModules(m: PlanValuesModule | undefined, visit: (m: PlanValuesModule) => void): void {
  if (!m) return;
  visit(m);
  for (const c of m.child_modules ?? []) walkModules(c, visit);
}

/** `provider["registry.terraform.io/hashicorp/aws"]`, with the alias and module the configuration names. */
function providerAddress(plan: PlanJson, providerName: string, configKey: string | undefined): string {
  const cfg = configKey ? plan.configuration?.provider_config?.[configKey] : undefined;
  const base = `provider[${JSON.stringify(cfg?.full_name ?? providerName)}]`;
  const withAlias = cfg?.alias ? `${base}.${cfg.alias}` : base;
  return cfg?.module_address ? `${cfg.module_address}.${withAlias}` : withAlias;
}

function configResources(plan: PlanJson): Map<string, ConfigResource> {
  const res = new Map<string, ConfigResource>();
  const walk = (m: ConfigModule | undefined, prefix: string): void => {
    for (const r of m?.resources ?? []) res.set(prefix + r.address, r);
    for (const [name, call] of Object.entries(m?.module_calls ?? {})) walk(call.module, `${prefix}module.${name}.`);
  };
  walk(plan.configuration?.root_module, "");
  return res;
}

/** `aws_kms_key.k.key_id` (or `aws_kms_key.k[0].arn`) -> the instance address and the attribute it reads. */
const REFERENCE = /^((?:data\.)?[a-z0-9_]+\.[A-Za-z0-9_-]+(?:\[[^\]]+\])?)\.([a-z0-9_]+)/;

/** A top-level attribute that is unknown in the plan but copies another resource's attribute. */
interface PendingCopy {
  values: JsonObject;
  key: string;
  /** One source: the value (wrapped in a list when the attribute is one); several: a list, in order. */
  sources: { from: string; attr: string }[];
}

/**
 * The single resource attribute an unknown attribute is set from (`target_key_id = aws_kms_key.k.key_id`),
 * so the state agrees with itself and a re-plan shows no spurious update. Expressions with several
 * references are left alone: their shape (interpolation, function) is not in the plan.
 */
function copySources(
  expr: ConfigExpression | undefined,
  modulePrefix: string,
): { from: string; attr: string }[] | undefined {
  if (!isObject(expr as JsonValue) || !Array.isArray((expr as { references?: unknown }).references)) return undefined;
  const refs = (expr as { references: string[] }).references.filter(
    (r) => !/^(var|local|each|count|path|terraform|self)\./.test(r),
  );
  const attrRefs = [...new Set(refs.filter((r) => REFERENCE.test(r)))];
  if (attrRefs.length === 0) return undefined;
  // The other references Terraform lists are the same resources without the attribute (`aws_kms_key.k`).
  if (refs.some((r) => !attrRefs.some((a) => a.startsWith(r)))) return undefined;
  return attrRefs.map((a) => {
    const m = REFERENCE.exec(a) as RegExpExecArray;
    return { from: modulePrefix + m[1], attr: m[2] };
  });
}

/** `module.a["x"].module.b[0].aws_kms_key.k[1]` -> `module.a.module.b.aws_kms_key.k` (how configuration addresses look). */
export function configAddress(address: string): string {
  return address.replace(/\[[^\]]*\]/g, "");
}

/**
 * A Terraform state (v4) holding every managed resource of the plan's `planned_values` (root and
 * child modules) as if the plan had been applied: unknown values filled with placeholders (ids,
 * ARNs, empty collections, else null), `schema_version` and `sensitive_attributes` taken from the
 * plan. Planning a changed configuration against it with `-refresh=false` shows the deletes,
 * replacements, updates and forgets the change would cause.
 */
export function stateFromPlan(plan: PlanJson, opts: StateFromPlanOptions = {}): TerraformState {
  const loc = planLocation(plan);
  const changes = new Map<string, ResourceChange>();
  for (const rc of plan.resource_changes ?? []) if (!rc.deposed) changes.set(rc.address, rc);
  const config = configResources(plan);
  const byResource = new Map<string, StateResource>();
  const byAddress = new Map<string, JsonObject>();
  const pending: PendingCopy[] = [];
  walkModules(plan.planned_values?.root_module, (m) => {
    for (const r of m.resources ?? []) {
      if (r.mode !== "managed") continue;
      const rc = changes.get(r.address);
      const values = structuredClone(r.values ?? {});
      const known = typeof values.id === "string" ? values.id : undefined;
      const ids = {
        id:
          known ??
          (r.type === "aws_s3_bucket" && typeof values.bucket === "string"
            ? values.bucket
            : placeholderId(r.type, r.address)),
      };
      const ctx: FillContext = {
        type: r.type,
        address: r.address,
        loc,
        ids,
        block: schemaFor(opts.schemas, r.provider_name, r.type),
      };
      const module = m.address && m.address !== "" ? m.address : undefined;
      const cfg = config.get(configAddress(r.address));
      for (const [k, u] of Object.entries(isObject(rc?.change.after_unknown) ? rc.change.after_unknown : {})) {
        const sources =
          u === true && (values[k] === undefined || values[k] === null)
            ? copySources(cfg?.expressions?.[k], module ? `${module}.` : "")
            : undefined;
        if (sources) pending.push({ values, key: k, sources });
      }
      fill(values, rc?.change.after_unknown, r.sensitive_values, ctx, true);
      byAddress.set(r.address, values);
      const key = `${module ?? ""}|${r.type}|${r.name}`;
      let res = byResource.get(key);
      if (!res) {
        const provider = providerAddress(
          plan,
          r.provider_name ?? "registry.terraform.io/hashicorp/aws",
          cfg?.provider_config_key,
        );
        res = { ...(module ? { module } : {}), mode: "managed", type: r.type, name: r.name, provider, instances: [] };
        byResource.set(key, res);
      }
      res.instances.push({
        ...(r.index !== undefined ? { index_key: r.index } : {}),
        schema_version: r.schema_version ?? 0,
        attributes: values,
        sensitive_attributes: sensitivePaths(r.sensitive_values),
      });
    }
  });
  // Copies can chain (alias -> key -> store); a few rounds settle any realistic chain.
  for (let round = 0; round < 4; round++) {
    for (const p of pending) {
      const got = p.sources.map((src) => byAddress.get(src.from)?.[src.attr]);
      if (got.some((v) => v === undefined || v === null)) continue;
      const isList = Array.isArray(p.values[p.key]);
      if (p.sources.length === 1)
        p.values[p.key] =
          isList && !Array.isArray(got[0])
            ? [structuredClone(got[0] as JsonValue)]
            : structuredClone(got[0] as JsonValue);
      else if (isList) p.values[p.key] = got.map((v) => structuredClone(v as JsonValue));
    }
  }
  return {
    version: 4,
    terraform_version: plan.terraform_version ?? "1.11.0",
    serial: 1,
    lineage: stableUuid(`state:${JSON.stringify([...byResource.keys()])}`),
    outputs: {},
    resources: [...byResource.values()],
    check_results: null,
  };
}
