/**
 * The environment contract as one zod schema: the TypeScript types (`environments/types.ts`), the
 * runtime type checks, the static defaults and the JSON Schema for `ENV_CONFIG` files
 * (`schema/environment.schema.json`, `npm run schema`) all come from here. Every object is strict:
 * an unknown field is an error, never ignored. Value rules (ranges, patterns, cross-field rules)
 * live in the constraint tables in `environments/validation/`, with their AWS sources; this file
 * only says what shape and type each field has, which values an enumeration allows, and the
 * defaults that do not depend on other fields (those that do are applied in `resolve.ts`).
 */
import * as z from "zod";
import { CLOUDHSM, CLOUDWATCH, EBS, FSX, HOOKS, KMS, NAMES, NETWORK, STATE_BACKEND, XKS } from "@cmk-stacks/aws-limits";

const str = (description: string) => z.string().describe(description);
const int = (description: string) => z.number().int().describe(description);
const strings = (description: string) => z.array(z.string()).describe(description);

export const BackendSchema = z
  .discriminatedUnion("type", [
    z.strictObject({ type: z.literal("local") }).describe("Local state files under the working directory."),
    z
      .strictObject({
        type: z.literal("cloud"),
        organization: str("Terraform Cloud / Enterprise organization."),
        workspacePrefix: str("Workspace name prefix; each stack gets `<prefix><stack>`. Default: none.").optional(),
        hostname: str(`Terraform Cloud / Enterprise host. Default: ${STATE_BACKEND.CLOUD_HOSTNAME.value}.`).optional(),
      })
      .describe("Terraform Cloud: one workspace per stack."),
    z
      .strictObject({
        type: z.literal("s3"),
        bucket: str(
          "State bucket (must already exist as `npm run state-bucket -- <env>` makes it: versioned, KMS-encrypted, TLS-only, public access blocked).",
        ),
        keyPrefix: str(
          `Key prefix; each stack's state is \`${STATE_BACKEND.stateKey("<stack>", "<prefix>")}\`. Default: ${STATE_BACKEND.KEY_PREFIX.value}.`,
        ).optional(),
        region: str("Region of the state bucket. Default: the environment's Region.").optional(),
        useLockfile: z
          .boolean()
          .describe(`S3 native lock file. Default: ${STATE_BACKEND.USE_LOCKFILE.value}.`)
          .optional(),
        kmsKeyId: str(
          "ARN of the KMS key (arn:aws:kms:<region>:<account>:key/<id>) or alias (arn:aws:kms:<region>:<account>:alias/<name>) that encrypts the state objects, in the bucket's Region. Required: state holds the kmsuser password, the XKS credential and (generated trust) TLS private keys in cleartext.",
        ),
        encrypt: z
          .boolean()
          .describe("Server-side encryption of the state objects. Default: true; false is refused.")
          .optional(),
        roleArn: str(
          "IAM role that Terraform assumes to read and write the state (the backend's assume_role.role_arn). Default: none (the caller's own credentials).",
        ).optional(),
      })
      .describe("An S3 bucket with S3-native locking, encrypted with a KMS key (see docs/state-backend.md)."),
  ])
  .describe("Where Terraform keeps state for this environment's stacks.");

export const SubnetSchema = z.strictObject({
  az: str("Availability zone name, e.g. eu-west-1a."),
  cidr: str("IPv4 CIDR inside the VPC CIDR."),
});

const onPremisesCidrs = strings(
  "Address ranges of the data centres (XKS proxies, admin networks) that must stay routable. Default: none.",
).default([]);

/**
 * How a new VPC reaches the data centre (`onPremisesCidrs`), on the route table of every private
 * subnet (the VPC's main route table, which they all use).
 */
export const NewVpcOnPremisesConnectionSchema = z
  .discriminatedUnion("type", [
    z
      .strictObject({
        type: z.literal("transitGateway"),
        transitGatewayId: str(
          "tgw- id of the transit gateway that reaches the data centre (yours, or shared with this account through AWS RAM).",
        ),
      })
      .describe(
        "The stack attaches the VPC to the transit gateway (one subnet per AZ) and routes every onPremisesCidrs range to it.",
      ),
    z
      .strictObject({
        type: z.literal("vpnGateway"),
        vpnGatewayId: str(
          "vgw- id of an existing, detached virtual private gateway. Default: a new one (Amazon side ASN 64512).",
        ).optional(),
      })
      .describe(
        "A virtual private gateway attached to the VPC, with route propagation on the subnets' route table: the VPN or Direct Connect routes it learns must cover onPremisesCidrs.",
      ),
  ])
  .describe(
    "How the VPC reaches onPremisesCidrs; required with xks. Default: none (the VPC has only its local route).",
  );

/** An existing VPC's path to the data centre is its owner's: the routes are checked at plan time. */
export const ExistingVpcOnPremisesConnectionSchema = z
  .strictObject({ type: z.literal("existingRoutes") })
  .describe(
    "The route table of every subnet (subnets[].routeTableId) already has a route covering each onPremisesCidrs range (checked at plan time by data sources with postconditions; routes a virtual private gateway propagates are not visible to the check: declare static routes). Required with xks. Default: none.",
  );

export const NetworkSchema = z
  .discriminatedUnion("mode", [
    z.strictObject({
      mode: z.literal("new"),
      cidr: str(
        `VPC IPv4 CIDR (/${NETWORK.VPC_CIDR_PREFIX.min} to /${NETWORK.VPC_CIDR_PREFIX.max}). Must not overlap onPremisesCidrs.`,
      ),
      subnets: z
        .array(SubnetSchema)
        .describe(
          `Private subnets; at least ${NETWORK.MIN_AZS.value} distinct AZs. No public subnets are ever created.`,
        ),
      onPremisesCidrs,
      onPremisesConnection: NewVpcOnPremisesConnectionSchema.optional(),
      natGateway: z.literal(false).describe("A NAT gateway needs a public subnet; only false is supported.").optional(),
    }),
    z.strictObject({
      mode: z.literal("existing"),
      vpcId: str("vpc- id of the existing VPC (DNS hostnames and resolution must be on)."),
      cidr: str("The existing VPC's IPv4 CIDR, declared so overlap rules can be checked at synth."),
      subnets: z
        .array(
          SubnetSchema.extend({
            id: str("subnet- id of the existing private subnet."),
            routeTableId: str(
              "rtb- id of the route table the subnet uses (its explicit association, or the VPC's main route table); required with xks, cloudHsm or onPremisesConnection (the S3 gateway endpoint goes on it; routes are checked on it).",
            ).optional(),
          }).strict(),
        )
        .describe("Existing private subnets with their AZ, CIDR and route table."),
      onPremisesCidrs,
      onPremisesConnection: ExistingVpcOnPremisesConnectionSchema.optional(),
      natGateway: z
        .boolean()
        .describe(
          "The subnets already reach the internet through NAT (a 0.0.0.0/0 route to a NAT gateway, or to a transit gateway for centralised egress, on each declared route table, checked at plan time): the CloudHSM admin host may then download the CLI over https and is allowed HTTPS egress to the internet. Default: false.",
        )
        .optional(),
    }),
  ])
  .describe("The VPC the keys stack uses: a new one, or an existing one with its subnets declared.");

export const KeyStoreKindSchema = z.enum(["aws-kms", "cloudhsm", "xks"]);

/** What another account may do with a key (never manage it). */
export const ExternalAccountSchema = z
  .strictObject({
    account: str("The other account's 12-digit id (not this environment's account)."),
    allow: z
      .array(z.enum(["use", "grantsForAwsResources"]))
      .describe(
        `use: Encrypt, Decrypt, ReEncrypt*, GenerateDataKey*, DescribeKey. grantsForAwsResources: CreateGrant, ListGrants, RevokeGrant only for grants to AWS services acting for that account (kms:GrantIsForAWSResource), e.g. EBS volumes encrypted under this key there. Default: ${JSON.stringify(KMS.DEFAULT_EXTERNAL_ACCOUNT_ALLOW.value)}.`,
      )
      .default([...KMS.DEFAULT_EXTERNAL_ACCOUNT_ALLOW.value]),
  })
  .describe(
    "Another account allowed to use the key (by its root: that account's IAM policies then decide which of its principals may, naming this key's ARN).",
  );

export const KeyServiceSchema = z
  .strictObject({
    service: z
      .enum(KMS.KEY_POLICY_SERVICE_NAMES as [KMS.KeyPolicyServiceName, ...KMS.KeyPolicyServiceName[]])
      .describe(
        "cloudtrail: trails encrypting log files (aws:SourceArn, kms:EncryptionContext:aws:cloudtrail:arn). logs: CloudWatch Logs log groups in the key's Region (kms:EncryptionContext:aws:logs:arn). cloudwatch: CloudWatch alarms publishing to an SNS topic encrypted with the key (aws:SourceAccount, aws:SourceArn). events: EventBridge rules sending to such a topic (aws:SourceAccount, aws:SourceArn).",
      ),
    sourceArns: strings(
      "ARNs of this account's resources the service acts for: trails (arn:<partition>:cloudtrail:<region>:<account>:trail/<name>, exact), log groups (...:logs:<region>:<account>:log-group:<name>), alarms (...:cloudwatch:<region>:<account>:alarm:<name>), rules (...:events:<region>:<account>:rule/<name>); a trailing * only after a non-empty name prefix, never for trails. At least one.",
    ),
  })
  .describe("An AWS service allowed to use the key for the listed resources of this account only.");

export const KeySchema = z
  .strictObject({
    alias: str(`Alias, alias/...; never ${KMS.RESERVED_ALIAS_PREFIX}....`),
    aliases: strings(
      `More aliases of the key, each alias/... and never ${KMS.RESERVED_ALIAS_PREFIX}...; alias stays the key's primary alias (its Name tag and messages). Every alias is unique across the environment's keys and signing keys; at most ${KMS.ALIASES_PER_KEY.value - 1} here (${KMS.ALIASES_PER_KEY.value} aliases per key in all). Default: none.`,
    ).optional(),
    description: str('Key description. Default: "Customer key <name> (<env>)".').optional(),
    store: KeyStoreKindSchema.describe(
      "Key material origin. cloudhsm needs cloudHsm, xks needs xks and xksKeyId.",
    ).default(KMS.DEFAULT_KEY_STORE.value),
    xksKeyId: str("Id of the key in the external key manager (store xks only).").optional(),
    deletionWindowDays: int(
      `Waiting period before deletion, ${KMS.DELETION_WINDOW_DAYS.min}-${KMS.DELETION_WINDOW_DAYS.max} days.`,
    ).default(KMS.DEFAULT_DELETION_WINDOW_DAYS.value),
    rotation: z
      .boolean()
      .describe(
        "Automatic rotation (every rotationPeriodDays); only for aws-kms keys. Default: true for aws-kms keys, false for custom key stores and imported (origin external) keys.",
      )
      .optional(),
    rotationPeriodDays: int(
      `Days between automatic rotations (KMS EnableKeyRotation RotationPeriodInDays), ${KMS.ROTATION_PERIOD_DAYS.min}-${KMS.ROTATION_PERIOD_DAYS.max}; only for keys that rotate (store aws-kms, origin aws-kms, rotation not false). Default: ${KMS.DEFAULT_ROTATION_PERIOD_DAYS.value} (AWS's default).`,
    ).optional(),
    administrators: strings(
      "IAM role or user ARNs of this account that manage the key but cannot use it for cryptography (key administration does not work across accounts). At least one.",
    ),
    users: strings(
      "IAM role or user ARNs that use the key (encrypt, decrypt, data keys, grants for AWS services) but cannot manage it: of this account, or of an account in externalAccounts allowed use.",
    ),
    policy: z
      .enum(["account", "closed"])
      .describe(
        "Who the key policy lets in. account: the account root keeps kms:* (AWS's default, protection against lockout), so IAM policies in the account can also grant use of the key. closed: no IAM delegation; only administrators manage and only users use the key; the principal that deploys the keys stack must be one of administrators (KMS's lockout safety check is never bypassed).",
      )
      .default(KMS.DEFAULT_KEY_POLICY_FORM.value),
    origin: z
      .enum(["aws-kms", "external"])
      .describe(
        "Where the key material comes from. aws-kms: KMS generates it. external: the key is created without material (aws_kms_external_key, never key_material_base64, so the material is never in Terraform state or a plan) and an operator imports it with the import-key-material hook step (docs/byok.md). external needs store aws-kms, importers, and no automatic rotation. Default: aws-kms.",
      )
      .optional(),
    importers: strings(
      "origin external only: IAM role or user ARNs that import the key material (GetParametersForImport, ImportKeyMaterial, RotateKeyOnDemand) and prove it with an Encrypt/Decrypt round trip; they cannot manage the key or create grants. Of this account; not administrators (denied cryptographic use), users (users need grants), encrypt-only or decrypt-only users (each denied half of the round trip). At least one.",
    ).optional(),
    keyMaterialValidityDays: int(
      `origin external only: days each import of the material stays valid (ImportKeyMaterial KEY_MATERIAL_EXPIRES, ValidTo = import time + this), ${KMS.KEY_MATERIAL_VALIDITY_DAYS.min}-${KMS.KEY_MATERIAL_VALIDITY_DAYS.max}; an alarm on SecondsUntilKeyMaterialExpiration warns ${KMS.DEFAULT_KEY_MATERIAL_EXPIRY_WARNING_DAYS.value} days before (half the validity when shorter). Default: the material does not expire (KEY_MATERIAL_DOES_NOT_EXPIRE).`,
    ).optional(),
    encryptOnlyUsers: strings(
      "IAM role or user ARNs that may encrypt and generate data keys under the key but never decrypt (explicitly denied). Default: none.",
    ).optional(),
    decryptOnlyUsers: strings(
      "IAM role or user ARNs that may decrypt under the key but never encrypt (explicitly denied). Default: none.",
    ).optional(),
    externalAccounts: z
      .array(ExternalAccountSchema)
      .describe(
        "Other accounts that may use the key (a SaaS, a central data account); each must name the key by its ARN, and its requests count against this account's KMS request quotas. Default: none.",
      )
      .optional(),
    generations: z
      .strictObject({
        current: int(
          `The generation the aliases point at, ${KMS.KEY_GENERATIONS.min}-${KMS.KEY_GENERATIONS.max} (${KMS.FIRST_KEY_GENERATION.value}: the key as first created). Raising it creates a new key in the same key store (resource key-gen<n>), moves every alias to it and keeps the earlier generations enabled for decryption only (users keep Decrypt, ReEncryptFrom and grants for AWS resources; Encrypt, GenerateDataKey* and ReEncryptTo are denied). Above ${KMS.FIRST_KEY_GENERATION.value} only for store cloudhsm or xks: those keys cannot rotate otherwise (docs/keys.md, ${KMS.MANUAL_ROTATION_DOC}).`,
        ),
        retired: z
          .array(z.number().int())
          .describe(
            "Earlier generations to retire: each is left out of the configuration, so the next apply schedules its deletion with deletionWindowDays (the plan guard shows it as the retirement of a rotated key and blocks it until allowed). Only after the data under it is re-encrypted (docs/keys.md). Default: none.",
          )
          .optional(),
        xksKeyIds: z
          .record(z.string(), z.string())
          .describe(
            'store xks only: the external key id of every generation after the first, by generation number ({ "2": "..." }); each a different external key (new key material). Generation 1 uses xksKeyId.',
          )
          .optional(),
      })
      .describe(
        "Manual rotation of a key in a custom key store: a new KMS key per generation, aliases moved, the previous key kept for decryption, retired only when listed. Default: one generation, no rotation.",
      )
      .optional(),
    multiRegion: z
      .boolean()
      .describe(
        `A multi-Region primary key (KMS CreateKey MultiRegion): only store aws-kms with origin aws-kms. Fixed at creation: changing it on an existing key replaces the key (the plan guard blocks that). Default: ${KMS.DEFAULT_MULTI_REGION.value}.`,
      )
      .optional(),
    replicaRegions: strings(
      `multiRegion only: Regions (of this environment's partition, not its own Region, each once: ${KMS.REPLICAS_PER_REGION.value} replica per Region) that get a replica with the same key policy, deletion window and aliases, through one AWS provider per Region. Each replica is billed as a key and counts toward that Region's quota of ${KMS.CUSTOMER_MANAGED_KEYS_PER_REGION.value} customer managed keys. Default: none.`,
    ).optional(),
    services: z
      .array(KeyServiceSchema)
      .describe(
        `AWS services that use the key on this account's behalf, each narrowed to source ARNs as its documentation prescribes (docs/keys.md): ${KMS.KEY_POLICY_SERVICE_NAMES.join(", ")}. Default: none.`,
      )
      .optional(),
  })
  .describe("A customer managed KMS key with separation of duties.");

/** Key specs KMS offers for asymmetric SIGN_VERIFY keys: the rulebook's {@link KMS.SIGNING_KEY_SPECS}. */
export const SIGNING_KEY_SPECS = KMS.SIGNING_KEY_SPECS;

export const SigningKeySchema = z
  .strictObject({
    alias: str(`Alias, alias/...; never ${KMS.RESERVED_ALIAS_PREFIX}....`),
    description: str('Key description. Default: "Signing key <name> (<env>)".').optional(),
    keySpec: z
      .enum(SIGNING_KEY_SPECS)
      .describe(
        `Asymmetric key spec (KMS CreateKey KeySpec). ${KMS.SIGNING_KEY_SPECS_AWAITING_PROVIDER.join(", ")} are refused until the AWS provider npm run validate plans with accepts them (docs/keys.md).`,
      ),
    store: KeyStoreKindSchema.describe(
      "Only aws-kms: custom key stores (CloudHSM, external) hold only symmetric encryption keys.",
    ).default(KMS.DEFAULT_KEY_STORE.value),
    deletionWindowDays: int(
      `Waiting period before deletion, ${KMS.DELETION_WINDOW_DAYS.min}-${KMS.DELETION_WINDOW_DAYS.max} days.`,
    ).default(KMS.DEFAULT_DELETION_WINDOW_DAYS.value),
    administrators: strings(
      "IAM role or user ARNs that manage the key but cannot sign or verify with it. At least one.",
    ),
    signers: strings("IAM role or user ARNs that may sign (kms:Sign). Default: none.").optional(),
    verifiers: strings(
      "IAM role or user ARNs that may verify signatures in KMS (kms:Verify). Default: none.",
    ).optional(),
    publicKeyReaders: strings(
      "IAM role or user ARNs that may download the public key (kms:GetPublicKey) to verify outside AWS. Default: none.",
    ).optional(),
    policy: z
      .enum(["account", "closed"])
      .describe("As for keys: account (the account root keeps kms:*) or closed (only the listed principals).")
      .default(KMS.DEFAULT_KEY_POLICY_FORM.value),
  })
  .describe("An asymmetric signing key (SIGN_VERIFY) in AWS KMS; never offered to S3, EBS or FSx.");

export const MacKeySchema = z
  .strictObject({
    alias: str(`Alias, alias/...; never ${KMS.RESERVED_ALIAS_PREFIX}....`),
    description: str('Key description. Default: "HMAC key <name> (<env>)".').optional(),
    keySpec: z
      .enum(KMS.HMAC_KEY_SPECS)
      .describe("HMAC key spec (KMS CreateKey KeySpec, KeyUsage GENERATE_VERIFY_MAC).")
      .default(KMS.DEFAULT_HMAC_KEY_SPEC.value),
    store: KeyStoreKindSchema.describe(
      "Only aws-kms: custom key stores (CloudHSM, external) hold only symmetric encryption keys.",
    ).default(KMS.DEFAULT_KEY_STORE.value),
    deletionWindowDays: int(
      `Waiting period before deletion, ${KMS.DELETION_WINDOW_DAYS.min}-${KMS.DELETION_WINDOW_DAYS.max} days.`,
    ).default(KMS.DEFAULT_DELETION_WINDOW_DAYS.value),
    administrators: strings(
      "IAM role or user ARNs that manage the key but cannot generate or verify MACs. At least one.",
    ),
    macGenerators: strings("IAM role or user ARNs that may generate MACs (kms:GenerateMac). Default: none.").optional(),
    macVerifiers: strings("IAM role or user ARNs that may verify MACs (kms:VerifyMac). Default: none.").optional(),
    policy: z
      .enum(["account", "closed"])
      .describe("As for keys: account (the account root keeps kms:*) or closed (only the listed principals).")
      .default(KMS.DEFAULT_KEY_POLICY_FORM.value),
  })
  .describe("An HMAC key (GENERATE_VERIFY_MAC) in AWS KMS; never offered to S3, EBS or FSx.");

export const CloudHsmTrustSchema = z
  .discriminatedUnion("mode", [
    z
      .strictObject({ mode: z.literal("generated") })
      .describe("A CA made by Terraform (tls provider; the CA key is in state)."),
    z
      .strictObject({
        mode: z.literal("provided"),
        signedCertificateFile: str(
          "PEM file (path relative to the repository) with the cluster certificate signed from the CSR output. Absent on the first apply.",
        ).optional(),
        trustAnchorFile: str(
          "PEM file (path relative to the repository) with the issuing CA certificate (the trust anchor). Absent on the first apply.",
        ).optional(),
      })
      .describe("The operator signs the cluster CSR offline."),
  ])
  .describe("How the cluster certificate is signed.");

export const AdminHostSchema = z
  .strictObject({
    instanceType: str("EC2 instance type.").default(CLOUDHSM.ADMIN_HOST_INSTANCE_TYPE_DEFAULT.value),
    amiId: str(
      "An AMI of the Amazon Linux 2023 family (dnf, AWS CLI, SSM agent). Default: the latest Amazon Linux 2023 via SSM parameter.",
    ).optional(),
    cliPreinstalled: z
      .boolean()
      .describe("amiId already has the CloudHSM CLI: nothing is installed at boot, cliPackage unset. Needs amiId.")
      .default(false),
    cliPackage: str(
      "Where the host installs the CloudHSM CLI RPM from at boot: an s3://bucket/key.rpm object in a bucket in this Region (read through the S3 gateway endpoint; the host's role may read that object only), or an https:// URL, which needs NAT (network.natGateway, existing VPCs only). Every CloudHSM environment needs one way to get the CLI: this, cliPreinstalled, or NAT. Default: the CloudHSM download URL, which needs NAT.",
    ).optional(),
  })
  .describe("The SSM-managed admin host that runs the in-VPC steps.");

export const ScaleToZeroSchema = z
  .strictObject({
    downAt: str(
      `Scale-down time in timezone, ${CLOUDHSM.SCALE_CLOCK_TIME.allowed}: a READY backup is confirmed, the key store disconnected (KMS refuses its keys until scale-up) and every HSM deleted (DeleteHsm takes a backup).`,
    ),
    upAt: str(
      `Scale-up time in timezone, ${CLOUDHSM.SCALE_CLOCK_TIME.allowed}: the HSMs of hsmAzs are created again (CreateHsm restores the latest backup) and the store reconnected. At least one scale run (hooks.timeoutMinutes, in 15-minute invocations) away from downAt.`,
    ),
    weekdays: z
      .array(z.enum(CLOUDHSM.SCALE_WEEKDAYS))
      .describe(
        `Days of both (${CLOUDHSM.SCALE_WEEKDAYS.join(", ")}); on the other days the HSMs stay as the last run left them.`,
      )
      .default([...CLOUDHSM.SCALE_WEEKDAYS_DEFAULT.value]),
    timezone: str(`${CLOUDHSM.SCALE_TIMEZONE.allowed}; the schedule follows its daylight saving time.`).default(
      CLOUDHSM.SCALE_TIMEZONE_DEFAULT.value,
    ),
  })
  .describe(
    "Scale to zero (non-production only, docs/cloudhsm.md): the HSMs are deleted on a schedule and recreated later; hook steps own them instead of Terraform. Refused for production-like environments. Needs hooks.runner lambda. Default: none (the HSMs run around the clock).",
  );

export const CloudHsmRestoredSchema = z
  .strictObject({
    clusterId: str(
      `The cluster restore-key-store created from a backup (npm run restore prints it): ${CLOUDHSM.CLUSTER_ID.allowed}. Terraform imports it; the key store keeps its id (the step set it).`,
    ),
    backupId: str(
      `The backup it was created from (${CLOUDHSM.BACKUP_ID.allowed}): the cluster's source_backup_identifier, which Terraform would otherwise plan to replace.`,
    ),
    hsmIds: strings(
      `The HSMs restore-key-store created (${CLOUDHSM.HSM_ID.allowed}), in the order of hsmAzs, at most one per entry: imported; the remaining hsmAzs get new HSMs.`,
    ),
    previousClusterId: str(
      "Only when the cluster being replaced was itself restored: its clusterId (the previous restored.clusterId), so Terraform forgets its addresses. Default: the cluster replaced is the original one.",
    ).optional(),
  })
  .describe(
    "After npm run restore (docs/cloudhsm.md#restore): Terraform imports the restored cluster and its HSMs and forgets the lost ones (import and removed blocks), never replacing the cluster, the key store or a key. Default: none.",
  );

export const CloudHsmSchema = z
  .strictObject({
    hsmType: z.enum(CLOUDHSM.HSM_TYPES).default(CLOUDHSM.HSM_TYPE_DEFAULT.value),
    mode: z
      .enum(CLOUDHSM.CLUSTER_MODES)
      .describe("Cluster mode (hsm2m.medium only; hsm1.medium is always FIPS).")
      .default(CLOUDHSM.CLUSTER_MODE_DEFAULT.value),
    hsmAzs: strings(
      `AZ of each HSM; the first is created alone before activation. At least ${CLOUDHSM.KEY_STORE_MIN_HSMS.value} distinct AZs, each with a subnet.`,
    ),
    backupRetentionDays: int(
      `Days CloudHSM keeps backups, ${CLOUDHSM.BACKUP_RETENTION_DAYS.min}-${CLOUDHSM.BACKUP_RETENTION_DAYS.max}.`,
    ).default(CLOUDHSM.BACKUP_RETENTION_DAYS_DEFAULT.value),
    trust: CloudHsmTrustSchema,
    keyStoreName: str(
      `KMS custom key store name, ${KMS.CUSTOM_KEY_STORE_NAME_LENGTH.min}-${KMS.CUSTOM_KEY_STORE_NAME_LENGTH.max} chars.`,
    ),
    adminHost: AdminHostSchema.prefault({}),
    scaleToZero: ScaleToZeroSchema.optional(),
    adoptHsms: z
      .record(z.string(), z.string())
      .describe(
        "HSMs AWS put in place of unhealthy ones, adopted instead of re-created: '<az>-<n>' (the n-th HSM in that AZ, as the plan guard names it) -> the replacement's HSM id. Synthesized as a Terraform import block (the plan shows an import, not a create); run terraform apply -refresh-only first so the old HSM leaves the state (docs/cloudhsm.md). Default: none.",
      )
      .optional(),
    restored: CloudHsmRestoredSchema.optional(),
  })
  .describe("A CloudHSM cluster and its KMS custom key store. Default: none.");

export const XksHealthCheckSchema = z
  .strictObject({
    protocol: z.enum(["TCP", "HTTPS"]).default(XKS.DEFAULT_HEALTH_CHECK.value.protocol),
    path: str(`HTTPS only. Default: ${XKS.DEFAULT_HEALTH_CHECK.value.httpsPath}.`).optional(),
    intervalSeconds: int("Seconds between checks.").default(XKS.DEFAULT_HEALTH_CHECK.value.intervalSeconds),
    healthyThreshold: int("Checks before a target is healthy.").default(
      XKS.DEFAULT_HEALTH_CHECK.value.healthyThreshold,
    ),
    unhealthyThreshold: int("Checks before a target is unhealthy.").default(
      XKS.DEFAULT_HEALTH_CHECK.value.unhealthyThreshold,
    ),
  })
  .describe("Target group health check.");

export const XksCredentialSchema = z
  .discriminatedUnion("source", [
    z
      .strictObject({ source: z.literal("variable") })
      .describe("Sensitive Terraform variables xks_access_key_id / xks_secret_access_key."),
    z
      .strictObject({
        source: z.literal("secretsManager"),
        secretArn: str("A secret whose JSON holds accessKeyId and secretAccessKey."),
      })
      .describe("A Secrets Manager secret."),
  ])
  .describe("Where the proxy authentication credential comes from; never a literal here.");

export const XksSchema = z
  .strictObject({
    keyStoreName: str(
      `KMS custom key store name, ${KMS.CUSTOM_KEY_STORE_NAME_LENGTH.min}-${KMS.CUSTOM_KEY_STORE_NAME_LENGTH.max} chars.`,
    ),
    privateDnsName: str("Private DNS name of the endpoint service; the proxy's TLS certificate must match it."),
    publicZone: z
      .strictObject({ id: str("Route 53 hosted zone id."), domain: str("The zone's domain.") })
      .describe("Public hosted zone where the domain-verification TXT record goes."),
    uriPath: str("Proxy URI path, /<prefix>/kms/xks/v1."),
    proxyTargets: strings("Private IPv4 addresses of the on-premises proxies (port 443); at least 2."),
    healthCheck: XksHealthCheckSchema.prefault({}),
    credential: XksCredentialSchema,
  })
  .describe("An external key store (XKS) reached over PrivateLink. Default: none.");

export const BucketSchema = z
  .strictObject({
    bucketName: str("Globally unique bucket name (S3 naming rules)."),
    key: str("Logical name of the key in keys."),
  })
  .describe("An S3 bucket encrypted with a customer key (SSE-KMS, bucket key on, versioned, private).");

export const FsxDeploymentTypeSchema = z.enum(FSX.DEPLOYMENT_TYPES);

export const FsxSchema = z
  .strictObject({
    key: str("Logical name of the key in keys."),
    deploymentType: FsxDeploymentTypeSchema.default(FSX.DEPLOYMENT_TYPE.value),
    storageCapacityGiB: int(
      `SSD capacity in GiB: ${FSX.STORAGE_CAPACITY_PER_HA_PAIR_GIB.min} x haPairs to ${FSX.STORAGE_CAPACITY_PER_HA_PAIR_GIB.max} x haPairs.`,
    ),
    throughputPerHaPair: int("Throughput per HA pair in MB/s; allowed values depend on the deployment type."),
    haPairs: int(
      `HA pairs, ${FSX.HA_PAIRS.min}-${FSX.HA_PAIRS.max} (multi-AZ: ${FSX.haPairsRange("MULTI_AZ_1").max}).`,
    ).default(FSX.HA_PAIRS_DEFAULT.value),
    subnetAzs: strings(
      `AZs of the subnets to use (multi-AZ: exactly ${FSX.subnetAzCount("MULTI_AZ_1")}, single-AZ: ${FSX.subnetAzCount("SINGLE_AZ_1")}), each with a network subnet.`,
    ),
    preferredAz: str("Preferred AZ, one of subnetAzs. Default: the first of subnetAzs.").optional(),
    automaticBackupRetentionDays: int(
      `Days of automatic backups, ${FSX.AUTOMATIC_BACKUP_RETENTION_DAYS.min}-${FSX.AUTOMATIC_BACKUP_RETENTION_DAYS.max}.`,
    ).default(FSX.AUTOMATIC_BACKUP_RETENTION_DAYS_DEFAULT.value),
    clientCidrs: strings("CIDRs allowed to reach NFS/SMB/iSCSI/management ports. Default: the VPC CIDR.").optional(),
  })
  .describe("FSx for NetApp ONTAP file system encrypted with a customer key. Default: none.");

export const DataSchema = z
  .strictObject({
    buckets: z.record(z.string(), BucketSchema).describe("S3 buckets by logical name.").default({}),
    ebs: z
      .strictObject({
        key: str("Logical name of the key in keys: the account's default EBS key."),
        serviceLinkedRoles: strings(
          `Service-linked roles that launch volumes with the default key (arn:<partition>:iam::<account>:role/aws-service-role/<service>/<name>, this account and partition); the key policy lets them use it and create grants for AWS resources. Each must exist before the keys stack is deployed (${EBS.DEFAULT_SERVICE_LINKED_ROLES.doc}). Default: EC2 Auto Scaling's ${EBS.DEFAULT_SERVICE_LINKED_ROLES.value.map((r) => r.name).join(", ")}.`,
        ).optional(),
        createServiceLinkedRoles: z
          .boolean()
          .describe(
            "Create each role of serviceLinkedRoles in the keys stack (aws_iam_service_linked_role, before the key) instead of expecting it to exist. Only for an account that does not have them yet: IAM refuses to create a service-linked role that exists.",
          )
          .default(false),
      })
      .describe("EBS encryption by default with a customer key. Default: not managed.")
      .optional(),
    fsx: FsxSchema.optional(),
  })
  .describe("Consumers of the keys, synthesized in the <name>-data stack.");

export const HooksSchema = z
  .strictObject({
    runner: z
      .enum(["local", "lambda"])
      .describe("local: Node on the machine running Terraform. lambda: a function in the VPC (Terraform Cloud).")
      .default("local"),
    timeoutMinutes: int(
      `Upper bound for each waiting step, ${HOOKS.TIMEOUT_MINUTES.min}-${HOOKS.TIMEOUT_MINUTES.max} minutes.`,
    ).default(HOOKS.TIMEOUT_MINUTES_DEFAULT.value),
  })
  .describe("How the bootstrap hooks run.");

export const AlarmSubscriptionSchema = z
  .strictObject({
    protocol: z
      .enum(["email", "https", "sqs", "lambda"])
      .describe(
        "SNS subscription protocol. email and https subscriptions stay pending until the recipient confirms them; sqs and lambda need an ARN in this account and Region (an encrypted queue's key must let sns.amazonaws.com use it).",
      ),
    endpoint: str(
      "email: an address; https: an https:// URL; sqs: a queue ARN; lambda: a function ARN (this account and Region).",
    ),
  })
  .describe("Who receives the alarms: an SNS subscription of the environment's alarm topic.");

export const AlarmsSchema = z
  .strictObject({
    subscriptions: z
      .array(AlarmSubscriptionSchema)
      .describe("Where alarm notifications go; at least one (an alarm nobody receives warns nobody)."),
    requestQuotaShare: z
      .number()
      .describe(
        `Share of the account's KMS request quota for symmetric cryptographic operations (Service Quotas, per second) at which the quota alarm fires, ${CLOUDWATCH.SHARE_WORDS}.`,
      )
      .default(CLOUDWATCH.REQUEST_QUOTA_SHARE_DEFAULT.value),
    xks: z
      .strictObject({
        certificateDays: int(
          `Days before the XKS proxy's TLS certificate expires at which to alarm, ${CLOUDWATCH.XKS_CERTIFICATE_DAYS.min}-${CLOUDWATCH.XKS_CERTIFICATE_DAYS.max} (AWS suggests at least 10; a renewal through change control takes longer).`,
        ).default(CLOUDWATCH.XKS_CERTIFICATE_DAYS_DEFAULT.value),
        latencyShare: z
          .number()
          .describe(
            `Share of KMS's ${XKS.PROXY_TIMEOUT_MS.value} ms budget for an XKS proxy answer above which the average latency alarms, ${CLOUDWATCH.SHARE_WORDS} (${CLOUDWATCH.XKS_LATENCY_SHARE_DEFAULT.value}: ${Math.round(XKS.PROXY_TIMEOUT_MS.value * CLOUDWATCH.XKS_LATENCY_SHARE_DEFAULT.value)} ms).`,
          )
          .default(CLOUDWATCH.XKS_LATENCY_SHARE_DEFAULT.value),
        credentialRotationDays: int(
          `Rotation policy of the XKS proxy authentication credential: alarm when XksProxyCredentialAge exceeds it, ${CLOUDWATCH.XKS_CREDENTIAL_ROTATION_DAYS.min}-${CLOUDWATCH.XKS_CREDENTIAL_ROTATION_DAYS.max} days.`,
        ).default(CLOUDWATCH.XKS_CREDENTIAL_ROTATION_DAYS_DEFAULT.value),
      })
      .describe("Thresholds of the external key store alarms (only with xks).")
      .prefault({}),
  })
  .describe(
    "CloudWatch alarms that warn before keys fail, sent to one SNS topic encrypted with a dedicated AWS-KMS key (docs/alarms.md). Default: none (opt in: subscriptions are a decision only you can make).",
  );

export const EnvironmentSchema = z
  .strictObject({
    $schema: str("The JSON Schema this file follows (for editors); ignored.").optional(),
    name: str(
      `Short name, lowercase letters, digits and -, ${NAMES.ENVIRONMENT_NAME_LENGTH.min}-${NAMES.ENVIRONMENT_NAME_LENGTH.max} chars; prefixes the stack names.`,
    ),
    account: str("12-digit AWS account id every resource lives in."),
    region: str("AWS Region, e.g. eu-west-1."),
    tags: z
      .record(z.string(), z.string())
      .describe("Tags added to every taggable resource (Environment, ManagedBy and Stack are set by the tool).")
      .default({}),
    backend: BackendSchema.default({ type: "local" }),
    network: NetworkSchema,
    keys: z
      .record(z.string(), KeySchema)
      .describe("Customer keys by logical name (an identifier; used for construct ids: renaming it replaces the key)."),
    signingKeys: z
      .record(z.string(), SigningKeySchema)
      .describe("Asymmetric signing keys by logical name (an identifier; renaming it replaces the key). Default: none.")
      .optional(),
    macKeys: z
      .record(z.string(), MacKeySchema)
      .describe("HMAC keys by logical name (an identifier; renaming it replaces the key). Default: none.")
      .optional(),
    cloudHsm: CloudHsmSchema.optional(),
    xks: XksSchema.optional(),
    data: DataSchema,
    hooks: HooksSchema.prefault({}),
    alarms: AlarmsSchema.optional(),
  })
  .meta({
    id: "Environment",
    title: "cmk-stacks environment",
    description: "One environment: one AWS account and Region, synthesized as <name>-keys and <name>-data.",
  });

/** What an `ENV_CONFIG` file holds: one environment or a non-empty list of them. */
export const EnvironmentFileSchema = z.union([EnvironmentSchema, z.array(EnvironmentSchema).min(1)]);

/** The JSON Schema editors use for `ENV_CONFIG` files (written to schema/environment.schema.json). */
export function environmentJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(EnvironmentFileSchema, { io: "input", unrepresentable: "throw" }) as Record<string, unknown>;
}

/** The file's text: stable formatting, so a test can tell whether the shipped file is up to date. */
export function environmentJsonSchemaText(): string {
  return `${JSON.stringify(environmentJsonSchema(), null, 2)}\n`;
}
