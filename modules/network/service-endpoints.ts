import { Construct } from "constructs";
import { NETWORK } from "@cmk-stacks/aws-limits";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { DataAwsRouteTable } from "@cdktf/provider-aws/lib/data-aws-route-table";
import { EnvironmentStack } from "../core/environment-stack";
import { shown, throwIfProblems } from "../core/errors";
import type { INetwork } from "./network";

/**
 * Interface endpoints an SSM-managed instance needs with no NAT and no internet gateway: the SSM
 * agent (ssm, ssmmessages, ec2messages) and Secrets Manager (the scripts read passwords there).
 */
export const SSM_HOST_SERVICES = ["ssm", "ssmmessages", "ec2messages", "secretsmanager"] as const;

/**
 * Extra services the hooks call when they run inside the VPC (Lambda runner): KMS (connect the
 * key store) and CloudHSM (describe, initialise). The function's own logs go through Lambda.
 */
export const IN_VPC_HOOK_SERVICES = ["kms", "cloudhsmv2"] as const;

export interface ServiceEndpointsProps {
  /** The VPC: the endpoints get one network interface in each of its AZs (`subnetIdByAz`). */
  readonly network: INetwork;
  /** Interface endpoint services (the part after `com.amazonaws.<region>.`), each once. @default SSM_HOST_SERVICES */
  readonly services?: readonly string[];
  /** Route tables of the private subnets, for the S3 gateway endpoint. @default - privateRouteTableIds(network) */
  readonly routeTableIds?: readonly string[];
}

/** An endpoint service suffix such as `ssm` or `ecr.api`: the rulebook's {@link NETWORK.ENDPOINT_SERVICE_NAME}. */
const SERVICE_NAME = NETWORK.ENDPOINT_SERVICE_NAME;

/**
 * Private access to AWS APIs from the private subnets: one interface endpoint per service (private
 * DNS on, one ENI per AZ), a security group that admits HTTPS from the VPC CIDR only, and an S3
 * gateway endpoint on the subnets' route tables (S3 buckets in this Region: the Amazon Linux
 * package repositories; a bucket in another Region is not reachable through it).
 */
export class ServiceEndpoints extends Construct {
  /** Security group of the interface endpoints: clients allow egress 443 to it. */
  readonly securityGroupId: string;
  /** Managed prefix list of S3 in this Region: clients allow egress 443 to it. */
  readonly s3PrefixListId: string;
  /** Every endpoint, for `depends_on` of things that need them at create time. */
  readonly endpoints: readonly VpcEndpoint[];

  constructor(scope: Construct, id: string, props: ServiceEndpointsProps) {
    super(scope, id);
    const { network } = props;
    const services = props.services ?? SSM_HOST_SERVICES;
    // An interface endpoint takes at most one subnet per AZ.
    const subnetIds = Object.values(network.subnetIdByAz);
    const where = this.node.path;
    const problems: string[] = [];
    services.forEach((service, i) => {
      if (!SERVICE_NAME.regex.test(service))
        problems.push(`${where}.services.${i}: ${shown(service)} is not allowed (${SERVICE_NAME.allowed})`);
      else if (services.indexOf(service) !== i)
        problems.push(
          `${where}.services.${i}: ${shown(service)} is not allowed (listed twice: one interface endpoint per service and VPC with private DNS)`,
        );
    });
    if (subnetIds.length === 0)
      problems.push(
        `${where}.network.subnetIdByAz: {} is not allowed (an interface endpoint needs a subnet in at least one AZ, EC2 CreateVpcEndpoint SubnetIds)`,
      );
    throwIfProblems(problems);
    const { region, name: namePrefix } = EnvironmentStack.of(this);
    const sg = new SecurityGroup(this, "sg", {
      name: `${namePrefix}-service-endpoints`,
      description: "Interface VPC endpoints: HTTPS from inside the VPC only",
      vpcId: network.vpcId,
      tags: { Name: `${namePrefix}-service-endpoints` },
    });
    new VpcSecurityGroupIngressRule(this, "https-from-vpc", {
      securityGroupId: sg.id,
      description: "HTTPS from the VPC",
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
      cidrIpv4: network.cidr,
    });
    const interfaces = services.map(
      (service) =>
        new VpcEndpoint(this, `endpoint-${service}`, {
          vpcId: network.vpcId,
          serviceName: `com.amazonaws.${region}.${service}`,
          vpcEndpointType: "Interface",
          privateDnsEnabled: true,
          subnetIds,
          securityGroupIds: [sg.id],
          tags: { Name: `${namePrefix}-${service}` },
        }),
    );
    const s3 = new VpcEndpoint(this, "endpoint-s3", {
      vpcId: network.vpcId,
      serviceName: `com.amazonaws.${region}.s3`,
      vpcEndpointType: "Gateway",
      routeTableIds: [...(props.routeTableIds ?? privateRouteTableIds(this, network))],
      tags: { Name: `${namePrefix}-s3` },
    });
    this.securityGroupId = sg.id;
    this.s3PrefixListId = s3.prefixListId;
    this.endpoints = [...interfaces, s3];
  }
}

/**
 * Route tables the network's private subnets use: those the network declares (a new VPC's main
 * route table, which `PrivateNetwork` reads from the VPC resource so plans need no AWS call;
 * the route tables an existing VPC declares per subnet). An existing VPC that declares none falls
 * back to its main route table, looked up in `scope` (data source, read at plan time).
 */
export function privateRouteTableIds(scope: Construct, network: INetwork): string[] {
  if (network.routeTableIds.length) return [...network.routeTableIds];
  const main = new DataAwsRouteTable(scope, "main-route-table", {
    vpcId: network.vpcId,
    filter: [{ name: "association.main", values: ["true"] }],
  });
  return [main.id];
}
