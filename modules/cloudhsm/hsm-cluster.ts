import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { CloudhsmV2Cluster } from "@cdktf/provider-aws/lib/cloudhsm-v2-cluster";
import { CloudhsmV2Hsm } from "@cdktf/provider-aws/lib/cloudhsm-v2-hsm";
import { DataAwsCloudhsmV2Cluster } from "@cdktf/provider-aws/lib/data-aws-cloudhsm-v2-cluster";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import type { INetwork } from "../network/private-network";

/** TCP ports of the HSM ENIs (CloudHSM client and CLI). */
export const HSM_PORTS = { from: 2223, to: 2225 } as const;

export interface HsmClusterProps {
  readonly network: INetwork;
  /** @default "hsm2m.medium" */
  readonly hsmType: "hsm1.medium" | "hsm2m.medium";
  /** Sent only for hsm2m.medium (hsm1.medium clusters are always FIPS and take no mode). */
  readonly mode: "FIPS" | "NON_FIPS";
  /** AZ of each HSM; the first is created alone, the others after activation. */
  readonly hsmAzs: readonly string[];
  readonly namePrefix: string;
}

/**
 * A CloudHSM cluster in the subnets of the HSM AZs, with exactly one HSM (`hsmAzs[0]`): a second
 * CreateHsm before the cluster is ACTIVE fails, so the others come from `addRemainingHsms`, which
 * the caller runs after activation. Every cluster and HSM carries `prevent_destroy`.
 *
 * Backup retention: the AWS provider 5.100 that plans offline here has no attribute for it
 * (CloudHSM's default, 90 days, applies); see docs/cloudhsm.md for the CLI command.
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
    this.props = props;
    const azs = [...new Set(props.hsmAzs)];
    this.cluster = new CloudhsmV2Cluster(this, "cluster", {
      hsmType: props.hsmType,
      ...(props.hsmType === "hsm2m.medium" ? { mode: props.mode } : {}),
      subnetIds: azs.map((az) => props.network.subnetIdByAz[az]),
      tags: { Name: `${props.namePrefix}-cloudhsm` },
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
