import { Construct } from "constructs";
import { FsxOntapFileSystem } from "@cdktf/provider-aws/lib/fsx-ontap-file-system";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version";
import { DataAwsSecretsmanagerRandomPassword } from "@cdktf/provider-aws/lib/data-aws-secretsmanager-random-password";
import type { ResolvedFsx } from "../../environments/resolve";
import type { ICustomerKey } from "../keys/customer-key";

/** Ports clients use on an ONTAP file system (FSx for ONTAP user guide, "file system access control"). */
export const ONTAP_PORTS: readonly { readonly protocol: "tcp" | "udp"; readonly port: number; readonly what: string }[] = [
  ...[111, 635, 2049, 4045, 4046].flatMap((port) => (["tcp", "udp"] as const).map((protocol) => ({ protocol, port, what: "NFS" }))),
  { protocol: "tcp", port: 445, what: "SMB" },
  { protocol: "tcp", port: 3260, what: "iSCSI" },
  { protocol: "tcp", port: 22, what: "ONTAP CLI (SSH)" },
  { protocol: "tcp", port: 443, what: "ONTAP REST API" },
];

export interface FsxOntapProps {
  readonly config: ResolvedFsx;
  /** The customer key (in prod a key in the CloudHSM key store). */
  readonly key: ICustomerKey;
  readonly vpcId: string;
  readonly vpcCidr: string;
  /** Subnet id for each AZ of the key stack's network. */
  readonly subnetIdByAz: Readonly<Record<string, string>>;
  /** Route tables of the clients' subnets (multi-AZ floating IPs). @default - FSx uses the VPC's default route table */
  readonly routeTableIds?: readonly string[];
  readonly namePrefix: string;
}

/**
 * FSx for NetApp ONTAP encrypted with a customer key, reachable only from `clientCidrs` on the
 * ONTAP ports, with automatic backups, 120-minute timeouts (multi-AZ creation takes over an
 * hour) and `prevent_destroy` (kms_key_id, subnets and deployment type force replacement).
 * The `fsxadmin` password is drawn once by Secrets Manager's generator (GetRandomPassword), stored
 * in a secret of its own and given to the file system at creation; it is never a literal, and
 * like the kmsuser password it is in Terraform state as a sensitive value (docs/cloudhsm.md).
 */
export class FsxOntap extends Construct {
  readonly fileSystem: FsxOntapFileSystem;
  readonly securityGroupId: string;
  readonly adminSecret: SecretsmanagerSecret;

  constructor(scope: Construct, id: string, props: FsxOntapProps) {
    super(scope, id);
    const { config, namePrefix } = props;
    const name = `${namePrefix}-fsx-ontap`;
    const sg = new SecurityGroup(this, "sg", {
      name,
      description: "FSx for ONTAP: NFS, SMB, iSCSI and management from the client ranges only",
      vpcId: props.vpcId,
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
      cidrIpv4: props.vpcCidr,
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
      subnetIds: config.subnetAzs.map((az) => props.subnetIdByAz[az]),
      preferredSubnetId: props.subnetIdByAz[config.preferredAz],
      ...(multiAz && props.routeTableIds ? { routeTableIds: [...props.routeTableIds] } : {}),
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
