import {
  DescribeBackupsCommand,
  DescribeClustersCommand,
  ModifyBackupAttributesCommand,
  ModifyClusterCommand,
} from "@aws-sdk/client-cloudhsm-v2";
import { migrateHsmType } from "../../../hooks/steps/migrate-hsm-type";
import { runCli } from "../../../hooks/cli";
import { createHandler } from "../../../hooks/lambda";
import { awsError, cloudhsmMock, IDS, runtime, thrown } from "../helpers";

const cloudhsm = cloudhsmMock();
const HOUR = 3_600_000;
const OLD = "hsm1.medium";
const NEW = "hsm2m.medium";

/** A DescribeClusters answer: the cluster's state and type, each HSM's type (all ACTIVE unless given). */
function cluster(
  state: string,
  type: string,
  hsmTypes: readonly string[],
  extra: { rollbackUntil?: number; message?: string; hsmStates?: readonly string[] } = {},
) {
  return {
    Clusters: [
      {
        ClusterId: IDS.clusterId,
        State: state,
        HsmType: type,
        StateMessage: extra.message,
        HsmTypeRollbackExpiration: extra.rollbackUntil === undefined ? undefined : new Date(extra.rollbackUntil),
        Hsms: hsmTypes.map((t, i) => ({
          HsmId: `hsm-${"abc"[i]}bcdefghijk`,
          HsmType: t,
          State: extra.hsmStates?.[i] ?? "ACTIVE",
          AvailabilityZone: ["eu-west-1a", "eu-west-1b", "eu-west-1c"][i],
        })),
      },
    ],
  };
}

/** A ModifyCluster answer (one cluster). */
const modified = (...args: Parameters<typeof cluster>) => ({ Cluster: cluster(...args).Clusters[0] });

const BACKUPS = {
  Backups: [
    {
      BackupId: "backup-older234567",
      BackupState: "READY",
      ClusterId: IDS.clusterId,
      CreateTimestamp: new Date(-30 * HOUR),
    },
    {
      BackupId: "backup-newer234567",
      BackupState: "READY",
      ClusterId: IDS.clusterId,
      CreateTimestamp: new Date(-2 * HOUR),
    },
  ],
};

const input = (rt = runtime(), hsmType = NEW) => ({
  ...rt,
  clients: { cloudhsm: cloudhsm as never },
  clusterId: IDS.clusterId,
  hsmType,
});

const inputsOf = (command: unknown) =>
  cloudhsm.commandCalls(command).map((c: { args: [{ input: unknown }] }) => c.args[0].input);

/** The cluster as AWS shows it over a migration that starts at ModifyCluster: `phases` after it, one per describe. */
function migrating(phases: readonly ReturnType<typeof cluster>[], before = cluster("ACTIVE", OLD, [OLD, OLD])) {
  let after = 0;
  cloudhsm.on(DescribeClustersCommand).callsFake(() => {
    if (cloudhsm.commandCalls(ModifyClusterCommand).length === 0) return before;
    return phases[Math.min(after++, phases.length - 1)];
  });
}

beforeEach(() => cloudhsm.reset());

test("pins the newest READY backup, calls ModifyCluster(HsmType) and waits until every HSM is ACTIVE on the new type", async () => {
  const rt = runtime();
  migrating([
    cluster("UPDATE_IN_PROGRESS", NEW, [NEW, OLD]),
    cluster("ACTIVE", NEW, [NEW, NEW], { rollbackUntil: 24 * HOUR }),
  ]);
  cloudhsm.on(DescribeBackupsCommand).resolves(BACKUPS);
  cloudhsm.on(ModifyBackupAttributesCommand).resolves({});
  cloudhsm.on(ModifyClusterCommand).resolves(modified("UPDATE_IN_PROGRESS", NEW, [OLD, OLD]));

  const result = await migrateHsmType(input(rt));

  expect(result).toMatchObject({ status: "DONE", state: "ACTIVE, hsm2m.medium, HSMs 2/2 ACTIVE on hsm2m.medium" });
  expect(inputsOf(DescribeBackupsCommand)).toEqual([
    { Filters: { clusterIds: [IDS.clusterId], states: ["READY"] }, SortAscending: false, NextToken: undefined },
  ]);
  expect(inputsOf(ModifyBackupAttributesCommand)).toEqual([{ BackupId: "backup-newer234567", NeverExpires: true }]);
  expect(inputsOf(ModifyClusterCommand)).toEqual([{ ClusterId: IDS.clusterId, HsmType: NEW }]);
  // The checkpoint is pinned before the change starts.
  const order = cloudhsm.calls().map((c: { args: [{ constructor: { name: string } }] }) => c.args[0].constructor.name);
  expect(order.indexOf("ModifyBackupAttributesCommand")).toBeLessThan(order.indexOf("ModifyClusterCommand"));
  expect(rt.lines).toEqual([
    "[migrate-hsm-type cluster-abcdefghijk] ACTIVE, hsm1.medium, HSMs 0/2 ACTIVE on hsm2m.medium at 0s",
    "[migrate-hsm-type cluster-abcdefghijk] checkpoint: backup backup-newer234567 taken 2h00m00s ago kept (NeverExpires); release it after the migration with aws cloudhsmv2 modify-backup-attributes --backup-id backup-newer234567 --no-never-expires",
    "[migrate-hsm-type cluster-abcdefghijk] ModifyCluster accepted: hsm1.medium -> hsm2m.medium; the cluster is in limited-write mode (no new keys, users or key changes) until it ends",
    "[migrate-hsm-type cluster-abcdefghijk] ACTIVE, hsm1.medium, HSMs 0/2 ACTIVE on hsm2m.medium -> UPDATE_IN_PROGRESS, hsm2m.medium, HSMs 0/2 ACTIVE on hsm2m.medium after 0s",
    expect.stringMatching(/-> UPDATE_IN_PROGRESS, hsm2m.medium, HSMs 1\/2 ACTIVE on hsm2m.medium after \d+s$/),
    expect.stringMatching(/-> ACTIVE, hsm2m.medium, HSMs 2\/2 ACTIVE on hsm2m.medium after /),
    expect.stringMatching(
      /^\[migrate-hsm-type cluster-abcdefghijk\] done: a manual rollback \(migrate-hsm-type --hsm-type <the original type>\) is possible until 1970-01-02T00:00:00.000Z \(HsmTypeRollbackExpiration, /,
    ),
  ]);
});

test("a cluster already on the type: only DescribeClusters, and the rollback window still open is reported", async () => {
  const rt = runtime();
  cloudhsm.on(DescribeClustersCommand).resolves(cluster("ACTIVE", NEW, [NEW, NEW], { rollbackUntil: 5 * HOUR }));
  expect(await migrateHsmType(input(rt))).toMatchObject({ status: "ALREADY_DONE" });
  expect(cloudhsm.calls()).toHaveLength(1);
  expect(rt.lines[1]).toBe(
    "[migrate-hsm-type cluster-abcdefghijk] already done: a manual rollback (migrate-hsm-type --hsm-type <the original type>) is possible until 1970-01-01T05:00:00.000Z (HsmTypeRollbackExpiration, 5h00m00s from now)",
  );
});

test("ModifyCluster that fails after AWS acted (a 500): the change is seen running, the call is not sent again", async () => {
  cloudhsm.on(DescribeBackupsCommand).resolves(BACKUPS);
  cloudhsm.on(ModifyBackupAttributesCommand).resolves({});
  migrating([
    cluster("UPDATE_IN_PROGRESS", NEW, [OLD, OLD]),
    cluster("UPDATE_IN_PROGRESS", NEW, [NEW, OLD]),
    cluster("ACTIVE", NEW, [NEW, NEW], { rollbackUntil: 24 * HOUR }),
  ]);
  cloudhsm.on(ModifyClusterCommand).rejects(awsError("CloudHsmInternalFailureException", "internal failure", 500));
  const rt = runtime();
  const result = await migrateHsmType(input(rt));
  expect(result.status).toBe("DONE");
  expect(cloudhsm.commandCalls(ModifyClusterCommand)).toHaveLength(1);
  expect(rt.lines.join("\n")).toContain("ModifyCluster had taken effect despite the error: not sent again");
});

test("a migration already running (a re-run after a timeout, or AWS's own) is only waited for: no backup pin, no ModifyCluster", async () => {
  let n = 0;
  cloudhsm
    .on(DescribeClustersCommand)
    .callsFake(() =>
      n++ < 2
        ? cluster("UPDATE_IN_PROGRESS", NEW, [NEW, OLD])
        : cluster("ACTIVE", NEW, [NEW, NEW], { rollbackUntil: HOUR }),
    );
  expect(await migrateHsmType(input())).toMatchObject({ status: "DONE" });
  expect(cloudhsm.commandCalls(ModifyClusterCommand)).toHaveLength(0);
  expect(cloudhsm.commandCalls(ModifyBackupAttributesCommand)).toHaveLength(0);
});

test("AWS rolling the migration back on its own is reported as such, with AWS's message", async () => {
  migrating([
    cluster("UPDATE_IN_PROGRESS", NEW, [NEW, OLD]),
    cluster("ROLLBACK_IN_PROGRESS", OLD, [OLD, OLD]),
    cluster("ACTIVE", OLD, [OLD, OLD], { message: "Migration validation failed; cluster rolled back" }),
  ]);
  cloudhsm.on(DescribeBackupsCommand).resolves(BACKUPS);
  cloudhsm.on(ModifyBackupAttributesCommand).resolves({});
  cloudhsm.on(ModifyClusterCommand).resolves(modified("UPDATE_IN_PROGRESS", NEW, [OLD, OLD]));
  const err = await thrown(() => migrateHsmType(input()));
  expect(err.message).toBe(
    "[migrate-hsm-type cluster-abcdefghijk] MigrationRolledBack: AWS stopped the migration and rolled the cluster back to hsm1.medium: Migration validation failed; cluster rolled back. Next: the cluster keeps its keys and runs on the original type; read the message and CloudTrail (ModifyCluster), fix the cause, then re-run (https://docs.aws.amazon.com/cloudhsm/latest/userguide/hsm1-to-hsm2-migration.html)",
  );
});

test("the old type still shown right after ModifyCluster (before AWS shows the change running) is not taken for a rollback", async () => {
  migrating([
    cluster("ACTIVE", OLD, [OLD, OLD]),
    cluster("UPDATE_IN_PROGRESS", NEW, [NEW, OLD]),
    cluster("ACTIVE", NEW, [NEW, NEW]),
  ]);
  cloudhsm.on(DescribeBackupsCommand).resolves(BACKUPS);
  cloudhsm.on(ModifyBackupAttributesCommand).resolves({});
  cloudhsm.on(ModifyClusterCommand).resolves({});
  expect(await migrateHsmType(input())).toMatchObject({ status: "DONE" });
});

test("the wait is bounded by AWS's 30 minutes per HSM (plus one HSM's time): 3 HSMs, 2 hours", async () => {
  const rt = runtime(5);
  migrating([cluster("UPDATE_IN_PROGRESS", NEW, [NEW, OLD, OLD])], cluster("ACTIVE", OLD, [OLD, OLD, OLD]));
  cloudhsm.on(DescribeBackupsCommand).resolves(BACKUPS);
  cloudhsm.on(ModifyBackupAttributesCommand).resolves({});
  cloudhsm.on(ModifyClusterCommand).resolves(modified("UPDATE_IN_PROGRESS", NEW, [OLD, OLD, OLD]));
  const err = await thrown(() => migrateHsmType(input(rt)));
  expect(err.message).toBe(
    "[migrate-hsm-type cluster-abcdefghijk] TIMEOUT: still UPDATE_IN_PROGRESS, hsm2m.medium, HSMs 1/3 ACTIVE on hsm2m.medium after 2h00m00s waiting for 3 HSMs ACTIVE on hsm2m.medium. Next: AWS gives about 30 minutes per HSM; the migration goes on at AWS: check the cluster (aws cloudhsmv2 describe-clusters), then re-run this step to keep waiting",
  );
  expect(rt.clock.now()).toBe(2 * HOUR);
});

test("a single-HSM cluster is migrated too, with the outage said first", async () => {
  const rt = runtime();
  migrating([cluster("ACTIVE", NEW, [NEW])], cluster("ACTIVE", OLD, [OLD]));
  cloudhsm.on(DescribeBackupsCommand).resolves(BACKUPS);
  cloudhsm.on(ModifyBackupAttributesCommand).resolves({});
  cloudhsm.on(ModifyClusterCommand).resolves(modified("UPDATE_IN_PROGRESS", NEW, [OLD]));
  expect(await migrateHsmType(input(rt))).toMatchObject({ status: "DONE" });
  expect(rt.lines[1]).toBe(
    "[migrate-hsm-type cluster-abcdefghijk] only 1 ACTIVE HSM: while AWS replaces it the cluster has none, and the key store's keys are unusable (AWS asks for a highly available cluster first)",
  );
});

test("no READY backup: refused before any change (AWS's backups are the only way back)", async () => {
  cloudhsm.on(DescribeClustersCommand).resolves(cluster("ACTIVE", OLD, [OLD, OLD]));
  cloudhsm.on(DescribeBackupsCommand).resolves({ Backups: [] });
  const err = await thrown(() => migrateHsmType(input()));
  expect(err.message).toBe(
    "[migrate-hsm-type cluster-abcdefghijk] NoBackupCheckpoint: cluster cluster-abcdefghijk has no READY backup to keep as the checkpoint before the change. Next: wait for CloudHSM's daily backup (or add an HSM, which takes one), then re-run",
  );
  expect(cloudhsm.commandCalls(ModifyClusterCommand)).toHaveLength(0);
});

test("backups over several pages: the newest READY one is pinned; one already pinned is not modified again", async () => {
  cloudhsm.on(DescribeClustersCommand).resolves(cluster("ACTIVE", OLD, [OLD, OLD]));
  cloudhsm
    .on(DescribeBackupsCommand)
    .resolvesOnce({ Backups: [BACKUPS.Backups[0]], NextToken: "page2" })
    .resolves({ Backups: [{ ...BACKUPS.Backups[1], NeverExpires: true }] });
  cloudhsm.on(ModifyClusterCommand).rejects(awsError("CloudHsmAccessDeniedException", "not authorized"));
  await thrown(() => migrateHsmType(input()));
  expect(inputsOf(DescribeBackupsCommand).map((i: { NextToken?: string }) => i.NextToken)).toEqual([
    undefined,
    "page2",
  ]);
  expect(cloudhsm.commandCalls(ModifyBackupAttributesCommand)).toHaveLength(0);
});

test.each([
  [
    "hsm2m.medium back to hsm1.medium after the 24-hour window",
    cluster("ACTIVE", NEW, [NEW, NEW], { rollbackUntil: -HOUR }),
    OLD,
    "MigrationNotSupported: AWS documents no in-place change from hsm2m.medium to hsm1.medium after the 24-hour rollback window",
  ],
  [
    "a cluster not yet ACTIVE",
    cluster("UNINITIALIZED", OLD, [OLD]),
    NEW,
    "ClusterNotActive: the cluster is UNINITIALIZED; only an ACTIVE cluster changes HSM type",
  ],
  [
    "a migration running towards another type",
    cluster("UPDATE_IN_PROGRESS", OLD, [OLD, NEW]),
    NEW,
    "MigrationInProgress: the cluster is already changing to hsm1.medium (limited-write mode)",
  ],
  [
    "a DEGRADED HSM",
    cluster("ACTIVE", OLD, [OLD, OLD], { hsmStates: ["ACTIVE", "DEGRADED"] }),
    NEW,
    "ClusterDegraded: cluster cluster-abcdefghijk is DEGRADED",
  ],
])("refused before any change: %s", async (_, described, target, expected) => {
  cloudhsm.on(DescribeClustersCommand).resolves(described);
  const err = await thrown(() => migrateHsmType(input(runtime(), target)));
  expect(err.message).toContain(`[migrate-hsm-type cluster-abcdefghijk] ${expected}`);
  expect(cloudhsm.commandCalls(ModifyClusterCommand)).toHaveLength(0);
  expect(cloudhsm.commandCalls(ModifyBackupAttributesCommand)).toHaveLength(0);
});

test("inside the 24-hour window, going back to the original type is the documented manual rollback", async () => {
  migrating([cluster("ACTIVE", OLD, [OLD, OLD])], cluster("ACTIVE", NEW, [NEW, NEW], { rollbackUntil: 3 * HOUR }));
  cloudhsm.on(DescribeBackupsCommand).resolves(BACKUPS);
  cloudhsm.on(ModifyBackupAttributesCommand).resolves({});
  cloudhsm.on(ModifyClusterCommand).resolves(modified("UPDATE_IN_PROGRESS", OLD, [NEW, NEW]));
  expect(await migrateHsmType(input(runtime(), OLD))).toMatchObject({ status: "DONE" });
  expect(inputsOf(ModifyClusterCommand)).toEqual([{ ClusterId: IDS.clusterId, HsmType: OLD }]);
});

// ModifyCluster's documented errors (https://docs.aws.amazon.com/cloudhsm/latest/APIReference/API_ModifyCluster.html).
test.each([
  ["CloudHsmAccessDeniedException", 400, "grant the hook role the cloudhsm action named above"],
  ["CloudHsmInvalidRequestException", 400, "read the message: usually the cluster is in the wrong state"],
  ["CloudHsmResourceNotFoundException", 400, "check --cluster-id and --region"],
  ["CloudHsmTagException", 400, "fix the cluster's tags, then re-run"],
  ["CloudHsmInternalFailureException", 500, "transient AWS failure: re-run the step (it is idempotent)"],
  ["CloudHsmServiceException", 500, "transient AWS failure: re-run the step (it is idempotent)"],
])("ModifyCluster %s: the step stops with the code and the next action", async (code, status, next) => {
  cloudhsm.on(DescribeClustersCommand).resolves(cluster("ACTIVE", OLD, [OLD, OLD]));
  cloudhsm.on(DescribeBackupsCommand).resolves(BACKUPS);
  cloudhsm.on(ModifyBackupAttributesCommand).resolves({});
  cloudhsm.on(ModifyClusterCommand).rejects(awsError(code, "the service said no", status));
  const err = await thrown(() => migrateHsmType(input()));
  expect(err.message).toMatch(
    new RegExp(
      `^\\[migrate-hsm-type cluster-abcdefghijk\\] ${code}: ModifyCluster failed: the service said no\\. Next: `,
    ),
  );
  expect(err.message).toContain(next);
});

test("ModifyBackupAttributes refused: the change is not started", async () => {
  cloudhsm.on(DescribeClustersCommand).resolves(cluster("ACTIVE", OLD, [OLD, OLD]));
  cloudhsm.on(DescribeBackupsCommand).resolves(BACKUPS);
  cloudhsm.on(ModifyBackupAttributesCommand).rejects(awsError("CloudHsmAccessDeniedException", "not authorized"));
  const err = await thrown(() => migrateHsmType(input()));
  expect(err.message).toMatch(/CloudHsmAccessDeniedException: ModifyBackupAttributes failed: not authorized/);
  expect(cloudhsm.commandCalls(ModifyClusterCommand)).toHaveLength(0);
});

test("CLI runs it with --hsm-type; a malformed type is refused before any call; the Lambda runner refuses the step", async () => {
  cloudhsm.on(DescribeClustersCommand).resolves(cluster("ACTIVE", NEW, [NEW, NEW]));
  const clients = () => ({ cloudhsm }) as never;
  const out: string[] = [];
  const err: string[] = [];
  const io = { clients, stdout: (l: string) => out.push(l), stderr: (l: string) => err.push(l) };
  const ok = await runCli(
    ["migrate-hsm-type", "--region", IDS.region, "--cluster-id", IDS.clusterId, "--hsm-type", NEW],
    io,
  );
  expect(ok).toBe(0);
  const bad = await runCli(
    ["migrate-hsm-type", "--region", IDS.region, "--cluster-id", IDS.clusterId, "--hsm-type", "hsm2m.medium;rm"],
    io,
  );
  expect(bad).not.toBe(0);
  expect(err.join("\n")).toContain("'hsmType' value must match");
  expect(cloudhsm.calls()).toHaveLength(1);
  const handler = createHandler({ clients } as never);
  await expect(
    handler(
      { step: "migrate-hsm-type", region: IDS.region, clusterId: IDS.clusterId, hsmType: NEW } as never,
      {
        getRemainingTimeInMillis: () => 900_000,
      } as never,
    ),
  ).rejects.toThrow("the Lambda runner does not run migrate-hsm-type");
});
