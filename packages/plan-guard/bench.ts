/**
 * Speed check: classification of a synthetic plan, median of 5 runs. The default shape is the one
 * the guard must judge in under 3 s: 50,000 resource changes, 10,000 of them key-policy updates
 * (half `aws_kms_key.policy`, half `aws_kms_key_policy`, each policy a different document).
 */
import type { ConfigResource, PlanJson, ResourceChange } from "./plan-json";
import { classifyPlans } from "./classify";

const ACTIONS: string[][] = [
  ["no-op"],
  ["no-op"],
  ["no-op"],
  ["create"],
  ["update"],
  ["delete"],
  ["delete", "create"],
  ["create", "delete"],
  ["read"],
  ["forget"],
];
const TYPES = [
  "aws_instance",
  "aws_security_group",
  "aws_iam_role",
  "aws_s3_bucket_server_side_encryption_configuration",
  "aws_subnet",
  "aws_route",
  "aws_s3_bucket",
  "aws_kms_key",
  "aws_kms_alias",
  "aws_cloudhsm_v2_hsm",
];
const ACCOUNT = "111122223333";
const ADMIN_ACTIONS = [
  "kms:Create*",
  "kms:Describe*",
  "kms:Enable*",
  "kms:List*",
  "kms:Put*",
  "kms:Update*",
  "kms:Revoke*",
  "kms:Disable*",
  "kms:Get*",
  "kms:Delete*",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:ScheduleKeyDeletion",
  "kms:CancelKeyDeletion",
];
const USE_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"];

/** A key policy of the shape this project ships (account root, administrators, users, EBS through its service), different for each `i` and `rev`. */
function keyPolicy(i: number, rev: number): string {
  const role = (n: string) => `arn:aws:iam::${ACCOUNT}:role/${n}-${i}`;
  const users = Array.from({ length: rev + 1 }, (_, u) => role(`app${u}`));
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AccountRoot",
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
        Action: "kms:*",
        Resource: "*",
      },
      {
        Sid: "KeyAdministration",
        Effect: "Allow",
        Principal: { AWS: [role("KeyAdmin")] },
        Action: ADMIN_ACTIONS,
        Resource: "*",
      },
      { Sid: "KeyUse", Effect: "Allow", Principal: { AWS: users }, Action: USE_ACTIONS, Resource: "*" },
      {
        Sid: "ThroughEbs",
        Effect: "Allow",
        Principal: { AWS: "*" },
        Action: ["kms:CreateGrant", "kms:Decrypt"],
        Resource: "*",
        Condition: {
          StringEquals: { "kms:ViaService": "ec2.eu-west-1.amazonaws.com", "kms:CallerAccount": ACCOUNT },
          Bool: { "kms:GrantIsForAWSResource": true },
        },
      },
      {
        Sid: "UsersCannotManage",
        Effect: "Deny",
        Principal: { AWS: users },
        Action: ["kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"],
        Resource: "*",
      },
    ],
  });
}

/** A key-policy update: `aws_kms_key.policy` (even `i`) or `aws_kms_key_policy.policy` (odd `i`), with a new user added. */
function keyPolicyUpdate(i: number): { change: ResourceChange; config: ConfigResource } {
  const keyId = `1234abcd-12ab-34cd-56ef-${String(i).padStart(12, "0")}`;
  const arn = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/${keyId}`;
  const type = i % 2 === 0 ? "aws_kms_key" : "aws_kms_key_policy";
  const name = `p${i}`;
  const common: Record<string, string | number | boolean> =
    type === "aws_kms_key"
      ? { arn, key_id: keyId, id: keyId, is_enabled: true, deletion_window_in_days: 30 }
      : { key_id: keyId, id: keyId, bypass_policy_lockout_safety_check: false };
  return {
    change: {
      address: `${type}.${name}`,
      mode: "managed",
      type,
      name,
      provider_name: "registry.terraform.io/hashicorp/aws",
      change: {
        actions: ["update"],
        before: { ...common, policy: keyPolicy(i, 1) },
        after: { ...common, policy: keyPolicy(i, 2) },
        after_unknown: {},
      },
    },
    config: { address: `${type}.${name}`, mode: "managed", type, name, expressions: { policy: { references: [] } } },
  };
}

/**
 * A plan with `n` resources: a deterministic mix of types and actions, with configuration references
 * to keys, and `keyPolicyUpdates` of them key-policy updates spread evenly through it.
 */
export function syntheticPlan(n = 50_000, keyPolicyUpdates = 10_000): PlanJson {
  const changes: ResourceChange[] = [];
  const config: ConfigResource[] = [];
  const every = keyPolicyUpdates > 0 ? Math.max(1, Math.floor(n / keyPolicyUpdates)) : 0;
  let policies = 0;
  for (let i = 0; i < n; i++) {
    if (every && i % every === 0 && policies < keyPolicyUpdates) {
      const u = keyPolicyUpdate(policies++);
      changes.push(u.change);
      config.push(u.config);
      continue;
    }
    const type = TYPES[i % TYPES.length];
    const name = `r${i}`;
    const actions = ACTIONS[Math.floor(i / TYPES.length) % ACTIONS.length];
    const base = {
      id: `id-${i}`,
      arn: `arn:aws:svc:eu-west-1:${ACCOUNT}:${type}/${i}`,
      tags: { Name: name },
      is_enabled: true,
      cluster_id: `cluster-${i % 7}`,
      policy: null,
    };
    const before = actions[0] === "create" ? null : base;
    const after =
      actions.includes("delete") && actions.length === 1
        ? null
        : actions[0] === "forget"
          ? null
          : { ...base, tags: { Name: name, Rev: "2" } };
    changes.push({
      address: `${type}.${name}`,
      mode: "managed",
      type,
      name,
      provider_name: "registry.terraform.io/hashicorp/aws",
      change: { actions, before, after, after_unknown: {} },
    });
    const keyRef = `aws_kms_key.r${i - (i % TYPES.length) + 7}`;
    config.push({
      address: `${type}.${name}`,
      mode: "managed",
      type,
      name,
      expressions: { kms_key_id: { references: [`${keyRef}.arn`, keyRef] }, tags: { constant_value: { Name: name } } },
    });
  }
  return {
    format_version: "1.2",
    terraform_version: "1.11.4",
    resource_changes: changes,
    configuration: { root_module: { resources: config } },
    planned_values: { root_module: { resources: [] } },
  };
}

/** Builds the synthetic plan once, classifies it 5 times (graph included), returns the median and the key-policy updates judged. */
export function benchPlanGuard(
  n = 50_000,
  keyPolicyUpdates = 10_000,
): { resources: number; keyPolicyUpdates: number; ms: number } {
  const plan = syntheticPlan(n, keyPolicyUpdates);
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = process.hrtime.bigint();
    classifyPlans([{ stack: "bench", plan }]);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { resources: plan.resource_changes?.length ?? 0, keyPolicyUpdates, ms: Math.round(times[2] * 10) / 10 };
}
