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
import { FSX, inRange, SECRETS_MANAGER } from "@cmk-stacks/aws-limits";

/** Ports clients use on an ONTAP file system (the rulebook's {@link FSX.ONTAP_PORTS}). */
export const ONTAP_PORTS = FSX.ONTAP_PORTS;

/** FSx for ONTAP deployment types (CreateFileSystem OntapConfiguration.DeploymentType; the rulebook's {@link FSX.DEPLOYMENT_TYPES}). */
export type FsxOntapDeploymentType = FSX.DeploymentType;

export interface FsxOntapProps {
  /** The customer key (in prod a key in the CloudHSM key store). Changing it replaces the file system. */
  readonly key: ICustomerKey;
  /** The network the file system's subnets, security group and floating IP routes are in. */
  readonly network: INetwork;
  /** Changing it replaces the file system. @default - the rulebook's {@link FSX.DEPLOYMENT_TYPE} */
  readonly deploymentType?: FsxOntapDeploymentType;
  /** HA pairs, as the rulebook's {@link FSX.haPairsRange} allows for the deployment type. @default - the rulebook's {@link FSX.HA_PAIRS_DEFAULT} */
  readonly haPairs?: number;
  /** SSD capacity: the rulebook's {@link FSX.STORAGE_CAPACITY_PER_HA_PAIR_GIB} x haPairs. @default - its minimum x haPairs */
  readonly storageCapacityGiB?: number;
  /** Throughput per HA pair in MB/s, one of the rulebook's {@link FSX.THROUGHPUT_PER_HA_PAIR} for the deployment type. @default - the lowest the deployment type allows */
  readonly throughputPerHaPair?: number;
  /**
   * AZs of the file system's subnets, each with a subnet in `network` (the rulebook's {@link FSX.subnetAzCount}: multi-AZ 2, single-AZ 1).
   * Changing them replaces the file system.
   * @default - the network's first AZ (single-AZ) or first two AZs (multi-AZ), in declaration order
   */
  readonly subnetAzs?: readonly string[];
  /** AZ of the preferred file server, one of `subnetAzs`. @default - the first of subnetAzs ({@link FSX.defaultPreferredAz}) */
  readonly preferredAz?: string;
  /** Days of automatic backups, the rulebook's {@link FSX.AUTOMATIC_BACKUP_RETENTION_DAYS} (0: off). @default - the rulebook's {@link FSX.AUTOMATIC_BACKUP_RETENTION_DAYS_DEFAULT} */
  readonly automaticBackupRetentionDays?: number;
  /** IPv4 ranges allowed to reach the ONTAP ports ({@link ONTAP_PORTS}), each listed once. @default - the network's CIDR ({@link FSX.defaultClientCidrs}) */
  readonly clientCidrs?: readonly string[];
  /**
   * Route tables of the clients' subnets (multi-AZ floating IPs; ignored for single-AZ).
   * @default - the network's routeTableIds; when it has none, FSx uses the VPC's main route table
   */
  readonly routeTableIds?: readonly string[];
}

/**
 * FSx for NetApp ONTAP encrypted with a customer key, reachable only from `clientCidrs` on the
 * ONTAP ports, with automatic backups, {@link FSX.TIMEOUT_MINUTES} timeouts (multi-AZ creation takes over an
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
      description:
        "fsxadmin password of the ONTAP file system (generated at creation; rotate with UpdateFileSystem, then update this secret)",
      recoveryWindowInDays: SECRETS_MANAGER.DEFAULT_RECOVERY_WINDOW_DAYS.value,
      tags: { "cmk:holds": "fsx-admin-credential", Name: `${name}-fsxadmin` },
      lifecycle: { preventDestroy: true },
    });
    // Each read draws a new password, so the secret's value and the file system's password are
    // taken from the read of the first apply and later reads are ignored (ignore_changes).
    // FSX.ADMIN_PASSWORD_GENERATED_LENGTH letters and digits: inside ONTAP's FSX.ADMIN_PASSWORD_LENGTH, nothing a shell or ONTAP escapes.
    const generated = new DataAwsSecretsmanagerRandomPassword(this, "fsxadmin-generator", {
      passwordLength: FSX.ADMIN_PASSWORD_GENERATED_LENGTH.value,
      excludePunctuation: true,
      requireEachIncludedType: true,
    });
    const adminPassword = new SecretsmanagerSecretVersion(this, "fsxadmin-value", {
      secretId: this.adminSecret.id,
      secretString: generated.randomPassword,
      lifecycle: { ignoreChanges: ["secret_string"] },
    });

    const multiAz = FSX.isMultiAz(config.deploymentType);
    const timeout = `${FSX.TIMEOUT_MINUTES.value}m`;
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
      timeouts: { create: timeout, update: timeout, delete: timeout },
      lifecycle: { preventDestroy: true, ignoreChanges: ["fsx_admin_password"] },
      // The secret holds the password before the file system uses it.
      dependsOn: [adminPassword],
    });
    this.securityGroupId = sg.id;
  }
}

/** The props with every default applied. */
function resolveFsxOntapProps(p: FsxOntapProps) {
  const deploymentType = p.deploymentType ?? FSX.DEPLOYMENT_TYPE.value;
  const haPairs = p.haPairs ?? FSX.HA_PAIRS_DEFAULT.value;
  const subnetAzs = p.subnetAzs ?? Object.keys(p.network.subnetIdByAz).slice(0, FSX.subnetAzCount(deploymentType));
  return {
    deploymentType,
    haPairs,
    storageCapacityGiB: p.storageCapacityGiB ?? FSX.storageCapacityRange(haPairs).min,
    throughputPerHaPair: p.throughputPerHaPair ?? FSX.THROUGHPUT_PER_HA_PAIR[deploymentType]?.[0],
    subnetAzs,
    preferredAz: p.preferredAz ?? FSX.defaultPreferredAz(subnetAzs),
    automaticBackupRetentionDays: p.automaticBackupRetentionDays ?? FSX.AUTOMATIC_BACKUP_RETENTION_DAYS_DEFAULT.value,
    clientCidrs: p.clientCidrs ?? FSX.defaultClientCidrs(p.network.cidr),
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
  const refuse = (prop: string, value: unknown, why: string) =>
    problems.push(`${path}.${prop}: ${shown(value)} is not allowed (${why})`);
  const judged = (v: unknown): boolean => v !== undefined && !Token.isUnresolved(v);
  const allowed = FSX.THROUGHPUT_PER_HA_PAIR[c.deploymentType];
  if (!allowed) {
    refuse("deploymentType", c.deploymentType, `${FSX.DEPLOYMENT_TYPE_WORDS}, FSx CreateFileSystem DeploymentType`);
    return problems;
  }
  const multiAz = FSX.isMultiAz(c.deploymentType);
  if (judged(c.haPairs) && !FSX.haPairsAllowed(c.deploymentType, c.haPairs)) {
    const r = FSX.haPairsRange(c.deploymentType);
    refuse(
      "haPairs",
      c.haPairs,
      `${r.min === r.max ? r.min : `${r.min} to ${r.max}`} for ${c.deploymentType}, FSx CreateFileSystem HAPairs`,
    );
  }
  const pairs = judged(c.haPairs) ? c.haPairs : FSX.HA_PAIRS_DEFAULT.value;
  if (judged(p.storageCapacityGiB) && !FSX.storageCapacityAllowed(pairs, c.storageCapacityGiB)) {
    const r = FSX.storageCapacityRange(pairs);
    refuse(
      "storageCapacityGiB",
      c.storageCapacityGiB,
      `${r.min} to ${r.max} ${r.unit} for ${pairs} HA pair(s), FSx CreateFileSystem StorageCapacity`,
    );
  }
  if (judged(c.throughputPerHaPair) && !FSX.throughputAllowed(c.deploymentType, c.throughputPerHaPair)) {
    refuse(
      "throughputPerHaPair",
      c.throughputPerHaPair,
      `one of ${allowed.join(", ")} MB/s for ${c.deploymentType}, FSx CreateFileSystem ThroughputCapacityPerHAPair`,
    );
  }
  const count = FSX.subnetAzCount(c.deploymentType);
  if (c.subnetAzs.length !== count || new Set(c.subnetAzs).size !== c.subnetAzs.length) {
    refuse(
      "subnetAzs",
      c.subnetAzs,
      `${multiAz ? `exactly ${count} distinct AZs for a multi-AZ` : `exactly ${count} AZ for a single-AZ`} file system, FSx CreateFileSystem SubnetIds`,
    );
  }
  const known = Object.keys(p.network.subnetIdByAz);
  c.subnetAzs.forEach((az, i) => {
    if (judged(az) && !known.includes(az))
      refuse(`subnetAzs.${i}`, az, `an AZ with a subnet in the network (${known.join(", ") || "none"})`);
  });
  if (judged(c.preferredAz) && !c.subnetAzs.includes(c.preferredAz))
    refuse(
      "preferredAz",
      c.preferredAz,
      `one of subnetAzs (${c.subnetAzs.join(", ")}), FSx CreateFileSystem PreferredSubnetId`,
    );
  const backupDays = FSX.AUTOMATIC_BACKUP_RETENTION_DAYS;
  if (judged(c.automaticBackupRetentionDays) && !inRange(backupDays, c.automaticBackupRetentionDays)) {
    refuse(
      "automaticBackupRetentionDays",
      c.automaticBackupRetentionDays,
      `${backupDays.min} to ${backupDays.max} ${backupDays.unit}, FSx CreateFileSystem AutomaticBackupRetentionDays`,
    );
  }
  c.clientCidrs.forEach((cidr, i) => {
    if (judged(cidr) && c.clientCidrs.indexOf(cidr) !== i)
      refuse(
        `clientCidrs.${i}`,
        cidr,
        "a range listed once: EC2 refuses a duplicate security group rule (InvalidPermission.Duplicate)",
      );
  });
  return problems;
}
