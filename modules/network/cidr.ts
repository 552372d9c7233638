import { isIPv4 } from "node:net";
import { Token } from "cdktf";

/** An IPv4 CIDR as the first and last address (unsigned 32-bit numbers) and its prefix length. */
export interface Ipv4Range {
  readonly first: number;
  readonly last: number;
  readonly prefix: number;
}

/** Parses `a.b.c.d/n`; undefined unless it is an IPv4 network address (no host bits set). */
export function parseIpv4Cidr(text: string): Ipv4Range | undefined {
  const [address, prefixText, extra] = text.split("/");
  if (extra !== undefined || !isIPv4(address) || !/^\d{1,2}$/.test(prefixText ?? "")) return undefined;
  const prefix = Number(prefixText);
  if (prefix > 32) return undefined;
  const first = ipv4ToNumber(address);
  const size = 2 ** (32 - prefix);
  if (first % size !== 0) return undefined;
  return { first, last: first + size - 1, prefix };
}

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
