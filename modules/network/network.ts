import type { ITerraformDependable } from "cdktf";

/**
 * What other constructs need from the network: ids, never the resources themselves.
 * {@link PrivateNetwork} implements it; a construct reused in another app can be given any VPC
 * described this way.
 */
export interface INetwork {
  readonly vpcId: string;
  /** The VPC's IPv4 CIDR (security group rules admit it; in-VPC clients come from it). */
  readonly cidr: string;
  /** Subnet id for each AZ (the first subnet declared in that AZ). */
  readonly subnetIdByAz: Readonly<Record<string, string>>;
  /** Every subnet id, in declaration order. */
  readonly subnetIds: readonly string[];
  /** Route tables the private subnets use (S3 gateway endpoint, FSx floating IPs, on-premises routes). Empty when an existing VPC declares none. */
  readonly routeTableIds: readonly string[];
  /**
   * Data centre ranges the subnets reach through {@link onPremisesReady} (the XKS proxies, admin
   * networks): the only egress destinations of the XKS load balancer.
   * @default [] - the network reaches no data centre
   */
  readonly onPremisesCidrs?: readonly string[];
  /** What traffic to `onPremisesCidrs` needs in place (attachment, routes, propagation, plan-time checks). */
  readonly onPremisesReady: readonly ITerraformDependable[];
}
