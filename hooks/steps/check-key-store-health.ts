import { CLOUDHSM } from "@cmk-stacks/aws-limits";
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
/** 1 while a scale-to-zero cluster is down on its schedule (published only with a window). */
const SCALED_DOWN_METRIC = KEY_STORE_HEALTH_METRICS.scaledDown;

/** Inputs of `check-key-store-health`. */
export interface CheckKeyStoreHealthInput extends StepRuntime {
  readonly clients: { readonly kms: Sender; readonly cloudhsm: Sender };
  readonly keyStoreId: string;
  readonly clusterId: string;
  /** ACTIVE HSMs below which the step reports the cluster unhealthy. Default 2. */
  readonly minHsms?: number;
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
  const { clients, keyStoreId, clusterId, log } = input;
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
  log.info(
    JSON.stringify({
      _aws: {
        Timestamp: input.clock.now(),
        CloudWatchMetrics: [
          {
            Namespace: HEALTH_NAMESPACE,
            Dimensions: [["CustomKeyStoreId"]],
            Metrics: [
              { Name: CONNECTED_METRIC, Unit: "Count" },
              { Name: ACTIVE_HSMS_METRIC, Unit: "Count" },
              ...(input.window ? [{ Name: SCALED_DOWN_METRIC, Unit: "Count" }] : []),
            ],
          },
        ],
      },
      CustomKeyStoreId: keyStoreId,
      [CONNECTED_METRIC]: connected,
      [ACTIVE_HSMS_METRIC]: active,
      ...(input.window ? { [SCALED_DOWN_METRIC]: scaledDown } : {}),
    }),
  );
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
