import { CLOUDHSM, XKS } from "@cmk-stacks/aws-limits";
import type { CustomKeyStoresListEntry } from "@aws-sdk/client-kms";
import {
  certificateRows,
  judgeChain,
  readProxyCertificate,
  soonestExpiry,
  type CertificateTrust,
} from "@cmk-stacks/xks-check";
import { activeHsms, cloudHsmError, describeCluster } from "../lib/cluster";
import { awsErrorCode, errorMessage, guarded, HookError } from "../lib/errors";
import { connectionState, describeKeyStore } from "../lib/key-store";
import { ProgressReporter } from "../lib/progress";
import { withRetry } from "../lib/retry";
import type { Sender, StepResult, StepRuntime } from "../lib/runtime";

import { KEY_STORE_HEALTH_METRICS } from "../contract";
import { describeWindow, scalePhase, type ScaleWindow } from "../lib/scale-window";

/** CloudWatch namespace of the metrics this step publishes (read by modules/alarms/cloudhsm-health-check.ts). */
export const HEALTH_NAMESPACE = KEY_STORE_HEALTH_METRICS.namespace;
/** 1 when the key store is CONNECTED, else 0. */
const CONNECTED_METRIC = KEY_STORE_HEALTH_METRICS.connected;
/** HSMs of the store's cluster in state ACTIVE. */
const ACTIVE_HSMS_METRIC = KEY_STORE_HEALTH_METRICS.activeHsms;
/** External key stores: days until the first certificate of the proxy's chain expires (negative once expired). */
const XKS_CERTIFICATE_DAYS_METRIC = KEY_STORE_HEALTH_METRICS.xksCertificateDays;
/** 1 while a scale-to-zero cluster is down on its schedule (published only with a window). */
const SCALED_DOWN_METRIC = KEY_STORE_HEALTH_METRICS.scaledDown;

/** Inputs of `check-key-store-health`. */
export interface CheckKeyStoreHealthInput extends StepRuntime {
  readonly clients: { readonly kms: Sender; readonly cloudhsm: Sender };
  readonly keyStoreId: string;
  /** The CloudHSM key store's cluster (required for a CloudHSM key store, unused for an external one). */
  readonly clusterId?: string;
  /** ACTIVE HSMs below which the step reports the cluster unhealthy. Default 2. */
  readonly minHsms?: number;
  /**
   * External key stores: `<host>:<port>` dialled to read the proxy's certificate instead of the URI
   * endpoint's host (the private DNS name resolves only for KMS's endpoint; the hook function dials
   * the internal load balancer in its own VPC). @default - the URI endpoint's host, port 443
   */
  readonly connectTo?: string;
  /** Extra CA certificates for the certificate read (tests). @default [] */
  readonly xksExtraCaPem?: readonly string[];
  /** CAs counted as trusted and the roots chains are built to (tests). @default - AWS's list and Node's roots */
  readonly xksTrust?: CertificateTrust;
  /** The cluster's scale-to-zero schedule: within it zero HSMs and a DISCONNECTED store are expected. */
  readonly window?: ScaleWindow;
}

/**
 * The health of a CloudHSM key store, as two CloudWatch metrics: whether the store is CONNECTED
 * and how many HSMs of its cluster are ACTIVE. Run on a schedule by the hook Lambda function
 * (an EventBridge schedule rule); alarms on the metrics warn before keys fail. KMS emits no event when a
 * store leaves CONNECTED and CloudHSM none when an HSM fails, so the state is polled.
 *
 * The metrics are printed in CloudWatch embedded metric format: Lambda ships the line to CloudWatch
 * Logs, which extracts the metrics, so the function needs no cloudwatch:PutMetricData and the VPC
 * no monitoring endpoint (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
 * A failed describe publishes nothing: the alarms treat missing data as breaching. Read-only.
 */
export function checkKeyStoreHealth(input: CheckKeyStoreHealthInput): Promise<StepResult> {
  return guarded(input.log, () => body(input));
}

async function body(input: CheckKeyStoreHealthInput): Promise<StepResult> {
  const { clients, keyStoreId, log } = input;
  const minHsms = input.minHsms ?? CLOUDHSM.KEY_STORE_MIN_HSMS.value;
  const progress = new ProgressReporter(`check-key-store-health ${keyStoreId}`, input.clock, log);
  const label = progress.label;
  const kms = <T>(what: string, command: object) =>
    withRetry(what, () => clients.kms.send(command), { ...input, label }) as Promise<T>;
  const store = await describeKeyStore(
    kms,
    label,
    keyStoreId,
    (what, err) =>
      new HookError(
        label,
        awsErrorCode(err),
        `${what} failed: ${errorMessage(err)}`,
        "grant the hook role kms:DescribeCustomKeyStores (hooks/README.md); the alarms report the missing check",
      ),
    "check --key-store-id and --region",
  );
  if (store.CustomKeyStoreType === "EXTERNAL_KEY_STORE") return xksCertificate(input, store, progress);
  if (!input.clusterId)
    throw new HookError(
      label,
      "InvalidInput",
      `${keyStoreId} is a CloudHSM key store and no cluster id was given`,
      "pass --cluster-id (the schedule's clusterId) of the store's cluster",
    );
  // KMS uses the store's cluster: after a restore (UpdateCustomKeyStore CloudHsmClusterId) the
  // schedule still names the old one until the environment says so; its HSMs say nothing about the store.
  const storeCluster = store.CloudHsmClusterId;
  const clusterId = storeCluster && storeCluster !== input.clusterId ? storeCluster : input.clusterId;
  if (clusterId !== input.clusterId)
    log.warn(
      `[${label}] the key store is on cluster ${clusterId}, not --cluster-id ${input.clusterId} (restored?): its HSMs are counted; set cloudHsm.restored in the environment and apply so the schedule names it (docs/cloudhsm.md#restore)`,
    );
  let cluster;
  try {
    cluster = await withRetry("DescribeClusters", () => describeCluster(clients.cloudhsm, clusterId, label), {
      ...input,
      label,
    });
  } catch (err) {
    throw err instanceof HookError ? err : cloudHsmError(label, "DescribeClusters", err);
  }
  const connected = store.ConnectionState === "CONNECTED" ? 1 : 0;
  const active = activeHsms(cluster).length;
  // Scale to zero: within the schedule's window the store and the HSMs are down on purpose. The step
  // says so in a third metric the alarms read (their math ignores the other two while it is 1);
  // outside the window it is 0 and zero HSMs alarm as always.
  const phase = input.window ? scalePhase(input.window, new Date(input.clock.now())) : undefined;
  const scaledDown = phase && phase.phase !== "up" ? 1 : 0;
  publishMetrics(input, [
    { name: CONNECTED_METRIC, unit: "Count", value: connected },
    { name: ACTIVE_HSMS_METRIC, unit: "Count", value: active },
    ...(input.window ? [{ name: SCALED_DOWN_METRIC, unit: "Count", value: scaledDown }] : []),
  ]);
  const state = `${connectionState(store)}, ${active} HSMs ACTIVE${scaledDown ? `, scaled down on schedule (${phase?.phase}; ${describeWindow(input.window as ScaleWindow)})` : ""}`;
  if (scaledDown) {
    progress.note(`expected: ${state}`);
    return { status: "ALREADY_DONE", state, elapsedMs: progress.elapsed() };
  }
  const problems = [
    ...(connected ? [] : [`key store is ${connectionState(store)}, not CONNECTED`]),
    ...(active < minHsms ? [`${active} ACTIVE HSMs, fewer than ${minHsms}`] : []),
  ];
  if (problems.length) log.warn(`[${label}] unhealthy: ${problems.join("; ")}`);
  else progress.note(`healthy (${state})`);
  return { status: "ALREADY_DONE", state, elapsedMs: progress.elapsed() };
}

/**
 * External key stores: the proxy's TLS certificate read on one handshake (no request sent) and
 * judged as xks-check does (names, AWS's trusted list, expiry), its days to expiry published as
 * {@link XKS_CERTIFICATE_DAYS_METRIC}. KMS's own `XksProxyCertificateDaysToExpire` stays empty for a
 * certificate whose subject CN holds a wildcard
 * (https://docs.aws.amazon.com/kms/latest/developerguide/xks-monitoring.html); this metric does not.
 * A certificate that cannot be read publishes nothing (the alarm counts that as a breach) and fails.
 */
async function xksCertificate(
  input: CheckKeyStoreHealthInput,
  store: CustomKeyStoresListEntry,
  progress: ProgressReporter,
): Promise<StepResult> {
  const { keyStoreId, log } = input;
  const label = progress.label;
  const endpoint = store.XksProxyConfiguration?.UriEndpoint ?? "";
  const host = endpoint.replace(/^https:\/\//, "");
  if (!XKS.isUriEndpoint(endpoint))
    throw new HookError(
      label,
      "InvalidState",
      `DescribeCustomKeyStores shows no usable proxy URI endpoint for ${keyStoreId}`,
      "check the store's XksProxyUriEndpoint (https://<private DNS name>)",
    );
  // --connect-to is `<host>:<port>` (checked by the contract's hostPort pattern).
  const colon = input.connectTo?.lastIndexOf(":") ?? -1;
  const connectHost = input.connectTo && colon > 0 ? input.connectTo.slice(0, colon) : host;
  const connectPort = input.connectTo && colon > 0 ? Number(input.connectTo.slice(colon + 1)) : undefined;
  const read = await readProxyCertificate({
    host,
    connectHost,
    connectPort,
    timeoutMs: Math.min(XKS.CERTIFICATE_READ_TIMEOUT_MS.value, input.timeoutMs),
    extraCaPem: input.xksExtraCaPem,
    roots: input.xksTrust?.roots,
  });
  const address = input.connectTo ?? host;
  if (!read.ok)
    throw new HookError(
      label,
      read.failure.code,
      `cannot read the proxy's TLS certificate at ${address} for ${host} (${read.failure.kind})`,
      input.connectTo
        ? `the hook function must reach ${address} on TCP: check the load balancer, its targets and the function's security group (docs/xks.md, "Certificate expiry"); the certificate alarm reports the missing check`
        : "run it where the private DNS name resolves and reaches the proxy, or pass --connect-to <load balancer DNS name>:443",
    );
  const now = new Date(input.clock.now());
  const rows = certificateRows(read.certificate, host, now, {
    trust: input.xksTrust,
    extraCaPem: input.xksExtraCaPem,
  });
  const anchor = judgeChain(read.certificate, input.xksTrust, input.xksExtraCaPem).anchor;
  const days = soonestExpiry(read.certificate, now, anchor).daysLeft;
  publishMetrics(input, [{ name: XKS_CERTIFICATE_DAYS_METRIC, unit: "None", value: days }]);
  const problems = rows.filter((r) => r.verdict === "WARN" || r.verdict === "FAIL");
  for (const r of problems) log.warn(`[${label}] ${r.check} ${r.verdict}: ${r.fix ?? r.detail}`);
  const state = `${connectionState(store)}, certificate ${days} days to expiry`;
  if (problems.length === 0) progress.note(`healthy (${state}; ${rows.map((r) => r.detail).join("; ")})`);
  return { status: "ALREADY_DONE", state, elapsedMs: progress.elapsed() };
}

/**
 * One line in CloudWatch embedded metric format with the store's values, dimension CustomKeyStoreId
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
 */
function publishMetrics(
  input: CheckKeyStoreHealthInput,
  metrics: readonly { readonly name: string; readonly unit: string; readonly value: number }[],
): void {
  input.log.info(
    JSON.stringify({
      _aws: {
        Timestamp: input.clock.now(),
        CloudWatchMetrics: [
          {
            Namespace: HEALTH_NAMESPACE,
            Dimensions: [["CustomKeyStoreId"]],
            Metrics: metrics.map((m) => ({ Name: m.name, Unit: m.unit })),
          },
        ],
      },
      CustomKeyStoreId: input.keyStoreId,
      ...Object.fromEntries(metrics.map((m) => [m.name, m.value])),
    }),
  );
}
