/** Hand-built plan JSON in the shape `terraform show -json` writes (format 1.2). */
import type { ConfigResource, JsonValue, LoadedPlan, PlanJson, ResourceChange } from "@cmk-stacks/plan-guard";

/** A managed resource change. */
export function rc(
  address: string,
  actions: string[],
  before: JsonValue,
  after: JsonValue,
  extra: Partial<ResourceChange> = {},
): ResourceChange {
  const m = /^(?:.*\.)?([a-z0-9_]+)\.([^.[]+)(?:\[[^\]]*\])?$/.exec(address);
  return {
    address,
    mode: "managed",
    type: m?.[1] ?? "unknown",
    name: m?.[2] ?? "x",
    provider_name: "registry.terraform.io/hashicorp/aws",
    change: { actions, before, after, after_unknown: {} },
    ...extra,
  };
}

/** A configuration resource whose attributes reference other resources (`{ kms_key_id: "aws_kms_key.k.arn" }`). */
export function cfg(
  address: string,
  refs: Record<string, string> = {},
  constants: Record<string, JsonValue> = {},
): ConfigResource {
  const [type, name] = address.split(".");
  const expressions: ConfigResource["expressions"] = {};
  for (const [k, ref] of Object.entries(refs))
    expressions[k] = { references: [ref, ref.split(".").slice(0, 2).join(".")] };
  for (const [k, v] of Object.entries(constants)) expressions[k] = { constant_value: v };
  return { address, mode: "managed", type, name, provider_config_key: "aws", expressions };
}

/** A plan of these changes (and optional configuration and drift), as stack `stack`. */
export function planOf(
  changes: ResourceChange[],
  opts: { config?: ConfigResource[]; drift?: ResourceChange[]; stack?: string; outputs?: Record<string, string> } = {},
): LoadedPlan {
  const plan: PlanJson = {
    format_version: "1.2",
    terraform_version: "1.11.4",
    planned_values: { root_module: { resources: [] } },
    resource_changes: changes,
    ...(opts.drift ? { resource_drift: opts.drift } : {}),
    configuration: {
      provider_config: { aws: { name: "aws", full_name: "registry.terraform.io/hashicorp/aws" } },
      root_module: {
        resources: opts.config ?? [],
        outputs: Object.fromEntries(
          Object.entries(opts.outputs ?? {}).map(([k, ref]) => [
            k,
            { sensitive: true, expression: { references: [ref, ref.split(".").slice(0, 2).join(".")] } },
          ]),
        ),
      },
    },
  };
  return { stack: opts.stack ?? "dev-keys", plan };
}

/** A key policy document string. */
export function policy(...statements: object[]): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

export const ROOT_STATEMENT = {
  Sid: "AccountRootKeepsAccess",
  Effect: "Allow",
  Principal: { AWS: "arn:aws:iam::111122223333:root" },
  Action: "kms:*",
  Resource: "*",
};
export const ADMIN_STATEMENT = {
  Sid: "KeyAdministration",
  Effect: "Allow",
  Principal: { AWS: ["arn:aws:iam::111122223333:role/admin", "arn:aws:iam::111122223333:role/admin2"] },
  Action: ["kms:PutKeyPolicy", "kms:DescribeKey"],
  Resource: "*",
};
export const USE_STATEMENT = {
  Sid: "KeyUse",
  Effect: "Allow",
  Principal: { AWS: "arn:aws:iam::111122223333:role/app" },
  Action: ["kms:Decrypt", "kms:Encrypt"],
  Resource: "*",
};
