import { App, TerraformStack } from "cdktf";
import { environments } from "../../../environments";
import { ConfigError } from "../../../environments/errors";
import { resolveEnvironment, type ResolvedKey } from "../../../environments/resolve";
import { CustomerKey } from "../../../modules/keys/customer-key";
import { buildKeyPolicy } from "../../../modules/keys/key-policy";
import type { IKeyStore } from "../../../modules/keystores/key-store";
import { only, resources, synthEnvs, variant } from "../../helpers/synth";

const { stacks } = synthEnvs({ dev: environments.dev });
const keysStack = stacks["dev-keys"];
const keys = resources(keysStack, "aws_kms_key");
const appKey = Object.entries(keys).find(([id]) => id.includes("appData"))?.[1] as Record<string, unknown>;
const volumesKey = Object.entries(keys).find(([id]) => id.includes("volumes"))?.[1] as Record<string, unknown>;

interface Stmt { Sid: string; Effect: string; Principal: { AWS: string | string[] }; Action: string | string[]; Condition?: unknown }
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
  const aliases = Object.values(resources(keysStack, "aws_kms_alias")).map((a) => a.name).sort();
  expect(aliases).toEqual(["alias/dev/app-data", "alias/dev/ebs"]);
});

test("key policy: root keeps access, admins manage but are denied use, users use but are denied management", () => {
  expect(bySid(appKey, "AccountRootKeepsAccess")).toMatchObject({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::111111111111:root" }, Action: "kms:*" });
  const admin = bySid(appKey, "KeyAdministration");
  expect(admin.Principal.AWS).toEqual(["arn:aws:iam::111111111111:role/KeyAdministrators"]);
  expect(admin.Action).toContain("kms:ScheduleKeyDeletion");
  expect(admin.Action).not.toEqual(expect.arrayContaining(["kms:Decrypt"]));
  expect((admin.Action as string[]).filter((a) => /Encrypt|Decrypt|GenerateDataKey|CreateGrant/.test(a))).toEqual([]);
  expect(bySid(appKey, "AdministratorsCannotUseKey")).toMatchObject({ Effect: "Deny", Action: expect.arrayContaining(["kms:Decrypt", "kms:Encrypt", "kms:CreateGrant"]) });
  const use = bySid(appKey, "KeyUse");
  expect(use.Principal.AWS).toEqual(["arn:aws:iam::111111111111:role/AppDataWriters"]);
  expect(use.Action).toEqual(expect.arrayContaining(["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]));
  expect(bySid(appKey, "UsersCannotManageKey")).toMatchObject({ Effect: "Deny", Action: expect.arrayContaining(["kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKey"]) });
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

test("policy principals come out sorted, so reordering the role lists is not a plan change", () => {
  const a = buildKeyPolicy({ partition: "aws", account: "1", administrators: ["b", "a"], users: ["d", "c"] });
  const b = buildKeyPolicy({ partition: "aws", account: "1", administrators: ["a", "b"], users: ["c", "d"] });
  expect(JSON.stringify(a)).toBe(JSON.stringify(b));
});

test("the partition follows the Region (GovCloud root principal)", () => {
  const gov = resolveEnvironment({ ...environments.dev, region: "us-gov-west-1" });
  expect(gov.partition).toBe("aws-us-gov");
});

describe("construct-level refusals", () => {
  const env = resolveEnvironment(environments.dev);
  const base: ResolvedKey = env.keys.appData;
  const store: IKeyStore = { kind: "cloudhsm", keyStoreId: "cks-1234567890", readyWhen: [] };
  const build = (config: ResolvedKey, keyStore?: IKeyStore) => () =>
    new CustomerKey(new TerraformStack(new App(), "s"), "k", { name: "appData", config, partition: "aws", account: env.account, keyStore });
  const linesOf = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      if (e instanceof ConfigError) return e.lines;
      throw e;
    }
    return [];
  };

  test("fails when rotation is asked for a key in a custom key store (refused, not passed through)", () => {
    expect(linesOf(build({ ...base, store: "cloudhsm", rotation: true }, store))).toEqual([
      "keys.appData.rotation: true is not allowed (keys in a custom key store cannot rotate automatically, KMS EnableKeyRotation)",
    ]);
  });
  test("fails when a closed key policy has no administrator (nobody could manage the key)", () => {
    expect(linesOf(build({ ...base, policy: "closed", administrators: [] }))).toEqual([
      "keys.appData.administrators: [] is not allowed (at least one administrator for a closed key policy, or nobody could manage the key)",
    ]);
  });
  test("fails when a store key has no key store", () => {
    expect(linesOf(build({ ...base, store: "xks", xksKeyId: "k1", rotation: false }))).toEqual([
      'keys.appData.store: "xks" needs a xks key store, none was given',
    ]);
  });
  test("fails when the key store is of the other kind", () => {
    expect(linesOf(build({ ...base, store: "xks", xksKeyId: "k1", rotation: false }, store))).toEqual([
      'keys.appData.store: "xks" key given a cloudhsm key store',
    ]);
  });
  test("a store key is created in the store, without rotation", () => {
    const stack = new TerraformStack(new App(), "s");
    const key = new CustomerKey(stack, "k", { name: "appData", config: { ...base, store: "cloudhsm", rotation: false }, partition: "aws", account: env.account, keyStore: store });
    expect(key.resource.customKeyStoreIdInput).toBe("cks-1234567890");
    expect(key.resource.enableKeyRotationInput).toBe(false);
  });
});

test("grants for consumers are created in the consumer's stack", () => {
  const app = new App();
  const env = resolveEnvironment(environments.dev);
  const keyStack = new TerraformStack(app, "k");
  const consumer = new TerraformStack(app, "c");
  const key = new CustomerKey(keyStack, "key", { name: "appData", config: env.keys.appData, partition: "aws", account: env.account });
  const grant = key.grantEncryptDecrypt(consumer, "app-grant", "arn:aws:iam::111111111111:role/App");
  expect(TerraformStack.of(grant)).toBe(consumer);
  expect(grant.operationsInput).toEqual(["Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "DescribeKey"]);
  expect(grant.granteePrincipalInput).toBe("arn:aws:iam::111111111111:role/App");
});

test("the keys stack pins the provider to the environment's account and Region", () => {
  const provider = (keysStack.provider?.aws as Record<string, unknown>[])[0];
  expect(provider).toMatchObject({ region: "eu-west-1", allowed_account_ids: ["111111111111"] });
  expect(only(keysStack, "aws_vpc")).toMatchObject({ enable_dns_hostnames: true, enable_dns_support: true, cidr_block: "10.10.0.0/16" });
});

describe("key policy forms", () => {
  const closedDev = variant(environments.dev, { "keys.appData.policy": "closed" });
  const closedKeys = resources(synthEnvs({ dev: closedDev }).stacks["dev-keys"], "aws_kms_key");
  const closedApp = Object.entries(closedKeys).find(([id]) => id.includes("appData"))?.[1] as Record<string, unknown>;
  const closedVolumes = Object.entries(closedKeys).find(([id]) => id.includes("volumes"))?.[1] as Record<string, unknown>;

  test("closed: no account-root statement, administrators keep PutKeyPolicy, the lockout safety check stays on", () => {
    expect(statements(closedApp).map((s) => s.Sid)).toEqual(["KeyAdministration", "AdministratorsCannotUseKey", "KeyUse", "KeyUseByAwsServicesThroughGrants", "EncryptOnly", "EncryptOnlyUsersCannotDecrypt", "UsersCannotManageKey"]);
    expect(bySid(closedApp, "KeyAdministration").Action).toContain("kms:PutKeyPolicy");
    expect(closedApp.bypass_policy_lockout_safety_check).toBe(false);
  });
  test("the form is per key: the other key keeps the account form", () => {
    expect(bySid(closedVolumes, "AccountRootKeepsAccess")).toMatchObject({ Principal: { AWS: "arn:aws:iam::111111111111:root" }, Action: "kms:*" });
  });
  test("npm run config shows the resolved form and the EBS key's service-linked roles", () => {
    const env = resolveEnvironment(closedDev);
    expect([env.keys.appData.policy, env.keys.volumes.policy]).toEqual(["closed", "account"]);
    expect(env.data.ebs).toEqual({ key: "volumes", serviceLinkedRoles: ["arn:aws:iam::111111111111:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"], createServiceLinkedRoles: false });
    expect(resolveEnvironment({ ...environments.dev, region: "us-gov-west-1" }).data.ebs?.serviceLinkedRoles).toEqual([
      "arn:aws-us-gov:iam::111111111111:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
    ]);
  });
});
