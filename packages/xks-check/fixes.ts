/**
 * Every failure the preflight can report, as one line: what is wrong, the fix, and the error KMS
 * would give (a ConnectionErrorCode for the store, or the CreateKey exception for a key). The
 * README's table is this file in prose; keep them together.
 */
import { KMS_BUDGET_MS } from "./model";
import type { CallFailure } from "./transport";
import { describeNames } from "./tls-names";

/** Context for the messages. */
export interface FixContext {
  /** Private DNS name. */
  readonly host: string;
  /** `host:port` actually dialled. */
  readonly address: string;
  readonly uriPath: string;
  readonly timeoutMs: number;
}

/** A failure turned into a report line. */
export interface Problem {
  /** Row name in the table, e.g. `connection`, `certificate names`. */
  readonly check: string;
  /** What was observed (table column). */
  readonly detail: string;
  /** One line: problem, fix, KMS error. */
  readonly fix: string;
}

const TLS = "(KMS error XKS_PROXY_INVALID_TLS_CONFIGURATION)";
const NOT_REACHABLE = "(KMS error XKS_PROXY_NOT_REACHABLE)";

/** A call that got no HTTP response. */
export function networkProblem(f: CallFailure, ctx: FixContext): Problem {
  const names = f.names ? describeNames(f.names) : undefined;
  switch (f.kind) {
    case "dns":
      return {
        check: "connection",
        detail: `cannot resolve ${ctx.host} (${f.code})`,
        fix: `cannot resolve ${ctx.host} from this host (${f.code}): run the check where the private DNS name resolves, or pass --connect-to <proxy address>:443 (KMS itself resolves it through the endpoint service)`,
      };
    case "refused":
      return {
        check: "connection",
        detail: `connection refused by ${ctx.address}`,
        fix: `nothing listens at ${ctx.address} (${f.code}): start the proxy and check it listens on TCP 443 ${NOT_REACHABLE}`,
      };
    case "unreachable":
    case "connect-timeout":
      return {
        check: "connection",
        detail:
          f.kind === "connect-timeout"
            ? `no TCP connection to ${ctx.address} within ${ctx.timeoutMs} ms`
            : `${ctx.address} unreachable (${f.code})`,
        fix: `cannot reach ${ctx.address} (${f.kind === "connect-timeout" ? `no connection within ${ctx.timeoutMs} ms` : f.code}): check the routes and firewalls from the VPC to the proxy on TCP 443, and that the proxy runs ${NOT_REACHABLE}`,
      };
    case "response-timeout":
      return {
        check: "connection",
        detail: `connected, but no answer within ${ctx.timeoutMs} ms`,
        fix: `the proxy did not answer within ${ctx.timeoutMs} ms (KMS allows ${KMS_BUDGET_MS} ms): check the proxy and its key manager respond, and their logs (KMS error XKS_PROXY_TIMED_OUT)`,
      };
    case "reset":
      return {
        check: "connection",
        detail: `connection closed during the call (${f.code})`,
        fix: `the connection to ${ctx.address} was closed during the call (${f.code}): check the proxy's HTTPS listener and logs, and any firewall in between ${NOT_REACHABLE}`,
      };
    case "tls-name":
      return {
        check: "certificate names",
        detail: `${names ?? "certificate"}: does not match ${ctx.host}`,
        fix: `certificate names do not include ${ctx.host}: issue the proxy certificate for the private DNS name ${TLS}`,
      };
    case "tls-untrusted":
      return {
        check: "certificate trust",
        detail: `chain not trusted (${f.code})`,
        fix: `the certificate chain is not trusted (${f.code}): serve a certificate from a public CA with its full chain (for a test CA, pass --ca-file) ${TLS}`,
      };
    case "tls-expired":
      return {
        check: "certificate expiry",
        detail: f.code === "CERT_NOT_YET_VALID" ? "not yet valid" : "expired",
        fix: `the proxy certificate is ${f.code === "CERT_NOT_YET_VALID" ? "not yet valid" : "expired"} (${f.code}): install a current certificate on the proxy ${TLS}`,
      };
    case "tls-version":
      return {
        check: "tls version",
        detail: `no TLS 1.2 or later (${f.code})`,
        fix: `the proxy does not offer TLS 1.2 or later: enable TLS 1.2 or 1.3 on the proxy ${TLS}`,
      };
    case "tls-cipher":
      return {
        check: "tls version",
        detail: `handshake failed (${f.code})`,
        fix: `the TLS handshake failed (${f.code}), most likely no shared cipher suite: enable TLS_AES_256_GCM_SHA384 (TLS 1.3) or ECDHE-RSA/ECDSA-AES256-GCM-SHA384 (TLS 1.2) on the proxy ${TLS}`,
      };
    case "not-tls":
      return {
        check: "tls version",
        detail: `${ctx.address} does not speak TLS (${f.code})`,
        fix: `${ctx.address} does not speak TLS (${f.code}): serve the XKS API over HTTPS on port 443 ${TLS}`,
      };
    case "tls-other":
      return {
        check: "tls version",
        detail: `handshake failed (${f.code})`,
        fix: `the TLS handshake failed (${f.code}): check the proxy serves TLS 1.2+ with a public-CA certificate for ${ctx.host} ${TLS}`,
      };
    case "too-large":
      return {
        check: "connection",
        detail: "answer larger than 64 KiB",
        fix: `the proxy's answer is larger than 64 KiB: check ${ctx.uriPath} is the XKS proxy API (KMS error XKS_PROXY_INVALID_RESPONSE)`,
      };
    case "network":
      return {
        check: "connection",
        detail: `network error (${f.code})`,
        fix: `network error talking to ${ctx.address} (${f.code}): check the path from the VPC to the proxy on TCP 443 (KMS error NETWORK_ERRORS)`,
      };
  }
}

/** `{errorName, errorMessage}` from an error body, when it is one. */
export function errorNameOf(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === "object" && typeof (parsed as { errorName?: unknown }).errorName === "string") {
      return (parsed as { errorName: string }).errorName;
    }
  } catch {
    // Not JSON: treated as an unexpected answer below.
  }
  return undefined;
}

/** What a non-200 answer means. `key` is set for GetKeyMetadata. */
export function httpProblem(
  status: number,
  body: string,
  ctx: FixContext & { readonly principalArn: string; readonly operation: string },
  key?: { readonly label: string; readonly id: string },
): { detail: string; fix: string } {
  const name = errorNameOf(body) ?? (status === 401 ? "AuthenticationFailedException" : undefined);
  const shown = `HTTP ${status}${name ? ` ${name}` : ""}`;
  const subject = key ? `key ${key.label}` : "the health check";
  switch (name) {
    case "AuthenticationFailedException":
      return {
        detail: shown,
        fix: "the proxy rejected the request signature (AuthenticationFailedException): check the access key id and secret configured in the proxy and in the key store (KMS error INVALID_CREDENTIALS)",
      };
    case "AccessDeniedException":
      return {
        detail: shown,
        fix: `the proxy denied ${ctx.operation} on ${subject} for ${ctx.principalArn} (AccessDeniedException): allow it in the proxy's authorization rules (KMS error XKS_PROXY_ACCESS_DENIED)`,
      };
    case "InvalidUriPathException":
      return {
        detail: shown,
        fix: `the proxy does not serve ${ctx.uriPath} (InvalidUriPathException): set xks.uriPath (--uri-path) to the path configured in the proxy (KMS error XKS_PROXY_INVALID_CONFIGURATION)`,
      };
    case "KeyNotFoundException":
      return {
        detail: shown,
        fix: `${subject} is not in the key manager (KeyNotFoundException): create the key in the key manager first, or correct its xksKeyId (KMS error XksKeyNotFoundException on CreateKey)`,
      };
    case "InvalidStateException":
      return key
        ? {
            detail: shown,
            fix: `${subject} is disabled or blocked in the key manager (InvalidStateException): enable it there (KMS error XksKeyInvalidConfigurationException on CreateKey)`,
          }
        : {
            detail: shown,
            fix: "the proxy reports its key store disabled or blocked (InvalidStateException): enable it in the key manager or proxy (KMS cannot connect the key store)",
          };
    case "ThrottlingException":
      return {
        detail: shown,
        fix: `the proxy throttled ${subject} (ThrottlingException): raise the proxy's request quota for ${ctx.uriPath} ${NOT_REACHABLE}`,
      };
    case "DependencyTimeoutException":
      return {
        detail: shown,
        fix: `the proxy timed out reaching its key manager (DependencyTimeoutException): check the key manager is up and reachable from the proxy ${NOT_REACHABLE}`,
      };
    case "InternalException":
      return {
        detail: shown,
        fix: "the proxy failed internally (InternalException): read the proxy's logs and check its link to the key manager (KMS error XKS_PROXY_INVALID_RESPONSE)",
      };
    default:
      if (status === 403 && !name) {
        return {
          detail: shown,
          fix: `the proxy answered HTTP 403 to ${subject}: check its authorization rules and the access key id configured in the proxy and in the key store (KMS error XKS_PROXY_ACCESS_DENIED)`,
        };
      }
      if (status === 404 && !name && !key) {
        return {
          detail: shown,
          fix: `nothing answers at ${ctx.uriPath}/health (HTTP 404): set xks.uriPath (--uri-path) to the path configured in the proxy (KMS error XKS_PROXY_INVALID_CONFIGURATION)`,
        };
      }
      return {
        detail: shown,
        fix: `unexpected ${shown} for ${subject}: check the proxy implements XKS proxy API v1 at ${ctx.uriPath} and read its logs (KMS error XKS_PROXY_INVALID_RESPONSE)`,
      };
  }
}
