import { DescribeBackupsCommand, DescribeClustersCommand, type Cluster } from "@aws-sdk/client-cloudhsm-v2";
import { DescribeAlarmsCommand, GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeCustomKeyStoresCommand, DescribeKeyCommand, type KeyMetadata } from "@aws-sdk/client-kms";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { CONNECTION_ERRORS, connectionErrorAction, type KeyStoreType } from "../../hooks/lib/connection-errors";
import type { ResolvedEnvironment } from "../../environments/resolve";
import { EXIT, exitCodeOf, type Finding } from "../../tools/ops/findings";
import { runStatus, type DriftRunner } from "../../tools/ops/status";
import { statusCli } from "../../tools/ops/status-cli";
import { awsError, captureIo, envWith, mockedClients, mocks, resetMocks } from "./helpers";

const NOW = new Date("2026-12-07T12:00:00Z");
const HOUR = 3_600_000;
/** Stand-in for the XKS proxy access key id the key store description carries: never printed. */
const XKS_ACCESS_KEY = "XKSACCESSKEYID0SECRET99";

const prod = envWith("prod");

function cluster(azs: readonly string[], state = "ACTIVE", hsmState = "ACTIVE"): Cluster {
  return {
    ClusterId: "cluster-abcdefghijk",
    State: state as Cluster["State"],
    Hsms: azs.map((az, i) => ({
      HsmId: `hsm-${i}`,
      AvailabilityZone: az,
      State: hsmState as "ACTIVE",
      ClusterId: "cluster-abcdefghijk",
    })),
  };
}

function healthy(env: ResolvedEnvironment = prod): void {
  resetMocks(env.account);
  mocks.kms.on(DescribeCustomKeyStoresCommand, { CustomKeyStoreName: "prod-cloudhsm" }).resolves({
    CustomKeyStores: [
      {
        CustomKeyStoreId: "cks-1111111111111111a",
        CustomKeyStoreName: "prod-cloudhsm",
        CustomKeyStoreType: "AWS_CLOUDHSM",
        ConnectionState: "CONNECTED",
        CloudHsmClusterId: "cluster-abcdefghijk",
      },
    ],
  });
  mocks.kms.on(DescribeCustomKeyStoresCommand, { CustomKeyStoreName: "prod-xks" }).resolves({
    CustomKeyStores: [
      {
        CustomKeyStoreId: "cks-2222222222222222b",
        CustomKeyStoreName: "prod-xks",
        CustomKeyStoreType: "EXTERNAL_KEY_STORE",
        ConnectionState: "CONNECTED",
        XksProxyConfiguration: {
          AccessKeyId: XKS_ACCESS_KEY,
          UriEndpoint: "https://xks.example",
          Connectivity: "VPC_ENDPOINT_SERVICE",
        },
      },
    ],
  });
  mocks.cloudhsm
    .on(DescribeClustersCommand)
    .resolves({ Clusters: [cluster(["eu-west-1a", "eu-west-1b", "eu-west-1c"])] });
  mocks.cloudhsm.on(DescribeBackupsCommand).resolves({
    Backups: [
      { BackupId: "backup-old", BackupState: "READY", CreateTimestamp: new Date(NOW.getTime() - 30 * HOUR) },
      { BackupId: "backup-new", BackupState: "READY", CreateTimestamp: new Date(NOW.getTime() - 2 * HOUR) },
    ],
  });
  mocks.cloudwatch
    .on(GetMetricStatisticsCommand, { MetricName: "XksProxyCertificateDaysToExpire" })
    .resolves({ Datapoints: [{ Timestamp: new Date(NOW.getTime() - HOUR), Minimum: 200 }] });
  mocks.cloudwatch
    .on(GetMetricStatisticsCommand, { MetricName: "XksProxyCredentialAge" })
    .resolves({ Datapoints: [{ Timestamp: new Date(NOW.getTime() - HOUR), Maximum: 10 }] });
  mocks.kms.on(DescribeKeyCommand).callsFake((input: { KeyId: string }) => ({
    KeyMetadata: { KeyId: `id-${input.KeyId.split("/").pop()}`, KeyState: "Enabled", Origin: "AWS_KMS" },
  }));
  mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({
    MetricAlarms: [
      { AlarmName: "prod-kms-a", StateValue: "OK" },
      { AlarmName: "prod-kms-b", StateValue: "INSUFFICIENT_DATA" },
    ],
  });
}

const status = (env: ResolvedEnvironment = prod, drift?: DriftRunner) =>
  runStatus(env, mockedClients(), { now: NOW, drift });
const only = (fs: Finding[], check: string) => fs.filter((f) => f.check === check);
const notOk = (fs: Finding[]) => fs.filter((f) => f.severity !== "ok");

beforeEach(() => healthy());

test("a healthy prod: every check ok, exit 0, one finding per store, HSM AZ, backup, XKS metric, key and the alarms", async () => {
  const fs = await status();
  expect(notOk(fs)).toEqual([]);
  expect(exitCodeOf(fs)).toBe(EXIT.healthy);
  expect(fs.map((f) => `${f.check} ${f.subject}`)).toEqual([
    "key-store prod-cloudhsm",
    "key-store prod-xks",
    "hsms cluster-abcdefghijk eu-west-1a",
    "hsms cluster-abcdefghijk eu-west-1b",
    "hsms cluster-abcdefghijk eu-west-1c",
    "backup cluster-abcdefghijk",
    "xks-certificate prod-xks",
    "xks-credential prod-xks",
    ...Object.values(prod.keys).map((k) => `key ${k.alias}`),
    "alarm prod-kms-*",
  ]);
  expect(only(fs, "backup")[0].detail).toBe("newest backup-new at 2026-12-07T10:00:00Z (2.0 h old, limit 24 h)");
  expect(mocks.cloudhsm.commandCalls(DescribeClustersCommand)[0].args[0].input).toEqual({
    Filters: { clusterIds: ["cluster-abcdefghijk"] },
  });
  expect(mocks.cloudwatch.commandCalls(DescribeAlarmsCommand)[0].args[0].input).toMatchObject({
    AlarmNamePrefix: "prod-kms-",
  });
});

describe("key stores", () => {
  const rows = Object.entries(CONNECTION_ERRORS).flatMap(([code, info]) =>
    info.stores.map((type) => [code, type] as [string, KeyStoreType]),
  );
  test.each(rows)("%s on a %s store: broken, with the documented fix", async (code, type) => {
    const name = type === "AWS_CLOUDHSM" ? "prod-cloudhsm" : "prod-xks";
    mocks.kms.on(DescribeCustomKeyStoresCommand, { CustomKeyStoreName: name }).resolves({
      CustomKeyStores: [
        {
          CustomKeyStoreId: "cks-3",
          CustomKeyStoreType: type,
          ConnectionState: "FAILED",
          ConnectionErrorCode: code as never,
          CloudHsmClusterId: "cluster-abcdefghijk",
        },
      ],
    });
    const f = only(await status(), "key-store").find((x) => x.subject === name);
    expect(f).toEqual({
      check: "key-store",
      subject: name,
      severity: "broken",
      detail: `cks-3 FAILED ${code}: ${CONNECTION_ERRORS[code].meaning}`,
      fix: connectionErrorAction(code, type, "prod"),
    });
  });

  test.each(["CLUSTER_NOT_FOUND", "SUBNET_NOT_FOUND", "INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET"])(
    "%s points at the restore command, for this environment",
    async (code) => {
      mocks.kms.on(DescribeCustomKeyStoresCommand, { CustomKeyStoreName: "prod-cloudhsm" }).resolves({
        CustomKeyStores: [{ CustomKeyStoreId: "cks-3", ConnectionState: "FAILED", ConnectionErrorCode: code as never }],
      });
      const f = only(await status(), "key-store").find((x) => x.subject === "prod-cloudhsm");
      expect(f?.fix).toMatch(/npm run restore -- prod( |$).*\(docs\/cloudhsm\.md#restore\)/);
    },
  );

  test("an error code AWS adds later still gets a fix (the generic one)", async () => {
    mocks.kms.on(DescribeCustomKeyStoresCommand, { CustomKeyStoreName: "prod-xks" }).resolves({
      CustomKeyStores: [
        { CustomKeyStoreId: "cks-3", ConnectionState: "FAILED", ConnectionErrorCode: "NEW_CODE" as never },
      ],
    });
    const f = only(await status(), "key-store")[1];
    expect(f).toMatchObject({
      severity: "broken",
      detail: "cks-3 FAILED NEW_CODE",
      fix: expect.stringContaining("unknown connection error code"),
    });
  });

  test("CONNECTING is degraded; DISCONNECTED without a code is broken with the connect command", async () => {
    mocks.kms
      .on(DescribeCustomKeyStoresCommand, { CustomKeyStoreName: "prod-cloudhsm" })
      .resolves({ CustomKeyStores: [{ CustomKeyStoreId: "cks-1", ConnectionState: "CONNECTING" }] });
    mocks.kms
      .on(DescribeCustomKeyStoresCommand, { CustomKeyStoreName: "prod-xks" })
      .resolves({ CustomKeyStores: [{ CustomKeyStoreId: "cks-2", ConnectionState: "DISCONNECTED" }] });
    const fs = await status();
    const [hsm, xks] = only(fs, "key-store");
    expect(hsm).toMatchObject({ severity: "degraded", detail: "cks-1 CONNECTING" });
    expect(xks).toMatchObject({
      severity: "broken",
      detail: "cks-2 DISCONNECTED (no error code: disconnected on purpose, or never connected)",
      fix: "connect it unless that was intended: npm run hook -- connect-key-store --region eu-west-1 --key-store-id cks-2",
    });
    expect(exitCodeOf(fs)).toBe(EXIT.broken);
  });

  test("a store that does not exist is broken; the cluster is then found by its Environment tag", async () => {
    mocks.kms
      .on(DescribeCustomKeyStoresCommand, { CustomKeyStoreName: "prod-cloudhsm" })
      .rejects(awsError("CustomKeyStoreNotFoundException"));
    mocks.cloudhsm.on(DescribeClustersCommand).resolves({
      Clusters: [
        { ...cluster(["eu-west-1a"]), ClusterId: "cluster-other", TagList: [{ Key: "Environment", Value: "staging" }] },
        { ...cluster(["eu-west-1a", "eu-west-1b", "eu-west-1c"]), TagList: [{ Key: "Environment", Value: "prod" }] },
      ],
    });
    const fs = await status();
    expect(fs[0]).toEqual({
      check: "key-store",
      subject: "prod-cloudhsm",
      severity: "broken",
      detail: "no custom key store of this name in the account and Region",
      fix: "deploy prod-keys (its keys in this store are unusable without it)",
    });
    expect(only(fs, "hsms").map((f) => f.subject)).toEqual([
      "cluster-abcdefghijk eu-west-1a",
      "cluster-abcdefghijk eu-west-1b",
      "cluster-abcdefghijk eu-west-1c",
    ]);
  });

  test("access denied: says what was not checked, and the other checks still run", async () => {
    mocks.kms
      .on(DescribeCustomKeyStoresCommand)
      .rejects(
        awsError("AccessDeniedException", "User arn:aws:sts::333333333333:assumed-role/x is not authorized", 400),
      );
    const fs = await status();
    expect(only(fs, "key-store")).toEqual([
      {
        check: "key-store",
        subject: "prod-cloudhsm",
        severity: "unknown",
        detail: "not checked: kms:DescribeCustomKeyStores was denied (AccessDeniedException)",
        fix: "run with a role allowed kms:DescribeCustomKeyStores, or check this by hand",
      },
      {
        check: "key-store",
        subject: "prod-xks",
        severity: "unknown",
        detail: "not checked: kms:DescribeCustomKeyStores was denied (AccessDeniedException)",
        fix: "run with a role allowed kms:DescribeCustomKeyStores, or check this by hand",
      },
    ]);
    expect(only(fs, "key")).toHaveLength(3);
    expect(only(fs, "hsms")).toEqual([
      {
        check: "hsms",
        subject: "prod-cloudhsm",
        severity: "unknown",
        detail:
          "not checked: the key store could not be read (its cluster id) and no cluster is tagged Environment=prod",
        fix: "fix what the key-store finding names (kms:DescribeCustomKeyStores denied or failing), then re-run",
      },
    ]);
    expect(only(fs, "xks-certificate")).toEqual([]);
    expect(exitCodeOf(fs)).toBe(EXIT.degraded);
  });
});

describe("HSMs and backups", () => {
  test("an AZ without its HSM is degraded, with the fix", async () => {
    mocks.cloudhsm.on(DescribeClustersCommand).resolves({ Clusters: [cluster(["eu-west-1a", "eu-west-1b"])] });
    const f = notOk(await status());
    expect(f).toEqual([
      {
        check: "hsms",
        subject: "cluster-abcdefghijk eu-west-1c",
        severity: "degraded",
        detail: "0 ACTIVE of 1 configured in eu-west-1c",
        fix: expect.stringContaining("aws_cloudhsm_v2_hsm in eu-west-1c"),
      },
    ]);
  });

  test("no ACTIVE HSM is broken; HSMs not ACTIVE are listed", async () => {
    mocks.cloudhsm
      .on(DescribeClustersCommand)
      .resolves({ Clusters: [cluster(["eu-west-1a", "eu-west-1b", "eu-west-1c"], "DEGRADED", "DEGRADED")] });
    const fs = notOk(await status());
    expect(fs.map((f) => [f.check, f.severity, f.detail])).toEqual([
      ["cluster", "broken", "cluster DEGRADED"],
      ["hsms", "broken", "0 ACTIVE of 1 configured in eu-west-1a"],
      ["hsms", "broken", "0 ACTIVE of 1 configured in eu-west-1b"],
      ["hsms", "broken", "0 ACTIVE of 1 configured in eu-west-1c"],
      [
        "hsms",
        "degraded",
        "not ACTIVE: hsm-0 DEGRADED in eu-west-1a, hsm-1 DEGRADED in eu-west-1b, hsm-2 DEGRADED in eu-west-1c",
      ],
    ]);
  });

  test("an HSM in an AZ the configuration does not name, and only one AZ left", async () => {
    mocks.cloudhsm.on(DescribeClustersCommand).resolves({ Clusters: [cluster(["eu-west-1d"])] });
    const fs = notOk(await status());
    expect(fs.map((f) => f.detail)).toEqual([
      "0 ACTIVE of 1 configured in eu-west-1a",
      "0 ACTIVE of 1 configured in eu-west-1b",
      "0 ACTIVE of 1 configured in eu-west-1c",
      "1 ACTIVE of 0 configured in eu-west-1d (more than configured: cost, and not in the configuration)",
      "ACTIVE HSMs in 1 AZ: a key store needs 2 in different AZs to (re)connect",
    ]);
    expect(fs.every((f) => f.severity === "degraded")).toBe(true);
  });

  test("the cluster is gone: broken", async () => {
    mocks.cloudhsm.on(DescribeClustersCommand).resolves({ Clusters: [] });
    expect(notOk(await status())).toEqual([
      {
        check: "hsms",
        subject: "prod-cloudhsm",
        severity: "broken",
        detail: "no CloudHSM cluster found (by the key store's cluster id, or tagged Environment=prod)",
        fix: "deploy prod-keys",
      },
    ]);
  });

  test.each([
    [25, "degraded"],
    [24, "ok"],
  ])("the newest backup %i h old is %s", async (hours, severity) => {
    mocks.cloudhsm.on(DescribeBackupsCommand).resolves({
      Backups: [
        { BackupId: "backup-1", BackupState: "READY", CreateTimestamp: new Date(NOW.getTime() - hours * HOUR) },
      ],
    });
    expect(only(await status(), "backup")[0].severity).toBe(severity);
  });

  test("no backup; backups that are not READY do not count; DescribeBackups denied", async () => {
    mocks.cloudhsm
      .on(DescribeBackupsCommand)
      .resolves({ Backups: [{ BackupId: "backup-1", BackupState: "CREATE_IN_PROGRESS", CreateTimestamp: NOW }] });
    expect(only(await status(), "backup")[0]).toMatchObject({
      severity: "degraded",
      detail: "no READY backup of the cluster",
    });
    mocks.cloudhsm.on(DescribeBackupsCommand).rejects(awsError("AccessDeniedException"));
    expect(only(await status(), "backup")[0]).toMatchObject({
      severity: "unknown",
      detail: "not checked: cloudhsm:DescribeBackups was denied (AccessDeniedException)",
    });
  });

  test("DescribeClusters failing for another reason: says so with the code", async () => {
    mocks.cloudhsm.on(DescribeClustersCommand).rejects(awsError("CloudHsmInternalFailureException", "boom", 500));
    expect(only(await status(), "hsms")[0]).toMatchObject({
      severity: "unknown",
      detail: "not checked: cloudhsm:DescribeClusters failed (CloudHsmInternalFailureException)",
    });
  });
});

describe("XKS metrics", () => {
  test.each([
    [200, "ok"],
    [29, "degraded"],
    [0, "broken"],
  ])("certificate %i days from expiry (alarm at 30): %s", async (daysLeft, severity) => {
    mocks.cloudwatch.on(GetMetricStatisticsCommand, { MetricName: "XksProxyCertificateDaysToExpire" }).resolves({
      Datapoints: [
        { Timestamp: new Date(NOW.getTime() - 2 * HOUR), Minimum: 900 },
        { Timestamp: new Date(NOW.getTime() - HOUR), Minimum: daysLeft },
      ],
    });
    const f = only(await status(), "xks-certificate")[0];
    expect(f).toMatchObject({ severity, detail: `proxy TLS certificate expires in ${daysLeft} days (alarm at 30)` });
  });

  test("credential older than the rotation policy: degraded; the query names the store and the metric", async () => {
    mocks.cloudwatch
      .on(GetMetricStatisticsCommand, { MetricName: "XksProxyCredentialAge" })
      .resolves({ Datapoints: [{ Timestamp: NOW, Maximum: 91 }] });
    const f = only(await status(), "xks-credential")[0];
    expect(f).toMatchObject({
      severity: "degraded",
      detail: "proxy authentication credential is 91 days old (rotation policy 90)",
      fix: "add a new credential to every proxy beside the old one, then run the operator step rotate-xks-credential (stack output xks_rotate_credential_command; no outage, docs/xks.md#rotating-the-proxy-credential-rotate-xks-credential)",
    });
    const call = mocks.cloudwatch
      .commandCalls(GetMetricStatisticsCommand)
      .find((c) => c.args[0].input.MetricName === "XksProxyCredentialAge");
    expect(call?.args[0].input).toMatchObject({
      Namespace: "AWS/KMS",
      Dimensions: [{ Name: "CustomKeyStoreId", Value: "cks-2222222222222222b" }],
      Statistics: ["Maximum"],
    });
  });

  test("no datapoints: unknown, with why; denied: unknown", async () => {
    mocks.cloudwatch
      .on(GetMetricStatisticsCommand, { MetricName: "XksProxyCertificateDaysToExpire" })
      .resolves({ Datapoints: [] });
    mocks.cloudwatch
      .on(GetMetricStatisticsCommand, { MetricName: "XksProxyCredentialAge" })
      .rejects(awsError("AccessDenied", "denied", 403));
    const fs = await status();
    expect(only(fs, "xks-certificate")[0]).toMatchObject({
      severity: "unknown",
      detail: "no XksProxyCertificateDaysToExpire datapoint in the last 3 hours",
    });
    expect(only(fs, "xks-credential")[0]).toMatchObject({
      severity: "unknown",
      detail: "not checked: cloudwatch:GetMetricStatistics was denied (AccessDenied)",
    });
  });
});

describe("keys", () => {
  const state = (alias: string, meta: Partial<KeyMetadata>) =>
    mocks.kms
      .on(DescribeKeyCommand, { KeyId: alias })
      .resolves({ KeyMetadata: { KeyId: "key-1", ...meta } as KeyMetadata });
  test.each([
    ["Disabled", "degraded", "key-1 Disabled: every cryptographic request with it fails"],
    [
      "PendingDeletion",
      "broken",
      "key-1 PendingDeletion, deleted on 2026-12-20T00:00:00Z: data encrypted under it becomes unrecoverable",
    ],
    ["PendingImport", "broken", "key-1 PendingImport: no key material (never imported, expired or deleted)"],
    ["Unavailable", "broken", "key-1 Unavailable: its custom key store is disconnected"],
    ["Updating", "degraded", "key-1 Updating"],
  ])("%s is %s", async (keyState, severity, detail) => {
    state("alias/prod/records", { KeyState: keyState as never, DeletionDate: new Date("2026-12-20T00:00:00Z") });
    const fs = notOk(await status());
    expect(fs).toEqual([{ check: "key", subject: "alias/prod/records", severity, detail, fix: expect.any(String) }]);
  });

  test("an alias that does not exist is broken; DescribeKey denied is unknown", async () => {
    mocks.kms.on(DescribeKeyCommand, { KeyId: "alias/prod/records" }).rejects(awsError("NotFoundException"));
    mocks.kms.on(DescribeKeyCommand, { KeyId: "alias/prod/ebs" }).rejects(awsError("AccessDeniedException"));
    const fs = notOk(await status());
    expect(fs.map((f) => [f.subject, f.severity, f.detail])).toEqual([
      ["alias/prod/records", "broken", "no key with this alias"],
      ["alias/prod/ebs", "unknown", "not checked: kms:DescribeKey was denied (AccessDeniedException)"],
    ]);
  });

  const staging = envWith("staging");
  const material = (validTo: Date) => {
    healthy(staging);
    mocks.kms
      .on(DescribeCustomKeyStoresCommand)
      .resolves({ CustomKeyStores: [{ CustomKeyStoreId: "cks-2", ConnectionState: "CONNECTED" }] });
    state("alias/staging/archive", {
      KeyState: "Enabled",
      Origin: "EXTERNAL",
      ExpirationModel: "KEY_MATERIAL_EXPIRES",
      ValidTo: validTo,
    });
  };
  test.each([
    [100, "ok"],
    [29, "degraded"],
    [-1, "broken"],
  ])("imported material with %i days left (validity 180, warning at 30): %s", async (left, severity) => {
    material(new Date(NOW.getTime() + left * 24 * HOUR + HOUR));
    const fs = await status(staging);
    const f = only(fs, "key-material");
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ subject: "alias/staging/archive", severity });
    if (severity !== "ok")
      expect(f[0].fix).toBe(
        "re-import the same material before it expires: npm run -s hook -- import-key-material --region eu-west-1 --key-id key-1 --reimport --valid-days 180 (docs/byok.md)",
      );
  });
});

describe("alarms and drift", () => {
  test("each alarm in ALARM is a degraded finding; none found at all is degraded", async () => {
    mocks.cloudwatch
      .on(DescribeAlarmsCommand)
      .resolvesOnce({
        MetricAlarms: [
          {
            AlarmName: "prod-kms-xks-latency",
            StateValue: "ALARM",
            StateUpdatedTimestamp: new Date("2026-12-07T11:00:00Z"),
            AlarmDescription: "slow",
          },
        ],
        NextToken: "t",
      })
      .resolves({ MetricAlarms: [{ AlarmName: "prod-kms-ok", StateValue: "OK" }] });
    expect(notOk(await status())).toEqual([
      {
        check: "alarm",
        subject: "prod-kms-xks-latency",
        severity: "degraded",
        detail: "in ALARM since 2026-12-07T11:00:00Z: slow",
        fix: "see docs/alarms.md for this alarm's runbook",
      },
    ]);
    expect(mocks.cloudwatch.commandCalls(DescribeAlarmsCommand)[1].args[0].input.NextToken).toBe("t");
    mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
    expect(only(await status(), "alarm")[0]).toMatchObject({
      severity: "degraded",
      detail: "no alarm with this prefix: nobody is warned before keys fail",
    });
  });

  test("an environment without alarms checks none", async () => {
    const dev = envWith("dev");
    healthy(dev);
    const fs = await status(dev);
    expect(fs.map((f) => f.subject)).toEqual(["alias/dev/app-data", "alias/dev/ebs"]);
    expect(mocks.cloudwatch.commandCalls(DescribeAlarmsCommand)).toHaveLength(0);
    expect(mocks.cloudhsm.calls()).toHaveLength(0);
  });

  test("drift per stack from terraform plan -detailed-exitcode", async () => {
    const results: Record<string, Awaited<ReturnType<DriftRunner>>> = {
      "prod-keys": { exitCode: 2, summary: "Plan: 0 to add, 1 to change, 0 to destroy." },
      "prod-data": { exitCode: 0 },
    };
    const fs = only(await status(prod, async (s) => results[s]), "drift");
    expect(fs.map((f) => [f.subject, f.severity, f.detail])).toEqual([
      ["prod-keys", "degraded", "drift: Plan: 0 to add, 1 to change, 0 to destroy."],
      ["prod-data", "ok", "no changes (the deployed resources match the configuration)"],
    ]);
    const failed = only(
      await status(prod, async (s) =>
        s === "prod-keys" ? { exitCode: 1 } : { missing: "prod-data is not synthesized" },
      ),
      "drift",
    );
    expect(failed.map((f) => [f.severity, f.detail])).toEqual([
      ["unknown", "not checked: terraform plan failed (exit 1)"],
      ["unknown", "not checked: prod-data is not synthesized"],
    ]);
  });

  test("without --drift no plan runs", async () => {
    const run = jest.fn();
    await runStatus(prod, mockedClients(), { now: NOW });
    expect(run).not.toHaveBeenCalled();
    expect(only(await status(), "drift")).toEqual([]);
  });
});

describe("session", () => {
  test("another account: broken, and nothing else is looked at", async () => {
    mocks.sts.on(GetCallerIdentityCommand).resolves({ Account: "999999999999" });
    const fs = await status();
    expect(fs).toEqual([
      {
        check: "session",
        subject: "999999999999",
        severity: "broken",
        detail: "the session is in account 999999999999, the environment in 333333333333: nothing else checked",
        fix: "use a profile or role of account 333333333333 (AWS_PROFILE=...)",
      },
    ]);
    expect(mocks.kms.calls()).toHaveLength(0);
  });

  test("only unknowns: overall unknown, exit 1", async () => {
    mocks.sts
      .on(GetCallerIdentityCommand)
      .rejects(awsError("ExpiredToken", "The security token included in the request is expired", 403));
    const io = captureIo(NOW);
    expect(await statusCli(["prod", "--json"], io)).toBe(EXIT.degraded);
    expect(JSON.parse(io.out.join(""))).toMatchObject({
      overall: "unknown",
      exitCode: 1,
      findings: [
        { check: "session", severity: "unknown", detail: "no usable AWS session (ExpiredToken): nothing checked" },
      ],
    });
  });

  test("no credentials: unknown, says to sign in", async () => {
    mocks.sts
      .on(GetCallerIdentityCommand)
      .rejects(
        Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" }),
      );
    expect(await status()).toEqual([
      {
        check: "session",
        subject: "333333333333",
        severity: "unknown",
        detail: "no usable AWS session (CredentialsProviderError): nothing checked",
        fix: "sign in (aws sso login, or AWS_PROFILE=...) and re-run",
      },
    ]);
  });
});

describe("the CLI", () => {
  test("a table on stdout, progress on stderr, exit 0", async () => {
    const io = captureIo(NOW);
    expect(await statusCli(["prod"], io)).toBe(0);
    const out = io.out.join("");
    expect(out).toMatch(
      /^status prod \(account 333333333333, eu-west-1\)\n\nSTATE +CHECK +SUBJECT +DETAIL\nok +key-store +prod-cloudhsm +cks-1111111111111111a CONNECTED\n/,
    );
    expect(out).toContain("\noverall: healthy\n");
    expect(io.err.join("")).toContain("status: key stores: DescribeCustomKeyStores\n");
  });

  test("--json: the findings, overall and exit code; broken exits 2", async () => {
    mocks.kms
      .on(DescribeKeyCommand, { KeyId: "alias/prod/ebs" })
      .resolves({ KeyMetadata: { KeyId: "k", KeyState: "PendingDeletion" } as KeyMetadata });
    const io = captureIo(NOW);
    expect(await statusCli(["prod", "--json"], io)).toBe(EXIT.broken);
    const doc = JSON.parse(io.out.join(""));
    expect(doc).toMatchObject({ command: "status", environment: "prod", overall: "broken", exitCode: 2 });
    expect(doc.findings.find((f: Finding) => f.subject === "alias/prod/ebs")).toMatchObject({ severity: "broken" });
  });

  test("degraded exits 1 and lists the fix", async () => {
    mocks.cloudhsm.on(DescribeBackupsCommand).resolves({ Backups: [] });
    const io = captureIo(NOW);
    expect(await statusCli(["prod"], io)).toBe(EXIT.degraded);
    expect(io.out.join("")).toContain(
      "\nfixes:\n- backup cluster-abcdefghijk: CloudHSM backs an initialized cluster up",
    );
  });

  test.each([
    [["nope"], 'status: unknown environment "nope" (known: dev, staging, prod)\n'],
    [[], "error: missing required argument 'env'\n"],
    [["prod", "--bogus"], "status: unknown option --bogus (options: --drift, --json, --help)\n"],
    // Every problem at once: unknown options beside an unknown environment or a missing one.
    [
      ["nope", "--bogus", "--json", "-x"],
      'status: unknown option --bogus (options: --drift, --json, --help)\nstatus: unknown option -x (options: --drift, --json, --help)\nstatus: unknown environment "nope" (known: dev, staging, prod)\n',
    ],
    [
      ["--bogus=1"],
      "error: missing required argument 'env'\nstatus: unknown option --bogus (options: --drift, --json, --help)\n",
    ],
  ])("usage errors exit 64: %j", async (argv, message) => {
    const io = captureIo(NOW);
    expect(await statusCli(argv, io)).toBe(EXIT.usage);
    expect(io.err.join("")).toBe(message);
    expect(io.out).toEqual([]);
  });

  test("--help names the exit codes and where progress goes, exit 0", async () => {
    const io = captureIo(NOW);
    expect(await statusCli(["--help"], io)).toBe(EXIT.healthy);
    expect(io.out.join("")).toContain(
      "Exit codes: 0 healthy (or ready), 1 degraded or not fully checked, 2 broken, 64 usage or configuration error, 70 internal error.",
    );
    expect(io.err).toEqual([]);
  });

  test("never prints a secret: the XKS access key id and AWS error messages stay out of every output", async () => {
    const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY";
    mocks.kms
      .on(DescribeKeyCommand, { KeyId: "alias/prod/ebs" })
      .rejects(awsError("KMSInternalException", `internal ${secret}`, 500));
    mocks.cloudwatch.on(DescribeAlarmsCommand).rejects(awsError("AccessDenied", `denied for ${secret}`, 403));
    for (const argv of [["prod"], ["prod", "--json"]]) {
      const io = captureIo(NOW);
      await statusCli(argv, io);
      expect(io.text()).not.toContain(XKS_ACCESS_KEY);
      expect(io.text()).not.toContain(secret);
      expect(io.text()).toContain("KMSInternalException");
    }
  });
});

describe("scale to zero (cloudHsm.scaleToZero): status shows the scaled-down state", () => {
  const sleepy = envWith("prod", (e) => ({
    ...e,
    cloudHsm: { ...e.cloudHsm!, scaleToZero: { downAt: "19:00", upAt: "07:00", timezone: "UTC" } },
  }));
  const SUNDAY = new Date("2026-12-13T12:00:00Z");
  const scaledDown = () => {
    mocks.kms.on(DescribeCustomKeyStoresCommand, { CustomKeyStoreName: "prod-cloudhsm" }).resolves({
      CustomKeyStores: [
        {
          CustomKeyStoreId: "cks-1111111111111111a",
          CustomKeyStoreName: "prod-cloudhsm",
          CustomKeyStoreType: "AWS_CLOUDHSM",
          ConnectionState: "DISCONNECTED",
          CloudHsmClusterId: "cluster-abcdefghijk",
        },
      ],
    });
    mocks.cloudhsm.on(DescribeClustersCommand).resolves({ Clusters: [cluster([])] });
    mocks.cloudhsm.on(DescribeBackupsCommand).resolves({
      Backups: [{ BackupId: "backup-friday", BackupState: "READY", CreateTimestamp: new Date("2026-12-11T19:05:00Z") }],
    });
  };

  test("Sunday, down on schedule: the DISCONNECTED store, zero HSMs and a 41-hour-old backup are ok, with the window", async () => {
    healthy();
    scaledDown();
    const fs = await runStatus(sleepy, mockedClients(), { now: SUNDAY });
    const window = "scaled down on schedule (down; down 19:00, up 07:00 (UTC) on MON,TUE,WED,THU,FRI)";
    expect(only(fs, "key-store")[0]).toEqual({
      check: "key-store",
      subject: "prod-cloudhsm",
      severity: "ok",
      detail: `cks-1111111111111111a DISCONNECTED: ${window}; KMS refuses its keys until scale-up`,
    });
    expect(only(fs, "hsms")).toEqual([
      { check: "hsms", subject: "cluster-abcdefghijk", severity: "ok", detail: `0 HSMs: ${window}` },
    ]);
    expect(only(fs, "backup")[0]).toMatchObject({ severity: "ok" });
    expect(only(fs, "backup")[0].detail).toContain("no HSM to back up while scaled down on schedule");
  });

  test("Monday noon, outside the window: zero HSMs and the DISCONNECTED store are broken, the fix is scale-up (not an apply)", async () => {
    healthy();
    scaledDown();
    const fs = await runStatus(sleepy, mockedClients(), { now: NOW });
    expect(exitCodeOf(fs)).toBe(EXIT.broken);
    const hsms = only(fs, "hsms").filter((f) => f.severity !== "ok");
    expect(hsms.length).toBeGreaterThan(0);
    for (const f of hsms) {
      expect(f.fix).toContain(
        "missing outside the scale-to-zero window (down 19:00, up 07:00 (UTC) on MON,TUE,WED,THU,FRI)",
      );
      expect(f.fix).toContain(
        "npm run hook -- scale-up --region eu-west-1 --cluster-id cluster-abcdefghijk --key-store-id cks-1111111111111111a --hsm-azs eu-west-1a,eu-west-1b,eu-west-1c",
      );
    }
    expect(only(fs, "key-store")[0].severity).toBe("broken");
  });

  test("without scaleToZero nothing changes: zero HSMs on a Sunday are broken", async () => {
    healthy();
    scaledDown();
    const fs = await runStatus(prod, mockedClients(), { now: SUNDAY });
    expect(only(fs, "hsms").every((f) => f.severity === "broken")).toBe(true);
  });
});
