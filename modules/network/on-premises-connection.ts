import { Construct } from "constructs";
import { NETWORK } from "@cmk-stacks/aws-limits";
import type { ITerraformDependable } from "cdktf";
import { Ec2TransitGatewayVpcAttachment } from "@cdktf/provider-aws/lib/ec2-transit-gateway-vpc-attachment";
import { Route } from "@cdktf/provider-aws/lib/route";
import { VpnGateway } from "@cdktf/provider-aws/lib/vpn-gateway";
import { VpnGatewayAttachment } from "@cdktf/provider-aws/lib/vpn-gateway-attachment";
import { VpnGatewayRoutePropagation } from "@cdktf/provider-aws/lib/vpn-gateway-route-propagation";
import { DataAwsRouteTable } from "@cdktf/provider-aws/lib/data-aws-route-table";
import { EnvironmentStack } from "../core/environment-stack";
import { shown, throwIfProblems } from "../core/errors";
import { known, parseIpv4Cidr } from "./cidr";

/** A route table and the subnets that use it (existing VPCs: checked at plan time). */
export interface RouteTableUse {
  readonly routeTableId: string;
  readonly subnetIds: readonly string[];
}

/** Attach the VPC to an existing transit gateway and route every on-premises range to it. */
export interface TransitGatewayConnection {
  readonly type: "transitGateway";
  /** tgw- id of the transit gateway that reaches the data centre (yours, or shared through AWS RAM). */
  readonly transitGatewayId: string;
}

/** A virtual private gateway attached to the VPC, its routes propagated to the subnets' route tables. */
export interface VpnGatewayConnection {
  readonly type: "vpnGateway";
  /** vgw- id of an existing, detached virtual private gateway. @default - a new one (Amazon side ASN 64512) */
  readonly vpnGatewayId?: string;
}

/** Nothing is created: the route tables already route the ranges (checked at plan time). Existing VPCs only. */
export interface ExistingRoutesConnection {
  readonly type: "existingRoutes";
}

/** How a VPC reaches the data centre. */
export type OnPremisesConnectionType = TransitGatewayConnection | VpnGatewayConnection | ExistingRoutesConnection;

export interface OnPremisesConnectionProps {
  readonly vpcId: string;
  /** How the VPC reaches the data centre. */
  readonly connection: OnPremisesConnectionType;
  /** Data centre ranges (IPv4 CIDRs, each once): each gets a route (transit gateway) or must already have one (existing routes). At least one. */
  readonly onPremisesCidrs: readonly string[];
  /** Route tables the private subnets use, with those subnets. At least one. */
  readonly routeTables: readonly RouteTableUse[];
  /** One subnet per AZ (a transit gateway attachment takes at most one per AZ). Needed with a transit gateway. */
  readonly attachmentSubnetIds: readonly string[];
}

/**
 * The VPC's path to the data centre (the XKS proxies, admin networks), on the route tables of
 * the private subnets:
 * - `transitGateway`: a VPC attachment to the existing transit gateway on one subnet per AZ,
 *   and a route for every on-premises range to it (after the attachment exists);
 * - `vpnGateway`: an existing virtual private gateway attached to the VPC, or a new one, and
 *   route propagation on the route tables (the VPN / Direct Connect routes must cover the ranges);
 * - `existingRoutes`: nothing is created; each declared route table is read at plan time and a
 *   postcondition fails the plan unless a route covers every range and the table is the one the
 *   subnets use.
 * `ready` is what traffic to the data centre needs in place (the XKS key store waits for it).
 * Name tags start with the stack's name prefix ({@link EnvironmentStack.of}).
 * https://docs.aws.amazon.com/vpc/latest/tgw/tgw-vpc-attachments.html
 * https://docs.aws.amazon.com/vpn/latest/s2svpn/VPNRoutingTypes.html
 */
export class OnPremisesConnection extends Construct {
  readonly ready: readonly ITerraformDependable[];

  constructor(scope: Construct, id: string, props: OnPremisesConnectionProps) {
    super(scope, id);
    const { connection, onPremisesCidrs, routeTables } = props;
    const namePrefix = EnvironmentStack.of(this).name;
    throwIfProblems(onPremisesConnectionProblems(this.node.path, props));
    const ready: ITerraformDependable[] = [];
    if (connection.type === "transitGateway") {
      const attachment = new Ec2TransitGatewayVpcAttachment(this, "tgw-attachment", {
        transitGatewayId: connection.transitGatewayId,
        vpcId: props.vpcId,
        subnetIds: [...props.attachmentSubnetIds],
        tags: { Name: `${namePrefix}-keys` },
      });
      routeTables.forEach((rt, i) =>
        onPremisesCidrs.forEach((cidr) =>
          ready.push(
            new Route(this, `to-${cidr.replace(/[./]/g, "-")}${i ? `-${i}` : ""}`, {
              routeTableId: rt.routeTableId,
              destinationCidrBlock: cidr,
              transitGatewayId: connection.transitGatewayId,
              // A route to a transit gateway is refused until the VPC is attached to it.
              dependsOn: [attachment],
            }),
          ),
        ),
      );
      ready.push(attachment);
    } else if (connection.type === "vpnGateway") {
      let vgwId: string;
      const deps: ITerraformDependable[] = [];
      if (connection.vpnGatewayId) {
        const attachment = new VpnGatewayAttachment(this, "vgw-attachment", {
          vpcId: props.vpcId,
          vpnGatewayId: connection.vpnGatewayId,
        });
        vgwId = connection.vpnGatewayId;
        deps.push(attachment);
      } else {
        const vgw = new VpnGateway(this, "vgw", { vpcId: props.vpcId, tags: { Name: `${namePrefix}-keys` } });
        vgwId = vgw.id;
        deps.push(vgw);
      }
      ready.push(...deps);
      routeTables.forEach((rt, i) =>
        ready.push(
          new VpnGatewayRoutePropagation(this, `propagation${i ? `-${i}` : ""}`, {
            routeTableId: rt.routeTableId,
            vpnGatewayId: vgwId,
            dependsOn: deps,
          }),
        ),
      );
    } else {
      routeTables.forEach((rt) =>
        ready.push(
          new DataAwsRouteTable(this, `route-table-${rt.routeTableId}`, {
            routeTableId: rt.routeTableId,
            lifecycle: {
              postcondition: [
                usedBy(rt),
                ...onPremisesCidrs.map((cidr) => ({
                  condition: `\${${routeCovers("self.routes", cidr)}}`,
                  errorMessage: `Route table ${rt.routeTableId} (subnets ${rt.subnetIds.join(", ")}) has no route whose destination contains ${cidr} (network.onPremisesCidrs, network.onPremisesConnection existingRoutes): add a static route for it to your transit gateway, virtual private gateway or peering connection (propagated routes are not visible to this check), or use a new VPC with onPremisesConnection transitGateway or vpnGateway.`,
                })),
              ],
            },
          }),
        ),
      );
    }
    this.ready = ready;
  }
}

/** What {@link OnPremisesConnection} refuses, one line each (`where` is its construct path). */
function onPremisesConnectionProblems(where: string, props: OnPremisesConnectionProps): string[] {
  const { connection, onPremisesCidrs, routeTables } = props;
  const problems: string[] = [];
  if (onPremisesCidrs.length === 0)
    problems.push(
      `${where}.onPremisesCidrs: [] is not allowed (the data centre ranges routed through the connection: at least one)`,
    );
  onPremisesCidrs.forEach((cidr, i) => {
    if (known(cidr) && !parseIpv4Cidr(cidr))
      problems.push(
        `${where}.onPremisesCidrs.${i}: ${shown(cidr)} is not allowed (an IPv4 CIDR with no host bits set, the DestinationCidrBlock of EC2 CreateRoute)`,
      );
    else if (onPremisesCidrs.indexOf(cidr) !== i)
      problems.push(
        `${where}.onPremisesCidrs.${i}: ${shown(cidr)} is not allowed (listed twice: one route per destination in a route table, EC2 CreateRoute)`,
      );
  });
  if (routeTables.length === 0)
    problems.push(
      `${where}.routeTables: [] is not allowed (the route tables of the private subnets, where the routes go or are checked: at least one)`,
    );
  if (connection.type === "transitGateway") {
    if (known(connection.transitGatewayId) && !NETWORK.TRANSIT_GATEWAY_ID.regex.test(connection.transitGatewayId)) {
      problems.push(
        `${where}.connection.transitGatewayId: ${shown(connection.transitGatewayId)} is not allowed (${NETWORK.TRANSIT_GATEWAY_ID.allowed})`,
      );
    }
    if (props.attachmentSubnetIds.length === 0) {
      problems.push(
        `${where}.attachmentSubnetIds: [] is not allowed (a transit gateway VPC attachment needs one subnet in each AZ it serves, EC2 CreateTransitGatewayVpcAttachment SubnetIds)`,
      );
    }
  }
  if (
    connection.type === "vpnGateway" &&
    connection.vpnGatewayId !== undefined &&
    known(connection.vpnGatewayId) &&
    !NETWORK.VPN_GATEWAY_ID.regex.test(connection.vpnGatewayId)
  ) {
    problems.push(
      `${where}.connection.vpnGatewayId: ${shown(connection.vpnGatewayId)} is not allowed (${NETWORK.VPN_GATEWAY_ID.allowed})`,
    );
  }
  return problems;
}

/** The postcondition that a declared route table is the one its subnets use (explicitly, or as the main table). */
export function usedBy(rt: RouteTableUse): { condition: string; errorMessage: string } {
  return {
    condition: `\${${routeTableUsedBy("self.associations", rt.subnetIds)}}`,
    errorMessage: `Route table ${rt.routeTableId} is neither associated with the subnets ${rt.subnetIds.join(", ")} nor the VPC's main route table (network.subnets[].routeTableId): declare the route table each subnet uses.`,
  };
}

/** HCL: `associations` (of a `data.aws_route_table`) name every subnet, or mark the table as the VPC's main one. */
export function routeTableUsedBy(associations: string, subnetIds: readonly string[]): string {
  return `alltrue([for s in ${JSON.stringify(subnetIds)} : contains(${associations}[*].subnet_id, s)]) || anytrue(${associations}[*].main)`;
}

/**
 * HCL: some route in `routes` (the `routes` of a `data.aws_route_table`) has an IPv4 destination
 * that contains `cidr` (a prefix no longer than the range's and the same network address at that
 * prefix) and does not lead to the internet (NAT or internet gateway). IPv6 and prefix-list
 * routes have no `cidr_block`; `try` turns them into false, since Terraform's `&&` does not
 * short-circuit.
 */
export function routeCovers(routes: string, cidr: string): string {
  const [address, prefix] = cidr.split("/");
  return (
    `anytrue([for r in ${routes} : try(tonumber(split("/", r.cidr_block)[1]) <= ${Number(prefix)} && ` +
    `cidrhost(format("%s/%s", "${address}", split("/", r.cidr_block)[1]), 0) == cidrhost(r.cidr_block, 0) && ` +
    `r.nat_gateway_id == "" && !startswith(r.gateway_id, "igw-"), false)])`
  );
}

/** HCL: some route in `routes` sends 0.0.0.0/0 to a NAT gateway, or to a transit gateway (centralised egress). */
export function natDefaultRoute(routes: string): string {
  return `anytrue([for r in ${routes} : try(r.cidr_block == "0.0.0.0/0" && (r.nat_gateway_id != "" || r.transit_gateway_id != ""), false)])`;
}
