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

/** An IPv4 CIDR as its first and last address (unsigned 32-bit numbers) and its prefix length. */
export interface Ipv4Cidr {
  readonly first: number;
  readonly last: number;
  readonly prefix: number;
}

/** Dotted IPv4 (`10.0.0.1`: four decimal octets, no leading zeros) as an unsigned integer, or undefined. */
export function parseIpv4(text: unknown): number | undefined {
  if (typeof text !== "string") return undefined;
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1);
  if (octets.some((o) => Number(o) > 255 || (o.length > 1 && o.startsWith("0")))) return undefined;
  return octets.reduce((n, o) => n * 256 + Number(o), 0);
}

/**
 * `a.b.c.d/n` as a range, or undefined unless it is an IPv4 network address (no host bits set):
 * the one parser the validation tables and the network constructs share, so they read a CIDR alike.
 */
export function parseIpv4Cidr(text: unknown): Ipv4Cidr | undefined {
  if (typeof text !== "string") return undefined;
  const [address, bits, ...extra] = text.split("/");
  if (extra.length || bits === undefined || !/^\d{1,2}$/.test(bits)) return undefined;
  const first = parseIpv4(address);
  const prefix = Number(bits);
  if (first === undefined || prefix > 32) return undefined;
  const size = 2 ** (32 - prefix);
  if (first % size !== 0) return undefined;
  return { first, last: first + size - 1, prefix };
}

/** A network address whose prefix lies in {@link VPC_CIDR_PREFIX}. */
export function isVpcCidr(text: unknown): boolean {
  const c = parseIpv4Cidr(text);
  return c !== undefined && c.prefix >= VPC_CIDR_PREFIX.min && c.prefix <= VPC_CIDR_PREFIX.max;
}

/** A network address whose prefix lies in {@link SUBNET_CIDR_PREFIX}. */
export function isSubnetCidr(text: unknown): boolean {
  const c = parseIpv4Cidr(text);
  return c !== undefined && c.prefix >= SUBNET_CIDR_PREFIX.min && c.prefix <= SUBNET_CIDR_PREFIX.max;
}
