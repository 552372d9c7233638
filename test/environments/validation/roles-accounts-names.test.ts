/**
 * Configurations that synthesize but cannot work in AWS (issue 18): roles that contradict each other
 * on one key, principals of other accounts, service-linked role names, names the stacks derive,
 * subscriptions compared by value, names and settings unique across environments. Every message
 * exactly, and the configurations AWS allows accepted.
 */
import { environments } from "../../../environments";
import type { EnvironmentConfig } from "../../../environments/types";
import { validationMessages } from "../../../environments/validation";
import { variant } from "../../helpers/synth";

const { dev, staging } = environments;
const messagesFor = (env: EnvironmentConfig) => validationMessages({ [env.name]: env });
const DUTIES = "key policy: separation of duties";
const CROSS =
  "KMS: allowing users in other accounts to use a KMS key (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html)";
const SLR_NAME =
  "IAM CreateServiceLinkedRole: the service sets the role name, only a custom suffix is chosen (https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html)";
const ELB =
  "ELB CreateLoadBalancer / CreateTargetGroup Name: unique per account and Region (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html)";
const ALIAS = "KMS CreateAlias: alias names are unique per account and Region";
const CUSTODIANS = "arn:aws:iam::222222222222:role/KeyMaterialCustodians";
const slr = (account: string, service: string, name: string) =>
  `arn:aws:iam::${account}:role/aws-service-role/${service}/${name}`;
const DEV_ASG = slr("111111111111", "autoscaling.amazonaws.com", "AWSServiceRoleForAutoScaling");
const DEV_ASG_LOWER = slr("111111111111", "autoscaling.amazonaws.com", "awsserviceroleforautoscaling");
const STAGING_ASG = slr("222222222222", "autoscaling.amazonaws.com", "AWSServiceRoleForAutoScaling");

const refused: [string, EnvironmentConfig, Record<string, unknown>, string[]][] = [
  // Roles that contradict each other in the synthesized key policy.
  [
    "an importer who is also an encrypt-only user (denied the Decrypt of the import's round trip)",
    staging,
    { "keys.archive.encryptOnlyUsers": [CUSTODIANS] },
    [
      `environments.staging.keys.archive.importers.0: "${CUSTODIANS}" is not allowed (a principal not also in encryptOnlyUsers of this key: encrypt-only users are denied kms:Decrypt, which the Encrypt/Decrypt round trip that ends import-key-material needs: every import would report failure, ${DUTIES})`,
    ],
  ],
  [
    "an importer who is also a decrypt-only user, written in another case (IAM names are case-insensitive)",
    staging,
    { "keys.archive.decryptOnlyUsers": [CUSTODIANS.toLowerCase()] },
    [
      `environments.staging.keys.archive.importers.0: "${CUSTODIANS}" is not allowed (a principal not also in decryptOnlyUsers of this key: decrypt-only users are denied kms:Encrypt, which the Encrypt/Decrypt round trip that ends import-key-material needs: every import would report failure, ${DUTIES})`,
    ],
  ],
  [
    "the EBS key's default service-linked role made an encrypt-only user of it",
    dev,
    { "keys.volumes.encryptOnlyUsers": [DEV_ASG] },
    [
      `environments.dev.keys.volumes.encryptOnlyUsers.0: "${DEV_ASG}" is not allowed (a principal not also in data.ebs.serviceLinkedRoles (this key is data.ebs.key): encrypt-only users are denied Decrypt and CreateGrant, which the service needs to launch encrypted volumes, ${DUTIES})`,
    ],
  ],
  [
    "a configured service-linked role made a decrypt-only user of the EBS key",
    dev,
    { "data.ebs.serviceLinkedRoles": [DEV_ASG], "keys.volumes.decryptOnlyUsers": [DEV_ASG] },
    [
      `environments.dev.keys.volumes.decryptOnlyUsers.0: "${DEV_ASG}" is not allowed (a principal not also in data.ebs.serviceLinkedRoles (this key is data.ebs.key): decrypt-only users are denied GenerateDataKey* and CreateGrant, which the service needs to launch encrypted volumes, ${DUTIES})`,
    ],
  ],
  [
    "the EBS key's service-linked role made its administrator",
    dev,
    { "keys.volumes.administrators": ["arn:aws:iam::111111111111:role/KeyAdministrators", DEV_ASG] },
    [
      `environments.dev.keys.volumes.administrators.1: "${DEV_ASG}" is not allowed (a principal not also in data.ebs.serviceLinkedRoles (this key is data.ebs.key): administrators are denied Decrypt, GenerateDataKey* and CreateGrant, which the service needs to launch encrypted volumes, ${DUTIES})`,
    ],
  ],
  [
    "the EBS key's service-linked role made an importer of an imported EBS key",
    staging,
    { "data.ebs.key": "archive", "keys.archive.importers": [STAGING_ASG] },
    [
      `environments.staging.keys.archive.importers.0: "${STAGING_ASG}" is not allowed (a principal not also in data.ebs.serviceLinkedRoles (this key is data.ebs.key): importers are denied CreateGrant, which the service needs to launch encrypted volumes, ${DUTIES})`,
    ],
  ],
  // Principals of other accounts.
  [
    "a key administrator in another account",
    dev,
    { "keys.appData.administrators": ["arn:aws:iam::999999999999:role/KeyAdministrators"] },
    [
      `environments.dev.keys.appData.administrators.0: "arn:aws:iam::999999999999:role/KeyAdministrators" is not allowed (a principal of this environment's account (111111111111): key administration works only in the key's own account, and another account never manages a key here, ${CROSS})`,
    ],
  ],
  [
    "a key administrator in an account declared for sharing (no cross-account administration)",
    staging,
    { "keys.records.administrators": ["arn:aws:iam::555555555555:role/KeyAdministrators"] },
    [
      `environments.staging.keys.records.administrators.0: "arn:aws:iam::555555555555:role/KeyAdministrators" is not allowed (a principal of this environment's account (222222222222): key administration works only in the key's own account, and another account never manages a key here, ${CROSS})`,
    ],
  ],
  [
    "a user (an IAM user with a path) in an undeclared account",
    dev,
    { "keys.appData.users": ["arn:aws:iam::999999999999:user/ops/alice"] },
    [
      `environments.dev.keys.appData.users.0: "arn:aws:iam::999999999999:user/ops/alice" is not allowed (a principal of this environment's account (111111111111) or of an account declared in keys.appData.externalAccounts (999999999999 is not), ${CROSS})`,
    ],
  ],
  [
    "an encrypt-only user in an undeclared account",
    dev,
    { "keys.appData.encryptOnlyUsers": ["arn:aws:iam::999999999999:role/Ingest"] },
    [
      `environments.dev.keys.appData.encryptOnlyUsers.0: "arn:aws:iam::999999999999:role/Ingest" is not allowed (a principal of this environment's account (111111111111) or of an account declared in keys.appData.externalAccounts (999999999999 is not), ${CROSS})`,
    ],
  ],
  [
    "a decrypt-only user of an account declared only for grants to AWS services",
    staging,
    {
      "keys.records.externalAccounts": [{ account: "555555555555", allow: ["grantsForAwsResources"] }],
      "keys.records.decryptOnlyUsers": ["arn:aws:iam::555555555555:role/Analytics"],
    },
    [
      `environments.staging.keys.records.decryptOnlyUsers.0: "arn:aws:iam::555555555555:role/Analytics" is not allowed (a principal of an account whose keys.records.externalAccounts entry allows 'use' (555555555555 allows only grantsForAwsResources), ${CROSS})`,
    ],
  ],
  [
    "an importer in another account",
    staging,
    { "keys.archive.importers": ["arn:aws:iam::555555555555:role/KeyMaterialCustodians"] },
    [
      `environments.staging.keys.archive.importers.0: "arn:aws:iam::555555555555:role/KeyMaterialCustodians" is not allowed (a principal of this environment's account (222222222222): GetParametersForImport and ImportKeyMaterial work only in the key's own account, ${CROSS})`,
    ],
  ],
  [
    "a signer and a signing-key administrator in another account",
    staging,
    {
      "signingKeys.releases.signers": ["arn:aws:iam::555555555555:role/ReleaseSigner"],
      "signingKeys.releases.administrators": ["arn:aws:iam::555555555555:role/KeyAdministrators"],
    },
    [
      `environments.staging.signingKeys.releases.administrators.0: "arn:aws:iam::555555555555:role/KeyAdministrators" is not allowed (a principal of this environment's account (222222222222): key administration works only in the key's own account, and another account never manages a key here, ${CROSS})`,
      `environments.staging.signingKeys.releases.signers.0: "arn:aws:iam::555555555555:role/ReleaseSigner" is not allowed (a principal of this environment's account (222222222222): signing keys are not shared with other accounts (they have no externalAccounts), ${CROSS})`,
    ],
  ],
  // Service-linked role names are IAM's, not the user's.
  [
    "Auto Scaling's role name in another case",
    dev,
    {
      "data.ebs.serviceLinkedRoles": [slr("111111111111", "autoscaling.amazonaws.com", "AWSServiceRoleForAutoscaling")],
    },
    [
      `environments.dev.data.ebs.serviceLinkedRoles.0: "${slr("111111111111", "autoscaling.amazonaws.com", "AWSServiceRoleForAutoscaling")}" is not allowed (the role name IAM gives the service-linked role of autoscaling.amazonaws.com: AWSServiceRoleForAutoScaling, or AWSServiceRoleForAutoScaling_<custom suffix>, in exactly that case, ${SLR_NAME})`,
    ],
  ],
  [
    "another service's role name under Auto Scaling",
    dev,
    {
      "data.ebs.serviceLinkedRoles": [slr("111111111111", "autoscaling.amazonaws.com", "AWSServiceRoleForEC2Spot")],
      "data.ebs.createServiceLinkedRoles": true,
    },
    [
      `environments.dev.data.ebs.serviceLinkedRoles.0: "${slr("111111111111", "autoscaling.amazonaws.com", "AWSServiceRoleForEC2Spot")}" is not allowed (the role name IAM gives the service-linked role of autoscaling.amazonaws.com: AWSServiceRoleForAutoScaling, or AWSServiceRoleForAutoScaling_<custom suffix>, in exactly that case, ${SLR_NAME})`,
    ],
  ],
  [
    "one role twice, in two cases (IAM role names are case-insensitive)",
    dev,
    { "data.ebs.serviceLinkedRoles": [DEV_ASG, DEV_ASG_LOWER] },
    [
      `environments.dev.data.ebs.serviceLinkedRoles: ${JSON.stringify([DEV_ASG, DEV_ASG_LOWER]).slice(0, 77)}... is not allowed (a list of distinct service-linked role ARNs, EC2 Auto Scaling: key policy for EBS encryption)`,
      `environments.dev.data.ebs.serviceLinkedRoles.1: "${DEV_ASG_LOWER}" is not allowed (the role name IAM gives the service-linked role of autoscaling.amazonaws.com: AWSServiceRoleForAutoScaling, or AWSServiceRoleForAutoScaling_<custom suffix>, in exactly that case, ${SLR_NAME})`,
    ],
  ],
  // Names the stacks derive from the environment name.
  [
    "an environment name that makes the XKS load balancer's name start with internal-",
    { ...staging, name: "internal-stg" },
    {},
    [
      `environments.internal-stg.name: "internal-stg" is not allowed (a name whose load balancer name "internal-stg-xks" AWS accepts: not starting with "internal-" (ELB reserves it for the DNS names of internal load balancers), ${ELB})`,
    ],
  ],
  [
    "a key alias the stacks give the alarm topic's key",
    staging,
    { "keys.volumes.alias": "alias/staging-kms-alarms" },
    [
      `environments.staging.keys.volumes.alias: "alias/staging-kms-alarms" is not allowed (a KMS alias the stacks do not already use: they give "alias/staging-kms-alarms" to a resource of their own (derived from environments.staging.name), ${ALIAS})`,
    ],
  ],
  [
    "a signing key alias the stacks give the alarm topic's key",
    staging,
    { "signingKeys.releases.alias": "alias/staging-kms-alarms" },
    [
      `environments.staging.signingKeys.releases.alias: "alias/staging-kms-alarms" is not allowed (a KMS alias the stacks do not already use: they give "alias/staging-kms-alarms" to a resource of their own (derived from environments.staging.name), ${ALIAS})`,
    ],
  ],
  // Lists of objects compared by value.
  [
    "one alarm subscription twice, its fields in another order",
    staging,
    {
      "alarms.subscriptions": [
        { protocol: "email", endpoint: "oncall@example.com" },
        { endpoint: "oncall@example.com", protocol: "email" },
      ],
    },
    [
      'environments.staging.alarms.subscriptions.1: {"endpoint":"oncall@example.com","protocol":"email"} is not allowed (a subscription not listed before (SNS keeps one subscription per protocol and endpoint), SNS Subscribe Endpoint (https://docs.aws.amazon.com/sns/latest/api/API_Subscribe.html))',
    ],
  ],
];

describe("fails when", () => {
  test.each(refused)("%s", (_title, base, changes, expected) => {
    const env = variant(base, changes);
    expect(validationMessages({ [env.name]: env })).toEqual(expected);
  });
});

const accepted: [string, EnvironmentConfig, Record<string, unknown>][] = [
  [
    "a service-linked role that is also a full user of the EBS key (the same allows and denies)",
    dev,
    { "keys.volumes.users": ["arn:aws:iam::111111111111:role/PlatformOperators", DEV_ASG] },
  ],
  [
    "a user of an account declared with 'use'",
    staging,
    {
      "keys.records.users": [
        "arn:aws:iam::222222222222:role/RecordsService",
        "arn:aws:iam::555555555555:role/Analytics",
      ],
    },
  ],
  [
    "an encrypt-only user of an account declared with 'use'",
    staging,
    { "keys.records.encryptOnlyUsers": ["arn:aws:iam::555555555555:role/Ingest"] },
  ],
  [
    "Auto Scaling's role with a custom suffix",
    dev,
    {
      "data.ebs.serviceLinkedRoles": [
        slr("111111111111", "autoscaling.amazonaws.com", "AWSServiceRoleForAutoScaling_team1"),
      ],
      "data.ebs.createServiceLinkedRoles": true,
    },
  ],
  [
    "EC2 Spot's role",
    dev,
    { "data.ebs.serviceLinkedRoles": [slr("111111111111", "spot.amazonaws.com", "AWSServiceRoleForEC2Spot")] },
  ],
  [
    "a service whose role name the tool does not know (not judged)",
    dev,
    { "data.ebs.serviceLinkedRoles": [slr("111111111111", "example.amazonaws.com", "AWSServiceRoleForExample")] },
  ],
  ["an environment name starting internal- without an XKS load balancer", { ...dev, name: "internal-dev" }, {}],
  [
    "two different subscriptions",
    staging,
    {
      "alarms.subscriptions": [
        { protocol: "email", endpoint: "a@example.com" },
        { endpoint: "b@example.com", protocol: "email" },
      ],
    },
  ],
];

describe("accepts", () => {
  test.each(accepted)("%s", (_title, base, changes) => {
    expect(messagesFor(variant(base, changes))).toEqual([]);
  });
});

describe("across environments", () => {
  /** dev moved to another account (its principals and bucket too), under another name. */
  const elsewhere = (name: string, account = "999999999999", region = "eu-west-1"): EnvironmentConfig => ({
    ...(JSON.parse(
      JSON.stringify(dev)
        .replaceAll("111111111111", account)
        .replaceAll("arn:aws:kms:eu-west-1:", `arn:aws:kms:${region}:`),
    ) as EnvironmentConfig),
    name,
    region,
  });
  const WORKSPACE =
    "Terraform Cloud: workspace names are unique per organization; two stacks in one workspace overwrite each other's state";

  test("fails when two environments' Terraform Cloud workspaces collide (prefix + name)", () => {
    const a = variant(dev, { backend: { type: "cloud", organization: "northwind", workspacePrefix: "team-" } });
    // Organization and workspace names compared without case.
    const b = variant(elsewhere("team-dev"), {
      backend: { type: "cloud", organization: "Northwind", workspacePrefix: "" },
    });
    expect(validationMessages({ dev: a, "team-dev": b })).toEqual([
      `environments.team-dev.backend: "team-dev-keys" is not allowed (a workspace name no other stack uses in the same organization (environments.dev.backend has it), ${WORKSPACE})`,
      `environments.team-dev.backend: "team-dev-data" is not allowed (a workspace name no other stack uses in the same organization (environments.dev.backend has it), ${WORKSPACE})`,
    ]);
  });

  test("the same workspace names in another organization or on another host are fine", () => {
    const a = variant(dev, { backend: { type: "cloud", organization: "northwind", workspacePrefix: "team-" } });
    expect(
      validationMessages({
        dev: a,
        "team-dev": variant(elsewhere("team-dev"), { backend: { type: "cloud", organization: "other" } }),
      }),
    ).toEqual([]);
    expect(
      validationMessages({
        dev: a,
        "team-dev": variant(elsewhere("team-dev"), {
          backend: { type: "cloud", organization: "northwind", hostname: "tfe.example.com" },
        }),
      }),
    ).toEqual([]);
  });

  test("fails when two environments set the EBS default key of one account and Region, and when both create one service-linked role in an account", () => {
    const create = { "data.ebs.createServiceLinkedRoles": true };
    const a = variant(dev, create);
    const b = variant(elsewhere("dev2", "111111111111"), {
      ...create,
      "data.buckets.appData.bucketName": "northwind-dev2-app-data",
      "keys.appData.alias": "alias/dev2/app-data",
      "keys.appData.aliases": ["alias/dev2/uploads"],
      "keys.volumes.alias": "alias/dev2/ebs",
      "macKeys.webhooks.alias": "alias/dev2/webhook-mac",
    });
    const c = variant(elsewhere("dev3", "111111111111", "eu-central-1"), {
      ...create,
      "data.buckets.appData.bucketName": "northwind-dev3-app-data",
      "network.subnets": [
        { az: "eu-central-1a", cidr: "10.10.0.0/24" },
        { az: "eu-central-1b", cidr: "10.10.1.0/24" },
      ],
    });
    expect(validationMessages({ dev: a, dev2: b, dev3: c })).toEqual([
      "environments.dev2.data.ebs: \"volumes\" is not allowed (EBS default encryption set by one environment per account and Region (environments.dev.data.ebs has it), EC2 ModifyEbsDefaultKmsKeyId / EnableEbsEncryptionByDefault: one setting per account and Region, so each environment's apply would undo the other's (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyEbsDefaultKmsKeyId.html))",
      "environments.dev2.data.ebs.createServiceLinkedRoles: true is not allowed (a service-linked role no other environment creates in this account (environments.dev.data.ebs.createServiceLinkedRoles has it), IAM CreateServiceLinkedRole: a role that exists is refused (InvalidInput), role names compared without case (https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html))",
      "environments.dev3.data.ebs.createServiceLinkedRoles: true is not allowed (a service-linked role no other environment creates in this account (environments.dev.data.ebs.createServiceLinkedRoles has it), IAM CreateServiceLinkedRole: a role that exists is refused (InvalidInput), role names compared without case (https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html))",
    ]);
  });

  test("fails when another environment's key alias is the alias the stacks give this one's alarm topic key (one account and Region)", () => {
    const moved = elsewhere("other", "222222222222");
    const other = variant(
      { ...moved, data: { buckets: moved.data.buckets } },
      { "keys.appData.alias": "alias/staging-kms-alarms" },
    );
    expect(validationMessages({ staging, other })).toEqual([
      `environments.other.keys.appData.alias: "alias/staging-kms-alarms" is not allowed (an alias no other environment in the same account and Region uses (the stacks derive it from environments.staging.name), ${ALIAS})`,
    ]);
  });
});

describe("one existing VPC for two CloudHSM environments", () => {
  const VPC = {
    mode: "existing",
    vpcId: "vpc-0123456789abcdef0",
    cidr: "10.30.0.0/16",
    onPremisesCidrs: ["192.168.0.0/16"],
    onPremisesConnection: { type: "existingRoutes" },
    subnets: [
      { id: "subnet-0123456789abcdef0", az: "eu-west-1a", cidr: "10.30.0.0/24", routeTableId: "rtb-0123456789abcdef0" },
      { id: "subnet-0123456789abcdef1", az: "eu-west-1b", cidr: "10.30.1.0/24", routeTableId: "rtb-0123456789abcdef0" },
    ],
  };
  const { prod } = environments;
  /** prod's CloudHSM environment renamed, with its own unique names, in the existing VPC. */
  const inVpc = (name: string) => {
    const env = JSON.parse(
      JSON.stringify(prod)
        .replaceAll('"prod', `"${name}`)
        .replaceAll("alias/prod", `alias/${name}`)
        .replaceAll("northwind-prod", `northwind-${name}`),
    ) as EnvironmentConfig;
    const keys = Object.fromEntries(Object.entries(env.keys).filter(([, k]) => k.store !== "xks"));
    return {
      ...variant(env, { network: VPC, "cloudHsm.hsmAzs": ["eu-west-1a", "eu-west-1b"] }),
      xks: undefined,
      keys,
      data: { buckets: {} },
    } as EnvironmentConfig;
  };

  test("fails when both create their service endpoints (private DNS) in it", () => {
    const a = inVpc("pa");
    const b = inVpc("pb");
    expect(validationMessages({ pa: a })).toEqual([]);
    expect(validationMessages({ pa: a, pb: b })).toEqual([
      'environments.pb.network.vpcId: "vpc-0123456789abcdef0" is not allowed (a VPC in which no other CloudHSM environment creates its service endpoints (environments.pa.network.vpcId has it), AWS PrivateLink: an interface endpoint\'s private DNS name can be enabled once per VPC, so a second endpoint for the same service with private DNS is refused (https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-access-aws-services.html))',
    ]);
  });
});

describe("one IAM role written with two paths", () => {
  const IAM_NAMES =
    "IAM identifiers: names are unique per account regardless of path (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html)";
  test("fails when a role appears under another path in another list or key (the name is what IAM keeps unique)", () => {
    expect(
      messagesFor(variant(dev, { "keys.volumes.users": ["arn:aws:iam::111111111111:role/platform/AppDataWriters"] })),
    ).toEqual([
      `environments.dev.keys.volumes.users.0: "arn:aws:iam::111111111111:role/platform/AppDataWriters" is not allowed (the same path as keys.appData.users.0 (/): IAM role names are unique per account whatever the path, so one of the two ARNs names a role that does not exist, ${IAM_NAMES})`,
    ]);
  });
  test("a user and a role of one name, or one name in two accounts, are different principals", () => {
    expect(
      messagesFor(variant(dev, { "keys.volumes.users": ["arn:aws:iam::111111111111:user/ops/AppDataWriters"] })),
    ).toEqual([]);
    expect(
      messagesFor(
        variant(staging, {
          "keys.records.users": [
            "arn:aws:iam::222222222222:role/RecordsService",
            "arn:aws:iam::555555555555:role/analytics/RecordsService",
          ],
        }),
      ),
    ).toEqual([]);
  });
});
