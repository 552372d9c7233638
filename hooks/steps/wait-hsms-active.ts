import { CLOUDHSM } from "@cmk-stacks/aws-limits";
import { pollFor, TYPICAL_MS } from "../lib/backoff";
import { activeHsms, checkClusterHealthy, describeCluster, hsmSummary, type Cluster } from "../lib/cluster";
import { guarded } from "../lib/errors";
import { ProgressReporter } from "../lib/progress";
import { withRetry } from "../lib/retry";
import type { Sender, StepResult, StepRuntime } from "../lib/runtime";
import { waitUntil } from "../lib/wait";

/** Inputs of `wait-hsms-active`. */
export interface WaitHsmsActiveInput extends StepRuntime {
  readonly clients: { readonly cloudhsm: Sender };
  readonly clusterId: string;
  /** ACTIVE HSMs needed. Default: a key store's minimum, {@link CLOUDHSM.KEY_STORE_MIN_HSMS}. */
  readonly minHsms?: number;
  /** Distinct AZs among them. Default: {@link CLOUDHSM.KEY_STORE_MIN_HSMS}. */
  readonly minAzs?: number;
}

/** True when the cluster has `minHsms` ACTIVE HSMs across `minAzs` AZs. */
export function hasActiveHsms(cluster: Cluster, minHsms: number, minAzs: number): boolean {
  const active = activeHsms(cluster);
  return active.length >= minHsms && new Set(active.map((h) => h.AvailabilityZone)).size >= minAzs;
}

/**
 * Waits until the cluster has enough ACTIVE HSMs in distinct AZs: CreateCustomKeyStore and
 * CreateKey fail without 2 ACTIVE HSMs in 2 AZs, and Terraform's HSM resources are created in
 * parallel. Read-only; already satisfied: "already done".
 */
export function waitHsmsActive(input: WaitHsmsActiveInput): Promise<StepResult> {
  return guarded(input.log, () => waitHsmsActiveBody(input));
}

async function waitHsmsActiveBody(input: WaitHsmsActiveInput): Promise<StepResult> {
  const { clients, clusterId, log } = input;
  const minHsms = input.minHsms ?? CLOUDHSM.KEY_STORE_MIN_HSMS.value;
  const minAzs = input.minAzs ?? CLOUDHSM.KEY_STORE_MIN_HSMS.value;
  const progress = new ProgressReporter(`wait-hsms-active ${clusterId}`, input.clock, log);
  const label = progress.label;
  const describe = () =>
    withRetry("DescribeClusters", () => describeCluster(clients.cloudhsm, clusterId, label), { ...input, label });
  const first = await describe();
  progress.observe(hsmSummary(first));
  checkClusterHealthy(first, label);
  if (hasActiveHsms(first, minHsms, minAzs)) {
    progress.note(`already done (${activeHsms(first).length} HSMs ACTIVE)`);
    return { status: "ALREADY_DONE", state: hsmSummary(first), elapsedMs: progress.elapsed() };
  }
  const final = await waitUntil<Cluster>({
    runtime: input,
    progress,
    target: `${minHsms} ACTIVE HSMs in ${minAzs} AZs`,
    first,
    describe,
    stateOf: hsmSummary,
    done: (c) => hasActiveHsms(c, minHsms, minAzs),
    check: (c) => checkClusterHealthy(c, label),
    policy: pollFor(TYPICAL_MS.hsmCreate),
    timeoutAction: `make sure at least ${minHsms} HSMs in ${minAzs} different AZs exist (aws_cloudhsm_v2_hsm) and none failed, then re-run`,
  });
  return { status: "DONE", state: hsmSummary(final), elapsedMs: progress.elapsed() };
}
