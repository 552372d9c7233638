/**
 * The environment contract: what a user writes in `environments/<env>.ts` (or in the JSON file
 * named by `ENV_CONFIG`). Required fields are the decisions only the user can make; everything
 * else has a secure default, documented as behaviour. Every field is checked by the constraint
 * tables in `environments/validation/` before any construct is built.
 */

/** One environment: one AWS account and Region, synthesized as `<name>-keys` and `<name>-data`. */
export interface EnvironmentConfig {
  /** Short name, lowercase letters, digits and `-`, 2-20 chars; prefixes the stack names. */
  readonly name: string;
  /** 12-digit AWS account id every resource lives in. */
  readonly account: string;
  /** AWS Region, e.g. `eu-west-1`. */
  readonly region: string;
  /** Tags added to every taggable resource. @default - `Environment` and `ManagedBy` only */
  readonly tags?: Readonly<Record<string, string>>;
  /** Where Terraform keeps state for this environment's stacks. @default - local state files */
  readonly backend?: BackendConfig;
  /** The VPC the keys stack uses: a new one, or an existing one with its subnets declared. */
  readonly network: NetworkConfig;
  /** Customer keys by logical name (the name is used for construct ids: renaming it replaces the key). */
  readonly keys: Readonly<Record<string, KeyConfig>>;
  /** A CloudHSM cluster and its KMS custom key store. @default - none */
  readonly cloudHsm?: CloudHsmConfig;
  /** An external key store (XKS) reached over PrivateLink. @default - none */
  readonly xks?: XksConfig;
  /** Consumers of the keys, synthesized in the `<name>-data` stack. */
  readonly data: DataConfig;
  /** How the bootstrap hooks run. @default - `{ runner: "local", timeoutMinutes: 45 }` */
  readonly hooks?: HookConfig;
}

/** State storage per environment. */
export type BackendConfig =
  | { readonly type: "local" }
  | {
      readonly type: "cloud";
      /** Terraform Cloud / Enterprise organization. */
      readonly organization: string;
      /** Workspace name prefix; each stack gets `<prefix><stack>`. @default - "" */
      readonly workspacePrefix?: string;
      /** @default "app.terraform.io" */
      readonly hostname?: string;
    }
  | {
      readonly type: "s3";
      /** State bucket (must already exist, versioned). */
      readonly bucket: string;
      /** Key prefix; each stack's state is `<prefix>/<stack>.tfstate`. @default "cmk" */
      readonly keyPrefix?: string;
      /** @default - the environment's Region */
      readonly region?: string;
      /** Locking: S3 native lock file. @default true */
      readonly useLockfile?: boolean;
    };

/** A private subnet, declared with its AZ and CIDR so placement rules are checked at synth. */
export interface SubnetSpec {
  /** Availability zone name, e.g. `eu-west-1a`. */
  readonly az: string;
  /** IPv4 CIDR inside the VPC CIDR. */
  readonly cidr: string;
}

/**
 * How a new VPC reaches the data centre (`onPremisesCidrs`): the routes are created on the route
 * table of every private subnet (the VPC's main route table, which they all use).
 * - `transitGateway`: an existing transit gateway (yours or shared with this account through RAM);
 *   the stack attaches the VPC (one subnet per AZ) and routes every `onPremisesCidrs` range to it.
 * - `vpnGateway`: a virtual private gateway (an existing detached one by `vpnGatewayId`, or a new
 *   one) attached to the VPC, with route propagation on the subnets' route table: the VPN or
 *   Direct Connect routes it learns must cover `onPremisesCidrs`.
 */
export type NewVpcOnPremisesConnection =
  | {
      readonly type: "transitGateway";
      /** `tgw-` id of the transit gateway that reaches the data centre. */
      readonly transitGatewayId: string;
    }
  | {
      readonly type: "vpnGateway";
      /** `vgw-` id of an existing, detached virtual private gateway. @default - a new one (Amazon side ASN 64512) */
      readonly vpnGatewayId?: string;
    };

/**
 * An existing VPC's path to the data centre is yours: `existingRoutes` declares that the route
 * table of every subnet (`subnets[].routeTableId`) already holds a route covering each
 * `onPremisesCidrs` range (to a transit gateway, virtual private gateway, peering connection...).
 * Terraform checks it at plan time (data sources with postconditions); routes a virtual private
 * gateway propagates are not visible to that check, so declare them as static routes.
 */
export type ExistingVpcOnPremisesConnection = { readonly type: "existingRoutes" };

/** Network for the key infrastructure: private subnets only, in at least 2 AZs. */
export type NetworkConfig =
  | {
      readonly mode: "new";
      /** VPC IPv4 CIDR (/16 to /28). Must not overlap `onPremisesCidrs`. */
      readonly cidr: string;
      /** Private subnets; at least 2 distinct AZs. No public subnets are ever created. */
      readonly subnets: readonly SubnetSpec[];
      /** Address ranges of the data centres (XKS proxies, admin networks) that must stay routable. @default [] */
      readonly onPremisesCidrs?: readonly string[];
      /** How the VPC reaches `onPremisesCidrs`; required with `xks`. @default - none: the VPC has only its local route */
      readonly onPremisesConnection?: NewVpcOnPremisesConnection;
      /** A NAT gateway needs a public subnet; only the `false` default is supported. @default false */
      readonly natGateway?: false;
    }
  | {
      readonly mode: "existing";
      /** `vpc-` id of the existing VPC (DNS hostnames and resolution must be on). */
      readonly vpcId: string;
      /** The existing VPC's IPv4 CIDR, declared so overlap rules can be checked at synth. */
      readonly cidr: string;
      /**
       * Existing private subnets with their AZ and CIDR, and the route table each uses (its
       * explicit association, or the VPC's main route table): required with `xks`, `cloudHsm` or
       * `onPremisesConnection` (the S3 gateway endpoint goes on it; routes are checked on it).
       */
      readonly subnets: readonly (SubnetSpec & { readonly id: string; readonly routeTableId?: string })[];
      /** @default [] */
      readonly onPremisesCidrs?: readonly string[];
      /** How the VPC reaches `onPremisesCidrs`; required with `xks`. @default - none */
      readonly onPremisesConnection?: ExistingVpcOnPremisesConnection;
      /**
       * The subnets already reach the internet through NAT (a `0.0.0.0/0` route to a NAT gateway,
       * or to a transit gateway for centralised egress, on each declared route table, checked at
       * plan time): the CloudHSM admin host may then download the CLI from an https:// URL and is
       * allowed HTTPS egress to the internet. @default false
       */
      readonly natGateway?: boolean;
    };

/** Where a key's material lives. */
export type KeyStoreKind = "aws-kms" | "cloudhsm" | "xks";

/** A customer managed KMS key with separation of duties. */
export interface KeyConfig {
  /** Alias, `alias/...`; never `alias/aws/...`. */
  readonly alias: string;
  /** @default - "Customer key <name> (<env>)" */
  readonly description?: string;
  /** Key material origin. `cloudhsm` needs `cloudHsm`, `xks` needs `xks` and `xksKeyId`. @default "aws-kms" */
  readonly store?: KeyStoreKind;
  /** Id of the key in the external key manager (store `xks` only). */
  readonly xksKeyId?: string;
  /** Waiting period before deletion, 7-30 days. @default 30 */
  readonly deletionWindowDays?: number;
  /** Yearly automatic rotation. Only for `aws-kms` keys (custom key stores do not support it). @default true for aws-kms keys */
  readonly rotation?: boolean;
  /** IAM role ARNs that manage the key but cannot use it for cryptography. At least one. */
  readonly administrators: readonly string[];
  /** IAM role ARNs that use the key (encrypt, decrypt, data keys) and may create grants for AWS services, but cannot manage it. */
  readonly users: readonly string[];
}

/** CloudHSM cluster and the KMS custom key store on it. */
export interface CloudHsmConfig {
  /** @default "hsm2m.medium" */
  readonly hsmType?: "hsm1.medium" | "hsm2m.medium";
  /** Cluster mode (hsm2m.medium only; hsm1.medium is always FIPS). @default "FIPS" */
  readonly mode?: "FIPS" | "NON_FIPS";
  /** AZ of each HSM; the first is created alone before activation. At least 2 distinct AZs, each with a subnet. */
  readonly hsmAzs: readonly string[];
  /** Days CloudHSM keeps backups, 7-379. @default 90 */
  readonly backupRetentionDays?: number;
  /** How the cluster certificate is signed. */
  readonly trust: CloudHsmTrustConfig;
  /** KMS custom key store name, 1-256 chars. */
  readonly keyStoreName: string;
  /** The SSM-managed admin host that runs the in-VPC steps. @default - t3.micro, latest Amazon Linux 2023 with the CLI installed at boot (from `cliPackage`) */
  readonly adminHost?: {
    /** @default "t3.micro" */
    readonly instanceType?: string;
    /** An AMI of the Amazon Linux 2023 family (dnf, AWS CLI, SSM agent). @default - the latest Amazon Linux 2023 via SSM parameter */
    readonly amiId?: string;
    /** `amiId` already has the CloudHSM CLI installed: no install at boot, `cliPackage` unset. Needs `amiId`. @default false */
    readonly cliPreinstalled?: boolean;
    /**
     * Where the host installs the CloudHSM CLI RPM from at boot: an `s3://bucket/key.rpm` object
     * in a bucket in this Region (read through the S3 gateway endpoint with the host's role, which
     * may read that object only; the bucket's Region is checked at apply), or an `https://` URL,
     * which needs a NAT path (`network.natGateway`, existing VPCs only).
     * Every CloudHSM environment needs one way to get the CLI: this, `cliPreinstalled`, or NAT.
     * @default - the CloudHSM download URL (https://s3.amazonaws.com/cloudhsmv2-software/...), which needs NAT
     */
    readonly cliPackage?: string;
  };
}

/** `generated`: a CA made by Terraform (tls provider; the CA key is in state). `provided`: the operator signs the CSR offline. */
export type CloudHsmTrustConfig =
  | { readonly mode: "generated" }
  | {
      readonly mode: "provided";
      /** PEM file (path relative to the repository) with the cluster certificate signed from the CSR output. Absent on the first apply. */
      readonly signedCertificateFile?: string;
      /** PEM file with the issuing CA certificate (the trust anchor). Absent on the first apply. */
      readonly trustAnchorFile?: string;
    };

/** External key store reached over a VPC endpoint service (PrivateLink). */
export interface XksConfig {
  /** KMS custom key store name, 1-256 chars. */
  readonly keyStoreName: string;
  /** Private DNS name of the endpoint service; the proxy's TLS certificate must match it. */
  readonly privateDnsName: string;
  /** Public hosted zone (id and domain) where the domain-verification TXT record goes. */
  readonly publicZone: { readonly id: string; readonly domain: string };
  /** Proxy URI path, `/<prefix>/kms/xks/v1`. */
  readonly uriPath: string;
  /** Private IPv4 addresses of the on-premises proxies (port 443); at least 2. */
  readonly proxyTargets: readonly string[];
  /** Target group health check. @default - TCP on 443, 10 s interval, 3/3 thresholds */
  readonly healthCheck?: {
    readonly protocol?: "TCP" | "HTTPS";
    /** HTTPS only. @default "/" */
    readonly path?: string;
    /** @default 10 */
    readonly intervalSeconds?: number;
    /** @default 3 */
    readonly healthyThreshold?: number;
    /** @default 3 */
    readonly unhealthyThreshold?: number;
  };
  /**
   * Where the proxy authentication credential comes from; never a literal here.
   * `variable`: sensitive Terraform variables `xks_access_key_id` / `xks_secret_access_key`.
   * `secretsManager`: a secret whose JSON holds `accessKeyId` and `secretAccessKey`.
   */
  readonly credential: { readonly source: "variable" } | { readonly source: "secretsManager"; readonly secretArn: string };
}

/** Consumers in the `<env>-data` stack. */
export interface DataConfig {
  /** S3 buckets by logical name. @default {} */
  readonly buckets?: Readonly<Record<string, BucketConfig>>;
  /** EBS encryption by default with a customer key. @default - not managed */
  readonly ebs?: { readonly key: string };
  /** FSx for NetApp ONTAP file system. @default - none */
  readonly fsx?: FsxOntapConfig;
}

/** An S3 bucket encrypted with a customer key (SSE-KMS, bucket key on, versioned, private). */
export interface BucketConfig {
  /** Globally unique bucket name (S3 naming rules). */
  readonly bucketName: string;
  /** Logical name of the key in `keys`. */
  readonly key: string;
}

/** FSx for NetApp ONTAP deployment types. */
export type FsxDeploymentType = "MULTI_AZ_1" | "MULTI_AZ_2" | "SINGLE_AZ_1" | "SINGLE_AZ_2";

/** FSx for NetApp ONTAP, encrypted with a customer key. */
export interface FsxOntapConfig {
  /** Logical name of the key in `keys` (a CloudHSM-store key in `prod`). */
  readonly key: string;
  /** @default "MULTI_AZ_1" */
  readonly deploymentType?: FsxDeploymentType;
  /** SSD capacity in GiB: 1024 x haPairs to 524288 x haPairs. */
  readonly storageCapacityGiB: number;
  /** Throughput per HA pair in MB/s; allowed values depend on the deployment type. */
  readonly throughputPerHaPair: number;
  /** HA pairs, 1-12 (multi-AZ: 1). @default 1 */
  readonly haPairs?: number;
  /** AZs of the subnets to use (multi-AZ: exactly 2, single-AZ: 1), each with a network subnet. */
  readonly subnetAzs: readonly string[];
  /** Preferred AZ, one of `subnetAzs`. @default - the first of `subnetAzs` */
  readonly preferredAz?: string;
  /** Days of automatic backups, 0-90. @default 30 */
  readonly automaticBackupRetentionDays?: number;
  /** CIDRs allowed to reach NFS/SMB/iSCSI/management ports. @default - the VPC CIDR */
  readonly clientCidrs?: readonly string[];
}

/** How bootstrap hooks run. */
export interface HookConfig {
  /** `local`: Node on the machine running Terraform. `lambda`: a function in the VPC (Terraform Cloud). @default "local" */
  readonly runner?: "local" | "lambda";
  /** Upper bound for each waiting step. @default 45 */
  readonly timeoutMinutes?: number;
}
