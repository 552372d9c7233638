import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { CloudhsmV2Cluster } from "@cdktf/provider-aws/lib/cloudhsm-v2-cluster";
import { CloudhsmV2Hsm } from "@cdktf/provider-aws/lib/cloudhsm-v2-hsm";
import { DataAwsCloudhsmV2Cluster } from "@cdktf/provider-aws/lib/data-aws-cloudhsm-v2-cluster";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import type { INetwork } from "../network/network";
import { EnvironmentStack } from "../core/environment-stack";
import { shown, throwIfProblems } from "../core/errors";

/** TCP ports of the HSM ENIs (CloudHSM client and CLI). */
export const HSM_PORTS = { from: 2223, to: 2225 } as const;

/** HSMs per cluster (CloudHSM quotas: https://docs.aws.amazon.com/cloudhsm/latest/userguide/limits.html). */
export const MAX_HSMS_PER_CLUSTER = 28;

export type HsmType = "hsm1.medium" | "hsm2m.medium";
export type ClusterMode = "FIPS" | "NON_FIPS";

export interface HsmClusterProps {
  /** The network whose subnets (one per HSM AZ) hold the cluster's ENIs. */
  readonly network: INetwork;
  /** AZ of each HSM (1-28, each with a subnet in `network`); the first is created alone, the others after activation. */
  readonly hsmAzs: readonly string[];
  /** @default "hsm2m.medium" */
  readonly hsmType?: HsmType;
  /**
   * Sent only for hsm2m.medium; hsm1.medium clusters are always FIPS and take no mode
   * (https://docs.aws.amazon.com/cloudhsm/latest/APIReference/API_CreateCluster.html).
   * @default "FIPS"
   */
  readonly mode?: ClusterMode;
}

/**
 * A CloudHSM cluster in the subnets of the HSM AZs, with exactly one HSM (`hsmAzs[0]`): a second
 * CreateHsm before the cluster is ACTIVE fails, so the others come from `addRemainingHsms`, which
 * the caller runs after activation. Every cluster and HSM carries `prevent_destroy`.
 *
 * Backup retention: the AWS provider 5.100 that plans offline here has no attribute for it;
 * `CloudHsm` sets it with the `set-backup-retention` hook (ModifyCluster).
 */
export class HsmCluster extends Construct {
  readonly cluster: CloudhsmV2Cluster;
  /** The only HSM created before initialisation. */
  readonly firstHsm: CloudhsmV2Hsm;
  readonly clusterId: string;
  /** The security group CloudHSM created for the cluster (members reach each other on 2223-2225). */
  readonly securityGroupId: string;
  /** The rules admitting clients to the HSMs (`allowHsmAccessFrom`), for `depends_on`. */
  readonly accessRules: VpcSecurityGroupIngressRule[] = [];
  private readonly props: HsmClusterProps;
  private remaining?: CloudhsmV2Hsm[];

  constructor(scope: Construct, id: string, props: HsmClusterProps) {
    super(scope, id);
    const hsmType = props.hsmType ?? "hsm2m.medium";
    const mode = props.mode ?? "FIPS";
    const at = (prop: string) => `${this.node.path}.${prop}`;
    const problems: string[] = [];
    if (!["hsm1.medium", "hsm2m.medium"].includes(hsmType)) problems.push(`${at("hsmType")}: ${shown(hsmType)} is not allowed ("hsm1.medium" or "hsm2m.medium", CloudHSM CreateCluster HsmType)`);
    if (!["FIPS", "NON_FIPS"].includes(mode)) problems.push(`${at("mode")}: ${shown(mode)} is not allowed ("FIPS" or "NON_FIPS", CloudHSM CreateCluster Mode)`);
    else if (hsmType === "hsm1.medium" && mode !== "FIPS") problems.push(`${at("mode")}: ${shown(mode)} is not allowed (hsm1.medium clusters are always FIPS, CloudHSM CreateCluster Mode)`);
    if (props.hsmAzs.length < 1 || props.hsmAzs.length > MAX_HSMS_PER_CLUSTER) {
      problems.push(`${at("hsmAzs")}: ${shown(props.hsmAzs)} is not allowed (1-${MAX_HSMS_PER_CLUSTER} HSMs, CloudHSM quota of HSMs per cluster)`);
    }
    props.hsmAzs.forEach((az, i) => {
      if (!Object.prototype.hasOwnProperty.call(props.network.subnetIdByAz, az)) {
        problems.push(`${at(`hsmAzs[${i}]`)}: ${shown(az)} is not allowed (an AZ with a subnet in the network: ${Object.keys(props.network.subnetIdByAz).join(", ") || "none"}; CloudHSM CreateHsm AvailabilityZone)`);
      }
    });
    throwIfProblems(problems);
    this.props = props;
    const azs = [...new Set(props.hsmAzs)];
    this.cluster = new CloudhsmV2Cluster(this, "cluster", {
      hsmType,
      ...(hsmType === "hsm2m.medium" ? { mode } : {}),
      subnetIds: azs.map((az) => props.network.subnetIdByAz[az]),
      tags: { Name: `${EnvironmentStack.of(this).name}-cloudhsm` },
      lifecycle: { preventDestroy: true },
    });
    this.clusterId = this.cluster.clusterId;
    this.securityGroupId = this.cluster.securityGroupId;
    this.firstHsm = this.hsm(props.hsmAzs[0], 1);
  }

  /**
   * Admits `securityGroupId` (the admin host, later a hook Lambda) to the HSMs on TCP 2223-2225:
   * the only ingress the cluster's security group gets besides its own members.
   */
  allowHsmAccessFrom(id: string, securityGroupId: string): VpcSecurityGroupIngressRule {
    const rule = new VpcSecurityGroupIngressRule(this, `access-from-${id}`, {
      securityGroupId: this.securityGroupId,
      description: `CloudHSM client ports from ${id}`,
      ipProtocol: "tcp",
      fromPort: HSM_PORTS.from,
      toPort: HSM_PORTS.to,
      referencedSecurityGroupId: securityGroupId,
    });
    this.accessRules.push(rule);
    return rule;
  }

  /**
   * The HSMs after the first (`hsmAzs[1..]`), each depending on `after` only (the activation), so
   * Terraform creates them in parallel. Call once.
   */
  addRemainingHsms(after: readonly ITerraformDependable[]): CloudhsmV2Hsm[] {
    if (this.remaining) throw new Error(`${this.node.path}: addRemainingHsms was already called`);
    const seen: Record<string, number> = { [this.props.hsmAzs[0]]: 1 };
    this.remaining = this.props.hsmAzs.slice(1).map((az) => {
      seen[az] = (seen[az] ?? 0) + 1;
      return this.hsm(az, seen[az], after);
    });
    return this.remaining;
  }

  /**
   * The cluster as read after the first HSM exists: its CSR (`cluster_certificates[0].cluster_csr`)
   * is empty before that and gone after initialisation.
   */
  csr(): string {
    const existing = this.node.tryFindChild("after-first-hsm") as DataAwsCloudhsmV2Cluster | undefined;
    const data = existing ?? new DataAwsCloudhsmV2Cluster(this, "after-first-hsm", { clusterId: this.clusterId, dependsOn: [this.firstHsm] });
    return data.clusterCertificates.get(0).clusterCsr;
  }

  /** Ids stay stable when the list is reordered: `hsm-<az>-<n>` (n-th HSM in that AZ). */
  private hsm(az: string, n: number, after?: readonly ITerraformDependable[]): CloudhsmV2Hsm {
    return new CloudhsmV2Hsm(this, `hsm-${az}-${n}`, {
      clusterId: this.clusterId,
      subnetId: this.props.network.subnetIdByAz[az],
      dependsOn: after ? [...after] : undefined,
      lifecycle: { preventDestroy: true },
    });
  }
}
