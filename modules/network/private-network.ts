import { Construct } from "constructs";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { DataAwsRouteTable } from "@cdktf/provider-aws/lib/data-aws-route-table";
import type { ITerraformDependable } from "cdktf";
import type { NetworkConfig } from "../../environments/types";
import type { INetwork } from "./network";
import { natDefaultRoute, OnPremisesConnection, usedBy, type RouteTableUse } from "./on-premises-connection";

export type { INetwork } from "./network";

export interface PrivateNetworkProps {
  readonly config: NetworkConfig;
  /** Prefix for Name tags. */
  readonly namePrefix: string;
}

/**
 * Private subnets in at least 2 AZs: a new VPC (DNS hostnames and resolution on, no internet
 * gateway, no NAT, default security group emptied; every subnet uses the VPC's main route table)
 * or an existing VPC whose subnets are declared with their AZ, CIDR and route table. With
 * `onPremisesConnection`, the path to the data centre ({@link OnPremisesConnection}); an existing
 * VPC declared with `natGateway` has its NAT default route checked at plan time.
 */
export class PrivateNetwork extends Construct implements INetwork {
  readonly vpcId: string;
  readonly cidr: string;
  readonly subnetIdByAz: Readonly<Record<string, string>>;
  readonly subnetIds: readonly string[];
  readonly routeTableIds: readonly string[];
  readonly onPremisesReady: readonly ITerraformDependable[];
  readonly onPremises?: OnPremisesConnection;
  private readonly namePrefix: string;

  constructor(scope: Construct, id: string, props: PrivateNetworkProps) {
    super(scope, id);
    const { config, namePrefix } = props;
    this.namePrefix = namePrefix;
    this.cidr = config.cidr;
    if (config.mode === "existing") {
      this.vpcId = config.vpcId;
      this.subnetIds = config.subnets.map((s) => s.id);
      this.subnetIdByAz = firstPerAz(config.subnets.map((s) => [s.az, s.id]));
      const tables = new Map<string, string[]>();
      for (const s of config.subnets) if (s.routeTableId) tables.set(s.routeTableId, [...(tables.get(s.routeTableId) ?? []), s.id]);
      const uses: RouteTableUse[] = [...tables].map(([routeTableId, subnetIds]) => ({ routeTableId, subnetIds }));
      this.routeTableIds = uses.map((u) => u.routeTableId);
      if (config.natGateway) {
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
      this.onPremises = this.connect(config, uses);
      this.onPremisesReady = this.onPremises?.ready ?? [];
      return;
    }
    const vpc = new Vpc(this, "vpc", {
      cidrBlock: config.cidr,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: { Name: `${namePrefix}-keys` },
    });
    // CKV2_AWS_12: the default security group must allow nothing; resources get their own groups.
    new DefaultSecurityGroup(this, "default-sg", { vpcId: vpc.id, tags: { Name: `${namePrefix}-default-deny` } });
    const subnets = config.subnets.map(
      (s) =>
        [
          s.az,
          new Subnet(this, `subnet-${s.az}-${s.cidr.replace(/[./]/g, "-")}`, {
            vpcId: vpc.id,
            availabilityZone: s.az,
            cidrBlock: s.cidr,
            mapPublicIpOnLaunch: false,
            tags: { Name: `${namePrefix}-private-${s.az}` },
          }).id,
        ] as [string, string],
    );
    this.vpcId = vpc.id;
    this.subnetIds = subnets.map(([, subnetId]) => subnetId);
    this.subnetIdByAz = firstPerAz(subnets);
    // No route table is created: every private subnet uses the VPC's main route table.
    this.routeTableIds = [vpc.mainRouteTableId];
    this.onPremises = this.connect(config, [{ routeTableId: vpc.mainRouteTableId, subnetIds: this.subnetIds }]);
    this.onPremisesReady = this.onPremises?.ready ?? [];
  }

  private connect(config: NetworkConfig, routeTables: readonly RouteTableUse[]): OnPremisesConnection | undefined {
    const connection = config.onPremisesConnection;
    if (!connection) return undefined;
    return new OnPremisesConnection(this, "on-premises", {
      vpcId: this.vpcId,
      connection,
      onPremisesCidrs: config.onPremisesCidrs ?? [],
      routeTables,
      attachmentSubnetIds: Object.values(this.subnetIdByAz),
      namePrefix: this.namePrefix,
    });
  }

  /** Subnet ids for the given AZs, in that order (validation guarantees each AZ has one). */
  subnetsIn(azs: readonly string[]): string[] {
    return azs.map((az) => this.subnetIdByAz[az]);
  }
}

function firstPerAz(pairs: readonly (readonly [string, string])[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [az, id] of pairs) out[az] ??= id;
  return out;
}
