/**
 * The VPC the keys live in: CIDR sizes, the AZ minimum and the EC2 network ids. The schema, the
 * validation table (`environments/validation/network.ts`) and the network constructs
 * (`modules/network/`) read them from here.
 */
import type { Limit, Pattern, Range } from "./rule";

/** Prefix length of a VPC's IPv4 CIDR block: /16 (65,536 addresses) to /28 (16). */
export const VPC_CIDR_PREFIX: Range = {
  min: 16,
  max: 28,
  integer: true,
  doc: "https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html",
};

/** Prefix length of a subnet's IPv4 CIDR block: /16 to /28, as for a VPC. */
export const SUBNET_CIDR_PREFIX: Range = {
  min: 16,
  max: 28,
  integer: true,
  doc: "https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html",
};

/**
 * Distinct AZs the private subnets span: at least 2. A CloudHSM key store needs 2 active HSMs in
 * different AZs, and the XKS network load balancer and the interface endpoints are placed in 2 AZs
 * for availability.
 */
export const MIN_AZS: Limit = {
  value: 2,
  unit: "AZs",
  doc: "https://docs.aws.amazon.com/kms/latest/developerguide/create-keystore.html",
};

/** An EC2 resource id: the type's prefix, a hyphen, and 8 (older) or 17 lowercase hex characters. */
function ec2Id(prefix: string, what: string): Pattern {
  return {
    regex: new RegExp(`^${prefix}-([0-9a-f]{8}|[0-9a-f]{17})$`),
    allowed: `${what}: ${prefix}- and 8 or 17 hex characters`,
    doc: "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/resource-ids.html",
  };
}

export const VPC_ID: Pattern = ec2Id("vpc", "a VPC id");
export const SUBNET_ID: Pattern = ec2Id("subnet", "a subnet id");
export const ROUTE_TABLE_ID: Pattern = ec2Id("rtb", "a route table id");
export const TRANSIT_GATEWAY_ID: Pattern = ec2Id("tgw", "a transit gateway id");
export const VPN_GATEWAY_ID: Pattern = ec2Id("vgw", "a virtual private gateway id");

/** Addresses AWS reserves in every subnet (the first four and the last). */
export const RESERVED_ADDRESSES_PER_SUBNET: Limit = {
  value: 5,
  unit: "addresses",
  doc: "https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html",
};

/**
 * VPC quotas the keys stack uses, with their Service Quotas codes and AWS's default values (used
 * when Service Quotas has no value):
 * https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-limits-endpoints.html,
 * https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html
 */
export const VPC_QUOTAS = {
  interfaceEndpointsPerVpc: { code: "L-29B6F2EB", name: "Interface VPC endpoints per VPC", default: 50 },
  gatewayEndpointsPerRegion: { code: "L-1B52E74A", name: "Gateway VPC endpoints per Region", default: 20 },
  vpcsPerRegion: { code: "L-F678F1CE", name: "VPCs per Region", default: 5 },
} as const;

/** An interface endpoint service, the part after `com.amazonaws.<region>.` (`ssm`, `ecr.api`). */
export const ENDPOINT_SERVICE_NAME: Pattern = {
  regex: /^(?!com\.amazonaws\.)[a-z0-9]+([.-][a-z0-9]+)*$/,
  allowed: "an endpoint service name after com.amazonaws.<region>., such as ssm or ecr.api",
  doc: "https://docs.aws.amazon.com/vpc/latest/privatelink/aws-services-privatelink-support.html",
};
