/**
 * Dispatch table of the bootstrap program: which function runs each step of the contract
 * (`hooks/contract.ts`, where names, arguments and IAM are defined). Typed as a record over the
 * contract's step names, so a step without a function (or a function for no step) does not compile.
 * Both runners (`cli.ts`, `lambda.ts`) validate their input with `parseStepInput` first and then
 * call `STEP_RUNNERS[step]` with the validated arguments.
 */
import { CLOUDHSM, HOOKS } from "@cmk-stacks/aws-limits";
import type { HookClients } from "./lib/clients";
import { HookError } from "./lib/errors";
import type { RateLimiter } from "./lib/rate-limiter";
import type { StepResult, StepRuntime } from "./lib/runtime";
import { kebab, type StepArgs, type StepName } from "./contract";
import { isKnownTimezone, type ScaleWindow, type Weekday } from "./lib/scale-window";
import { activateCluster } from "./steps/activate-cluster";
import { checkKeyStoreHealth } from "./steps/check-key-store-health";
import { connectKeyStore } from "./steps/connect-key-store";
import { createKmsuser } from "./steps/create-kmsuser";
import { importKeyMaterial, type MaterialSource } from "./steps/import-key-material";
import { initializeCluster } from "./steps/initialize-cluster";
import { migrateHsmType } from "./steps/migrate-hsm-type";
import { resetKmsuserPassword } from "./steps/reset-kmsuser-password";
import { restoreKeyStore } from "./steps/restore-key-store";
import { rotateXksCredential } from "./steps/rotate-xks-credential";
import { ensureHsms, scaleDown, scaleUp } from "./steps/scale-hsms";
import { setBackupRetention } from "./steps/set-backup-retention";
import { waitHsmsActive } from "./steps/wait-hsms-active";

/** Runs one step with arguments `parseStepInput` accepted (ids present and well-formed, defaults applied). */
export type StepRunner = (
  args: StepArgs,
  clients: HookClients,
  runtime: StepRuntime & { limiter?: RateLimiter; readMaterial?: MaterialSource; xksExtraCaPem?: readonly string[] },
) => Promise<StepResult>;

/** Every step of the contract and the function that runs it. */
export const STEP_RUNNERS: Readonly<Record<StepName, StepRunner>> = {
  "initialize-cluster": (a, c, r) =>
    initializeCluster({
      ...r,
      clients: c,
      clusterId: req(a.clusterId),
      certificateParameter: req(a.certificateParameter),
      trustAnchorParameter: req(a.trustAnchorParameter),
    }),
  "activate-cluster": (a, c, r) =>
    activateCluster({
      ...r,
      clients: c,
      region: a.region,
      clusterId: req(a.clusterId),
      instanceId: req(a.instanceId),
      adminSecretArn: req(a.adminSecretArn),
      trustAnchorParameter: req(a.trustAnchorParameter),
    }),
  "set-backup-retention": (a, c, r) =>
    setBackupRetention({
      ...r,
      clients: c,
      clusterId: req(a.clusterId),
      days: a.days ?? CLOUDHSM.BACKUP_RETENTION_DAYS_DEFAULT.value,
    }),
  "wait-hsms-active": (a, c, r) =>
    waitHsmsActive({ ...r, clients: c, clusterId: req(a.clusterId), minHsms: a.minHsms }),
  "create-kmsuser": (a, c, r) =>
    createKmsuser({
      ...r,
      clients: c,
      region: a.region,
      clusterId: req(a.clusterId),
      instanceId: req(a.instanceId),
      adminSecretArn: req(a.adminSecretArn),
      kmsuserSecretArn: req(a.kmsuserSecretArn),
      trustAnchorParameter: req(a.trustAnchorParameter),
      force: a.force,
    }),
  "reset-kmsuser-password": (a, c, r) =>
    resetKmsuserPassword({
      ...r,
      clients: c,
      region: a.region,
      keyStoreId: req(a.keyStoreId),
      instanceId: req(a.instanceId),
      adminSecretArn: req(a.adminSecretArn),
      kmsuserSecretArn: req(a.kmsuserSecretArn),
      trustAnchorParameter: req(a.trustAnchorParameter),
      force: a.force,
    }),
  "import-key-material": (a, c, r) =>
    importKeyMaterial({
      clock: r.clock,
      log: r.log,
      timeoutMs: r.timeoutMs,
      yieldAt: r.yieldAt,
      random: r.random,
      readMaterial: r.readMaterial,
      clients: c,
      keyId: req(a.keyId),
      validDays: a.validDays ?? 0,
      reimport: a.reimport,
      rotate: a.rotate,
    }),
  // Standard input carries the new credential here (never an argument); the Lambda runner refuses the step (contract: cliOnly).
  "rotate-xks-credential": (a, c, r) =>
    rotateXksCredential({
      clock: r.clock,
      log: r.log,
      timeoutMs: r.timeoutMs,
      yieldAt: r.yieldAt,
      random: r.random,
      limiter: r.limiter,
      readCredential: r.readMaterial,
      xksExtraCaPem: r.xksExtraCaPem,
      clients: c,
      region: a.region,
      keyStoreId: req(a.keyStoreId),
      keyId: a.keyId,
      credentialSecretArn: a.credentialSecretArn,
      connectTo: a.connectTo,
    }),
  "migrate-hsm-type": (a, c, r) =>
    migrateHsmType({ ...r, clients: c, clusterId: req(a.clusterId), hsmType: req(a.hsmType) }),
  "restore-key-store": (a, c, r) =>
    restoreKeyStore({
      ...r,
      clients: c,
      region: a.region,
      keyStoreId: req(a.keyStoreId),
      subnetIds: req(a.subnetIds).split(","),
      hsmType: req(a.hsmType),
      mode: a.mode,
      backupId: a.backupId,
      lastConnected: a.lastConnected ? new Date(a.lastConnected) : undefined,
      instanceId: req(a.instanceId),
      adminSecretArn: req(a.adminSecretArn),
      kmsuserSecretArn: req(a.kmsuserSecretArn),
      trustAnchorParameter: req(a.trustAnchorParameter),
    }),
  "connect-key-store": (a, c, r) => connectKeyStore({ ...r, clients: c, keyStoreId: req(a.keyStoreId) }),
  "check-key-store-health": (a, c, r) =>
    checkKeyStoreHealth({
      ...r,
      clients: c,
      keyStoreId: req(a.keyStoreId),
      clusterId: a.clusterId,
      minHsms: a.minHsms,
      connectTo: a.connectTo,
      xksExtraCaPem: r.xksExtraCaPem,
      window: scaleWindowOf(a),
    }),
  "ensure-hsms": (a, c, r) =>
    ensureHsms({ ...r, clients: c, clusterId: req(a.clusterId), hsmAzs: req(a.hsmAzs).split(",") }),
  "scale-down": (a, c, r) =>
    scaleDown({ ...r, clients: c, clusterId: req(a.clusterId), keyStoreId: req(a.keyStoreId) }),
  "scale-up": (a, c, r) =>
    scaleUp({
      ...r,
      clients: c,
      clusterId: req(a.clusterId),
      keyStoreId: req(a.keyStoreId),
      hsmAzs: req(a.hsmAzs).split(","),
    }),
};

/**
 * The health check's scale-to-zero window: all four of --down-at, --up-at, --weekdays, --timezone,
 * or none (a cluster that is never scaled down).
 */
function scaleWindowOf(a: StepArgs): ScaleWindow | undefined {
  const given = { downAt: a.downAt, upAt: a.upAt, weekdays: a.weekdays, timezone: a.timezone };
  const missing = Object.entries(given).filter(([, v]) => !v);
  if (missing.length === 4) return undefined;
  if (missing.length || !isKnownTimezone(a.timezone as string))
    throw new HookError(
      "check-key-store-health",
      "InvalidInput",
      missing.length
        ? `a scale-to-zero window needs --down-at, --up-at, --weekdays and --timezone together; missing ${missing.map(([k]) => `--${kebab(k)}`).join(", ")}`
        : `--timezone ${a.timezone} is not a time zone this runtime knows`,
      "pass the window as the schedule does (modules/alarms/cloudhsm-health-check.ts)",
    );
  return {
    downAt: a.downAt as string,
    upAt: a.upAt as string,
    weekdays: (a.weekdays as string).split(",") as Weekday[],
    timezone: a.timezone as string,
    upMinutes: a.upMinutes ?? HOOKS.TIMEOUT_MINUTES_DEFAULT.value,
  };
}

function req(value: string | undefined): string {
  if (!value)
    throw new HookError(
      "hooks",
      "InvalidInput",
      "a required id is missing",
      "pass every flag the step lists (hooks/README.md)",
    );
  return value;
}
