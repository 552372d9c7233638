/** Reading a custom key store's connection state: shared by the steps that connect, disconnect or update it. */
import {
  DescribeCustomKeyStoresCommand,
  DisconnectCustomKeyStoreCommand,
  type CustomKeyStoresListEntry,
  type DescribeCustomKeyStoresCommandOutput,
} from "@aws-sdk/client-kms";
import { pollFor, TYPICAL_MS } from "./backoff";
import { awsErrorCode, HookError } from "./errors";
import type { ProgressReporter } from "./progress";
import { CUSTOM_KEY_STORE_RPS, RateLimiter } from "./rate-limiter";
import { withRetry } from "./retry";
import type { Sender, StepRuntime } from "./runtime";
import { waitUntil } from "./wait";

/** A KMS call through the step's rate limiter and retries. */
export type KmsSend = <T>(what: string, command: object) => Promise<T>;

/**
 * A step's KMS calls for the *CustomKeyStore API: through `input.limiter` (shared with the steps it
 * runs) or a limiter of its own at the API's request rate, and the step's retries. The limiter is
 * returned too, for the steps the caller runs after it.
 */
export function customKeyStoreKms(
  input: Pick<StepRuntime, "clock" | "log" | "random"> & { clients: { kms: Sender }; limiter?: RateLimiter },
  label: string,
): { limiter: RateLimiter; kms: KmsSend } {
  const limiter = input.limiter ?? new RateLimiter(input.clock, CUSTOM_KEY_STORE_RPS);
  const retry = { clock: input.clock, log: input.log, label, random: input.random };
  const kms: KmsSend = <T>(what: string, command: object) =>
    withRetry(what, () => limiter.run(() => input.clients.kms.send(command)), retry) as Promise<T>;
  return { limiter, kms };
}

/**
 * The key store as DescribeCustomKeyStores returns it. An API error goes through the step's own
 * `toError` (its actions differ per step); a store that does not exist is a HookError with `notFoundFix`.
 */
export async function describeKeyStore(
  kms: KmsSend,
  label: string,
  keyStoreId: string,
  toError: (what: string, err: unknown) => HookError,
  notFoundFix: string,
): Promise<CustomKeyStoresListEntry> {
  let out: DescribeCustomKeyStoresCommandOutput;
  try {
    out = await kms<DescribeCustomKeyStoresCommandOutput>(
      "DescribeCustomKeyStores",
      new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: keyStoreId }),
    );
  } catch (err) {
    throw toError("DescribeCustomKeyStores", err);
  }
  const store = out.CustomKeyStores?.find((s) => s.CustomKeyStoreId === keyStoreId);
  if (!store)
    throw new HookError(
      label,
      "CustomKeyStoreNotFoundException",
      `key store ${keyStoreId} does not exist`,
      notFoundFix,
    );
  return store;
}

/** The state as progress lines show it: `FAILED(<ConnectionErrorCode>)` for a failed store. */
export function connectionState(s: CustomKeyStoresListEntry): string {
  return s.ConnectionState === "FAILED" ? `FAILED(${s.ConnectionErrorCode ?? "?"})` : (s.ConnectionState ?? "UNKNOWN");
}

/** How a step disconnects its store: see {@link disconnectKeyStore}. */
export interface DisconnectSpec {
  readonly kms: KmsSend;
  readonly keyStoreId: string;
  /** The store as last described. */
  readonly store: CustomKeyStoresListEntry;
  readonly describe: () => Promise<CustomKeyStoresListEntry>;
  /** The step's own error for a refused DisconnectCustomKeyStore. */
  readonly toError: (what: string, err: unknown) => HookError;
  readonly runtime: StepRuntime;
  readonly progress: ProgressReporter;
  /** A progress line before DisconnectCustomKeyStore is sent (not when the store is already disconnecting). */
  readonly note?: string;
  /** Next action when the wait for DISCONNECTED times out. */
  readonly timeoutAction: string;
}

/**
 * The store DISCONNECTED: DisconnectCustomKeyStore unless it is already DISCONNECTING (a store that
 * changed state meanwhile, CustomKeyStoreInvalidStateException, is waited for all the same), then a
 * wait for DISCONNECTED. Returns the store as last described (unchanged when it was already DISCONNECTED).
 */
export async function disconnectKeyStore(spec: DisconnectSpec): Promise<CustomKeyStoresListEntry> {
  const { store, keyStoreId } = spec;
  if (store.ConnectionState === "DISCONNECTED") return store;
  if (store.ConnectionState !== "DISCONNECTING") {
    if (spec.note) spec.progress.note(spec.note);
    try {
      await spec.kms("DisconnectCustomKeyStore", new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: keyStoreId }));
    } catch (err) {
      if (awsErrorCode(err) !== "CustomKeyStoreInvalidStateException")
        throw spec.toError("DisconnectCustomKeyStore", err);
    }
  }
  return waitUntil<CustomKeyStoresListEntry>({
    runtime: spec.runtime,
    progress: spec.progress,
    target: "DISCONNECTED",
    describe: spec.describe,
    stateOf: connectionState,
    done: (s) => s.ConnectionState === "DISCONNECTED",
    policy: pollFor(TYPICAL_MS.disconnect),
    timeoutAction: spec.timeoutAction,
  });
}
