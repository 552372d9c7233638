import {
  ConnectCustomKeyStoreCommand,
  DisconnectCustomKeyStoreCommand,
  type CustomKeyStoresListEntry,
} from "@aws-sdk/client-kms";
import { pollFor, TYPICAL_MS } from "../lib/backoff";
import { describeCluster, type Cluster } from "../lib/cluster";
import { CONNECTION_ERRORS, connectionErrorAction, type KeyStoreType } from "../lib/connection-errors";
import { awsErrorCode, errorMessage, HookError, guarded } from "../lib/errors";
import { connectionState, customKeyStoreKms, describeKeyStore } from "../lib/key-store";
import { ProgressReporter } from "../lib/progress";
import type { RateLimiter } from "../lib/rate-limiter";
import { withRetry } from "../lib/retry";
import type { Sender, StepResult, StepRuntime } from "../lib/runtime";
import { waitUntil } from "../lib/wait";

/** Inputs of `connect-key-store` (CloudHSM and external key stores alike). */
export interface ConnectKeyStoreInput extends StepRuntime {
  /** `cloudhsm` is optional: with it, INSUFFICIENT_CLOUDHSM_HSMS is retried while HSMs are still being created. */
  readonly clients: { readonly kms: Sender; readonly cloudhsm?: Sender };
  readonly keyStoreId: string;
  /** Shared limiter for *CustomKeyStore calls (5/s per account and Region). Default: one for this step. */
  readonly limiter?: RateLimiter;
  /** Disconnect + reconnect cycles for transient FAILED codes. Default 3. */
  readonly maxReconnects?: number;
}

/**
 * Connects a custom key store and waits for CONNECTED. CONNECTED already: no-op.
 * - Found FAILED when the step starts (an earlier attempt failed; the operator may have fixed the
 *   cause since): KMS connects a FAILED store only after it was disconnected, so the step
 *   disconnects, waits for DISCONNECTED and connects again, whatever the code
 *   (ConnectCustomKeyStore: https://docs.aws.amazon.com/kms/latest/APIReference/API_ConnectCustomKeyStore.html).
 * - FAILED with a transient code: the same cycle, at most `maxReconnects` times in all.
 * - FAILED again with any other code: stops with the code's mapped action (CONNECTION_ERRORS).
 */
export function connectKeyStore(input: ConnectKeyStoreInput): Promise<StepResult> {
  return guarded(input.log, () => connectKeyStoreBody(input));
}

async function connectKeyStoreBody(input: ConnectKeyStoreInput): Promise<StepResult> {
  const { clients, keyStoreId, log } = input;
  const progress = new ProgressReporter(`connect-key-store ${keyStoreId}`, input.clock, log);
  const label = progress.label;
  const maxReconnects = input.maxReconnects ?? 3;
  // Set once the first describe is handled: a FAILED found then gets one recovery cycle.
  let startedFailed = false;
  const { kms } = customKeyStoreKms(input, label);

  const describe = () =>
    describeKeyStore(
      kms,
      label,
      keyStoreId,
      (what, err) => kmsError(label, what, err),
      "check --key-store-id and --region (Terraform creates the key store)",
    );
  const stateOf = connectionState;

  let store = await describe();
  progress.observe(stateOf(store));
  startedFailed = store.ConnectionState === "FAILED";
  if (store.ConnectionState === "CONNECTED") {
    progress.note("already done (CONNECTED)");
    return { status: "ALREADY_DONE", state: "CONNECTED", elapsedMs: progress.elapsed() };
  }
  const type: KeyStoreType = store.CustomKeyStoreType === "EXTERNAL_KEY_STORE" ? "EXTERNAL_KEY_STORE" : "AWS_CLOUDHSM";
  const connectPolicy = pollFor(type === "EXTERNAL_KEY_STORE" ? TYPICAL_MS.connectXks : TYPICAL_MS.connectCloudHsm);
  let reconnects = 0;
  let refused = 0;

  // Each pass handles the current state; every branch either returns, throws, or changes state.
  for (;;) {
    switch (store.ConnectionState) {
      case "CONNECTED":
        return { status: "DONE", state: "CONNECTED", elapsedMs: progress.elapsed() };
      case "DISCONNECTED": {
        const accepted = await connect();
        // Accepted: the store is CONNECTING now, so the wait sleeps before describing again.
        if (accepted)
          store = await waitFor(
            "CONNECTED",
            connectPolicy,
            (s) => s.ConnectionState === "CONNECTED" || s.ConnectionState === "FAILED",
            { ...store, ConnectionState: "CONNECTING" as const, ConnectionErrorCode: undefined },
          );
        // Refused (CustomKeyStoreInvalidStateException: the store is DISCONNECTING or FAILED, someone else
        // acts on it): the loop handles the next settled state (a DISCONNECTED one is connected again), a
        // bounded number of times.
        else {
          if (++refused > maxReconnects)
            throw new HookError(
              label,
              "CustomKeyStoreInvalidStateException",
              `ConnectCustomKeyStore was refused ${refused} times: the store keeps changing state (${stateOf(store)})`,
              "another process is connecting or disconnecting it (a scale-down, an operator, another run): let it finish, then re-run",
            );
          store = await waitFor("CONNECTED", connectPolicy, (s) => s.ConnectionState !== "DISCONNECTING", undefined);
        }
        break;
      }
      case "CONNECTING":
        store = await waitFor("CONNECTED", connectPolicy, (s) => s.ConnectionState !== "CONNECTING", store);
        break;
      case "DISCONNECTING":
        store = await waitFor(
          "DISCONNECTED",
          pollFor(TYPICAL_MS.disconnect),
          (s) => s.ConnectionState !== "DISCONNECTING",
          store,
        );
        break;
      case "FAILED": {
        const code = store.ConnectionErrorCode ?? "UNKNOWN";
        const recover = startedFailed;
        startedFailed = false;
        const retry = await shouldRetry(code, store);
        if (recover && !retry) {
          reconnects++;
          progress.note(
            `found FAILED with ${code} from an earlier attempt: disconnecting, then connecting again (KMS connects a FAILED store only after it is DISCONNECTED)`,
          );
        } else if (!retry || reconnects >= maxReconnects) {
          const tried = reconnects > 0 ? ` (after ${reconnects} reconnect${reconnects > 1 ? "s" : ""})` : "";
          const meaning = CONNECTION_ERRORS[code]?.meaning ?? "connection failed";
          throw new HookError(label, code, `${meaning}${tried}`, connectionErrorAction(code, type));
        } else {
          reconnects++;
          progress.note(`${code} is transient: disconnecting and reconnecting (${reconnects}/${maxReconnects})`);
        }
        try {
          await kms("DisconnectCustomKeyStore", new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: keyStoreId }));
        } catch (err) {
          if (awsErrorCode(err) !== "CustomKeyStoreInvalidStateException")
            throw kmsError(label, "DisconnectCustomKeyStore", err);
        }
        store = await waitFor(
          "DISCONNECTED",
          pollFor(TYPICAL_MS.disconnect),
          (s) => s.ConnectionState === "DISCONNECTED",
          undefined,
        );
        break;
      }
      default:
        throw new HookError(
          label,
          "UnknownConnectionState",
          `key store is in state ${store.ConnectionState}`,
          "check the key store in the KMS console and re-run",
        );
    }
  }

  async function connect(): Promise<boolean> {
    try {
      await kms("ConnectCustomKeyStore", new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: keyStoreId }));
      progress.note("ConnectCustomKeyStore accepted");
      return true;
    } catch (err) {
      // Someone else connected it meanwhile: the next describe shows the real state.
      if (awsErrorCode(err) === "CustomKeyStoreInvalidStateException") return false;
      throw kmsError(label, "ConnectCustomKeyStore", err);
    }
  }

  function waitFor(
    target: string,
    policy: ReturnType<typeof pollFor>,
    done: (s: CustomKeyStoresListEntry) => boolean,
    first: CustomKeyStoresListEntry | undefined,
  ) {
    return waitUntil<CustomKeyStoresListEntry>({
      runtime: input,
      progress,
      target,
      first,
      describe,
      stateOf,
      done,
      policy,
      timeoutAction: `connecting can take 20-30 minutes for CloudHSM key stores: re-run with a larger --timeout-minutes (it resumes the wait); if it stays ${target === "CONNECTED" ? "CONNECTING" : "DISCONNECTING"} for over an hour, contact AWS Support`,
    });
  }

  async function shouldRetry(code: string, failed: CustomKeyStoresListEntry): Promise<boolean> {
    const info = CONNECTION_ERRORS[code];
    if (!info?.retryable) return false;
    if (code !== "INSUFFICIENT_CLOUDHSM_HSMS") return true;
    // Only worth retrying while HSMs are still being created: wait for them first.
    const clusterId = failed.CloudHsmClusterId;
    if (!clients.cloudhsm || !clusterId) return false;
    const cloudhsm = clients.cloudhsm;
    const read = () =>
      withRetry("DescribeClusters", () => describeCluster(cloudhsm, clusterId, label), { ...input, label });
    const cluster = await read();
    const creating = (c: Cluster) => (c.Hsms ?? []).some((h) => h.State === "CREATE_IN_PROGRESS");
    if (!creating(cluster)) return false;
    progress.note(`HSMs of ${clusterId} are still being created: waiting for them before reconnecting`);
    await waitUntil<Cluster>({
      runtime: input,
      progress,
      target: "HSMs ACTIVE",
      first: cluster,
      describe: read,
      stateOf: (c) =>
        `FAILED(INSUFFICIENT_CLOUDHSM_HSMS), ${(c.Hsms ?? []).filter((h) => h.State === "ACTIVE").length} HSMs ACTIVE`,
      done: (c) => !creating(c),
      policy: pollFor(TYPICAL_MS.hsmCreate),
      timeoutAction: "check the HSMs being created in the CloudHSM console, then re-run",
    });
    return true;
  }
}

function kmsError(label: string, what: string, err: unknown): HookError {
  const code = awsErrorCode(err);
  const actions: Record<string, string> = {
    CloudHsmClusterNotActiveException: "activate the cluster first (initialize-cluster, activate-cluster)",
    CloudHsmClusterInvalidConfigurationException:
      "the cluster needs at least 2 ACTIVE HSMs in different AZs and its original security group rules; fix and re-run",
    CustomKeyStoreNotFoundException: "check --key-store-id and --region",
    CustomKeyStoreInvalidStateException: "another operation is changing the key store: re-run in a few minutes",
    AccessDeniedException: `grant the hook role kms:${what} on the key store (see hooks/README.md)`,
    KMSInternalException: "transient AWS failure: re-run the step (it is idempotent)",
    DependencyTimeoutException: "transient AWS failure: re-run the step (it is idempotent)",
  };
  return new HookError(
    label,
    code,
    `${what} failed: ${errorMessage(err)}`,
    actions[code] ?? "fix the cause above and re-run (the step is idempotent)",
  );
}
