/** Speed check: classification of a synthetic 10,000-resource plan, median of 5 runs. */
import type { ConfigResource, PlanJson, ResourceChange } from "../../tools/terraform/plan-json";
import { classifyPlans } from "./classify";

const ACTIONS: string[][] = [["no-op"], ["no-op"], ["no-op"], ["create"], ["update"], ["delete"], ["delete", "create"], ["create", "delete"], ["read"], ["forget"]];
const TYPES = ["aws_instance", "aws_security_group", "aws_iam_role", "aws_s3_bucket_server_side_encryption_configuration", "aws_subnet", "aws_route", "aws_s3_bucket", "aws_kms_key", "aws_kms_alias", "aws_cloudhsm_v2_hsm"];

/** A plan with `n` resources: a deterministic mix of types and actions, with configuration references to keys. */
export function syntheticPlan(n = 10_000): PlanJson {
  const changes: ResourceChange[] = [];
  const config: ConfigResource[] = [];
  for (let i = 0; i < n; i++) {
    const type = TYPES[i % TYPES.length];
    const name = `r${i}`;
    const actions = ACTIONS[Math.floor(i / TYPES.length) % ACTIONS.length];
    const base = { id: `id-${i}`, arn: `arn:aws:svc:eu-west-1:111122223333:${type}/${i}`, tags: { Name: name }, is_enabled: true, cluster_id: `cluster-${i % 7}`, policy: null };
    const before = actions[0] === "create" ? null : base;
    const after = actions.includes("delete") && actions.length === 1 ? null : actions[0] === "forget" ? null : { ...base, tags: { Name: name, Rev: "2" } };
    changes.push({ address: `${type}.${name}`, mode: "managed", type, name, provider_name: "registry.terraform.io/hashicorp/aws", change: { actions, before, after, after_unknown: {} } });
    const keyRef = `aws_kms_key.r${i - (i % TYPES.length) + 7}`;
    config.push({ address: `${type}.${name}`, mode: "managed", type, name, expressions: { kms_key_id: { references: [`${keyRef}.arn`, keyRef] }, tags: { constant_value: { Name: name } } } });
  }
  return { format_version: "1.2", terraform_version: "1.11.4", resource_changes: changes, configuration: { root_module: { resources: config } }, planned_values: { root_module: { resources: [] } } };
}

/** Builds the synthetic plan once, classifies it 5 times (graph included), returns the median. */
export function benchPlanGuard(n = 10_000): { resources: number; ms: number } {
  const plan = syntheticPlan(n);
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = process.hrtime.bigint();
    classifyPlans([{ stack: "bench", plan }]);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { resources: plan.resource_changes?.length ?? 0, ms: Math.round(times[2] * 10) / 10 };
}
