/** Small predicates the constraint tables are written with. Each takes `unknown`: input may be JSON. */
import { IAM, NAMES, NETWORK, TAGGING } from "@cmk-stacks/aws-limits";

export const isString = (v: unknown): v is string => typeof v === "string";

export const intIn =
  (min: number, max: number) =>
  (v: unknown): boolean =>
    typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;

export const oneOf =
  (...allowed: readonly (string | number | boolean)[]) =>
  (v: unknown): boolean =>
    allowed.includes(v as string);

export const matches =
  (re: RegExp, minLen = 0, maxLen = Number.MAX_SAFE_INTEGER) =>
  (v: unknown): boolean =>
    isString(v) && v.length >= minLen && v.length <= maxLen && re.test(v);

export const isBool = (v: unknown): boolean => typeof v === "boolean";

export const nonEmptyArray = (v: unknown): boolean => Array.isArray(v) && v.length > 0;

export const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

/** IAM role or user ARN (the principals a key policy names): the rulebook's {@link IAM.PRINCIPAL_ARN}. */
export const IAM_PRINCIPAL_ARN = IAM.PRINCIPAL_ARN.regex;

/** IAM quotas: the rulebook's {@link IAM.NAME_LENGTH} and {@link IAM.PATH_LENGTH}. */
export const IAM_NAME_MAX = IAM.NAME_LENGTH.max;
export const IAM_PATH_MAX = IAM.PATH_LENGTH.max;

/** Name and path of an IAM role or user ARN (`.../role/<path>/<name>`), or undefined ({@link IAM.nameAndPath}). */
export const iamNameAndPath = IAM.nameAndPath;

/** The ARN partition of a Region ({@link IAM.partitionOfRegion}). */
export const partitionOfRegion = IAM.partitionOfRegion;

/**
 * A logical name used in construct ids (`key-<name>`, `bucket-<name>`) and so in Terraform
 * resource names: an identifier, so that two names can never map to the same id.
 */
export const LOGICAL_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
export const LOGICAL_NAME_RULE =
  "an identifier: a letter, then letters, digits or '_', at most 64 chars (it becomes part of construct ids and Terraform names)";

/** Characters AWS allows in tag keys and values: the rulebook's {@link TAGGING.TAG_CHARS}. */
export const TAG_CHARS = TAGGING.TAG_CHARS.regex;

/** Parsed IPv4 CIDR as an integer range. */
export interface Cidr {
  readonly base: number;
  readonly prefix: number;
  readonly first: number;
  readonly last: number;
}

/** Parses dotted IPv4 into an unsigned integer, or undefined: the rulebook's {@link NETWORK.parseIpv4}. */
export const parseIpv4 = NETWORK.parseIpv4;

/** Parses `a.b.c.d/n` where the address is the network address; undefined when malformed (the rulebook's {@link NETWORK.parseIpv4Cidr}, the constructs' parser too). */
export function parseCidr(text: unknown): Cidr | undefined {
  const c = NETWORK.parseIpv4Cidr(text);
  return c && { base: c.first, prefix: c.prefix, first: c.first, last: c.last };
}

export const isCidr = (v: unknown): boolean => parseCidr(v) !== undefined;

export const overlaps = (a: Cidr, b: Cidr): boolean => a.first <= b.last && b.first <= a.last;

export const contains = (outer: Cidr, inner: Cidr): boolean => outer.first <= inner.first && inner.last <= outer.last;

export const containsIp = (outer: Cidr, ip: number): boolean => outer.first <= ip && ip <= outer.last;

/** RFC 1918 and RFC 6598 ranges: the only addresses an NLB IP target outside the VPC may have. */
export const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"].map(
  (c) => parseCidr(c) as Cidr,
);

/** AWS Region code, e.g. `eu-west-1`, `us-gov-west-1`: the rulebook's {@link IAM.REGION}. */
export const REGION = IAM.REGION.regex;

/** An AZ belongs to a Region when it is the Region followed by a letter (`eu-west-1a`). */
export const azInRegion = (az: unknown, region: string): boolean =>
  isString(az) && az.length === region.length + 1 && az.startsWith(region) && /[a-z]$/.test(az);

/** DNS host name (lowercase labels of at most 63 chars, the rulebook's {@link NAMES.DNS_NAME_LENGTH} in all). */
export const isHostname = (v: unknown): boolean => NAMES.isDnsName(v);

/** Returns the values that occur more than once. */
export function duplicates<T>(values: readonly T[]): T[] {
  const seen = new Set<T>();
  const dup = new Set<T>();
  for (const v of values) (seen.has(v) ? dup : seen).add(v);
  return [...dup];
}

/** The account id of an IAM ARN (`arn:<partition>:iam::<account>:...`), or undefined ({@link IAM.accountOfArn}). */
export const accountOfArn = IAM.accountOfArn;

/**
 * A value as text that does not depend on the order of object fields, so two list entries that
 * hold the same fields and values compare equal whatever order they were written in.
 */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value) ?? "undefined";
}
