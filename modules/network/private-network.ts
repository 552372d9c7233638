import { Construct } from "constructs";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import type { NetworkConfig } from "../../environments/types";

/** What other constructs need from the network: ids, never the resources themselves. */
export interface INetwork {
  readonly vpcId: string;
  readonly cidr: string;
  /** Subnet id for each AZ (the first subnet declared in that AZ). */
  readonly subnetIdByAz: Readonly<Record<string, string>>;
  /** Every subnet id, in declaration order. */
  readonly subnetIds: readonly string[];
}

export interface PrivateNetworkProps {
  readonly config: NetworkConfig;
  /** Prefix for Name tags. */
  readonly namePrefix: string;
}

/**
 * Private subnets in at least 2 AZs: a new VPC (DNS hostnames and resolution on, no internet
 * gateway, no NAT, default security group emptied) or an existing VPC whose subnets are declared
 * with their AZ and CIDR.
 */
export class PrivateNetwork extends Construct implements INetwork {
  readonly vpcId: string;
  readonly cidr: string;
  readonly subnetIdByAz: Readonly<Record<string, string>>;
  readonly subnetIds: readonly string[];

  constructor(scope: Construct, id: string, props: PrivateNetworkProps) {
    super(scope, id);
    const { config, namePrefix } = props;
    this.cidr = config.cidr;
    if (config.mode === "existing") {
      this.vpcId = config.vpcId;
      this.subnetIds = config.subnets.map((s) => s.id);
      this.subnetIdByAz = firstPerAz(config.subnets.map((s) => [s.az, s.id]));
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
