/**
 * The proxy's TLS certificate as KMS judges it
 * (https://docs.aws.amazon.com/kms/latest/developerguide/xks-troubleshooting.html, error
 * XKS_PROXY_INVALID_TLS_CONFIGURATION): not expired, its names matching the URI endpoint's host
 * (`*.<parent>` allowed), issued by a CA on AWS's list (the rulebook's {@link XKS.TRUSTED_CAS}).
 *
 * One TLS handshake reads the chain (no request is sent on it), then pure functions judge it, so
 * the preflight and the scheduled health step (`hooks/steps/check-key-store-health.ts`) give the
 * same verdicts. The handshake does not reject a bad certificate (the point is to read an expired,
 * untrusted or misnamed one); the chain is verified by OpenSSL against `roots` and any extra CA, and
 * the anchor it reaches is looked up in AWS's list by SHA-256 fingerprint (AWS lists no SPKI hashes),
 * by subject name only when no fingerprint matches. Node's tls and crypto (X509Certificate) only.
 */
import { X509Certificate } from "node:crypto";
import { isIP } from "node:net";
import { connect, rootCertificates, type DetailedPeerCertificate, type TLSSocket } from "node:tls";
import { CLOUDWATCH, XKS } from "@cmk-stacks/aws-limits";
import type { CheckRow } from "./model";
import { describeNames, matchNames, namesFromPeer, type CertificateNames } from "./tls-names";
import { classifyError, type CallFailure } from "./transport";

const DAY_MS = 86_400_000;
const TLS_ERROR = "(KMS error XKS_PROXY_INVALID_TLS_CONFIGURATION)";

/** Which CAs count as trusted, and which roots chains are built to. */
export interface CertificateTrust {
  /** The CAs KMS trusts. @default - the rulebook's {@link XKS.TRUSTED_CAS} (AWS's list) */
  readonly list?: readonly XKS.TrustedCa[];
  /** Root certificates (PEM) this host builds chains to. @default - Node's `tls.rootCertificates` */
  readonly roots?: readonly string[];
}

/** When a certificate's remaining life is a warning or a failure. */
export interface ExpiryThresholds {
  /** Fewer days left: WARN. @default - the rulebook's {@link CLOUDWATCH.XKS_CERTIFICATE_DAYS_DEFAULT} */
  readonly warnDays?: number;
  /** Fewer days left: FAIL. @default - the rulebook's {@link XKS.CERTIFICATE_EXPIRY_AWS_ALARM_DAYS} (AWS's alarm point) */
  readonly failDays?: number;
}

/** Where to read the certificate. */
export interface CertificateTarget {
  /** The URI endpoint's host (private DNS name): SNI and the name checked. */
  readonly host: string;
  /** Address dialled. @default - `host` */
  readonly connectHost?: string;
  /** @default 443 */
  readonly connectPort?: number;
  /** Bound for connect and handshake. */
  readonly timeoutMs: number;
  /** Extra CAs (PEM), e.g. a test CA from `--ca-file`. @default [] */
  readonly extraCaPem?: readonly string[];
  /** @default - Node's public roots */
  readonly roots?: readonly string[];
}

/** What the handshake showed. */
export interface ProxyCertificate {
  /** The chain, leaf first: what the proxy sent, completed with the root OpenSSL found in the store. */
  readonly chain: readonly X509Certificate[];
  readonly names: CertificateNames;
  /** OpenSSL's verification error against `roots` and the extra CAs (`CERT_HAS_EXPIRED`, `UNABLE_TO_GET_ISSUER_CERT_LOCALLY`, ...). */
  readonly verifyError?: string;
}

/** Outcome of {@link readProxyCertificate}. */
export type CertificateRead =
  { readonly ok: true; readonly certificate: ProxyCertificate } | { readonly ok: false; readonly failure: CallFailure };

/**
 * Opens one TLS connection (TLS 1.2+, SNI = `host`), reads the peer's chain and closes it; sends
 * nothing. Never rejects: a connection problem is a {@link CallFailure}.
 */
export function readProxyCertificate(target: CertificateTarget): Promise<CertificateRead> {
  return new Promise<CertificateRead>((resolve) => {
    let settled = false;
    let connected = false;
    const socket: TLSSocket = connect({
      host: target.connectHost ?? target.host,
      port: target.connectPort ?? 443,
      servername: isIP(target.host) ? undefined : target.host,
      ca: [...(target.roots ?? rootCertificates), ...(target.extraCaPem ?? [])],
      minVersion: "TLSv1.2",
      // Read, never trust: the verdicts below judge the chain and the names themselves.
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
    });
    const timer = setTimeout(
      () =>
        settle({ ok: false, failure: { kind: connected ? "response-timeout" : "connect-timeout", code: "TIMEOUT" } }),
      target.timeoutMs,
    );
    const settle = (r: CertificateRead): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    socket.once("connect", () => {
      connected = true;
    });
    socket.once("secureConnect", () => {
      const peer = socket.getPeerCertificate(true);
      if (!peer?.raw) return settle({ ok: false, failure: { kind: "tls-other", code: "NO_PEER_CERTIFICATE" } });
      const error = socket.authorizationError as unknown as Error | string | null | undefined;
      settle({
        ok: true,
        certificate: {
          chain: chainOf(peer),
          names: namesFromPeer(peer.subject?.CN, peer.subjectaltname),
          verifyError: error
            ? String(typeof error === "string" ? error : ((error as NodeJS.ErrnoException).code ?? error.message))
            : undefined,
        },
      });
    });
    socket.once("error", (e: NodeJS.ErrnoException) => settle({ ok: false, failure: classifyError(e) }));
  });
}

/** The chain Node reports, leaf first (a self-signed certificate is its own issuer there). */
function chainOf(leaf: DetailedPeerCertificate): X509Certificate[] {
  const chain: X509Certificate[] = [];
  const seen = new Set<string>();
  for (
    let c: DetailedPeerCertificate | undefined = leaf;
    c?.raw && !seen.has(c.fingerprint256);
    c = c.issuerCertificate
  ) {
    seen.add(c.fingerprint256);
    chain.push(new X509Certificate(c.raw));
  }
  return chain;
}

/** How the chain ends: the trust anchor and whether AWS lists it. */
export interface ChainVerdict {
  /** The root (or extra CA) the chain reaches, when it reaches one. */
  readonly anchor?: X509Certificate;
  /** The entry of AWS's list the chain matched, and how. */
  readonly listed?: { readonly ca: XKS.TrustedCa; readonly by: "fingerprint" | "name" };
  /** The anchor is an extra CA (`--ca-file`), not one of the roots. */
  readonly viaExtraCa: boolean;
}

/** OpenSSL errors about time only: the chain itself is sound, the expiry row says the rest. */
const TIME_ERRORS = new Set(["CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID"]);

/** Finds the chain's anchor among `roots` and `extraCaPem`, and the CA of AWS's list it matches. */
export function judgeChain(
  cert: ProxyCertificate,
  trust: CertificateTrust = {},
  extraCaPem: readonly string[] = [],
): ChainVerdict {
  const list = trust.list ?? XKS.TRUSTED_CAS;
  if (cert.verifyError && !TIME_ERRORS.has(cert.verifyError)) return { viaExtraCa: false };
  const roots = (trust.roots ?? rootCertificates).map((p) => new X509Certificate(p));
  const extras = extraCaPem.map((p) => new X509Certificate(p));
  const store = [...roots, ...extras];
  const inStore = (c: X509Certificate) => store.find((s) => s.fingerprint256 === c.fingerprint256);
  let anchor = cert.chain.map(inStore).find((c) => c !== undefined);
  if (!anchor) {
    const top = cert.chain[cert.chain.length - 1];
    anchor = store.find((s) => top.checkIssued(s) && top.verify(s.publicKey));
  }
  if (!anchor) return { viaExtraCa: false };
  const anchorAt = cert.chain.findIndex((c) => c.fingerprint256 === anchor.fingerprint256);
  const path = anchorAt >= 0 ? cert.chain.slice(0, anchorAt + 1) : [...cert.chain, anchor];
  // OpenSSL stops at its first error: after a time error, the signatures below it are checked here.
  if (
    cert.verifyError &&
    !path.every((c, i) => i === path.length - 1 || (c.checkIssued(path[i + 1]) && c.verify(path[i + 1].publicKey)))
  )
    return { viaExtraCa: false };
  const byPrint = list.find((ca) => path.some((c) => c.fingerprint256 === ca.sha256));
  const byName = byPrint ? undefined : list.find((ca) => path.some((c) => sameName(c.subject, ca.subject)));
  const viaExtraCa = !roots.some((r) => r.fingerprint256 === anchor.fingerprint256);
  return {
    anchor,
    viaExtraCa,
    listed: byPrint ? { ca: byPrint, by: "fingerprint" } : byName ? { ca: byName, by: "name" } : undefined,
  };
}

/** The same distinguished name in Node's form (`C=US\nO=...\nCN=...`) and keytool's (`CN=..., O=..., C=US`). */
export function sameName(nodeSubject: string, keytoolSubject: string): boolean {
  const norm = (parts: string[]) =>
    parts
      .map((p) => p.trim().toLowerCase())
      .filter((p) => p !== "")
      .sort()
      .join("\n");
  return norm(nodeSubject.split("\n")) === norm(keytoolSubject.split(/, (?=[A-Za-z][A-Za-z0-9.]*=)/));
}

/** A certificate's common name, else its whole subject on one line. */
export function subjectLabel(c: X509Certificate): string {
  const cn = /^CN=(.*)$/m.exec(c.subject)?.[1];
  return cn ?? c.subject.replace(/\n/g, ", ");
}

/** The certificate of the path (the chain and its anchor) that expires first, and its days left. */
export function soonestExpiry(
  cert: ProxyCertificate,
  now: Date,
  anchor?: X509Certificate,
): {
  readonly certificate: X509Certificate;
  readonly daysLeft: number;
  readonly validTo: Date;
  readonly role: "leaf" | "intermediate" | "root";
} {
  // The path ends at the anchor (a certificate the proxy sends beyond it plays no part).
  const at = anchor ? cert.chain.findIndex((c) => c.fingerprint256 === anchor.fingerprint256) : -1;
  const path = !anchor ? cert.chain : at >= 0 ? cert.chain.slice(0, at + 1) : [...cert.chain, anchor];
  const last = path.length - 1;
  const first = path
    .map((c, i) => ({ c, to: new Date(c.validTo), i }))
    .reduce((a, b) => (b.to.getTime() < a.to.getTime() ? b : a));
  const isRoot = first.i > 0 && first.i === last && first.c.subject === first.c.issuer;
  return {
    certificate: first.c,
    validTo: first.to,
    daysLeft: Math.floor((first.to.getTime() - now.getTime()) / DAY_MS),
    role: first.i === 0 ? "leaf" : isRoot ? "root" : "intermediate",
  };
}

/** The three certificate rows of the report: names, trust (AWS's list), expiry. */
export function certificateRows(
  cert: ProxyCertificate,
  host: string,
  now: Date,
  options: { readonly trust?: CertificateTrust; readonly extraCaPem?: readonly string[] } & ExpiryThresholds = {},
): CheckRow[] {
  const verdict = judgeChain(cert, options.trust, options.extraCaPem);
  return [namesRow(cert.names, host), trustRow(cert, verdict), expiryRow(cert, now, verdict.anchor, options)];
}

function namesRow(names: CertificateNames, host: string): CheckRow {
  const m = matchNames(names, host);
  const shown = describeNames(names);
  const wildcard = names.commonNames.some((cn) => cn.includes("*"))
    ? " (wildcard CN: KMS publishes no XksProxyCertificateDaysToExpire for it, so alarm on this check's expiry instead)"
    : "";
  if (!m.matches)
    return {
      check: "certificate names",
      verdict: "FAIL",
      detail: `${shown}: does not match ${host}`,
      fix: `certificate names do not include ${host}: issue the proxy certificate for the private DNS name ${TLS_ERROR}`,
    };
  if (!m.commonNameMatches)
    return {
      check: "certificate names",
      verdict: "WARN",
      detail: `${shown}: ${host} matches ${m.matchedBy} but not the CN`,
      fix: `the certificate's subject CN does not match ${host} (a SAN does): AWS documents the CN as the name KMS matches, so issue the certificate with CN ${host} too (else KMS error XKS_PROXY_INVALID_TLS_CONFIGURATION)`,
    };
  return { check: "certificate names", verdict: "PASS", detail: `${shown}: ${host} matches ${m.matchedBy}${wildcard}` };
}

function trustRow(cert: ProxyCertificate, v: ChainVerdict): CheckRow {
  const list = XKS.TRUSTED_CA_SOURCE.url;
  if (!v.anchor) {
    const leaf = cert.chain[0];
    const selfSigned = cert.chain.length === 1 && leaf.subject === leaf.issuer;
    const code = cert.verifyError ?? "NO_ISSUER";
    return {
      check: "certificate trust",
      verdict: "FAIL",
      detail: selfSigned ? `self-signed (${code})` : `chain not trusted (${code})`,
      fix: `the certificate ${selfSigned ? "is self-signed" : `chain does not verify (${code})`}: serve a certificate from a CA on AWS's XKS trusted list (${list}) with its full chain (for a test CA, pass --ca-file) ${TLS_ERROR}`,
    };
  }
  const root = subjectLabel(v.anchor);
  if (v.listed?.by === "fingerprint")
    return {
      check: "certificate trust",
      verdict: "PASS",
      detail: `chains to ${root}, on AWS's XKS trusted list (${v.listed.ca.alias}, SHA-256 match)`,
    };
  if (v.listed)
    return {
      check: "certificate trust",
      verdict: "WARN",
      detail: `chains to ${root}: named like ${v.listed.ca.alias} on AWS's XKS trusted list, but another certificate (SHA-256 differs)`,
      fix: `the chain ends at a copy of ${root} that is not the certificate AWS lists as ${v.listed.ca.alias} (a re-issued root?): KMS matches its own copy, so confirm with the CA that the chain also builds to the listed certificate (${list}) (else KMS error XKS_PROXY_INVALID_TLS_CONFIGURATION)`,
    };
  if (v.viaExtraCa)
    return {
      check: "certificate trust",
      verdict: "WARN",
      detail: "trusted only through --ca-file",
      fix: "the certificate is trusted only through --ca-file: KMS trusts public CAs only, so serve a public-CA certificate before connecting the key store (else KMS error XKS_PROXY_INVALID_TLS_CONFIGURATION)",
    };
  return {
    check: "certificate trust",
    verdict: "FAIL",
    detail: `chains to ${root}, not on AWS's XKS trusted list`,
    fix: `the certificate chains to ${root}, a root this host trusts but AWS's XKS trusted list does not hold (read ${XKS.TRUSTED_CA_SOURCE.readOn}): get the proxy certificate from a CA on the list (${list}) ${TLS_ERROR}`,
  };
}

function expiryRow(
  cert: ProxyCertificate,
  now: Date,
  anchor: X509Certificate | undefined,
  t: ExpiryThresholds,
): CheckRow {
  const warnDays = t.warnDays ?? CLOUDWATCH.XKS_CERTIFICATE_DAYS_DEFAULT.value;
  const failDays = t.failDays ?? XKS.CERTIFICATE_EXPIRY_AWS_ALARM_DAYS.value;
  const notYet = cert.chain.find((c) => new Date(c.validFrom).getTime() > now.getTime());
  if (notYet)
    return {
      check: "certificate expiry",
      verdict: "FAIL",
      detail: `${subjectLabel(notYet)} not valid before ${new Date(notYet.validFrom).toISOString().slice(0, 10)}`,
      fix: `the certificate ${subjectLabel(notYet)} is not yet valid (from ${new Date(notYet.validFrom).toISOString().slice(0, 10)}): install a current certificate on the proxy, and check the proxy's clock ${TLS_ERROR}`,
    };
  const s = soonestExpiry(cert, now, anchor);
  const date = s.validTo.toISOString().slice(0, 10);
  const leaf = s.role === "leaf";
  const ca = `${s.role} ${subjectLabel(s.certificate)}`;
  const which = leaf ? "the proxy certificate" : `the ${s.role} CA certificate ${subjectLabel(s.certificate)}`;
  const detail = `${date} (${s.daysLeft} days left${leaf ? "" : `, ${ca}`})`;
  if (s.daysLeft < 0)
    return {
      check: "certificate expiry",
      verdict: "FAIL",
      detail: `expired ${date}${leaf ? "" : ` (${ca})`}`,
      fix: `${which} expired on ${date}: install a current certificate and chain on the proxy ${TLS_ERROR}`,
    };
  if (s.daysLeft < failDays)
    return {
      check: "certificate expiry",
      verdict: "FAIL",
      detail,
      fix: `${which} expires in ${s.daysLeft} days (${date}), inside AWS's ${failDays}-day alarm point: ${s.role === "root" ? "get the proxy certificate issued under a root that stays valid and install it" : "renew it and install it"} on every proxy now (KMS error XKS_PROXY_INVALID_TLS_CONFIGURATION once expired)`,
    };
  if (s.daysLeft < warnDays)
    return {
      check: "certificate expiry",
      verdict: "WARN",
      detail,
      fix: `${which} expires in ${s.daysLeft} days (${date}): renew it before then (KMS error XKS_PROXY_INVALID_TLS_CONFIGURATION once expired)`,
    };
  return { check: "certificate expiry", verdict: "PASS", detail };
}
