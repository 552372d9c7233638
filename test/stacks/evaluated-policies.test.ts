/**
 * What every synthesized key policy and bucket policy allows, decided by an independent IAM
 * evaluator (test/helpers/policy-eval.ts), never by reading the JSON. The shipped environments are
 * synthesized as they are (every key in the default `account` form) and once more with every key
 * `closed`; each key and bucket found in cdktf output gets the whole table.
 */
import { environments } from "../../environments";
import { resolveEnvironment } from "../../environments/resolve";
import type { EnvironmentConfig } from "../../environments/types";
import { synthEnvs, variant, type StackJson } from "../helpers/synth";
import {
  ADMINISTRATOR_ACCESS,
  allowing,
  concretize,
  decide,
  keyArnOf,
  policiesIn,
  stackTarget,
  unknownActions,
  type Decision,
  type PolicyDocument,
} from "../helpers/policy-eval";

const closedVariant = (env: EnvironmentConfig): EnvironmentConfig =>
  variant(
    env,
    Object.fromEntries(
      [
        ...Object.keys(env.keys).map((k) => `keys.${k}.policy`),
        ...Object.keys(env.signingKeys ?? {}).map((k) => `signingKeys.${k}.policy`),
        ...Object.keys(env.macKeys ?? {}).map((k) => `macKeys.${k}.policy`),
      ].map((p) => [p, "closed"]),
    ),
  );

const shipped = synthEnvs(environments).stacks;
const closed = synthEnvs(
  Object.fromEntries(Object.entries(environments).map(([n, e]) => [n, closedVariant(e)])),
).stacks;

interface KeyUnderTest {
  readonly label: string;
  readonly form: "account" | "closed";
  readonly env: string;
  readonly keyName: string;
  readonly account: string;
  readonly partition: string;
  readonly keyArn: string;
  readonly policy: PolicyDocument;
  readonly isEbsDefault: boolean;
}

/** Every aws_kms_key the keys stacks synthesized, with the key's name from its construct path. */
function keysOf(stacks: Record<string, StackJson>, form: "account" | "closed"): KeyUnderTest[] {
  const out: KeyUnderTest[] = [];
  for (const [envName, env] of Object.entries(environments)) {
    const keysStack = stacks[`${envName}-keys`];
    const t = stackTarget(keysStack);
    // Keys with imported material (aws_kms_external_key) carry the same policy plus the importers'.
    for (const [resName, res] of Object.entries({
      ...(keysStack.resource?.aws_kms_key ?? {}),
      ...(keysStack.resource?.aws_kms_external_key ?? {}),
    })) {
      const path = (res["//"] as { metadata: { path: string } }).metadata.path;
      // Signing keys and HMAC keys have their own tables below.
      if (res.key_usage === "SIGN_VERIFY" || res.key_usage === "GENERATE_VERIFY_MAC") continue;
      const keyName = /\/key-([^/]+)\/key$/.exec(path)?.[1] as string;
      // The alarm topic's own key is evaluated below ("alarm topic key and topic policy").
      if (keyName === undefined && /\/alarms\/topic\/key$/.test(path)) continue;
      out.push({
        label: `${form} ${envName}.${keyName}`,
        form,
        env: envName,
        keyName,
        account: t.account,
        partition: t.partition,
        keyArn: keyArnOf(keysStack, resName),
        policy: JSON.parse(res.policy as string) as PolicyDocument,
        isEbsDefault: env.data.ebs?.key === keyName,
      });
    }
  }
  return out;
}

const keys = [...keysOf(shipped, "account"), ...keysOf(closed, "closed")];

test("every configured key of every shipped environment is evaluated, in both forms", () => {
  const expected = Object.entries(environments)
    .flatMap(([e, env]) => Object.keys(env.keys).map((k) => `${e}.${k}`))
    .sort();
  for (const form of ["account", "closed"]) {
    expect(
      keys
        .filter((k) => k.form === form)
        .map((k) => `${k.env}.${k.keyName}`)
        .sort(),
    ).toEqual(expected);
  }
});

interface Row {
  readonly who: string;
  readonly principal: string;
  readonly action: string;
  readonly context?: Record<string, string>;
  readonly identity?: PolicyDocument[];
  readonly expected: Decision;
}

const FOR_AWS = { "kms:GrantIsForAWSResource": "true" };
/** A role of another account, with the IAM policy its own account must attach (key policy + IAM both needed cross-account). */
const externalRole = (partition: string, account: string) => `arn:${partition}:iam::${account}:role/PartnerApp`;
const NOT_FOR_AWS = { "kms:GrantIsForAWSResource": "false" };
const autoScalingRole = (k: KeyUnderTest) =>
  `arn:${k.partition}:iam::${k.account}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`;

/** The table for one key: principals x actions x request context -> decision. */
function rowsFor(k: KeyUnderTest): Row[] {
  const cfg = resolveEnvironment(environments[k.env as keyof typeof environments]).keys[k.keyName];
  const rows: Row[] = [];
  const admin = ADMINISTRATOR_ACCESS;
  for (const a of cfg.administrators) {
    // Even with AdministratorAccess in IAM, a key administrator gets no cryptography and no grants.
    for (const action of [
      "kms:Decrypt",
      "kms:Encrypt",
      "kms:GenerateDataKey",
      "kms:GenerateDataKeyWithoutPlaintext",
      "kms:ReEncryptFrom",
    ]) {
      rows.push({
        who: "administrator with AdministratorAccess",
        principal: a,
        action,
        identity: [admin],
        expected: "ExplicitlyDenied",
      });
    }
    rows.push({
      who: "administrator with AdministratorAccess, grant for a non-AWS resource",
      principal: a,
      action: "kms:CreateGrant",
      context: NOT_FOR_AWS,
      identity: [admin],
      expected: "ExplicitlyDenied",
    });
    rows.push({
      who: "administrator with AdministratorAccess, grant for an AWS resource",
      principal: a,
      action: "kms:CreateGrant",
      context: FOR_AWS,
      identity: [admin],
      expected: "ExplicitlyDenied",
    });
    // The key policy alone lets administrators manage the key (what keeps a closed key manageable).
    for (const action of [
      "kms:PutKeyPolicy",
      "kms:ScheduleKeyDeletion",
      "kms:DisableKey",
      "kms:DescribeKey",
      "kms:TagResource",
    ]) {
      rows.push({ who: "administrator, no IAM policy", principal: a, action, expected: "Allowed" });
    }
  }
  for (const u of cfg.users) {
    for (const action of ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptTo", "kms:DescribeKey"]) {
      rows.push({ who: "user, no IAM policy", principal: u, action, expected: "Allowed" });
    }
    rows.push({
      who: "user, grant for an AWS resource",
      principal: u,
      action: "kms:CreateGrant",
      context: FOR_AWS,
      expected: "Allowed",
    });
    rows.push({
      who: "user, grant for a non-AWS resource",
      principal: u,
      action: "kms:CreateGrant",
      context: NOT_FOR_AWS,
      expected: "ImplicitlyDenied",
    });
    for (const action of [
      "kms:PutKeyPolicy",
      "kms:ScheduleKeyDeletion",
      "kms:DisableKey",
      "kms:CancelKeyDeletion",
      "kms:DeleteAlias",
    ]) {
      rows.push({
        who: "user with AdministratorAccess",
        principal: u,
        action,
        identity: [admin],
        expected: "ExplicitlyDenied",
      });
    }
  }
  for (const u of cfg.encryptOnlyUsers ?? []) {
    for (const action of [
      "kms:Encrypt",
      "kms:GenerateDataKey",
      "kms:GenerateDataKeyWithoutPlaintext",
      "kms:ReEncryptTo",
      "kms:DescribeKey",
    ]) {
      rows.push({ who: "encrypt-only user, no IAM policy", principal: u, action, expected: "Allowed" });
    }
    // Even with AdministratorAccess: no decryption, no grant that could give it, no management.
    for (const action of ["kms:Decrypt", "kms:ReEncryptFrom", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"]) {
      rows.push({
        who: "encrypt-only user with AdministratorAccess",
        principal: u,
        action,
        identity: [admin],
        expected: "ExplicitlyDenied",
      });
    }
    rows.push({
      who: "encrypt-only user with AdministratorAccess, grant for an AWS resource",
      principal: u,
      action: "kms:CreateGrant",
      context: FOR_AWS,
      identity: [admin],
      expected: "ExplicitlyDenied",
    });
  }
  for (const u of cfg.decryptOnlyUsers ?? []) {
    for (const action of ["kms:Decrypt", "kms:ReEncryptFrom", "kms:DescribeKey"])
      rows.push({ who: "decrypt-only user, no IAM policy", principal: u, action, expected: "Allowed" });
    for (const action of ["kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptTo", "kms:PutKeyPolicy"]) {
      rows.push({
        who: "decrypt-only user with AdministratorAccess",
        principal: u,
        action,
        identity: [admin],
        expected: "ExplicitlyDenied",
      });
    }
  }
  for (const ext of cfg.externalAccounts ?? []) {
    const role = externalRole(k.partition, ext.account);
    const use: Decision = ext.allow.includes("use") ? "Allowed" : "ImplicitlyDenied";
    // Cross-account use needs both the key policy and the other account's IAM policy.
    for (const action of ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptTo", "kms:DescribeKey"]) {
      rows.push({
        who: `account ${ext.account}'s role with an IAM policy allowing the action`,
        principal: role,
        action,
        identity: [allowing(action)],
        expected: use,
      });
      rows.push({
        who: `account ${ext.account}'s role without an IAM policy`,
        principal: role,
        action,
        expected: "ImplicitlyDenied",
      });
    }
    // Never management, whatever the other account's IAM says.
    for (const action of [
      "kms:PutKeyPolicy",
      "kms:ScheduleKeyDeletion",
      "kms:DisableKey",
      "kms:CancelKeyDeletion",
      "kms:TagResource",
      "kms:UpdateAlias",
      "kms:EnableKeyRotation",
    ]) {
      rows.push({
        who: `account ${ext.account}'s role with AdministratorAccess`,
        principal: role,
        action,
        identity: [admin],
        expected: "ImplicitlyDenied",
      });
    }
    const grants: Decision = ext.allow.includes("grantsForAwsResources") ? "Allowed" : "ImplicitlyDenied";
    rows.push({
      who: `account ${ext.account}'s role, grant for an AWS resource`,
      principal: role,
      action: "kms:CreateGrant",
      context: FOR_AWS,
      identity: [allowing("kms:CreateGrant")],
      expected: grants,
    });
    rows.push({
      who: `account ${ext.account}'s role, grant for a non-AWS resource`,
      principal: role,
      action: "kms:CreateGrant",
      context: NOT_FOR_AWS,
      identity: [admin],
      expected: "ImplicitlyDenied",
    });
    rows.push({
      who: `account ${ext.account}'s role, grant without the condition key`,
      principal: role,
      action: "kms:CreateGrant",
      identity: [admin],
      expected: "ImplicitlyDenied",
    });
  }
  const other = `arn:${k.partition}:iam::${k.account}:role/CloudAdministrators`;
  const delegated: Decision = k.form === "account" ? "Allowed" : "ImplicitlyDenied";
  for (const action of ["kms:Decrypt", "kms:GenerateDataKey", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"]) {
    rows.push({
      who: "an unlisted identity with AdministratorAccess",
      principal: other,
      action,
      identity: [admin],
      expected: delegated,
    });
  }
  rows.push({
    who: "an unlisted identity without IAM policies",
    principal: other,
    action: "kms:Decrypt",
    expected: "ImplicitlyDenied",
  });
  rows.push({
    who: "another account's administrator",
    principal: "arn:aws:iam::999999999999:role/Admin",
    action: "kms:Decrypt",
    identity: [admin],
    expected: "ImplicitlyDenied",
  });
  // Imported material (BYOK): importers import and prove the key, nothing else; nobody in the
  // account deletes the material, whatever IAM says.
  for (const imp of cfg.importers ?? []) {
    for (const action of [
      "kms:GetParametersForImport",
      "kms:ImportKeyMaterial",
      "kms:RotateKeyOnDemand",
      "kms:Encrypt",
      "kms:Decrypt",
      "kms:DescribeKey",
    ]) {
      rows.push({ who: "importer, no IAM policy", principal: imp, action, expected: "Allowed" });
    }
    for (const action of [
      "kms:PutKeyPolicy",
      "kms:ScheduleKeyDeletion",
      "kms:DisableKey",
      "kms:DeleteImportedKeyMaterial",
    ]) {
      rows.push({
        who: "importer with AdministratorAccess",
        principal: imp,
        action,
        identity: [admin],
        expected: "ExplicitlyDenied",
      });
    }
    rows.push({
      who: "importer with AdministratorAccess, grant for an AWS resource",
      principal: imp,
      action: "kms:CreateGrant",
      context: FOR_AWS,
      identity: [admin],
      expected: "ExplicitlyDenied",
    });
  }
  if (cfg.origin === "external") {
    for (const p of [...cfg.administrators, `arn:${k.partition}:iam::${k.account}:role/CloudAdministrators`]) {
      rows.push({
        who: "anyone in the account with AdministratorAccess",
        principal: p,
        action: "kms:DeleteImportedKeyMaterial",
        identity: [admin],
        expected: "ExplicitlyDenied",
      });
    }
    for (const a of cfg.administrators)
      for (const action of ["kms:GetParametersForImport", "kms:ImportKeyMaterial"])
        rows.push({ who: "administrator, no IAM policy", principal: a, action, expected: "ImplicitlyDenied" });
    for (const u of cfg.users)
      rows.push({
        who: "user, no IAM policy",
        principal: u,
        action: "kms:ImportKeyMaterial",
        expected: "ImplicitlyDenied",
      });
  }
  const asg = autoScalingRole(k);
  if (k.isEbsDefault) {
    // https://docs.aws.amazon.com/autoscaling/ec2/userguide/key-policy-requirements-EBS-encryption.html
    rows.push({
      who: "Auto Scaling service-linked role, grant for an AWS resource",
      principal: asg,
      action: "kms:CreateGrant",
      context: FOR_AWS,
      expected: "Allowed",
    });
    rows.push({
      who: "Auto Scaling service-linked role, grant for a non-AWS resource",
      principal: asg,
      action: "kms:CreateGrant",
      context: NOT_FOR_AWS,
      expected: "ImplicitlyDenied",
    });
    rows.push({
      who: "Auto Scaling service-linked role, grant without the condition key",
      principal: asg,
      action: "kms:CreateGrant",
      expected: "ImplicitlyDenied",
    });
    for (const action of [
      "kms:Decrypt",
      "kms:GenerateDataKeyWithoutPlaintext",
      "kms:ReEncryptFrom",
      "kms:ReEncryptTo",
      "kms:DescribeKey",
      "kms:Encrypt",
      "kms:GenerateDataKey",
    ]) {
      rows.push({ who: "Auto Scaling service-linked role", principal: asg, action, expected: "Allowed" });
    }
    rows.push({
      who: "Auto Scaling service-linked role",
      principal: asg,
      action: "kms:PutKeyPolicy",
      expected: "ExplicitlyDenied",
    });
  } else {
    rows.push({
      who: "Auto Scaling service-linked role on a key that is not the EBS default",
      principal: asg,
      action: "kms:CreateGrant",
      context: FOR_AWS,
      expected: "ImplicitlyDenied",
    });
  }
  return rows;
}

const keyCases = keys.flatMap((k) =>
  rowsFor(k).map(
    (r) => [`${k.label}: ${r.who} ${r.action}${r.context ? ` ${JSON.stringify(r.context)}` : ""}`, k, r] as const,
  ),
);

test.each(keyCases)("key policy %s", async (_label, k, r) => {
  const decision = await decide({
    principal: r.principal,
    action: r.action,
    resource: k.keyArn,
    resourceAccount: k.account,
    context: r.context,
    identityPolicies: r.identity,
    resourcePolicy: k.policy,
  });
  expect(decision).toBe(r.expected);
});

test("the shipped environments exercise encrypt-only users and another account", () => {
  const cfgs = keys.map((k) => resolveEnvironment(environments[k.env as keyof typeof environments]).keys[k.keyName]);
  expect(cfgs.some((c) => c.encryptOnlyUsers?.length)).toBe(true);
  expect(
    cfgs.some((c) =>
      c.externalAccounts?.some((a) => a.allow.includes("use") && a.allow.includes("grantsForAwsResources")),
    ),
  ).toBe(true);
});

// ---- signing keys ----------------------------------------------------------------------------

interface SigningKeyUnderTest {
  readonly label: string;
  readonly env: string;
  readonly keyName: string;
  readonly account: string;
  readonly keyArn: string;
  readonly policy: PolicyDocument;
}

function signingKeysOf(stacks: Record<string, StackJson>, form: "account" | "closed"): SigningKeyUnderTest[] {
  const out: SigningKeyUnderTest[] = [];
  for (const envName of Object.keys(environments)) {
    const keysStack = stacks[`${envName}-keys`];
    for (const [resName, res] of Object.entries(keysStack.resource?.aws_kms_key ?? {})) {
      if (res.key_usage !== "SIGN_VERIFY") continue;
      const keyName = /\/signing-key-([^/]+)\/key$/.exec(
        (res["//"] as { metadata: { path: string } }).metadata.path,
      )?.[1] as string;
      out.push({
        label: `${form} ${envName}.${keyName}`,
        env: envName,
        keyName,
        account: stackTarget(keysStack).account,
        keyArn: keyArnOf(keysStack, resName),
        policy: JSON.parse(res.policy as string) as PolicyDocument,
      });
    }
  }
  return out;
}

const signingKeys = [...signingKeysOf(shipped, "account"), ...signingKeysOf(closed, "closed")];

test("every signing key of every shipped environment is evaluated, in both forms", () => {
  const expected = Object.entries(environments).flatMap(([e, env]) =>
    Object.keys(env.signingKeys ?? {}).map((k) => `${e}.${k}`),
  );
  expect(expected.length).toBeGreaterThan(0);
  expect(signingKeys.map((k) => k.label).sort()).toEqual(
    ["account", "closed"].flatMap((f) => expected.map((e) => `${f} ${e}`)).sort(),
  );
});

function signingRows(k: SigningKeyUnderTest): Row[] {
  const cfg = resolveEnvironment(environments[k.env as keyof typeof environments]).signingKeys?.[k.keyName];
  if (!cfg) throw new Error(`no configuration for ${k.label}`);
  const rows: Row[] = [];
  const only = (who: string, principals: readonly string[], allowed: string) => {
    for (const p of principals) {
      for (const action of [
        "kms:Sign",
        "kms:Verify",
        "kms:GetPublicKey",
        "kms:Decrypt",
        "kms:Encrypt",
        "kms:CreateGrant",
      ]) {
        rows.push({
          who: `${who}, no IAM policy`,
          principal: p,
          action,
          expected: action === allowed ? "Allowed" : "ImplicitlyDenied",
        });
      }
      rows.push({ who: `${who}, no IAM policy`, principal: p, action: "kms:DescribeKey", expected: "Allowed" });
      for (const action of ["kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKey"])
        rows.push({
          who: `${who} with AdministratorAccess`,
          principal: p,
          action,
          identity: [ADMINISTRATOR_ACCESS],
          expected: "ExplicitlyDenied",
        });
    }
  };
  only("signer", cfg.signers, "kms:Sign");
  only("verifier", cfg.verifiers, "kms:Verify");
  only("public-key reader", cfg.publicKeyReaders, "kms:GetPublicKey");
  for (const a of cfg.administrators) {
    for (const action of ["kms:Sign", "kms:Verify", "kms:CreateGrant"])
      rows.push({
        who: "administrator with AdministratorAccess",
        principal: a,
        action,
        identity: [ADMINISTRATOR_ACCESS],
        expected: "ExplicitlyDenied",
      });
    for (const action of ["kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKey"])
      rows.push({ who: "administrator, no IAM policy", principal: a, action, expected: "Allowed" });
  }
  return rows;
}

const signingCases = signingKeys.flatMap((k) =>
  signingRows(k).map((r) => [`${k.label}: ${r.who} ${r.action}`, k, r] as const),
);

test.each(signingCases)("signing key policy %s", async (_label, k, r) => {
  const decision = await decide({
    principal: r.principal,
    action: r.action,
    resource: k.keyArn,
    resourceAccount: k.account,
    context: r.context,
    identityPolicies: r.identity,
    resourcePolicy: k.policy,
  });
  expect(decision).toBe(r.expected);
});

// ---- HMAC keys -------------------------------------------------------------------------------

function macKeysOf(stacks: Record<string, StackJson>, form: "account" | "closed"): SigningKeyUnderTest[] {
  const out: SigningKeyUnderTest[] = [];
  for (const envName of Object.keys(environments)) {
    const keysStack = stacks[`${envName}-keys`];
    for (const [resName, res] of Object.entries(keysStack.resource?.aws_kms_key ?? {})) {
      if (res.key_usage !== "GENERATE_VERIFY_MAC") continue;
      const keyName = /\/mac-key-([^/]+)\/key$/.exec(
        (res["//"] as { metadata: { path: string } }).metadata.path,
      )?.[1] as string;
      out.push({
        label: `${form} ${envName}.${keyName}`,
        env: envName,
        keyName,
        account: stackTarget(keysStack).account,
        keyArn: keyArnOf(keysStack, resName),
        policy: JSON.parse(res.policy as string) as PolicyDocument,
      });
    }
  }
  return out;
}

const macKeys = [...macKeysOf(shipped, "account"), ...macKeysOf(closed, "closed")];

test("every HMAC key of every shipped environment is evaluated, in both forms (dev ships one)", () => {
  const expected = Object.entries(environments).flatMap(([e, env]) =>
    Object.keys(env.macKeys ?? {}).map((k) => `${e}.${k}`),
  );
  expect(expected).toContain("dev.webhooks");
  expect(macKeys.map((k) => k.label).sort()).toEqual(
    ["account", "closed"].flatMap((f) => expected.map((e) => `${f} ${e}`)).sort(),
  );
});

function macRows(k: SigningKeyUnderTest): Row[] {
  const cfg = resolveEnvironment(environments[k.env as keyof typeof environments]).macKeys?.[k.keyName];
  if (!cfg) throw new Error(`no configuration for ${k.label}`);
  const rows: Row[] = [];
  const only = (who: string, principals: readonly string[], allowed: string) => {
    for (const p of principals) {
      for (const action of [
        "kms:GenerateMac",
        "kms:VerifyMac",
        "kms:Decrypt",
        "kms:Encrypt",
        "kms:GenerateDataKey",
        "kms:Sign",
        "kms:CreateGrant",
      ]) {
        rows.push({
          who: `${who}, no IAM policy`,
          principal: p,
          action,
          expected: action === allowed ? "Allowed" : "ImplicitlyDenied",
        });
      }
      rows.push({ who: `${who}, no IAM policy`, principal: p, action: "kms:DescribeKey", expected: "Allowed" });
      for (const action of ["kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKey"])
        rows.push({
          who: `${who} with AdministratorAccess`,
          principal: p,
          action,
          identity: [ADMINISTRATOR_ACCESS],
          expected: "ExplicitlyDenied",
        });
    }
  };
  only("MAC generator", cfg.macGenerators, "kms:GenerateMac");
  only("MAC verifier", cfg.macVerifiers, "kms:VerifyMac");
  for (const a of cfg.administrators) {
    for (const action of ["kms:GenerateMac", "kms:VerifyMac", "kms:CreateGrant"])
      rows.push({
        who: "administrator with AdministratorAccess",
        principal: a,
        action,
        identity: [ADMINISTRATOR_ACCESS],
        expected: "ExplicitlyDenied",
      });
    for (const action of ["kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKey"])
      rows.push({ who: "administrator, no IAM policy", principal: a, action, expected: "Allowed" });
  }
  return rows;
}

const macCases = macKeys.flatMap((k) => macRows(k).map((r) => [`${k.label}: ${r.who} ${r.action}`, k, r] as const));

test.each(macCases)("HMAC key policy %s", async (_label, k, r) => {
  const decision = await decide({
    principal: r.principal,
    action: r.action,
    resource: k.keyArn,
    resourceAccount: k.account,
    context: r.context,
    identityPolicies: r.identity,
    resourcePolicy: k.policy,
  });
  expect(decision).toBe(r.expected);
});

test("the closed form names no account root; the account form does", () => {
  const rootOf = (k: KeyUnderTest) => JSON.stringify(k.policy).includes(`:iam::${k.account}:root`);
  expect(keys.filter((k) => k.form === "closed" && rootOf(k)).map((k) => k.label)).toEqual([]);
  expect(keys.filter((k) => k.form === "account" && !rootOf(k)).map((k) => k.label)).toEqual([]);
});

// ---- bucket policies -------------------------------------------------------------------------

interface BucketUnderTest {
  readonly label: string;
  readonly account: string;
  readonly bucketArn: string;
  readonly policy: PolicyDocument;
  /** The key the bucket's default encryption uses (concretized from the synthesized configuration). */
  readonly defaultKeyArn: string;
}

function bucketsOf(stacks: Record<string, StackJson>): BucketUnderTest[] {
  const out: BucketUnderTest[] = [];
  for (const envName of Object.keys(environments)) {
    const data = stacks[`${envName}-data`];
    const keysStack = stacks[`${envName}-keys`];
    const t = stackTarget(data);
    for (const [name, res] of Object.entries(data.resource?.aws_s3_bucket_policy ?? {})) {
      const bucketRes = /^\$\{aws_s3_bucket\.([\w-]+)\.id\}$/.exec(res.bucket as string)?.[1] as string;
      const bucketName = data.resource?.aws_s3_bucket?.[bucketRes]?.bucket as string;
      const sse = Object.values(data.resource?.aws_s3_bucket_server_side_encryption_configuration ?? {}).find(
        (s) => s.bucket === `\${aws_s3_bucket.${bucketRes}.id}`,
      ) as {
        rule: { apply_server_side_encryption_by_default: { kms_master_key_id: string } }[];
      };
      const defaultKey = concretize(
        {
          Statement: [
            { Effect: "Allow", Resource: sse.rule[0].apply_server_side_encryption_by_default.kms_master_key_id },
          ],
        },
        data,
        keysStack,
      );
      out.push({
        label: `${envName} ${bucketName} (${name})`,
        account: t.account,
        bucketArn: `arn:${t.partition}:s3:::${bucketName}`,
        policy: concretize(JSON.parse(res.policy as string) as PolicyDocument, data, keysStack),
        defaultKeyArn: (defaultKey.Statement as { Resource: string }[])[0].Resource,
      });
    }
  }
  return out;
}

const buckets = bucketsOf(shipped);

test("every configured bucket of every shipped environment has its policy evaluated", () => {
  const expected = Object.values(environments)
    .flatMap((e) => Object.values(e.data.buckets ?? {}).map((b) => b.bucketName))
    .sort();
  expect(buckets.map((b) => b.bucketArn.split(":::")[1]).sort()).toEqual(expected);
});

const TLS = { "aws:SecureTransport": "true" };
const SSE = "s3:x-amz-server-side-encryption";
const KEY_ID = "s3:x-amz-server-side-encryption-aws-kms-key-id";
const SSE_C = "s3:x-amz-server-side-encryption-customer-algorithm";

/** PutObject request contexts and what the bucket policy must decide (docs/keys.md, "S3"). */
function putRows(b: BucketUnderTest): [string, Record<string, string>, Decision][] {
  const keyArn = b.defaultKeyArn;
  const keyId = keyArn.split("/").pop() as string;
  const otherKey = keyArn.replace(/key\/.*$/, "key/00000000-1111-4222-8333-444444444444");
  const aliasArn = keyArn.replace(/key\/.*$/, "alias/some-alias");
  return [
    ["no encryption header (the bucket default applies)", { ...TLS }, "Allowed"],
    ["aws:kms with this key's ARN", { ...TLS, [SSE]: "aws:kms", [KEY_ID]: keyArn }, "Allowed"],
    ["aws:kms without a key id (S3 would use aws/s3)", { ...TLS, [SSE]: "aws:kms" }, "ExplicitlyDenied"],
    ["aws:kms with another key's ARN", { ...TLS, [SSE]: "aws:kms", [KEY_ID]: otherKey }, "ExplicitlyDenied"],
    [
      "aws:kms with this key's bare key id (resolved in the requester's account)",
      { ...TLS, [SSE]: "aws:kms", [KEY_ID]: keyId },
      "ExplicitlyDenied",
    ],
    ["aws:kms with an alias ARN", { ...TLS, [SSE]: "aws:kms", [KEY_ID]: aliasArn }, "ExplicitlyDenied"],
    ["aws:kms with an alias name", { ...TLS, [SSE]: "aws:kms", [KEY_ID]: "alias/some-alias" }, "ExplicitlyDenied"],
    ["SSE-S3 (AES256)", { ...TLS, [SSE]: "AES256" }, "ExplicitlyDenied"],
    ["DSSE-KMS with this key", { ...TLS, [SSE]: "aws:kms:dsse", [KEY_ID]: keyArn }, "ExplicitlyDenied"],
    ["DSSE-KMS without a key id", { ...TLS, [SSE]: "aws:kms:dsse" }, "ExplicitlyDenied"],
    ["SSE-C", { ...TLS, [SSE_C]: "AES256" }, "ExplicitlyDenied"],
    ["another key id without an encryption type", { ...TLS, [KEY_ID]: otherKey }, "ExplicitlyDenied"],
    ["no encryption header over plain HTTP", { "aws:SecureTransport": "false" }, "ExplicitlyDenied"],
    [
      "aws:kms with this key's ARN over plain HTTP",
      { "aws:SecureTransport": "false", [SSE]: "aws:kms", [KEY_ID]: keyArn },
      "ExplicitlyDenied",
    ],
  ];
}

const writer = (b: BucketUnderTest) => `arn:aws:iam::${b.account}:role/ReportWriter`;
const bucketCases = buckets.flatMap((b) =>
  putRows(b).map(([what, ctx, expected]) => [`${b.label}: PutObject with ${what}`, b, ctx, expected] as const),
);

test.each(bucketCases)("bucket policy %s", async (_label, b, context, expected) => {
  const decision = await decide({
    principal: writer(b),
    action: "s3:PutObject",
    resource: `${b.bucketArn}/reports/2026/12/summary.csv`,
    resourceAccount: b.account,
    context,
    identityPolicies: [allowing("s3:PutObject")],
    resourcePolicy: b.policy,
  });
  expect(decision).toBe(expected);
});

test.each(buckets.map((b) => [b.label, b] as const))(
  "bucket policy %s: reads need TLS and nothing else",
  async (_label, b) => {
    const read = (secure: string) =>
      decide({
        principal: writer(b),
        action: "s3:GetObject",
        resource: `${b.bucketArn}/reports/x.csv`,
        resourceAccount: b.account,
        context: { "aws:SecureTransport": secure },
        identityPolicies: [allowing("s3:GetObject")],
        resourcePolicy: b.policy,
      });
    expect(await read("true")).toBe("Allowed");
    expect(await read("false")).toBe("ExplicitlyDenied");
  },
);

// ---- every action name exists ------------------------------------------------------------------

test("every action in every synthesized policy (key, bucket, IAM role and trust policies) exists", async () => {
  const found = [...policiesIn(shipped), ...policiesIn(closed)];
  // The customer keys (imported ones included), the signing keys, the HMAC keys, plus each alarm topic key (shipped and closed forms alike).
  expect(found.filter((p) => p.type === "aws_kms_key" || p.type === "aws_kms_external_key").length).toBe(
    keys.length + signingKeys.length + macKeys.length + 2 * alarmTopics.length,
  );
  expect(found.some((p) => p.type === "aws_iam_role_policy")).toBe(true);
  const unknown: string[] = [];
  for (const p of found)
    for (const a of await unknownActions(p.document)) unknown.push(`${p.stack} ${p.address}: ${a}`);
  expect(unknown).toEqual([]);
});

test("the action check itself notices a misspelt action and a wildcard that matches nothing", async () => {
  expect(
    await unknownActions({
      Statement: [
        {
          Effect: "Allow",
          Action: ["kms:Decrypt", "kms:GenerateDataKey*", "kms:Decrpyt", "kms:Frobnicate*", "nosuchservice:Get"],
          Resource: "*",
        },
      ],
    }),
  ).toEqual(["kms:Decrpyt", "kms:Frobnicate*", "nosuchservice:Get"]);
});

describe("a configured list of service-linked roles replaces the Auto Scaling default", () => {
  const eks =
    "arn:aws:iam::111111111111:role/aws-service-role/eks-nodegroup.amazonaws.com/AWSServiceRoleForAmazonEKSNodegroup";
  const stacks = synthEnvs({ dev: variant(environments.dev, { "data.ebs.serviceLinkedRoles": [eks] }) }).stacks;
  const [volumes] = keysOf({ ...shipped, ...stacks }, "account").filter(
    (k) => k.env === "dev" && k.keyName === "volumes",
  );
  const grant = (principal: string) =>
    decide({
      principal,
      action: "kms:CreateGrant",
      resource: volumes.keyArn,
      resourceAccount: volumes.account,
      context: FOR_AWS,
      resourcePolicy: volumes.policy,
    });
  test("the listed role may create grants for AWS resources; Auto Scaling's, no longer listed, may not", async () => {
    expect(await grant(eks)).toBe("Allowed");
    expect(await grant(autoScalingRole(volumes))).toBe("ImplicitlyDenied");
  });
});

// ---- alarm topic key and topic policy (docs/alarms.md) ---------------------------------------

const alarmTopics = Object.keys(environments).flatMap((envName) => {
  const keysStack = shipped[`${envName}-keys`];
  const t = stackTarget(keysStack);
  const key = Object.entries(keysStack.resource?.aws_kms_key ?? {}).find(([, r]) =>
    /\/alarms\/topic\/key$/.test((r["//"] as { metadata: { path: string } }).metadata.path),
  );
  const topicPolicy = Object.values(keysStack.resource?.aws_sns_topic_policy ?? {})[0];
  if (!key || !topicPolicy) return [];
  return [
    {
      envName,
      ...t,
      keyArn: keyArnOf(keysStack, key[0]),
      keyPolicy: JSON.parse(key[1].policy as string) as PolicyDocument,
      topicPolicy: JSON.parse(topicPolicy.policy as string) as PolicyDocument,
    },
  ];
});

test("the shipped environments with alarms are prod and staging", () => {
  expect(alarmTopics.map((a) => a.envName).sort()).toEqual(["prod", "staging"]);
});

describe.each(alarmTopics)("alarm topic of $envName", (a) => {
  const topicArn = `arn:${a.partition}:sns:${a.region}:${a.account}:${a.envName}-kms-alarms`;
  const alarm = (account: string, name: string) => `arn:${a.partition}:cloudwatch:${a.region}:${account}:alarm:${name}`;
  const cw = (action: string, resource: string, policy: PolicyDocument, alarmArn: string, account = a.account) =>
    decide({
      principal: "cloudwatch.amazonaws.com",
      action,
      resource,
      resourceAccount: a.account,
      resourcePolicy: policy,
      context: { "aws:SourceAccount": account, "aws:SourceArn": alarmArn, "aws:PrincipalIsAWSService": "true" },
    });
  const admin = (action: string, resource: string, policy: PolicyDocument) =>
    decide({
      principal: `arn:${a.partition}:iam::${a.account}:role/CloudAdministrators`,
      action,
      resource,
      resourceAccount: a.account,
      resourcePolicy: policy,
      identityPolicies: [ADMINISTRATOR_ACCESS],
      context: { "aws:PrincipalIsAWSService": "false" },
    });

  test("CloudWatch alarms of the environment encrypt with the key and publish; other accounts' alarms do not", async () => {
    const own = alarm(a.account, `${a.envName}-kms-request-quota`);
    expect(await cw("kms:GenerateDataKey", a.keyArn, a.keyPolicy, own)).toBe("Allowed");
    expect(await cw("kms:Decrypt", a.keyArn, a.keyPolicy, own)).toBe("Allowed");
    expect(await cw("sns:Publish", topicArn, a.topicPolicy, own)).toBe("Allowed");
    expect(
      await cw(
        "kms:GenerateDataKey",
        a.keyArn,
        a.keyPolicy,
        alarm("999999999999", `${a.envName}-kms-x`),
        "999999999999",
      ),
    ).toBe("ImplicitlyDenied");
    expect(
      await cw("sns:Publish", topicArn, a.topicPolicy, alarm("999999999999", `${a.envName}-kms-x`), "999999999999"),
    ).toBe("ImplicitlyDenied");
  });

  test("exactly the alarms the stack creates publish and use the key; another alarm named with the prefix does not", async () => {
    const names = Object.values(shipped[`${a.envName}-keys`].resource?.aws_cloudwatch_metric_alarm ?? {}).map(
      (r) => r.alarm_name as string,
    );
    expect(names.length).toBeGreaterThan(1);
    for (const name of names) {
      expect(await cw("sns:Publish", topicArn, a.topicPolicy, alarm(a.account, name))).toBe("Allowed");
      expect(await cw("kms:GenerateDataKey", a.keyArn, a.keyPolicy, alarm(a.account, name))).toBe("Allowed");
    }
    const forged = alarm(a.account, `${a.envName}-kms-forged-healthy`);
    expect(await cw("sns:Publish", topicArn, a.topicPolicy, forged)).toBe("ImplicitlyDenied");
    expect(await cw("kms:GenerateDataKey", a.keyArn, a.keyPolicy, forged)).toBe("ImplicitlyDenied");
  });

  test("an administrator manages the key but neither decrypts with it nor publishes", async () => {
    expect(await admin("kms:PutKeyPolicy", a.keyArn, a.keyPolicy)).toBe("Allowed");
    expect(await admin("kms:Decrypt", a.keyArn, a.keyPolicy)).toBe("ImplicitlyDenied");
    expect(await admin("sns:Publish", topicArn, a.topicPolicy)).toBe("ExplicitlyDenied");
  });
});
