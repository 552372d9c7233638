import { Token } from "cdktf";
import { NETWORK } from "@cmk-stacks/aws-limits";

/** An IPv4 CIDR as the first and last address (unsigned 32-bit numbers) and its prefix length. */
export type Ipv4Range = NETWORK.Ipv4Cidr;

/** Parses `a.b.c.d/n`; undefined unless it is an IPv4 network address: the rulebook's {@link NETWORK.parseIpv4Cidr}, which the validation tables use too. */
export const parseIpv4Cidr: (text: string) => Ipv4Range | undefined = NETWORK.parseIpv4Cidr;

export function ipv4ToNumber(address: string): number {
  return address.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
}

export function rangeContains(outer: Ipv4Range, inner: Ipv4Range): boolean {
  return inner.first >= outer.first && inner.last <= outer.last;
}

export function rangesOverlap(a: Ipv4Range, b: Ipv4Range): boolean {
  return a.first <= b.last && b.first <= a.last;
}

/** True when the value is known at synth (constructs check literal values only and leave tokens to Terraform and AWS). */
export function known(value: unknown): value is string {
  return typeof value === "string" && !Token.isUnresolved(value);
}
