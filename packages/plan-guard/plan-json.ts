/**
 * The parts of `terraform show -json PLANFILE` (format versions 0.1 to 1.2) that the harness and
 * the plan guard read. Everything is optional: old formats omit fields that newer ones add, and
 * the readers must cope with both.
 */

/** A JSON value as Terraform writes it. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** An object of JSON values (resource attributes, outputs, ...). */
export type JsonObject = { [key: string]: JsonValue };

/** One resource in `planned_values` / `prior_state`. */
export interface PlanValuesResource {
  address: string;
  mode: "managed" | "data";
  type: string;
  name: string;
  index?: string | number;
  provider_name?: string;
  schema_version?: number;
  values?: JsonObject;
  sensitive_values?: JsonValue;
}

/** A module in `planned_values` / `prior_state`. */
export interface PlanValuesModule {
  address?: string;
  resources?: PlanValuesResource[];
  child_modules?: PlanValuesModule[];
}

/** The `change` object of a resource change (also used by `resource_drift`). */
export interface PlanChange {
  actions: string[];
  before?: JsonValue;
  after?: JsonValue;
  after_unknown?: JsonValue;
  before_sensitive?: JsonValue;
  after_sensitive?: JsonValue;
  replace_paths?: JsonValue;
}

/** One entry of `resource_changes` or `resource_drift`. */
export interface ResourceChange {
  address: string;
  previous_address?: string;
  module_address?: string;
  mode: "managed" | "data";
  type: string;
  name: string;
  index?: string | number;
  deposed?: string;
  provider_name?: string;
  change: PlanChange;
  action_reason?: string;
}

/** A configuration expression: a constant, references, or nested blocks of expressions. */
export type ConfigExpression =
  { constant_value?: JsonValue; references?: string[] } | ConfigExpressions | ConfigExpressions[];

/** The expressions of one block, by attribute name. */
export interface ConfigExpressions {
  [name: string]: ConfigExpression;
}

/** A resource in the `configuration` section. */
export interface ConfigResource {
  address: string;
  mode: "managed" | "data";
  type: string;
  name: string;
  provider_config_key?: string;
  expressions?: ConfigExpressions;
  schema_version?: number;
  count_expression?: ConfigExpression;
  for_each_expression?: ConfigExpression;
}

/** A module in the `configuration` section. */
export interface ConfigModule {
  resources?: ConfigResource[];
  outputs?: Record<string, { expression?: ConfigExpression; sensitive?: boolean }>;
  module_calls?: Record<string, { source?: string; module?: ConfigModule }>;
}

/** The `configuration` section. */
export interface PlanConfiguration {
  provider_config?: Record<
    string,
    { name?: string; full_name?: string; alias?: string; expressions?: ConfigExpressions; module_address?: string }
  >;
  root_module?: ConfigModule;
}

/** A `terraform show -json PLANFILE` document. */
export interface PlanJson {
  format_version: string;
  terraform_version?: string;
  planned_values?: {
    outputs?: Record<string, { sensitive?: boolean; value?: JsonValue; type?: JsonValue }>;
    root_module?: PlanValuesModule;
  };
  resource_changes?: ResourceChange[];
  resource_drift?: ResourceChange[];
  output_changes?: Record<string, PlanChange>;
  prior_state?: { values?: { root_module?: PlanValuesModule; outputs?: Record<string, { value?: JsonValue }> } };
  configuration?: PlanConfiguration;
  errored?: boolean;
}

/** Plain-object test, narrowing `unknown` to a JSON object. */
export function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
