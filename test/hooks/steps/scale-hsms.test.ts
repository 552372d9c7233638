/**
 * Scale to zero, step by step against mocked clients that keep state (CloudHSM HSMs and backups, the
 * KMS store's connection): ensure-hsms, scale-down, scale-up, with the documented errors.
 */
import { mockClient } from "aws-sdk-client-mock";
import {
  ConnectCustomKeyStoreCommand,
  DescribeCustomKeyStoresCommand,
  DisconnectCustomKeyStoreCommand,
  KMSClient,
} from "@aws-sdk/client-kms";
import {
  CreateHsmCommand,
  DeleteHsmCommand,
  DescribeBackupsCommand,
  DescribeClustersCommand,
} from "@aws-sdk/client-cloudhsm-v2";
import { ensureHsms, missingAzs, scaleDown, scaleUp } from "../../../hooks/steps/scale-hsms";
import { createHandler } from "../../../hooks/lambda";
import { VirtualClock } from "../../../hooks/lib/clock";
import { runCli } from "../../../hooks/cli";
import { awsError, cloudhsmMock, IDS, runtime, thrown } from "../helpers";

const kms = mockClient(KMSClient);
const cloudhsm = cloudhsmMock();

interface FakeHsm {
  HsmId: string;
  AvailabilityZone: string;
  State: string;
}
interface FakeBackup {
  BackupId: string;
  BackupState: string;
  ClusterId: string;
  CreateTimestamp: Date;
}

/** The account as the mocks see it; every describe moves transient states on by one step. */
let hsms: FakeHsm[];
let backupList: FakeBackup[];
let storeState: string;
let storeCluster: string;
/** Every mutating call in order, for the order assertions. */
let calls: string[];
let nextHsm = 0;

function advance(): void {
  // A deleting HSM is gone at the next describe; a creating one is ACTIVE.
  hsms = hsms
    .filter((h) => h.State !== "DELETE_IN_PROGRESS")
    .map((h) => (h.State === "CREATE_IN_PROGRESS" ? { ...h, State: "ACTIVE" } : h));
}

function install(): void {
  cloudhsm.on(DescribeClustersCommand).callsFake(() => {
    const out = {
      Clusters: [
        { ClusterId: IDS.clusterId, State: "ACTIVE", Hsms: hsms.map((h) => ({ ...h, ClusterId: IDS.clusterId })) },
      ],
    };
    advance();
    return out;
  });
  cloudhsm.on(CreateHsmCommand).callsFake((input: { AvailabilityZone: string }) => {
    calls.push(`CreateHsm ${input.AvailabilityZone}`);
    const hsm = {
      HsmId: `hsm-new${nextHsm++}abcdefg`,
      AvailabilityZone: input.AvailabilityZone,
      State: "CREATE_IN_PROGRESS",
    };
    hsms.push(hsm);
    return { Hsm: hsm };
  });
  cloudhsm.on(DeleteHsmCommand).callsFake((input: { HsmId: string }) => {
    calls.push(`DeleteHsm ${input.HsmId}`);
    hsms = hsms.map((h) => (h.HsmId === input.HsmId ? { ...h, State: "DELETE_IN_PROGRESS" } : h));
    // DeleteHsm takes a backup first.
    backupList.push({
      BackupId: `backup-del${backupList.length}abcdefg`,
      BackupState: "CREATE_IN_PROGRESS",
      ClusterId: IDS.clusterId,
      CreateTimestamp: new Date(Date.UTC(2026, 11, 7, 19)),
    });
    return { HsmId: input.HsmId };
  });
  cloudhsm.on(DescribeBackupsCommand).callsFake((input: { Filters: { states: string[] } }) => {
    calls.push(`DescribeBackups ${input.Filters.states.join(",")}`);
    const out = { Backups: backupList.filter((b) => input.Filters.states.includes(b.BackupState)) };
    backupList = backupList.map((b) => (b.BackupState === "CREATE_IN_PROGRESS" ? { ...b, BackupState: "READY" } : b));
    return out;
  });
  kms.on(DescribeCustomKeyStoresCommand).callsFake(() => {
    const out = {
      CustomKeyStores: [
        {
          CustomKeyStoreId: IDS.keyStoreId,
          CustomKeyStoreType: "AWS_CLOUDHSM",
          CloudHsmClusterId: storeCluster,
          ConnectionState: storeState,
        },
      ],
    };
    if (storeState === "DISCONNECTING") storeState = "DISCONNECTED";
    if (storeState === "CONNECTING") storeState = "CONNECTED";
    return out;
  });
  kms.on(DisconnectCustomKeyStoreCommand).callsFake(() => {
    calls.push("DisconnectCustomKeyStore");
    storeState = "DISCONNECTING";
    return {};
  });
  kms.on(ConnectCustomKeyStoreCommand).callsFake(() => {
    calls.push("ConnectCustomKeyStore");
    storeState = "CONNECTING";
    return {};
  });
}

const active = (az: string, n = 0): FakeHsm => ({
  HsmId: `hsm-old${n}abcdefghij`,
  AvailabilityZone: az,
  State: "ACTIVE",
});
const readyBackup = (): FakeBackup => ({
  BackupId: "backup-dailyabcdefg",
  BackupState: "READY",
  ClusterId: IDS.clusterId,
  CreateTimestamp: new Date(Date.UTC(2026, 11, 7, 3)),
});

beforeEach(() => {
  kms.reset();
  cloudhsm.reset();
  hsms = [];
  backupList = [readyBackup()];
  storeState = "CONNECTED";
  storeCluster = IDS.clusterId;
  calls = [];
  nextHsm = 0;
  install();
});

const clients = () => ({ kms: kms as never, cloudhsm: cloudhsm as never });
const AZS = ["eu-west-1a", "eu-west-1b"];

describe("missingAzs", () => {
  test("counts live HSMs AZ by AZ (an AZ listed twice needs two); deleting ones do not count", () => {
    const cluster = {
      Hsms: [
        { HsmId: "hsm-aaaaaaaaaaa", AvailabilityZone: "eu-west-1a", State: "ACTIVE" },
        { HsmId: "hsm-bbbbbbbbbbb", AvailabilityZone: "eu-west-1b", State: "DELETE_IN_PROGRESS" },
        { HsmId: "hsm-ccccccccccc", AvailabilityZone: "eu-west-1c", State: "CREATE_IN_PROGRESS" },
      ],
    };
    expect(missingAzs(["eu-west-1a", "eu-west-1a", "eu-west-1b", "eu-west-1c"], cluster)).toEqual([
      "eu-west-1a",
      "eu-west-1b",
    ]);
  });
});

describe("ensure-hsms", () => {
  test("no HSM: the first alone, ACTIVE, then the others; DONE", async () => {
    const rt = runtime();
    const result = await ensureHsms({ ...rt, clients: clients(), clusterId: IDS.clusterId, hsmAzs: AZS });
    expect(result.status).toBe("DONE");
    expect(calls).toEqual(["CreateHsm eu-west-1a", "CreateHsm eu-west-1b"]);
    expect(hsms.map((h) => [h.AvailabilityZone, h.State])).toEqual([
      ["eu-west-1a", "ACTIVE"],
      ["eu-west-1b", "ACTIVE"],
    ]);
    // The second CreateHsm came only after the first HSM was seen ACTIVE.
    expect(rt.lines.join("\n")).toMatch(/ACTIVE, 1\/1 HSMs ACTIVE[\s\S]*CreateHsm in eu-west-1b/);
  });

  test("an AZ outside the cluster's subnets: refused before any HSM is created (never a half-created set)", async () => {
    cloudhsm.on(DescribeClustersCommand).resolves({
      Clusters: [
        {
          ClusterId: IDS.clusterId,
          State: "ACTIVE",
          Hsms: [],
          SubnetMapping: { "eu-west-1a": "subnet-0a1b2c3d4e5f60001", "eu-west-1b": "subnet-0a1b2c3d4e5f60002" },
        },
      ],
    });
    const err = await thrown(() =>
      ensureHsms({ ...runtime(), clients: clients(), clusterId: IDS.clusterId, hsmAzs: ["eu-west-1a", "eu-west-1c"] }),
    );
    expect(err.message).toBe(
      `[ensure-hsms ${IDS.clusterId}] InvalidInput: --hsm-azs eu-west-1c: cluster ${IDS.clusterId} has no subnet there (its AZs: eu-west-1a, eu-west-1b). Next: list only AZs of the cluster's subnets in cloudHsm.hsmAzs (a cluster's subnets cannot change); nothing was created`,
    );
    expect(calls).toEqual([]);
  });

  test("every HSM ACTIVE already: ALREADY_DONE, no CreateHsm", async () => {
    hsms = [active("eu-west-1a", 0), active("eu-west-1b", 1)];
    const result = await ensureHsms({ ...runtime(), clients: clients(), clusterId: IDS.clusterId, hsmAzs: AZS });
    expect(result.status).toBe("ALREADY_DONE");
    expect(calls).toEqual([]);
  });

  test("an HSM still DELETE_IN_PROGRESS (a scale-down finishing): waits for it before creating", async () => {
    hsms = [{ HsmId: "hsm-goneabcdefghij", AvailabilityZone: "eu-west-1a", State: "DELETE_IN_PROGRESS" }];
    const rt = runtime();
    await ensureHsms({ ...rt, clients: clients(), clusterId: IDS.clusterId, hsmAzs: AZS });
    expect(rt.lines.join("\n")).toMatch(/0\/1 HSMs ACTIVE[\s\S]*CreateHsm in eu-west-1a/);
    expect(calls).toEqual(["CreateHsm eu-west-1a", "CreateHsm eu-west-1b"]);
  });

  test("CreateHsm refused (CloudHsmInvalidRequestException, e.g. the HSM quota): a one-line error with the next action", async () => {
    cloudhsm.on(CreateHsmCommand).rejects(awsError("CloudHsmInvalidRequestException", "HSM quota reached"));
    const err = await thrown(() =>
      ensureHsms({ ...runtime(), clients: clients(), clusterId: IDS.clusterId, hsmAzs: AZS }),
    );
    expect(err.message).toContain("CreateHsm failed: HSM quota reached");
    expect(err.message).toContain("read the message");
  });

  test("CreateHsm that fails after AWS acted (a 500, a lost answer): the cluster is read, the call is not sent again", async () => {
    hsms = [active("eu-west-1a", 0)];
    cloudhsm.on(CreateHsmCommand).callsFake((input: { AvailabilityZone: string }) => {
      calls.push(`CreateHsm ${input.AvailabilityZone}`);
      hsms.push({
        HsmId: `hsm-new${nextHsm++}abcdefg`,
        AvailabilityZone: input.AvailabilityZone,
        State: "CREATE_IN_PROGRESS",
      });
      throw awsError("CloudHsmInternalFailureException", "internal failure", 500);
    });
    const rt = runtime();
    const result = await ensureHsms({ ...rt, clients: clients(), clusterId: IDS.clusterId, hsmAzs: AZS });
    expect(result.status).toBe("DONE");
    expect(calls).toEqual(["CreateHsm eu-west-1b"]);
    expect(hsms.filter((h) => h.AvailabilityZone === "eu-west-1b")).toHaveLength(1);
    expect(rt.lines.join("\n")).toContain("CreateHsm had taken effect despite the error: not sent again");
  });

  test("CreateHsm throttled: sent again (a throttled request was refused, nothing was created)", async () => {
    hsms = [active("eu-west-1a", 0)];
    let first = true;
    cloudhsm.on(CreateHsmCommand).callsFake((input: { AvailabilityZone: string }) => {
      calls.push(`CreateHsm ${input.AvailabilityZone}`);
      if (first) {
        first = false;
        throw awsError("ThrottlingException", "Rate exceeded");
      }
      hsms.push({
        HsmId: `hsm-new${nextHsm++}abcdefg`,
        AvailabilityZone: input.AvailabilityZone,
        State: "CREATE_IN_PROGRESS",
      });
      return {};
    });
    await ensureHsms({ ...runtime(), clients: clients(), clusterId: IDS.clusterId, hsmAzs: AZS });
    expect(calls).toEqual(["CreateHsm eu-west-1b", "CreateHsm eu-west-1b"]);
    expect(hsms.filter((h) => h.AvailabilityZone === "eu-west-1b")).toHaveLength(1);
  });

  test("CreateHsm denied (CloudHsmAccessDeniedException): names the grant", async () => {
    cloudhsm.on(CreateHsmCommand).rejects(awsError("CloudHsmAccessDeniedException", "not authorized"));
    const err = await thrown(() =>
      ensureHsms({ ...runtime(), clients: clients(), clusterId: IDS.clusterId, hsmAzs: AZS }),
    );
    expect(err.message).toContain("grant the hook role the cloudhsm action");
  });

  test("a DEGRADED HSM: the action replaces it through the step, not through Terraform (which owns no HSM here)", async () => {
    hsms = [
      active("eu-west-1a", 0),
      { HsmId: "hsm-sickabcdefghij", AvailabilityZone: "eu-west-1b", State: "DEGRADED" },
    ];
    const err = await thrown(() =>
      ensureHsms({ ...runtime(), clients: clients(), clusterId: IDS.clusterId, hsmAzs: AZS }),
    );
    expect(err.message).toBe(
      `[ensure-hsms ${IDS.clusterId}] ClusterDegraded: cluster ${IDS.clusterId} is DEGRADED (HSM hsm-sickabcdefghij in eu-west-1b: no message). Next: delete the degraded HSM (aws cloudhsmv2 delete-hsm --cluster-id ${IDS.clusterId} --hsm-id hsm-sickabcdefghij), wait until it is gone, then re-run: the step creates what is missing (Terraform owns no HSM of a scale-to-zero cluster)`,
    );
    expect(calls).toEqual([]);
  });

  test("HSMs that never become ACTIVE: TIMEOUT at the budget, naming the state", async () => {
    cloudhsm.on(DescribeClustersCommand).resolves({
      Clusters: [
        {
          ClusterId: IDS.clusterId,
          State: "ACTIVE",
          Hsms: [{ HsmId: "hsm-slowabcdefghij", AvailabilityZone: "eu-west-1a", State: "CREATE_IN_PROGRESS" }],
        },
      ],
    });
    const err = await thrown(() =>
      ensureHsms({ ...runtime(5), clients: clients(), clusterId: IDS.clusterId, hsmAzs: AZS }),
    );
    expect(err.message).toMatch(/TIMEOUT|still .*0\/1 HSMs ACTIVE/);
  });
});

describe("scale-down", () => {
  const run = (rt = runtime()) =>
    scaleDown({ ...rt, clients: clients(), clusterId: IDS.clusterId, keyStoreId: IDS.keyStoreId });

  test("READY backup confirmed, then disconnect, then every HSM deleted; waits until none is left and the DeleteHsm backup is READY", async () => {
    hsms = [active("eu-west-1a", 0), active("eu-west-1b", 1)];
    const rt = runtime();
    const result = await run(rt);
    expect(result.status).toBe("DONE");
    expect(calls.filter((c) => !c.startsWith("DescribeBackups CREATE"))).toEqual([
      "DescribeBackups READY",
      "DisconnectCustomKeyStore",
      "DeleteHsm hsm-old0abcdefghij",
      // The last HSM goes only once the backup the first DeleteHsm took is READY.
      "DescribeBackups READY",
      "DescribeBackups READY",
      "DeleteHsm hsm-old1abcdefghij",
      "DescribeBackups READY",
    ]);
    expect(rt.lines.join("\n")).toContain(
      "backup backup-del1abcdefg READY: it holds every key of the disconnected store",
    );
    expect(hsms).toEqual([]);
    expect(storeState).toBe("DISCONNECTED");
    expect(result.state).toBe("0 HSMs, key store DISCONNECTED, newest READY backup backup-del1abcdefg");
    expect(rt.lines.join("\n")).toContain("KMS refuses its keys (KMSInvalidStateException) until scale-up");
  });

  test("the backup DeleteHsm takes never becomes READY: TIMEOUT with the last HSM kept, so no key is lost", async () => {
    hsms = [active("eu-west-1a", 0), active("eu-west-1b", 1)];
    // DeleteHsm accepted, but no backup of it ever shows up READY.
    cloudhsm.on(DeleteHsmCommand).callsFake((i: { HsmId: string }) => {
      calls.push(`DeleteHsm ${i.HsmId}`);
      hsms = hsms.map((h) => (h.HsmId === i.HsmId ? { ...h, State: "DELETE_IN_PROGRESS" } : h));
      return { HsmId: i.HsmId };
    });
    const err = await thrown(() => run(runtime(20)));
    expect(err.message).toMatch(
      /^\[scale-down cluster-abcdefghijk\] TIMEOUT: still no new READY backup after 20m\d*s? waiting for a READY backup taken by DeleteHsm\. Next: the last HSM \(hsm-old1abcdefghij\) is kept, so no key is lost: check the cluster's backups in the CloudHSM console, then re-run scale-down \(or scale-up to bring the store back\)$/,
    );
    expect(calls.filter((c) => c.startsWith("DeleteHsm"))).toEqual(["DeleteHsm hsm-old0abcdefghij"]);
    expect(hsms.filter((h) => h.State === "ACTIVE").map((h) => h.HsmId)).toEqual(["hsm-old1abcdefghij"]);
  });

  test("a single HSM whose DeleteHsm backup never becomes READY: not reported done, the older backup's gap named", async () => {
    hsms = [active("eu-west-1a", 0)];
    cloudhsm.on(DeleteHsmCommand).callsFake((i: { HsmId: string }) => {
      calls.push(`DeleteHsm ${i.HsmId}`);
      hsms = hsms.map((h) => (h.HsmId === i.HsmId ? { ...h, State: "DELETE_IN_PROGRESS" } : h));
      return { HsmId: i.HsmId };
    });
    const err = await thrown(() => run(runtime(20)));
    expect(err.message).toContain("TIMEOUT: still no new READY backup after 20m");
    expect(err.message).toContain(
      "Next: the HSM is deleted and its backup is not READY: check the cluster's backups in the CloudHSM console before scale-up (it restores the newest READY backup, now backup-dailyabcdefg, which lacks keys created after 2026-12-07T03:00:00.000Z)",
    );
  });

  test("resumed with one HSM left while the earlier deletion's backup is still being made: that backup is READY before the last HSM goes", async () => {
    hsms = [active("eu-west-1b", 1)];
    storeState = "DISCONNECTED";
    backupList.push({
      BackupId: "backup-phaseoneabcd",
      BackupState: "CREATE_IN_PROGRESS",
      ClusterId: IDS.clusterId,
      CreateTimestamp: new Date(Date.UTC(2026, 11, 7, 19)),
    });
    // The backup stays CREATE_IN_PROGRESS for three describes.
    let describes = 0;
    cloudhsm.on(DescribeBackupsCommand).callsFake((input: { Filters: { states: string[] } }) => {
      calls.push(`DescribeBackups ${input.Filters.states.join(",")}`);
      const out = { Backups: backupList.filter((b) => input.Filters.states.includes(b.BackupState)) };
      if (++describes >= 3)
        backupList = backupList.map((b) =>
          b.BackupState === "CREATE_IN_PROGRESS" ? { ...b, BackupState: "READY" } : b,
        );
      return out;
    });
    await run();
    const deleteAt = calls.indexOf("DeleteHsm hsm-old1abcdefghij");
    expect(deleteAt).toBeGreaterThan(0);
    // The last poll before the DeleteHsm found no backup in progress.
    expect(
      calls.slice(0, deleteAt).filter((c) => c === "DescribeBackups CREATE_IN_PROGRESS").length,
    ).toBeGreaterThanOrEqual(2);
    expect(backupList.find((b) => b.BackupId === "backup-phaseoneabcd")?.BackupState).toBe("READY");
  });

  test("no READY backup: refused before anything changes (the store stays connected, no HSM deleted)", async () => {
    hsms = [active("eu-west-1a", 0), active("eu-west-1b", 1)];
    backupList = [];
    const err = await thrown(() => run());
    expect(err.message).toContain("NoReadyBackup");
    expect(err.message).toContain("has no READY backup: its HSMs are kept");
    expect(calls).toEqual(["DescribeBackups READY"]);
    expect(storeState).toBe("CONNECTED");
  });

  test("a cluster changing HSM type (UPDATE_IN_PROGRESS): refused before the store is disconnected, nothing changed", async () => {
    hsms = [active("eu-west-1a", 0), active("eu-west-1b", 1)];
    cloudhsm.on(DescribeClustersCommand).resolves({
      Clusters: [{ ClusterId: IDS.clusterId, State: "UPDATE_IN_PROGRESS", Hsms: hsms }],
    });
    const err = await thrown(() => run());
    expect(err.message).toBe(
      `[scale-down ${IDS.clusterId}] ClusterUPDATE_IN_PROGRESS: cluster ${IDS.clusterId} is UPDATE_IN_PROGRESS (an HSM type change: https://docs.aws.amazon.com/cloudhsm/latest/userguide/hsm1-to-hsm2-migration.html): its HSMs are kept and key store ${IDS.keyStoreId} stays CONNECTED. Next: re-run scale-down once the cluster is ACTIVE again (migrate-hsm-type waits for it); nothing was changed`,
    );
    expect(calls).toEqual([]);
    expect(storeState).toBe("CONNECTED");
  });

  test("a store on another cluster: refused, nothing changed", async () => {
    hsms = [active("eu-west-1a", 0), active("eu-west-1b", 1)];
    storeCluster = "cluster-zzzzzzzzzzz";
    const err = await thrown(() => run());
    expect(err.message).toContain("KeyStoreClusterMismatch");
    expect(err.message).toContain("is on cluster cluster-zzzzzzzzzzz, not cluster-abcdefghijk");
    expect(calls).toEqual([]);
  });

  test("DisconnectCustomKeyStore denied: no HSM deleted", async () => {
    hsms = [active("eu-west-1a", 0), active("eu-west-1b", 1)];
    kms.on(DisconnectCustomKeyStoreCommand).rejects(awsError("AccessDeniedException", "not authorized"));
    const err = await thrown(() => run());
    expect(err.message).toContain("DisconnectCustomKeyStore failed: not authorized");
    expect(err.message).toContain("no HSM was deleted");
    expect(calls.some((c) => c.startsWith("DeleteHsm"))).toBe(false);
  });

  test("DescribeBackups denied (CloudHsmAccessDeniedException): refused before the store is touched", async () => {
    hsms = [active("eu-west-1a", 0), active("eu-west-1b", 1)];
    cloudhsm.on(DescribeBackupsCommand).rejects(awsError("CloudHsmAccessDeniedException", "not authorized"));
    const err = await thrown(() => run());
    expect(err.message).toContain("DescribeBackups failed: not authorized");
    expect(err.message).toContain("grant the hook role the cloudhsm action");
    expect(calls).toEqual([]);
    expect(storeState).toBe("CONNECTED");
  });

  test("an unknown key store (CustomKeyStoreNotFoundException): refused, nothing changed", async () => {
    hsms = [active("eu-west-1a", 0), active("eu-west-1b", 1)];
    kms.on(DescribeCustomKeyStoresCommand).rejects(awsError("CustomKeyStoreNotFoundException", "no such store"));
    const err = await thrown(() => run());
    expect(err.message).toContain("CustomKeyStoreNotFoundException");
    expect(calls).toEqual([]);
  });

  test("a cluster that does not exist: ClusterNotFound, nothing changed", async () => {
    cloudhsm.on(DescribeClustersCommand).resolves({ Clusters: [] });
    const err = await thrown(() => run());
    expect(err.message).toContain(`cluster ${IDS.clusterId} does not exist in this account and Region`);
    expect(calls).toEqual([]);
  });

  test("DeleteHsm that fails after AWS acted (a 500): the HSM is seen deleting, the call is not sent again", async () => {
    hsms = [active("eu-west-1a", 0), active("eu-west-1b", 1)];
    let stamp = 19;
    cloudhsm.on(DeleteHsmCommand).callsFake((i: { HsmId: string }) => {
      calls.push(`DeleteHsm ${i.HsmId}`);
      hsms = hsms.map((h) => (h.HsmId === i.HsmId ? { ...h, State: "DELETE_IN_PROGRESS" } : h));
      backupList.push({
        BackupId: `backup-del${backupList.length}abcdefg`,
        BackupState: "CREATE_IN_PROGRESS",
        ClusterId: IDS.clusterId,
        CreateTimestamp: new Date(Date.UTC(2026, 11, 7, stamp++)),
      });
      throw awsError("CloudHsmInternalFailureException", "internal failure", 500);
    });
    const result = await run();
    expect(result.status).toBe("DONE");
    expect(calls.filter((c) => c.startsWith("DeleteHsm"))).toEqual([
      "DeleteHsm hsm-old0abcdefghij",
      "DeleteHsm hsm-old1abcdefghij",
    ]);
  });

  test("DeleteHsm refused (CloudHsmInvalidRequestException): mapped, one line", async () => {
    hsms = [active("eu-west-1a", 0), active("eu-west-1b", 1)];
    cloudhsm.on(DeleteHsmCommand).rejects(awsError("CloudHsmInvalidRequestException", "cluster busy"));
    const err = await thrown(() => run());
    expect(err.message).toContain("DeleteHsm failed: cluster busy");
  });

  test("already at zero and DISCONNECTED (a resumed or repeated run): ALREADY_DONE, no call that changes anything", async () => {
    storeState = "DISCONNECTED";
    const result = await run();
    expect(result.status).toBe("ALREADY_DONE");
    expect(calls.filter((c) => !c.startsWith("DescribeBackups"))).toEqual([]);
  });

  test("in the Lambda runner: a wait longer than the invocation yields IN_PROGRESS, the next invocation resumes", async () => {
    hsms = [active("eu-west-1a", 0), active("eu-west-1b", 1)];
    // Slow deletion: HSMs stay DELETE_IN_PROGRESS for a while.
    let polls = 0;
    cloudhsm.on(DescribeClustersCommand).callsFake(() => {
      polls++;
      const out = {
        Clusters: [{ ClusterId: IDS.clusterId, State: "ACTIVE", Hsms: hsms.map((h) => ({ ...h })) }],
      };
      if (polls > 6) hsms = hsms.filter((h) => h.State !== "DELETE_IN_PROGRESS");
      return out;
    });
    const clock = new VirtualClock(0);
    const handler = createHandler({ clients: () => clients() as never, clock, sink: () => undefined });
    const event = { step: "scale-down", region: IDS.region, clusterId: IDS.clusterId, keyStoreId: IDS.keyStoreId };
    // A short first invocation (1 minute left), then a full one.
    const first = await handler(event, { getRemainingTimeInMillis: () => 60_000 });
    expect(first).toMatchObject({ status: "IN_PROGRESS", step: "scale-down" });
    const second = await handler(event, { getRemainingTimeInMillis: () => 15 * 60_000 });
    expect(second).toMatchObject({ status: "DONE", step: "scale-down" });
    // Each HSM deleted once, even across invocations.
    expect(calls.filter((c) => c.startsWith("DeleteHsm"))).toHaveLength(2);
  });
});

describe("scale-up", () => {
  const run = (hsmAzs = AZS, rt = runtime()) =>
    scaleUp({ ...rt, clients: clients(), clusterId: IDS.clusterId, keyStoreId: IDS.keyStoreId, hsmAzs });

  test("from zero: the HSMs in both AZs (first alone), then the store connected", async () => {
    storeState = "DISCONNECTED";
    const result = await run();
    expect(result.status).toBe("DONE");
    expect(calls).toEqual(["CreateHsm eu-west-1a", "CreateHsm eu-west-1b", "ConnectCustomKeyStore"]);
    expect(storeState).toBe("CONNECTED");
    expect(result.state).toBe("2 HSMs ACTIVE, key store CONNECTED");
  });

  test("the store fails to connect (FAILED, INVALID_CREDENTIALS): the mapped action, after the HSMs were created", async () => {
    storeState = "DISCONNECTED";
    kms.on(ConnectCustomKeyStoreCommand).callsFake(() => {
      calls.push("ConnectCustomKeyStore");
      storeState = "FAILED";
      return {};
    });
    kms.on(DescribeCustomKeyStoresCommand).callsFake(() => ({
      CustomKeyStores: [
        {
          CustomKeyStoreId: IDS.keyStoreId,
          CustomKeyStoreType: "AWS_CLOUDHSM",
          CloudHsmClusterId: storeCluster,
          ConnectionState: storeState,
          ...(storeState === "FAILED" ? { ConnectionErrorCode: "INVALID_CREDENTIALS" } : {}),
        },
      ],
    }));
    const err = await thrown(() => run());
    expect(err.message).toContain("INVALID_CREDENTIALS");
    expect(err.message).toContain("reset-kmsuser-password");
    expect(calls.slice(0, 2)).toEqual(["CreateHsm eu-west-1a", "CreateHsm eu-west-1b"]);
  });

  test("already up: ALREADY_DONE, nothing created or connected", async () => {
    hsms = [active("eu-west-1a", 0), active("eu-west-1b", 1)];
    const result = await run();
    expect(result.status).toBe("ALREADY_DONE");
    expect(calls).toEqual([]);
  });

  test("fewer than 2 AZs: refused before any call (a key store needs 2 ACTIVE HSMs in 2 AZs)", async () => {
    const err = await thrown(() => run(["eu-west-1a", "eu-west-1a"]));
    expect(err.message).toContain("a key store needs at least 2 HSMs in 2 AZs");
    expect(calls).toEqual([]);
  });

  test("the store on another cluster: refused before any HSM is created", async () => {
    storeCluster = "cluster-zzzzzzzzzzz";
    const err = await thrown(() => run());
    expect(err.message).toContain("KeyStoreClusterMismatch");
    expect(calls).toEqual([]);
  });
});

describe("the command-line runner runs them too", () => {
  const cli = async (argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, {
      clients: () => clients() as never,
      clock: new VirtualClock(0),
      stdout: (l) => out.push(l),
      stderr: (l) => err.push(l),
    });
    return { code, out, err };
  };

  test("scale-up --hsm-azs: exit 0, HSMs created, store connected", async () => {
    storeState = "DISCONNECTED";
    const r = await cli([
      "scale-up",
      "--region",
      IDS.region,
      "--cluster-id",
      IDS.clusterId,
      "--key-store-id",
      IDS.keyStoreId,
      "--hsm-azs",
      "eu-west-1a,eu-west-1b",
    ]);
    expect(r.code).toBe(0);
    expect(calls).toEqual(["CreateHsm eu-west-1a", "CreateHsm eu-west-1b", "ConnectCustomKeyStore"]);
  });

  test("a malformed --hsm-azs is refused before any call, naming the flag's pattern", async () => {
    const r = await cli([
      "ensure-hsms",
      "--region",
      IDS.region,
      "--cluster-id",
      IDS.clusterId,
      "--hsm-azs",
      "eu-west-1a;rm",
    ]);
    expect(r.code).not.toBe(0);
    expect(r.err.join("\n")).toContain("'azList' value must match");
    expect(calls).toEqual([]);
  });

  test("scale-down without --key-store-id: refused, nothing deleted", async () => {
    hsms = [active("eu-west-1a", 0), active("eu-west-1b", 1)];
    const r = await cli(["scale-down", "--region", IDS.region, "--cluster-id", IDS.clusterId]);
    expect(r.code).not.toBe(0);
    expect(r.err.join("\n")).toContain("'--key-store-id' is required for scale-down");
    expect(calls).toEqual([]);
  });
});
