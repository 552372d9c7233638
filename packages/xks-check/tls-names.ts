/**
 * Certificate names against the private DNS name, with the rules a standard TLS client (and so
 * KMS) applies: DNS SANs decide when present, the subject CN only when there are none; a wildcard
 * is a whole leftmost label (`*.example.com`) matching exactly one label.
 */

/** The names a certificate carries. */
export interface CertificateNames {
  /** Subject common names (usually one). */
  readonly commonNames: readonly string[];
  /** DNS subject alternative names. */
  readonly dnsSans: readonly string[];
}

/** How the certificate's names relate to the private DNS name. */
export interface NameMatch {
  /** The name a client verifies against matches (a SAN, or the CN when there are no SANs). */
  readonly matches: boolean;
  /** The name that matched. */
  readonly matchedBy?: string;
  /** The subject CN matches too (AWS documents the CN as the name to match). */
  readonly commonNameMatches: boolean;
}

/** True when `pattern` (a certificate name) covers `host`. Case-insensitive; trailing dots ignored. */
export function nameCovers(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase().replace(/\.$/, "");
  const h = host.toLowerCase().replace(/\.$/, "");
  if (!p || !h) return false;
  if (!p.includes("*")) return p === h;
  const [first, ...rest] = p.split(".");
  // Only `*` as the whole leftmost label, and not directly under a top-level domain (`*.com`).
  if (first !== "*" || rest.length < 2 || rest.some((l) => l.includes("*") || l === "")) return false;
  const hostLabels = h.split(".");
  return (
    hostLabels.length === rest.length + 1 && hostLabels[0] !== "" && hostLabels.slice(1).join(".") === rest.join(".")
  );
}

/** Matches a certificate's names against the private DNS name. */
export function matchNames(names: CertificateNames, host: string): NameMatch {
  const commonNameMatches = names.commonNames.some((cn) => nameCovers(cn, host));
  const candidates = names.dnsSans.length > 0 ? names.dnsSans : names.commonNames;
  const matchedBy = candidates.find((n) => nameCovers(n, host));
  return { matches: matchedBy !== undefined, matchedBy, commonNameMatches };
}

/** Reads the names from Node's peer certificate fields (`subject.CN`, `subjectaltname`). */
export function namesFromPeer(
  subjectCn: string | readonly string[] | undefined,
  subjectAltName: string | undefined,
): CertificateNames {
  const commonNames = subjectCn === undefined ? [] : typeof subjectCn === "string" ? [subjectCn] : [...subjectCn];
  const dnsSans = (subjectAltName ?? "")
    .split(/,\s*/)
    .filter((e) => e.startsWith("DNS:"))
    .map((e) => e.slice(4));
  return { commonNames, dnsSans };
}

/** `CN a; SAN b, c` for the report. */
export function describeNames(names: CertificateNames): string {
  const cn = names.commonNames.length > 0 ? `CN ${names.commonNames.join(", ")}` : "no CN";
  const san = names.dnsSans.length > 0 ? `SAN ${names.dnsSans.join(", ")}` : "no DNS SAN";
  return `${cn}; ${san}`;
}
