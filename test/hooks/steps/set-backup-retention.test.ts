import { DescribeClustersCommand, ModifyClusterCommand } from "@aws-sdk/client-cloudhsm-v2";
import { setBackupRetention } from "../../../hooks/steps/set-backup-retention";
import { runCli } from "../../../hooks/cli";
import { createHandler } from "../../../hooks/lambda";
import { awsError, clusterOutput, cloudhsmMock, IDS, networkError, runtime, thrown } from "../helpers";

const cloudhsm = cloudhsmMock();
const withRetention = (state: string, days?: string) => {
  const out = clusterOutput(state, [["ACTIVE", "eu-west-1a", "10.0.1.10"]]);
  if (days) out.Clusters[0].BackupRetentionPolicy = { Type: "DAYS", Value: days };
  return out;
};
const input = (rt = runtime(), days = 30) => ({
  ...rt,
  clients: { cloudhsm: cloudhsm as never },
  clusterId: IDS.clusterId,
  days,
});

beforeEach(() => cloudhsm.reset());

test("sets the retention with ModifyCluster when the cluster keeps backups for another period", async () => {
  cloudhsm.on(DescribeClustersCommand).resolves(withRetention("UNINITIALIZED", "90"));
  cloudhsm.on(ModifyClusterCommand).resolves({});
  const rt = runtime();
  const result = await setBackupRetention(input(rt));
  expect(result).toMatchObject({ status: "DONE", state: "30 days" });
  expect(
    cloudhsm.commandCalls(ModifyClusterCommand).map((c: { args: [{ input: unknown }] }) => c.args[0].input),
  ).toEqual([{ ClusterId: IDS.clusterId, BackupRetentionPolicy: { Type: "DAYS", Value: "30" } }]);
  expect(rt.lines).toEqual([
    "[set-backup-retention cluster-abcdefghijk] backups kept for 90 days at 0s",
    "[set-backup-retention cluster-abcdefghijk] backups kept for 90 days -> backups kept for 30 days after 0s",
  ]);
});

test("re-run after success calls nothing but DescribeClusters", async () => {
  cloudhsm.on(DescribeClustersCommand).resolves(withRetention("ACTIVE", "30"));
  const rt = runtime();
  expect(await setBackupRetention(input(rt))).toMatchObject({ status: "ALREADY_DONE", state: "30 days" });
  expect(cloudhsm.commandCalls(ModifyClusterCommand)).toHaveLength(0);
  expect(rt.lines).toContain("[set-backup-retention cluster-abcdefghijk] already done");
});

test("converges through throttling and a network error", async () => {
  cloudhsm.on(DescribeClustersCommand).rejectsOnce(networkError()).resolves(withRetention("UNINITIALIZED"));
  cloudhsm.on(ModifyClusterCommand).rejectsOnce(awsError("ThrottlingException", "Rate exceeded")).resolves({});
  expect(await setBackupRetention(input())).toMatchObject({ status: "DONE" });
  expect(cloudhsm.commandCalls(ModifyClusterCommand)).toHaveLength(2);
});

test("access denied stops at once with the action to take", async () => {
  cloudhsm.on(DescribeClustersCommand).resolves(withRetention("UNINITIALIZED"));
  cloudhsm
    .on(ModifyClusterCommand)
    .rejects(awsError("CloudHsmAccessDeniedException", "not authorized to perform cloudhsm:ModifyCluster"));
  const err = await thrown(() => setBackupRetention(input()));
  expect(err.message).toBe(
    "[set-backup-retention cluster-abcdefghijk] CloudHsmAccessDeniedException: ModifyCluster failed: not authorized to perform cloudhsm:ModifyCluster. Next: grant the hook role the cloudhsm action named above (see hooks/README.md, IAM per step)",
  );
  expect(cloudhsm.commandCalls(ModifyClusterCommand)).toHaveLength(1);
});

test("a retention outside 7-379 days is refused before any call", async () => {
  const err = await thrown(() => setBackupRetention(input(runtime(), 400)));
  expect(err.message).toBe(
    "[set-backup-retention cluster-abcdefghijk] InvalidInput: backup retention 400 days is not allowed. Next: pass --days between 7 and 379 (CloudHSM BackupRetentionPolicy)",
  );
  expect(cloudhsm.calls()).toHaveLength(0);
});

test("both runners pass the days through: CLI flag --days, Lambda input as the string Terraform sends", async () => {
  cloudhsm.on(DescribeClustersCommand).resolves(withRetention("UNINITIALIZED", "90"));
  cloudhsm.on(ModifyClusterCommand).resolves({});
  const clients = () => ({ cloudhsm }) as never;
  const out: string[] = [];
  const code = await runCli(
    ["set-backup-retention", "--region", IDS.region, "--cluster-id", IDS.clusterId, "--days", "45"],
    { clients, stdout: (l) => out.push(l), stderr: () => undefined },
  );
  expect(code).toBe(0);
  expect(out).toEqual([expect.stringMatching(/^set-backup-retention: done \(45 days\) in /)]);
  const handler = createHandler({ clients, sink: () => undefined });
  await handler(
    { step: "set-backup-retention", region: IDS.region, clusterId: IDS.clusterId, days: "60" as unknown as number },
    { getRemainingTimeInMillis: () => 900_000 },
  );
  expect(
    cloudhsm
      .commandCalls(ModifyClusterCommand)
      .map(
        (c: { args: [{ input: { BackupRetentionPolicy: { Value: string } } }] }) =>
          c.args[0].input.BackupRetentionPolicy.Value,
      ),
  ).toEqual(["45", "60"]);
});
