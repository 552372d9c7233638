/**
 * One XKS proxy call over Node's https, shaped like KMS's: a new TLS connection per call (so the
 * time includes TCP and TLS setup, as KMS's budget, XKS.PROXY_TIMEOUT_MS, does), TLS 1.2+ with only the cipher
 * suites the XKS spec requires, the private DNS name for SNI, Host and the certificate check,
 * certificate verification always on, one deadline for the whole call.
 */
import { request, type RequestOptions } from "node:https";
import { isIP } from "node:net";
import { performance } from "node:perf_hooks";
import {
  checkServerIdentity,
  createSecureContext,
  rootCertificates,
  type DetailedPeerCertificate,
  type PeerCertificate,
  type SecureContext,
  type TLSSocket,
} from "node:tls";
import { X509Certificate } from "node:crypto";
import type { SignedXksRequest } from "./sign";
import { namesFromPeer, type CertificateNames } from "./tls-names";

/** The cipher suites the XKS proxy API spec requires the proxy to offer (at least one). */
export const KMS_CIPHER_SUITES = [
  "TLS_AES_256_GCM_SHA384",
  "TLS_CHACHA20_POLY1305_SHA256",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
] as const;

/** Largest response body read; XKS answers are a few hundred bytes. */
const MAX_BODY_BYTES = 64 * 1024;

/** Where and how to connect. */
export interface CallTarget {
  /** Private DNS name: SNI, Host header and certificate name. */
  readonly host: string;
  /** Address actually dialled (the name itself unless `--connect-to`). */
  readonly connectHost: string;
  readonly connectPort: number;
  /** Extra trusted CAs (PEM), on top of Node's public roots. */
  readonly extraCaPem: readonly string[];
  readonly timeoutMs: number;
  /** From `kmsTlsContext(extraCaPem)`; built once per run, as loading ~150 roots per call would skew the latency figures. */
  readonly secureContext: SecureContext;
}

/** Trust (`roots`, by default Node's public roots, plus `extraCaPem`), TLS 1.2+ and KMS's cipher suites, for every call of a run. */
export function kmsTlsContext(
  extraCaPem: readonly string[],
  roots: readonly string[] = rootCertificates,
): SecureContext {
  return createSecureContext({
    ca: [...roots, ...extraCaPem],
    minVersion: "TLSv1.2",
    ciphers: KMS_CIPHER_SUITES.join(":"),
  });
}

/** Milliseconds from the start of the call. */
export interface CallTiming {
  /** TCP connected: one network round trip after the start (plus DNS when resolving). */
  readonly connectMs?: number;
  /** TLS handshake done. */
  readonly tlsMs?: number;
  /** Response complete, or failure. */
  readonly totalMs: number;
}

/** What the TLS handshake showed. */
export interface TlsInfo {
  /** `TLSv1.2`, `TLSv1.3`. */
  readonly protocol: string;
  readonly cipher: string;
  readonly names: CertificateNames;
  readonly validTo: Date;
  /** The chain verified only thanks to a CA from `extraCaPem` (KMS trusts public CAs only). */
  readonly viaExtraCa: boolean;
}

/** Why a call got no HTTP response. */
export type FailureKind =
  | "dns"
  | "refused"
  | "unreachable"
  | "connect-timeout"
  | "response-timeout"
  | "reset"
  | "tls-name"
  | "tls-untrusted"
  | "tls-expired"
  | "tls-version"
  | "tls-cipher"
  | "not-tls"
  | "tls-other"
  | "too-large"
  | "network";

/** A call that got no usable HTTP response. */
export interface CallFailure {
  readonly kind: FailureKind;
  /** Node or OpenSSL code, e.g. ECONNREFUSED, ERR_TLS_CERT_ALTNAME_INVALID. */
  readonly code: string;
  /** Certificate names, when the handshake got that far. */
  readonly names?: CertificateNames;
}

/** Outcome of one call. */
export type CallResult =
  | {
      readonly ok: true;
      readonly status: number;
      readonly body: string;
      readonly timing: CallTiming;
      readonly tls: TlsInfo;
    }
  | { readonly ok: false; readonly failure: CallFailure; readonly timing: CallTiming; readonly tls?: TlsInfo };

/**
 * Sends one signed request and resolves with what happened, timed by `clock` (milliseconds, monotonic);
 * never rejects, never leaves a socket open.
 */
export function xksPost(
  target: CallTarget,
  signed: SignedXksRequest,
  clock: () => number = () => performance.now(),
): Promise<CallResult> {
  const extraCas = target.extraCaPem.map((pem) => new X509Certificate(pem));
  return new Promise<CallResult>((resolve) => {
    const t0 = clock();
    const since = (): number => clock() - t0;
    let connectMs: number | undefined;
    let tlsMs: number | undefined;
    let tls: TlsInfo | undefined;
    let names: CertificateNames | undefined;
    let settled = false;
    const timing = (): CallTiming => ({ connectMs, tlsMs, totalMs: since() });
    const settle = (result: CallResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(result);
    };
    const fail = (kind: FailureKind, code: string): void =>
      settle({ ok: false, failure: { kind, code, names }, timing: timing(), tls });

    // secureContext is passed through to tls.connect; @types/node leaves it out of RequestOptions.
    const options: RequestOptions & { readonly secureContext: SecureContext } = {
      host: target.connectHost,
      port: target.connectPort,
      servername: isIP(target.host) ? undefined : target.host,
      method: "POST",
      path: signed.path,
      headers: { ...signed.headers, connection: "close" },
      agent: false,
      secureContext: target.secureContext,
      rejectUnauthorized: true,
      // Verify against the private DNS name even when dialling another address (--connect-to).
      checkServerIdentity: (_host: string, cert: PeerCertificate) => {
        names = namesFromPeer(cert.subject?.CN, cert.subjectaltname);
        return checkServerIdentity(target.host, cert);
      },
    };
    const req = request(options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY_BYTES) fail("too-large", "BODY_TOO_LARGE");
        else chunks.push(c);
      });
      res.on("end", () => {
        if (!tls) return fail("tls-other", "NO_TLS_INFO");
        settle({
          ok: true,
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString("utf8"),
          timing: timing(),
          tls,
        });
      });
      res.on("error", (e: NodeJS.ErrnoException) => fail("reset", e.code ?? "ERR_RESPONSE"));
    });
    req.on("socket", (socket) => {
      const s = socket as TLSSocket;
      s.once("connect", () => {
        connectMs = since();
      });
      s.once("secureConnect", () => {
        tlsMs = since();
        tls = readTls(s, extraCas);
      });
    });
    req.on("error", (e: NodeJS.ErrnoException) => {
      const { kind, code } = classifyError(e);
      fail(kind, code);
    });
    const timer = setTimeout(
      () => fail(connectMs === undefined ? "connect-timeout" : "response-timeout", "TIMEOUT"),
      target.timeoutMs,
    );
    req.end(signed.body);
  });
}

function readTls(s: TLSSocket, extraCas: readonly X509Certificate[]): TlsInfo {
  const cert = s.getPeerCertificate(true);
  return {
    protocol: s.getProtocol() ?? "unknown",
    cipher: s.getCipher()?.standardName ?? s.getCipher()?.name ?? "unknown",
    names: namesFromPeer(cert.subject?.CN, cert.subjectaltname),
    validTo: new Date(cert.valid_to),
    viaExtraCa: extraCas.length > 0 && chainUsesExtraCa(cert, extraCas),
  };
}

/** True when a certificate of the presented chain is, or was issued by, one of the extra CAs. */
function chainUsesExtraCa(leaf: DetailedPeerCertificate, extraCas: readonly X509Certificate[]): boolean {
  const seen = new Set<string>();
  for (
    let c: DetailedPeerCertificate | undefined = leaf;
    c && c.raw && !seen.has(c.fingerprint256);
    c = c.issuerCertificate
  ) {
    seen.add(c.fingerprint256);
    const x = new X509Certificate(c.raw);
    if (extraCas.some((ca) => ca.fingerprint256 === x.fingerprint256 || (x.checkIssued(ca) && x.verify(ca.publicKey))))
      return true;
  }
  return false;
}

const UNTRUSTED =
  /^(UNABLE_TO_|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_UNTRUSTED|CERT_REJECTED|CERT_SIGNATURE_FAILURE|INVALID_CA|PATH_LENGTH_EXCEEDED|CERT_CHAIN_TOO_LONG|INVALID_PURPOSE)/;

/** Maps a Node/OpenSSL error to what it means for the operator. */
export function classifyError(e: NodeJS.ErrnoException): { kind: FailureKind; code: string } {
  const code = e.code ?? "UNKNOWN";
  const msg = (e.message ?? "").toLowerCase();
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return { kind: "dns", code };
  if (code === "ECONNREFUSED") return { kind: "refused", code };
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH" || code === "ETIMEDOUT" || code === "EADDRNOTAVAIL")
    return { kind: "unreachable", code };
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") return { kind: "tls-name", code };
  if (code === "CERT_HAS_EXPIRED" || code === "CERT_NOT_YET_VALID") return { kind: "tls-expired", code };
  if (UNTRUSTED.test(code)) return { kind: "tls-untrusted", code };
  if (
    msg.includes("protocol version") ||
    msg.includes("unsupported protocol") ||
    msg.includes("no protocols available")
  )
    return { kind: "tls-version", code: code === "UNKNOWN" ? "EPROTO" : code };
  if (msg.includes("wrong version number") || msg.includes("packet length too long") || msg.includes("http request"))
    return { kind: "not-tls", code };
  if (msg.includes("no shared cipher") || msg.includes("handshake failure") || msg.includes("no cipher"))
    return { kind: "tls-cipher", code };
  if (code === "EPROTO" || code.startsWith("ERR_SSL")) return { kind: "tls-other", code };
  if (code === "ECONNRESET" || code === "EPIPE" || msg.includes("socket hang up")) return { kind: "reset", code };
  return { kind: "network", code };
}
