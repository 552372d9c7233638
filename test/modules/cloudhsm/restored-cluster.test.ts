/**
 * Restore (issue 21): a cluster restored by restore-key-store is imported at addresses of its own,
 * the replaced cluster and HSMs are forgotten (removed, destroy = false), nothing is replaced.
 */
import { HsmCluster, type HsmClusterProps, type RestoredCluster } from "../../../modules/cloudhsm/hsm-cluster";
import { NETWORK, all, errorLines, one, synth, testStack, type Synthesized } from "./stack";

type Blocks = Synthesized & {
  import?: { to: string; id: string }[];
  removed?: { from: string; lifecycle: { destroy: boolean } }[];
};
const AZS = ["eu-west-1a", "eu-west-1b", "eu-west-1c"];
const RESTORED: RestoredCluster = {
  clusterId: "cluster-restoredabcd",
  backupId: "backup-newestreadya",
  hsmIds: ["hsm-restoredhsmaa", "hsm-restoredhsmbb"],
};

const build = (props: Partial<HsmClusterProps> = {}): Blocks => {
  const stack = testStack();
  const cluster = new HsmCluster(stack, "hsm", { network: NETWORK, hsmAzs: AZS, ...props });
  cluster.addRemainingHsms([]);
  return synth(stack) as Blocks;
};
const addresses = (json: Synthesized) => [
  ...Object.keys(all(json, "aws_cloudhsm_v2_cluster")).map((k) => `aws_cloudhsm_v2_cluster.${k}`),
  ...Object.keys(all(json, "aws_cloudhsm_v2_hsm")).map((k) => `aws_cloudhsm_v2_hsm.${k}`),
];

test("without restored: no import or removed block", () => {
  const json = build();
  expect(json.import).toBeUndefined();
  expect(json.removed).toBeUndefined();
  expect(one(json, "aws_cloudhsm_v2_cluster").source_backup_identifier).toBeUndefined();
});

describe("restored", () => {
  const original = build();
  const json = build({ restored: RESTORED });
  const clusterAddress = addresses(json)[0];

  test("the restored cluster is imported at an address of its own, with its source_backup_identifier (ForceNew, not Computed)", () => {
    expect(clusterAddress).toMatch(/^aws_cloudhsm_v2_cluster\.hsm_cluster-cluster-restoredabcd_[0-9A-F]{8}$/);
    expect(one(json, "aws_cloudhsm_v2_cluster")).toMatchObject({
      hsm_type: "hsm2m.medium",
      mode: "FIPS",
      source_backup_identifier: "backup-newestreadya",
      lifecycle: { prevent_destroy: true },
    });
    expect(addresses(original)).not.toContain(clusterAddress);
  });

  test("the HSMs the step created are imported by position in hsmAzs; the third AZ gets a new HSM in the restored cluster", () => {
    const hsms = addresses(json).slice(1);
    expect(json.import).toEqual([
      { to: clusterAddress, id: "cluster-restoredabcd" },
      { to: hsms[0], id: "hsm-restoredhsmaa" },
      { to: hsms[1], id: "hsm-restoredhsmbb" },
    ]);
    const byAddress = all(json, "aws_cloudhsm_v2_hsm");
    expect(Object.values(byAddress).map((h) => [h.subnet_id, h.cluster_id])).toEqual(
      ["a", "b", "c"].map((az) => [`subnet-0000000000000000${az}`, `\${${clusterAddress}.cluster_id}`]),
    );
    for (const a of hsms) expect(addresses(original)).not.toContain(a);
  });

  test("every address of the replaced cluster is forgotten, never destroyed", () => {
    expect(json.removed).toEqual(addresses(original).map((from) => ({ from, lifecycle: { destroy: false } })));
  });

  test("a second restore forgets the first restored cluster's addresses (previousClusterId)", () => {
    const second = build({
      restored: {
        clusterId: "cluster-secondrestore",
        backupId: "backup-anotherbackup",
        hsmIds: ["hsm-secondhsmaaaa"],
        previousClusterId: RESTORED.clusterId,
      },
    });
    expect(second.removed?.map((r) => r.from)).toEqual(addresses(json));
    expect(second.import?.map((i) => i.id)).toEqual(["cluster-secondrestore", "hsm-secondhsmaaaa"]);
  });
});

test("restored problems, each naming its property, all at once", () => {
  expect(
    errorLines(() =>
      build({
        restored: {
          clusterId: "cluster-1",
          backupId: "bkp",
          hsmIds: ["hsm-restoredhsmaa", "hsm-restoredhsmaa", "x", "hsm-restoredhsmcc"],
          previousClusterId: "cluster-1",
        },
      }),
    ),
  ).toEqual([
    'test/hsm.restored.clusterId: "cluster-1" is not allowed (cluster- followed by 11-16 letters and digits 2-7)',
    'test/hsm.restored.backupId: "bkp" is not allowed (backup- followed by 11-16 letters and digits 2-7)',
    'test/hsm.restored.hsmIds[2]: "x" is not allowed (hsm- followed by 11-16 letters and digits 2-7)',
    'test/hsm.restored.hsmIds: ["hsm-restoredhsmaa","hsm-restoredhsmaa","x","hsm-restoredhsmcc"] is not allowed (at most 3 HSM ids, one per hsmAzs entry, each once)',
    'test/hsm.restored.previousClusterId: "cluster-1" is not allowed (cluster- followed by 11-16 letters and digits 2-7)',
    'test/hsm.restored.previousClusterId: "cluster-1" is not allowed (the cluster replaced, not restored.clusterId itself)',
  ]);
});
