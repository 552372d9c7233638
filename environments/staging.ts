import type { EnvironmentConfig } from "./types";

/**
 * Staging: keys held outside AWS in the on-premises key manager, reached through an XKS proxy fleet
 * (HAProxy in TCP pass-through in front of the key manager's XKS endpoints) over PrivateLink.
 * Northwind Health's staging account, eu-west-1; data centre 192.168.0.0/16.
 */
export const staging: EnvironmentConfig = {
  name: "staging",
  account: "222222222222",
  region: "eu-west-1",
  tags: { CostCentre: "platform-staging", DataClassification: "confidential" },
  // State in a versioned, encrypted bucket of the staging account, S3-native locking.
  // The state holds the kmsuser password and the XKS credential: encrypted with the account's own
  // state key, read and written through a role that only Terraform runs may assume
  // (`npm run state-bucket -- staging` makes the bucket and key: docs/state-backend.md).
  backend: {
    type: "s3",
    bucket: "northwind-staging-tf-state-222222222222",
    keyPrefix: "cmk",
    kmsKeyId: "arn:aws:kms:eu-west-1:222222222222:alias/northwind-staging-tf-state",
    roleArn: "arn:aws:iam::222222222222:role/TerraformState",
  },
  network: {
    mode: "new",
    cidr: "10.20.0.0/16",
    subnets: [
      { az: "eu-west-1a", cidr: "10.20.0.0/24" },
      { az: "eu-west-1b", cidr: "10.20.1.0/24" },
      { az: "eu-west-1c", cidr: "10.20.2.0/24" },
    ],
    onPremisesCidrs: ["192.168.0.0/16"],
    // The data centre is reached through the network team's transit gateway (shared with this
    // account through AWS RAM; replace with yours): the stack attaches the VPC and routes
    // 192.168.0.0/16 to it, so the XKS load balancer reaches the proxies.
    onPremisesConnection: { type: "transitGateway", transitGatewayId: "tgw-0a1b2c3d4e5f60718" },
  },
  xks: {
    keyStoreName: "staging-xks",
    privateDnsName: "xks.staging.northwind-health.example",
    publicZone: { id: "Z0STAGINGNORTHWIND1", domain: "staging.northwind-health.example" },
    uriPath: "/northwind/kms/xks/v1",
    proxyTargets: ["192.168.10.11", "192.168.20.11"],
    credential: { source: "variable" },
  },
  // CloudWatch alarms (docs/alarms.md) to the key custodians' on-call address; thresholds are the
  // defaults (80% of the request quota; XKS certificate 30 days, latency 200 ms, credential 90 days).
  alarms: { subscriptions: [{ protocol: "email", endpoint: "kms-oncall@staging.northwind-health.example" }] },
  keys: {
    records: {
      alias: "alias/staging/records",
      store: "xks",
      xksKeyId: "northwind-staging-records-01",
      administrators: ["arn:aws:iam::222222222222:role/KeyAdministrators"],
      users: ["arn:aws:iam::222222222222:role/RecordsService"],
      // The central analytics account reads the records bucket with its own roles (naming this
      // key's ARN in their IAM policies) and may let AWS services there use the key through grants.
      // Its requests count against this account's XKS key store quota (docs/sharing-keys.md).
      externalAccounts: [{ account: "555555555555", allow: ["use", "grantsForAwsResources"] }],
    },
    volumes: {
      alias: "alias/staging/ebs",
      administrators: ["arn:aws:iam::222222222222:role/KeyAdministrators"],
      users: ["arn:aws:iam::222222222222:role/PlatformOperators"],
    },
    // Key material exported from the on-premises key manager and imported by its custodians
    // (docs/byok.md): created without material, so it is never in Terraform state or a plan.
    // Each import is valid 180 days; an alarm warns 30 days before the material expires.
    archive: {
      alias: "alias/staging/archive",
      origin: "external",
      importers: ["arn:aws:iam::222222222222:role/KeyMaterialCustodians"],
      keyMaterialValidityDays: 180,
      administrators: ["arn:aws:iam::222222222222:role/KeyAdministrators"],
      users: ["arn:aws:iam::222222222222:role/ArchiveService"],
    },
    // The audit trail's key (docs/keys.md): CloudTrail encrypts the organisation trail's log files
    // and CloudWatch Logs the trail's log group with it, each only for these resources of this
    // account; auditors decrypt. Multi-Region with a replica in eu-central-1, where the disaster
    // recovery copy of the logs is read (the replica is billed as a second key).
    audit: {
      alias: "alias/staging/audit",
      multiRegion: true,
      replicaRegions: ["eu-central-1"],
      administrators: ["arn:aws:iam::222222222222:role/KeyAdministrators"],
      users: ["arn:aws:iam::222222222222:role/Auditors"],
      services: [
        {
          service: "cloudtrail",
          sourceArns: ["arn:aws:cloudtrail:eu-west-1:222222222222:trail/northwind-staging-audit"],
        },
        {
          service: "logs",
          sourceArns: ["arn:aws:logs:eu-west-1:222222222222:log-group:/northwind/staging/audit-trail"],
        },
      ],
    },
  },
  // Release artefacts are signed in CI; deploy tooling verifies in KMS, auditors check offline
  // with the public key.
  signingKeys: {
    releases: {
      alias: "alias/staging/releases",
      keySpec: "ECC_NIST_P256",
      administrators: ["arn:aws:iam::222222222222:role/KeyAdministrators"],
      signers: ["arn:aws:iam::222222222222:role/ReleaseSigner"],
      verifiers: ["arn:aws:iam::222222222222:role/DeployVerifier"],
      publicKeyReaders: ["arn:aws:iam::222222222222:role/Auditors"],
    },
  },
  data: {
    buckets: { records: { bucketName: "northwind-staging-records-222222222222", key: "records" } },
    ebs: { key: "volumes" },
  },
};
