import { Testing } from "cdktf";
import { EnvironmentStack } from "../../../modules/core/environment-stack";
import { PropsError } from "../../../modules/core/errors";
import { ImportedKey, type ImportedKeyProps } from "../../../modules/keys/imported-key";

const ADMIN = "arn:aws:iam::123456789012:role/KeyAdministrators";
const USER = "arn:aws:iam::123456789012:role/App";
const IMPORTER = "arn:aws:iam::123456789012:role/KeyMaterialCustodians";
const minimal: ImportedKeyProps = {
  name: "archive",
  alias: "alias/test/archive",
  administrators: [ADMIN],
  users: [USER],
  importers: [IMPORTER],
};

interface Synth {
  resource: Record<string, Record<string, Record<string, unknown>>>;
  output: Record<string, { value: string }>;
}
function synth(props: Partial<ImportedKeyProps> = {}): Synth {
  const stack = new EnvironmentStack(Testing.app(), "test", {
    name: "test",
    account: "123456789012",
    region: "eu-west-1",
  });
  new ImportedKey(stack, "key-archive", { ...minimal, ...props });
  return JSON.parse(Testing.synth(stack)) as Synth;
}
const one = (s: Synth, type: string) => Object.values(s.resource[type] ?? {})[0];
const errorLines = (props: Partial<ImportedKeyProps>): readonly string[] => {
  try {
    synth(props);
  } catch (e) {
    if (e instanceof PropsError) return e.lines;
    throw e;
  }
  return [];
};

test("an external key WITHOUT key material: symmetric, single-Region, prevent_destroy, 30-day window, valid_to left to the import step", () => {
  const s = synth();
  const key = one(s, "aws_kms_external_key");
  expect(key).toMatchObject({
    multi_region: false,
    deletion_window_in_days: 30,
    bypass_policy_lockout_safety_check: false,
    description: "Imported customer key archive (test)",
    lifecycle: { prevent_destroy: true, ignore_changes: ["valid_to"] },
    tags: { Name: "test/archive", KeyStore: "aws-kms", KeyOrigin: "EXTERNAL", KeyMaterialValidityDays: "0" },
  });
  expect(key).not.toHaveProperty("key_material_base64");
  expect(key).not.toHaveProperty("valid_to");
  expect(key).not.toHaveProperty("enabled");
  // Symmetric by the provider's default (5.x has no key_spec argument; `npm run validate` plans it).
  expect(key).not.toHaveProperty("key_spec");
  expect(one(s, "aws_kms_alias")).toMatchObject({
    name: "alias/test/archive",
    target_key_id: "${aws_kms_external_key.key-archive_key_99BD6519.id}",
  });
  // No expiry configured: no alarm.
  expect(s.resource.aws_cloudwatch_metric_alarm).toBeUndefined();
  expect(s.output.key_archive_import_command.value).toBe(
    "<export of the 256-bit key from your key manager> | npm run -s hook -- import-key-material --region 'eu-west-1' --key-id '${aws_kms_external_key.key-archive_key_99BD6519.id}'",
  );
});

test("the key policy adds the importers' statement, denies them management, and denies DeleteImportedKeyMaterial to everyone", () => {
  const policy = JSON.parse(one(synth(), "aws_kms_external_key").policy as string) as {
    Statement: { Sid: string; Effect: string; Principal: { AWS: unknown }; Action: unknown }[];
  };
  const sids = policy.Statement.map((st) => st.Sid);
  expect(sids).toEqual([
    "AccountRootKeepsAccess",
    "KeyAdministration",
    "AdministratorsCannotUseKey",
    "KeyUse",
    "KeyUseByAwsServicesThroughGrants",
    "UsersCannotManageKey",
    "KeyMaterialImport",
    "ImportersCannotManageKey",
    "NobodyDeletesImportedMaterial",
  ]);
  const bySid = (sid: string) => policy.Statement.find((st) => st.Sid === sid);
  expect(bySid("KeyMaterialImport")).toMatchObject({
    Effect: "Allow",
    Principal: { AWS: [IMPORTER] },
    Action: [
      "kms:DescribeKey",
      "kms:ListResourceTags",
      "kms:GetParametersForImport",
      "kms:ImportKeyMaterial",
      "kms:RotateKeyOnDemand",
      "kms:ListKeyRotations",
      "kms:Encrypt",
      "kms:Decrypt",
    ],
  });
  expect(bySid("ImportersCannotManageKey")).toMatchObject({
    Effect: "Deny",
    Principal: { AWS: [IMPORTER] },
    Action: expect.arrayContaining([
      "kms:PutKeyPolicy",
      "kms:ScheduleKeyDeletion",
      "kms:DisableKey",
      "kms:CreateGrant",
    ]),
  });
  expect(bySid("NobodyDeletesImportedMaterial")).toEqual({
    Sid: "NobodyDeletesImportedMaterial",
    Effect: "Deny",
    Principal: { AWS: "*" },
    Action: "kms:DeleteImportedKeyMaterial",
    Resource: "*",
  });
  // The administrators never get the import actions.
  expect(JSON.stringify(bySid("KeyAdministration"))).not.toMatch(/Import/);
});

test("expiring material gets a SecondsUntilKeyMaterialExpiration alarm 30 days before, named for its topic, and the command carries --valid-days", () => {
  const s = synth({
    keyMaterialValidityDays: 180,
    alarmTopic: { topicArn: "arn:aws:sns:eu-west-1:123456789012:alarms", alarmNamePrefix: "test-kms-" },
  });
  const alarm = one(s, "aws_cloudwatch_metric_alarm");
  expect(alarm).toMatchObject({
    // The topic's policies admit only alarms named with its prefix.
    alarm_name: "test-kms-key-archive-material-expiry",
    namespace: "AWS/KMS",
    metric_name: "SecondsUntilKeyMaterialExpiration",
    statistic: "Minimum",
    comparison_operator: "LessThanThreshold",
    threshold: 30 * 86400,
    alarm_actions: ["arn:aws:sns:eu-west-1:123456789012:alarms"],
    ok_actions: ["arn:aws:sns:eu-west-1:123456789012:alarms"],
  });
  expect(alarm.dimensions).toEqual({
    KeyId: expect.stringMatching(/^\$\{aws_kms_external_key\.key-archive_key_[0-9A-F]+\.id\}$/),
  });
  expect(s.output.key_archive_import_command.value).toMatch(/ --valid-days 180$/);
  // The import step refuses another --valid-days than this tag.
  expect(one(s, "aws_kms_external_key").tags).toMatchObject({ KeyMaterialValidityDays: "180" });
});

test("short validity: the alarm fires at half the validity; without a topic it only shows in CloudWatch", () => {
  const alarm = one(synth({ keyMaterialValidityDays: 10 }), "aws_cloudwatch_metric_alarm");
  expect(alarm).toMatchObject({ alarm_name: "test-key-archive-material-expiry", threshold: 5 * 86400 });
  expect(alarm.alarm_actions).toBeUndefined();
});

test.each([
  [
    "the deletion window is 45 days",
    { deletionWindowDays: 45 },
    [
      "test/key-archive.deletionWindowDays: 45 is not allowed (7 to 30 days, KMS ScheduleKeyDeletion PendingWindowInDays)",
    ],
  ],
  [
    "there is no importer",
    { importers: [] },
    [
      "test/key-archive.importers: [] is not allowed (at least one principal to import the material, KMS ImportKeyMaterial)",
    ],
  ],
  [
    "an importer is an administrator (case-insensitively)",
    { importers: [ADMIN.toLowerCase()] },
    [
      'test/key-archive.importers.0: "arn:aws:iam::123456789012:role/keyadministrators" is not allowed (an administrator is denied the Encrypt/Decrypt round trip that proves the import, key policy: separation of duties)',
    ],
  ],
  [
    "an importer is a user",
    { importers: [USER] },
    [
      'test/key-archive.importers.0: "arn:aws:iam::123456789012:role/App" is not allowed (importers are denied CreateGrant, which users need for AWS services, key policy: separation of duties)',
    ],
  ],
  [
    "an importer is an encrypt-only user (denied the Decrypt of the round trip)",
    { encryptOnlyUsers: [IMPORTER] },
    [
      `test/key-archive.importers.0: "${IMPORTER}" is not allowed (also in encryptOnlyUsers, which are denied kms:Decrypt: the Encrypt/Decrypt round trip that ends every import would fail, key policy: separation of duties)`,
    ],
  ],
  [
    "an importer is a decrypt-only user (denied the Encrypt of the round trip)",
    { decryptOnlyUsers: [IMPORTER.toUpperCase().replace("ARN:AWS:IAM::", "arn:aws:iam::")] },
    [
      `test/key-archive.importers.0: "${IMPORTER}" is not allowed (also in decryptOnlyUsers, which are denied kms:Encrypt: the Encrypt/Decrypt round trip that ends every import would fail, key policy: separation of duties)`,
    ],
  ],
  [
    "an importer is a service role (denied the CreateGrant the service needs)",
    { serviceRoles: [IMPORTER] },
    [
      `test/key-archive.importers.0: "${IMPORTER}" is not allowed (also in serviceRoles: importers are denied CreateGrant, which the service needs, key policy: separation of duties)`,
    ],
  ],
  [
    "an importer is of another account",
    { importers: ["arn:aws:iam::555555555555:role/KeyMaterialCustodians"] },
    [
      'test/key-archive.importers.0: "arn:aws:iam::555555555555:role/KeyMaterialCustodians" is not allowed (a principal of the key\'s account 123456789012: GetParametersForImport and ImportKeyMaterial work only there, KMS ImportKeyMaterial)',
    ],
  ],
  [
    "the validity is 366 days",
    { keyMaterialValidityDays: 366 },
    ["test/key-archive.keyMaterialValidityDays: 366 is not allowed (1 to 365 days, KMS ImportKeyMaterial ValidTo)"],
  ],
  [
    "a warning is asked for material that does not expire",
    { expiryWarningDays: 10 },
    [
      "test/key-archive.expiryWarningDays: 10 is not allowed (more than 0 and fewer days than keyMaterialValidityDays, which is unset: the material does not expire)",
    ],
  ],
  // The checks every key shares (modules/keys/key-props.ts) apply as they are.
  [
    "the alias is in the AWS namespace",
    { alias: "alias/aws/s3" },
    [
      "test/key-archive.alias: \"alias/aws/s3\" is not allowed ('alias/' then letters, digits, ':', '/', '_', '-', at most 256 chars, not 'alias/aws/...' (reserved for AWS managed keys), KMS CreateAlias AliasName)",
    ],
  ],
  [
    "the users list is empty",
    { users: [] },
    [
      "test/key-archive.users: [] is not allowed (at least one user: a key policy statement without a principal is refused, KMS CreateKey MalformedPolicyDocumentException)",
    ],
  ],
  [
    "several props are wrong (all problems at once)",
    { deletionWindowDays: 3, keyMaterialValidityDays: 0 },
    [
      "test/key-archive.deletionWindowDays: 3 is not allowed (7 to 30 days, KMS ScheduleKeyDeletion PendingWindowInDays)",
      "test/key-archive.keyMaterialValidityDays: 0 is not allowed (1 to 365 days, KMS ImportKeyMaterial ValidTo)",
    ],
  ],
])("fails when %s", (_, props, lines) => {
  expect(errorLines(props as Partial<ImportedKeyProps>)).toEqual(lines);
});

test("grants for consumers are created in the consumer's scope on the key ARN", () => {
  const app = Testing.app();
  const stack = new EnvironmentStack(app, "k", { name: "test", account: "123456789012", region: "eu-west-1" });
  const consumer = new EnvironmentStack(app, "c", { name: "test", account: "123456789012", region: "eu-west-1" });
  const key = new ImportedKey(stack, "key", minimal);
  const grant = key.grantEncryptDecrypt(consumer, "g", USER);
  expect(grant.operationsInput).toEqual([
    "Encrypt",
    "Decrypt",
    "ReEncryptFrom",
    "ReEncryptTo",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "DescribeKey",
  ]);
  expect(grant.keyIdInput).toBe(key.keyArn);
});

test("an imported key shares with another account and has encrypt-only users as a CustomerKey does; the own account is refused", () => {
  const policy = JSON.parse(
    one(
      synth({
        externalAccounts: [{ account: "555555555555", allow: ["use"] }],
        encryptOnlyUsers: ["arn:aws:iam::123456789012:role/Ingest"],
      }),
      "aws_kms_external_key",
    ).policy as string,
  ) as { Statement: { Sid: string; Principal: { AWS: unknown } }[] };
  const sids = policy.Statement.map((s) => s.Sid);
  expect(sids).toEqual(
    expect.arrayContaining([
      "ExternalAccountsUseKey",
      "EncryptOnly",
      "EncryptOnlyUsersCannotDecrypt",
      "KeyMaterialImport",
      "NobodyDeletesImportedMaterial",
    ]),
  );
  expect(policy.Statement.find((s) => s.Sid === "ExternalAccountsUseKey")?.Principal.AWS).toEqual([
    "arn:aws:iam::555555555555:root",
  ]);
  expect(errorLines({ externalAccounts: [{ account: "123456789012", allow: ["use"] }] })).toEqual([
    `test/key-archive.externalAccounts.0.account: "123456789012" is not allowed (the key's own account: list its principals in users, KMS key policies)`,
  ]);
});
