import { Construct } from "constructs";
import { Token } from "cdktf";
import { FsxOntapFileSystem } from "@cdktf/provider-aws/lib/fsx-ontap-file-system";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version";
import { DataAwsSecretsmanagerRandomPassword } from "@cdktf/provider-aws/lib/data-aws-secretsmanager-random-password";
import type { ICustomerKey } from "../keys/customer-key";
import type { INetwork } from "../network/network";
import { EnvironmentStack } from "../core/environment-stack";
import { shown, throwIfProblems } from "../core/errors";

/** Ports clients use on an ONTAP file system (FSx for ONTAP user guide, "file system access control"). */
export const ONTAP_PORTS: readonly { readonly protocol: "tcp" | "udp"; readonly port: number; readonly what: string }[] = [
  ...[111, 635, 2049, 4045, 4046].flatMap((port) => (["tcp", "udp"] as const).map((protocol) => ({ protocol, port, what: "NFS" }))),
  { protocol: "tcp", port: 445, what: "SMB" },
  { protocol: "tcp", port: 3260, what: "iSCSI" },
  { protocol: "tcp", port: 22, what: "ONTAP CLI (SSH)" },
  { protocol: "tcp", port: 443, what: "ONTAP REST API" },
];

/** FSx for ONTAP deployment types (CreateFileSystem OntapConfiguration.DeploymentType). */
export type FsxOntapDeploymentType = "MULTI_AZ_1" | "MULTI_AZ_2" | "SINGLE_AZ_1" | "SINGLE_AZ_2";

/**
 * Throughput per HA pair (MB/s) each deployment type allows
 * (https://docs.aws.amazon.com/fsx/latest/APIReference/API_CreateFileSystemOntapConfiguration.html).
 */
export const FSX_ONTAP_THROUGHPUT: Readonly<Record<FsxOntapDeploymentType, readonly number[]>> = {
  SINGLE_AZ_1: [128, 256, 512, 1024, 2048, 4096],
  MULTI_AZ_1: [128, 256, 512, 1024, 2048, 4096],
  SINGLE_AZ_2: [1536, 3072, 6144],
  MULTI_AZ_2: [384, 768, 1536, 3072, 6144],
};

export interface FsxOntapProps {
  /** The customer key (in prod a key in the CloudHSM key store). Changing it replaces the file system. */
  readonly key: ICustomerKey;
  /** The network the file system's subnets, security group and floating IP routes are in. */
  readonly network: INetwork;
  /** Changing it replaces the file system. @default "MULTI_AZ_1" */
  readonly deploymentType?: FsxOntapDeploymentType;
  /** HA pairs: 1 for MULTI_AZ_1, MULTI_AZ_2 and SINGLE_AZ_1; 1 to 12 for SINGLE_AZ_2. @default 1 */
  readonly haPairs?: number;
  /** SSD capacity: 1024 x haPairs to 524288 x haPairs GiB. @default - 1024 x haPairs (the minimum) */
  readonly storageCapacityGiB?: number;
  /** Throughput per HA pair in MB/s, one of {@link FSX_ONTAP_THROUGHPUT} for the deployment type. @default - the lowest the deployment type allows */
  readonly throughputPerHaPair?: number;
  /**
   * AZs of the file system's subnets, each with a subnet in `network` (multi-AZ: exactly 2, single-AZ: 1).
   * Changing them replaces the file system.
   * @default - the network's first AZ (single-AZ) or first two AZs (multi-AZ), in declaration order
   */
  readonly subnetAzs?: readonly string[];
  /** AZ of the preferred file server, one of `subnetAzs`. @default - the first of subnetAzs */
  readonly preferredAz?: string;
  /** Days of automatic backups, 0 (off) to 90. @default 30 */
  readonly automaticBackupRetentionDays?: number;
  /** IPv4 ranges allowed to reach the ONTAP ports ({@link ONTAP_PORTS}), each listed once. @default - the network's CIDR */
  readonly clientCidrs?: readonly string[];
  /**
   * Route tables of the clients' subnets (multi-AZ floating IPs; ignored for single-AZ).
   * @default - the network's routeTableIds; when it has none, FSx uses the VPC's main route table
   */
  readonly routeTableIds?: readonly string[];
}

/**
 * FSx for NetApp ONTAP encrypted with a customer key, reachable only from `clientCidrs` on the
 * ONTAP ports, with automatic backups, 120-minute timeouts (multi-AZ creation takes over an
 * hour) and `prevent_destroy` (kms_key_id, subnets and deployment type force replacement).
 * The `fsxadmin` password is drawn once by Secrets Manager's generator (GetRandomPassword), stored
 * in a secret of its own and given to the file system at creation; it is never a literal, and
 * like the kmsuser password it is in Terraform state as a sensitive value (docs/cloudhsm.md).
 * Names start with the enclosing {@link EnvironmentStack}'s name.
 */
export class FsxOntap extends Construct {
  readonly fileSystem: FsxOntapFileSystem;
  readonly securityGroupId: string;
  readonly adminSecret: SecretsmanagerSecret;

  constructor(scope: Construct, id: string, props: FsxOntapProps) {
    super(scope, id);
    const namePrefix = EnvironmentStack.of(this).name;
    const config = resolveFsxOntapProps(props);
    throwIfProblems(fsxOntapProblems(this.node.path, props, config));
    const name = `${namePrefix}-fsx-ontap`;
    const sg = new SecurityGroup(this, "sg", {
      name,
      description: "FSx for ONTAP: NFS, SMB, iSCSI and management from the client ranges only",
      vpcId: props.network.vpcId,
      tags: { Name: name },
    });
    config.clientCidrs.forEach((cidr, i) => {
      for (const p of ONTAP_PORTS) {
        new VpcSecurityGroupIngressRule(this, `in-${p.protocol}-${p.port}-${i}`, {
          securityGroupId: sg.id,
          description: `${p.what} from ${cidr}`,
          ipProtocol: p.protocol,
          fromPort: p.port,
          toPort: p.port,
          cidrIpv4: cidr,
        });
      }
    });
    // Directory services, SnapMirror and the HA partner are inside the VPC.
    new VpcSecurityGroupEgressRule(this, "out-vpc", {
      securityGroupId: sg.id,
      description: "Inside the VPC only",
      ipProtocol: "-1",
      cidrIpv4: props.network.cidr,
    });
    this.adminSecret = new SecretsmanagerSecret(this, "fsxadmin", {
      name: `${namePrefix}/fsx-ontap/fsxadmin-password`,
      description: "fsxadmin password of the ONTAP file system (generated at creation; rotate with UpdateFileSystem, then update this secret)",
      recoveryWindowInDays: 30,
      tags: { "cmk:holds": "fsx-admin-credential", Name: `${name}-fsxadmin` },
      lifecycle: { preventDestroy: true },
    });
    // Each read draws a new password, so the secret's value and the file system's password are
    // taken from the read of the first apply and later reads are ignored (ignore_changes).
    // 32 letters and digits: inside ONTAP's 8-50 characters, nothing a shell or ONTAP escapes.
    const generated = new DataAwsSecretsmanagerRandomPassword(this, "fsxadmin-generator", {
      passwordLength: 32,
      excludePunctuation: true,
      requireEachIncludedType: true,
    });
    const adminPassword = new SecretsmanagerSecretVersion(this, "fsxadmin-value", {
      secretId: this.adminSecret.id,
      secretString: generated.randomPassword,
      lifecycle: { ignoreChanges: ["secret_string"] },
    });

    const multiAz = config.deploymentType.startsWith("MULTI_AZ");
    this.fileSystem = new FsxOntapFileSystem(this, "fs", {
      deploymentType: config.deploymentType,
      storageType: "SSD",
      storageCapacity: config.storageCapacityGiB,
      haPairs: config.haPairs,
      throughputCapacityPerHaPair: config.throughputPerHaPair,
      subnetIds: config.subnetAzs.map((az) => props.network.subnetIdByAz[az]),
      preferredSubnetId: props.network.subnetIdByAz[config.preferredAz],
      ...(multiAz && config.routeTableIds.length ? { routeTableIds: [...config.routeTableIds] } : {}),
      securityGroupIds: [sg.id],
      kmsKeyId: props.key.keyArn,
      automaticBackupRetentionDays: config.automaticBackupRetentionDays,
      tags: { Name: name, EncryptionKey: props.key.name },
      fsxAdminPassword: generated.randomPassword,
      timeouts: { create: "120m", update: "120m", delete: "120m" },
      lifecycle: { preventDestroy: true, ignoreChanges: ["fsx_admin_password"] },
      // The secret holds the password before the file system uses it.
      dependsOn: [adminPassword],
    });
    this.securityGroupId = sg.id;
  }
}

/** The props with every default applied. */
function resolveFsxOntapProps(p: FsxOntapProps) {
  const deploymentType = p.deploymentType ?? "MULTI_AZ_1";
  const haPairs = p.haPairs ?? 1;
  const subnetAzs = p.subnetAzs ?? Object.keys(p.network.subnetIdByAz).slice(0, deploymentType.startsWith("MULTI_AZ") ? 2 : 1);
  return {
    deploymentType,
    haPairs,
    storageCapacityGiB: p.storageCapacityGiB ?? 1024 * haPairs,
    throughputPerHaPair: p.throughputPerHaPair ?? FSX_ONTAP_THROUGHPUT[deploymentType]?.[0],
    subnetAzs,
    preferredAz: p.preferredAz ?? subnetAzs[0],
    automaticBackupRetentionDays: p.automaticBackupRetentionDays ?? 30,
    clientCidrs: p.clientCidrs ?? [p.network.cidr],
    routeTableIds: p.routeTableIds ?? p.network.routeTableIds,
  };
}

/**
 * Every invariant at once, one line each, with the CreateFileSystem limits
 * (https://docs.aws.amazon.com/fsx/latest/APIReference/API_CreateFileSystemOntapConfiguration.html,
 * https://docs.aws.amazon.com/fsx/latest/APIReference/API_CreateFileSystem.html). Unresolved tokens are not judged.
 */
function fsxOntapProblems(path: string, p: FsxOntapProps, c: ReturnType<typeof resolveFsxOntapProps>): string[] {
  const problems: string[] = [];
  const refuse = (prop: string, value: unknown, why: string) => problems.push(`${path}.${prop}: ${shown(value)} is not allowed (${why})`);
  const judged = (v: unknown): boolean => v !== undefined && !Token.isUnresolved(v);
  const intIn = (v: number, min: number, max: number) => Number.isInteger(v) && v >= min && v <= max;
  const allowed = FSX_ONTAP_THROUGHPUT[c.deploymentType];
  if (!allowed) {
    refuse("deploymentType", c.deploymentType, "MULTI_AZ_1, MULTI_AZ_2, SINGLE_AZ_1 or SINGLE_AZ_2, FSx CreateFileSystem DeploymentType");
    return problems;
  }
  const multiAz = c.deploymentType.startsWith("MULTI_AZ");
  const scaleOut = c.deploymentType === "SINGLE_AZ_2";
  if (judged(c.haPairs) && !(scaleOut ? intIn(c.haPairs, 1, 12) : c.haPairs === 1)) {
    refuse("haPairs", c.haPairs, `${scaleOut ? "1 to 12" : "1"} for ${c.deploymentType}, FSx CreateFileSystem HAPairs`);
  }
  const pairs = judged(c.haPairs) ? c.haPairs : 1;
  if (judged(p.storageCapacityGiB) && !intIn(c.storageCapacityGiB, 1024 * pairs, 524288 * pairs)) {
    refuse("storageCapacityGiB", c.storageCapacityGiB, `${1024 * pairs} to ${524288 * pairs} GiB for ${pairs} HA pair(s), FSx CreateFileSystem StorageCapacity`);
  }
  if (judged(c.throughputPerHaPair) && !allowed.includes(c.throughputPerHaPair)) {
    refuse("throughputPerHaPair", c.throughputPerHaPair, `one of ${allowed.join(", ")} MB/s for ${c.deploymentType}, FSx CreateFileSystem ThroughputCapacityPerHAPair`);
  }
  const count = multiAz ? 2 : 1;
  if (c.subnetAzs.length !== count || new Set(c.subnetAzs).size !== c.subnetAzs.length) {
    refuse("subnetAzs", c.subnetAzs, `${multiAz ? "exactly 2 distinct AZs for a multi-AZ" : "exactly 1 AZ for a single-AZ"} file system, FSx CreateFileSystem SubnetIds`);
  }
  const known = Object.keys(p.network.subnetIdByAz);
  c.subnetAzs.forEach((az, i) => {
    if (judged(az) && !known.includes(az)) refuse(`subnetAzs.${i}`, az, `an AZ with a subnet in the network (${known.join(", ") || "none"})`);
  });
  if (judged(c.preferredAz) && !c.subnetAzs.includes(c.preferredAz)) refuse("preferredAz", c.preferredAz, `one of subnetAzs (${c.subnetAzs.join(", ")}), FSx CreateFileSystem PreferredSubnetId`);
  if (judged(c.automaticBackupRetentionDays) && !intIn(c.automaticBackupRetentionDays, 0, 90)) {
    refuse("automaticBackupRetentionDays", c.automaticBackupRetentionDays, "0 to 90 days, FSx CreateFileSystem AutomaticBackupRetentionDays");
  }
  c.clientCidrs.forEach((cidr, i) => {
    if (judged(cidr) && c.clientCidrs.indexOf(cidr) !== i) refuse(`clientCidrs.${i}`, cidr, "a range listed once: EC2 refuses a duplicate security group rule (InvalidPermission.Duplicate)");
  });
  return problems;
}
