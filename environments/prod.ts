import type { EnvironmentConfig } from "./types";

/**
 * Production: a CloudHSM cluster (3 HSMs in 3 AZs) backing a KMS custom key store for the file
 * shares, beside an external key store for records that must stay under the on-premises key
 * manager. Northwind Health's production account, eu-west-1; data centre 192.168.0.0/16.
 * Runs in Terraform Cloud (one workspace per stack), so the bootstrap hooks run as a Lambda
 * function in the VPC: a remote run needs no Node, no AWS CLI and no network path of its own.
 */
export const prod: EnvironmentConfig = {
  name: "prod",
  account: "333333333333",
  region: "eu-west-1",
  tags: { CostCentre: "platform-prod", DataClassification: "restricted" },
  backend: { type: "cloud", organization: "northwind-health", workspacePrefix: "cmk-" },
  hooks: { runner: "lambda", timeoutMinutes: 45 },
  network: {
    mode: "new",
    cidr: "10.30.0.0/16",
    subnets: [
      { az: "eu-west-1a", cidr: "10.30.0.0/24" },
      { az: "eu-west-1b", cidr: "10.30.1.0/24" },
      { az: "eu-west-1c", cidr: "10.30.2.0/24" },
    ],
    onPremisesCidrs: ["192.168.0.0/16"],
    // The data centre is reached through the network team's transit gateway (shared with this
    // account through AWS RAM; replace with yours): the stack attaches the VPC and routes
    // 192.168.0.0/16 to it, so the XKS load balancer reaches the proxies.
    onPremisesConnection: { type: "transitGateway", transitGatewayId: "tgw-0a1b2c3d4e5f60718" },
  },
  cloudHsm: {
    hsmType: "hsm2m.medium",
    mode: "FIPS",
    hsmAzs: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
    backupRetentionDays: 90,
    keyStoreName: "prod-cloudhsm",
    // No internet path in a key environment: the admin host installs the CloudHSM CLI from a copy
    // in a bucket of this account and Region, through the S3 gateway endpoint (docs/cloudhsm.md,
    // "Getting the CloudHSM CLI onto the admin host", says how to put the RPM there).
    adminHost: {
      cliPackage: "s3://northwind-prod-software-333333333333/cloudhsm/cloudhsm-cli-latest.amzn2023.x86_64.rpm",
    },
    // The operator signs the cluster CSR with the organisation's offline CA. The files below are
    // the second-apply inputs; see docs/keys.md "Key stores".
    trust: {
      mode: "provided",
      signedCertificateFile: "environments/certs/prod/cluster.crt",
      trustAnchorFile: "environments/certs/prod/customerCA.crt",
    },
  },
  xks: {
    keyStoreName: "prod-xks",
    privateDnsName: "xks.prod.northwind-health.example",
    publicZone: { id: "Z0PRODNORTHWIND1", domain: "prod.northwind-health.example" },
    uriPath: "/northwind/kms/xks/v1",
    proxyTargets: ["192.168.10.21", "192.168.20.21", "192.168.30.21"],
    credential: {
      source: "secretsManager",
      secretArn: "arn:aws:secretsmanager:eu-west-1:333333333333:secret:prod/xks-proxy-credential-AbCdEf",
    },
  },
  // CloudWatch alarms (docs/alarms.md) to the key custodians' on-call address; thresholds are the
  // defaults (80% of the request quota; XKS certificate 30 days, latency 200 ms, credential 90 days).
  alarms: { subscriptions: [{ protocol: "email", endpoint: "kms-oncall@northwind-health.example" }] },
  keys: {
    fileShares: {
      alias: "alias/prod/file-shares",
      store: "cloudhsm",
      administrators: ["arn:aws:iam::333333333333:role/KeyAdministrators"],
      users: ["arn:aws:iam::333333333333:role/FileShareOperators"],
    },
    records: {
      alias: "alias/prod/records",
      store: "xks",
      xksKeyId: "northwind-prod-records-01",
      administrators: ["arn:aws:iam::333333333333:role/KeyAdministrators"],
      users: ["arn:aws:iam::333333333333:role/RecordsService"],
    },
    volumes: {
      alias: "alias/prod/ebs",
      administrators: ["arn:aws:iam::333333333333:role/KeyAdministrators"],
      users: ["arn:aws:iam::333333333333:role/PlatformOperators"],
    },
  },
  data: {
    buckets: { records: { bucketName: "northwind-prod-records-333333333333", key: "records" } },
    ebs: { key: "volumes" },
    fsx: {
      key: "fileShares",
      deploymentType: "MULTI_AZ_1",
      storageCapacityGiB: 2048,
      throughputPerHaPair: 512,
      subnetAzs: ["eu-west-1a", "eu-west-1b"],
      preferredAz: "eu-west-1a",
    },
  },
};
