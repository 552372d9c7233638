/**
 * The keys stack maps a shipped environment onto its constructs' props: the dev environment's
 * keys, aliases, policy forms and the EBS default key's service-linked roles. What each construct
 * does with its props is tested alone in test/modules/keys/.
 */
import { environments } from "../../environments";
import { resolveEnvironment } from "../../environments/resolve";
import { only, resources, synthEnvs, variant, type StackJson } from "../helpers/synth";

const { stacks } = synthEnvs({ dev: environments.dev });
const keysStack = stacks["dev-keys"];
const keys = resources(keysStack, "aws_kms_key");
const appKey = Object.entries(keys).find(([id]) => id.includes("appData"))?.[1] as Record<string, unknown>;
const volumesKey = Object.entries(keys).find(([id]) => id.includes("volumes"))?.[1] as Record<string, unknown>;

interface Stmt {
  Sid: string;
  Effect: string;
  Principal: { AWS: string | string[] };
  Action: string | string[];
  Condition?: unknown;
}
const statements = (k: Record<string, unknown>) => (JSON.parse(k.policy as string) as { Statement: Stmt[] }).Statement;
const bySid = (k: Record<string, unknown>, sid: string) => statements(k).find((s) => s.Sid === sid) as Stmt;

test("AWS-KMS keys: symmetric, single-Region, rotation on, prevent_destroy, configured deletion window", () => {
  expect(appKey).toMatchObject({
    customer_master_key_spec: "SYMMETRIC_DEFAULT",
    key_usage: "ENCRYPT_DECRYPT",
    multi_region: false,
    enable_key_rotation: true,
    deletion_window_in_days: 7,
    bypass_policy_lockout_safety_check: false,
    lifecycle: { prevent_destroy: true },
  });
  expect(appKey.custom_key_store_id).toBeUndefined();
  expect(volumesKey.deletion_window_in_days).toBe(30);
});

test("each key gets its alias", () => {
  const aliases = Object.values(resources(keysStack, "aws_kms_alias"))
    .map((a) => a.name)
    .sort();
  expect(aliases).toEqual(["alias/dev/app-data", "alias/dev/ebs", "alias/dev/uploads", "alias/dev/webhook-mac"]);
});

test("a key's extra alias is its own aws_kms_alias on the same key; the primary alias keeps its construct id", () => {
  const all = resources(keysStack, "aws_kms_alias");
  const [primaryId] = Object.entries(all).find(([, a]) => a.name === "alias/dev/app-data") ?? [];
  const [extraId, extra] = Object.entries(all).find(([, a]) => a.name === "alias/dev/uploads") ?? [];
  expect(primaryId).toMatch(/^key-appData_alias_[0-9A-F]{8}$/);
  expect(extraId).toMatch(/^key-appData_alias-dev_2fuploads_[0-9A-F]{8}$/);
  expect(extra?.target_key_id).toBe(all[primaryId as string]?.target_key_id);
});

test("rotation period: stated on every key that rotates, the configured one on appData, AWS's 365 days elsewhere", () => {
  expect(appKey.rotation_period_in_days).toBe(180);
  expect(volumesKey.rotation_period_in_days).toBe(365);
});

test("key policy: root keeps access, admins manage but are denied use, users use but are denied management", () => {
  expect(bySid(appKey, "AccountRootKeepsAccess")).toMatchObject({
    Effect: "Allow",
    Principal: { AWS: "arn:aws:iam::111111111111:root" },
    Action: "kms:*",
  });
  const admin = bySid(appKey, "KeyAdministration");
  expect(admin.Principal.AWS).toEqual(["arn:aws:iam::111111111111:role/KeyAdministrators"]);
  expect(admin.Action).toContain("kms:ScheduleKeyDeletion");
  expect(admin.Action).not.toEqual(expect.arrayContaining(["kms:Decrypt"]));
  expect((admin.Action as string[]).filter((a) => /Encrypt|Decrypt|GenerateDataKey|CreateGrant/.test(a))).toEqual([]);
  expect(bySid(appKey, "AdministratorsCannotUseKey")).toMatchObject({
    Effect: "Deny",
    Action: expect.arrayContaining(["kms:Decrypt", "kms:Encrypt", "kms:CreateGrant"]),
  });
  const use = bySid(appKey, "KeyUse");
  expect(use.Principal.AWS).toEqual(["arn:aws:iam::111111111111:role/AppDataWriters"]);
  expect(use.Action).toEqual(
    expect.arrayContaining(["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]),
  );
  expect(bySid(appKey, "UsersCannotManageKey")).toMatchObject({
    Effect: "Deny",
    Action: expect.arrayContaining(["kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKey"]),
  });
});

test("AWS services use the key only through grants for AWS resources", () => {
  expect(bySid(appKey, "KeyUseByAwsServicesThroughGrants")).toEqual({
    Sid: "KeyUseByAwsServicesThroughGrants",
    Effect: "Allow",
    Principal: { AWS: ["arn:aws:iam::111111111111:role/AppDataWriters"] },
    Action: ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
    Resource: "*",
    Condition: { Bool: { "kms:GrantIsForAWSResource": true } },
  });
});

test("the partition follows the Region (GovCloud root principal)", () => {
  const gov = resolveEnvironment({ ...environments.dev, region: "us-gov-west-1" });
  expect(gov.partition).toBe("aws-us-gov");
});

test("the keys stack pins the provider to the environment's account and Region", () => {
  const provider = (keysStack.provider?.aws as Record<string, unknown>[])[0];
  expect(provider).toMatchObject({ region: "eu-west-1", allowed_account_ids: ["111111111111"] });
  expect(only(keysStack, "aws_vpc")).toMatchObject({
    enable_dns_hostnames: true,
    enable_dns_support: true,
    cidr_block: "10.10.0.0/16",
  });
});

describe("key policy forms", () => {
  const closedDev = variant(environments.dev, { "keys.appData.policy": "closed" });
  const closedKeys = resources(synthEnvs({ dev: closedDev }).stacks["dev-keys"], "aws_kms_key");
  const closedApp = Object.entries(closedKeys).find(([id]) => id.includes("appData"))?.[1] as Record<string, unknown>;
  const closedVolumes = Object.entries(closedKeys).find(([id]) => id.includes("volumes"))?.[1] as Record<
    string,
    unknown
  >;

  test("closed: no account-root statement, administrators keep PutKeyPolicy, the lockout safety check stays on", () => {
    expect(statements(closedApp).map((s) => s.Sid)).toEqual([
      "KeyAdministration",
      "AdministratorsCannotUseKey",
      "KeyUse",
      "KeyUseByAwsServicesThroughGrants",
      "EncryptOnly",
      "EncryptOnlyUsersCannotDecrypt",
      "UsersCannotManageKey",
    ]);
    expect(bySid(closedApp, "KeyAdministration").Action).toContain("kms:PutKeyPolicy");
    expect(closedApp.bypass_policy_lockout_safety_check).toBe(false);
  });
  test("the form is per key: the other key keeps the account form", () => {
    expect(bySid(closedVolumes, "AccountRootKeepsAccess")).toMatchObject({
      Principal: { AWS: "arn:aws:iam::111111111111:root" },
      Action: "kms:*",
    });
  });
  test("npm run config shows the resolved form and the EBS key's service-linked roles", () => {
    const env = resolveEnvironment(closedDev);
    expect([env.keys.appData.policy, env.keys.volumes.policy]).toEqual(["closed", "account"]);
    expect(env.data.ebs).toEqual({
      key: "volumes",
      serviceLinkedRoles: [
        "arn:aws:iam::111111111111:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
      ],
      createServiceLinkedRoles: false,
    });
    expect(resolveEnvironment({ ...environments.dev, region: "us-gov-west-1" }).data.ebs?.serviceLinkedRoles).toEqual([
      "arn:aws-us-gov:iam::111111111111:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
    ]);
  });
});

describe("the EBS default key's service-linked roles", () => {
  const asg = "arn:aws:iam::111111111111:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling";
  const eks =
    "arn:aws:iam::111111111111:role/aws-service-role/eks-nodegroup.amazonaws.com/AWSServiceRoleForAmazonEKSNodegroup_team1";
  const keysOf = (changes: Record<string, unknown>) =>
    synthEnvs({ dev: variant(environments.dev, changes) }).stacks["dev-keys"];
  const volumesKey = (stack: StackJson) =>
    Object.entries(resources(stack, "aws_kms_key")).find(([id]) => id.includes("volumes"))?.[1] as Record<
      string,
      unknown
    >;

  test("by default they are expected to exist: nothing is created", () => {
    const stack = keysOf({});
    expect(resources(stack, "aws_iam_service_linked_role")).toEqual({});
    expect(volumesKey(stack).depends_on).toBeUndefined();
  });
  test("createServiceLinkedRoles creates each (service from the ARN's path, custom suffix after '_') before the EBS key only", () => {
    const stack = keysOf({ "data.ebs.serviceLinkedRoles": [asg, eks], "data.ebs.createServiceLinkedRoles": true });
    const roles = Object.values(resources(stack, "aws_iam_service_linked_role")).map(
      (r) => `${r.aws_service_name as string} ${(r.custom_suffix as string | undefined) ?? "(no suffix)"}`,
    );
    expect(roles.sort()).toEqual(["autoscaling.amazonaws.com (no suffix)", "eks-nodegroup.amazonaws.com team1"]);
    expect(volumesKey(stack).depends_on).toEqual([
      "aws_iam_service_linked_role.service-linked-role-AWSServiceRoleForAutoScaling",
      "aws_iam_service_linked_role.service-linked-role-AWSServiceRoleForAmazonEKSNodegroup_team1",
    ]);
    const appKey = Object.entries(resources(stack, "aws_kms_key")).find(([id]) =>
      id.includes("appData"),
    )?.[1] as Record<string, unknown>;
    expect(appKey.depends_on).toBeUndefined();
  });
});
