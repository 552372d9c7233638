import { CLOUDHSM } from "@cmk-stacks/aws-limits";
import { randomUUID } from "node:crypto";
import { UpdateCustomKeyStoreCommand } from "@aws-sdk/client-kms";
import { PutSecretValueCommand, type PutSecretValueCommandOutput } from "@aws-sdk/client-secrets-manager";
import { checkClusterHealthy, describeCluster, hsmSummary } from "../lib/cluster";
import { awsErrorCode, errorMessage, HookError, guarded } from "../lib/errors";
import { connectionState, customKeyStoreKms, describeKeyStore, disconnectKeyStore } from "../lib/key-store";
import { ProgressReporter } from "../lib/progress";
import type { RateLimiter } from "../lib/rate-limiter";
import { withRetry } from "../lib/retry";
import type { Sender, StepResult } from "../lib/runtime";
import { generatePassword, readSecretValue } from "../lib/secrets";
import { hookResult, runShellCommand, shellQuote, tail } from "../lib/ssm-command";
import { checkIds } from "../lib/validate";
import { scriptPrologue, TRUST_ANCHOR_PATH } from "./activate-cluster";
import { connectKeyStore } from "./connect-key-store";
import {
  adminLogin,
  hsmTarget,
  kmsuserOnHostProblems,
  perHsmUserList,
  verifyKmsuserOutput,
  type HsmTarget,
  type KmsuserOnHostInput,
} from "./create-kmsuser";

/** Inputs of `reset-kmsuser-password` (the new password goes to the kmsuser secret as a new AWSCURRENT version). */
export interface ResetKmsuserPasswordInput extends KmsuserOnHostInput {
  readonly clients: { readonly kms: Sender; readonly cloudhsm: Sender; readonly ssm: Sender; readonly secrets: Sender };
  /** The CloudHSM key store; its cluster is read from DescribeCustomKeyStores. */
  readonly keyStoreId: string;
  /** Also reset a store that is CONNECTED or CONNECTING (it is disconnected first: an outage for its keys). */
  readonly force?: boolean;
  readonly limiter?: RateLimiter;
}

/** Secrets Manager version ids are UUIDs (the ClientRequestToken we send); checked before entering a script. */
const VERSION_ID = /^[A-Za-z0-9-]{32,64}$/;

/**
 * The script sent through SSM (ids, IPs and the new secret version's id only). Logs in as admin
 * (CLOUDHSM_ROLE / CLOUDHSM_PIN), reads the new password of that exact version on the instance,
 * answers the `user change-password` prompts under a pseudo-terminal (lib/pty.ts) from `printf`,
 * then lists users HSM by HSM. Output: `HOOK_RESULT PASSWORD_CHANGED` and one `HOOK_HSM` line per HSM.
 */
export function resetPasswordScript(args: {
  region: string;
  trustAnchorParameter: string;
  adminSecretArn: string;
  kmsuserSecretArn: string;
  versionId: string;
  hsms: readonly HsmTarget[];
}): string {
  const region = shellQuote(args.region);
  const allIps = args.hsms.map((h) => shellQuote(h.ip)).join(" ");
  return [
    ...scriptPrologue(),
    `aws ssm get-parameter --region ${region} --name ${shellQuote(args.trustAnchorParameter)} --with-decryption --query Parameter.Value --output text > ${TRUST_ANCHOR_PATH}`,
    // Every HSM at once: the CLI changes the password on each HSM it is configured with.
    `configure-cli -a ${allIps}`,
    ...adminLogin(args.region, args.adminSecretArn),
    `NEW_PW="$(aws secretsmanager get-secret-value --region ${region} --secret-id ${shellQuote(args.kmsuserSecretArn)} --version-id ${shellQuote(args.versionId)} --query SecretString --output text)"`,
    `printf '%s\\n%s\\n' "$NEW_PW" "$NEW_PW" | cmk_pty cloudhsm-cli user change-password --username kmsuser --role crypto-user`,
    "unset NEW_PW CLOUDHSM_PIN CLOUDHSM_ROLE",
    'echo "HOOK_RESULT PASSWORD_CHANGED"',
    ...perHsmUserList(args.hsms),
    `configure-cli -a ${allIps}`,
  ].join("\n");
}

/**
 * Recovery from INVALID_CREDENTIALS / USER_LOCKED_OUT (and a stale kmsuser secret): KMS rotates the
 * kmsuser password each time it connects a CloudHSM key store
 * (https://docs.aws.amazon.com/kms/latest/developerguide/connect-keystore.html), so no stored copy
 * stays valid. This step sets a known one again, in the order AWS requires:
 * 1. the store DISCONNECTED (DisconnectCustomKeyStore, wait): KMS is logged out as kmsuser, which
 *    `user change-password` needs, and UpdateCustomKeyStore accepts a password only then;
 * 2. a new 32-character alphanumeric password as a new AWSCURRENT version of the kmsuser secret;
 * 3. `cloudhsm-cli user change-password` for kmsuser, as the admin, on every HSM (SSM Run Command on
 *    the admin host), then kmsuser checked on each HSM;
 * 4. UpdateCustomKeyStore KeyStorePassword; 5. connect and wait for CONNECTED (connect-key-store).
 * An operator-run step, never part of `terraform apply`: it disconnects the store. A CONNECTED or
 * CONNECTING store is reset only with `force`.
 */
export function resetKmsuserPassword(input: ResetKmsuserPasswordInput): Promise<StepResult> {
  return guarded(input.log, () => resetBody(input));
}

async function resetBody(input: ResetKmsuserPasswordInput): Promise<StepResult> {
  const { clients, keyStoreId, log } = input;
  const progress = new ProgressReporter(`reset-kmsuser-password ${keyStoreId}`, input.clock, log);
  const label = progress.label;
  const problems = kmsuserOnHostProblems(input, { keyStoreId });
  if (problems.length) throw new HookError(label, "InvalidInput", problems.join("; "), "fix the hook's arguments");
  const { limiter, kms } = customKeyStoreKms(input, label);

  const describe = () =>
    describeKeyStore(
      kms,
      label,
      keyStoreId,
      (what, err) => kmsError(label, what, err),
      "check --key-store-id and --region",
    );
  const stateOf = connectionState;

  let store = await describe();
  progress.observe(stateOf(store));
  if (store.CustomKeyStoreType === "EXTERNAL_KEY_STORE") {
    throw new HookError(
      label,
      "NotACloudHsmKeyStore",
      `${keyStoreId} is an external key store (no kmsuser)`,
      "for XKS INVALID_CREDENTIALS update the proxy credential (docs/xks.md)",
    );
  }
  const clusterId = store.CloudHsmClusterId ?? "";
  if (checkIds({ clusterId }).length)
    throw new HookError(
      label,
      "UnexpectedClusterId",
      `the key store names cluster ${clusterId || "(none)"}`,
      "check the key store in the KMS console",
    );
  if ((store.ConnectionState === "CONNECTED" || store.ConnectionState === "CONNECTING") && !input.force) {
    throw new HookError(
      label,
      `KeyStore${store.ConnectionState}`,
      `the key store is ${store.ConnectionState}: resetting the kmsuser password disconnects it, and every key in it is unusable until it reconnects (up to 20-30 minutes)`,
      store.ConnectionState === "CONNECTING"
        ? "wait for the connection with connect-key-store; reset only if it fails with INVALID_CREDENTIALS or USER_LOCKED_OUT"
        : "reset only to recover from INVALID_CREDENTIALS or USER_LOCKED_OUT; to do it anyway, re-run with --force",
    );
  }

  // The HSMs that will get the new password; all must be ACTIVE (a password changed on some only locks KMS out of the others).
  const describeClusterOnce = () =>
    withRetry("DescribeClusters", () => describeCluster(clients.cloudhsm, clusterId, label), { ...input, label });
  const cluster = await describeClusterOnce();
  checkClusterHealthy(cluster, label);
  const hsmList = cluster.Hsms ?? [];
  if (cluster.State !== "ACTIVE" || hsmList.length === 0 || hsmList.some((h) => h.State !== "ACTIVE")) {
    throw new HookError(
      label,
      "ClusterNotReady",
      `cluster ${clusterId} is ${hsmSummary(cluster)}`,
      "wait until every HSM is ACTIVE (wait-hsms-active), then re-run",
    );
  }
  const hsms = hsmList.map(hsmTarget(label));
  const adminPassword = await readSecretValue(
    { secrets: clients.secrets, secretArn: input.adminSecretArn, purpose: "admin password", label, runtime: input },
    true,
  );
  if (adminPassword === undefined)
    throw new HookError(
      label,
      "AdminPasswordMissing",
      `${input.adminSecretArn} has no value`,
      "check the admin secret (activate-cluster stores it)",
    );

  // 1. DISCONNECTED.
  store = await disconnectKeyStore({
    kms,
    keyStoreId,
    store,
    describe,
    toError: (what, err) => kmsError(label, what, err),
    runtime: input,
    progress,
    note: "disconnecting the key store: its keys are unusable until it reconnects",
    timeoutAction: "check the key store in the KMS console, then re-run (a new password is generated each run)",
  });

  // 2. A new password, stored before it is set on the HSMs: if anything fails later, the secret holds what the HSMs may have.
  const password = generatePassword(32);
  log.registerSecret(password);
  const versionId = randomUUID();
  let put: PutSecretValueCommandOutput;
  try {
    put = (await withRetry(
      "PutSecretValue",
      () =>
        clients.secrets.send(
          new PutSecretValueCommand({
            SecretId: input.kmsuserSecretArn,
            SecretString: password,
            ClientRequestToken: versionId,
          }),
        ),
      { ...input, label },
    )) as PutSecretValueCommandOutput;
  } catch (err) {
    const code = awsErrorCode(err);
    throw new HookError(
      label,
      code,
      `PutSecretValue on ${input.kmsuserSecretArn} failed: ${errorMessage(err)}`,
      code === "AccessDeniedException"
        ? `grant the role secretsmanager:PutSecretValue on ${input.kmsuserSecretArn}, then re-run`
        : "fix the cause above and re-run (the store stays DISCONNECTED)",
    );
  }
  const storedVersion = put.VersionId ?? versionId;
  if (!VERSION_ID.test(storedVersion))
    throw new HookError(
      label,
      "UnexpectedVersionId",
      `Secrets Manager returned version id ${storedVersion}`,
      "report this; re-run",
    );
  progress.note(`new kmsuser password stored in ${input.kmsuserSecretArn} (version ${storedVersion})`);

  // 3. On every HSM, as the admin.
  const outcome = await runShellCommand({
    ssm: clients.ssm,
    instanceId: input.instanceId,
    comment: `cmk-hooks reset-kmsuser-password ${clusterId}`,
    script: resetPasswordScript({
      region: input.region,
      trustAnchorParameter: input.trustAnchorParameter,
      adminSecretArn: input.adminSecretArn,
      kmsuserSecretArn: input.kmsuserSecretArn,
      versionId: storedVersion,
      hsms,
    }),
    runtime: input,
    progress,
  });
  if (outcome.status !== "Success" || hookResult(outcome.stdout) !== "PASSWORD_CHANGED") {
    throw new HookError(
      label,
      `Command${outcome.status}`,
      `user change-password for kmsuser on ${input.instanceId} ended ${outcome.status} with exit code ${outcome.responseCode}: ${log.redact(tail(outcome.stderr || outcome.stdout))}`,
      `read command ${outcome.commandId} output in SSM Run Command history; check the admin password in ${input.adminSecretArn} still logs in and the admin host reaches every HSM on TCP ${CLOUDHSM.CLUSTER_PORTS.min}-${CLOUDHSM.CLUSTER_PORTS.max}; then re-run (the store stays DISCONNECTED until a reset succeeds)`,
    );
  }
  const gaps = verifyKmsuserOutput(outcome.stdout, hsms);
  if (gaps.length) {
    throw new HookError(
      label,
      "KmsuserNotOnEveryHsm",
      gaps.join("; "),
      "fix the HSM(s) named (create-kmsuser --force creates a missing kmsuser), then re-run this step",
    );
  }
  progress.note(`kmsuser password changed on ${hsms.map((h) => `${h.id} (${h.az})`).join(", ")}`);

  // 4. Tell KMS (write-only: DescribeCustomKeyStores never returns it).
  try {
    await kms(
      "UpdateCustomKeyStore",
      new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: keyStoreId, KeyStorePassword: password }),
    );
  } catch (err) {
    throw kmsError(label, "UpdateCustomKeyStore", err);
  }
  progress.note("UpdateCustomKeyStore accepted the new password");

  // 5. Connect and wait, with the remaining budget (KMS then rotates the password again, by design).
  const result = await connectKeyStore({
    ...input,
    clients: { kms: clients.kms, cloudhsm: clients.cloudhsm },
    keyStoreId,
    limiter,
    timeoutMs: Math.max(1, input.timeoutMs - progress.elapsed()),
  });
  return { status: "DONE", state: result.state, elapsedMs: progress.elapsed() };
}

function kmsError(label: string, what: string, err: unknown): HookError {
  const code = awsErrorCode(err);
  const actions: Record<string, string> = {
    CustomKeyStoreNotFoundException: "check --key-store-id and --region",
    CustomKeyStoreInvalidStateException:
      "the key store must be DISCONNECTED for UpdateCustomKeyStore: check nothing else reconnected it, then re-run",
    CloudHsmClusterNotActiveException: "the cluster must be ACTIVE: check it in the CloudHSM console, then re-run",
    CloudHsmClusterInvalidConfigurationException:
      "the cluster needs at least 2 ACTIVE HSMs in different AZs and its original security group rules; fix and re-run",
    AccessDeniedException: `grant the role kms:${what} (see hooks/README.md, IAM per step)`,
    KMSInternalException: "transient AWS failure: re-run the step",
  };
  return new HookError(
    label,
    code,
    `${what} failed: ${errorMessage(err)}`,
    actions[code] ?? "fix the cause above and re-run",
  );
}
