/** Reads `terraform show -json` files and checks they are plans in a format the guard understands. */
import { readFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { isObject, type PlanJson, type ResourceChange } from "./plan-json";
import { parseAddress, type ParsedAddress } from "./address";
import { InputError, type LoadedPlan } from "./model";

/** Format versions of `terraform show -json` for plans that the guard has been tested with (Terraform 0.12 to 1.15). */
export const SUPPORTED_FORMATS = ["0.1", "0.2", "1.0", "1.1", "1.2"] as const;

/** File names that say nothing about the stack: the parent folder names it instead (`plans/dev-keys/plan.json`). */
const GENERIC_NAMES = new Set(["plan", "tfplan", "plan.out", "output", "show", "cdk.tf"]);

/** `name=path` gives the stack name explicitly; otherwise it comes from the path. */
export function parsePlanArg(arg: string): { file: string; stack?: string } {
  const m = /^([^=/\\]+)=(.+)$/.exec(arg);
  return m ? { stack: m[1], file: m[2] } : { file: arg };
}

/** The stack a plan file belongs to: its basename without `.json`, or its parent folder's name when the basename is generic. */
export function stackNameFor(file: string): string {
  const base = basename(file).replace(/\.json$/i, "");
  return GENERIC_NAMES.has(base.toLowerCase()) ? basename(dirname(resolve(file))) : base;
}

/** Deepest nesting the guard reads in a value; deeper values are reported and dropped (no recursion can overflow). */
export const MAX_DEPTH = 64;

/** Whether a JSON value nests deeper than {@link MAX_DEPTH} (iterative). */
function tooDeep(v: unknown): boolean {
  const stack: [unknown, number][] = [[v, 0]];
  while (stack.length) {
    const [x, d] = stack.pop() as [unknown, number];
    if (typeof x !== "object" || x === null) continue;
    if (d >= MAX_DEPTH) return true;
    for (const c of Array.isArray(x) ? x : Object.values(x))
      if (typeof c === "object" && c !== null) stack.push([c, d + 1]);
  }
  return false;
}

/** Collects shape problems with their path inside the file; the offending part is dropped or neutralised. */
class Problems {
  readonly list: string[] = [];
  add(path: string, what: string): void {
    this.list.push(`${path}: ${what}`);
  }
}

const isStr = (v: unknown): v is string => typeof v === "string";
const optional = (
  o: Record<string, unknown>,
  k: string,
  ok: (v: unknown) => boolean,
  path: string,
  what: string,
  p: Problems,
): void => {
  if (o[k] !== undefined && !ok(o[k])) {
    p.add(`${path}.${k}`, what);
    delete o[k];
  }
};

/** A value the rules read as attributes: an object, or null/absent. Anything else is reported and read as null. */
function checkValue(c: Record<string, unknown>, k: string, path: string, p: Problems, allowBool = false): void {
  const v = c[k];
  if (v === undefined || v === null || isObject(v) || (allowBool && typeof v === "boolean")) {
    if (v !== undefined && v !== null && tooDeep(v)) {
      p.add(`${path}.${k}`, `nested deeper than ${MAX_DEPTH} levels`);
      c[k] = null;
    }
    return;
  }
  p.add(`${path}.${k}`, allowBool ? "expected an object, a boolean or null" : "expected an object or null");
  c[k] = null;
}

/**
 * The action lists Terraform writes in `change.actions` (plans.Action as JSON; `create,forget` is a
 * replacement under `lifecycle { destroy = false }`):
 * https://developer.hashicorp.com/terraform/internals/json-format#change-representation
 */
const KNOWN_ACTIONS = new Set([
  "no-op",
  "create",
  "read",
  "update",
  "delete",
  "forget",
  "delete,create",
  "create,delete",
  "create,forget",
  "forget,create",
]);

/** Checks one resource change; returns false when it cannot be read at all (it is then left out, and reported). */
function checkChange(rc: unknown, path: string, p: Problems): rc is ResourceChange {
  if (!isObject(rc)) {
    p.add(path, "expected a resource change object");
    return false;
  }
  let ok = true;
  for (const k of ["type", "name"]) {
    if (!isStr(rc[k]) || rc[k] === "") {
      p.add(`${path}.${k}`, "expected a non-empty string");
      ok = false;
    }
  }
  if (rc.mode !== undefined && rc.mode !== "managed" && rc.mode !== "data") {
    p.add(`${path}.mode`, 'expected "managed" or "data"');
    rc.mode = "managed";
  }
  optional(rc, "address", isStr, path, "expected a string", p);
  optional(rc, "deposed", isStr, path, "expected a string", p);
  optional(rc, "module_address", isStr, path, "expected a string", p);
  optional(rc, "previous_address", isStr, path, "expected a string", p);
  optional(rc, "action_reason", isStr, path, "expected a string", p);
  optional(
    rc,
    "index",
    (v) => isStr(v) || (typeof v === "number" && Number.isFinite(v)),
    path,
    "expected a string or a number",
    p,
  );
  const change = rc.change;
  if (!isObject(change)) {
    p.add(`${path}.change`, "expected an object");
    return false;
  }
  if (!Array.isArray(change.actions) || !change.actions.every(isStr)) {
    p.add(`${path}.change.actions`, "expected an array of strings");
    ok = false;
  } else if (change.actions.length === 0) {
    p.add(`${path}.change.actions`, "expected at least one action");
    ok = false;
  }
  checkValue(change, "before", `${path}.change`, p);
  checkValue(change, "after", `${path}.change`, p);
  checkValue(change, "after_unknown", `${path}.change`, p, true);
  optional(
    change,
    "replace_paths",
    (v) => Array.isArray(v) && !tooDeep(v),
    `${path}.change`,
    "expected an array of paths",
    p,
  );
  if (ok && !KNOWN_ACTIONS.has((change.actions as string[]).join(","))) {
    p.add(
      `${path}.change.actions`,
      `[${(change.actions as string[]).map((a) => JSON.stringify(a)).join(", ")}] is no action list Terraform writes (${[...KNOWN_ACTIONS].map((a) => `[${a}]`).join(", ")})`,
    );
  }
  // A deposed object (left over by create_before_destroy) is only ever destroyed or forgotten: a
  // deposed entry that creates or updates would be skipped as "the old object" while it changes rights.
  if (
    ok &&
    typeof rc.deposed === "string" &&
    path.startsWith("resource_changes") &&
    !(change.actions as string[]).every((a) => a === "delete" || a === "forget" || a === "no-op")
  ) {
    p.add(
      `${path}.deposed`,
      `a deposed object with actions [${(change.actions as string[]).join(", ")}]: Terraform only destroys or forgets a deposed object`,
    );
  }
  // A data source is only ever read: any other action on one is no plan Terraform writes (and would hide a change).
  if (ok && rc.mode === "data" && !(change.actions as string[]).every((a) => a === "read" || a === "no-op")) {
    p.add(
      `${path}.mode`,
      `"data" with actions [${(change.actions as string[]).join(", ")}]: a data source is only read`,
    );
    ok = false;
  }
  if (!ok) return false;
  // Terraform 1.0.0 wrote resource_drift entries without an address: rebuild it.
  if (typeof rc.address !== "string") {
    const index =
      typeof rc.index === "number"
        ? `[${rc.index}]`
        : typeof rc.index === "string"
          ? `[${JSON.stringify(rc.index)}]`
          : "";
    const prefix = typeof rc.module_address === "string" && rc.module_address ? `${rc.module_address}.` : "";
    rc.address = `${prefix}${rc.mode === "data" ? "data." : ""}${rc.type}.${rc.name}${index}`;
  }
  return agreesWithAddress(rc, path, p, true);
}

/**
 * Whether a resource's fields say what its address says: type, name, mode (`data.`), module
 * (`module_address`, when the entry has the field) and instance key (`index`, when it has the field).
 * A plan that contradicts itself (`aws_kms_key.x` whose type is `aws_s3_bucket`) is reported with
 * the path of the contradicting field and left out: the guard trusts neither side.
 */
function agreesWithAddress(
  r: Record<string, unknown>,
  path: string,
  p: Problems,
  hasModuleField: boolean,
  address = r.address as string,
): boolean {
  const a = parseAddress(address);
  if (!a) {
    p.add(
      `${path}.address`,
      `${JSON.stringify(address.length > 200 ? `${address.slice(0, 200)}...` : address)} is not a resource address`,
    );
    return false;
  }
  const said: [string, unknown, unknown][] = [
    ["type", r.type, a.type],
    ["name", r.name, a.name],
    ["mode", r.mode ?? "managed", a.mode],
  ];
  if (hasModuleField) said.push(["module_address", r.module_address ?? "", a.module]);
  // A moved resource's previous address must be one (its type may differ: Terraform 1.8+ moves across types the provider supports).
  if (typeof r.previous_address === "string" && !parseAddress(r.previous_address)) {
    p.add(`${path}.previous_address`, `${JSON.stringify(r.previous_address.slice(0, 200))} is not a resource address`);
    return false;
  }
  if (r.index !== undefined) said.push(["index", r.index, a.index]);
  const wrong = said.filter(([, v, expected]) => v !== expected);
  for (const [field, v, expected] of wrong)
    p.add(
      `${path}.${field}`,
      `${JSON.stringify(v ?? null)} contradicts the address ${JSON.stringify(address)} (which says ${JSON.stringify(expected ?? null)})`,
    );
  return wrong.length === 0;
}

/** Resource change addresses must be unique (a deposed object shares its address with the current one, under its own key). */
function checkUnique(value: Record<string, unknown>, field: string, p: Problems): void {
  const list = value[field];
  if (!Array.isArray(list)) return;
  const seen = new Map<string, number>();
  list.forEach((rc: ResourceChange, i) => {
    const key = `${rc.address}\u0000${rc.deposed ?? ""}`;
    const first = seen.get(key);
    if (first !== undefined)
      p.add(
        `${field}[${i}].address`,
        `${JSON.stringify(rc.address)}${rc.deposed ? ` (deposed ${rc.deposed})` : ""} is listed twice (also at ${field}[${first}])`,
      );
    else seen.set(key, i);
  });
}

/**
 * The resources of `planned_values` or `prior_state` (each checked against its own address), by
 * address, with the path each was found at. Module nesting is walked without recursion.
 */
function valuesResources(
  root: unknown,
  path: string,
  p: Problems,
): Map<string, { type: string; mode: string; path: string }> {
  const out = new Map<string, { type: string; mode: string; path: string }>();
  const stack: [unknown, string, number][] = [[root, path, 0]];
  while (stack.length) {
    const [m, mp, depth] = stack.pop() as [unknown, string, number];
    if (!isObject(m)) continue;
    if (Array.isArray(m.resources)) {
      m.resources.forEach((r, i) => {
        const rp = `${mp}.resources[${i}]`;
        if (!isObject(r) || !isStr(r.address) || !isStr(r.type) || !isStr(r.name)) {
          p.add(rp, "expected a resource with address, type and name strings");
          return;
        }
        // Terraform 0.12 wrote prior_state addresses without the instance key (it is in `index`), and
        // in child modules relative to the module: read them as the full address they stand for.
        let address = r.address;
        if (
          isStr(m.address) &&
          m.address !== "" &&
          !address.startsWith(`${m.address}.`) &&
          !address.startsWith("module.")
        )
          address = `${m.address}.${address}`;
        if (r.index !== undefined && (isStr(r.index) || typeof r.index === "number") && !address.endsWith("]"))
          address += typeof r.index === "number" ? `[${r.index}]` : `[${JSON.stringify(r.index)}]`;
        if (!agreesWithAddress(r, rp, p, false, address)) return;
        const parsed = parseAddress(address) as ParsedAddress;
        if (isStr(m.address) && parsed.module !== m.address)
          p.add(
            `${rp}.address`,
            `${JSON.stringify(r.address)} is not in the module ${JSON.stringify(m.address)} that lists it`,
          );
        else if (!isStr(m.address) && parsed.module !== "")
          p.add(`${rp}.address`, `${JSON.stringify(r.address)} is listed in the root module`);
        out.set(address, { type: r.type, mode: (r.mode as string | undefined) ?? "managed", path: rp });
      });
    }
    if (Array.isArray(m.child_modules)) {
      if (depth >= MAX_DEPTH) p.add(`${mp}.child_modules`, `modules nested deeper than ${MAX_DEPTH} levels`);
      else m.child_modules.forEach((c, i) => stack.push([c, `${mp}.child_modules[${i}]`, depth + 1]));
    }
  }
  return out;
}

/** `resource_changes` against `planned_values` and `prior_state`: one address, one type. */
function checkAgreement(value: Record<string, unknown>, p: Problems): void {
  const sections: [Map<string, { type: string; mode: string; path: string }>, string][] = [];
  if (isObject(value.planned_values))
    sections.push([
      valuesResources(value.planned_values.root_module, "planned_values.root_module", p),
      "planned_values",
    ]);
  if (isObject(value.prior_state) && isObject(value.prior_state.values))
    sections.push([
      valuesResources(value.prior_state.values.root_module, "prior_state.values.root_module", p),
      "prior_state",
    ]);
  const list = Array.isArray(value.resource_changes) ? (value.resource_changes as ResourceChange[]) : [];
  const keep = list.filter((rc, i) => {
    let ok = true;
    for (const [resources] of sections) {
      const other = resources.get(rc.address);
      if (other && other.type !== rc.type) {
        p.add(
          `resource_changes[${i}].type`,
          `${JSON.stringify(rc.type)} but ${other.path}.type says ${JSON.stringify(other.type)} for ${JSON.stringify(rc.address)}`,
        );
        ok = false;
      }
    }
    return ok;
  });
  if (keep.length !== list.length) value.resource_changes = keep;
}

function checkChanges(value: Record<string, unknown>, field: string, p: Problems): void {
  const list = value[field];
  if (list === undefined || list === null) return;
  if (!Array.isArray(list)) {
    p.add(field, "expected an array of resource changes");
    value[field] = [];
    return;
  }
  value[field] = list.filter((rc, i) => checkChange(rc, `${field}[${i}]`, p));
}

/** Checks the configuration section the graph and the rules read (resources, module calls, outputs). */
function checkModule(m: unknown, path: string, p: Problems, depth: number): Record<string, unknown> | undefined {
  if (m === undefined || m === null) return undefined;
  if (!isObject(m)) {
    p.add(path, "expected an object");
    return undefined;
  }
  if (m.resources !== undefined) {
    if (!Array.isArray(m.resources)) {
      p.add(`${path}.resources`, "expected an array");
      m.resources = [];
    } else {
      m.resources = m.resources.filter((r, i) => {
        const rp = `${path}.resources[${i}]`;
        if (!isObject(r) || !isStr(r.address) || !isStr(r.type)) {
          p.add(rp, "expected a resource with address and type strings");
          return false;
        }
        // In the configuration, addresses are relative to their module and have no instance key.
        const a = parseAddress(r.address);
        if (
          !a ||
          a.module !== "" ||
          a.index !== undefined ||
          a.type !== r.type ||
          (r.mode !== undefined && r.mode !== a.mode) ||
          (r.name !== undefined && r.name !== a.name)
        ) {
          p.add(`${rp}.type`, `${JSON.stringify(r.type)} contradicts the address ${JSON.stringify(r.address)}`);
          return false;
        }
        if (r.expressions !== undefined && (!isObject(r.expressions) || tooDeep(r.expressions))) {
          p.add(
            `${rp}.expressions`,
            isObject(r.expressions) ? `nested deeper than ${MAX_DEPTH} levels` : "expected an object",
          );
          delete r.expressions;
        }
        return true;
      });
    }
  }
  if (m.outputs !== undefined) {
    if (!isObject(m.outputs) || tooDeep(m.outputs)) {
      p.add(`${path}.outputs`, isObject(m.outputs) ? `nested deeper than ${MAX_DEPTH} levels` : "expected an object");
      delete m.outputs;
    } else {
      for (const [k, o] of Object.entries(m.outputs)) {
        if (!isObject(o)) {
          p.add(`${path}.outputs.${k}`, "expected an object");
          delete m.outputs[k];
        }
      }
    }
  }
  if (m.module_calls !== undefined) {
    if (!isObject(m.module_calls)) {
      p.add(`${path}.module_calls`, "expected an object");
      delete m.module_calls;
    } else {
      for (const [k, call] of Object.entries(m.module_calls)) {
        const cp = `${path}.module_calls.${k}`;
        if (!isObject(call)) {
          p.add(cp, "expected an object");
          delete m.module_calls[k];
        } else if (depth >= MAX_DEPTH) {
          p.add(cp, `modules nested deeper than ${MAX_DEPTH} levels`);
          delete m.module_calls[k];
        } else if (call.module !== undefined && !checkModule(call.module, `${cp}.module`, p, depth + 1))
          delete call.module;
      }
    }
  }
  return m;
}

/**
 * Checks that a parsed JSON value is a plan (`terraform show -json PLANFILE`) in a supported
 * format. What makes it no plan at all throws {@link InputError}; every other unexpected shape is
 * listed in `problems` (`resource_changes[3].change.actions: expected an array of strings`),
 * its part left out, and the rest is still checked, so the guard reports every blocked change it
 * could read and still exits 2. Fills in the address of resource changes that lack one.
 */
export function checkPlanJson(value: unknown, file: string): { plan: PlanJson; problems: string[] } {
  if (!isObject(value)) throw new InputError(file, "not a Terraform plan (expected a JSON object)");
  const fv = value.format_version;
  if (typeof fv !== "string")
    throw new InputError(
      file,
      "not a Terraform plan (no format_version; expected `terraform show -json PLANFILE` output)",
    );
  if (!(SUPPORTED_FORMATS as readonly string[]).includes(fv))
    throw new InputError(
      file,
      `unsupported format_version "${fv.length > 40 ? `${fv.slice(0, 40)}...` : fv}" (supported: ${SUPPORTED_FORMATS.join(", ")})`,
    );
  if (!("planned_values" in value) && !("resource_changes" in value)) {
    const hint = "values" in value ? " (this is `terraform show -json` of a state, not of a plan file)" : "";
    throw new InputError(file, `not a Terraform plan: no planned_values or resource_changes${hint}`);
  }
  const p = new Problems();
  checkChanges(value, "resource_changes", p);
  checkChanges(value, "resource_drift", p);
  checkUnique(value, "resource_changes", p);
  checkUnique(value, "resource_drift", p);
  checkAgreement(value, p);
  optional(value, "terraform_version", isStr, "(plan)", "expected a string", p);
  optional(value, "errored", (v) => typeof v === "boolean", "(plan)", "expected a boolean", p);
  if (value.configuration !== undefined && value.configuration !== null) {
    if (!isObject(value.configuration)) {
      p.add("configuration", "expected an object");
      delete value.configuration;
    } else if (!checkModule(value.configuration.root_module, "configuration.root_module", p, 0))
      delete value.configuration.root_module;
  }
  return {
    plan: value as unknown as PlanJson,
    problems: p.list.map((x) => `${file}: ${x.replace(/^\(plan\)\./, "")}`),
  };
}

/** Like {@link checkPlanJson}, but throws {@link InputError} on the first problem. */
export function validatePlanJson(value: unknown, file: string): PlanJson {
  const { plan, problems } = checkPlanJson(value, file);
  if (problems.length) throw new InputError(file, problems[0].slice(file.length + 2));
  return plan;
}

/** Reads one plan argument (`path` or `name=path`); throws {@link InputError} when unreadable or not a plan. */
export function readPlanFile(arg: string): LoadedPlan {
  const { file, stack } = parsePlanArg(arg);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(
      file,
      code === "ENOENT"
        ? "no such file"
        : code === "EISDIR"
          ? "is a directory"
          : `cannot read (${code ?? (e as Error).message})`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError(file, `not valid JSON (${(e as Error).message})`);
  }
  const { plan, problems } = checkPlanJson(json, file);
  return { stack: stack ?? stackNameFor(file), file, plan, ...(problems.length ? { problems } : {}) };
}
