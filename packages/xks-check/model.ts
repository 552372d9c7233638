/**
 * Types shared by the XKS proxy preflight: its options (a plain object, so tests and other tools
 * do not depend on `environments/`), the rows of its report and the input error that maps to exit 2.
 */
import { CLOUDWATCH, XKS } from "@cmk-stacks/aws-limits";
import type { CertificateTrust } from "./certificate";

/** The proxy authentication credential KMS signs with. Never printed, never taken from arguments. */
export interface XksCredential {
  /** {@link XKS.ACCESS_KEY_ID}: {@link XKS.ACCESS_KEY_ID_LENGTH} characters, `A-Z` and `2-7`. */
  readonly accessKeyId: string;
  /** {@link XKS.SECRET_ACCESS_KEY}: {@link XKS.SECRET_ACCESS_KEY_LENGTH} characters, letters, digits, `/`, `+`, `=`. */
  readonly secretAccessKey: string;
}

/** An external key to look up, as the key store's KMS key would. */
export interface XksKeyRef {
  /** Id of the key in the external key manager (`xksKeyId`). */
  readonly xksKeyId: string;
  /** Logical name in the environment, shown next to the id. @default - the id alone */
  readonly name?: string;
}

/** KMS operations that make KMS call GetKeyMetadata. */
export type MetadataOperation = "CreateKey" | "DescribeKey";

/** Everything one preflight run needs. */
export interface XksCheckOptions {
  /** Host of the key store's URI endpoint: the endpoint service's private DNS name. */
  readonly privateDnsName: string;
  /** Proxy URI path, `/<prefix>/kms/xks/v1`. */
  readonly uriPath: string;
  /** Region KMS signs for (the key store's Region). */
  readonly region: string;
  /** External keys to look up. @default [] (health only) */
  readonly keys?: readonly XksKeyRef[];
  /** Signing credential. */
  readonly credential: XksCredential;
  /** Connect to this address instead of resolving the private DNS name (SNI, Host and the certificate check still use the name). @default - the name on port 443 */
  readonly connectTo?: { readonly host: string; readonly port: number };
  /** Extra trusted CA certificates (PEM), added to Node's public roots. @default [] */
  readonly extraCaPem?: readonly string[];
  /** CAs counted as trusted and the roots chains are built to (tests inject a stand-in). @default - AWS's list ({@link XKS.TRUSTED_CAS}) and Node's public roots */
  readonly trust?: CertificateTrust;
  /** Certificate days left below which the expiry row warns. @default - {@link CERT_WARN_DAYS} */
  readonly certificateWarnDays?: number;
  /** Certificate days left below which the expiry row fails. @default - {@link CERT_FAIL_DAYS} (AWS's alarm point) */
  readonly certificateFailDays?: number;
  /** Health calls timed for the latency figures. @default 10 */
  readonly samples?: number;
  /** Upper bound for each call, connection included. @default 2000 */
  readonly timeoutMs?: number;
  /** `kmsOperation` sent with GetKeyMetadata. @default "CreateKey" (what KMS sends before a key exists) */
  readonly metadataOperation?: MetadataOperation;
  /** `awsPrincipalArn` sent with GetKeyMetadata. @default "AWS Internal" */
  readonly principalArn?: string;
}

/** Test seams: time and request ids. */
export interface XksCheckDeps {
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** @default crypto.randomUUID */
  readonly requestId?: () => string;
  /**
   * A monotonic clock in milliseconds that times each call (connect, TLS, total): tests give one that
   * does not depend on the machine's load. @default performance.now
   */
  readonly elapsed?: () => number;
}

/** PASS, WARN (works, but fix before it bites), FAIL (KMS would fail), SKIP (not reached). */
export type Verdict = "PASS" | "WARN" | "FAIL" | "SKIP";

/** One line of the report table. */
export interface CheckRow {
  /** What was checked, e.g. `tls version`, `key records`. */
  readonly check: string;
  readonly verdict: Verdict;
  /** What was observed. */
  readonly detail: string;
  /** For WARN and FAIL: one line naming the fix and the KMS error it would cause. */
  readonly fix?: string;
}

/** Latency of the timed calls, in milliseconds. */
export interface LatencyStats {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
  /** Median TCP connect time: one network round trip to the proxy. */
  readonly roundTripP50?: number;
}

/** What one run found. */
export interface XksCheckReport {
  /** `https://<private DNS name><uri path>`. */
  readonly target: string;
  /** Where the calls went, when not the name itself (`--connect-to`). */
  readonly via?: string;
  readonly rows: readonly CheckRow[];
  readonly latency?: LatencyStats;
  /** 0 no FAIL row, 1 at least one. */
  readonly exitCode: 0 | 1;
}

/** Bad flags, configuration or credentials: exit 2 with the message on one line. */
export class XksInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "XksInputError";
  }
}

/** KMS gives the proxy this long per call: the rulebook's {@link XKS.PROXY_TIMEOUT_MS}. */
export const KMS_BUDGET_MS = XKS.PROXY_TIMEOUT_MS.value;
/** The XKS proxy API spec recommends a round trip of at most this between AWS and the key manager: {@link XKS.RECOMMENDED_ROUND_TRIP_MS}. */
export const RECOMMENDED_ROUND_TRIP_MS = XKS.RECOMMENDED_ROUND_TRIP_MS.value;
/** Certificates expiring sooner than this are a warning (KMS publishes XksProxyCertificateDaysToExpire): the alarm's default, {@link CLOUDWATCH.XKS_CERTIFICATE_DAYS_DEFAULT}. */
export const CERT_WARN_DAYS = CLOUDWATCH.XKS_CERTIFICATE_DAYS_DEFAULT.value;
/** Certificates expiring sooner than this fail: AWS's recommended alarm point, {@link XKS.CERTIFICATE_EXPIRY_AWS_ALARM_DAYS}. */
export const CERT_FAIL_DAYS = XKS.CERTIFICATE_EXPIRY_AWS_ALARM_DAYS.value;
