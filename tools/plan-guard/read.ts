/** Reads `terraform show -json` files and checks they are plans in a format the guard understands. */
import { readFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { isObject, type PlanJson } from "../terraform/plan-json";
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

function checkChanges(list: unknown, field: string, file: string): void {
  if (list === undefined || list === null) return;
  if (!Array.isArray(list)) throw new InputError(file, `${field} is not an array`);
  list.forEach((rc, i) => {
    const ok = isObject(rc) && typeof rc.type === "string" && typeof rc.name === "string" && isObject(rc.change) && Array.isArray(rc.change.actions) && rc.change.actions.every((a) => typeof a === "string");
    if (!ok) throw new InputError(file, `${field}[${i}] is not a resource change (needs type, name and change.actions)`);
    // Terraform 1.0.0 wrote resource_drift entries without an address: rebuild it.
    if (typeof rc.address !== "string") {
      const index = typeof rc.index === "number" ? `[${rc.index}]` : typeof rc.index === "string" ? `[${JSON.stringify(rc.index)}]` : "";
      const prefix = typeof rc.module_address === "string" && rc.module_address ? `${rc.module_address}.` : "";
      rc.address = `${prefix}${rc.mode === "data" ? "data." : ""}${rc.type}.${rc.name}${index}`;
    }
  });
}

/**
 * Checks that a parsed JSON value is a plan (`terraform show -json PLANFILE`) in a supported
 * format; throws {@link InputError} naming the problem otherwise. Fills in the address of resource
 * changes that lack one (Terraform 1.0.0's `resource_drift`).
 */
export function validatePlanJson(value: unknown, file: string): PlanJson {
  if (!isObject(value)) throw new InputError(file, "not a Terraform plan (expected a JSON object)");
  const fv = value.format_version;
  if (typeof fv !== "string") throw new InputError(file, "not a Terraform plan (no format_version; expected `terraform show -json PLANFILE` output)");
  if (!(SUPPORTED_FORMATS as readonly string[]).includes(fv)) throw new InputError(file, `unsupported format_version "${fv}" (supported: ${SUPPORTED_FORMATS.join(", ")})`);
  if (!("planned_values" in value) && !("resource_changes" in value)) {
    const hint = "values" in value ? " (this is `terraform show -json` of a state, not of a plan file)" : "";
    throw new InputError(file, `not a Terraform plan: no planned_values or resource_changes${hint}`);
  }
  checkChanges(value.resource_changes, "resource_changes", file);
  checkChanges(value.resource_drift, "resource_drift", file);
  return value as unknown as PlanJson;
}

/** Reads one plan argument (`path` or `name=path`); throws {@link InputError} when unreadable or not a plan. */
export function readPlanFile(arg: string): LoadedPlan {
  const { file, stack } = parsePlanArg(arg);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(file, code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : `cannot read (${code ?? (e as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError(file, `not valid JSON (${(e as Error).message})`);
  }
  return { stack: stack ?? stackNameFor(file), file, plan: validatePlanJson(json, file) };
}
