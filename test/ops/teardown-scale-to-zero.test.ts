/**
 * The teardown of a scale-to-zero environment (`cloudHsm.scaleToZero`): the schedules are disabled and
 * a scaled-down cluster is brought up before any key is scheduled for deletion, so the key store stays
 * CONNECTED through the deletion window.
 */
import { CreateHsmCommand, DescribeBackupsCommand, DescribeClustersCommand } from "@aws-sdk/client-cloudhsm-v2";
import {
  ConnectCustomKeyStoreCommand,
  DescribeCustomKeyStoresCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  GetKeyLastUsageCommand,
  ScheduleKeyDeletionCommand,
} from "@aws-sdk/client-kms";
import { GetScheduleCommand, UpdateScheduleCommand } from "@aws-sdk/client-scheduler";
import { runTeardown } from "../../tools/ops/teardown";
import { stateSchedules } from "../../tools/ops/teardown-steps/schedules";
import { stateResources } from "../../tools/ops/teardown-steps/terraform-runner";
import { DAY, deps, devOptions, FakeTerraform, KEY_A, mocks, NOW, type Mocks } from "./teardown-helpers";

const STORE = "cks-1234567890abcdef0";
const CLUSTER = "cluster-abcdefghijk";
const GROUP = "dev-cloudhsm-scale";
const FN = "arn:aws:lambda:eu-west-1:111111111111:function:dev-hooks";
const ROLE = "arn:aws:iam::111111111111:role/dev-cloudhsm-scale";

let m: Mocks;
beforeEach(() => {
  m = mocks();
});

/** The keys stack's state: a key in the store, the store, the cluster (no HSM resource: hook-owned), 2 schedules. */
function tf(): FakeTerraform {
  const schedule = (kind: string) => ({
    address: `aws_scheduler_schedule.scale-to-zero_${kind}-1`,
    type: "aws_scheduler_schedule",
    values: {
      id: `${GROUP}/dev-cloudhsm-${kind}-1`,
      name: `dev-cloudhsm-${kind}-1`,
      group_name: GROUP,
      arn: `arn:aws:scheduler:eu-west-1:111111111111:schedule/${GROUP}/dev-cloudhsm-${kind}-1`,
    },
  });
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
          schedule("down"),
          schedule("up"),
        ],
      ],
    ]),
  );
}

/** GetSchedule's answer for a schedule of modules/cloudhsm/scale-to-zero.ts. */
function scheduleOf(kind: "down" | "up", state: "ENABLED" | "DISABLED" = "ENABLED") {
  return {
    Arn: `arn:aws:scheduler:eu-west-1:111111111111:schedule/${GROUP}/dev-cloudhsm-${kind}-1`,
    Name: `dev-cloudhsm-${kind}-1`,
    GroupName: GROUP,
    Description: `scale-${kind} of ${CLUSTER} (1/1)`,
    ScheduleExpression: kind === "down" ? "cron(0 19 ? * MON-FRI *)" : "cron(0 7 ? * MON-FRI *)",
    ScheduleExpressionTimezone: "Europe/Dublin",
    FlexibleTimeWindow: { Mode: "OFF" },
    State: state,
    ActionAfterCompletion: "NONE",
    CreationDate: new Date(NOW - 40 * DAY),
    LastModificationDate: new Date(NOW - 40 * DAY),
    Target: {
      Arn: FN,
      RoleArn: ROLE,
      Input: JSON.stringify({
        step: `scale-${kind}`,
        region: "eu-west-1",
        timeoutMinutes: 15,
        clusterId: CLUSTER,
        keyStoreId: STORE,
        ...(kind === "up" ? { hsmAzs: "eu-west-1a,eu-west-1b" } : {}),
        attempt: 1,
        finalAttempt: true,
      }),
      RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 900 },
    },
  };
}

function schedules(down: unknown, up: unknown): void {
  m.scheduler.on(GetScheduleCommand, { Name: "dev-cloudhsm-down-1" }).callsFake(() => down);
  m.scheduler.on(GetScheduleCommand, { Name: "dev-cloudhsm-up-1" }).callsFake(() => up);
  m.scheduler.on(UpdateScheduleCommand).resolves({});
}

const notFound = () =>
  Promise.reject(Object.assign(new Error("Schedule not found"), { name: "ResourceNotFoundException" }));

/** A cluster and store that start `up` (2 ACTIVE HSMs, CONNECTED) or scaled down; CreateHsm and ConnectCustomKeyStore act on them. */
function world(up: boolean) {
  const w = {
    hsms: up
      ? [
          { HsmId: "hsm-aaaaaaaaaaa", AvailabilityZone: "eu-west-1a", State: "ACTIVE", ClusterId: CLUSTER },
          { HsmId: "hsm-bbbbbbbbbbb", AvailabilityZone: "eu-west-1b", State: "ACTIVE", ClusterId: CLUSTER },
        ]
      : ([] as { HsmId: string; AvailabilityZone: string; State: string; ClusterId: string }[]),
    store: up ? "CONNECTED" : "DISCONNECTED",
  };
  m.cloudhsm.on(DescribeClustersCommand).callsFake(() => ({
    Clusters: [{ ClusterId: CLUSTER, State: "ACTIVE", Hsms: w.hsms.map((h) => ({ ...h })) }],
  }));
  m.cloudhsm.on(CreateHsmCommand).callsFake((input: { AvailabilityZone: string }) => {
    const h = {
      HsmId: `hsm-${String(w.hsms.length + 1).repeat(11)}`,
      AvailabilityZone: input.AvailabilityZone,
      State: "ACTIVE",
      ClusterId: CLUSTER,
    };
    w.hsms.push(h);
    return { Hsm: h };
  });
  m.cloudhsm.on(DescribeBackupsCommand).resolves({ Backups: [] });
  m.kms.on(DescribeCustomKeyStoresCommand).callsFake(() => ({
    CustomKeyStores: [
      {
        CustomKeyStoreId: STORE,
        CustomKeyStoreName: "dev-store",
        CustomKeyStoreType: "AWS_CLOUDHSM",
        CloudHsmClusterId: CLUSTER,
        ConnectionState: w.store,
      },
    ],
  }));
  m.kms.on(ConnectCustomKeyStoreCommand).callsFake(() => {
    w.store = "CONNECTED";
    return {};
  });
  m.kms.on(DescribeKeyCommand).callsFake((input: { KeyId: string }) => ({
    KeyMetadata: { KeyId: input.KeyId, KeyState: "Enabled", CustomKeyStoreId: STORE },
  }));
  m.kms.on(GetKeyLastUsageCommand).resolves({
    KeyLastUsage: { Operation: "Decrypt", Timestamp: new Date(NOW - 90 * DAY), CloudTrailEventId: "ev-1" },
    TrackingStartDate: new Date("2026-04-01T00:00:00Z"),
    KeyCreationDate: new Date("2025-01-01T00:00:00Z"),
  });
  m.kms.on(ScheduleKeyDeletionCommand).resolves({ DeletionDate: new Date(NOW + 30 * DAY) });
  return w;
}

describe("teardown of a scale-to-zero environment", () => {
  test("dry run, scaled down: says it would disable both schedules and scale up, does not refuse the disconnected store, changes nothing", async () => {
    world(false);
    schedules(scheduleOf("down"), scheduleOf("up"));
    const d = deps(tf());
    const r = await runTeardown(devOptions(), d);
    expect(r).toEqual({ outcome: "dry-run", exitCode: 0 });
    const i = d.lines.indexOf("== before 2/5: scale to zero (cloudHsm.scaleToZero): schedules stopped, HSMs up ==");
    expect(i).toBeGreaterThan(0);
    expect(d.lines.slice(i + 1, i + 9)).toEqual([
      `  schedule ${GROUP}/dev-cloudhsm-down-1: ENABLED (cron(0 19 ? * MON-FRI *) Europe/Dublin)`,
      `  schedule ${GROUP}/dev-cloudhsm-up-1: ENABLED (cron(0 7 ? * MON-FRI *) Europe/Dublin)`,
      `  would disable schedule ${GROUP}/dev-cloudhsm-down-1 (UpdateSchedule State DISABLED, every other field as it is): no scale-down or scale-up while the keys are pending deletion`,
      `  would disable schedule ${GROUP}/dev-cloudhsm-up-1 (UpdateSchedule State DISABLED, every other field as it is): no scale-down or scale-up while the keys are pending deletion`,
      `  key store ${STORE} (AWS_CLOUDHSM, cluster ${CLUSTER}): DISCONNECTED`,
      `  CloudHSM cluster ${CLUSTER}: ACTIVE, 0 HSM(s)`,
      `  would run the scale-up step: HSMs in eu-west-1a, eu-west-1b (CreateHsm restores the cluster's latest backup), until ACTIVE, then connect key store ${STORE}, which stays CONNECTED through the keys' deletion window`,
      "== 2/5 keys: last use, disable, schedule deletion ==",
    ]);
    expect(d.lines).toContain(`  key ${KEY_A}: key store ${STORE} is CONNECTED by the scale-up above first`);
    expect(d.lines.join("\n")).not.toContain("connect it first");
    expect(m.scheduler.commandCalls(UpdateScheduleCommand)).toHaveLength(0);
    expect(m.cloudhsm.commandCalls(CreateHsmCommand)).toHaveLength(0);
    expect(m.kms.commandCalls(ConnectCustomKeyStoreCommand)).toHaveLength(0);
    expect(m.kms.commandCalls(ScheduleKeyDeletionCommand)).toHaveLength(0);
  });

  test("execute, scaled down: schedules disabled (every other field kept), then HSMs in 2 AZs, then the store connected, then key deletion", async () => {
    const w = world(false);
    schedules(scheduleOf("down"), scheduleOf("up"));
    const d = deps(tf());
    const r = await runTeardown(devOptions({ execute: true, yes: true }), d);
    expect(r.outcome).toBe("waiting");
    const updates = m.scheduler.commandCalls(UpdateScheduleCommand);
    expect(updates.map((c: { args: [{ input: unknown }] }) => c.args[0].input)).toEqual(
      (["down", "up"] as const).map((k) => {
        const s = scheduleOf(k);
        return {
          Name: s.Name,
          GroupName: s.GroupName,
          ScheduleExpression: s.ScheduleExpression,
          FlexibleTimeWindow: s.FlexibleTimeWindow,
          Target: s.Target,
          Description: s.Description,
          ScheduleExpressionTimezone: s.ScheduleExpressionTimezone,
          ActionAfterCompletion: "NONE",
          State: "DISABLED",
        };
      }),
    );
    const creates = m.cloudhsm.commandCalls(CreateHsmCommand);
    expect(creates.map((c: { args: [{ input: unknown }] }) => c.args[0].input)).toEqual([
      { ClusterId: CLUSTER, AvailabilityZone: "eu-west-1a" },
      { ClusterId: CLUSTER, AvailabilityZone: "eu-west-1b" },
    ]);
    const connect = m.kms.commandCalls(ConnectCustomKeyStoreCommand);
    expect(connect).toHaveLength(1);
    const schedule = m.kms.commandCalls(ScheduleKeyDeletionCommand);
    expect(schedule).toHaveLength(1);
    expect(updates[1].calledBefore(creates[0])).toBe(true);
    expect(creates[1].calledBefore(connect[0])).toBe(true);
    expect(connect[0].calledBefore(m.kms.commandCalls(DisableKeyCommand)[0])).toBe(true);
    expect(connect[0].calledBefore(schedule[0])).toBe(true);
    expect(w.store).toBe("CONNECTED");
    expect(d.lines).toContain(`  schedule ${GROUP}/dev-cloudhsm-up-1: DISABLED`);
    expect(d.lines.some((l) => l.startsWith("  scale-up: 2 HSMs ACTIVE, key store CONNECTED"))).toBe(true);
  });

  test("execute, already up and schedules already disabled: no UpdateSchedule, no CreateHsm, no connect; keys scheduled", async () => {
    world(true);
    schedules(scheduleOf("down", "DISABLED"), scheduleOf("up", "DISABLED"));
    const d = deps(tf());
    await runTeardown(devOptions({ execute: true, yes: true }), d);
    expect(m.scheduler.commandCalls(UpdateScheduleCommand)).toHaveLength(0);
    expect(m.cloudhsm.commandCalls(CreateHsmCommand)).toHaveLength(0);
    expect(m.kms.commandCalls(ConnectCustomKeyStoreCommand)).toHaveLength(0);
    expect(m.kms.commandCalls(ScheduleKeyDeletionCommand)).toHaveLength(1);
    expect(d.lines).toContain("  every schedule is DISABLED already");
    expect(d.lines).toContain(
      `  cluster ${CLUSTER} is up and key store ${STORE} CONNECTED: it stays so through the deletion window`,
    );
  });

  test("a schedule already gone is said and skipped; the other is disabled", async () => {
    world(true);
    schedules(notFound, scheduleOf("up"));
    m.scheduler
      .on(GetScheduleCommand, { Name: "dev-cloudhsm-down-1" })
      .rejects(Object.assign(new Error("Schedule not found"), { name: "ResourceNotFoundException" }));
    const d = deps(tf());
    await runTeardown(devOptions({ execute: true, yes: true }), d);
    expect(d.lines).toContain(`  schedule ${GROUP}/dev-cloudhsm-down-1: already deleted`);
    const updates = m.scheduler.commandCalls(UpdateScheduleCommand);
    expect(updates.map((c) => c.args[0].input.Name)).toEqual(["dev-cloudhsm-up-1"]);
    expect(m.kms.commandCalls(ScheduleKeyDeletionCommand)).toHaveLength(1);
  });

  test("AccessDenied on the Scheduler: refused with the permissions to grant; no key scheduled, no HSM created", async () => {
    world(false);
    schedules(scheduleOf("down"), scheduleOf("up"));
    m.scheduler.on(UpdateScheduleCommand).rejects(
      Object.assign(new Error("User is not authorized to perform: scheduler:UpdateSchedule"), {
        name: "AccessDeniedException",
      }),
    );
    const d = deps(tf());
    const r = await runTeardown(devOptions({ execute: true, yes: true }), d);
    expect(r).toEqual({ outcome: "refused", exitCode: 1 });
    expect(d.lines.at(-1)).toBe(
      `REFUSED: EventBridge Scheduler refused UpdateSchedule on schedule ${GROUP}/dev-cloudhsm-down-1 (AccessDeniedException: User is not authorized to perform: scheduler:UpdateSchedule): the operator's role needs scheduler:GetSchedule and scheduler:UpdateSchedule on arn:aws:scheduler:eu-west-1:111111111111:schedule/${GROUP}/dev-cloudhsm-down-1, and iam:PassRole on the schedule's role (docs/operations.md, "Teardown": permissions); nothing was changed by this step`,
    );
    expect(m.cloudhsm.commandCalls(CreateHsmCommand)).toHaveLength(0);
    expect(m.kms.commandCalls(ScheduleKeyDeletionCommand)).toHaveLength(0);
    expect(m.kms.commandCalls(DisableKeyCommand)).toHaveLength(0);
  });

  test("execute with a key refused (used recently): neither the schedules nor the cluster are touched", async () => {
    world(false);
    schedules(scheduleOf("down"), scheduleOf("up"));
    m.kms.on(GetKeyLastUsageCommand).resolves({
      KeyLastUsage: { Operation: "Decrypt", Timestamp: new Date(NOW - 2 * DAY), CloudTrailEventId: "ev-2" },
      TrackingStartDate: new Date("2026-04-01T00:00:00Z"),
      KeyCreationDate: new Date("2025-01-01T00:00:00Z"),
    });
    const d = deps(tf());
    const r = await runTeardown(devOptions({ execute: true, yes: true }), d);
    expect(r).toEqual({ outcome: "refused", exitCode: 1 });
    expect(d.lines.at(-1)).toMatch(/^REFUSED: /);
    expect(d.lines.join("\n")).not.toContain("connect it first");
    expect(m.scheduler.commandCalls(UpdateScheduleCommand)).toHaveLength(0);
    expect(m.cloudhsm.commandCalls(CreateHsmCommand)).toHaveLength(0);
    expect(m.kms.commandCalls(ConnectCustomKeyStoreCommand)).toHaveLength(0);
  });

  test("keys already pending (an earlier run) in a scaled-down store: schedules disabled and the cluster brought up, the run then waits", async () => {
    const w = world(false);
    schedules(scheduleOf("down"), scheduleOf("up"));
    m.kms.on(DescribeKeyCommand).callsFake((input: { KeyId: string }) => ({
      KeyMetadata: {
        KeyId: input.KeyId,
        KeyState: "PendingDeletion",
        CustomKeyStoreId: STORE,
        DeletionDate: new Date(NOW + 10 * DAY),
      },
    }));
    const d = deps(tf());
    const r = await runTeardown(devOptions({ execute: true, yes: true }), d);
    expect(r.outcome).toBe("waiting");
    expect(m.scheduler.commandCalls(UpdateScheduleCommand)).toHaveLength(2);
    expect(m.cloudhsm.commandCalls(CreateHsmCommand)).toHaveLength(2);
    expect(w.store).toBe("CONNECTED");
    expect(d.lines.join("\n")).not.toContain("WARNING key store");
    expect(m.kms.commandCalls(ScheduleKeyDeletionCommand)).toHaveLength(0);
  });

  test("a scale-up that does not finish within the run's wait stops WAITING with no key scheduled; a refused CreateHsm stops REFUSED", async () => {
    const w = world(false);
    schedules(scheduleOf("down"), scheduleOf("up"));
    m.cloudhsm.on(CreateHsmCommand).callsFake((input: { AvailabilityZone: string }) => {
      const h = {
        HsmId: "hsm-slowslowslo",
        AvailabilityZone: input.AvailabilityZone,
        State: "CREATE_IN_PROGRESS",
        ClusterId: CLUSTER,
      };
      w.hsms.push(h);
      return { Hsm: h };
    });
    const d = deps(tf());
    const r = await runTeardown(devOptions({ execute: true, yes: true }), d);
    expect(r.outcome).toBe("waiting");
    expect(d.lines.at(-1)).toMatch(
      new RegExp(
        `^WAITING: scale-up of cluster ${CLUSTER} is not done yet \\(.*\\); no key was scheduled for deletion; run the teardown again to continue$`,
      ),
    );
    expect(m.kms.commandCalls(ScheduleKeyDeletionCommand)).toHaveLength(0);
    expect(m.kms.commandCalls(DisableKeyCommand)).toHaveLength(0);

    m = mocks();
    world(false);
    schedules(scheduleOf("down"), scheduleOf("up"));
    m.cloudhsm
      .on(CreateHsmCommand)
      .rejects(Object.assign(new Error("HSM quota exceeded"), { name: "CloudHsmInvalidRequestException" }));
    const d2 = deps(tf());
    const r2 = await runTeardown(devOptions({ execute: true, yes: true }), d2);
    expect(r2).toEqual({ outcome: "refused", exitCode: 1 });
    expect(d2.lines.at(-1)).toMatch(
      new RegExp(`^REFUSED: scale-up of cluster ${CLUSTER} failed: .*HSM quota exceeded`),
    );
    expect(d2.lines.at(-1)).toContain("no key was scheduled for deletion");
    expect(m.kms.commandCalls(ScheduleKeyDeletionCommand)).toHaveLength(0);
  });

  test("AccessDenied on GetSchedule in a dry run: exit 1 with the same message", async () => {
    world(true);
    m.scheduler.on(GetScheduleCommand).rejects(Object.assign(new Error("denied"), { name: "AccessDeniedException" }));
    const d = deps(tf());
    const r = await runTeardown(devOptions(), d);
    expect(r.exitCode).toBe(1);
    expect(d.lines.at(-1)).toMatch(
      /^REFUSED: EventBridge Scheduler refused GetSchedule on schedule dev-cloudhsm-scale\/dev-cloudhsm-down-1 \(AccessDeniedException: denied\)/,
    );
  });

  test("the keys stack's Terraform phase deletes the schedules and has no HSM resource to forget (hook-owned HSMs)", async () => {
    world(false);
    schedules(scheduleOf("down"), scheduleOf("up"));
    const d = deps(tf());
    await runTeardown(devOptions(), d);
    const at = d.lines.findIndex((l) => l.startsWith("  would run the guarded Terraform phase of dev-keys"));
    expect(d.lines[at]).toMatch(/delete 2, forget 3$/);
    expect(d.lines.slice(at + 1, at + 6)).toEqual([
      "    delete aws_scheduler_schedule.scale-to-zero_down-1",
      "    delete aws_scheduler_schedule.scale-to-zero_up-1",
      "    forget aws_kms_key.records (pending deletion through ScheduleKeyDeletion (prevent_destroy; last use checked; alarm on use))",
      "    forget aws_kms_custom_key_store.store (deleted through the API after its keys (the provider's delete ignores API errors))",
      "    forget aws_cloudhsm_v2_cluster.cluster (deleted through the API after its HSMs and its key store)",
    ]);
  });
});

describe("the schedules in the keys stack's state", () => {
  test("terraform state pull keeps each schedule's name and group (and no target input); stateSchedules reads them", () => {
    const doc = {
      version: 4,
      resources: [
        {
          mode: "managed",
          type: "aws_scheduler_schedule",
          name: "scale-to-zero_up-1",
          instances: [
            {
              attributes: {
                id: `${GROUP}/dev-cloudhsm-up-1`,
                name: "dev-cloudhsm-up-1",
                group_name: GROUP,
                arn: `arn:aws:scheduler:eu-west-1:111111111111:schedule/${GROUP}/dev-cloudhsm-up-1`,
                state: "ENABLED",
                target: [{ arn: FN, role_arn: ROLE, input: "{}" }],
              },
            },
          ],
        },
      ],
    };
    const rs = stateResources(doc);
    expect(rs).toEqual([
      {
        address: "aws_scheduler_schedule.scale-to-zero_up-1",
        type: "aws_scheduler_schedule",
        values: {
          id: `${GROUP}/dev-cloudhsm-up-1`,
          name: "dev-cloudhsm-up-1",
          group_name: GROUP,
          arn: `arn:aws:scheduler:eu-west-1:111111111111:schedule/${GROUP}/dev-cloudhsm-up-1`,
        },
      },
    ]);
    expect(stateSchedules(rs)).toEqual([
      {
        address: "aws_scheduler_schedule.scale-to-zero_up-1",
        name: "dev-cloudhsm-up-1",
        group: GROUP,
        arn: `arn:aws:scheduler:eu-west-1:111111111111:schedule/${GROUP}/dev-cloudhsm-up-1`,
      },
    ]);
  });
});
