/**
 * The teardown of dev against moto (an AWS emulator on loopback), with the real Terraform and the
 * local provider mirror. The jest global setup applies dev's two stacks into a moto of their own in
 * the background, with objects written to the bucket, then runs `teardown --execute` to where AWS
 * must wait (the keys' pending window) and a re-run that resumes (tools/emulator/teardown-fixture.ts:
 * it all runs while the unit suites do). Here both runs' output and what moto then holds are checked.
 *
 * What moto does not emulate, listed rather than faked (docs/emulator.md):
 * - GetKeyLastUsage (KMS 2026): moto has no such action, so the run reads "last use unknown" and
 *   needs --force here;
 * - the end of a key's pending window: moto keeps a key PendingDeletion for ever (no clock API in
 *   moto 5, and KMS refuses windows under 7 days), so the last phase (alarm removal once KMS has
 *   deleted the keys) is proven with mocked clients only;
 * - custom key stores and CloudHSM HSMs (dev has neither; the mocked-client tests cover them);
 * - GetEbsDefaultKmsKeyId (HTTP 500 in moto 5.2.1): dev's `aws_ebs_default_kms_key` is left out of
 *   the apply, so the reset of the EBS default key is proven with mocked clients only;
 * - bucket policy enforcement over plain HTTP: see tools/emulator/teardown-fixture.ts.
 */
import { environments } from "../../environments";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient, DescribeMetricFiltersCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DescribeVpcsCommand } from "@aws-sdk/client-ec2";
import { DescribeKeyCommand } from "@aws-sdk/client-kms";
import { ListBucketsCommand } from "@aws-sdk/client-s3";
import {
  TEARDOWN_BUCKET as BUCKET,
  TEARDOWN_LOG_GROUP,
  type TeardownFixture,
} from "../../tools/emulator/teardown-fixture";
import { createOpsClients, destroyOpsClients } from "../../tools/ops/clients";
import { PENDING_DELETION_FILTER } from "../../tools/ops/teardown-steps/alarm";
import { teardownFixture, teardownFixtureSkipReason } from "../helpers/emulator";
import { attachMoto, withEnv, type Moto } from "../helpers/moto";

const skip = teardownFixtureSkipReason();
if (skip) console.warn(`teardown against moto skipped: ${skip}`);

(skip ? describe.skip : describe)("teardown of dev against moto", () => {
  let moto: Moto;
  let fixture: TeardownFixture;
  // Every KMS key dev's keys stack makes (its keys, signing keys and HMAC keys; dev has no alarm topic key).
  const dev = environments.dev;
  const DEV_KEYS = [dev.keys, dev.signingKeys ?? {}, dev.macKeys ?? {}].reduce((n, k) => n + Object.keys(k).length, 0);

  beforeAll(async () => {
    fixture = await teardownFixture();
    moto = attachMoto(fixture.endpoint, fixture.pid, fixture.region);
  }, 740_000);

  test("runs to the keys' pending window: bucket emptied and deleted, keys disabled and pending behind AWS's alarm, both stacks' state empty; a re-run resumes and waits", async () => {
    // Both runs happened in the background (tools/emulator/teardown-fixture.ts); the second changes nothing in AWS.
    const [first, second] = fixture.runs;
    const lines = first.lines;
    expect({ first: { outcome: first.outcome, exitCode: first.exitCode }, tail: lines.slice(-3) }).toMatchObject({
      first: { outcome: "waiting", exitCode: 3 },
    });
    expect(lines).toContain(`  bucket ${BUCKET}: holds 3 object version(s) and delete marker(s)`);
    expect(lines.some((l) => /^ {2}key [0-9a-f-]{36}: last use unknown \(GetKeyLastUsage failed with /.test(l))).toBe(
      true,
    );
    expect(lines).toContain("  applied: dev-data deleted 6, forgot 1");
    expect(
      lines.filter((l) => /^ {2}key [0-9a-f-]{36}: disabled, deletion scheduled for \d{4}-\d{2}-\d{2}/.test(l)),
    ).toHaveLength(DEV_KEYS);

    await withEnv(moto.env, async () => {
      const ops = createOpsClients("eu-west-1");
      const logs = new CloudWatchLogsClient({ region: "eu-west-1" });
      try {
        // What moto now holds.
        expect((await ops.s3.send(new ListBucketsCommand({}))).Buckets ?? []).toEqual([]);
        expect(
          (await ops.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: "tag:Stack", Values: ["dev-keys"] }] })))
            .Vpcs ?? [],
        ).toEqual([]);
        const keyIds = lines
          .map((l) => /^ {2}key ([0-9a-f-]{36}): disabled/.exec(l)?.[1])
          .filter((x): x is string => !!x);
        for (const id of keyIds)
          expect((await ops.kms.send(new DescribeKeyCommand({ KeyId: id }))).KeyMetadata?.KeyState).toBe(
            "PendingDeletion",
          );
        const alarms = await ops.cloudwatch.send(
          new DescribeAlarmsCommand({ AlarmNames: ["cmk-stacks-dev-kms-key-pending-deletion-use"] }),
        );
        expect(alarms.MetricAlarms?.[0]).toMatchObject({
          MetricName: "KMSKeyPendingDeletionErrorCount",
          Namespace: "CloudTrailLogMetrics",
          Threshold: 1,
        });
        const filters = await logs.send(new DescribeMetricFiltersCommand({ logGroupName: TEARDOWN_LOG_GROUP }));
        expect(filters.metricFilters?.[0]?.filterPattern).toBe(PENDING_DELETION_FILTER);
        // Both stacks' state as Terraform left it (the local backend's files the deploy and the teardown
        // used): no resource. The second run read it through the teardown's own Terraform runner too
        // (`terraform state pull`, "nothing left" for both stacks below): no further Terraform run here.
        for (const stack of ["dev-data", "dev-keys"]) {
          const state = JSON.parse(readFileSync(join(fixture.root, "state", `${stack}.tfstate`), "utf8")) as {
            resources: unknown[];
          };
          expect([stack, state.resources]).toEqual([stack, []]);
        }
      } finally {
        destroyOpsClients(ops);
        logs.destroy();
      }
    });

    // The re-run resumed from AWS's state: nothing left to do but wait; the keys come from the alarm's tags.
    expect(second.outcome).toBe("waiting");
    // Each key once in the keys phase and once in the last phase's wait.
    expect(second.lines.filter((l) => l.includes("(no longer in Terraform state)): pending deletion"))).toHaveLength(
      2 * DEV_KEYS,
    );
    // Both stacks (the data phase and the keys phase), read through the teardown's Terraform runner.
    expect(second.lines.filter((l) => l === "  nothing left in its Terraform state")).toHaveLength(2);
    expect(second.lines.at(-1)).toMatch(
      new RegExp(
        `^WAITING: ${DEV_KEYS} key\\(s\\) pending deletion; KMS deletes the last on \\d{4}-\\d{2}-\\d{2} \\(up to 24 h later\\); the alarm cmk-stacks-dev-kms-key-pending-deletion-use reports any use meanwhile; run the teardown again on or after \\d{4}-\\d{2}-\\d{2}$`,
      ),
    );
  });
});
