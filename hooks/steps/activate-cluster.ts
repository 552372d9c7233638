import { CLOUDHSM } from "@cmk-stacks/aws-limits";
import { pollFor, TYPICAL_MS } from "../lib/backoff";
import { activeHsms, checkClusterHealthy, describeCluster, type Cluster } from "../lib/cluster";
import { HookError, guarded } from "../lib/errors";
import { ProgressReporter } from "../lib/progress";
import { withRetry } from "../lib/retry";
import type { Sender, StepResult, StepRuntime } from "../lib/runtime";
import { ensureSecretValue, generatePassword } from "../lib/secrets";
import { ptyHelperLines } from "../lib/pty";
import { hookResult, runShellCommand, shellQuote, tail } from "../lib/ssm-command";
import { checkIds } from "../lib/validate";
import { waitUntil } from "../lib/wait";

/** Inputs of `activate-cluster`. The admin password never passes through here: only its secret's ARN. */
export interface ActivateClusterInput extends StepRuntime {
  readonly clients: { readonly cloudhsm: Sender; readonly ssm: Sender; readonly secrets: Sender };
  readonly clusterId: string;
  /** Region for the AWS CLI calls the script makes on the admin instance. */
  readonly region: string;
  /** SSM-managed admin instance with the CloudHSM CLI, inside the VPC. */
  readonly instanceId: string;
  /** Secret (created empty by Terraform) that receives the generated admin password. */
  readonly adminSecretArn: string;
  /** SSM parameter with the trust anchor PEM, written to /opt/cloudhsm/etc/customerCA.crt. */
  readonly trustAnchorParameter: string;
}

/** Where Client SDK 5 looks for the issuing certificate on Linux. */
export const TRUST_ANCHOR_PATH = "/opt/cloudhsm/etc/customerCA.crt";

/** Where the CloudHSM CLI package installs `cloudhsm-cli` and `configure-cli`; appended to PATH by the scripts. */
export const CLOUDHSM_BIN = "/opt/cloudhsm/bin";

/** First lines of every admin-host script: strict mode, private files, the CLI on PATH, the prompt helper. */
export function scriptPrologue(): string[] {
  return ["#!/bin/bash", "set -euo pipefail", "umask 077", `export PATH="$PATH:${CLOUDHSM_BIN}"`, ...ptyHelperLines()];
}

/**
 * The script sent through SSM. It contains ids only: the password is fetched from Secrets
 * Manager on the instance into a shell variable and written, by `printf` (a shell builtin, so it
 * is in no process's argv and in no SSM history), to the prompt helper, which answers the CLI's
 * "Enter password:" / "Confirm password:" prompts under a pseudo-terminal (lib/pty.ts).
 * `user list` needs no login and tells whether activation already happened.
 */
export function activationScript(args: {
  region: string;
  trustAnchorParameter: string;
  adminSecretArn: string;
  hsmIp: string;
}): string {
  const region = shellQuote(args.region);
  return [
    ...scriptPrologue(),
    `aws ssm get-parameter --region ${region} --name ${shellQuote(args.trustAnchorParameter)} --with-decryption --query Parameter.Value --output text > ${TRUST_ANCHOR_PATH}`,
    `configure-cli -a ${shellQuote(args.hsmIp)}`,
    `if cloudhsm-cli user list | grep -Eq '"role"[[:space:]]*:[[:space:]]*"admin"'; then echo "HOOK_RESULT ALREADY_ACTIVE"; exit 0; fi`,
    `ADMIN_PW="$(aws secretsmanager get-secret-value --region ${region} --secret-id ${shellQuote(args.adminSecretArn)} --query SecretString --output text)"`,
    `printf '%s\\n%s\\n' "$ADMIN_PW" "$ADMIN_PW" | cmk_pty cloudhsm-cli cluster activate`,
    "unset ADMIN_PW",
    'echo "HOOK_RESULT ACTIVATED"',
  ].join("\n");
}

/**
 * Activates an INITIALIZED cluster: makes sure an admin password exists in Secrets Manager
 * (generated once, reused on re-runs), runs `cloudhsm-cli cluster activate` on the admin instance
 * through SSM Run Command, and waits for the cluster to be ACTIVE. ACTIVE already: no-op.
 */
export function activateCluster(input: ActivateClusterInput): Promise<StepResult> {
  return guarded(input.log, () => activateClusterBody(input));
}

async function activateClusterBody(input: ActivateClusterInput): Promise<StepResult> {
  const { clients, clusterId, log } = input;
  const progress = new ProgressReporter(`activate-cluster ${clusterId}`, input.clock, log);
  const label = progress.label;
  const problems = checkIds({
    clusterId,
    region: input.region,
    instanceId: input.instanceId,
    secretArn: input.adminSecretArn,
    parameterName: input.trustAnchorParameter,
  });
  if (problems.length) throw new HookError(label, "InvalidInput", problems.join("; "), "fix the hook's arguments");
  const describe = () =>
    withRetry("DescribeClusters", () => describeCluster(clients.cloudhsm, clusterId, label), { ...input, label });

  let cluster = await describe();
  progress.observe(cluster.State ?? "UNKNOWN");
  checkClusterHealthy(cluster, label);
  if (cluster.State === "ACTIVE") {
    progress.note("already done (cluster is ACTIVE)");
    return { status: "ALREADY_DONE", state: "ACTIVE", elapsedMs: progress.elapsed() };
  }
  if (cluster.State === "INITIALIZE_IN_PROGRESS") {
    cluster = await waitUntil<Cluster>({
      runtime: input,
      progress,
      target: "INITIALIZED",
      first: cluster,
      describe,
      stateOf: (c) => c.State ?? "UNKNOWN",
      done: (c) => c.State !== "INITIALIZE_IN_PROGRESS",
      check: (c) => checkClusterHealthy(c, label),
      policy: pollFor(TYPICAL_MS.initialize),
      timeoutAction: "check the cluster in the CloudHSM console, then re-run",
    });
    if (cluster.State === "ACTIVE") return { status: "DONE", state: "ACTIVE", elapsedMs: progress.elapsed() };
  }
  if (cluster.State !== "INITIALIZED") {
    throw new HookError(
      label,
      "ClusterNotInitialized",
      `cluster is ${cluster.State}, activation needs INITIALIZED`,
      "run initialize-cluster first",
    );
  }
  const hsm = activeHsms(cluster).find((h) => h.EniIp);
  if (!hsm?.EniIp)
    throw new HookError(
      label,
      "NoActiveHsm",
      "the cluster has no ACTIVE HSM with an IP address",
      "wait for the first HSM to be ACTIVE (or re-create it), then re-run",
    );
  if (checkIds({ ip: hsm.EniIp }).length)
    throw new HookError(
      label,
      "InvalidHsmIp",
      `unexpected HSM address ${hsm.EniIp}`,
      "report this; the script only accepts IPv4 addresses",
    );

  const { created } = await ensureSecretValue({
    secrets: clients.secrets,
    secretArn: input.adminSecretArn,
    purpose: "admin password",
    label,
    runtime: input,
    generate: () => generatePassword(32),
  });
  progress.note(
    created
      ? `admin password generated and stored in ${input.adminSecretArn}`
      : `reusing the admin password stored in ${input.adminSecretArn}`,
  );

  const outcome = await runShellCommand({
    ssm: clients.ssm,
    instanceId: input.instanceId,
    comment: `cmk-hooks activate-cluster ${clusterId}`,
    script: activationScript({
      region: input.region,
      trustAnchorParameter: input.trustAnchorParameter,
      adminSecretArn: input.adminSecretArn,
      hsmIp: hsm.EniIp,
    }),
    runtime: input,
    progress,
  });
  const result = hookResult(outcome.stdout);
  if (outcome.status !== "Success" || !result) {
    throw new HookError(
      label,
      `Command${outcome.status}`,
      `cluster activate on ${input.instanceId} (HSM ${hsm.HsmId}, ${hsm.AvailabilityZone}) ended ${outcome.status} with exit code ${outcome.responseCode}: ${log.redact(tail(outcome.stderr || outcome.stdout))}`,
      `read command ${outcome.commandId} output in SSM Run Command history; check the instance reaches ${hsm.EniIp} on TCP ${CLOUDHSM.CLUSTER_PORTS.min}-${CLOUDHSM.CLUSTER_PORTS.max}, has the CloudHSM CLI and can read ${input.adminSecretArn}; then re-run (the stored password is reused)`,
    );
  }
  progress.note(
    result === "ALREADY_ACTIVE"
      ? "the HSM reports the admin already activated"
      : "cluster activate succeeded on the HSM",
  );

  const final = await waitUntil<Cluster>({
    runtime: input,
    progress,
    target: "ACTIVE",
    // Still INITIALIZED as far as we know: sleep before the first describe.
    first: cluster,
    describe,
    stateOf: (c) => c.State ?? "UNKNOWN",
    done: (c) => c.State === "ACTIVE",
    check: (c) => checkClusterHealthy(c, label),
    policy: pollFor(TYPICAL_MS.activate),
    timeoutAction:
      "the HSM accepted the activation but the cluster is not ACTIVE yet: check the CloudHSM console, then re-run (it will only wait)",
  });
  return { status: "DONE", state: final.State ?? "UNKNOWN", elapsedMs: progress.elapsed() };
}
