import { DeleteAlarmsCommand, PutMetricAlarmCommand, TagResourceCommand } from "@aws-sdk/client-cloudwatch";
import { DeleteMetricFilterCommand, PutMetricFilterCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DescribeFileSystemsCommand, DescribeVolumesCommand } from "@aws-sdk/client-fsx";
import {
  DeleteBackupCommand,
  DeleteClusterCommand,
  DeleteHsmCommand,
  DescribeBackupsCommand,
  DescribeClustersCommand,
} from "@aws-sdk/client-cloudhsm-v2";
import {
  DeleteCustomKeyStoreCommand,
  DescribeCustomKeyStoresCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  DisconnectCustomKeyStoreCommand,
  GetKeyLastUsageCommand,
  ScheduleKeyDeletionCommand,
  type ConnectionStateType,
} from "@aws-sdk/client-kms";
import { DeleteObjectsCommand, ListObjectVersionsCommand } from "@aws-sdk/client-s3";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { classifyPlans, loadAllowlist, planDigest } from "@cmk-stacks/plan-guard";
import { runTeardown, type StateResource } from "../../tools/ops/teardown";
import { PENDING_DELETION_FILTER } from "../../tools/ops/teardown-steps/alarm";
import {
  BUCKET,
  DAY,
  deps,
  devData,
  devKeys,
  devOptions,
  FakeTerraform,
  KEY_A,
  KEY_B,
  mocks,
  NOW,
  type Mocks,
} from "./teardown-helpers";

const MUTATING_KMS = [
  DisableKeyCommand,
  ScheduleKeyDeletionCommand,
  DisconnectCustomKeyStoreCommand,
  DeleteCustomKeyStoreCommand,
];

let m: Mocks;
beforeEach(() => {
  m = mocks();
});

/** Both dev keys Enabled, last used long ago. */
function keysEnabled(): void {
  m.kms
    .on(DescribeKeyCommand)
    .callsFake((input: { KeyId: string }) => ({ KeyMetadata: { KeyId: input.KeyId, KeyState: "Enabled" } }));
  m.kms.on(GetKeyLastUsageCommand).resolves({
    KeyLastUsage: { Operation: "Decrypt", Timestamp: new Date(NOW - 90 * DAY), CloudTrailEventId: "ev-1" },
    TrackingStartDate: new Date("2026-04-01T00:00:00Z"),
    KeyCreationDate: new Date("2025-01-01T00:00:00Z"),
  });
}

function devTf(): FakeTerraform {
  return new FakeTerraform(
    new Map([
      ["dev-data", devData()],
      ["dev-keys", devKeys()],
    ]),
  );
}

function mutatingCalls(): number {
  return (
    MUTATING_KMS.reduce((n, c) => n + m.kms.commandCalls(c as typeof DisableKeyCommand).length, 0) +
    m.s3.commandCalls(DeleteObjectsCommand).length +
    m.cloudwatch.commandCalls(PutMetricAlarmCommand).length +
    m.cloudwatch.commandCalls(TagResourceCommand).length +
    m.cloudwatch.commandCalls(DeleteAlarmsCommand).length +
    m.logs.commandCalls(PutMetricFilterCommand).length +
    m.cloudhsm.commandCalls(DeleteHsmCommand).length +
    m.cloudhsm.commandCalls(DeleteClusterCommand).length
  );
}

describe("dry run", () => {
  test("describes every phase, changes nothing and runs no Terraform", async () => {
    keysEnabled();
    const tf = devTf();
    const d = deps(tf);
    const r = await runTeardown(devOptions(), d);
    expect(r).toEqual({ outcome: "dry-run", exitCode: 0 });
    expect(mutatingCalls()).toBe(0);
    expect(tf.calls).toEqual([]);
    expect(d.questions).toEqual([]);
    expect(d.lines).toContain(`  bucket ${BUCKET}: empty`);
    expect(d.lines).toContain(`  key ${KEY_A} (aws_kms_key.key-appData_key_638EC278): Enabled`);
    expect(d.lines).toContain(`  key ${KEY_A}: last used on 2026-09-08 by Decrypt (CloudTrail event ev-1)`);
    expect(d.lines).toContain(
      "    forget aws_ebs_encryption_by_default.ebs_by-default_06384E85 (the account keeps EBS encryption by default on (deleting the resource would turn it off); the default key is reset to aws/ebs)",
    );
    expect(d.lines).toContain("    delete aws_ebs_default_kms_key.ebs_default-key_09574F1D");
    expect(d.lines).toContain(
      "    forget aws_kms_key.key-appData_key_638EC278 (pending deletion through ScheduleKeyDeletion (prevent_destroy; last use checked; alarm on use))",
    );
    expect(d.lines.at(-1)).toBe("DRY RUN: run with --execute to do the above");
  });

  test("a non-empty bucket: the dry run says an executed run would refuse, exit 1, still nothing changed", async () => {
    keysEnabled();
    m.s3.on(ListObjectVersionsCommand).resolves({
      Versions: [
        { Key: "a", VersionId: "v1" },
        { Key: "a", VersionId: "v2" },
      ],
      DeleteMarkers: [{ Key: "b", VersionId: "d1" }],
      IsTruncated: false,
    });
    const d = deps(devTf());
    const r = await runTeardown(devOptions(), d);
    expect(r.exitCode).toBe(1);
    expect(mutatingCalls()).toBe(0);
    expect(d.lines).toContain(
      `  would stop here (refused): bucket ${BUCKET} is not empty (3 object version(s) and delete marker(s)): copy what must be kept, then empty it or pass --delete-objects to delete every object version and delete marker`,
    );
    expect(d.lines.at(-1)).toBe("DRY RUN: an executed run would stop with REFUSED (1 problem(s) above)");
  });
});

describe("data stack", () => {
  test("refuses a non-empty bucket without --delete-objects: no object deleted, no Terraform", async () => {
    keysEnabled();
    m.s3.on(ListObjectVersionsCommand).resolves({ Versions: [{ Key: "a", VersionId: "v1" }], IsTruncated: true });
    const tf = devTf();
    const d = deps(tf);
    const r = await runTeardown(devOptions({ execute: true, yes: true }), d);
    expect(r).toEqual({ outcome: "refused", exitCode: 1 });
    expect(d.lines.at(-1)).toBe(
      `REFUSED: bucket ${BUCKET} is not empty (more than 1 object version(s) and delete marker(s)): copy what must be kept, then empty it or pass --delete-objects to delete every object version and delete marker`,
    );
    expect(m.s3.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
    expect(tf.calls).toEqual([]);
  });

  test("--delete-objects deletes every version and delete marker, then the guarded Terraform phase deletes the stack (EBS encryption by default forgotten)", async () => {
    keysEnabled();
    m.s3
      .on(ListObjectVersionsCommand)
      .resolvesOnce({
        Versions: [{ Key: "a", VersionId: "v1" }],
        DeleteMarkers: [{ Key: "a", VersionId: "dm1" }],
        IsTruncated: false,
      })
      .resolvesOnce({
        Versions: [{ Key: "a", VersionId: "v1" }],
        DeleteMarkers: [{ Key: "a", VersionId: "dm1" }],
        IsTruncated: false,
      })
      .resolves({ Versions: [], DeleteMarkers: [], IsTruncated: false });
    m.s3.on(DeleteObjectsCommand).resolves({ Deleted: [{ Key: "a" }] });
    const tf = devTf();
    const d = deps(tf, [true, true, false]);
    const r = await runTeardown(devOptions({ execute: true, deleteObjects: true }), d);
    expect(m.s3.commandCalls(DeleteObjectsCommand)[0].args[0].input).toEqual({
      Bucket: BUCKET,
      Delete: {
        Objects: [
          { Key: "a", VersionId: "v1" },
          { Key: "a", VersionId: "dm1" },
        ],
        Quiet: true,
      },
    });
    expect(tf.configs.get("dev-data")).toEqual({
      removed: [{ from: "aws_ebs_encryption_by_default.ebs_by-default_06384E85", lifecycle: { destroy: false } }],
    });
    expect(tf.calls.slice(0, 5)).toEqual([
      "prepare dev-data",
      "plan dev-data",
      "show dev-data",
      "show dev-data",
      "apply dev-data",
    ]);
    expect(d.questions[0]).toBe(`Delete every object version and delete marker of ${BUCKET}? This cannot be undone.`);
    expect(d.questions[1]).toMatch(/^Apply this plan to dev-data \(digest sha256:[0-9a-f]{64}\)\?$/);
    // The third question (keys) was answered no: the run stops there, keys untouched.
    expect(r).toEqual({ outcome: "refused", exitCode: 1 });
    expect(m.kms.commandCalls(ScheduleKeyDeletionCommand)).toHaveLength(0);
  });

  test("the phase's allowlist file keeps every committed declaration (entries, accounts, organizations)", async () => {
    keysEnabled();
    const tf = devTf();
    const d = deps(tf, [true, false]);
    tf.configs.set("dev-data", {
      removed: [{ from: "aws_ebs_encryption_by_default.ebs_by-default_06384E85", lifecycle: { destroy: false } }],
    });
    const committed = {
      allow: [{ address: "aws_kms_key.other", stack: "dev-keys", reason: "unrelated (#3)", expires: "2999-12-31" }],
      externalAccounts: [{ account: "555555555555", stack: "dev-keys", reason: "analytics (#42)" }],
      externalOrganizations: [{ organization: "o-abc123def4", stack: "dev-keys", reason: "backup vault (#57)" }],
    };
    const file = join(tf.root, "committed.allow.json");
    writeFileSync(file, JSON.stringify(committed));
    await runTeardown(devOptions({ execute: true }), { ...d, allowlistFile: file });
    const written = JSON.parse(readFileSync(join(tf.root, "dev-data", "plan-guard.teardown.allow.json"), "utf8"));
    expect(written.allow[0]).toEqual(committed.allow[0]);
    expect(written.allow.slice(1).every((e: { digest?: string }) => /^sha256:[0-9a-f]{64}$/.test(e.digest ?? ""))).toBe(
      true,
    );
    expect({
      externalAccounts: written.externalAccounts,
      externalOrganizations: written.externalOrganizations,
    }).toEqual({
      externalAccounts: committed.externalAccounts,
      externalOrganizations: committed.externalOrganizations,
    });
  });

  test("each phase's allowlist entries carry the digest of that phase's plan", async () => {
    keysEnabled();
    const tf = devTf();
    const before = await tf.show("dev-data");
    const d = deps(tf, [true, false]);
    tf.configs.set("dev-data", {
      removed: [{ from: "aws_ebs_encryption_by_default.ebs_by-default_06384E85", lifecycle: { destroy: false } }],
    });
    const expected = planDigest(await tf.show("dev-data"));
    expect(expected).not.toBe(planDigest(before));
    await runTeardown(devOptions({ execute: true }), d);
    const entries = d.lines.filter((l) => l.startsWith("    {")).map((l) => JSON.parse(l));
    expect(entries).toEqual([
      {
        address: "aws_s3_bucket.bucket-appData_bucket_9DEBFB04",
        stack: "dev-data",
        actions: ["delete"],
        reason: "teardown of dev-data: bucket emptied (checked by the teardown)",
        digest: expected,
      },
      {
        address: "aws_s3_bucket_policy.bucket-appData_policy_9B28ABDD",
        stack: "dev-data",
        actions: ["delete"],
        reason: "teardown of dev-data: the environment is being torn down",
        digest: expected,
      },
    ]);
    expect(d.lines).toContain(`  plan digest ${expected}`);
    // The file the guard's command line reads: the committed entries plus this plan's; no saved plan left behind.
    const dir = join(tf.root, "dev-data");
    expect(JSON.parse(readFileSync(join(dir, "plan-guard.teardown.allow.json"), "utf8")).allow).toEqual(entries);
    expect(readdirSync(dir).sort()).toEqual(["plan-guard.teardown.allow.json"]);
  });

  test("the written allowlist passes the guard's own parser (every entry has digest or expires) with the committed entries, accounts and organizations kept; the guard lets that plan through and no other", async () => {
    keysEnabled();
    const tf = devTf();
    // Another plan of the stack (the EBS setting deleted, not forgotten), made before the run empties the state.
    const other = await tf.show("dev-data");
    const committedFile = join(mkdtempSync(join(tmpdir(), "teardown-allow-")), "plan-guard.allow.json");
    const committed = {
      allow: [
        {
          address: "aws_kms_key.other",
          stack: "dev-keys",
          actions: ["delete"],
          reason: "standing",
          expires: "2099-12-31",
        },
      ],
      externalAccounts: [{ account: "444444444444", reason: "audit account" }],
      externalOrganizations: [{ organization: "o-abcdefghij", reason: "the organization", expires: "2099-01-01" }],
    };
    writeFileSync(committedFile, JSON.stringify(committed));
    // The plan the phase reviewed, as the phase read it.
    const shown: Awaited<ReturnType<FakeTerraform["show"]>>[] = [];
    const show = tf.show.bind(tf);
    tf.show = async (path: string) => {
      const p = await show(path);
      shown.push(p);
      return p;
    };
    const d = { ...deps(tf, [true, false]), allowlistFile: committedFile };
    await runTeardown(devOptions({ execute: true }), d);
    expect(tf.calls).toContain("apply dev-data");
    const file = join(tf.root, "dev-data", "plan-guard.teardown.allow.json");
    const written = JSON.parse(readFileSync(file, "utf8")) as typeof committed;
    expect(written.allow[0]).toEqual(committed.allow[0]);
    expect(
      written.allow.slice(1).every((e) => /^sha256:[0-9a-f]{64}$/.test((e as { digest?: string }).digest ?? "")),
    ).toBe(true);
    expect(written.allow).toHaveLength(3);
    expect(written.externalAccounts).toEqual(committed.externalAccounts);
    expect(written.externalOrganizations).toEqual(committed.externalOrganizations);
    // The guard's command line, with that file, on that plan: nothing blocked.
    const allowlist = loadAllowlist(file);
    const plan = shown[0];
    expect(planDigest(plan)).toBe((written.allow[1] as { digest?: string }).digest);
    expect(planDigest(other)).not.toBe(planDigest(plan));
    expect(classifyPlans([{ stack: "dev-data", plan }], allowlist, { withoutGraph: true }).exitCode).toBe(0);
    // The same entries on another plan of the stack (the EBS setting deleted, not forgotten): blocked, the digest named.
    const guard = classifyPlans([{ stack: "dev-data", plan: other }], allowlist, { withoutGraph: true });
    expect(guard.exitCode).not.toBe(0);
    expect(guard.blocked.map((f) => f.address)).toEqual(
      expect.arrayContaining(["aws_s3_bucket.bucket-appData_bucket_9DEBFB04"]),
    );
  });

  test("a plan with a change the teardown does not intend is refused before the guard and never applied", async () => {
    keysEnabled();
    const tf = devTf();
    tf.extraChanges = [
      {
        address: "aws_s3_bucket.surprise",
        mode: "managed",
        type: "aws_s3_bucket",
        name: "surprise",
        change: { actions: ["create"], before: null, after: {} },
      } as never,
    ];
    const d = deps(tf, [true]);
    const r = await runTeardown(devOptions({ execute: true, yes: true }), d);
    expect(r.outcome).toBe("refused");
    expect(d.lines.at(-1)).toBe(
      "REFUSED: the dev-data teardown plan would also change what the teardown does not intend: aws_s3_bucket.surprise (create); nothing applied (has the state or the configuration changed?)",
    );
    expect(tf.calls).not.toContain("apply dev-data");
  });

  test("declining the plan applies nothing", async () => {
    keysEnabled();
    const tf = devTf();
    const d = deps(tf, [false]);
    const r = await runTeardown(devOptions({ execute: true }), d);
    expect(r.outcome).toBe("refused");
    expect(d.lines.at(-1)).toBe(
      "REFUSED: not confirmed: nothing applied to dev-data; run again (or pass --yes) to continue",
    );
    expect(tf.calls).not.toContain("apply dev-data");
    expect(tf.states.get("dev-data")).toHaveLength(5);
  });

  test("an FSx file system is refused with what to back up first", async () => {
    keysEnabled();
    const tf = devTf();
    tf.states.set("dev-data", [
      {
        address: "aws_fsx_ontap_file_system.fsx_fs_2424E0B6",
        type: "aws_fsx_ontap_file_system",
        values: { id: "fs-0123456789abcdef0" },
      },
    ]);
    m.fsx.on(DescribeFileSystemsCommand).resolves({ FileSystems: [{ FileSystemId: "fs-0123456789abcdef0" }] });
    m.fsx.on(DescribeVolumesCommand).resolves({ Volumes: [{ VolumeId: "fsvol-0123456789abcdef0", Name: "records" }] });
    const d = deps(tf);
    const r = await runTeardown(devOptions({ execute: true, yes: true }), d);
    expect(r.outcome).toBe("refused");
    expect(d.lines.at(-1)).toBe(
      "REFUSED: FSx file system fs-0123456789abcdef0 still exists: back up its volumes first (aws fsx create-backup --volume-id fsvol-0123456789abcdef0 --region eu-west-1  # records); a backup is encrypted under the file system's key, so copy it under a key that outlives this environment (aws fsx copy-backup --kms-key-id ...); then pass --delete-file-systems",
    );
  });
});

describe("keys", () => {
  test("a key used within --unused-for is refused (all problems at once), untouched", async () => {
    m.kms
      .on(DescribeKeyCommand)
      .callsFake((input: { KeyId: string }) => ({ KeyMetadata: { KeyId: input.KeyId, KeyState: "Enabled" } }));
    m.kms
      .on(GetKeyLastUsageCommand, { KeyId: KEY_A })
      .resolves({
        KeyLastUsage: { Operation: "GenerateDataKey", Timestamp: new Date(NOW - 3 * DAY), CloudTrailEventId: "ev-9" },
      })
      .on(GetKeyLastUsageCommand, { KeyId: KEY_B })
      .resolves({
        TrackingStartDate: new Date("2026-04-01T00:00:00Z"),
        KeyCreationDate: new Date("2025-06-01T00:00:00Z"),
      });
    const tf = devTf();
    tf.states.set("dev-data", []);
    const d = deps(tf);
    const r = await runTeardown(devOptions({ execute: true, yes: true }), d);
    expect(r.outcome).toBe("refused");
    expect(d.lines).toContain(
      `  key ${KEY_B}: not used since tracking began on 2026-04-01; any earlier use is only in CloudTrail`,
    );
    expect(d.lines.at(-1)).toBe(
      `REFUSED: key ${KEY_A} was used on 2026-12-04 by GenerateDataKey (CloudTrail event ev-9), within the last 30 days: find and stop its users, or pass --force (or a shorter --unused-for)`,
    );
    expect(m.kms.commandCalls(DisableKeyCommand)).toHaveLength(0);
    expect(m.kms.commandCalls(ScheduleKeyDeletionCommand)).toHaveLength(0);
  });

  test("--force deletes a recently used key, saying so", async () => {
    m.kms
      .on(DescribeKeyCommand)
      .callsFake((input: { KeyId: string }) => ({ KeyMetadata: { KeyId: input.KeyId, KeyState: "Enabled" } }));
    m.kms
      .on(GetKeyLastUsageCommand)
      .resolves({ KeyLastUsage: { Operation: "Decrypt", Timestamp: new Date(NOW - DAY) } });
    m.kms.on(ScheduleKeyDeletionCommand).resolves({ DeletionDate: new Date(NOW + 7 * DAY) });
    const tf = devTf();
    tf.states.set("dev-data", []);
    const d = deps(tf);
    await runTeardown(devOptions({ execute: true, yes: true, force: true }), d);
    expect(d.lines).toContain(
      `  key ${KEY_A}: --force: deleting despite: key ${KEY_A} was used on 2026-12-06 by Decrypt, within the last 30 days: find and stop its users, or pass --force (or a shorter --unused-for)`,
    );
    expect(m.kms.commandCalls(ScheduleKeyDeletionCommand)).toHaveLength(2);
  });

  test("no recorded use, but tracking began inside --unused-for: refused (a use before tracking is only in CloudTrail), untouched", async () => {
    m.kms
      .on(DescribeKeyCommand)
      .callsFake((input: { KeyId: string }) => ({ KeyMetadata: { KeyId: input.KeyId, KeyState: "Enabled" } }));
    m.kms.on(GetKeyLastUsageCommand).resolves({
      TrackingStartDate: new Date(NOW - 10 * DAY),
      KeyCreationDate: new Date("2025-06-01T00:00:00Z"),
    });
    const tf = devTf();
    tf.states.set("dev-data", []);
    const d = deps(tf);
    const r = await runTeardown(devOptions({ execute: true, yes: true }), d);
    expect(r.outcome).toBe("refused");
    const since = new Date(NOW - 10 * DAY).toISOString().slice(0, 10);
    expect(d.lines.join("\n")).toContain(
      `REFUSED: key ${KEY_A} has no recorded use since KMS began tracking it on ${since}, less than 30 days ago, so a use earlier in the window is only in CloudTrail: check CloudTrail for its use, then run again with --force (or a --unused-for of at most 10 days)`,
    );
    expect(m.kms.commandCalls(DisableKeyCommand)).toHaveLength(0);
    expect(m.kms.commandCalls(ScheduleKeyDeletionCommand)).toHaveLength(0);
  });

  test("an answer with neither a last use nor a tracking start date is last use unknown: refused like a failed read, untouched; --force deletes saying so", async () => {
    m.kms
      .on(DescribeKeyCommand)
      .callsFake((input: { KeyId: string }) => ({ KeyMetadata: { KeyId: input.KeyId, KeyState: "Enabled" } }));
    m.kms
      .on(GetKeyLastUsageCommand, { KeyId: KEY_A })
      .resolves({})
      .on(GetKeyLastUsageCommand, { KeyId: KEY_B })
      .resolves({ KeyCreationDate: new Date("2025-06-01T00:00:00Z") });
    const why = "GetKeyLastUsage returned neither a last use nor a tracking start date";
    const tf = devTf();
    tf.states.set("dev-data", []);
    const d = deps(tf);
    const r = await runTeardown(devOptions({ execute: true, yes: true }), d);
    expect(r.outcome).toBe("refused");
    expect(d.lines).toContain(`  key ${KEY_A}: last use unknown (${why})`);
    expect(d.lines).toContain(`  key ${KEY_B}: last use unknown (${why})`);
    expect(d.lines.at(-1)).toBe(
      `REFUSED: key ${KEY_A}: its last use cannot be read (${why}): check CloudTrail for its use, then run again or pass --force\n  key ${KEY_B}: its last use cannot be read (${why}): check CloudTrail for its use, then run again or pass --force`,
    );
    expect(m.kms.commandCalls(DisableKeyCommand)).toHaveLength(0);
    expect(m.kms.commandCalls(ScheduleKeyDeletionCommand)).toHaveLength(0);

    m.kms.on(ScheduleKeyDeletionCommand).resolves({ DeletionDate: new Date(NOW + 7 * DAY) });
    const forced = deps(tf);
    await runTeardown(devOptions({ execute: true, yes: true, force: true }), forced);
    expect(forced.lines).toContain(
      `  key ${KEY_A}: --force: deleting despite: key ${KEY_A}: its last use cannot be read (${why}): check CloudTrail for its use, then run again or pass --force`,
    );
    expect(m.kms.commandCalls(ScheduleKeyDeletionCommand)).toHaveLength(2);
  });

  test("a key never used since its creation after tracking began says so", async () => {
    m.kms
      .on(DescribeKeyCommand)
      .callsFake((input: { KeyId: string }) => ({ KeyMetadata: { KeyId: input.KeyId, KeyState: "Enabled" } }));
    m.kms.on(GetKeyLastUsageCommand).resolves({
      TrackingStartDate: new Date("2026-04-01T00:00:00Z"),
      KeyCreationDate: new Date("2026-11-01T00:00:00Z"),
    });
    const d = deps(devTf());
    await runTeardown(devOptions(), d);
    expect(d.lines).toContain(`  key ${KEY_A}: never used since it was created on 2026-11-01`);
  });

  test("throttling of GetKeyLastUsage (after the SDK's retries) refuses with the quota, never guesses", async () => {
    m.kms
      .on(DescribeKeyCommand)
      .callsFake((input: { KeyId: string }) => ({ KeyMetadata: { KeyId: input.KeyId, KeyState: "Enabled" } }));
    m.kms
      .on(GetKeyLastUsageCommand)
      .rejects(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" }));
    const tf = devTf();
    tf.states.set("dev-data", []);
    const d = deps(tf);
    const r = await runTeardown(devOptions({ execute: true, yes: true }), d);
    expect(r.outcome).toBe("refused");
    expect(d.lines.at(-1)).toBe(
      `REFUSED: key ${KEY_A}: its last use cannot be read (KMS throttled GetKeyLastUsage (5 requests/s per account and Region) after the SDK's retries; run again in a minute): check CloudTrail for its use, then run again or pass --force\n  key ${KEY_B}: its last use cannot be read (KMS throttled GetKeyLastUsage (5 requests/s per account and Region) after the SDK's retries; run again in a minute): check CloudTrail for its use, then run again or pass --force`,
    );
    expect(m.kms.commandCalls(ScheduleKeyDeletionCommand)).toHaveLength(0);
  });

  test("GetKeyLastUsage calls are paced at 5 per second", async () => {
    const keys: StateResource[] = Array.from({ length: 7 }, (_, i) => ({
      address: `aws_kms_key.k${i}`,
      type: "aws_kms_key",
      values: { key_id: `k${i}` },
    }));
    m.kms
      .on(DescribeKeyCommand)
      .callsFake((input: { KeyId: string }) => ({ KeyMetadata: { KeyId: input.KeyId, KeyState: "Enabled" } }));
    const times: number[] = [];
    const tf = new FakeTerraform(new Map([["dev-keys", keys]]));
    const d = deps(tf);
    m.kms.on(GetKeyLastUsageCommand).callsFake(() => {
      times.push(d.clock.now());
      return {};
    });
    await runTeardown(devOptions(), d);
    expect(times).toHaveLength(7);
    expect(times[5] - times[0]).toBeGreaterThanOrEqual(1000);
  });

  test("without a CloudTrail log group (and without --without-alarm) scheduling is refused", async () => {
    keysEnabled();
    const tf = devTf();
    tf.states.set("dev-data", []);
    const d = deps(tf);
    const r = await runTeardown(devOptions({ execute: true, yes: true, cloudTrailLogGroup: undefined }), d);
    expect(r.outcome).toBe("refused");
    expect(d.lines.at(-1)).toBe(
      "REFUSED: the alarm on use of a key pending deletion needs the CloudWatch Logs group of the account's CloudTrail trail: pass --cloudtrail-log-group <name> (https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys-creating-cloudwatch-alarm.html), or --without-alarm to go without",
    );
  });
});

test("a multi-Region primary waiting for its replicas (PendingReplicaDeletion) is not scheduled again; the run waits a day", async () => {
  m.kms.on(DescribeKeyCommand).callsFake((input: { KeyId: string }) => ({
    KeyMetadata: {
      KeyId: input.KeyId,
      KeyState: input.KeyId === KEY_A ? "PendingReplicaDeletion" : "PendingDeletion",
      ...(input.KeyId === KEY_B ? { DeletionDate: new Date(NOW + 3 * DAY) } : {}),
    },
  }));
  const tf = devTf();
  tf.states.set("dev-data", []);
  const d = deps(tf);
  const r = await runTeardown(devOptions({ execute: true, yes: true }), d);
  expect(m.kms.commandCalls(ScheduleKeyDeletionCommand)).toHaveLength(0);
  expect(m.kms.commandCalls(GetKeyLastUsageCommand)).toHaveLength(0);
  expect(d.lines).toContain(
    `  key ${KEY_A} (aws_kms_key.key-appData_key_638EC278): pending deletion once its replica keys are deleted (schedule theirs in their Regions)`,
  );
  expect(r).toEqual({ outcome: "waiting", exitCode: 3, runAgainAfter: new Date(NOW + 4 * DAY) });
});

describe("executed run of dev, then re-runs", () => {
  test("schedules both keys with their windows behind AWS's alarm, forgets them in Terraform, then waits; a re-run resumes; the last run removes the alarm", async () => {
    keysEnabled();
    m.kms.on(ScheduleKeyDeletionCommand).callsFake((input: { PendingWindowInDays: number }) => ({
      DeletionDate: new Date(NOW + input.PendingWindowInDays * DAY),
    }));
    const tf = devTf();
    const d = deps(tf);
    const r1 = await runTeardown(devOptions({ execute: true, yes: true }), d);

    expect(r1).toEqual({ outcome: "waiting", exitCode: 3, runAgainAfter: new Date(NOW + 31 * DAY) });
    expect(m.logs.commandCalls(PutMetricFilterCommand)[0].args[0].input).toEqual({
      logGroupName: "aws-cloudtrail-logs-111111111111",
      filterName: "cmk-stacks-dev-kms-key-pending-deletion",
      filterPattern: PENDING_DELETION_FILTER,
      metricTransformations: [
        {
          metricName: "KMSKeyPendingDeletionErrorCount",
          metricNamespace: "CloudTrailLogMetrics",
          metricValue: "1",
          defaultValue: 0,
        },
      ],
    });
    expect(PENDING_DELETION_FILTER).toBe('{ $.eventSource = kms* && $.errorMessage = "* is pending deletion."}');
    expect(m.cloudwatch.commandCalls(PutMetricAlarmCommand)[0].args[0].input).toMatchObject({
      AlarmName: "cmk-stacks-dev-kms-key-pending-deletion-use",
      Threshold: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      Statistic: "Sum",
    });
    // The alarm exists before the first key is disabled.
    expect(
      m.cloudwatch.commandCalls(PutMetricAlarmCommand)[0].calledBefore(m.kms.commandCalls(DisableKeyCommand)[0]),
    ).toBe(true);
    expect(m.kms.commandCalls(ScheduleKeyDeletionCommand).map((c) => c.args[0].input)).toEqual([
      { KeyId: KEY_A, PendingWindowInDays: 7 },
      { KeyId: KEY_B, PendingWindowInDays: 30 },
    ]);
    expect(m.alarm.tags).toEqual([
      { Key: `cmk-stacks:pending-key:${KEY_A}`, Value: "2026-12-14" },
      { Key: `cmk-stacks:pending-key:${KEY_B}`, Value: "2027-01-06" },
    ]);
    expect(tf.configs.get("dev-keys")).toEqual({
      removed: [
        { from: "aws_kms_key.key-appData_key_638EC278", lifecycle: { destroy: false } },
        { from: "aws_kms_key.key-volumes_key_58DAD119", lifecycle: { destroy: false } },
      ],
    });
    expect(tf.calls).toContain("apply dev-keys");
    expect(tf.states.get("dev-keys")).toEqual([]);
    expect(d.lines.at(-1)).toBe(
      "WAITING: 2 key(s) pending deletion; KMS deletes the last on 2027-01-06 (up to 24 h later); the alarm cmk-stacks-dev-kms-key-pending-deletion-use reports any use meanwhile; run the teardown again on or after 2027-01-07",
    );

    // Re-run the next day: nothing in Terraform state any more; the alarm remembers the keys.
    m.kms.on(DescribeKeyCommand).callsFake((input: { KeyId: string }) => ({
      KeyMetadata: {
        KeyId: input.KeyId,
        KeyState: "PendingDeletion",
        DeletionDate: new Date(NOW + (input.KeyId === KEY_A ? 7 : 30) * DAY),
      },
    }));
    const d2 = deps(tf);
    const scheduled = m.kms.commandCalls(ScheduleKeyDeletionCommand).length;
    const r2 = await runTeardown(devOptions({ execute: true, yes: true }), d2);
    expect(r2.outcome).toBe("waiting");
    expect(d2.lines).toContain(
      `  key ${KEY_A} ((no longer in Terraform state)): pending deletion, deleted by KMS on 2026-12-14 (up to 24 h later)`,
    );
    expect(m.kms.commandCalls(ScheduleKeyDeletionCommand)).toHaveLength(scheduled);

    // After the window: KMS no longer knows the keys; the alarm and its filter go.
    m.kms.on(DescribeKeyCommand).rejects(Object.assign(new Error("Key not found"), { name: "NotFoundException" }));
    const d3 = deps(tf);
    const r3 = await runTeardown(devOptions({ execute: true, yes: true }), d3);
    expect(r3).toEqual({ outcome: "finished", exitCode: 0 });
    expect(m.cloudwatch.commandCalls(DeleteAlarmsCommand)[0].args[0].input).toEqual({
      AlarmNames: ["cmk-stacks-dev-kms-key-pending-deletion-use"],
    });
    expect(m.logs.commandCalls(DeleteMetricFilterCommand)[0].args[0].input).toEqual({
      logGroupName: "aws-cloudtrail-logs-111111111111",
      filterName: "cmk-stacks-dev-kms-key-pending-deletion",
    });
    expect(d3.lines.at(-1)).toBe("FINISHED: dev is torn down");
  });
});

const STORE = "cks-1234567890abcdef0";
const CLUSTER = "cluster-abcdefghijk";

function hsmEnv(keyState: string): FakeTerraform {
  m.kms.on(DescribeKeyCommand).callsFake((input: { KeyId: string }) =>
    keyState === "Deleted"
      ? Promise.reject(Object.assign(new Error("not found"), { name: "NotFoundException" }))
      : {
          KeyMetadata: {
            KeyId: input.KeyId,
            KeyState: keyState,
            CustomKeyStoreId: STORE,
            DeletionDate: new Date(NOW + 10 * DAY),
          },
        },
  );
  return new FakeTerraform(
    new Map([
      [
        "dev-keys",
        [
          {
            address: "aws_kms_key.records",
            type: "aws_kms_key",
            values: { key_id: KEY_A, custom_key_store_id: STORE, deletion_window_in_days: 30 },
          },
          {
            address: "aws_kms_custom_key_store.store",
            type: "aws_kms_custom_key_store",
            values: { id: STORE, cloud_hsm_cluster_id: CLUSTER },
          },
          {
            address: "aws_cloudhsm_v2_cluster.cluster",
            type: "aws_cloudhsm_v2_cluster",
            values: { id: CLUSTER, cluster_id: CLUSTER },
          },
          {
            address: "aws_cloudhsm_v2_hsm.a",
            type: "aws_cloudhsm_v2_hsm",
            values: { hsm_id: "hsm-aaaaaaaaaaa", cluster_id: CLUSTER },
          },
          { address: "aws_lb.xks", type: "aws_lb", values: { id: "arn:lb" } },
        ],
      ],
    ]),
  );
}

function storeIs(...states: string[]): void {
  const chain = m.kms.on(DescribeCustomKeyStoresCommand);
  for (const s of states.slice(0, -1))
    chain.resolvesOnce({
      CustomKeyStores: [
        {
          CustomKeyStoreId: STORE,
          CustomKeyStoreType: "AWS_CLOUDHSM",
          CloudHsmClusterId: CLUSTER,
          ConnectionState: s as ConnectionStateType,
        },
      ],
    });
  const last = states.at(-1) as string;
  if (last === "gone")
    chain.rejects(Object.assign(new Error("not found"), { name: "CustomKeyStoreNotFoundException" }));
  else
    chain.resolves({
      CustomKeyStores: [
        {
          CustomKeyStoreId: STORE,
          CustomKeyStoreType: "AWS_CLOUDHSM",
          CloudHsmClusterId: CLUSTER,
          ConnectionState: last as ConnectionStateType,
        },
      ],
    });
}

describe("CloudHSM key store and cluster", () => {
  test("while its keys are pending deletion the store stays CONNECTED and the run waits; Terraform is not run for the keys stack", async () => {
    const tf = hsmEnv("PendingDeletion");
    storeIs("CONNECTED");
    m.cloudhsm.on(DescribeClustersCommand).resolves({
      Clusters: [
        {
          ClusterId: CLUSTER,
          State: "ACTIVE",
          Hsms: [{ HsmId: "hsm-aaaaaaaaaaa", AvailabilityZone: "eu-west-1a", State: "ACTIVE" }],
        },
      ],
    });
    m.cloudhsm.on(DescribeBackupsCommand).resolves({ Backups: [] });
    const d = deps(tf);
    const r = await runTeardown(devOptions({ execute: true, yes: true }), d);
    expect(r.outcome).toBe("waiting");
    expect(d.lines.at(-1)).toBe(
      `WAITING: key store ${STORE} keeps 1 key(s) pending deletion until 2026-12-18 and stays CONNECTED meanwhile; run the teardown again on or after 2026-12-18`,
    );
    expect(m.kms.commandCalls(DisconnectCustomKeyStoreCommand)).toHaveLength(0);
    expect(tf.calls).toEqual([]);
  });

  test("a store found disconnected while its keys are pending deletion is flagged: KMS cannot delete the key material", async () => {
    const tf = hsmEnv("PendingDeletion");
    storeIs("DISCONNECTED");
    m.cloudhsm.on(DescribeClustersCommand).resolves({ Clusters: [] });
    m.cloudhsm.on(DescribeBackupsCommand).resolves({ Backups: [] });
    const d = deps(tf);
    await runTeardown(devOptions({ execute: true, yes: true }), d);
    expect(d.lines).toContain(
      `  WARNING key store ${STORE} is DISCONNECTED while 1 key(s) are pending deletion: KMS deletes their material from the cluster only while it is CONNECTED; connect it (aws kms connect-custom-key-store --custom-key-store-id ${STORE}) before 2026-12-18`,
    );
  });

  test("a key in a disconnected CloudHSM store is not scheduled", async () => {
    const tf = hsmEnv("Enabled");
    storeIs("DISCONNECTED");
    m.kms.on(GetKeyLastUsageCommand).resolves({
      TrackingStartDate: new Date("2026-04-01T00:00:00Z"),
      KeyCreationDate: new Date("2025-01-01T00:00:00Z"),
    });
    const d = deps(tf);
    const r = await runTeardown(devOptions({ execute: true, yes: true }), d);
    expect(r.outcome).toBe("refused");
    expect(d.lines.at(-1)).toBe(
      `REFUSED: key ${KEY_A} is in CloudHSM key store ${STORE}, which is DISCONNECTED: KMS deletes the key material from the cluster only while the store is CONNECTED (https://docs.aws.amazon.com/kms/latest/developerguide/delete-cmk-keystore.html); connect it first`,
    );
    expect(m.kms.commandCalls(ScheduleKeyDeletionCommand)).toHaveLength(0);
  });

  test("once its keys are deleted: disconnect, wait for DISCONNECTED, delete the store, delete the HSMs, wait, delete the cluster, list the backups with their command; then Terraform forgets them", async () => {
    const tf = hsmEnv("Deleted");
    storeIs("CONNECTED", "CONNECTED", "DISCONNECTING", "DISCONNECTED", "gone");
    m.cloudhsm
      .on(DescribeClustersCommand)
      .resolvesOnce({
        Clusters: [
          {
            ClusterId: CLUSTER,
            State: "ACTIVE",
            Hsms: [{ HsmId: "hsm-aaaaaaaaaaa", AvailabilityZone: "eu-west-1a", State: "ACTIVE" }],
          },
        ],
      })
      .resolvesOnce({
        Clusters: [
          {
            ClusterId: CLUSTER,
            State: "ACTIVE",
            Hsms: [{ HsmId: "hsm-aaaaaaaaaaa", AvailabilityZone: "eu-west-1a", State: "DELETE_IN_PROGRESS" }],
          },
        ],
      })
      .resolvesOnce({ Clusters: [{ ClusterId: CLUSTER, State: "ACTIVE", Hsms: [] }] })
      .resolves({ Clusters: [{ ClusterId: CLUSTER, State: "DELETED", Hsms: [] }] });
    m.cloudhsm.on(DescribeBackupsCommand).resolves({
      Backups: [
        { BackupId: "backup-abcdefghijk", BackupState: "READY", CreateTimestamp: new Date("2026-12-01T00:00:00Z") },
      ],
    });
    const d = deps(tf);
    const r = await runTeardown(devOptions({ execute: true, yes: true }), d);
    expect(m.kms.commandCalls(DisconnectCustomKeyStoreCommand)[0].args[0].input).toEqual({ CustomKeyStoreId: STORE });
    expect(
      m.kms
        .commandCalls(DisconnectCustomKeyStoreCommand)[0]
        .calledBefore(m.kms.commandCalls(DeleteCustomKeyStoreCommand)[0]),
    ).toBe(true);
    expect(m.cloudhsm.commandCalls(DeleteHsmCommand)[0].args[0].input).toEqual({
      ClusterId: CLUSTER,
      HsmId: "hsm-aaaaaaaaaaa",
    });
    expect(
      m.kms.commandCalls(DeleteCustomKeyStoreCommand)[0].calledBefore(m.cloudhsm.commandCalls(DeleteHsmCommand)[0]),
    ).toBe(true);
    expect(m.cloudhsm.commandCalls(DeleteClusterCommand)[0].args[0].input).toEqual({ ClusterId: CLUSTER });
    expect(d.lines).toContain(
      "    backup-abcdefghijk (READY, 2026-12-01): aws cloudhsmv2 delete-backup --backup-id backup-abcdefghijk --region eu-west-1",
    );
    expect(d.lines).toContain("  the teardown leaves backups alone unless --delete-backups is given");
    expect(m.cloudhsm.commandCalls(DeleteBackupCommand)).toHaveLength(0);
    expect(tf.configs.get("dev-keys")?.removed.map((x) => x.from)).toEqual([
      "aws_cloudhsm_v2_cluster.cluster",
      "aws_cloudhsm_v2_hsm.a",
      "aws_kms_custom_key_store.store",
      "aws_kms_key.records",
    ]);
    expect(r).toEqual({ outcome: "finished", exitCode: 0 });
  });

  test("an HSM DescribeClusters still lists as DELETED does not hold up DeleteCluster", async () => {
    const tf = hsmEnv("Deleted");
    storeIs("CONNECTED", "CONNECTED", "DISCONNECTING", "DISCONNECTED", "gone");
    const hsm = (State: string) => ({ HsmId: "hsm-aaaaaaaaaaa", AvailabilityZone: "eu-west-1a", State });
    m.cloudhsm
      .on(DescribeClustersCommand)
      .resolvesOnce({ Clusters: [{ ClusterId: CLUSTER, State: "ACTIVE", Hsms: [hsm("ACTIVE")] }] })
      .resolves({ Clusters: [{ ClusterId: CLUSTER, State: "ACTIVE", Hsms: [hsm("DELETED")] }] });
    m.cloudhsm.on(DescribeBackupsCommand).resolves({ Backups: [] });
    const d = deps(tf);
    const r = await runTeardown(devOptions({ execute: true, yes: true }), d);
    expect(m.cloudhsm.commandCalls(DeleteHsmCommand)).toHaveLength(1);
    expect(m.cloudhsm.commandCalls(DeleteClusterCommand)[0].args[0].input).toEqual({ ClusterId: CLUSTER });
    expect(r).toEqual({ outcome: "finished", exitCode: 0 });
  });

  test("--delete-backups deletes the backups once the cluster is gone", async () => {
    const tf = hsmEnv("Deleted");
    storeIs("gone");
    m.cloudhsm.on(DescribeClustersCommand).resolves({ Clusters: [] });
    m.cloudhsm.on(DescribeBackupsCommand).resolves({
      Backups: [
        { BackupId: "backup-abcdefghijk", BackupState: "READY" },
        { BackupId: "backup-old", BackupState: "PENDING_DELETION" },
      ],
    });
    const d = deps(tf);
    await runTeardown(devOptions({ execute: true, yes: true, deleteBackups: true }), d);
    expect(
      m.cloudhsm.commandCalls(DeleteBackupCommand).map((c: { args: [{ input: unknown }] }) => c.args[0].input),
    ).toEqual([{ BackupId: "backup-abcdefghijk" }]);
  });

  test("DeleteCustomKeyStore refused with CustomKeyStoreHasCMKsException: keys outside the state are named as the cause", async () => {
    const tf = hsmEnv("Deleted");
    storeIs("DISCONNECTED");
    m.kms.on(DeleteCustomKeyStoreCommand).rejects(
      Object.assign(new Error("Custom key store cks-1234567890abcdef0 has KMS keys"), {
        name: "CustomKeyStoreHasCMKsException",
      }),
    );
    const d = deps(tf);
    const r = await runTeardown(devOptions({ execute: true, yes: true }), d);
    expect(r.outcome).toBe("refused");
    expect(d.lines.at(-1)).toBe(
      `REFUSED: key store ${STORE} still holds KMS keys (KMS: Custom key store cks-1234567890abcdef0 has KMS keys): keys this environment's state does not list were created in it; find them (aws kms list-keys, then describe-key: CustomKeyStoreId), schedule their deletion, and run again after their window`,
    );
    expect(m.cloudhsm.commandCalls(DeleteHsmCommand)).toHaveLength(0);
  });

  test("DeleteCustomKeyStore refused with CustomKeyStoreInvalidStateException (connected again meanwhile)", async () => {
    const tf = hsmEnv("Deleted");
    storeIs("DISCONNECTED");
    m.kms
      .on(DeleteCustomKeyStoreCommand)
      .rejects(Object.assign(new Error("store is CONNECTED"), { name: "CustomKeyStoreInvalidStateException" }));
    const d = deps(tf);
    const r = await runTeardown(devOptions({ execute: true, yes: true }), d);
    expect(d.lines.at(-1)).toBe(
      `REFUSED: key store ${STORE} cannot be deleted in its current state (KMS: store is CONNECTED): it must be DISCONNECTED; someone may have connected it again; run the teardown again`,
    );
    expect(r.exitCode).toBe(1);
  });

  test("a store that does not reach DISCONNECTED within the run's wait stops with 'run again'", async () => {
    const tf = hsmEnv("Deleted");
    storeIs("CONNECTED");
    const d = deps(tf);
    const r = await runTeardown(devOptions({ execute: true, yes: true }), d);
    expect(r).toEqual({ outcome: "waiting", exitCode: 3 });
    expect(d.lines.at(-1)).toBe(
      `WAITING: key store ${STORE}: still CONNECTED after 30m00s; run the teardown again later to continue from here`,
    );
  });

  test("DeleteCluster refused because the cluster still has HSMs", async () => {
    const tf = hsmEnv("Deleted");
    storeIs("gone");
    m.cloudhsm
      .on(DescribeClustersCommand)
      .resolvesOnce({ Clusters: [{ ClusterId: CLUSTER, State: "ACTIVE", Hsms: [] }] })
      .resolves({ Clusters: [{ ClusterId: CLUSTER, State: "ACTIVE", Hsms: [] }] });
    m.cloudhsm.on(DeleteClusterCommand).rejects(
      Object.assign(new Error("The cluster has HSMs. Delete all HSMs before deleting the cluster."), {
        name: "CloudHsmInvalidRequestException",
      }),
    );
    const d = deps(tf);
    const r = await runTeardown(devOptions({ execute: true, yes: true }), d);
    expect(r.outcome).toBe("refused");
    expect(d.lines.at(-1)).toBe(
      `REFUSED: CloudHSM cluster ${CLUSTER} was not deleted: it still has HSMs (CloudHSM: CloudHsmInvalidRequestException: The cluster has HSMs. Delete all HSMs before deleting the cluster.); someone may have added one; run the teardown again to delete it first`,
    );
    expect(tf.calls).toEqual([]);
  });
});

describe("external key store (XKS)", () => {
  test("once its keys are deleted the store is deleted (no HSMs, no cluster); Terraform then deletes the endpoint service, load balancer and DNS record", async () => {
    m.kms.on(DescribeKeyCommand).rejects(Object.assign(new Error("not found"), { name: "NotFoundException" }));
    m.kms
      .on(DescribeCustomKeyStoresCommand)
      .resolvesOnce({
        CustomKeyStores: [
          { CustomKeyStoreId: STORE, CustomKeyStoreType: "EXTERNAL_KEY_STORE", ConnectionState: "DISCONNECTED" },
        ],
      })
      .rejects(Object.assign(new Error("not found"), { name: "CustomKeyStoreNotFoundException" }));
    const tf = new FakeTerraform(
      new Map([
        [
          "dev-keys",
          [
            {
              address: "aws_kms_key.records",
              type: "aws_kms_key",
              values: { key_id: KEY_A, custom_key_store_id: STORE },
            },
            { address: "aws_kms_custom_key_store.xks", type: "aws_kms_custom_key_store", values: { id: STORE } },
            {
              address: "aws_vpc_endpoint_service.xks",
              type: "aws_vpc_endpoint_service",
              values: { id: "vpce-svc-0123456789abcdef0" },
            },
            {
              address: "aws_lb.xks",
              type: "aws_lb",
              values: {
                id: "arn:aws:elasticloadbalancing:eu-west-1:111111111111:loadbalancer/net/xks/0123456789abcdef",
              },
            },
            {
              address: "aws_route53_record.xks",
              type: "aws_route53_record",
              values: { id: "Z123_xks.example.com_TXT" },
            },
          ],
        ],
      ]),
    );
    const d = deps(tf);
    const r = await runTeardown(devOptions({ execute: true, yes: true }), d);
    expect(m.kms.commandCalls(DisconnectCustomKeyStoreCommand)).toHaveLength(0);
    expect(m.kms.commandCalls(DeleteCustomKeyStoreCommand)[0].args[0].input).toEqual({ CustomKeyStoreId: STORE });
    expect(d.lines).toContain(
      `  key store ${STORE}: deleted; KMS never deletes the external keys: delete them in the external key manager if they must go`,
    );
    expect(m.cloudhsm.commandCalls(DescribeClustersCommand)).toHaveLength(0);
    expect(d.lines).toEqual(
      expect.arrayContaining([
        "  Terraform will delete 3 and forget 2 resource(s) of dev-keys:",
        "    delete aws_vpc_endpoint_service.xks",
        "    delete aws_lb.xks",
        "    delete aws_route53_record.xks",
      ]),
    );
    expect(r.outcome).toBe("finished");
  });
});
