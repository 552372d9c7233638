/**
 * `npm run status -- <env>`: is a deployed environment healthy? Read-only calls with the operator's
 * session; every check returns findings (tools/ops/findings.ts) and never throws for an AWS error:
 * a call that is denied or fails becomes an `unknown` finding saying what could not be checked.
 *
 * Nothing printed comes from a secret: key store descriptions carry the XKS proxy's access key id
 * (XksProxyConfiguration.AccessKeyId), which is never read here, and AWS error messages (which can
 * quote request parameters) are reduced to their code.
 */
import {
  DescribeBackupsCommand,
  DescribeClustersCommand,
  type Backup,
  type Cluster,
} from "@aws-sdk/client-cloudhsm-v2";
import { DescribeAlarmsCommand, GetMetricStatisticsCommand, type MetricAlarm } from "@aws-sdk/client-cloudwatch";
import {
  DescribeCustomKeyStoresCommand,
  DescribeKeyCommand,
  type CustomKeyStoresListEntry,
  type KeyMetadata,
} from "@aws-sdk/client-kms";
import { connectionErrorAction, CONNECTION_ERRORS, type KeyStoreType } from "../../hooks/lib/connection-errors";
import { awsErrorCode } from "../../hooks/lib/errors";
import type { ResolvedEnvironment } from "../../environments/resolve";
import type { OpsClients } from "./clients";
import { alarmNamePrefix, stackNames } from "./env";
import { notChecked, type Finding } from "./findings";
import { checkSession } from "./session";
import { KMS } from "@cmk-stacks/aws-limits";
import { describeWindow, scalePhase, windowOf } from "../../hooks/lib/scale-window";

const DAY_MS = 86_400_000;
/** CloudHSM backs a cluster up at least once every 24 hours (https://docs.aws.amazon.com/cloudhsm/latest/userguide/backups.html). */
export const BACKUP_MAX_AGE_HOURS = 24;
/** Defaults of alarms.xks (environments/schema.ts), used when the environment has no alarms. */
const XKS_DEFAULTS = { certificateDays: 30, credentialRotationDays: 90 };

export interface DriftResult {
  /** `terraform plan -detailed-exitcode`: 0 no changes, 2 changes, anything else an error. */
  readonly exitCode: number;
  /** The plan's summary line ("Plan: 1 to add, ..."), when there is one. */
  readonly summary?: string;
}

/** Runs a drift plan for one stack; injected so tests need no Terraform. */
export type DriftRunner = (stack: string) => Promise<DriftResult | { readonly missing: string }>;

export interface StatusOptions {
  /** The time the checks compare against. @default now */
  readonly now?: Date;
  /** Where progress lines go (the CLI: stderr). @default - nowhere */
  readonly progress?: (line: string) => void;
  /** Runs `terraform plan -detailed-exitcode` per stack; only with `--drift`. @default - no drift check */
  readonly drift?: DriftRunner;
}

/** A configured custom key store and what DescribeCustomKeyStores said of it. */
interface StoreSeen {
  readonly kind: "cloudhsm" | "xks";
  readonly name: string;
  readonly entry?: CustomKeyStoresListEntry;
}

const storeType = (kind: "cloudhsm" | "xks"): KeyStoreType =>
  kind === "cloudhsm" ? "AWS_CLOUDHSM" : "EXTERNAL_KEY_STORE";
const days = (ms: number) => Math.floor(ms / DAY_MS);
const iso = (d: Date | undefined) => (d ? d.toISOString().replace(/\.\d{3}Z$/, "Z") : "unknown");

/** Connection state of each configured key store, with the documented fix for its error code. */
export async function checkKeyStores(
  env: ResolvedEnvironment,
  c: OpsClients,
): Promise<{ findings: Finding[]; stores: StoreSeen[] }> {
  const wanted: { kind: "cloudhsm" | "xks"; name: string }[] = [];
  if (env.cloudHsm) wanted.push({ kind: "cloudhsm", name: env.cloudHsm.keyStoreName });
  if (env.xks) wanted.push({ kind: "xks", name: env.xks.keyStoreName });
  const findings: Finding[] = [];
  const stores: StoreSeen[] = [];
  for (const w of wanted) {
    const check = "key-store";
    let entry: CustomKeyStoresListEntry | undefined;
    try {
      const out = await c.kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreName: w.name }));
      entry = out.CustomKeyStores?.[0];
    } catch (e) {
      if (awsErrorCode(e) !== "CustomKeyStoreNotFoundException") {
        findings.push(notChecked(check, w.name, "kms:DescribeCustomKeyStores", e));
        stores.push(w);
        continue;
      }
    }
    stores.push({ ...w, entry });
    if (!entry) {
      const firstApply = w.kind === "cloudhsm" && env.cloudHsm?.phase === "awaiting-certificate";
      findings.push(
        firstApply
          ? {
              check,
              subject: w.name,
              severity: "degraded",
              detail: "not created yet: the CloudHSM trust files are not set (first apply)",
              fix: "sign the cluster CSR, set cloudHsm.trust's files and apply the keys stack again (docs/cloudhsm.md)",
            }
          : {
              check,
              subject: w.name,
              severity: "broken",
              detail: "no custom key store of this name in the account and Region",
              fix: `deploy ${stackNames(env).keys} (its keys in this store are unusable without it)`,
            },
      );
      continue;
    }
    const state = entry.ConnectionState ?? "unknown";
    const code = entry.ConnectionErrorCode;
    const id = entry.CustomKeyStoreId ?? "";
    if (state === "CONNECTED") {
      findings.push({ check, subject: w.name, severity: "ok", detail: `${id} CONNECTED` });
    } else if (state === "CONNECTING") {
      findings.push({
        check,
        subject: w.name,
        severity: "degraded",
        detail: `${id} CONNECTING`,
        fix: "wait: a CloudHSM key store takes up to 20 minutes to connect, an external key store a few; re-run status",
      });
    } else if (code) {
      const meaning = CONNECTION_ERRORS[code]?.meaning;
      findings.push({
        check,
        subject: w.name,
        severity: "broken",
        detail: `${id} ${state} ${code}${meaning ? `: ${meaning}` : ""}`,
        fix: connectionErrorAction(code, storeType(w.kind), env.name),
      });
    } else {
      findings.push({
        check,
        subject: w.name,
        severity: "broken",
        detail: `${id} ${state} (no error code: disconnected on purpose, or never connected)`,
        fix: `connect it unless that was intended: npm run hook -- connect-key-store --region ${env.region} --key-store-id ${id}`,
      });
    }
  }
  return { findings, stores };
}

/** The cluster of the CloudHSM key store (by the store's cluster id; else the cluster tagged with the environment). */
async function findCluster(
  env: ResolvedEnvironment,
  c: OpsClients,
  store: StoreSeen | undefined,
): Promise<{ cluster?: Cluster; finding?: Finding }> {
  const clusterId = store?.entry?.CloudHsmClusterId;
  try {
    if (clusterId) {
      const out = await c.cloudhsm.send(new DescribeClustersCommand({ Filters: { clusterIds: [clusterId] } }));
      return { cluster: out.Clusters?.[0] };
    }
    const clusters: Cluster[] = [];
    let token: string | undefined;
    do {
      const out = await c.cloudhsm.send(new DescribeClustersCommand({ NextToken: token }));
      clusters.push(...(out.Clusters ?? []));
      token = out.NextToken;
    } while (token);
    const mine = clusters.filter(
      (cl) => cl.State !== "DELETED" && (cl.TagList ?? []).some((t) => t.Key === "Environment" && t.Value === env.name),
    );
    return { cluster: mine[0] };
  } catch (e) {
    return {
      finding: notChecked("hsms", clusterId ?? env.cloudHsm?.keyStoreName ?? "cluster", "cloudhsm:DescribeClusters", e),
    };
  }
}

/** HSMs per AZ against cloudHsm.hsmAzs, and the cluster's state. */
export function hsmFindings(env: ResolvedEnvironment, cluster: Cluster | undefined, storeUnread = false): Finding[] {
  const cfg = env.cloudHsm;
  if (!cfg) return [];
  if (!cluster && storeUnread) {
    return [
      {
        check: "hsms",
        subject: cfg.keyStoreName,
        severity: "unknown",
        detail: `not checked: the key store could not be read (its cluster id) and no cluster is tagged Environment=${env.name}`,
        fix: "fix what the key-store finding names (kms:DescribeCustomKeyStores denied or failing), then re-run",
      },
    ];
  }
  if (!cluster) {
    return [
      {
        check: "hsms",
        subject: cfg.keyStoreName,
        severity: "broken",
        detail: "no CloudHSM cluster found (by the key store's cluster id, or tagged Environment=" + env.name + ")",
        fix: `deploy ${stackNames(env).keys}`,
      },
    ];
  }
  const id = cluster.ClusterId ?? "cluster";
  const out: Finding[] = [];
  const state = cluster.State ?? "unknown";
  if (state !== "ACTIVE") {
    const bootstrap = [
      "CREATE_IN_PROGRESS",
      "UNINITIALIZED",
      "INITIALIZE_IN_PROGRESS",
      "INITIALIZED",
      "UPDATE_IN_PROGRESS",
    ].includes(state);
    out.push({
      check: "cluster",
      subject: id,
      severity: bootstrap ? "degraded" : "broken",
      detail: `cluster ${state}${cluster.StateMessage ? ` (${cluster.StateMessage.slice(0, 160)})` : ""}`,
      fix: bootstrap
        ? `finish the bootstrap: apply ${stackNames(env).keys} again (its hook steps resume)`
        : "see the cluster's state message in the CloudHSM console; restore from a backup if the cluster is lost (docs/cloudhsm.md)",
    });
  }
  // The first apply of `provided` trust creates only the first HSM (resolve.ts CloudHsmPhase).
  const azs = cfg.phase === "awaiting-certificate" ? cfg.hsmAzs.slice(0, 1) : cfg.hsmAzs;
  const expected = new Map<string, number>();
  for (const az of azs) expected.set(az, (expected.get(az) ?? 0) + 1);
  const active = new Map<string, number>();
  const other: string[] = [];
  for (const h of cluster.Hsms ?? []) {
    const az = h.AvailabilityZone ?? "unknown";
    if (h.State === "ACTIVE") active.set(az, (active.get(az) ?? 0) + 1);
    else other.push(`${h.HsmId ?? "hsm"} ${h.State ?? "unknown"} in ${az}`);
  }
  const totalActive = [...active.values()].reduce((a, b) => a + b, 0);
  const activeAzs = [...active.entries()].filter(([, n]) => n > 0).length;
  for (const az of [...new Set([...expected.keys(), ...active.keys()])].sort()) {
    const want = expected.get(az) ?? 0;
    const have = active.get(az) ?? 0;
    const detail = `${have} ACTIVE of ${want} configured in ${az}`;
    if (have === want) out.push({ check: "hsms", subject: `${id} ${az}`, severity: "ok", detail });
    else if (have < want) {
      // KMS needs 2 ACTIVE HSMs in different AZs to connect a store, and one to serve it.
      const severity = totalActive === 0 ? "broken" : "degraded";
      out.push({
        check: "hsms",
        subject: `${id} ${az}`,
        severity,
        detail,
        fix: `apply ${stackNames(env).keys} to recreate the missing HSM (aws_cloudhsm_v2_hsm in ${az}); CloudHSM clones it from the cluster's keys`,
      });
    } else
      out.push({
        check: "hsms",
        subject: `${id} ${az}`,
        severity: "degraded",
        detail: `${detail} (more than configured: cost, and not in the configuration)`,
        fix: `delete the extra HSM or add ${az} to cloudHsm.hsmAzs`,
      });
  }
  if (cfg.phase !== "awaiting-certificate" && totalActive > 0 && activeAzs < 2) {
    out.push({
      check: "hsms",
      subject: id,
      severity: "degraded",
      detail: `ACTIVE HSMs in ${activeAzs} AZ: a key store needs 2 in different AZs to (re)connect`,
      fix: `apply ${stackNames(env).keys} to recreate the missing HSMs`,
    });
  }
  if (other.length)
    out.push({
      check: "hsms",
      subject: id,
      severity: "degraded",
      detail: `not ACTIVE: ${other.join(", ")}`,
      fix: "wait for CREATE_IN_PROGRESS; a DEGRADED HSM is replaced by deleting it and applying again",
    });
  return out;
}

/** The newest READY backup against 24 hours. */
export async function checkBackups(c: OpsClients, clusterId: string, now: Date): Promise<Finding[]> {
  const backups: Backup[] = [];
  try {
    let token: string | undefined;
    do {
      const out = await c.cloudhsm.send(
        new DescribeBackupsCommand({ Filters: { clusterIds: [clusterId], states: ["READY"] }, NextToken: token }),
      );
      backups.push(...(out.Backups ?? []));
      token = out.NextToken;
    } while (token);
  } catch (e) {
    return [notChecked("backup", clusterId, "cloudhsm:DescribeBackups", e)];
  }
  const ready = backups.filter((b) => b.BackupState === "READY" && b.CreateTimestamp);
  const newest = ready.reduce<Backup | undefined>(
    (a, b) => (!a || (b.CreateTimestamp as Date) > (a.CreateTimestamp as Date) ? b : a),
    undefined,
  );
  if (!newest) {
    return [
      {
        check: "backup",
        subject: clusterId,
        severity: "degraded",
        detail: "no READY backup of the cluster",
        fix: "CloudHSM backs an initialized cluster up at least every 24 hours: if the cluster has been ACTIVE longer, open an AWS Support case",
      },
    ];
  }
  const ageHours = (now.getTime() - (newest.CreateTimestamp as Date).getTime()) / 3_600_000;
  const detail = `newest ${newest.BackupId ?? "backup"} at ${iso(newest.CreateTimestamp)} (${ageHours.toFixed(1)} h old, limit ${BACKUP_MAX_AGE_HOURS} h)`;
  if (ageHours <= BACKUP_MAX_AGE_HOURS) return [{ check: "backup", subject: clusterId, severity: "ok", detail }];
  return [
    {
      check: "backup",
      subject: clusterId,
      severity: "degraded",
      detail,
      fix: "CloudHSM takes a backup at least every 24 hours while the cluster has an ACTIVE HSM: check the HSMs, then open an AWS Support case if none is taken",
    },
  ];
}

/** The newest datapoint of an AWS/KMS metric of a key store over the last 3 hours. */
async function latestMetric(
  c: OpsClients,
  metric: string,
  storeId: string,
  stat: "Minimum" | "Maximum",
  now: Date,
): Promise<number | undefined> {
  const out = await c.cloudwatch.send(
    new GetMetricStatisticsCommand({
      Namespace: "AWS/KMS",
      MetricName: metric,
      Dimensions: [{ Name: "CustomKeyStoreId", Value: storeId }],
      StartTime: new Date(now.getTime() - 3 * 3_600_000),
      EndTime: now,
      Period: 300,
      Statistics: [stat],
    }),
  );
  const points = (out.Datapoints ?? [])
    .filter((d) => d.Timestamp && d[stat] !== undefined)
    .sort((a, b) => (b.Timestamp as Date).getTime() - (a.Timestamp as Date).getTime());
  return points[0]?.[stat];
}

/**
 * XKS proxy certificate days left and credential age, from the metrics KMS publishes for a
 * connected external key store (https://docs.aws.amazon.com/kms/latest/developerguide/monitoring-cloudwatch.html).
 */
export async function checkXksMetrics(
  env: ResolvedEnvironment,
  c: OpsClients,
  store: StoreSeen,
  now: Date,
): Promise<Finding[]> {
  const id = store.entry?.CustomKeyStoreId;
  if (!id) return [];
  const limits = env.alarms?.xks ?? XKS_DEFAULTS;
  const out: Finding[] = [];
  const noData = (check: string, metric: string): Finding => ({
    check,
    subject: store.name,
    severity: "unknown",
    detail: `no ${metric} datapoint in the last 3 hours`,
    fix: "KMS publishes it only while the external key store is connected: connect the store, then re-run",
  });
  try {
    const certDays = await latestMetric(c, "XksProxyCertificateDaysToExpire", id, "Minimum", now);
    if (certDays === undefined) out.push(noData("xks-certificate", "XksProxyCertificateDaysToExpire"));
    else {
      const detail = `proxy TLS certificate expires in ${Math.floor(certDays)} days (alarm at ${limits.certificateDays})`;
      const fix = `renew the XKS proxy's TLS certificate for ${env.xks?.privateDnsName ?? "its private DNS name"} (a public CA), install it on every proxy`;
      out.push(
        certDays <= 0
          ? { check: "xks-certificate", subject: store.name, severity: "broken", detail, fix }
          : certDays < limits.certificateDays
            ? { check: "xks-certificate", subject: store.name, severity: "degraded", detail, fix }
            : { check: "xks-certificate", subject: store.name, severity: "ok", detail },
      );
    }
  } catch (e) {
    out.push(notChecked("xks-certificate", store.name, "cloudwatch:GetMetricStatistics", e));
  }
  try {
    const age = await latestMetric(c, "XksProxyCredentialAge", id, "Maximum", now);
    if (age === undefined) out.push(noData("xks-credential", "XksProxyCredentialAge"));
    else {
      const detail = `proxy authentication credential is ${Math.floor(age)} days old (rotation policy ${limits.credentialRotationDays})`;
      out.push(
        age > limits.credentialRotationDays
          ? {
              check: "xks-credential",
              subject: store.name,
              severity: "degraded",
              detail,
              fix: "add a new credential to every proxy beside the old one, then run the operator step rotate-xks-credential (stack output xks_rotate_credential_command; no outage, docs/xks.md#rotating-the-proxy-credential-rotate-xks-credential)",
            }
          : { check: "xks-credential", subject: store.name, severity: "ok", detail },
      );
    }
  } catch (e) {
    out.push(notChecked("xks-credential", store.name, "cloudwatch:GetMetricStatistics", e));
  }
  return out;
}

/** Days before ValidTo at which imported material is reported (the alarm's threshold: modules/keys). */
export function materialWarningDays(validityDays: number | undefined): number {
  return validityDays !== undefined && validityDays < 60 ? Math.floor(validityDays / 2) : 30;
}

function keyFinding(
  alias: string,
  meta: KeyMetadata,
  env: ResolvedEnvironment,
  validityDays: number | undefined,
  now: Date,
): Finding[] {
  const id = meta.KeyId ?? "";
  const subject = alias;
  const admin = "a key administrator";
  switch (meta.KeyState) {
    case "Enabled": {
      const out: Finding[] = [{ check: "key", subject, severity: "ok", detail: `${id} Enabled` }];
      if (meta.Origin === "EXTERNAL" && meta.ExpirationModel === "KEY_MATERIAL_EXPIRES" && meta.ValidTo) {
        const left = meta.ValidTo.getTime() - now.getTime();
        const warn = materialWarningDays(validityDays);
        const detail = `imported material valid to ${iso(meta.ValidTo)} (${days(left)} days left, warning at ${warn})`;
        const fix = `re-import the same material before it expires: npm run -s hook -- import-key-material --region ${env.region} --key-id ${id} --reimport --valid-days ${validityDays ?? KMS.KEY_MATERIAL_VALIDITY_DAYS.max} (docs/byok.md)`;
        out.push(
          left <= 0
            ? { check: "key-material", subject, severity: "broken", detail, fix }
            : left < warn * DAY_MS
              ? { check: "key-material", subject, severity: "degraded", detail, fix }
              : { check: "key-material", subject, severity: "ok", detail },
        );
      }
      return out;
    }
    case "Disabled":
      return [
        {
          check: "key",
          subject,
          severity: "degraded",
          detail: `${id} Disabled: every cryptographic request with it fails`,
          fix: `if not intended: kms:EnableKey by ${admin} (aws kms enable-key --key-id ${id})`,
        },
      ];
    case "PendingDeletion":
    case "PendingReplicaDeletion":
      return [
        {
          check: "key",
          subject,
          severity: "broken",
          detail: `${id} ${meta.KeyState}, deleted on ${iso(meta.DeletionDate)}: data encrypted under it becomes unrecoverable`,
          fix: `if not intended: aws kms cancel-key-deletion --key-id ${id}, then aws kms enable-key --key-id ${id} (${admin})`,
        },
      ];
    case "PendingImport":
      return [
        {
          check: "key",
          subject,
          severity: "broken",
          detail: `${id} PendingImport: no key material (never imported, expired or deleted)`,
          fix: `import the material: npm run -s hook -- import-key-material --region ${env.region} --key-id ${id} (docs/byok.md)`,
        },
      ];
    case "Unavailable":
      return [
        {
          check: "key",
          subject,
          severity: "broken",
          detail: `${id} Unavailable: its custom key store is disconnected`,
          fix: "connect the key store (see the key-store finding)",
        },
      ];
    default:
      return [
        {
          check: "key",
          subject,
          severity: "degraded",
          detail: `${id} ${meta.KeyState ?? "unknown state"}`,
          fix: "wait for the change in progress, then re-run status",
        },
      ];
  }
}

/** Each configured key and signing key by alias: its state, and imported material expiry. */
export async function checkKeys(env: ResolvedEnvironment, c: OpsClients, now: Date): Promise<Finding[]> {
  const wanted = [
    ...Object.entries(env.keys).map(([name, k]) => ({
      name,
      alias: k.alias,
      validity: k.origin === "external" ? k.keyMaterialValidityDays : undefined,
      awaiting: k.store === "cloudhsm" && env.cloudHsm?.phase === "awaiting-certificate",
    })),
    ...Object.entries(env.signingKeys ?? {}).map(([name, k]) => ({
      name,
      alias: k.alias,
      validity: undefined,
      awaiting: false,
    })),
  ];
  const out: Finding[] = [];
  for (const w of wanted) {
    try {
      const { KeyMetadata: meta } = await c.kms.send(new DescribeKeyCommand({ KeyId: w.alias }));
      if (!meta) throw Object.assign(new Error("no metadata"), { name: "NotFoundException" });
      out.push(...keyFinding(w.alias, meta, env, w.validity, now));
    } catch (e) {
      if (awsErrorCode(e) === "NotFoundException") {
        out.push(
          w.awaiting
            ? {
                check: "key",
                subject: w.alias,
                severity: "degraded",
                detail: "not created yet: waits for the CloudHSM certificate (second apply)",
                fix: "sign the cluster CSR and apply the keys stack again (docs/cloudhsm.md)",
              }
            : {
                check: "key",
                subject: w.alias,
                severity: "broken",
                detail: "no key with this alias",
                fix: `deploy ${stackNames(env).keys}; if the alias was deleted by hand, recreate it pointing at the key (aws kms create-alias)`,
              },
        );
      } else out.push(notChecked("key", w.alias, "kms:DescribeKey", e));
    }
  }
  return out;
}

/** Alarms of the environment's topic that are in ALARM. */
export async function checkAlarms(env: ResolvedEnvironment, c: OpsClients): Promise<Finding[]> {
  if (!env.alarms) return [];
  const prefix = alarmNamePrefix(env);
  const alarms: MetricAlarm[] = [];
  try {
    let token: string | undefined;
    do {
      const out = await c.cloudwatch.send(
        new DescribeAlarmsCommand({ AlarmNamePrefix: prefix, AlarmTypes: ["MetricAlarm"], NextToken: token }),
      );
      alarms.push(...(out.MetricAlarms ?? []));
      token = out.NextToken;
    } while (token);
  } catch (e) {
    return [notChecked("alarm", `${prefix}*`, "cloudwatch:DescribeAlarms", e)];
  }
  if (alarms.length === 0)
    return [
      {
        check: "alarm",
        subject: `${prefix}*`,
        severity: "degraded",
        detail: "no alarm with this prefix: nobody is warned before keys fail",
        fix: `deploy ${stackNames(env).keys} (alarms are configured)`,
      },
    ];
  const firing = alarms.filter((a) => a.StateValue === "ALARM");
  if (firing.length === 0)
    return [
      { check: "alarm", subject: `${prefix}*`, severity: "ok", detail: `${alarms.length} alarms, none in ALARM` },
    ];
  return firing.map((a) => ({
    check: "alarm",
    subject: a.AlarmName ?? prefix,
    severity: "degraded" as const,
    detail: `in ALARM since ${iso(a.StateUpdatedTimestamp)}${a.AlarmDescription ? `: ${a.AlarmDescription.slice(0, 200)}` : ""}`,
    fix: "see docs/alarms.md for this alarm's runbook",
  }));
}

/** Drift per stack (`terraform plan -detailed-exitcode`). */
export async function checkDrift(env: ResolvedEnvironment, run: DriftRunner): Promise<Finding[]> {
  const out: Finding[] = [];
  // Both plans at once: read-only (-lock=false), and each mostly waits on the provider and AWS.
  const stacks = [stackNames(env).keys, stackNames(env).data];
  const results = await Promise.all(stacks.map((s) => run(s)));
  for (const [i, stack] of stacks.entries()) {
    const r = results[i];
    if ("missing" in r)
      out.push({
        check: "drift",
        subject: stack,
        severity: "unknown",
        detail: `not checked: ${r.missing}`,
        fix: "run npm run synth, then status --drift again",
      });
    else if (r.exitCode === 0)
      out.push({
        check: "drift",
        subject: stack,
        severity: "ok",
        detail: "no changes (the deployed resources match the configuration)",
      });
    else if (r.exitCode === 2)
      out.push({
        check: "drift",
        subject: stack,
        severity: "degraded",
        detail: `drift: ${r.summary ?? "the plan has changes"}`,
        fix: `review cdktf plan ${stack} (npm run ci / terraform plan), then apply through the plan guard or revert the change made outside Terraform`,
      });
    else
      out.push({
        check: "drift",
        subject: stack,
        severity: "unknown",
        detail: `not checked: terraform plan failed (exit ${r.exitCode})`,
        fix: `run terraform plan in cdktf.out/stacks/${stack} to see why (backend access, init)`,
      });
  }
  return out;
}

/**
 * Scale to zero (`cloudHsm.scaleToZero`): while the schedule has the cluster down (or its scale-up
 * chain is still running), a DISCONNECTED store, zero HSMs and a backup older than a day (nothing to
 * back up) are the schedule, reported `ok` with the window; outside it they stay findings, with
 * scale-up as the fix instead of an apply (Terraform owns no HSM of such a cluster).
 */
export function scaleToZeroView(
  env: ResolvedEnvironment,
  now: Date,
  store: StoreSeen | undefined,
  cluster: Cluster | undefined,
  f: { readonly store: Finding[]; readonly hsms: Finding[]; readonly backup: Finding[] },
): { store: Finding[]; hsms: Finding[]; backup: Finding[] } {
  const cfg = env.cloudHsm?.scaleToZero;
  if (!cfg || !env.cloudHsm) return { ...f };
  const w = windowOf(cfg, env.hooks.timeoutMinutes);
  const { phase } = scalePhase(w, now);
  const live = (cluster?.Hsms ?? []).filter((h) => h.State !== "DELETED" && h.State !== "DELETE_IN_PROGRESS");
  const window = `scaled down on schedule (${phase}; ${describeWindow(w)})`;
  const storeId = store?.entry?.CustomKeyStoreId ?? "<key-store-id>";
  const clusterId = cluster?.ClusterId ?? "<cluster-id>";
  const runUp = `run scale-up: npm run hook -- scale-up --region ${env.region} --cluster-id ${clusterId} --key-store-id ${storeId} --hsm-azs ${env.cloudHsm.hsmAzs.join(",")} (lambda runner: invoke the hook function with that event; Terraform owns no HSM of this cluster)`;
  const scaleUp = `wait for the scheduled scale-up, or ${runUp}`;
  if (phase === "up")
    return {
      ...f,
      hsms: f.hsms.map((x) =>
        x.severity !== "ok" && /aws_cloudhsm_v2_hsm|recreate the missing HSMs/.test(x.fix ?? "")
          ? { ...x, fix: `missing outside the scale-to-zero window (${describeWindow(w)}): ${runUp}` }
          : x,
      ),
    };
  const storeDown = store?.entry?.ConnectionState === "DISCONNECTED" && !store.entry.ConnectionErrorCode;
  return {
    store: f.store.map((x) =>
      x.check === "key-store" && x.subject === store?.name && storeDown
        ? {
            check: x.check,
            subject: x.subject,
            severity: "ok",
            detail: `${storeId} DISCONNECTED: ${window}; KMS refuses its keys until scale-up`,
          }
        : x,
    ),
    hsms:
      cluster && live.length === 0
        ? [{ check: "hsms", subject: clusterId, severity: "ok", detail: `0 HSMs: ${window}` }]
        : f.hsms.map((x) => (x.severity === "ok" ? x : { ...x, fix: scaleUp })),
    backup: f.backup.map((x) =>
      x.severity === "degraded" && live.length === 0 && !/no READY backup/.test(x.detail)
        ? {
            check: x.check,
            subject: x.subject,
            severity: "ok",
            detail: `${x.detail}; no HSM to back up while ${window}`,
          }
        : x,
    ),
  };
}

/**
 * Every status check, in order: the session's account, key stores, the CloudHSM cluster (HSMs per
 * AZ, newest backup), XKS metrics, keys, alarms, drift when asked.
 */
export async function runStatus(env: ResolvedEnvironment, c: OpsClients, opts: StatusOptions = {}): Promise<Finding[]> {
  const now = opts.now ?? new Date();
  const progress = opts.progress ?? (() => undefined);
  progress(`status ${env.name}: account ${env.account}, ${env.region}`);
  const session = await checkSession(env, c);
  if (session) return [session];
  const findings: Finding[] = [];
  if (env.cloudHsm || env.xks) progress("key stores: DescribeCustomKeyStores");
  const { findings: storeFindings, stores } = await checkKeyStores(env, c);
  findings.push(...storeFindings);
  if (env.cloudHsm) {
    progress("CloudHSM: DescribeClusters, DescribeBackups");
    const store = stores.find((s) => s.kind === "cloudhsm");
    const { cluster, finding } = await findCluster(env, c, store);
    if (finding) findings.push(finding);
    else {
      const unread = storeFindings.some((f) => f.subject === store?.name && f.severity === "unknown");
      const hsm = hsmFindings(env, cluster, unread);
      const backup = cluster?.ClusterId ? await checkBackups(c, cluster.ClusterId, now) : [];
      const scaled = scaleToZeroView(env, now, store, cluster, { store: storeFindings, hsms: hsm, backup });
      // The store findings (pushed first) read through the schedule too.
      findings.splice(0, storeFindings.length, ...scaled.store);
      findings.push(...scaled.hsms, ...scaled.backup);
    }
  }
  const xks = stores.find((s) => s.kind === "xks");
  if (xks) {
    progress("XKS: CloudWatch metrics");
    findings.push(...(await checkXksMetrics(env, c, xks, now)));
  }
  progress("keys: DescribeKey");
  findings.push(...(await checkKeys(env, c, now)));
  if (env.alarms) {
    progress("alarms: DescribeAlarms");
    findings.push(...(await checkAlarms(env, c)));
  }
  if (opts.drift) {
    progress("drift: terraform plan -detailed-exitcode (minutes)");
    findings.push(...(await checkDrift(env, opts.drift)));
  }
  return findings;
}
