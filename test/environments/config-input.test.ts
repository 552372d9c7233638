/**
 * Hostile configuration input (issue 10): unknown fields, wrong JSON types, Terraform templates and
 * CDKTF tokens, and the rules AWS enforces that the first tables missed. Each row: the base
 * environment, the changes, and the exact lines the user must see (all of them, in order).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { environments, loadEnvironmentFile } from "../../environments";
import { asConfigInput, resolveEnvironment } from "../../environments/resolve";
import type { EnvironmentConfig } from "../../environments/types";
import { validationMessages } from "../../environments/validation";
import { closest, editDistance } from "../../environments/validation/suggest";
import { configErrorLines, variant } from "../helpers/synth";

const { dev, staging, prod } = environments;
const messagesFor = (env: EnvironmentConfig) => validationMessages({ [env.name]: env });
const SCHEMA = "configuration schema (schema/environment.schema.json)";
const TEMPLATE =
  "data, not a Terraform template: no '${', '%{' or 'TfToken[' (Terraform would evaluate it at plan time), Terraform string templates";
const SRC_EBS =
  "EC2 ModifyEbsDefaultKmsKeyId / EnableEbsEncryptionByDefault: one setting per account and Region, so each environment's apply would undo the other's (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyEbsDefaultKmsKeyId.html)";

const cases: [string, EnvironmentConfig, Record<string, unknown>, string[]][] = [
  // unknown fields, at every depth, with the closest known name
  [
    "a misspelt key field (rotation stays on otherwise)",
    dev,
    { "keys.appData.rotaton": false },
    ['environments.dev.keys.appData.rotaton: unknown field (did you mean "rotation"?)'],
  ],
  [
    "a shortened key field (the window stays 30 otherwise)",
    dev,
    { "keys.appData.deletionWindow": 7 },
    ['environments.dev.keys.appData.deletionWindow: unknown field (did you mean "deletionWindowDays"?)'],
  ],
  [
    "a misspelt section",
    dev,
    { "data.bukets": {} },
    ['environments.dev.data.bukets: unknown field (did you mean "buckets"?)'],
  ],
  [
    "a field in the wrong case",
    dev,
    { "network.Cidr": "10.10.0.0/16" },
    ['environments.dev.network.Cidr: unknown field (did you mean "cidr"?)'],
  ],
  [
    "a field of another section at the top",
    dev,
    { natGateway: true },
    [
      "environments.dev.natGateway: unknown field (known fields: name, account, region, tags, backend, network, keys, signingKeys, macKeys, cloudHsm, xks, data, hooks, alarms)",
    ],
  ],
  [
    "an unknown field in a list element",
    dev,
    { "network.subnets.1.zone": "eu-west-1b" },
    ["environments.dev.network.subnets.1.zone: unknown field (known fields: az, cidr)"],
  ],
  [
    "an unknown field in a deep object",
    prod,
    { "cloudHsm.adminHost.instancetype": "t3.small" },
    ['environments.prod.cloudHsm.adminHost.instancetype: unknown field (did you mean "instanceType"?)'],
  ],
  [
    "a field of another backend type",
    dev,
    { backend: { type: "local", bucket: "x" } },
    ["environments.dev.backend.bucket: unknown field (known fields: type)"],
  ],
  [
    "a literal credential beside an unknown source",
    staging,
    { "xks.credential": { source: "literal", accessKeyId: "AKIA" } },
    [
      "environments.staging.xks.credential.accessKeyId: unknown field (known fields: source, secretArn)",
      "environments.staging.xks.credential.source: \"literal\" is not allowed ('variable' or 'secretsManager' (never a literal in an environment module), XKS proxy authentication credential)",
    ],
  ],
  // a value the user cannot see in the message: invisible characters written out, a long value shortened
  [
    "a zero-width space in an alias (shown, not hidden)",
    dev,
    { "keys.appData.alias": "alias/dev/app\u200b-data" },
    [
      "environments.dev.keys.appData.alias: \"alias/dev/app\\u200b-data\" is not allowed ('alias/' then letters, digits, ':', '/', '_', '-', at most 256 chars, not 'alias/aws/...' (reserved for AWS managed keys), KMS CreateAlias)",
    ],
  ],
  [
    "a right-to-left override in an alias",
    dev,
    { "keys.appData.alias": "alias/dev/\u202eatad" },
    [
      "environments.dev.keys.appData.alias: \"alias/dev/\\u202eatad\" is not allowed ('alias/' then letters, digits, ':', '/', '_', '-', at most 256 chars, not 'alias/aws/...' (reserved for AWS managed keys), KMS CreateAlias)",
    ],
  ],
  [
    "a 100,000-character alias (one short line)",
    dev,
    { "keys.appData.alias": `alias/${"x".repeat(99994)}` },
    [
      `environments.dev.keys.appData.alias: "alias/${"x".repeat(154)}"... (100000 chars) is not allowed ('alias/' then letters, digits, ':', '/', '_', '-', at most 256 chars, not 'alias/aws/...' (reserved for AWS managed keys), KMS CreateAlias)`,
    ],
  ],
  // a wrong JSON type is one error, never a default
  [
    "trust given as a string (would yield generated trust)",
    prod,
    { "cloudHsm.trust": "provided" },
    [`environments.prod.cloudHsm.trust: "provided" is not allowed (an object, ${SCHEMA})`],
  ],
  [
    "backend given as a string (would yield local state)",
    dev,
    { backend: "cloud" },
    [`environments.dev.backend: "cloud" is not allowed (an object, ${SCHEMA})`],
  ],
  [
    "a CIDR string where a list is expected (would be spread into characters)",
    staging,
    { "network.onPremisesCidrs": "192.168.0.0/16" },
    [`environments.staging.network.onPremisesCidrs: "192.168.0.0/16" is not allowed (a list, ${SCHEMA})`],
  ],
  [
    "a number as a string",
    dev,
    { "hooks.timeoutMinutes": "45" },
    [`environments.dev.hooks.timeoutMinutes: "45" is not allowed (a number, ${SCHEMA})`],
  ],
  [
    "a boolean as a string",
    dev,
    { "keys.appData.rotation": "false" },
    [`environments.dev.keys.appData.rotation: "false" is not allowed (true or false, ${SCHEMA})`],
  ],
  [
    "an account as a number",
    dev,
    { account: 111111111111 },
    [`environments.dev.account: 111111111111 is not allowed (a string, ${SCHEMA})`],
  ],
  [
    "null for a section",
    dev,
    { network: null },
    [`environments.dev.network: null is not allowed (an object, ${SCHEMA})`],
  ],
  [
    "null for a list",
    dev,
    { "network.subnets": null },
    [`environments.dev.network.subnets: null is not allowed (a list, ${SCHEMA})`],
  ],
  [
    "null in a list",
    dev,
    { "keys.appData.administrators": [null] },
    [`environments.dev.keys.appData.administrators.0: null is not allowed (a string, ${SCHEMA})`],
  ],
  [
    "null for a key (its name stays known to the buckets that use it)",
    dev,
    { "keys.appData": null },
    [`environments.dev.keys.appData: null is not allowed (an object, ${SCHEMA})`],
  ],
  [
    "a string where the discriminator is a number",
    prod,
    { "cloudHsm.trust.mode": 3 },
    [`environments.prod.cloudHsm.trust.mode: 3 is not allowed (one of 'generated', 'provided', ${SCHEMA})`],
  ],
  [
    "an unknown mode: the rest of the object is still type-checked",
    dev,
    { "network.mode": "shared", "network.subnets": "x" },
    [
      `environments.dev.network.subnets: "x" is not allowed (a list, ${SCHEMA})`,
      "environments.dev.network.mode: \"shared\" is not allowed ('new' or 'existing', network module)",
    ],
  ],
  [
    "a string for a boolean literal",
    dev,
    { "network.natGateway": "no" },
    [`environments.dev.network.natGateway: "no" is not allowed (one of false, ${SCHEMA})`],
  ],
  [
    "a number for a subnet id",
    dev,
    {
      network: {
        mode: "existing",
        vpcId: "vpc-0123456789abcdef0",
        cidr: "10.10.0.0/16",
        subnets: [
          { id: "subnet-0123456789abcdef0", az: "eu-west-1a", cidr: "10.10.0.0/24" },
          { az: "eu-west-1b", cidr: "10.10.1.0/24", id: 5 },
        ],
      },
    },
    [`environments.dev.network.subnets.1.id: 5 is not allowed (a string, ${SCHEMA})`],
  ],
  [
    "a missing section: one line, not one per field it would hold",
    staging,
    { "xks.publicZone": undefined },
    [`environments.staging.xks.publicZone: (missing) is not allowed (an object, ${SCHEMA})`],
  ],
  [
    "a missing discriminator",
    dev,
    { backend: {} },
    [`environments.dev.backend.type: (missing) is not allowed (one of 'local', 'cloud', 's3', ${SCHEMA})`],
  ],
  // Terraform templates and CDKTF tokens are refused in every string, field names included
  [
    "a Terraform expression in a tag",
    dev,
    { "tags.Owner": '${file("/etc/passwd")}' },
    [`environments.dev.tags.Owner: "\${file(\\"/etc/passwd\\")}" is not allowed (${TEMPLATE})`],
  ],
  [
    "a template directive in a description",
    dev,
    { "keys.appData.description": "%{ if true }x%{ endif }" },
    [`environments.dev.keys.appData.description: "%{ if true }x%{ endif }" is not allowed (${TEMPLATE})`],
  ],
  [
    "a CDKTF token where an ARN is expected (skipped validation before)",
    dev,
    { "keys.appData.administrators.0": "${TfToken[TOKEN.1]}" },
    [`environments.dev.keys.appData.administrators.0: "\${TfToken[TOKEN.1]}" is not allowed (${TEMPLATE})`],
  ],
  [
    "a CDKTF list token",
    dev,
    { "data.buckets.appData.bucketName": "#{TfToken[TOKEN.7]}" },
    [`environments.dev.data.buckets.appData.bucketName: "#{TfToken[TOKEN.7]}" is not allowed (${TEMPLATE})`],
  ],
  [
    "a template in a tag key",
    dev,
    { tags: { "${x}": "y" } },
    [`environments.dev.tags.\${x}: "\${x}" is not allowed (a field name that is ${TEMPLATE})`],
  ],
  // rules AWS enforces
  [
    "a user differing from an administrator only in case (IAM names are case-insensitive)",
    dev,
    { "keys.appData.users": ["arn:aws:iam::111111111111:role/keyadministrators"] },
    [
      'environments.dev.keys.appData.users.0: "arn:aws:iam::111111111111:role/keyadministrators" is not allowed (a principal that is not also an administrator of this key, key policy: separation of duties)',
    ],
  ],
  [
    "a role name over 64 chars",
    dev,
    { "keys.appData.users": [`arn:aws:iam::111111111111:role/${"a".repeat(65)}`] },
    [
      `environments.dev.keys.appData.users.0: "arn:aws:iam::111111111111:role/${"a".repeat(65)}" is not allowed (a role or user name of at most 64 chars and a path of at most 512 chars, IAM quotas: role and user names 64 chars, paths 512 chars)`,
    ],
  ],
  [
    "an administrator ARN of another partition",
    dev,
    { "keys.appData.administrators": ["arn:aws-us-gov:iam::111111111111:role/KeyAdministrators"] },
    [
      'environments.dev.keys.appData.administrators.0: "arn:aws-us-gov:iam::111111111111:role/KeyAdministrators" is not allowed (an ARN in the partition of eu-west-1 (arn:aws:...), ARN partitions)',
    ],
  ],
  [
    "a China Region with aws ARNs",
    dev,
    {
      region: "cn-north-1",
      "network.subnets.0.az": "cn-north-1a",
      "network.subnets.1.az": "cn-north-1b",
      "keys.volumes.administrators": ["arn:aws-cn:iam::111111111111:role/KeyAdministrators"],
      "keys.volumes.users": ["arn:aws-cn:iam::111111111111:role/PlatformOperators"],
      "keys.appData.users": ["arn:aws-cn:iam::111111111111:role/AppDataWriters"],
      "keys.appData.encryptOnlyUsers": ["arn:aws-cn:iam::111111111111:role/AppDataIngest"],
      "macKeys.webhooks.administrators": ["arn:aws-cn:iam::111111111111:role/KeyAdministrators"],
      "macKeys.webhooks.macGenerators": ["arn:aws-cn:iam::111111111111:role/WebhookSender"],
      "macKeys.webhooks.macVerifiers": ["arn:aws-cn:iam::111111111111:role/WebhookGateway"],
      "backend.kmsKeyId": "arn:aws-cn:kms:cn-north-1:111111111111:alias/northwind-dev-tf-state",
      "backend.roleArn": "arn:aws-cn:iam::111111111111:role/TerraformState",
    },
    [
      'environments.dev.keys.appData.administrators.0: "arn:aws:iam::111111111111:role/KeyAdministrators" is not allowed (an ARN in the partition of cn-north-1 (arn:aws-cn:...), ARN partitions)',
    ],
  ],
  [
    "a tag value with characters AWS refuses",
    dev,
    { "tags.Owner": "team<script>" },
    [
      'environments.dev.tags.Owner: "team<script>" is not allowed (letters, digits, spaces and _ . : / = + - @ only, AWS tagging: allowed characters)',
    ],
  ],
  [
    "a tag key with characters AWS refuses",
    dev,
    { tags: { "Cost Centre!": "x" } },
    [
      'environments.dev.tags.Cost Centre!: "Cost Centre!" is not allowed (a tag key of letters, digits, spaces and _ . : / = + - @ only, AWS tagging: allowed characters)',
    ],
  ],
  [
    "the Environment tag overwritten",
    dev,
    { "tags.Environment": "production" },
    [
      'environments.dev.tags.Environment: "production" is not allowed (unset or "dev": the tool sets the Environment tag, tags set by cmk-stacks)',
    ],
  ],
  [
    "the ManagedBy tag overwritten",
    dev,
    { "tags.ManagedBy": "me" },
    [
      'environments.dev.tags.ManagedBy: "me" is not allowed (unset or "cmk-stacks": the tool sets the ManagedBy tag, tags set by cmk-stacks)',
    ],
  ],
  [
    "the Stack tag set (the provider overwrites it per stack)",
    dev,
    { "tags.Stack": "x" },
    [
      'environments.dev.tags.Stack: "x" is not allowed (unset: the tool tags every resource with its stack name, tags set by cmk-stacks)',
    ],
  ],
  [
    "a key name that is not an identifier (construct ids could collide)",
    dev,
    { keys: { "app-data": dev.keys.appData, volumes: dev.keys.volumes }, "data.buckets.appData.key": "volumes" },
    [
      "environments.dev.keys.app-data: \"app-data\" is not allowed (a key name that is an identifier: a letter, then letters, digits or '_', at most 64 chars (it becomes part of construct ids and Terraform names), construct ids)",
    ],
  ],
  [
    "a bucket map name that is not an identifier",
    dev,
    { "data.buckets": { "a/b": { bucketName: "northwind-dev-x-111111111111", key: "appData" } } },
    [
      "environments.dev.data.buckets.a/b: \"a/b\" is not allowed (a bucket name in this map that is an identifier: a letter, then letters, digits or '_', at most 64 chars (it becomes part of construct ids and Terraform names), construct ids)",
    ],
  ],
  [
    "an on-premises range listed twice (two security group rules with one construct id)",
    staging,
    { "network.onPremisesCidrs": ["192.168.0.0/16", "192.168.0.0/16"] },
    [
      'environments.staging.network.onPremisesCidrs.1: "192.168.0.0/16" is not allowed (a range listed once, VPC route tables and security group rules: one per destination)',
    ],
  ],
  [
    "an FSx client range listed twice",
    prod,
    { "data.fsx.clientCidrs": ["10.30.0.0/16", "10.30.0.0/16"] },
    [
      'environments.prod.data.fsx.clientCidrs.1: "10.30.0.0/16" is not allowed (a range listed once, EC2 security group rules: a duplicate rule is refused (InvalidPermission.Duplicate))',
    ],
  ],
  [
    "a certificate path above the repository",
    prod,
    { "cloudHsm.trust.signedCertificateFile": "../elsewhere/cluster.crt" },
    [
      "environments.prod.cloudHsm.trust.signedCertificateFile: \"../elsewhere/cluster.crt\" is not allowed (a path inside the repository (relative, no '..' above it), certificate files are read from the repository)",
    ],
  ],
  [
    "an absolute certificate path",
    prod,
    { "cloudHsm.trust.trustAnchorFile": "/etc/pki/customerCA.crt" },
    [
      "environments.prod.cloudHsm.trust.trustAnchorFile: \"/etc/pki/customerCA.crt\" is not allowed (a path inside the repository (relative, no '..' above it), certificate files are read from the repository)",
    ],
  ],
  [
    "the trust anchor is the cluster certificate file",
    prod,
    { "cloudHsm.trust.trustAnchorFile": "environments/certs/prod/./cluster.crt" },
    [
      "environments.prod.cloudHsm.trust.trustAnchorFile: \"environments/certs/prod/./cluster.crt\" is not allowed (a file other than signedCertificateFile (the trust anchor is the issuing CA's certificate, not the cluster's), CloudHSM InitializeCluster TrustAnchor)",
    ],
  ],
];

describe("fails when", () => {
  test.each(cases)("%s", (_title, base, changes, expected) => {
    expect(messagesFor(variant(base, changes))).toEqual(expected);
  });
});

test("the tool's own tag values may be repeated (the output of npm run config holds them)", () => {
  expect(messagesFor(variant(dev, { "tags.Environment": "dev", "tags.ManagedBy": "cmk-stacks" }))).toEqual([]);
});

describe("across the environments of one synth", () => {
  test("fails when two environments use one bucket name, or one alias in the same account and Region", () => {
    const again = variant(dev, { name: "dev2" });
    expect(validationMessages({ dev, dev2: again })).toEqual([
      'environments.dev2.data.buckets.appData.bucketName: "northwind-dev-app-data-111111111111" is not allowed (a bucket name no other environment uses (environments.dev.data.buckets.appData.bucketName has it), S3 bucket names are globally unique)',
      'environments.dev2.keys.appData.alias: "alias/dev/app-data" is not allowed (an alias no other environment in the same account and Region uses (environments.dev.keys.appData.alias has it), KMS CreateAlias: alias names are unique per account and Region)',
      'environments.dev2.keys.appData.aliases.0: "alias/dev/uploads" is not allowed (an alias no other environment in the same account and Region uses (environments.dev.keys.appData.aliases.0 has it), KMS CreateAlias: alias names are unique per account and Region)',
      'environments.dev2.keys.volumes.alias: "alias/dev/ebs" is not allowed (an alias no other environment in the same account and Region uses (environments.dev.keys.volumes.alias has it), KMS CreateAlias: alias names are unique per account and Region)',
      'environments.dev2.macKeys.webhooks.alias: "alias/dev/webhook-mac" is not allowed (an alias no other environment in the same account and Region uses (environments.dev.macKeys.webhooks.alias has it), KMS CreateAlias: alias names are unique per account and Region)',
      `environments.dev2.data.ebs: "volumes" is not allowed (EBS default encryption set by one environment per account and Region (environments.dev.data.ebs has it), ${SRC_EBS})`,
    ]);
  });

  test("an alias may repeat in another account", () => {
    // The whole environment in another account (its principals too: they may not be of another account).
    const other = {
      ...(JSON.parse(JSON.stringify(dev).replaceAll("111111111111", "999999999999")) as EnvironmentConfig),
      name: "other",
    };
    expect(validationMessages({ dev, other })).toEqual([]);
  });

  test("fails when two environments use one XKS private DNS name (and one key store name in an account and Region)", () => {
    const s2 = variant(staging, {
      name: "s2",
      "data.buckets.records.bucketName": "northwind-s2-records",
      "keys.records.alias": "alias/s2/records",
      "keys.volumes.alias": "alias/s2/ebs",
      "keys.archive.alias": "alias/s2/archive",
      "keys.audit.alias": "alias/s2/audit",
    });
    expect(validationMessages({ staging, s2 })).toEqual([
      'environments.s2.signingKeys.releases.alias: "alias/staging/releases" is not allowed (an alias no other environment in the same account and Region uses (environments.staging.signingKeys.releases.alias has it), KMS CreateAlias: alias names are unique per account and Region)',
      'environments.s2.xks.privateDnsName: "xks.staging.northwind-health.example" is not allowed (a private DNS name no other environment uses (environments.staging.xks.privateDnsName has it), VPC endpoint service private DNS names are unique)',
      'environments.s2.xks.keyStoreName: "staging-xks" is not allowed (a key store name no other environment in the same account and Region uses (environments.staging.xks.keyStoreName has it), KMS CreateCustomKeyStore: names are unique per account and Region)',
      `environments.s2.data.ebs: "volumes" is not allowed (EBS default encryption set by one environment per account and Region (environments.staging.data.ebs has it), ${SRC_EBS})`,
    ]);
  });
});

describe("did you mean", () => {
  test.each([
    ["rotaton", "rotation", 1],
    ["roatation", "rotation", 1],
    ["rotatoin", "rotation", 1],
    ["Rotation", "rotation", 1],
  ])("%s -> %s (distance %d)", (typo, known, d) => {
    expect(editDistance(typo, known)).toBe(d);
    expect(closest(typo, ["alias", "rotation", "users"])).toBe(known);
  });

  test("no suggestion when nothing is close", () => {
    expect(closest("colour", ["alias", "rotation", "users"])).toBeUndefined();
  });
});

describe("ENV_CONFIG files", () => {
  const dir = mkdtempSync(join(tmpdir(), "cmk-envfile-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };

  test("fails when a field appears twice in one object (JSON.parse would keep the last silently)", () => {
    const f = file(
      "dup.json",
      '[{\n  "name": "dev",\n  "keys": {"appData": {"rotation": false,\n    "rotation": true}}\n}]\n',
    );
    expect(configErrorLines(() => loadEnvironmentFile(f))).toEqual([
      `ENV_CONFIG: ${f}: [0].keys.appData.rotation appears more than once (line 4): a JSON reader keeps only the last; keep one`,
    ]);
  });

  test("fails when the path is a directory, with one line", () => {
    expect(configErrorLines(() => loadEnvironmentFile(dir))).toEqual([`ENV_CONFIG: cannot read ${dir}: EISDIR`]);
  });

  test("the output of npm run config reads back as the same environment", () => {
    const resolved = asConfigInput(resolveEnvironment(prod));
    expect(loadEnvironmentFile(file("prod.json", JSON.stringify(resolved, null, 2)))).toEqual([
      JSON.parse(JSON.stringify(resolved)),
    ]);
  });
});
