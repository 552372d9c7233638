import type { EnvironmentConfig } from "./types";

/**
 * Development: AWS-KMS-origin keys only (no HSM cost), a new VPC, S3 and EBS under customer keys.
 * Northwind Health's sandbox account, eu-west-1.
 */
export const dev: EnvironmentConfig = {
  name: "dev",
  account: "111111111111",
  region: "eu-west-1",
  tags: { CostCentre: "platform-dev", DataClassification: "internal" },
  // CI plans and deploys every registered environment, so state is remote (a runner's disk is
  // thrown away). For a laptop-only copy with local state: `npm run -s config -- dev > dev.json`,
  // set "backend": { "type": "local" }, then `ENV_CONFIG=dev.json npm run synth`.
  // The state holds the kmsuser password and the XKS credential: encrypted with the account's own
  // state key, read and written through a role that only Terraform runs may assume
  // (`npm run state-bucket -- dev` makes the bucket and key: docs/state-backend.md).
  backend: {
    type: "s3",
    bucket: "northwind-dev-tf-state-111111111111",
    keyPrefix: "cmk",
    kmsKeyId: "arn:aws:kms:eu-west-1:111111111111:alias/northwind-dev-tf-state",
    roleArn: "arn:aws:iam::111111111111:role/TerraformState",
  },
  network: {
    mode: "new",
    cidr: "10.10.0.0/16",
    subnets: [
      { az: "eu-west-1a", cidr: "10.10.0.0/24" },
      { az: "eu-west-1b", cidr: "10.10.1.0/24" },
    ],
  },
  keys: {
    appData: {
      alias: "alias/dev/app-data",
      // A second name for the same key (e.g. what the upload service was configured with); its own aws_kms_alias.
      aliases: ["alias/dev/uploads"],
      administrators: ["arn:aws:iam::111111111111:role/KeyAdministrators"],
      users: ["arn:aws:iam::111111111111:role/AppDataWriters"],
      // The ingest service writes (encrypts) but can never read back what it wrote.
      encryptOnlyUsers: ["arn:aws:iam::111111111111:role/AppDataIngest"],
      deletionWindowDays: 7,
      // Rotated every 180 days instead of AWS's yearly default (docs/keys.md: cost of rotation).
      rotationPeriodDays: 180,
    },
    volumes: {
      alias: "alias/dev/ebs",
      administrators: ["arn:aws:iam::111111111111:role/KeyAdministrators"],
      users: ["arn:aws:iam::111111111111:role/PlatformOperators"],
    },
  },
  // An HMAC key (GENERATE_VERIFY_MAC, $1/month like any KMS key): the webhook service signs outgoing
  // payloads with kms:GenerateMac; the receiving gateway may only check them (kms:VerifyMac).
  macKeys: {
    webhooks: {
      alias: "alias/dev/webhook-mac",
      keySpec: "HMAC_256",
      administrators: ["arn:aws:iam::111111111111:role/KeyAdministrators"],
      macGenerators: ["arn:aws:iam::111111111111:role/WebhookSender"],
      macVerifiers: ["arn:aws:iam::111111111111:role/WebhookGateway"],
      deletionWindowDays: 7,
    },
  },
  data: {
    buckets: { appData: { bucketName: "northwind-dev-app-data-111111111111", key: "appData" } },
    ebs: { key: "volumes" },
  },
};
