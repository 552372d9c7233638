import { randomBytes, timingSafeEqual } from "node:crypto";
import {
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  ListKeysCommand,
  UpdateCustomKeyStoreCommand,
  type ListKeysCommandOutput,
  type CustomKeyStoresListEntry,
  type DecryptCommandOutput,
  type DescribeKeyCommandOutput,
  type EncryptCommandOutput,
} from "@aws-sdk/client-kms";
import { GetSecretValueCommand, type GetSecretValueCommandOutput } from "@aws-sdk/client-secrets-manager";
import { XKS } from "@cmk-stacks/aws-limits";
import {
  runXksCheck,
  validateCredential,
  type XksCheckOptions,
  type XksCheckReport,
  type XksCredential,
} from "@cmk-stacks/xks-check";
import { formatDuration } from "../lib/clock";
import { awsErrorCode, errorMessage, guarded, HookError } from "../lib/errors";
import { connectionState, customKeyStoreKms, describeKeyStore } from "../lib/key-store";
import { ProgressReporter } from "../lib/progress";
import { CUSTOM_KEY_STORE_RPS, type RateLimiter } from "../lib/rate-limiter";
import { isRetryable, isThrottling, withRetry } from "../lib/retry";
import type { Sender, StepResult, StepRuntime } from "../lib/runtime";
import { checkIds } from "../lib/validate";
import { connectKeyStore } from "./connect-key-store";

/** Where the CLI runner reads the new credential (standard input) when no secret is named. */
export type CredentialSource = () => Promise<Uint8Array>;

/** Inputs of `rotate-xks-credential`: ids only; the new credential comes from `credentialSecretArn` or `readCredential`. */
export interface RotateXksCredentialInput extends StepRuntime {
  readonly clients: { readonly kms: Sender; readonly secrets: Sender };
  readonly region: string;
  /** The external key store. */
  readonly keyStoreId: string;
  /** A KMS key in the store: the Encrypt/Decrypt round trip that proves the new credential. @default - the first enabled key of the store ListKeys finds */
  readonly keyId?: string;
  /** Secret whose JSON holds the new `accessKeyId` and `secretAccessKey`. @default - read from `readCredential` */
  readonly credentialSecretArn?: string;
  /** `<host>:<port>` dialled for the proxy check instead of the store's private DNS name. @default - the name, port 443 */
  readonly connectTo?: string;
  readonly readCredential?: CredentialSource;
  readonly limiter?: RateLimiter;
  /** Extra CA certificates for the proxy check (tests: KMS itself trusts public CAs only). @default [] */
  readonly xksExtraCaPem?: readonly string[];
  /** The proxy check (xks-check's `runXksCheck`); injectable for tests. */
  readonly proxyCheck?: (options: XksCheckOptions) => Promise<XksCheckReport>;
  /** How long KMS may take to use the new credential. @default - the rulebook's {@link XKS.CREDENTIAL_UPDATE_SETTLE_MINUTES} (AWS's figure) */
  readonly settleMs?: number;
}

/** How long KMS takes to use an updated credential everywhere: the rulebook's {@link XKS.CREDENTIAL_UPDATE_SETTLE_MINUTES}. */
export const XKS_UPDATE_SETTLE_MS = XKS.CREDENTIAL_UPDATE_SETTLE_MINUTES.value * 60_000;
/** How often the store is described during the wait (its state is the only thing to see). */
const SETTLE_POLL_MS = 60_000;
const STDIN_HELP = `pipe {"accessKeyId": "...", "secretAccessKey": "..."} from your key manager on standard input, or pass --credential-secret-arn`;
/** Report rows that say whether the proxy accepts the credential (latency is not a credential problem). */
const BLOCKING_ROWS = /^(connection|tls version|certificate |health)/;
/**
 * A chain this host trusts whose root is not on the rulebook's copy of AWS's trusted list does not
 * stop a rotation: the store is CONNECTED (or FAILED) with that certificate, so KMS is the authority
 * (the copy may be older than AWS's list); the finding is still printed.
 */
const NOT_LISTED = /^certificate trust: chains to .*, not on AWS's XKS trusted list$/;
const CHECK_CONTEXT = { purpose: "cmk-stacks rotate-xks-credential round trip" };

/**
 * Replaces the proxy authentication credential of an external key store without an outage, the
 * way AWS documents it (https://docs.aws.amazon.com/kms/latest/developerguide/update-xks-keystore.html,
 * https://docs.aws.amazon.com/kms/latest/APIReference/API_UpdateCustomKeyStore.html):
 * 1. DescribeCustomKeyStores: an external key store, CONNECTED (or FAILED, which is reconnected
 *    after the update: its keys are unusable anyway); its URI endpoint and path.
 * 2. The new credential from the secret or standard input, checked against KMS's formats and
 *    masked in every line from then on.
 * 3. The proxy check (xks-check's library): GetHealthStatus signed with the NEW credential. A proxy
 *    that rejects it stops the step before anything changes (no UpdateCustomKeyStore).
 * 4. UpdateCustomKeyStore XksProxyAuthenticationCredential, allowed while CONNECTED: KMS checks the
 *    proxy with it again before accepting it.
 * 5. A bounded wait of up to {@link XKS.CREDENTIAL_UPDATE_SETTLE_MINUTES} for KMS to use it everywhere, the store described each minute.
 * 6. Encrypt/Decrypt on `keyId`, an enabled key in the store (checked, or found with ListKeys and
 *    DescribeKey, before anything changes): KMS signs with the new credential.
 * 7. Only then: the old credential may be retired from the proxy (AWS recommends the proxy accept
 *    both during the switch).
 * Re-running is safe: the same credential is simply set again.
 */
export function rotateXksCredential(input: RotateXksCredentialInput): Promise<StepResult> {
  return guarded(input.log, () => rotateBody(input));
}

async function rotateBody(input: RotateXksCredentialInput): Promise<StepResult> {
  const { clients, keyStoreId, log, clock } = input;
  const progress = new ProgressReporter(`rotate-xks-credential ${keyStoreId}`, clock, log);
  const label = progress.label;
  const settleMs = input.settleMs ?? XKS_UPDATE_SETTLE_MS;
  const problems = checkIds({ keyStoreId, region: input.region, kmsKeyId: input.keyId, hostPort: input.connectTo });
  if (input.credentialSecretArn !== undefined) problems.push(...checkIds({ secretArn: input.credentialSecretArn }));
  if (input.timeoutMs < settleMs + 60_000)
    problems.push(
      `--timeout-minutes must leave room for the ${formatDuration(settleMs)} KMS takes to use the new credential (at least ${Math.ceil(settleMs / 60_000) + 1})`,
    );
  if (problems.length)
    throw new HookError(
      label,
      "InvalidInput",
      problems.join("; "),
      "fix the step's arguments (stack output xks_rotate_credential_command)",
    );
  const retry = { clock, log, label, random: input.random };
  const { limiter, kms } = customKeyStoreKms(input, label);
  const describe = () =>
    describeKeyStore(
      kms,
      label,
      keyStoreId,
      (what, err) => kmsError(label, what, err),
      "check --key-store-id and --region (stack output xks_rotate_credential_command)",
    );

  // 1. The store.
  const store = await describe();
  progress.observe(connectionState(store));
  if (store.CustomKeyStoreType !== "EXTERNAL_KEY_STORE")
    throw new HookError(
      label,
      "NotAnExternalKeyStore",
      `${keyStoreId} is a ${String(store.CustomKeyStoreType)} key store`,
      "pass the external key store's id; a CloudHSM store's kmsuser password is recovered with reset-kmsuser-password",
    );
  if (store.ConnectionState !== "CONNECTED" && store.ConnectionState !== "FAILED") {
    throw new HookError(
      label,
      `KeyStore${String(store.ConnectionState)}`,
      `the key store is ${String(store.ConnectionState)}: the step replaces the credential of a CONNECTED store (no outage) or of a FAILED one (reconnected after the update)`,
      store.ConnectionState === "DISCONNECTED"
        ? "connect it first (connect-key-store), then re-run; it was disconnected on purpose? then update it by hand later"
        : "wait for the connection state to settle (connect-key-store), then re-run",
    );
  }
  const endpoint = store.XksProxyConfiguration?.UriEndpoint ?? "";
  const uriPath = store.XksProxyConfiguration?.UriPath ?? "";
  let host: string;
  try {
    host = new URL(endpoint).hostname;
  } catch {
    throw new HookError(
      label,
      "UnexpectedXksConfiguration",
      `the store's proxy URI endpoint is ${endpoint || "(none)"}`,
      "check the key store in the KMS console",
    );
  }

  // The key of the round trip, known before anything changes: a rotation that cannot be proved is not started.
  const keyId = await keyForRoundTrip(input, label, retry);
  progress.note(`round-trip key: ${keyId}`);

  // 2. The new credential, masked from the moment it is read.
  const credential = await readNewCredential(input, label);
  log.registerSecret(credential.secretAccessKey);
  progress.note(
    `new credential read (access key id ${credential.accessKeyId}); the secret access key is never printed`,
  );

  // 3. The proxy must accept it before KMS is told anything.
  const target = input.connectTo
    ? {
        host: input.connectTo.slice(0, input.connectTo.lastIndexOf(":")),
        port: Number(input.connectTo.slice(input.connectTo.lastIndexOf(":") + 1)),
      }
    : undefined;
  const check = input.proxyCheck ?? runXksCheck;
  let report: XksCheckReport;
  try {
    report = await check({
      privateDnsName: host,
      uriPath,
      region: input.region,
      credential,
      connectTo: target,
      extraCaPem: input.xksExtraCaPem ? [...input.xksExtraCaPem] : undefined,
      samples: 1,
      keys: [],
      // Only an expired certificate stops a rotation; one close to expiry is the certificate alarm's business.
      certificateFailDays: 0,
    });
  } catch (err) {
    throw new HookError(
      label,
      "ProxyCheckFailed",
      `the proxy check could not run: ${errorMessage(err)}`,
      "fix the cause above and re-run (nothing was changed)",
    );
  }
  const failed = report.rows.filter(
    (r) => r.verdict === "FAIL" && BLOCKING_ROWS.test(r.check) && !NOT_LISTED.test(`${r.check}: ${r.detail}`),
  );
  if (failed.length) {
    const auth = failed.find((r) => /AuthenticationFailed|signature|401/i.test(`${r.detail} ${r.fix ?? ""}`));
    if (auth) {
      throw new HookError(
        label,
        "ProxyRejectsNewCredential",
        `the proxy at ${report.via ?? host} rejected GetHealthStatus signed with the new credential (${auth.detail}); UpdateCustomKeyStore was not called`,
        "configure the new credential on every proxy behind the load balancer (keep the old one until this step says it may be retired), then re-run",
      );
    }
    const where = failed.map((r) => `${r.check}: ${r.detail}`).join("; ");
    throw new HookError(
      label,
      "ProxyCheckFailed",
      `the proxy could not be checked with the new credential (${where}); UpdateCustomKeyStore was not called`,
      `${failed[0].fix ?? "check the proxy"}; run from a host that reaches the proxy (in the VPC or the data centre), with --connect-to <proxy ip>:443 if this host does not resolve ${host}`,
    );
  }
  for (const r of report.rows.filter((r) => r.verdict === "FAIL" || r.verdict === "WARN"))
    progress.note(`proxy check ${r.verdict}: ${r.check}: ${r.fix ?? r.detail}`);
  progress.note(`the proxy accepts the new credential (GetHealthStatus at ${report.via ?? host})`);

  // 4. Tell KMS, without disconnecting (the credential may change in any connection state).
  try {
    await kms(
      "UpdateCustomKeyStore",
      new UpdateCustomKeyStoreCommand({
        CustomKeyStoreId: keyStoreId,
        XksProxyAuthenticationCredential: {
          AccessKeyId: credential.accessKeyId,
          RawSecretAccessKey: credential.secretAccessKey,
        },
      }),
    );
  } catch (err) {
    throw kmsError(label, "UpdateCustomKeyStore", err);
  }
  progress.note(
    `UpdateCustomKeyStore accepted the new credential (KMS checked the proxy with it); the old one stays in use until KMS switches, up to ${XKS.CREDENTIAL_UPDATE_SETTLE_MINUTES.value} minutes`,
  );
  const updatedAt = clock.now();

  // A FAILED store (e.g. INVALID_CREDENTIALS) is reconnected now that it has a credential the proxy accepts.
  if (store.ConnectionState === "FAILED") {
    await connectKeyStore({
      ...input,
      clients: { kms: clients.kms },
      keyStoreId,
      limiter,
      timeoutMs: Math.max(1, input.timeoutMs - progress.elapsed() - settleMs),
    });
  }

  // 5. Up to XKS.CREDENTIAL_UPDATE_SETTLE_MINUTES for KMS to use it everywhere; the store must stay CONNECTED meanwhile.
  for (;;) {
    const waited = clock.now() - updatedAt;
    if (waited >= settleMs) break;
    await clock.sleep(Math.min(SETTLE_POLL_MS, settleMs - waited));
    let now: CustomKeyStoresListEntry | undefined;
    try {
      now = await describe();
    } catch (err) {
      if (!isRetryable(err)) throw err;
      log.warn(`[${label}] DescribeCustomKeyStores failed with ${awsErrorCode(err)}; the wait continues`);
    }
    if (now) {
      progress.observe(connectionState(now));
      if (now.ConnectionState === "FAILED") {
        throw new HookError(
          label,
          now.ConnectionErrorCode ?? "FAILED",
          `the key store failed after the update (${connectionState(now)})`,
          now.ConnectionErrorCode === "INVALID_CREDENTIALS"
            ? "a proxy behind the load balancer rejects the new credential: configure it on every proxy (keep the old one), then run connect-key-store; do NOT retire the old credential"
            : "see the connect-key-store table for this code (hooks/README.md), then run connect-key-store; do NOT retire the old credential yet",
        );
      }
    }
    progress.note(
      `waiting for KMS to use the new credential: ${formatDuration(Math.min(clock.now() - updatedAt, settleMs))} of ${formatDuration(settleMs)}`,
    );
  }

  // 6. Proof: a round trip through the proxy, signed with the new credential.
  await roundTrip(input, keyId, label, retry);
  progress.note(`Encrypt/Decrypt round trip on ${keyId}: ok`);

  // 7. When the old credential may go.
  progress.note(
    `the old credential may be retired from the proxy now: KMS has used only the new one since ${new Date(updatedAt + settleMs).toISOString()} (${XKS.CREDENTIAL_UPDATE_SETTLE_MINUTES.value} minutes after the update) and a round trip through the proxy succeeded. Then store the new one where the next rotation expects it; XksProxyCredentialAge restarts from 0`,
  );
  return { status: "DONE", state: "CONNECTED", elapsedMs: progress.elapsed() };
}

/** The new credential from the secret, or from standard input (JSON, never echoed). */
async function readNewCredential(input: RotateXksCredentialInput, label: string): Promise<XksCredential> {
  let text: string;
  let from: string;
  if (input.credentialSecretArn) {
    from = `the secret ${input.credentialSecretArn}`;
    let out: GetSecretValueCommandOutput;
    try {
      out = (await withRetry(
        "GetSecretValue",
        () => input.clients.secrets.send(new GetSecretValueCommand({ SecretId: input.credentialSecretArn })),
        { ...input, label },
      )) as GetSecretValueCommandOutput;
    } catch (err) {
      const code = awsErrorCode(err);
      throw new HookError(
        label,
        code,
        `GetSecretValue on ${input.credentialSecretArn} failed: ${errorMessage(err)}`,
        code === "AccessDeniedException" || code === "DecryptionFailure"
          ? `grant this identity secretsmanager:GetSecretValue on ${input.credentialSecretArn} and kms:Decrypt on its key`
          : "check the secret's ARN and Region, then re-run (nothing was changed)",
      );
    }
    text = out.SecretString ?? "";
  } else {
    if (!input.readCredential)
      throw new HookError(
        label,
        "NoCredentialSource",
        "this runner has no standard input to read the new credential from",
        STDIN_HELP,
      );
    from = "standard input";
    let raw: Uint8Array;
    try {
      raw = await input.readCredential();
    } catch (err) {
      throw new HookError(label, "NoCredentialSource", errorMessage(err), STDIN_HELP);
    }
    text = Buffer.from(raw).toString("utf8");
    raw.fill(0);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text, i.e. the secret: never pass it on.
    throw new HookError(label, "InvalidCredential", `${from} is not JSON`, STDIN_HELP);
  }
  const obj = (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? parsed : {}) as Record<
    string,
    unknown
  >;
  // Masked before it is validated, so not even a malformed value can reach a line.
  if (typeof obj.secretAccessKey === "string") input.log.registerSecret(obj.secretAccessKey);
  try {
    return validateCredential(
      { accessKeyId: obj.accessKeyId, secretAccessKey: obj.secretAccessKey },
      { accessKeyId: `accessKeyId (${from})`, secretAccessKey: `secretAccessKey (${from})` },
    );
  } catch (err) {
    throw new HookError(
      label,
      "InvalidCredential",
      errorMessage(err),
      `give the credential exactly as KMS takes it (CreateCustomKeyStore XksProxyAuthenticationCredential): ${STDIN_HELP}`,
    );
  }
}

/** Keys ListKeys may return before the search gives up (each costs a DescribeKey). */
export const KEY_SEARCH_LIMIT = 500;

/**
 * The given key, checked to be an enabled key of the store; or, without one, the first enabled key
 * of the store among the account's keys (ListKeys, then DescribeKey each, at most
 * {@link KEY_SEARCH_LIMIT}).
 */
async function keyForRoundTrip(
  input: RotateXksCredentialInput,
  label: string,
  retry: Parameters<typeof withRetry>[2],
): Promise<string> {
  const kms = input.clients.kms;
  const describeKey = async (keyId: string) => {
    try {
      return (
        (await withRetry(
          "DescribeKey",
          () => kms.send(new DescribeKeyCommand({ KeyId: keyId })),
          retry,
        )) as DescribeKeyCommandOutput
      ).KeyMetadata;
    } catch (err) {
      const code = awsErrorCode(err);
      throw new HookError(
        label,
        code,
        `DescribeKey ${keyId} failed: ${errorMessage(err)}`,
        code === "AccessDeniedException"
          ? `allow this identity kms:DescribeKey, kms:Encrypt and kms:Decrypt on the key (its key policy and IAM); nothing was changed`
          : "check --key-id and --region; nothing was changed",
      );
    }
  };
  if (input.keyId) {
    const key = await describeKey(input.keyId);
    if (key?.CustomKeyStoreId !== input.keyStoreId) {
      throw new HookError(
        label,
        "KeyNotInStore",
        `key ${input.keyId} is not in ${input.keyStoreId} (its store: ${key?.CustomKeyStoreId ?? "none"})`,
        "pass a key of this external key store (stack output xks_rotate_credential_command); nothing was changed",
      );
    }
    if (key.KeyState !== "Enabled")
      throw new HookError(
        label,
        "KeyNotEnabled",
        `key ${input.keyId} is ${String(key.KeyState)}`,
        "pass an enabled key of the store for the round trip; nothing was changed",
      );
    return input.keyId;
  }
  let seen = 0;
  let marker: string | undefined;
  do {
    let page: ListKeysCommandOutput;
    try {
      page = (await withRetry(
        "ListKeys",
        () => kms.send(new ListKeysCommand({ Limit: 100, Marker: marker })),
        retry,
      )) as ListKeysCommandOutput;
    } catch (err) {
      throw new HookError(
        label,
        awsErrorCode(err),
        `ListKeys failed: ${errorMessage(err)}`,
        "pass --key-id (stack output xks_rotate_credential_command), or allow this identity kms:ListKeys; nothing was changed",
      );
    }
    for (const entry of page.Keys ?? []) {
      if (!entry.KeyId || ++seen > KEY_SEARCH_LIMIT) break;
      const key = await describeKey(entry.KeyId);
      if (key?.CustomKeyStoreId === input.keyStoreId && key.KeyState === "Enabled") return entry.KeyId;
    }
    marker = page.Truncated ? page.NextMarker : undefined;
  } while (marker && seen <= KEY_SEARCH_LIMIT);
  throw new HookError(
    label,
    "NoKeyInStore",
    `no enabled key of ${input.keyStoreId} among the ${Math.min(seen, KEY_SEARCH_LIMIT)} keys looked at`,
    "pass --key-id of an enabled key in the store (stack output xks_rotate_credential_command); without a round trip the new credential cannot be proved, so nothing was changed",
  );
}

async function roundTrip(
  input: RotateXksCredentialInput,
  keyId: string,
  label: string,
  retry: Parameters<typeof withRetry>[2],
): Promise<void> {
  const kms = input.clients.kms;
  const probe = randomBytes(32);
  try {
    const enc = (await withRetry(
      "Encrypt",
      () => kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: probe, EncryptionContext: CHECK_CONTEXT })),
      retry,
    )) as EncryptCommandOutput;
    const dec = (await withRetry(
      "Decrypt",
      () =>
        kms.send(
          new DecryptCommand({ KeyId: keyId, CiphertextBlob: enc.CiphertextBlob, EncryptionContext: CHECK_CONTEXT }),
        ),
      retry,
    )) as DecryptCommandOutput;
    const back = dec.Plaintext ? Buffer.from(dec.Plaintext) : Buffer.alloc(0);
    if (back.length !== probe.length || !timingSafeEqual(back, probe)) {
      throw new HookError(
        label,
        "RoundTripFailed",
        "Decrypt did not return what Encrypt was given",
        "do NOT retire the old credential; check the key and the proxy's logs, and report it to AWS Support",
      );
    }
  } catch (err) {
    if (err instanceof HookError) throw err;
    const code = awsErrorCode(err);
    const actions: Record<string, string> = {
      KMSInvalidStateException:
        "the key or its store is not usable: check DescribeCustomKeyStores (FAILED with INVALID_CREDENTIALS: a proxy rejects the new credential; add it to every proxy and run connect-key-store) and the key's state; do NOT retire the old credential",
      CustomKeyStoreInvalidStateException:
        "the store is not CONNECTED: run connect-key-store, then re-run; do NOT retire the old credential",
      XksKeyNotFoundException:
        "the key manager no longer has this key's external key: check it there; do NOT retire the old credential",
      XksKeyInvalidConfigurationException:
        "the external key is not an enabled AES-256 key with ENCRYPT and DECRYPT in the key manager: fix it there",
      DependencyTimeoutException: `the proxy did not answer within KMS's ${XKS.PROXY_TIMEOUT_MS.value} ms: check the proxy and the link, then re-run; do NOT retire the old credential`,
      AccessDeniedException: `allow this identity kms:DescribeKey, kms:Encrypt and kms:Decrypt on ${keyId} (its key policy and IAM), then re-run: the new credential is already set, the step only proves it`,
      DisabledException: "the key is disabled: pass an enabled key of the store",
      NotFoundException: "check --key-id and --region",
    };
    throw new HookError(
      label,
      code,
      `the Encrypt/Decrypt round trip on ${keyId} failed: ${errorMessage(err)}`,
      actions[code] ??
        "re-run the step (it is safe: the same credential is set again); do NOT retire the old credential until a round trip succeeds",
    );
  }
}

/** What the operator does next for each documented UpdateCustomKeyStore / DescribeCustomKeyStores error. */
function kmsError(label: string, what: string, err: unknown): HookError {
  const code = awsErrorCode(err);
  const unchanged = "the store keeps its old credential";
  const actions: Record<string, string> = {
    XksProxyIncorrectAuthenticationCredentialException: `KMS's own GetHealthStatus with the new credential was rejected (${unchanged}): configure the new credential on every proxy behind the load balancer, keep the old one, then re-run`,
    XksProxyUriUnreachableException: `KMS could not reach the proxy, or the proxy reports every key manager unavailable (${unchanged}): check the load balancer's target health, the route to the data centre and the key manager, then re-run`,
    XksProxyInvalidResponseException: `the proxy's answer to KMS was not a valid GetHealthStatus response (${unchanged}): read the proxy's logs, then re-run`,
    XksProxyInvalidConfigurationException: `KMS reports the proxy configuration invalid (${unchanged}): check the store's URI path against the proxy, then re-run`,
    XksProxyVpcEndpointServiceNotFoundException: `KMS cannot find or use the endpoint service (${unchanged}): check it exists and allows cks.kms.<region>.amazonaws.com`,
    XksProxyVpcEndpointServiceInvalidConfigurationException: `the endpoint service does not meet KMS's requirements (${unchanged}): see docs/xks.md`,
    CustomKeyStoreInvalidStateException: `the store changed state (${unchanged}): wait until it is CONNECTED (connect-key-store), then re-run`,
    CustomKeyStoreNotFoundException: "check --key-store-id and --region",
    KMSInternalException: `transient AWS failure, still there after retries (${unchanged} unless a re-run shows otherwise): re-run the step`,
    AccessDeniedException: `grant this identity kms:${what} (hooks/README.md, IAM per step), then re-run`,
  };
  const throttled = isThrottling(err)
    ? `KMS allows ${CUSTOM_KEY_STORE_RPS} *CustomKeyStore requests per second per account and Region and the step's retries ran out: wait a minute and re-run (${unchanged} unless a re-run shows otherwise)`
    : undefined;
  return new HookError(
    label,
    code,
    `${what} failed: ${errorMessage(err)}`,
    actions[code] ?? throttled ?? "fix the cause above and re-run (the step is safe to re-run)",
  );
}
