/** Reading a custom key store's connection state: shared by the steps that connect, disconnect or update it. */
import {
  DescribeCustomKeyStoresCommand,
  type CustomKeyStoresListEntry,
  type DescribeCustomKeyStoresCommandOutput,
} from "@aws-sdk/client-kms";
import { HookError } from "./errors";

/** A KMS call through the step's rate limiter and retries. */
export type KmsSend = <T>(what: string, command: object) => Promise<T>;

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
