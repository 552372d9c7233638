import { Construct } from "constructs";
import { privateSubnetName } from "../cloudhsm/names";
import { NETWORK } from "@cmk-stacks/aws-limits";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { DataAwsRouteTable } from "@cdktf/provider-aws/lib/data-aws-route-table";
import type { ITerraformDependable } from "cdktf";
import { EnvironmentStack } from "../core/environment-stack";
import { shown, throwIfProblems } from "../core/errors";
import type { INetwork } from "./network";
import { known, parseIpv4Cidr, rangeContains, rangesOverlap } from "./cidr";
import {
  natDefaultRoute,
  OnPremisesConnection,
  usedBy,
  type ExistingRoutesConnection,
  type RouteTableUse,
  type TransitGatewayConnection,
  type VpnGatewayConnection,
} from "./on-premises-connection";

export type { INetwork } from "./network";

/** A private subnet to create. */
export interface NewSubnetProps {
  /** Availability zone name, e.g. `eu-west-1a`. */
  readonly az: string;
  /** IPv4 CIDR inside the VPC CIDR, within {@link NETWORK.SUBNET_CIDR_PREFIX}. */
  readonly cidr: string;
}

/** An existing private subnet, declared with what the constructs cannot look up at synth. */
export interface ExistingSubnetProps {
  /** subnet- id. */
  readonly id: string;
  readonly az: string;
  /** The subnet's IPv4 CIDR, inside the VPC CIDR. */
  readonly cidr: string;
  /**
   * rtb- id of the route table the subnet uses (its explicit association, or the VPC's main
   * table): the S3 gateway endpoint goes on it and on-premises / NAT routes are checked on it.
   * @default - none declared (an on-premises connection then has no route table to check)
   */
  readonly routeTableId?: string;
}

/** A new VPC with private subnets only. */
export interface NewVpcProps {
  readonly mode: "new";
  /** VPC IPv4 CIDR, within {@link NETWORK.VPC_CIDR_PREFIX}. */
  readonly cidr: string;
  /** Private subnets, in at least {@link NETWORK.MIN_AZS} distinct AZs. No public subnet is ever created. */
  readonly subnets: readonly NewSubnetProps[];
  /** Data centre ranges (the XKS proxies, admin networks); none may overlap the VPC CIDR. @default [] */
  readonly onPremisesCidrs?: readonly string[];
  /** How the VPC reaches `onPremisesCidrs`. @default - none (the VPC has only its local route) */
  readonly onPremisesConnection?: TransitGatewayConnection | VpnGatewayConnection;
  /** A NAT gateway needs a public subnet: a new VPC never has one. @default false */
  readonly natGateway?: false;
}

/** An existing VPC whose private subnets are declared. */
export interface ExistingVpcProps {
  readonly mode: "existing";
  /** vpc- id (DNS hostnames and resolution must be on). */
  readonly vpcId: string;
  /** The VPC's IPv4 CIDR, declared so that address rules can be checked at synth. */
  readonly cidr: string;
  /** Existing private subnets, in at least {@link NETWORK.MIN_AZS} distinct AZs. */
  readonly subnets: readonly ExistingSubnetProps[];
  /** Data centre ranges (the XKS proxies, admin networks); none may overlap the VPC CIDR. @default [] */
  readonly onPremisesCidrs?: readonly string[];
  /** The declared route tables already route `onPremisesCidrs` (checked at plan time). @default - none */
  readonly onPremisesConnection?: ExistingRoutesConnection;
  /**
   * The subnets already reach the internet through NAT: each declared route table's 0.0.0.0/0
   * route to a NAT or transit gateway is checked at plan time.
   * @default false
   */
  readonly natGateway?: boolean;
}

/** A new VPC or an existing one. */
export type PrivateNetworkProps = NewVpcProps | ExistingVpcProps;

/** The rulebook's {@link NETWORK.VPC_CIDR_PREFIX} and {@link NETWORK.SUBNET_CIDR_PREFIX} (the same sizes). */
const CIDR_SIZES = `an IPv4 CIDR from /${NETWORK.VPC_CIDR_PREFIX.min} to /${NETWORK.VPC_CIDR_PREFIX.max} with no host bits set, Amazon VPC CreateVpc / CreateSubnet CidrBlock`;

/**
 * Private subnets in at least 2 AZs: a new VPC (DNS hostnames and resolution on, no internet
 * gateway, no NAT, default security group emptied; every subnet uses the VPC's main route table)
 * or an existing VPC whose subnets are declared with their AZ, CIDR and route table. With
 * `onPremisesConnection`, the path to the data centre ({@link OnPremisesConnection}); an existing
 * VPC declared with `natGateway` has its NAT default route checked at plan time. Name tags start
 * with the stack's name prefix ({@link EnvironmentStack.of}).
 * https://docs.aws.amazon.com/vpc/latest/userguide/configure-subnets.html
 */
export class PrivateNetwork extends Construct implements INetwork {
  readonly vpcId: string;
  readonly cidr: string;
  readonly subnetIdByAz: Readonly<Record<string, string>>;
  readonly subnetIds: readonly string[];
  readonly routeTableIds: readonly string[];
  readonly onPremisesCidrs: readonly string[];
  readonly onPremisesReady: readonly ITerraformDependable[];
  readonly onPremises?: OnPremisesConnection;

  constructor(scope: Construct, id: string, props: PrivateNetworkProps) {
    super(scope, id);
    throwIfProblems(privateNetworkProblems(this.node.path, props));
    const namePrefix = EnvironmentStack.of(this).name;
    this.cidr = props.cidr;
    this.onPremisesCidrs = [...(props.onPremisesCidrs ?? [])];
    if (props.mode === "existing") {
      this.vpcId = props.vpcId;
      this.subnetIds = props.subnets.map((s) => s.id);
      this.subnetIdByAz = firstPerAz(props.subnets.map((s) => [s.az, s.id]));
      const tables = new Map<string, string[]>();
      for (const s of props.subnets)
        if (s.routeTableId) tables.set(s.routeTableId, [...(tables.get(s.routeTableId) ?? []), s.id]);
      const uses: RouteTableUse[] = [...tables].map(([routeTableId, subnetIds]) => ({ routeTableId, subnetIds }));
      this.routeTableIds = uses.map((u) => u.routeTableId);
      if (props.natGateway) {
        for (const rt of uses) {
          new DataAwsRouteTable(this, `nat-route-${rt.routeTableId}`, {
            routeTableId: rt.routeTableId,
            lifecycle: {
              postcondition: [
                usedBy(rt),
                {
                  condition: `\${${natDefaultRoute("self.routes")}}`,
                  errorMessage: `Route table ${rt.routeTableId} (subnets ${rt.subnetIds.join(", ")}) has no 0.0.0.0/0 route to a NAT gateway or a transit gateway (network.natGateway: true): add one, or set network.natGateway to false and give cloudHsm.adminHost an s3:// cliPackage or an AMI with the CLI.`,
                },
              ],
            },
          });
        }
      }
      this.onPremises = this.connect(props.onPremisesConnection, uses);
      this.onPremisesReady = this.onPremises?.ready ?? [];
      return;
    }
    const vpc = new Vpc(this, "vpc", {
      cidrBlock: props.cidr,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: { Name: `${namePrefix}-keys` },
    });
    // CKV2_AWS_12: the default security group must allow nothing; resources get their own groups.
    new DefaultSecurityGroup(this, "default-sg", { vpcId: vpc.id, tags: { Name: `${namePrefix}-default-deny` } });
    const subnets = props.subnets.map(
      (s) =>
        [
          s.az,
          new Subnet(this, `subnet-${s.az}-${s.cidr.replace(/[./]/g, "-")}`, {
            vpcId: vpc.id,
            availabilityZone: s.az,
            cidrBlock: s.cidr,
            mapPublicIpOnLaunch: false,
            tags: { Name: privateSubnetName(namePrefix, s.az) },
          }).id,
        ] as [string, string],
    );
    this.vpcId = vpc.id;
    this.subnetIds = subnets.map(([, subnetId]) => subnetId);
    this.subnetIdByAz = firstPerAz(subnets);
    // No route table is created: every private subnet uses the VPC's main route table.
    this.routeTableIds = [vpc.mainRouteTableId];
    this.onPremises = this.connect(props.onPremisesConnection, [
      { routeTableId: vpc.mainRouteTableId, subnetIds: this.subnetIds },
    ]);
    this.onPremisesReady = this.onPremises?.ready ?? [];
  }

  private connect(
    connection: PrivateNetworkProps["onPremisesConnection"],
    routeTables: readonly RouteTableUse[],
  ): OnPremisesConnection | undefined {
    if (!connection) return undefined;
    return new OnPremisesConnection(this, "on-premises", {
      vpcId: this.vpcId,
      connection,
      onPremisesCidrs: this.onPremisesCidrs,
      routeTables,
      attachmentSubnetIds: Object.values(this.subnetIdByAz),
    });
  }
}

/** What {@link PrivateNetwork} refuses, one line each (`where` is its construct path). Token values are left to AWS. */
function privateNetworkProblems(where: string, props: PrivateNetworkProps): string[] {
  const problems: string[] = [];
  const vpc = known(props.cidr) ? parseIpv4Cidr(props.cidr) : undefined;
  if (known(props.cidr) && !NETWORK.isVpcCidr(props.cidr))
    problems.push(`${where}.cidr: ${shown(props.cidr)} is not allowed (${CIDR_SIZES})`);
  if (props.mode === "existing" && known(props.vpcId) && !NETWORK.VPC_ID.regex.test(props.vpcId)) {
    problems.push(`${where}.vpcId: ${shown(props.vpcId)} is not allowed (${NETWORK.VPC_ID.allowed})`);
  }
  const azs = [...new Set(props.subnets.map((s) => s.az))];
  if (azs.length < NETWORK.MIN_AZS.value) {
    const n = NETWORK.MIN_AZS.value;
    problems.push(
      `${where}.subnets: ${shown(azs)} is not allowed (subnets in at least ${n} distinct AZs: CloudHSM clusters, network load balancers and interface endpoints need ${n} AZs for availability)`,
    );
  }
  const parsed = props.subnets.map((s) => (known(s.cidr) ? parseIpv4Cidr(s.cidr) : undefined));
  props.subnets.forEach((s, i) => {
    const at = `${where}.subnets.${i}`;
    const range = parsed[i];
    if (known(s.cidr) && !NETWORK.isSubnetCidr(s.cidr))
      problems.push(`${at}.cidr: ${shown(s.cidr)} is not allowed (${CIDR_SIZES})`);
    else if (range && vpc && !rangeContains(vpc, range))
      problems.push(
        `${at}.cidr: ${shown(s.cidr)} is not allowed (a range inside the VPC CIDR ${props.cidr}, Amazon VPC CreateSubnet)`,
      );
    else if (range) {
      const j = parsed.findIndex((other, k) => k < i && other !== undefined && rangesOverlap(other, range));
      if (j >= 0)
        problems.push(
          `${at}.cidr: ${shown(s.cidr)} is not allowed (overlaps subnets.${j}.cidr ${props.subnets[j].cidr}: subnet CIDRs in a VPC cannot overlap, Amazon VPC CreateSubnet)`,
        );
    }
    if ("id" in s && known(s.id)) {
      if (!NETWORK.SUBNET_ID.regex.test(s.id))
        problems.push(`${at}.id: ${shown(s.id)} is not allowed (${NETWORK.SUBNET_ID.allowed})`);
      else if (props.subnets.findIndex((o) => "id" in o && o.id === s.id) !== i)
        problems.push(`${at}.id: ${shown(s.id)} is not allowed (each subnet listed once)`);
    }
  });
  (props.onPremisesCidrs ?? []).forEach((cidr, i) => {
    const range = known(cidr) ? parseIpv4Cidr(cidr) : undefined;
    if (range && vpc && rangesOverlap(range, vpc)) {
      problems.push(
        `${where}.onPremisesCidrs.${i}: ${shown(cidr)} is not allowed (overlaps the VPC CIDR ${props.cidr}: traffic to it would stay in the VPC, and XKS over PrivateLink needs the VPC and the key manager's network apart)`,
      );
    }
  });
  return problems;
}

function firstPerAz(pairs: readonly (readonly [string, string])[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [az, id] of pairs) out[az] ??= id;
  return out;
}
