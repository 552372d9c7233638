import type { ITerraformDependable } from "cdktf";

/** What other constructs need from the network: ids, never the resources themselves. */
export interface INetwork {
  readonly vpcId: string;
  readonly cidr: string;
  /** Subnet id for each AZ (the first subnet declared in that AZ). */
  readonly subnetIdByAz: Readonly<Record<string, string>>;
  /** Every subnet id, in declaration order. */
  readonly subnetIds: readonly string[];
  /** Route tables the private subnets use (S3 gateway endpoint, FSx floating IPs, on-premises routes). Empty when an existing VPC declares none. */
  readonly routeTableIds: readonly string[];
  /** What traffic to `onPremisesCidrs` needs in place (attachment, routes, propagation, plan-time checks). */
  readonly onPremisesReady: readonly ITerraformDependable[];
}
