import { environments } from "../../../environments";
import type { EnvironmentConfig } from "../../../environments/types";
import { validationMessages } from "../../../environments/validation";
import { variant } from "../../helpers/synth";

const { dev, staging, prod } = environments;
const messagesFor = (name: string, env: EnvironmentConfig) => validationMessages({ [name]: env });

test("the shipped environments are valid", () => {
  expect(validationMessages(environments)).toEqual([]);
});

// Each row: the base environment, the changes, and the exact line the user must see.
/** Staging's network as an existing VPC: two subnets on one declared route table, the data centre at 192.168.0.0/16. */
const STAGING_EXISTING_VPC = {
  mode: "existing",
  vpcId: "vpc-0123456789abcdef0",
  cidr: "10.20.0.0/16",
  onPremisesCidrs: ["192.168.0.0/16"],
  subnets: [
    { id: "subnet-0123456789abcdef0", az: "eu-west-1a", cidr: "10.20.0.0/24", routeTableId: "rtb-0123456789abcdef0" },
    { id: "subnet-0123456789abcdef1", az: "eu-west-1b", cidr: "10.20.1.0/24", routeTableId: "rtb-0123456789abcdef0" },
  ],
};

const stateKeyRule = (region: string) =>
  `the ARN of a customer managed KMS key or alias in the state bucket's Region (${region}); required: the state holds the kmsuser password, the XKS credential and TLS private keys in cleartext, S3 backend kms_key_id; S3 SSE-KMS keys must be in the bucket's Region`;

const SCHEMA = "configuration schema (schema/environment.schema.json)";
const TEMPLATE =
  "data, not a Terraform template: no '${', '%{' or 'TfToken[' (Terraform would evaluate it at plan time), Terraform string templates";

const cases: [string, EnvironmentConfig, Record<string, unknown>, string][] = [
  // environment
  [
    "name has uppercase",
    dev,
    { name: "Dev" },
    'environments.dev.name: "Dev" is not allowed ("dev", the name the environment is registered under, stack naming)',
  ],
  [
    "account is not 12 digits",
    dev,
    { account: "12345" },
    'environments.dev.account: "12345" is not allowed (a 12-digit AWS account id, AWS account identifiers)',
  ],
  [
    "region is malformed",
    dev,
    { region: "europe" },
    'environments.dev.region: "europe" is not allowed (an AWS Region code such as eu-west-1, AWS Regions)',
  ],
  [
    "a tag key starts with aws:",
    dev,
    { tags: { "aws:owner": "x" } },
    'environments.dev.tags: {"aws:owner":"x"} is not allowed (at most 40 tags with keys of 1-128 chars, not starting with \'aws:\', AWS tagging: tag keys)',
  ],
  [
    "a tag value is too long",
    dev,
    { "tags.Owner": "x".repeat(300) },
    `environments.dev.tags.Owner: "${"x".repeat(300)}" is not allowed (a string of at most 256 chars, AWS tagging: tag values)`,
  ],
  [
    "hook runner is unknown",
    dev,
    { "hooks.runner": "docker" },
    "environments.dev.hooks.runner: \"docker\" is not allowed ('local' or 'lambda', hook runners)",
  ],
  [
    "hook timeout is too short",
    dev,
    { "hooks.timeoutMinutes": 2 },
    "environments.dev.hooks.timeoutMinutes: 2 is not allowed (5-120 minutes, key store connection can take 20-30 min)",
  ],
  [
    "cloud backend without organization",
    dev,
    { backend: { type: "cloud" } },
    "environments.dev.backend.organization: (missing) is not allowed (an organization name: letters, digits, '_' and '-', Terraform Cloud organizations)",
  ],
  [
    "s3 backend bucket name invalid",
    dev,
    { backend: { type: "s3", bucket: "State_Bucket" } },
    'environments.dev.backend.bucket: "State_Bucket" is not allowed (an S3 bucket name, S3 backend)',
  ],
  [
    "s3 backend without a KMS key (state would hold secrets under S3's own key only)",
    dev,
    { "backend.kmsKeyId": undefined },
    `environments.dev.backend.kmsKeyId: (missing) is not allowed (${stateKeyRule("eu-west-1")})`,
  ],
  [
    "s3 backend with encrypt: false",
    dev,
    { "backend.encrypt": false },
    "environments.dev.backend.encrypt: false is not allowed (true or unset: state holds the kmsuser password, the XKS credential and TLS private keys in cleartext, S3 backend encrypt)",
  ],
  [
    "s3 backend KMS key in another Region than the bucket",
    dev,
    { "backend.kmsKeyId": "arn:aws:kms:us-east-1:111111111111:alias/northwind-dev-tf-state" },
    `environments.dev.backend.kmsKeyId: "arn:aws:kms:us-east-1:111111111111:alias/northwind-dev-tf-state" is not allowed (${stateKeyRule("eu-west-1")})`,
  ],
  [
    "s3 backend KMS key in the environment's Region, bucket elsewhere",
    dev,
    { "backend.region": "eu-central-1" },
    `environments.dev.backend.kmsKeyId: "arn:aws:kms:eu-west-1:111111111111:alias/northwind-dev-tf-state" is not allowed (${stateKeyRule("eu-central-1")})`,
  ],
  [
    "s3 backend KMS key is the AWS managed aws/s3 key",
    dev,
    { "backend.kmsKeyId": "arn:aws:kms:eu-west-1:111111111111:alias/aws/s3" },
    `environments.dev.backend.kmsKeyId: "arn:aws:kms:eu-west-1:111111111111:alias/aws/s3" is not allowed (${stateKeyRule("eu-west-1")})`,
  ],
  [
    "s3 backend KMS key given as a bare alias name",
    dev,
    { "backend.kmsKeyId": "alias/northwind-dev-tf-state" },
    `environments.dev.backend.kmsKeyId: "alias/northwind-dev-tf-state" is not allowed (${stateKeyRule("eu-west-1")})`,
  ],
  [
    "s3 backend KMS key given as a bare key id",
    staging,
    { "backend.kmsKeyId": "1234abcd-12ab-34cd-56ef-1234567890ab" },
    `environments.staging.backend.kmsKeyId: "1234abcd-12ab-34cd-56ef-1234567890ab" is not allowed (${stateKeyRule("eu-west-1")})`,
  ],
  [
    "s3 backend role is not a role ARN",
    dev,
    { "backend.roleArn": "arn:aws:iam::111111111111:user/terraform" },
    'environments.dev.backend.roleArn: "arn:aws:iam::111111111111:user/terraform" is not allowed (an IAM role ARN (arn:aws:iam::<account>:role/<name>), S3 backend assume_role.role_arn)',
  ],
  [
    "s3 backend role in another partition",
    dev,
    { "backend.roleArn": "arn:aws-cn:iam::111111111111:role/TerraformState" },
    'environments.dev.backend.roleArn: "arn:aws-cn:iam::111111111111:role/TerraformState" is not allowed (an IAM role ARN (arn:aws:iam::<account>:role/<name>), S3 backend assume_role.role_arn)',
  ],
  [
    "s3 backend KMS key in another partition",
    dev,
    { "backend.kmsKeyId": "arn:aws-us-gov:kms:eu-west-1:111111111111:alias/northwind-dev-tf-state" },
    `environments.dev.backend.kmsKeyId: "arn:aws-us-gov:kms:eu-west-1:111111111111:alias/northwind-dev-tf-state" is not allowed (${stateKeyRule("eu-west-1")})`,
  ],
  // Every shape of a backend that would store the state's secrets unencrypted (or not under the team's key) is refused.
  [
    "s3 backend KMS key null",
    dev,
    { "backend.kmsKeyId": null },
    `environments.dev.backend.kmsKeyId: null is not allowed (a string, ${SCHEMA})`,
  ],
  [
    "s3 backend KMS key a number",
    dev,
    { "backend.kmsKeyId": 42 },
    `environments.dev.backend.kmsKeyId: 42 is not allowed (a string, ${SCHEMA})`,
  ],
  [
    "s3 backend KMS key a list",
    dev,
    { "backend.kmsKeyId": ["arn:aws:kms:eu-west-1:111111111111:alias/northwind-dev-tf-state"] },
    `environments.dev.backend.kmsKeyId: ["arn:aws:kms:eu-west-1:111111111111:alias/northwind-dev-tf-state"] is not allowed (a string, ${SCHEMA})`,
  ],
  [
    "s3 backend KMS key empty",
    dev,
    { "backend.kmsKeyId": "" },
    `environments.dev.backend.kmsKeyId: "" is not allowed (${stateKeyRule("eu-west-1")})`,
  ],
  [
    "s3 backend KMS key with a trailing newline",
    dev,
    { "backend.kmsKeyId": "arn:aws:kms:eu-west-1:111111111111:alias/northwind-dev-tf-state\n" },
    `environments.dev.backend.kmsKeyId: "arn:aws:kms:eu-west-1:111111111111:alias/northwind-dev-tf-state\\n" is not allowed (${stateKeyRule("eu-west-1")})`,
  ],
  [
    "s3 backend KMS key a Terraform expression",
    dev,
    { "backend.kmsKeyId": "${aws_kms_key.state.arn}" },
    `environments.dev.backend.kmsKeyId: "\${aws_kms_key.state.arn}" is not allowed (${TEMPLATE})`,
  ],
  [
    "s3 backend KMS key ARN with an expression inside",
    dev,
    { "backend.kmsKeyId": "arn:aws:kms:eu-west-1:111111111111:alias/${var.x}" },
    `environments.dev.backend.kmsKeyId: "arn:aws:kms:eu-west-1:111111111111:alias/\${var.x}" is not allowed (${TEMPLATE})`,
  ],
  [
    "s3 backend KMS key under its Terraform name",
    dev,
    {
      "backend.kmsKeyId": undefined,
      "backend.kms_key_id": "arn:aws:kms:eu-west-1:111111111111:alias/northwind-dev-tf-state",
    },
    'environments.dev.backend.kms_key_id: unknown field (did you mean "kmsKeyId"?)',
  ],
  [
    "s3 backend encrypt null",
    dev,
    { "backend.encrypt": null },
    `environments.dev.backend.encrypt: null is not allowed (true or false, ${SCHEMA})`,
  ],
  [
    "s3 backend encrypt the string false",
    dev,
    { "backend.encrypt": "false" },
    `environments.dev.backend.encrypt: "false" is not allowed (true or false, ${SCHEMA})`,
  ],
  [
    "s3 backend encrypt 0",
    dev,
    { "backend.encrypt": 0 },
    `environments.dev.backend.encrypt: 0 is not allowed (true or false, ${SCHEMA})`,
  ],
  ["backend null", dev, { backend: null }, `environments.dev.backend: null is not allowed (an object, ${SCHEMA})`],
  [
    "backend type S3 (case)",
    dev,
    { "backend.type": "S3" },
    `environments.dev.backend.type: "S3" is not allowed ('local', 'cloud' or 's3', Terraform backends)`,
  ],
  [
    "s3 backend role a Terraform expression",
    dev,
    { "backend.roleArn": "${var.role}" },
    `environments.dev.backend.roleArn: "\${var.role}" is not allowed (${TEMPLATE})`,
  ],
  // network
  [
    "network mode unknown",
    dev,
    { "network.mode": "shared" },
    "environments.dev.network.mode: \"shared\" is not allowed ('new' or 'existing', network module)",
  ],
  [
    "VPC CIDR too large",
    dev,
    { "network.cidr": "10.0.0.0/8" },
    'environments.dev.network.cidr: "10.0.0.0/8" is not allowed (an IPv4 CIDR between /16 and /28 (network address), Amazon VPC: IPv4 CIDR blocks /16-/28)',
  ],
  [
    "VPC CIDR is not a network address",
    dev,
    { "network.cidr": "10.10.0.1/16" },
    'environments.dev.network.cidr: "10.10.0.1/16" is not allowed (an IPv4 CIDR between /16 and /28 (network address), Amazon VPC: IPv4 CIDR blocks /16-/28)',
  ],
  [
    "only one subnet",
    dev,
    { "network.subnets": [{ az: "eu-west-1a", cidr: "10.10.0.0/24" }] },
    'environments.dev.network.subnets: [{"az":"eu-west-1a","cidr":"10.10.0.0/24"}] is not allowed (a list of at least 2 subnets, CloudHSM, NLB and XKS need subnets in at least 2 AZs)',
  ],
  [
    "two subnets in one AZ",
    dev,
    {
      "network.subnets": [
        { az: "eu-west-1a", cidr: "10.10.0.0/24" },
        { az: "eu-west-1a", cidr: "10.10.1.0/24" },
      ],
    },
    'environments.dev.network.subnets: ["eu-west-1a"] is not allowed (subnets in at least 2 distinct AZs, CloudHSM, NLB and XKS need subnets in at least 2 AZs)',
  ],
  [
    "subnet AZ in another Region",
    dev,
    { "network.subnets.1.az": "us-east-1b" },
    'environments.dev.network.subnets.1.az: "us-east-1b" is not allowed (an AZ of the environment\'s Region, EC2 Availability Zones)',
  ],
  [
    "subnet outside the VPC",
    dev,
    { "network.subnets.1.cidr": "10.11.1.0/24" },
    'environments.dev.network.subnets.1.cidr: "10.11.1.0/24" is not allowed (a range inside the VPC CIDR 10.10.0.0/16, Amazon VPC: subnet CIDR blocks)',
  ],
  [
    "subnets overlap",
    dev,
    { "network.subnets.1.cidr": "10.10.0.0/25" },
    'environments.dev.network.subnets.1.cidr: "10.10.0.0/25" is not allowed (a range that does not overlap network.subnets.0.cidr 10.10.0.0/24, Amazon VPC: subnet CIDR blocks)',
  ],
  [
    "subnet overlaps on-premises",
    dev,
    { "network.onPremisesCidrs": ["10.10.1.0/24"] },
    'environments.dev.network.subnets.1.cidr: "10.10.1.0/24" is not allowed (a range that does not overlap the on-premises range 10.10.1.0/24, on-premises address plan)',
  ],
  [
    "VPC overlaps on-premises",
    staging,
    { "network.onPremisesCidrs": ["10.0.0.0/8"] },
    'environments.staging.network.onPremisesCidrs.0: "10.0.0.0/8" is not allowed (a range that does not overlap the VPC CIDR 10.20.0.0/16, XKS over PrivateLink: VPC CIDR must not overlap the data centre)',
  ],
  [
    "on-premises range malformed",
    dev,
    { "network.onPremisesCidrs": ["192.168.0.0/33"] },
    'environments.dev.network.onPremisesCidrs.0: "192.168.0.0/33" is not allowed (an IPv4 CIDR (network address), on-premises address plan)',
  ],
  [
    "NAT gateway asked for",
    dev,
    { "network.natGateway": true },
    "environments.dev.network.natGateway: true is not allowed (false (key infrastructure has no public subnets), network module)",
  ],
  [
    "existing VPC id malformed",
    dev,
    {
      network: {
        mode: "existing",
        vpcId: "vpc-xyz",
        cidr: "10.10.0.0/16",
        subnets: [
          { id: "subnet-0123456789abcdef0", az: "eu-west-1a", cidr: "10.10.0.0/24" },
          { id: "subnet-0123456789abcdef1", az: "eu-west-1b", cidr: "10.10.1.0/24" },
        ],
      },
    },
    'environments.dev.network.vpcId: "vpc-xyz" is not allowed (a VPC id (vpc- and 8 or 17 hex chars), EC2 resource ids)',
  ],
  [
    "existing subnet without id",
    dev,
    {
      network: {
        mode: "existing",
        vpcId: "vpc-0123456789abcdef0",
        cidr: "10.10.0.0/16",
        subnets: [
          { az: "eu-west-1a", cidr: "10.10.0.0/24" },
          { id: "subnet-0123456789abcdef1", az: "eu-west-1b", cidr: "10.10.1.0/24" },
        ],
      },
    },
    "environments.dev.network.subnets.0.id: (missing) is not allowed (a subnet id (subnet- and 8 or 17 hex chars), EC2 resource ids)",
  ],
  // keys
  [
    "deletion window too long",
    dev,
    { "keys.appData.deletionWindowDays": 45 },
    "environments.dev.keys.appData.deletionWindowDays: 45 is not allowed (7-30 days, KMS ScheduleKeyDeletion)",
  ],
  [
    "deletion window too short",
    dev,
    { "keys.appData.deletionWindowDays": 3 },
    "environments.dev.keys.appData.deletionWindowDays: 3 is not allowed (7-30 days, KMS ScheduleKeyDeletion)",
  ],
  [
    "alias without prefix",
    dev,
    { "keys.appData.alias": "app-data" },
    "environments.dev.keys.appData.alias: \"app-data\" is not allowed ('alias/' then letters, digits, ':', '/', '_', '-', at most 256 chars, not 'alias/aws/...' (reserved for AWS managed keys), KMS CreateAlias)",
  ],
  [
    "alias in the AWS namespace",
    dev,
    { "keys.appData.alias": "alias/aws/s3" },
    "environments.dev.keys.appData.alias: \"alias/aws/s3\" is not allowed ('alias/' then letters, digits, ':', '/', '_', '-', at most 256 chars, not 'alias/aws/...' (reserved for AWS managed keys), KMS CreateAlias)",
  ],
  [
    "alias with a space",
    dev,
    { "keys.appData.alias": "alias/app data" },
    "environments.dev.keys.appData.alias: \"alias/app data\" is not allowed ('alias/' then letters, digits, ':', '/', '_', '-', at most 256 chars, not 'alias/aws/...' (reserved for AWS managed keys), KMS CreateAlias)",
  ],
  [
    "duplicate aliases",
    dev,
    { "keys.volumes.alias": "alias/dev/app-data" },
    'environments.dev.keys.appData.alias: "alias/dev/app-data" is not allowed (an alias no other key uses, KMS CreateAlias: alias names are unique per account and Region)',
  ],
  [
    "no administrators",
    dev,
    { "keys.appData.administrators": [] },
    "environments.dev.keys.appData.administrators: [] is not allowed (at least one IAM role or user ARN, key policy: separation of duties)",
  ],
  [
    "administrator is not an ARN",
    dev,
    { "keys.appData.administrators": ["KeyAdmins"] },
    'environments.dev.keys.appData.administrators.0: "KeyAdmins" is not allowed (an IAM role or user ARN (arn:aws:iam::<account>:role/<name>), IAM ARNs)',
  ],
  [
    "user is a wildcard",
    dev,
    { "keys.appData.users": ["*"] },
    'environments.dev.keys.appData.users.0: "*" is not allowed (an IAM role or user ARN (arn:aws:iam::<account>:role/<name>), IAM ARNs)',
  ],
  [
    "admin is also a user",
    dev,
    { "keys.appData.users": ["arn:aws:iam::111111111111:role/KeyAdministrators"] },
    'environments.dev.keys.appData.users.0: "arn:aws:iam::111111111111:role/KeyAdministrators" is not allowed (a principal that is not also an administrator of this key, key policy: separation of duties)',
  ],
  [
    "unknown key store",
    dev,
    { "keys.appData.store": "hsm" },
    "environments.dev.keys.appData.store: \"hsm\" is not allowed ('aws-kms', 'cloudhsm' or 'xks', KMS key origins)",
  ],
  [
    "cloudhsm key without a cluster",
    dev,
    { "keys.appData.store": "cloudhsm" },
    "environments.dev.keys.appData.store: \"cloudhsm\" is not allowed ('cloudhsm' only when the environment has a cloudHsm section, KMS CreateKey CustomKeyStoreId)",
  ],
  [
    "rotation on a store key",
    prod,
    { "keys.fileShares.rotation": true },
    "environments.prod.keys.fileShares.rotation: true is not allowed (false or unset for keys in a custom key store (automatic rotation is not supported there), KMS EnableKeyRotation: custom key stores)",
  ],
  [
    "xks key without external key id",
    staging,
    { "keys.records.xksKeyId": undefined },
    "environments.staging.keys.records.xksKeyId: (missing) is not allowed (1-128 chars of letters, digits, '-', '_', '.', KMS CreateKey XksKeyId)",
  ],
  [
    "external key id with a slash",
    staging,
    { "keys.records.xksKeyId": "a/b" },
    "environments.staging.keys.records.xksKeyId: \"a/b\" is not allowed (1-128 chars of letters, digits, '-', '_', '.', KMS CreateKey XksKeyId)",
  ],
  [
    "key policy form unknown",
    dev,
    { "keys.appData.policy": "open" },
    "environments.dev.keys.appData.policy: \"open\" is not allowed ('account' (the account root keeps kms:*, IAM may grant use) or 'closed' (only the listed administrators and users), KMS key policies: default key policy)",
  ],
  [
    "external key id on an aws-kms key",
    dev,
    { "keys.appData.xksKeyId": "k1" },
    "environments.dev.keys.appData.xksKeyId: \"k1\" is not allowed (unset unless store is 'xks', KMS CreateKey XksKeyId)",
  ],
  [
    "no keys",
    dev,
    { keys: {} },
    "environments.dev.keys: {} is not allowed (an object with at least one key, environment contract)",
  ],
  // imported key material (origin external)
  [
    "origin unknown",
    dev,
    { "keys.appData.origin": "imported" },
    "environments.dev.keys.appData.origin: \"imported\" is not allowed ('aws-kms' (KMS generates the material) or 'external' (imported by an operator), KMS CreateKey Origin)",
  ],
  [
    "external origin in a custom key store",
    staging,
    {
      "keys.records.origin": "external",
      "keys.records.importers": ["arn:aws:iam::222222222222:role/KeyMaterialCustodians"],
    },
    "environments.staging.keys.records.origin: \"external\" is not allowed ('external' only with store 'aws-kms' (keys in a custom key store cannot hold imported material), KMS ImportKeyMaterial: not for keys in a custom key store)",
  ],
  [
    "automatic rotation of imported material",
    staging,
    { "keys.archive.rotation": true },
    "environments.staging.keys.archive.rotation: true is not allowed (false or unset for imported key material (origin 'external': rotate on demand with new material, docs/byok.md), KMS EnableKeyRotation: not for imported key material)",
  ],
  [
    "external key without importers",
    staging,
    { "keys.archive.importers": undefined },
    "environments.staging.keys.archive.importers: (missing) is not allowed (at least one IAM role or user ARN (who imports the material), KMS ImportKeyMaterial: key policy)",
  ],
  [
    "importer is not an ARN",
    staging,
    { "keys.archive.importers": ["Custodians"] },
    'environments.staging.keys.archive.importers.0: "Custodians" is not allowed (an IAM role or user ARN (arn:aws:iam::<account>:role/<name>), IAM ARNs)',
  ],
  [
    "importer is an administrator",
    staging,
    { "keys.archive.importers": ["arn:aws:iam::222222222222:role/keyadministrators"] },
    'environments.staging.keys.archive.importers.0: "arn:aws:iam::222222222222:role/keyadministrators" is not allowed (a principal that is not also an administrator of this key (administrators are denied the Encrypt/Decrypt round trip), key policy: separation of duties)',
  ],
  [
    "importer is a user",
    staging,
    { "keys.archive.importers": ["arn:aws:iam::222222222222:role/ArchiveService"] },
    'environments.staging.keys.archive.importers.0: "arn:aws:iam::222222222222:role/ArchiveService" is not allowed (a principal that is not also a user of this key (importers are denied CreateGrant, which users need for AWS services), key policy: separation of duties)',
  ],
  [
    "importers on a KMS-generated key",
    dev,
    { "keys.appData.importers": ["arn:aws:iam::111111111111:role/Custodians"] },
    "environments.dev.keys.appData.importers: [\"arn:aws:iam::111111111111:role/Custodians\"] is not allowed (unset unless origin is 'external', KMS ImportKeyMaterial)",
  ],
  [
    "material valid more than 365 days",
    staging,
    { "keys.archive.keyMaterialValidityDays": 400 },
    "environments.staging.keys.archive.keyMaterialValidityDays: 400 is not allowed (1-365 days, KMS ImportKeyMaterial ValidTo (at most 365 days from the request))",
  ],
  [
    "material validity of 0 days",
    staging,
    { "keys.archive.keyMaterialValidityDays": 0 },
    "environments.staging.keys.archive.keyMaterialValidityDays: 0 is not allowed (1-365 days, KMS ImportKeyMaterial ValidTo (at most 365 days from the request))",
  ],
  [
    "material validity on a KMS-generated key",
    dev,
    { "keys.appData.keyMaterialValidityDays": 30 },
    "environments.dev.keys.appData.keyMaterialValidityDays: 30 is not allowed (unset unless origin is 'external', KMS ImportKeyMaterial ExpirationModel)",
  ],
  // consumers
  [
    "bucket name with uppercase",
    dev,
    { "data.buckets.appData.bucketName": "Northwind-Data" },
    "environments.dev.data.buckets.appData.bucketName: \"Northwind-Data\" is not allowed (3-63 chars of lowercase letters, digits, '.' and '-', starting and ending with a letter or digit, no '..', not an IP address, no prefix xn--/sthree-/amzn-s3-demo-, no suffix -s3alias/--ol-s3/.mrap/--x-s3, S3 bucket naming rules)",
  ],
  [
    "bucket name is an IP address",
    dev,
    { "data.buckets.appData.bucketName": "192.168.1.10" },
    "environments.dev.data.buckets.appData.bucketName: \"192.168.1.10\" is not allowed (3-63 chars of lowercase letters, digits, '.' and '-', starting and ending with a letter or digit, no '..', not an IP address, no prefix xn--/sthree-/amzn-s3-demo-, no suffix -s3alias/--ol-s3/.mrap/--x-s3, S3 bucket naming rules)",
  ],
  [
    "bucket name with a reserved suffix",
    dev,
    { "data.buckets.appData.bucketName": "northwind-data-s3alias" },
    "environments.dev.data.buckets.appData.bucketName: \"northwind-data-s3alias\" is not allowed (3-63 chars of lowercase letters, digits, '.' and '-', starting and ending with a letter or digit, no '..', not an IP address, no prefix xn--/sthree-/amzn-s3-demo-, no suffix -s3alias/--ol-s3/.mrap/--x-s3, S3 bucket naming rules)",
  ],
  [
    "bucket name with a reserved prefix",
    dev,
    { "data.buckets.appData.bucketName": "xn--northwind" },
    "environments.dev.data.buckets.appData.bucketName: \"xn--northwind\" is not allowed (3-63 chars of lowercase letters, digits, '.' and '-', starting and ending with a letter or digit, no '..', not an IP address, no prefix xn--/sthree-/amzn-s3-demo-, no suffix -s3alias/--ol-s3/.mrap/--x-s3, S3 bucket naming rules)",
  ],
  [
    "bucket name with '..'",
    dev,
    { "data.buckets.appData.bucketName": "northwind..data" },
    "environments.dev.data.buckets.appData.bucketName: \"northwind..data\" is not allowed (3-63 chars of lowercase letters, digits, '.' and '-', starting and ending with a letter or digit, no '..', not an IP address, no prefix xn--/sthree-/amzn-s3-demo-, no suffix -s3alias/--ol-s3/.mrap/--x-s3, S3 bucket naming rules)",
  ],
  [
    "bucket names clash",
    dev,
    { "data.buckets.copy": { bucketName: "northwind-dev-app-data-111111111111", key: "appData" } },
    'environments.dev.data.buckets.appData.bucketName: "northwind-dev-app-data-111111111111" is not allowed (a name no other bucket uses, S3 bucket names are globally unique)',
  ],
  [
    "bucket key unknown",
    dev,
    { "data.buckets.appData.key": "missing" },
    'environments.dev.data.buckets.appData.key: "missing" is not allowed (the name of a key in keys (appData, volumes), S3 SSE-KMS)',
  ],
  [
    "EBS key unknown",
    dev,
    { "data.ebs.key": "nope" },
    'environments.dev.data.ebs.key: "nope" is not allowed (the name of a key in keys (appData, volumes), EC2 ModifyEbsDefaultKmsKeyId)',
  ],
  [
    "EBS service-linked roles not a list",
    dev,
    { "data.ebs.serviceLinkedRoles": "AWSServiceRoleForAutoScaling" },
    'environments.dev.data.ebs.serviceLinkedRoles: "AWSServiceRoleForAutoScaling" is not allowed (a list, configuration schema (schema/environment.schema.json))',
  ],
  [
    "EBS service-linked role listed twice",
    dev,
    {
      "data.ebs.serviceLinkedRoles": [
        "arn:aws:iam::111111111111:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
        "arn:aws:iam::111111111111:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
      ],
    },
    'environments.dev.data.ebs.serviceLinkedRoles: ["arn:aws:iam::111111111111:role/aws-service-role/autoscaling.amazonaws.com/A... is not allowed (a list of distinct service-linked role ARNs, EC2 Auto Scaling: key policy for EBS encryption)',
  ],
  [
    "creating service-linked roles is not a boolean",
    dev,
    { "data.ebs.createServiceLinkedRoles": "yes" },
    'environments.dev.data.ebs.createServiceLinkedRoles: "yes" is not allowed (true or false, configuration schema (schema/environment.schema.json))',
  ],
  [
    "EBS service-linked role in another account",
    dev,
    {
      "data.ebs.serviceLinkedRoles": [
        "arn:aws:iam::999999999999:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
      ],
    },
    'environments.dev.data.ebs.serviceLinkedRoles.0: "arn:aws:iam::999999999999:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling" is not allowed (a service-linked role ARN of this account and partition (arn:aws:iam::111111111111:role/aws-service-role/<service>.amazonaws.com/<name>), EC2 Auto Scaling: key policy for EBS encryption)',
  ],
  [
    "EBS service-linked role in another partition",
    dev,
    {
      "data.ebs.serviceLinkedRoles": [
        "arn:aws-cn:iam::111111111111:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
      ],
    },
    'environments.dev.data.ebs.serviceLinkedRoles.0: "arn:aws-cn:iam::111111111111:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling" is not allowed (a service-linked role ARN of this account and partition (arn:aws:iam::111111111111:role/aws-service-role/<service>.amazonaws.com/<name>), EC2 Auto Scaling: key policy for EBS encryption)',
  ],
  [
    "EBS service-linked role is an ordinary role",
    dev,
    { "data.ebs.serviceLinkedRoles": ["arn:aws:iam::111111111111:role/PlatformOperators"] },
    'environments.dev.data.ebs.serviceLinkedRoles.0: "arn:aws:iam::111111111111:role/PlatformOperators" is not allowed (a service-linked role ARN of this account and partition (arn:aws:iam::111111111111:role/aws-service-role/<service>.amazonaws.com/<name>), EC2 Auto Scaling: key policy for EBS encryption)',
  ],
  [
    "FSx storage below the minimum",
    prod,
    { "data.fsx.storageCapacityGiB": 512 },
    "environments.prod.data.fsx.storageCapacityGiB: 512 is not allowed (1024-524288 GiB for 1 HA pair(s), FSx for ONTAP CreateFileSystem)",
  ],
  [
    "FSx throughput not offered for the type",
    prod,
    { "data.fsx.throughputPerHaPair": 384 },
    "environments.prod.data.fsx.throughputPerHaPair: 384 is not allowed (one of 128, 256, 512, 1024, 2048, 4096 MB/s for MULTI_AZ_1, FSx for ONTAP CreateFileSystem)",
  ],
  [
    "FSx multi-AZ with one subnet",
    prod,
    { "data.fsx.subnetAzs": ["eu-west-1a"] },
    'environments.prod.data.fsx.subnetAzs: ["eu-west-1a"] is not allowed (exactly 2 distinct AZs for a multi-AZ file system, FSx for ONTAP CreateFileSystem)',
  ],
  [
    "FSx preferred AZ not among its subnets",
    prod,
    { "data.fsx.preferredAz": "eu-west-1c" },
    'environments.prod.data.fsx.preferredAz: "eu-west-1c" is not allowed (one of data.fsx.subnetAzs, FSx for ONTAP CreateFileSystem)',
  ],
  [
    "FSx multi-AZ with 2 HA pairs",
    prod,
    { "data.fsx.haPairs": 2 },
    "environments.prod.data.fsx.haPairs: 2 is not allowed (1 for MULTI_AZ_1, FSx for ONTAP CreateFileSystem)",
  ],
  [
    "FSx subnet AZ without a subnet",
    prod,
    { "data.fsx.subnetAzs": ["eu-west-1a", "eu-west-1d"], "data.fsx.preferredAz": "eu-west-1a" },
    'environments.prod.data.fsx.subnetAzs.1: "eu-west-1d" is not allowed (an AZ with a subnet in network.subnets (eu-west-1a, eu-west-1b, eu-west-1c), FSx for ONTAP CreateFileSystem)',
  ],
  [
    "FSx backup retention too long",
    prod,
    { "data.fsx.automaticBackupRetentionDays": 120 },
    "environments.prod.data.fsx.automaticBackupRetentionDays: 120 is not allowed (0-90 days, FSx for ONTAP CreateFileSystem)",
  ],
  [
    "FSx SINGLE_AZ_2 throughput",
    prod,
    {
      "data.fsx.deploymentType": "SINGLE_AZ_2",
      "data.fsx.subnetAzs": ["eu-west-1a"],
      "data.fsx.throughputPerHaPair": 512,
    },
    "environments.prod.data.fsx.throughputPerHaPair: 512 is not allowed (one of 1536, 3072, 6144 MB/s for SINGLE_AZ_2, FSx for ONTAP CreateFileSystem)",
  ],
  // cloudhsm
  [
    "HSM type unknown",
    prod,
    { "cloudHsm.hsmType": "hsm3.large" },
    "environments.prod.cloudHsm.hsmType: \"hsm3.large\" is not allowed ('hsm1.medium' or 'hsm2m.medium', CloudHSM CreateCluster HsmType)",
  ],
  [
    "NON_FIPS on hsm1.medium",
    prod,
    { "cloudHsm.hsmType": "hsm1.medium", "cloudHsm.mode": "NON_FIPS" },
    "environments.prod.cloudHsm.mode: \"NON_FIPS\" is not allowed ('FIPS' for hsm1.medium (only hsm2m.medium clusters have a mode), CloudHSM CreateCluster Mode)",
  ],
  [
    "adopted HSM not among the cluster's HSMs",
    prod,
    { "cloudHsm.adoptHsms": { "eu-west-1d-1": "hsm-newnewnewnew" } },
    "environments.prod.cloudHsm.adoptHsms.eu-west-1d-1: \"hsm-newnewnewnew\" is not allowed (an entry named after an HSM in hsmAzs, '<az>-<n>' for the n-th HSM in that AZ (eu-west-1a-1, eu-west-1b-1, eu-west-1c-1), not 'eu-west-1d-1', the HSM addresses HsmCluster synthesizes)",
  ],
  [
    "adopted HSM id malformed",
    prod,
    { "cloudHsm.adoptHsms": { "eu-west-1b-1": "i-0123456789abcdef0" } },
    'environments.prod.cloudHsm.adoptHsms.eu-west-1b-1: "i-0123456789abcdef0" is not allowed (an HSM id (hsm- followed by 11-16 letters and digits 2-7), CloudHSM DescribeClusters HsmId)',
  ],
  [
    "HSMs in one AZ",
    prod,
    { "cloudHsm.hsmAzs": ["eu-west-1a", "eu-west-1a"] },
    'environments.prod.cloudHsm.hsmAzs: ["eu-west-1a","eu-west-1a"] is not allowed (2-28 AZs, at least 2 of them distinct (a key store needs 2 active HSMs in different AZs), KMS CreateCustomKeyStore; CloudHSM quotas)',
  ],
  [
    "HSM in an AZ without a subnet",
    prod,
    { "cloudHsm.hsmAzs": ["eu-west-1a", "eu-west-1d"] },
    'environments.prod.cloudHsm.hsmAzs.1: "eu-west-1d" is not allowed (an AZ with a subnet in network.subnets (eu-west-1a, eu-west-1b, eu-west-1c), CloudHSM CreateHsm AvailabilityZone)',
  ],
  [
    "CLI package over plain http",
    prod,
    { "cloudHsm.adminHost": { cliPackage: "http://mirror.example/cloudhsm-cli.rpm" } },
    'environments.prod.cloudHsm.adminHost.cliPackage: "http://mirror.example/cloudhsm-cli.rpm" is not allowed (an https:// URL or an s3://<bucket>/<key> object ending in .rpm, without spaces or quotes, dnf install / aws s3 cp in the admin host\'s user data)',
  ],
  [
    "CLI package with a quote (would break the boot script)",
    prod,
    { "cloudHsm.adminHost": { cliPackage: "s3://mirror/cli'.rpm" } },
    "environments.prod.cloudHsm.adminHost.cliPackage: \"s3://mirror/cli'.rpm\" is not allowed (an https:// URL or an s3://<bucket>/<key> object ending in .rpm, without spaces or quotes, dnf install / aws s3 cp in the admin host's user data)",
  ],
  [
    "backup retention too short",
    prod,
    { "cloudHsm.backupRetentionDays": 3 },
    "environments.prod.cloudHsm.backupRetentionDays: 3 is not allowed (7-379 days, CloudHSM BackupRetentionPolicy)",
  ],
  [
    "key store name empty",
    prod,
    { "cloudHsm.keyStoreName": "" },
    'environments.prod.cloudHsm.keyStoreName: "" is not allowed (1-256 chars, KMS CreateCustomKeyStore CustomKeyStoreName)',
  ],
  [
    "trust mode unknown",
    prod,
    { "cloudHsm.trust": { mode: "imported" } },
    "environments.prod.cloudHsm.trust.mode: \"imported\" is not allowed ('generated' or 'provided', cluster trust modes)",
  ],
  [
    "provided trust with only a certificate",
    prod,
    { "cloudHsm.trust.trustAnchorFile": undefined },
    "environments.prod.cloudHsm.trust.trustAnchorFile: (missing) is not allowed (set together with the other file (both absent on the first apply, both present on the second), CloudHSM InitializeCluster)",
  ],
  [
    "key store names clash",
    prod,
    { "xks.keyStoreName": "prod-cloudhsm" },
    'environments.prod.xks.keyStoreName: "prod-cloudhsm" is not allowed (a name different from cloudHsm.keyStoreName, KMS CreateCustomKeyStore: names are unique per account and Region)',
  ],
  // xks
  [
    "URI path without the XKS suffix",
    staging,
    { "xks.uriPath": "/northwind/kms/v1" },
    'environments.staging.xks.uriPath: "/northwind/kms/v1" is not allowed (10-128 chars matching /<prefix>/kms/xks/v<1-2 digits> or /kms/xks/v<1-2 digits> (version 1: ends /kms/xks/v1), KMS CreateCustomKeyStore XksProxyUriPath)',
  ],
  [
    "URI path with a query",
    staging,
    { "xks.uriPath": "/p/kms/xks/v1?x=1" },
    'environments.staging.xks.uriPath: "/p/kms/xks/v1?x=1" is not allowed (10-128 chars matching /<prefix>/kms/xks/v<1-2 digits> or /kms/xks/v<1-2 digits> (version 1: ends /kms/xks/v1), KMS CreateCustomKeyStore XksProxyUriPath)',
  ],
  [
    "private DNS name with a port",
    staging,
    { "xks.privateDnsName": "xks.staging.northwind-health.example:8443" },
    'environments.staging.xks.privateDnsName: "xks.staging.northwind-health.example:8443" is not allowed (a lowercase DNS name such as xks.example.com, VPC endpoint service private DNS name)',
  ],
  [
    "private DNS name too long for the URI endpoint",
    staging,
    {
      "xks.privateDnsName": `${"a".repeat(60)}.${"b".repeat(60)}.staging.northwind-health.example`,
      "xks.publicZone.domain": "staging.northwind-health.example",
    },
    `environments.staging.xks.privateDnsName: "${"a".repeat(60)}.${"b".repeat(60)}.staging.northwind-health.example" is not allowed (a name whose URI endpoint https://<name> is 10-128 chars of letters, digits, '.' and '-', KMS CreateCustomKeyStore XksProxyUriEndpoint)`,
  ],
  [
    "private DNS name outside the public zone",
    staging,
    { "xks.privateDnsName": "xks.northwind.example" },
    'environments.staging.xks.privateDnsName: "xks.northwind.example" is not allowed (a subdomain of the public zone\'s domain staging.northwind-health.example (domain ownership is verified with a TXT record there), VPC endpoint service private DNS name verification)',
  ],
  [
    "hosted zone id malformed",
    staging,
    { "xks.publicZone.id": "zone-1" },
    'environments.staging.xks.publicZone.id: "zone-1" is not allowed (a Route 53 hosted zone id (Z followed by letters and digits), Route 53 hosted zone ids)',
  ],
  [
    "one proxy target",
    staging,
    { "xks.proxyTargets": ["192.168.10.11"] },
    'environments.staging.xks.proxyTargets: ["192.168.10.11"] is not allowed (at least 2 proxy addresses (KMS needs a redundant proxy fleet), XKS proxy availability; NLB target group)',
  ],
  [
    "public proxy target",
    staging,
    { "xks.proxyTargets": ["192.168.10.11", "8.8.8.8"] },
    'environments.staging.xks.proxyTargets.1: "8.8.8.8" is not allowed (a private IPv4 address (10/8, 172.16/12, 192.168/16 or 100.64/10), NLB IP targets outside the VPC)',
  ],
  [
    "IPv6 proxy target",
    staging,
    { "xks.proxyTargets": ["192.168.10.11", "fd00::1"] },
    'environments.staging.xks.proxyTargets.1: "fd00::1" is not allowed (a private IPv4 address (10/8, 172.16/12, 192.168/16 or 100.64/10), NLB IP targets outside the VPC)',
  ],
  [
    "proxy target inside the VPC",
    staging,
    { "xks.proxyTargets": ["192.168.10.11", "10.20.5.5"] },
    'environments.staging.xks.proxyTargets.1: "10.20.5.5" is not allowed (an on-premises address outside the VPC CIDR 10.20.0.0/16, XKS over PrivateLink)',
  ],
  [
    "proxy target outside the on-premises ranges",
    staging,
    { "xks.proxyTargets": ["192.168.10.11", "172.16.0.5"] },
    'environments.staging.xks.proxyTargets.1: "172.16.0.5" is not allowed (an address inside network.onPremisesCidrs (192.168.0.0/16), XKS over PrivateLink)',
  ],
  [
    "xks without on-premises ranges",
    staging,
    { "network.onPremisesCidrs": undefined },
    "environments.staging.network.onPremisesCidrs: (missing) is not allowed (the data centre ranges that hold the XKS proxies (needed with xks), XKS: VPC CIDR must not overlap the key manager's network)",
  ],
  [
    "credential as a literal",
    staging,
    { "xks.credential": { source: "literal", accessKeyId: "AKIA" } },
    "environments.staging.xks.credential.source: \"literal\" is not allowed ('variable' or 'secretsManager' (never a literal in an environment module), XKS proxy authentication credential)",
  ],
  [
    "credential secret in another account",
    prod,
    { "xks.credential.secretArn": "arn:aws:secretsmanager:eu-west-1:999999999999:secret:x-AbCdEf" },
    'environments.prod.xks.credential.secretArn: "arn:aws:secretsmanager:eu-west-1:999999999999:secret:x-AbCdEf" is not allowed (a Secrets Manager secret ARN in the environment\'s account and Region, Secrets Manager ARNs)',
  ],
  [
    "health check interval too short",
    staging,
    { "xks.healthCheck": { intervalSeconds: 1 } },
    "environments.staging.xks.healthCheck.intervalSeconds: 1 is not allowed (5-300 seconds, ELB target group health checks)",
  ],
  [
    "health check path on TCP",
    staging,
    { "xks.healthCheck": { protocol: "TCP", path: "/health" } },
    "environments.staging.xks.healthCheck.path: \"/health\" is not allowed (a path starting with '/' (at most 1024 chars), HTTPS only, ELB target group health checks)",
  ],
  // reachability: the XKS load balancer's path to the data centre (issue 9, item 7)
  [
    "xks in a new VPC with no on-premises connection",
    staging,
    { "network.onPremisesConnection": undefined },
    'environments.staging.network.onPremisesConnection: (missing) is not allowed (a route from the subnets to network.onPremisesCidrs for the XKS load balancer: set { type: "transitGateway", transitGatewayId: "tgw-..." } or { type: "vpnGateway" }, XKS over PrivateLink: without it every proxy is unreachable (XKS_PROXY_NOT_REACHABLE))',
  ],
  [
    "prod's xks with no on-premises connection",
    prod,
    { "network.onPremisesConnection": undefined },
    'environments.prod.network.onPremisesConnection: (missing) is not allowed (a route from the subnets to network.onPremisesCidrs for the XKS load balancer: set { type: "transitGateway", transitGatewayId: "tgw-..." } or { type: "vpnGateway" }, XKS over PrivateLink: without it every proxy is unreachable (XKS_PROXY_NOT_REACHABLE))',
  ],
  [
    "xks in an existing VPC with no on-premises connection",
    staging,
    {
      network: STAGING_EXISTING_VPC,
    },
    'environments.staging.network.onPremisesConnection: (missing) is not allowed (a route from the subnets to network.onPremisesCidrs for the XKS load balancer: set { type: "existingRoutes" } (checked on each subnets[].routeTableId at plan time), XKS over PrivateLink: without it every proxy is unreachable (XKS_PROXY_NOT_REACHABLE))',
  ],
  [
    "existing-routes connection on a new VPC",
    staging,
    { "network.onPremisesConnection": { type: "existingRoutes" } },
    "environments.staging.network.onPremisesConnection.type: \"existingRoutes\" is not allowed ('transitGateway' or 'vpnGateway' for a new VPC, Amazon VPC routing to on-premises networks (transit gateway, virtual private gateway))",
  ],
  [
    "transit gateway connection on an existing VPC",
    staging,
    {
      network: {
        ...STAGING_EXISTING_VPC,
        onPremisesConnection: { type: "transitGateway", transitGatewayId: "tgw-0123456789abcdef0" },
      },
    },
    "environments.staging.network.onPremisesConnection.type: \"transitGateway\" is not allowed ('existingRoutes' for an existing VPC (its routes to the data centre are checked at plan time), Amazon VPC routing to on-premises networks (transit gateway, virtual private gateway))",
  ],
  [
    "transit gateway without its id",
    staging,
    { "network.onPremisesConnection": { type: "transitGateway" } },
    "environments.staging.network.onPremisesConnection.transitGatewayId: (missing) is not allowed (a transit gateway id (tgw- and 8 or 17 hex chars), EC2 resource ids)",
  ],
  [
    "transit gateway id malformed",
    staging,
    { "network.onPremisesConnection.transitGatewayId": "tgw-xyz" },
    'environments.staging.network.onPremisesConnection.transitGatewayId: "tgw-xyz" is not allowed (a transit gateway id (tgw- and 8 or 17 hex chars), EC2 resource ids)',
  ],
  [
    "VPN gateway id malformed",
    staging,
    { "network.onPremisesConnection": { type: "vpnGateway", vpnGatewayId: "tgw-0123456789abcdef0" } },
    'environments.staging.network.onPremisesConnection.vpnGatewayId: "tgw-0123456789abcdef0" is not allowed (a virtual private gateway id (vgw- and 8 or 17 hex chars), EC2 resource ids)',
  ],
  [
    "VPN gateway connection with a transit gateway id",
    staging,
    { "network.onPremisesConnection.type": "vpnGateway" },
    "environments.staging.network.onPremisesConnection.transitGatewayId: unknown field (known fields: type, vpnGatewayId)",
  ],
  [
    "on-premises connection without ranges",
    dev,
    { "network.onPremisesConnection": { type: "vpnGateway" } },
    "environments.dev.network.onPremisesCidrs: (missing) is not allowed (at least one data centre range when network.onPremisesConnection is set (the ranges routed to it), Amazon VPC routing to on-premises networks (transit gateway, virtual private gateway))",
  ],
  [
    "existing subnet without its route table (xks)",
    staging,
    {
      network: {
        ...STAGING_EXISTING_VPC,
        onPremisesConnection: { type: "existingRoutes" },
        subnets: [
          { id: "subnet-0123456789abcdef0", az: "eu-west-1a", cidr: "10.20.0.0/24" },
          {
            id: "subnet-0123456789abcdef1",
            az: "eu-west-1b",
            cidr: "10.20.1.0/24",
            routeTableId: "rtb-0123456789abcdef0",
          },
        ],
      },
    },
    "environments.staging.network.subnets.0.routeTableId: (missing) is not allowed (the id of the route table the subnet uses (rtb- and 8 or 17 hex chars), needed with xks, cloudHsm or onPremisesConnection, Amazon VPC route tables: a subnet uses its explicit association or the main route table)",
  ],
  [
    "existing subnet route table malformed",
    staging,
    {
      network: {
        ...STAGING_EXISTING_VPC,
        onPremisesConnection: { type: "existingRoutes" },
      },
      "network.subnets.1.routeTableId": "rtb-1",
    },
    'environments.staging.network.subnets.1.routeTableId: "rtb-1" is not allowed (the id of the route table the subnet uses (rtb- and 8 or 17 hex chars), needed with xks, cloudHsm or onPremisesConnection, Amazon VPC route tables: a subnet uses its explicit association or the main route table)',
  ],
  // reachability: the CloudHSM admin host's way to get the CLI (issue 9, item 6)
  [
    "CloudHSM with the default CLI download and no NAT",
    prod,
    { "cloudHsm.adminHost": undefined },
    "environments.prod.cloudHsm.adminHost.cliPackage: (missing) is not allowed (an s3://<bucket>/<key>.rpm copy of the CloudHSM CLI in a bucket in eu-west-1 (read through the S3 gateway endpoint), or set cloudHsm.adminHost.amiId with cliPreinstalled: true: the default https download needs a NAT path and this network has none, CloudHSM admin host: private subnets without NAT reach only AWS endpoints and this Region's S3)",
  ],
  [
    "CloudHSM with an https CLI download and no NAT",
    prod,
    { "cloudHsm.adminHost.cliPackage": "https://mirror.example/cloudhsm-cli.rpm" },
    'environments.prod.cloudHsm.adminHost.cliPackage: "https://mirror.example/cloudhsm-cli.rpm" is not allowed (an s3://<bucket>/<key>.rpm copy of the CloudHSM CLI in a bucket in eu-west-1 (read through the S3 gateway endpoint), or set cloudHsm.adminHost.amiId with cliPreinstalled: true: an https:// download needs a NAT path and this network has none, CloudHSM admin host: private subnets without NAT reach only AWS endpoints and this Region\'s S3)',
  ],
  [
    "CloudHSM with a custom AMI not declared to have the CLI",
    prod,
    { "cloudHsm.adminHost": { amiId: "ami-0123456789abcdef0" } },
    "environments.prod.cloudHsm.adminHost.cliPackage: (missing) is not allowed (an s3://<bucket>/<key>.rpm copy of the CloudHSM CLI in a bucket in eu-west-1 (read through the S3 gateway endpoint), or set cloudHsm.adminHost.amiId with cliPreinstalled: true: the default https download needs a NAT path and this network has none, CloudHSM admin host: private subnets without NAT reach only AWS endpoints and this Region's S3)",
  ],
  [
    "CLI preinstalled on the default image",
    prod,
    { "cloudHsm.adminHost": { cliPreinstalled: true } },
    "environments.prod.cloudHsm.adminHost.cliPreinstalled: true is not allowed (false or unset without cloudHsm.adminHost.amiId (the default Amazon Linux 2023 image has no CloudHSM CLI), CloudHSM admin host AMI)",
  ],
  [
    "CLI preinstalled and a package to install",
    prod,
    { "cloudHsm.adminHost.amiId": "ami-0123456789abcdef0", "cloudHsm.adminHost.cliPreinstalled": true },
    'environments.prod.cloudHsm.adminHost.cliPackage: "s3://northwind-prod-software-333333333333/cloudhsm/cloudhsm-cli-latest.amzn2023.x86_64.rpm" is not allowed (unset when cliPreinstalled is true (nothing is installed at boot), CloudHSM admin host AMI)',
  ],
  // the XKS health API is a signed POST (issue 9, item 10)
  [
    "HTTPS health check on the XKS health API",
    staging,
    { "xks.healthCheck": { protocol: "HTTPS", path: "/northwind/kms/xks/v1/health" } },
    "environments.staging.xks.healthCheck.path: \"/northwind/kms/xks/v1/health\" is not allowed (a path outside the XKS proxy API (/kms/xks/...: its health operation is a SigV4-signed POST, which a load balancer health check cannot send, so every proxy would be marked unhealthy): use protocol 'TCP', or the proxy's own unauthenticated status path, XKS proxy API specification; ELB health checks send unsigned GET requests)",
  ],
  [
    "external key reused",
    prod,
    {
      "keys.records2": {
        alias: "alias/prod/records2",
        store: "xks",
        xksKeyId: "northwind-prod-records-01",
        administrators: ["arn:aws:iam::333333333333:role/KeyAdministrators"],
        users: ["arn:aws:iam::333333333333:role/RecordsService"],
      },
    },
    'environments.prod.keys.records.xksKeyId: "northwind-prod-records-01" is not allowed (an external key id no other key uses, KMS CreateKey XksKeyId)',
  ],
];

// Each row: a configuration that has a working path, so it must produce no message at all.
const reachable: [string, EnvironmentConfig, Record<string, unknown>][] = [
  [
    "s3 backend with a key ARN",
    dev,
    {
      "backend.kmsKeyId": "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      "backend.encrypt": true,
    },
  ],
  [
    "s3 backend with a multi-Region key ARN",
    dev,
    { "backend.kmsKeyId": "arn:aws:kms:eu-west-1:111111111111:key/mrk-1234abcd12ab34cd56ef1234567890ab" },
  ],
  [
    "s3 backend bucket and key in another Region, key of a central state account",
    dev,
    { "backend.region": "eu-central-1", "backend.kmsKeyId": "arn:aws:kms:eu-central-1:999999999999:alias/tf-state" },
  ],
  ["s3 backend without a role to assume (the caller's own credentials)", dev, { "backend.roleArn": undefined }],
  [
    "s3 backend role with a path",
    staging,
    { "backend.roleArn": "arn:aws:iam::222222222222:role/terraform/TerraformState" },
  ],
  [
    "CloudHSM with an AMI that has the CLI",
    prod,
    { "cloudHsm.adminHost": { amiId: "ami-0123456789abcdef0", cliPreinstalled: true } },
  ],
  ["CloudHSM with a custom AMI and an s3:// package", prod, { "cloudHsm.adminHost.amiId": "ami-0123456789abcdef0" }],
  [
    "CloudHSM in an existing VPC with NAT and the default download",
    prod,
    {
      "cloudHsm.adminHost": undefined,
      network: {
        mode: "existing",
        vpcId: "vpc-0123456789abcdef0",
        cidr: "10.30.0.0/16",
        natGateway: true,
        onPremisesCidrs: ["192.168.0.0/16"],
        onPremisesConnection: { type: "existingRoutes" },
        subnets: ["a", "b", "c"].map((z, i) => ({
          id: `subnet-0123456789abcdef${i}`,
          az: `eu-west-1${z}`,
          cidr: `10.30.${i}.0/24`,
          routeTableId: "rtb-0123456789abcdef0",
        })),
      },
    },
  ],
  ["XKS over a new virtual private gateway", staging, { "network.onPremisesConnection": { type: "vpnGateway" } }],
  [
    "XKS over an existing virtual private gateway",
    staging,
    { "network.onPremisesConnection": { type: "vpnGateway", vpnGatewayId: "vgw-0123456789abcdef0" } },
  ],
  [
    "XKS with an HTTPS health check on the proxy's own status page",
    staging,
    { "xks.healthCheck": { protocol: "HTTPS", path: "/status" } },
  ],
];

test.each(reachable)("accepted: %s", (_title, base, changes) => {
  expect(messagesFor(base.name, variant(base, changes))).toEqual([]);
});

describe("fails when", () => {
  test.each(cases)("%s", (_title, base, changes, expected) => {
    const name = base.name;
    expect(messagesFor(name, variant(base, changes))).toContain(expected);
  });
});

test("every violation of a config with several mistakes is reported at once, one line each", () => {
  const broken = variant(dev, {
    "keys.appData.deletionWindowDays": 45,
    "keys.appData.alias": "alias/aws/mine",
    "network.subnets.1.cidr": "10.99.0.0/24",
    "data.buckets.appData.bucketName": "Bad_Name",
  });
  expect(messagesFor("dev", broken)).toEqual([
    'environments.dev.network.subnets.1.cidr: "10.99.0.0/24" is not allowed (a range inside the VPC CIDR 10.10.0.0/16, Amazon VPC: subnet CIDR blocks)',
    "environments.dev.keys.appData.alias: \"alias/aws/mine\" is not allowed ('alias/' then letters, digits, ':', '/', '_', '-', at most 256 chars, not 'alias/aws/...' (reserved for AWS managed keys), KMS CreateAlias)",
    "environments.dev.keys.appData.deletionWindowDays: 45 is not allowed (7-30 days, KMS ScheduleKeyDeletion)",
    "environments.dev.data.buckets.appData.bucketName: \"Bad_Name\" is not allowed (3-63 chars of lowercase letters, digits, '.' and '-', starting and ending with a letter or digit, no '..', not an IP address, no prefix xn--/sthree-/amzn-s3-demo-, no suffix -s3alias/--ol-s3/.mrap/--x-s3, S3 bucket naming rules)",
  ]);
});

test("a JSON config missing whole sections names each of them", () => {
  const lines = messagesFor("x", {
    name: "x",
    account: "111111111111",
    region: "eu-west-1",
  } as unknown as EnvironmentConfig);
  expect(lines).toEqual(
    expect.arrayContaining([
      "environments.x.network: (missing) is not allowed (a section object, environment contract)",
      "environments.x.keys: (missing) is not allowed (a section object, environment contract)",
      "environments.x.data: (missing) is not allowed (a section object, environment contract)",
    ]),
  );
});

test("a nearly empty environment: one line per missing section, each named once", () => {
  expect(messagesFor("dev", { name: "dev", account: "1234" } as unknown as EnvironmentConfig)).toEqual([
    'environments.dev.account: "1234" is not allowed (a 12-digit AWS account id, AWS account identifiers)',
    "environments.dev.region: (missing) is not allowed (an AWS Region code such as eu-west-1, AWS Regions)",
    "environments.dev.network: (missing) is not allowed (a section object, environment contract)",
    "environments.dev.keys: (missing) is not allowed (a section object, environment contract)",
    "environments.dev.data: (missing) is not allowed (a section object, environment contract)",
  ]);
});
