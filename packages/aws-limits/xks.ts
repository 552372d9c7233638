/**
 * External key stores (XKS): the proxy URI, the proxy authentication credential, external key ids,
 * the KMS service principal of the endpoint service, and the health check of the proxies' target
 * group. Each rule once, with the AWS page that states it.
 */
import type { Default, Limit, Pattern, Range } from "./rule";

const CREATE = "https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateCustomKeyStore.html";
const CREDENTIAL = "https://docs.aws.amazon.com/kms/latest/APIReference/API_XksProxyAuthenticationCredentialType.html";
const TARGET_GROUP = "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html";

export const URI_PATH_LENGTH: Range = { min: 10, max: 128, integer: true, unit: "characters", doc: CREATE };
/** CreateCustomKeyStore XksProxyUriPath: `/<prefix>/kms/xks/v<version>` or `/kms/xks/v<version>` (version 1: `/kms/xks/v1`). */
export const URI_PATH: Pattern = {
  regex: /^(\/[a-zA-Z0-9/_-]+\/kms\/xks\/v\d{1,2})$|^(\/kms\/xks\/v\d{1,2})$/,
  allowed: `${URI_PATH_LENGTH.min}-${URI_PATH_LENGTH.max} chars matching /<prefix>/kms/xks/v<1-2 digits> or /kms/xks/v<1-2 digits> (version 1: ends /kms/xks/v1)`,
  doc: CREATE,
};

/** Whether `path` is a proxy URI path KMS accepts ({@link URI_PATH}, {@link URI_PATH_LENGTH}). */
export function isUriPath(path: unknown): boolean {
  return (
    typeof path === "string" &&
    path.length >= URI_PATH_LENGTH.min &&
    path.length <= URI_PATH_LENGTH.max &&
    URI_PATH.regex.test(path)
  );
}

export const URI_ENDPOINT_LENGTH: Range = { min: 10, max: 128, integer: true, unit: "characters", doc: CREATE };
/** CreateCustomKeyStore XksProxyUriEndpoint: `https://` and a host name (no port, no path). With VPC endpoint service connectivity the host is the service's private DNS name. */
export const URI_ENDPOINT: Pattern = {
  regex: /^https:\/\/[a-zA-Z0-9.-]+$/,
  allowed: `https://<private DNS name>, ${URI_ENDPOINT_LENGTH.min}-${URI_ENDPOINT_LENGTH.max} characters, with no port and no path`,
  doc: CREATE,
};

/** Whether `endpoint` is a proxy URI endpoint KMS accepts ({@link URI_ENDPOINT}, {@link URI_ENDPOINT_LENGTH}). */
export function isUriEndpoint(endpoint: unknown): boolean {
  return (
    typeof endpoint === "string" &&
    endpoint.length >= URI_ENDPOINT_LENGTH.min &&
    endpoint.length <= URI_ENDPOINT_LENGTH.max &&
    URI_ENDPOINT.regex.test(endpoint)
  );
}

// The endpoint service's private DNS name and the public zone's domain are DNS names: NAMES.isDnsName
// (https://docs.aws.amazon.com/vpc/latest/privatelink/manage-dns-names.html).

/** The Route 53 hosted zone id of the public zone the domain-verification TXT record goes in. */
export const HOSTED_ZONE_ID: Pattern = {
  regex: /^Z[A-Z0-9]{1,31}$/,
  allowed: "a Route 53 hosted zone id (Z followed by letters and digits)",
  doc: "https://docs.aws.amazon.com/Route53/latest/APIReference/API_HostedZone.html",
};

/** CreateKey XksKeyId: the key's id in the external key manager. */
export const KEY_ID: Pattern = {
  regex: /^[a-zA-Z0-9\-_.]{1,128}$/,
  allowed: "1-128 chars of letters, digits, '-', '_', '.'",
  doc: "https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateKey.html",
};

/** XksProxyAuthenticationCredential AccessKeyId: its length. */
export const ACCESS_KEY_ID_LENGTH: Range = { min: 20, max: 30, integer: true, unit: "characters", doc: CREDENTIAL };
/** XksProxyAuthenticationCredential AccessKeyId: {@link ACCESS_KEY_ID_LENGTH} uppercase letters and digits 2-7. */
export const ACCESS_KEY_ID: Pattern = {
  regex: new RegExp(`^[A-Z2-7]{${ACCESS_KEY_ID_LENGTH.min},${ACCESS_KEY_ID_LENGTH.max}}$`),
  allowed: `${ACCESS_KEY_ID_LENGTH.min}-${ACCESS_KEY_ID_LENGTH.max} characters, uppercase letters A-Z and digits 2-7`,
  doc: CREDENTIAL,
};
/** XksProxyAuthenticationCredential RawSecretAccessKey: its length. */
export const SECRET_ACCESS_KEY_LENGTH: Range = { min: 43, max: 64, integer: true, unit: "characters", doc: CREDENTIAL };
/** XksProxyAuthenticationCredential RawSecretAccessKey: {@link SECRET_ACCESS_KEY_LENGTH} letters, digits, `/`, `+` and `=`. */
export const SECRET_ACCESS_KEY: Pattern = {
  regex: new RegExp(`^[a-zA-Z0-9/+=]{${SECRET_ACCESS_KEY_LENGTH.min},${SECRET_ACCESS_KEY_LENGTH.max}}$`),
  allowed: `${SECRET_ACCESS_KEY_LENGTH.min}-${SECRET_ACCESS_KEY_LENGTH.max} characters, letters, digits, '/', '+' and '='`,
  doc: CREDENTIAL,
};

/**
 * The principal the endpoint service must allow: KMS's custom key store service principal of the
 * Region (XksProxyVpcEndpointServiceNotFoundException otherwise).
 * https://docs.aws.amazon.com/kms/latest/developerguide/vpc-connectivity.html
 */
export function kmsServicePrincipal(region: string): string {
  return `cks.kms.${region}.amazonaws.com`;
}

/**
 * Whether `path` lies in the XKS proxy API (`.../kms/xks/...`), whose operations (health included)
 * are SigV4-signed POSTs: a load balancer health check, an unsigned GET, can never pass there.
 * https://github.com/aws/aws-kms-xksproxy-api-spec,
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/network/target-group-health-checks.html
 */
export function isProxyApiPath(path: string): boolean {
  return /\/kms\/xks\//.test(path);
}

/** Target group HealthCheckIntervalSeconds of the proxies' target group. */
export const HEALTH_CHECK_INTERVAL_SECONDS: Range = {
  min: 5,
  max: 300,
  integer: true,
  unit: "seconds",
  doc: TARGET_GROUP,
};
/** Target group HealthyThresholdCount and UnhealthyThresholdCount. */
export const HEALTH_CHECK_THRESHOLD: Range = { min: 2, max: 10, integer: true, doc: TARGET_GROUP };
/** Target group HealthCheckPath: a path starting with `/`. */
export const HEALTH_CHECK_PATH: Pattern = { regex: /^\/\S*$/, allowed: "a path starting with '/'", doc: TARGET_GROUP };
export const HEALTH_CHECK_PATH_LENGTH: Range = {
  min: 1,
  max: 1024,
  integer: true,
  unit: "characters",
  doc: TARGET_GROUP,
};

/**
 * The proxies' health check unless configured otherwise (this project's defaults): a TCP connection
 * on 443, since the XKS health operation is a SigV4-signed POST no load balancer health check can
 * send; every 10 seconds, healthy and unhealthy after 3 checks; HTTPS checks ask for `/`.
 */
export const DEFAULT_HEALTH_CHECK: Default<{
  readonly protocol: "TCP";
  readonly intervalSeconds: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
  readonly httpsPath: string;
}> = {
  value: { protocol: "TCP", intervalSeconds: 10, healthyThreshold: 3, unhealthyThreshold: 3, httpsPath: "/" },
  why: "TCP: the XKS health API is a signed POST; 10 s and 3 checks take a failed proxy out within about 30 s",
  doc: "https://docs.aws.amazon.com/elasticloadbalancing/latest/network/target-group-health-checks.html",
};

/**
 * How long KMS waits for the proxy's answer to one call: a slower answer is a failed KMS request
 * (XKS_PROXY_TIMED_OUT, DependencyTimeoutException; KMS retries once on network timeouts).
 * https://docs.aws.amazon.com/kms/latest/developerguide/monitoring-cloudwatch.html (XksProxyLatency),
 * https://github.com/aws/aws-kms-xksproxy-api-spec
 */
export const PROXY_TIMEOUT_MS: Limit = {
  value: 250,
  unit: "ms",
  doc: "https://docs.aws.amazon.com/kms/latest/developerguide/monitoring-cloudwatch.html",
};

/**
 * The round trip between AWS and the key manager recommended at most, so calls stay within
 * {@link PROXY_TIMEOUT_MS} under load. Stated in the XKS proxy API specification
 * (https://github.com/aws/aws-kms-xksproxy-api-spec), which the external key store guide points to.
 */
export const RECOMMENDED_ROUND_TRIP_MS: Limit = {
  value: 35,
  unit: "ms",
  doc: "https://docs.aws.amazon.com/kms/latest/developerguide/keystore-external.html",
};

/**
 * After UpdateCustomKeyStore changes the proxy credential, "it can take up to five minutes for the
 * changes to be fully effective": the old credential must keep working that long.
 */
export const CREDENTIAL_UPDATE_SETTLE_MINUTES: Limit = {
  value: 5,
  unit: "minutes",
  doc: "https://docs.aws.amazon.com/kms/latest/developerguide/update-xks-keystore.html",
};

// The proxy's TLS certificate (https://docs.aws.amazon.com/kms/latest/developerguide/xks-troubleshooting.html,
// XKS_PROXY_INVALID_TLS_CONFIGURATION): TLS 1.2 or 1.3, not expired, its subject CN matching the URI
// endpoint's host (`*.<parent>` allowed), issued by a CA on AWS's list (./xks-trusted-cas.ts).
export { TRUSTED_CAS, TRUSTED_CA_SOURCE, type TrustedCa } from "./xks-trusted-cas";

/**
 * AWS's recommended certificate alarm: `XksProxyCertificateDaysToExpire` (Minimum, 5 minutes) lower
 * than 10 days. xks-check fails a certificate this close to expiry (renew now); the project's earlier
 * warning is `CLOUDWATCH.XKS_CERTIFICATE_DAYS_DEFAULT`.
 */
export const CERTIFICATE_EXPIRY_AWS_ALARM_DAYS: Limit = {
  value: 10,
  unit: "days",
  doc: "https://docs.aws.amazon.com/kms/latest/developerguide/xks-alarms.html",
};

/**
 * How often the hook function reads the proxy's certificate for the certificate alarm (project rule):
 * hourly. Expiry moves by days; an alarm period of three checks still notices a check that stopped
 * running within hours. Within CLOUDWATCH.HEALTH_CHECK_INTERVAL_MINUTES (an EventBridge rate).
 */
export const CERTIFICATE_CHECK_INTERVAL_MINUTES_DEFAULT: Default<number> = {
  value: 60,
  why: "expiry moves by days; three missed hourly checks alarm within three hours",
  doc: "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html",
};

/**
 * Bound for the health step's TLS handshake with the proxy (project rule): far above KMS's own
 * per-call budget ({@link PROXY_TIMEOUT_MS}), since this reads a certificate and is not a latency test.
 */
export const CERTIFICATE_READ_TIMEOUT_MS: Limit = {
  value: 10_000,
  unit: "ms",
  doc: "https://docs.aws.amazon.com/kms/latest/developerguide/xks-troubleshooting.html",
};
