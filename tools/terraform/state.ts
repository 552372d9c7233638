/** Terraform state format version 4 (the only one Terraform >= 0.12 writes), as far as the harness writes it. */
import { createHash } from "node:crypto";
import type { JsonValue } from "@cmk-stacks/plan-guard";

/** One step of a path inside a resource's attributes (how state v4 records sensitive paths). */
export type StatePathStep =
  { type: "get_attr"; value: string } | { type: "index"; value: { value: string | number; type: "string" | "number" } };

/** One instance of a resource in state. */
export interface StateInstance {
  index_key?: string | number;
  schema_version: number;
  attributes: { [name: string]: JsonValue };
  sensitive_attributes: StatePathStep[][];
}

/** One resource (all its instances) in state. */
export interface StateResource {
  module?: string;
  mode: "managed" | "data";
  type: string;
  name: string;
  provider: string;
  instances: StateInstance[];
}

/** A state v4 document. */
export interface TerraformState {
  version: 4;
  terraform_version: string;
  serial: number;
  lineage: string;
  outputs: Record<string, { value: JsonValue; type: JsonValue; sensitive?: boolean }>;
  resources: StateResource[];
  check_results: null;
}

/** A UUID derived from a seed, so placeholders and lineages are stable between runs. */
export function stableUuid(seed: string): string {
  const h = createHash("sha256").update(seed).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The cty type Terraform records for an output value. */
export function ctyType(v: JsonValue): JsonValue {
  if (typeof v === "string") return "string";
  if (typeof v === "number") return "number";
  if (typeof v === "boolean") return "bool";
  // A null output is stored as a null string: the type only matters to readers of non-null values.
  if (v === null) return "string";
  if (Array.isArray(v)) return ["tuple", v.map(ctyType)];
  return ["object", Object.fromEntries(Object.entries(v).map(([k, x]) => [k, ctyType(x)]))];
}

/** A state holding only outputs: what a `terraform_remote_state` data source reads. */
export function outputsState(
  outputs: Record<string, unknown>,
  seed: string,
  terraformVersion = "1.11.0",
): TerraformState {
  return {
    version: 4,
    terraform_version: terraformVersion,
    serial: 1,
    lineage: stableUuid(`lineage:${seed}`),
    outputs: Object.fromEntries(
      Object.entries(outputs).map(([k, v]) => {
        const value = (v === undefined ? null : v) as JsonValue;
        return [k, { value, type: ctyType(value) }];
      }),
    ),
    resources: [],
    check_results: null,
  };
}
