import { CLOUDHSM } from "@cmk-stacks/aws-limits";
import { createHash } from "node:crypto";
import {
  DescribeSecretCommand,
  TagResourceCommand,
  type DescribeSecretCommandOutput,
} from "@aws-sdk/client-secrets-manager";
import { pollFor, TYPICAL_MS } from "../lib/backoff";
import { checkClusterHealthy, describeCluster, hsmSummary, type Cluster, type Hsm } from "../lib/cluster";
import { awsErrorCode, errorMessage, HookError, guarded } from "../lib/errors";
import { ProgressReporter } from "../lib/progress";
import { withRetry } from "../lib/retry";
import type { Sender, StepResult, StepRuntime } from "../lib/runtime";
import { ensureSecretValue, generatePassword, readSecretValue } from "../lib/secrets";
import { hookResult, runShellCommand, shellQuote, tail } from "../lib/ssm-command";
import { KMSUSER_VERIFIED_TAG } from "../lib/markers";
import { checkIds } from "../lib/validate";
import { waitUntil } from "../lib/wait";
import { scriptPrologue, TRUST_ANCHOR_PATH } from "./activate-cluster";

/**
 * What both kmsuser steps (create-kmsuser, reset-kmsuser-password) run on the admin instance
 * with: ids, secret ARNs and a parameter name, never a password.
 */
export interface KmsuserOnHostInput extends StepRuntime {
  readonly region: string;
  /** The admin instance (SSM managed) the script runs on. */
  readonly instanceId: string;
  /** Secret with the admin password (written by activate-cluster); read on the instance only. */
  readonly adminSecretArn: string;
  /** Secret of the kmsuser password (created empty by Terraform, which reads it for the key store). */
  readonly kmsuserSecretArn: string;
  /** SSM parameter name of the trust anchor PEM (the CLI's trust anchor on the instance). */
  readonly trustAnchorParameter: string;
}

type Ids = Parameters<typeof checkIds>[0];

/**
 * The problems with the ids of a step run on the admin host: `first` (the step's own subject), the
 * Region, instance and trust anchor parameter, `more` (the step's other ids), then the two secrets.
 */
export function kmsuserOnHostProblems(input: KmsuserOnHostInput, first: Ids, more: Ids = {}): string[] {
  return [
    ...checkIds({
      ...first,
      region: input.region,
      instanceId: input.instanceId,
      parameterName: input.trustAnchorParameter,
      ...more,
    }),
    ...checkIds({ secretArn: input.adminSecretArn }),
    ...checkIds({ secretArn: input.kmsuserSecretArn }),
  ];
}

/** Inputs of `create-kmsuser`. */
export interface CreateKmsuserInput extends KmsuserOnHostInput {
  readonly clients: { readonly cloudhsm: Sender; readonly ssm: Sender; readonly secrets: Sender };
  readonly clusterId: string;
  /** Verify on the HSMs even if the last verification covered the same HSMs. */
  readonly force?: boolean;
}

/** Tag on the kmsuser secret recording which HSM set was last verified (so re-runs need no SSM call); Terraform ignores it. */
export const VERIFIED_TAG = KMSUSER_VERIFIED_TAG;

/** One HSM of the per-HSM verification. */
export interface HsmTarget {
  readonly id: string;
  readonly az: string;
  readonly ip: string;
}

/**
 * The script sent through SSM (ids and IPs only). Logs in as admin through CLOUDHSM_ROLE /
 * CLOUDHSM_PIN (the CLI's documented single-command-mode variables), answers the `user create`
 * password prompts through the pseudo-terminal helper from `printf` (a builtin: in no argv), then
 * lists users on each HSM separately so a gap is attributed to one HSM. Output lines:
 * `HOOK_RESULT <created|exists>` and `HOOK_HSM <id> <az> <ip> <exit code> <base64 user list JSON>` per HSM.
 */
export function kmsuserScript(args: {
  region: string;
  trustAnchorParameter: string;
  adminSecretArn: string;
  kmsuserSecretArn: string;
  hsms: readonly HsmTarget[];
}): string {
  const region = shellQuote(args.region);
  const allIps = args.hsms.map((h) => shellQuote(h.ip)).join(" ");
  return [
    ...scriptPrologue(),
    `aws ssm get-parameter --region ${region} --name ${shellQuote(args.trustAnchorParameter)} --with-decryption --query Parameter.Value --output text > ${TRUST_ANCHOR_PATH}`,
    `configure-cli -a ${allIps}`,
    `if cloudhsm-cli user list | grep -Eq '"username"[[:space:]]*:[[:space:]]*"kmsuser"'; then`,
    '  echo "HOOK_RESULT KMSUSER_EXISTS"',
    "else",
    ...adminLogin(args.region, args.adminSecretArn).map((l) => `  ${l}`),
    `  KMSUSER_PW="$(aws secretsmanager get-secret-value --region ${region} --secret-id ${shellQuote(args.kmsuserSecretArn)} --query SecretString --output text)"`,
    `  printf '%s\\n%s\\n' "$KMSUSER_PW" "$KMSUSER_PW" | cmk_pty cloudhsm-cli user create --username kmsuser --role crypto-user`,
    "  unset KMSUSER_PW CLOUDHSM_PIN CLOUDHSM_ROLE",
    '  echo "HOOK_RESULT KMSUSER_CREATED"',
    "fi",
    ...perHsmUserList(args.hsms),
    `configure-cli -a ${allIps}`,
  ].join("\n");
}

/** Admin login for single-command mode: CLOUDHSM_ROLE and CLOUDHSM_PIN (`admin:<password>`), read on the instance. */
export function adminLogin(region: string, adminSecretArn: string): string[] {
  return [
    "export CLOUDHSM_ROLE=admin",
    `CLOUDHSM_PIN="admin:$(aws secretsmanager get-secret-value --region ${shellQuote(region)} --secret-id ${shellQuote(adminSecretArn)} --query SecretString --output text)"`,
    "export CLOUDHSM_PIN",
  ];
}

/** `user list` on each HSM alone, one `HOOK_HSM <id> <az> <ip> <exit code> <base64 JSON>` line each. */
export function perHsmUserList(hsms: readonly HsmTarget[]): string[] {
  return hsms.flatMap((h) => [
    `configure-cli -a ${shellQuote(h.ip)}`,
    `if OUT="$(cloudhsm-cli user list 2>&1)"; then RC=0; else RC=$?; fi`,
    `echo "HOOK_HSM ${h.id} ${h.az} ${h.ip} $RC $(printf '%s' "$OUT" | base64 -w0)"`,
  ]);
}

interface UserListJson {
  readonly data?: {
    readonly users?: readonly { readonly username?: string; readonly role?: string; readonly locked?: string }[];
  };
}

/** Per-HSM verdicts from the script output; problems name the HSM, its AZ and IP. */
export function verifyKmsuserOutput(stdout: string, hsms: readonly HsmTarget[]): string[] {
  const problems: string[] = [];
  for (const h of hsms) {
    const m = new RegExp(`^HOOK_HSM ${h.id} \\S+ \\S+ (\\d+) (\\S*)$`, "m").exec(stdout);
    const where = `HSM ${h.id} (${h.az}, ${h.ip})`;
    if (!m) {
      problems.push(`${where}: no result (the script stopped before checking it)`);
      continue;
    }
    if (m[1] !== "0") {
      problems.push(`${where}: user list failed with exit code ${m[1]} (HSM unreachable from the admin host?)`);
      continue;
    }
    let parsed: UserListJson;
    try {
      parsed = JSON.parse(Buffer.from(m[2], "base64").toString("utf8")) as UserListJson;
    } catch {
      problems.push(`${where}: user list output is not JSON`);
      continue;
    }
    const user = parsed.data?.users?.find((u) => u.username === "kmsuser");
    if (!user) problems.push(`${where}: kmsuser is missing`);
    else if (user.role !== "crypto-user")
      problems.push(`${where}: kmsuser has role ${user.role}, expected crypto-user`);
    else if (user.locked === "true") problems.push(`${where}: kmsuser is locked`);
  }
  return problems;
}

/**
 * Ensures the `kmsuser` crypto user exists on every HSM of the cluster: password generated once
 * into its secret (reused afterwards), user created through SSM Run Command on the admin
 * instance if missing, then verified HSM by HSM. A re-run against the same set of HSMs is a
 * no-op (a tag on the secret records the last verified set).
 */
export function createKmsuser(input: CreateKmsuserInput): Promise<StepResult> {
  return guarded(input.log, () => createKmsuserBody(input));
}

async function createKmsuserBody(input: CreateKmsuserInput): Promise<StepResult> {
  const { clients, clusterId, log } = input;
  const progress = new ProgressReporter(`create-kmsuser ${clusterId}`, input.clock, log);
  const label = progress.label;
  const problems = kmsuserOnHostProblems(input, { clusterId });
  if (problems.length) throw new HookError(label, "InvalidInput", problems.join("; "), "fix the hook's arguments");
  const describe = () =>
    withRetry("DescribeClusters", () => describeCluster(clients.cloudhsm, clusterId, label), { ...input, label });

  let cluster = await describe();
  progress.observe(hsmSummary(cluster));
  checkClusterHealthy(cluster, label);
  if (cluster.State !== "ACTIVE") {
    throw new HookError(
      label,
      "ClusterNotActive",
      `cluster is ${cluster.State}, kmsuser needs an ACTIVE cluster`,
      "run initialize-cluster and activate-cluster first",
    );
  }
  const allActive = (c: Cluster) => (c.Hsms ?? []).length > 0 && (c.Hsms ?? []).every((h) => h.State === "ACTIVE");
  if (!allActive(cluster)) {
    // kmsuser must exist on every HSM: wait until HSMs being created can receive it.
    cluster = await waitUntil<Cluster>({
      runtime: input,
      progress,
      target: "every HSM ACTIVE",
      first: cluster,
      describe,
      stateOf: hsmSummary,
      done: allActive,
      check: (c) => checkClusterHealthy(c, label),
      policy: pollFor(TYPICAL_MS.hsmCreate),
      timeoutAction: "check the HSMs still being created in the CloudHSM console, then re-run",
    });
  }
  const hsms = (cluster.Hsms ?? []).map(hsmTarget(label));
  const fingerprint = createHash("sha256")
    .update([clusterId, ...hsms.map((h) => h.id).sort()].join("+"))
    .digest("hex")
    .slice(0, 32);

  const kmsSecret = await describeSecret(input, input.kmsuserSecretArn, label);
  const verified = kmsSecret.Tags?.find((t) => t.Key === VERIFIED_TAG)?.Value;
  if (verified === fingerprint && hasValue(kmsSecret) && !input.force) {
    progress.note(`already done (kmsuser verified on ${hsms.map((h) => h.id).join(", ")})`);
    return { status: "ALREADY_DONE", state: "VERIFIED", elapsedMs: progress.elapsed() };
  }
  // Read (not only described) so the logger can mask it should the CLI ever echo it in command output.
  const adminPassword = await readSecretValue(
    { secrets: clients.secrets, secretArn: input.adminSecretArn, purpose: "admin password", label, runtime: input },
    true,
  );
  if (adminPassword === undefined) {
    throw new HookError(
      label,
      "AdminPasswordMissing",
      `${input.adminSecretArn} has no value`,
      "run activate-cluster first (it stores the admin password)",
    );
  }
  const { created } = await ensureSecretValue({
    secrets: clients.secrets,
    secretArn: input.kmsuserSecretArn,
    purpose: "kmsuser password",
    label,
    runtime: input,
    generate: () => generatePassword(32),
  });
  progress.note(
    created
      ? `kmsuser password generated and stored in ${input.kmsuserSecretArn}`
      : `reusing the kmsuser password stored in ${input.kmsuserSecretArn}`,
  );

  const outcome = await runShellCommand({
    ssm: clients.ssm,
    instanceId: input.instanceId,
    comment: `cmk-hooks create-kmsuser ${clusterId}`,
    script: kmsuserScript({
      region: input.region,
      trustAnchorParameter: input.trustAnchorParameter,
      adminSecretArn: input.adminSecretArn,
      kmsuserSecretArn: input.kmsuserSecretArn,
      hsms,
    }),
    runtime: input,
    progress,
  });
  const result = hookResult(outcome.stdout);
  if (outcome.status !== "Success" || !result) {
    throw new HookError(
      label,
      `Command${outcome.status}`,
      `creating kmsuser on ${input.instanceId} ended ${outcome.status} with exit code ${outcome.responseCode}: ${log.redact(tail(outcome.stderr || outcome.stdout))}`,
      `read command ${outcome.commandId} output in SSM Run Command history; check the admin password in ${input.adminSecretArn} still logs in (5 failures lock the admin out) and the instance reaches every HSM on TCP ${CLOUDHSM.CLUSTER_PORTS.min}-${CLOUDHSM.CLUSTER_PORTS.max}; then re-run`,
    );
  }
  const gaps = verifyKmsuserOutput(outcome.stdout, hsms);
  if (gaps.length) {
    throw new HookError(
      label,
      "KmsuserNotOnEveryHsm",
      gaps.join("; "),
      `check that the admin instance reaches the HSM(s) named on TCP ${CLOUDHSM.CLUSTER_PORTS.min}-${CLOUDHSM.CLUSTER_PORTS.max} (security group of the cluster), then re-run: the CLI creates missing users when configured with every HSM`,
    );
  }
  progress.note(
    `kmsuser ${result === "KMSUSER_CREATED" ? "created and" : "already existed;"} verified on ${hsms.map((h) => `${h.id} (${h.az})`).join(", ")}`,
  );
  try {
    await withRetry(
      "TagResource",
      () =>
        clients.secrets.send(
          new TagResourceCommand({
            SecretId: input.kmsuserSecretArn,
            Tags: [{ Key: VERIFIED_TAG, Value: fingerprint }],
          }),
        ),
      { ...input, label },
    );
  } catch (err) {
    // Only costs a verification on the next run: not worth failing the step for.
    log.warn(
      `[${label}] could not tag ${input.kmsuserSecretArn} (${awsErrorCode(err)}); the next run will verify again`,
    );
  }
  return { status: "DONE", state: "VERIFIED", elapsedMs: progress.elapsed() };
}

/** An HSM as a script target; refuses ids, AZs or IPs that are not plain (they are interpolated into scripts). */
export function hsmTarget(label: string): (h: Hsm) => HsmTarget {
  return (h) => {
    const ip = h.EniIp ?? "";
    if (
      checkIds({ ip }).length ||
      !/^hsm-[a-z0-9]+$/.test(h.HsmId ?? "") ||
      !/^[a-z0-9-]+$/.test(h.AvailabilityZone ?? "")
    ) {
      throw new HookError(
        label,
        "UnexpectedHsmDescription",
        `HSM ${h.HsmId} has an unexpected id, AZ or IP (${h.AvailabilityZone}, ${ip})`,
        "report this; the script only accepts plain ids and IPv4 addresses",
      );
    }
    return { id: h.HsmId as string, az: h.AvailabilityZone as string, ip };
  };
}

function hasValue(secret: DescribeSecretCommandOutput): boolean {
  return Object.values(secret.VersionIdsToStages ?? {}).some((stages) => stages.includes("AWSCURRENT"));
}

async function describeSecret(
  input: CreateKmsuserInput,
  arn: string,
  label: string,
): Promise<DescribeSecretCommandOutput> {
  try {
    return (await withRetry(
      "DescribeSecret",
      () => input.clients.secrets.send(new DescribeSecretCommand({ SecretId: arn })),
      { ...input, label },
    )) as DescribeSecretCommandOutput;
  } catch (err) {
    const code = awsErrorCode(err);
    const action =
      code === "ResourceNotFoundException"
        ? `check that ${arn} exists (Terraform creates it)`
        : code === "AccessDeniedException"
          ? `grant the hook role secretsmanager:DescribeSecret on ${arn}`
          : "fix the cause above and re-run";
    throw new HookError(label, code, `DescribeSecret ${arn} failed: ${errorMessage(err)}`, action);
  }
}
