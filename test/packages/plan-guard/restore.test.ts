/** CloudHSM restore (issue 21): a restore plan is recognised and explained; replacing the store or a cluster is blocked and names the restore command. */
import { blockLine, classifyPlans, type LoadedPlan, type ResourceChange } from "@cmk-stacks/plan-guard";
import { planOf, rc } from "./builders";

const OLD = "cluster-originalabcd";
const NEW = "cluster-restoredabcd";
const STORE = "aws_kms_custom_key_store.store";
const OLD_CLUSTER = "aws_cloudhsm_v2_cluster.hsm_cluster";
const NEW_CLUSTER = "aws_cloudhsm_v2_cluster.hsm_cluster-cluster-restoredabcd";

const importing = (change: ResourceChange, id: string): ResourceChange => ({
  ...change,
  change: { ...change.change, importing: { id } } as ResourceChange["change"],
});
const store = (clusterId: string, actions = ["no-op"]) =>
  rc(
    STORE,
    actions,
    { id: "cks-1234567890abcdef0", cloud_hsm_cluster_id: clusterId, custom_key_store_type: "AWS_CLOUDHSM" },
    { id: "cks-1234567890abcdef0", cloud_hsm_cluster_id: clusterId, custom_key_store_type: "AWS_CLOUDHSM" },
  );
const restoredCluster = (backup: string | null = "backup-newestreadya", actions = ["no-op"]) =>
  importing(
    rc(
      NEW_CLUSTER,
      actions,
      { id: NEW, source_backup_identifier: backup },
      { id: NEW, source_backup_identifier: backup },
    ),
    NEW,
  );
const hsm = (address: string, id: string, cluster: string, actions: string[]) =>
  rc(address, actions, { id, cluster_id: cluster }, actions[0] === "forget" ? null : { id, cluster_id: cluster });

/** What cloudHsm.restored plans after npm run restore: the restored cluster and 2 HSMs imported, the lost ones forgotten. */
const restorePlan = (over: { store?: ResourceChange; cluster?: ResourceChange; extra?: ResourceChange[] } = {}) =>
  planOf([
    over.store ?? store(NEW),
    over.cluster ?? restoredCluster(),
    importing(hsm("aws_cloudhsm_v2_hsm.hsm_hsm-a-1-new", "hsm-restoredhsmaa", NEW, ["no-op"]), "hsm-restoredhsmaa"),
    importing(hsm("aws_cloudhsm_v2_hsm.hsm_hsm-b-1-new", "hsm-restoredhsmbb", NEW, ["no-op"]), "hsm-restoredhsmbb"),
    rc(OLD_CLUSTER, ["forget"], { id: OLD }, null),
    hsm("aws_cloudhsm_v2_hsm.hsm_hsm-a-1", "hsm-originalhsmaa", OLD, ["forget"]),
    hsm("aws_cloudhsm_v2_hsm.hsm_hsm-b-1", "hsm-originalhsmbb", OLD, ["forget"]),
    ...(over.extra ?? []),
  ]);
const verdict = (p: LoadedPlan) => {
  const r = classifyPlans([p]);
  return {
    blocked: r.blocked.map((f) => [f.address, f.action, f.rule]),
    risky: r.risky.filter((f) => f.rule === "cloudhsm-restore").map((f) => [f.address, f.action]),
    result: r,
  };
};

test("a restore plan passes: nothing blocked, the import and every forget explained", () => {
  const v = verdict(restorePlan());
  expect(v.blocked).toEqual([]);
  expect(v.risky).toEqual([
    [NEW_CLUSTER, "no-op"],
    [OLD_CLUSTER, "forget"],
    ["aws_cloudhsm_v2_hsm.hsm_hsm-a-1", "forget"],
    ["aws_cloudhsm_v2_hsm.hsm_hsm-b-1", "forget"],
  ]);
  const main = v.result.risky.find((f) => f.address === NEW_CLUSTER);
  expect(main?.why).toBe(
    `a restore: imports CloudHSM cluster ${NEW}, created from backup backup-newestreadya by restore-key-store, which key store ${STORE} already uses (its cloud_hsm_cluster_id belongs to the step, not to Terraform); forgets the lost cluster's 3 resources (removed blocks, never destroyed); nothing is replaced`,
  );
  expect(main?.fix).toBe(
    "expected after npm run restore -- <env> and cloudHsm.restored (docs/cloudhsm.md#restore): apply it; delete the lost cluster and HSMs in AWS, if any remain, only after restore-key-store proved every key",
  );
});

test("a restore whose lost cluster is already gone from state (deleted in AWS): only the import is explained", () => {
  const p = planOf([store(NEW), restoredCluster()]);
  const v = verdict(p);
  expect(v.blocked).toEqual([]);
  expect(v.risky).toEqual([[NEW_CLUSTER, "no-op"]]);
});

describe("near misses are not a restore: the forgets are blocked", () => {
  const FORGOTTEN = [
    [OLD_CLUSTER, "forget", "destroy-key-bearing"],
    ["aws_cloudhsm_v2_hsm.hsm_hsm-a-1", "forget", "destroy-key-bearing"],
    ["aws_cloudhsm_v2_hsm.hsm_hsm-b-1", "forget", "destroy-key-bearing"],
  ];
  test("a restore applied in two steps (the cluster imported earlier) is still recognised", () => {
    const earlier = rc(
      NEW_CLUSTER,
      ["no-op"],
      { id: NEW, source_backup_identifier: "backup-newestreadya" },
      {
        id: NEW,
        source_backup_identifier: "backup-newestreadya",
      },
    );
    const v = verdict(restorePlan({ cluster: earlier }));
    expect(v.blocked).toEqual([]);
    expect(v.result.risky.find((f) => f.address === NEW_CLUSTER)?.why).toMatch(/^a restore: keeps CloudHSM cluster /);
  });

  test.each([
    ["the store still points at the lost cluster (restore-key-store did not run)", { store: store(OLD) }],
    ["the imported cluster was not made from a backup", { cluster: restoredCluster(null) }],
    [
      "the restored cluster is created, not imported",
      { cluster: rc(NEW_CLUSTER, ["create"], null, { source_backup_identifier: "backup-newestreadya" }) },
    ],
  ])("%s", (_what, over) => {
    const v = verdict(restorePlan(over as never));
    expect(v.blocked).toEqual(expect.arrayContaining(FORGOTTEN));
    expect(v.risky.filter(([, a]) => a === "forget")).toEqual([]);
  });

  test("forgetting the cluster outside a restore names the restore command", () => {
    const lines = classifyPlans([planOf([store(OLD), rc(OLD_CLUSTER, ["forget"], { id: OLD }, null)])]).blocked.map(
      blockLine,
    );
    expect(lines).toEqual([
      `BLOCKED [dev-keys] ${OLD_CLUSTER} (forget): forgets this CloudHSM cluster: Terraform stops managing it, nothing protects it any more and the configuration no longer says it must exist; the HSMs holding the key material of the CloudHSM key store go with it; its keys become unusable; this is not a restore: no cluster restored from a backup that the key store already uses is imported in this plan. Avoid: a cluster is forgotten only by a restore, in the plan that imports the cluster restore-key-store made: run npm run restore -- <env>, then set cloudHsm.restored (docs/cloudhsm.md#restore).`,
    ]);
  });
});

test("a restore plan that also replaces the store is blocked, naming the restore command", () => {
  const replaced = rc(
    STORE,
    ["delete", "create"],
    { id: "cks-1234567890abcdef0", cloud_hsm_cluster_id: NEW },
    { cloud_hsm_cluster_id: NEW },
    {
      change: {
        actions: ["delete", "create"],
        before: { id: "cks-1234567890abcdef0", cloud_hsm_cluster_id: OLD },
        after: { cloud_hsm_cluster_id: NEW },
        replace_paths: [["cloud_hsm_cluster_id"]],
      },
    },
  );
  const r = classifyPlans([planOf([replaced])]);
  expect(r.blocked.map(blockLine)).toEqual([
    `BLOCKED [dev-keys] ${STORE} (replace): replaces this KMS custom key store (forced by cloud_hsm_cluster_id): the old one is destroyed; every KMS key in the store becomes unusable (and the provider's delete ignores errors, so a failed delete silently drops the store from state); keys in an external key store cannot be recreated; a new store gets a new id, none of the old store's keys work through it, and KMS refuses a new store on a cluster another store used (CloudHsmClusterInUseException). Avoid: a key store moves to another cluster only through npm run restore -- <env> (restore-key-store: UpdateCustomKeyStore on the same store, docs/cloudhsm.md#restore); keep ignore_changes on cloud_hsm_cluster_id (modules/keystores/cloudhsm-key-store.ts) and revert the change; allow it only to retire the store, with an entry in plan-guard.allow.json with its address, a reason, and this plan's digest (the PLAN line) and/or the last day it applies (expires).`,
  ]);
});

test.each([["source_backup_identifier"], ["hsm_type"], ["mode"]])(
  "a cluster replaced by a change of %s is blocked: never a replacement, the restore command instead",
  (attribute) => {
    const replaced = rc(
      OLD_CLUSTER,
      ["delete", "create"],
      { id: OLD },
      {},
      {
        change: { actions: ["delete", "create"], before: { id: OLD }, after: {}, replace_paths: [[attribute]] },
      },
    );
    const [f] = classifyPlans([planOf([store(OLD), replaced])]).blocked;
    expect([f.address, f.action, f.rule]).toEqual([OLD_CLUSTER, "replace", "destroy-key-bearing"]);
    expect(f.why).toContain(`the new cluster is not a clone of this one (${attribute}: ForceNew in the provider)`);
    expect(f.fix).toBe(
      `never replace a cluster: to move the key store to a cluster restored from a backup, run npm run restore -- <env> and set cloudHsm.restored to what it prints (Terraform imports it, nothing is replaced, docs/cloudhsm.md#restore); otherwise revert ${attribute}`,
    );
  },
);

test("a new empty cluster beside an existing store is shown for review, naming the restore", () => {
  const p = planOf([store(OLD), rc(OLD_CLUSTER, ["create"], null, { hsm_type: "hsm2m.medium" })]);
  const r = classifyPlans([p]);
  expect(r.blocked).toEqual([]);
  expect(r.risky.filter((f) => f.rule === "cloudhsm-restore").map((f) => [f.address, f.why, f.fix])).toEqual([
    [
      OLD_CLUSTER,
      `creates a new, empty CloudHSM cluster while key store ${STORE} exists: it holds none of the store's keys`,
      "if the store's cluster was lost (CLUSTER_NOT_FOUND), do not apply this: run npm run restore -- <env> and set cloudHsm.restored (docs/cloudhsm.md#restore)",
    ],
  ]);
  // The first apply of an environment (store created too) is not flagged.
  const first = planOf([rc(STORE, ["create"], null, {}), rc(OLD_CLUSTER, ["create"], null, {})]);
  expect(classifyPlans([first]).risky.filter((f) => f.rule === "cloudhsm-restore")).toEqual([]);
});

test("the HSM count rule does not count the lost cluster's forgotten HSMs in a restore, but still does outside one", () => {
  expect(verdict(restorePlan()).blocked.filter(([, , rule]) => rule === "hsm-count-below-2")).toEqual([]);
  const notRestore = verdict(restorePlan({ store: store(OLD) }));
  expect(notRestore.blocked.filter(([, , rule]) => rule === "hsm-count-below-2").map(([a]) => a)).toEqual([
    "aws_cloudhsm_v2_hsm.hsm_hsm-a-1",
    "aws_cloudhsm_v2_hsm.hsm_hsm-b-1",
  ]);
});

describe("a restore explains only the one cluster it replaces (crafted near-restores stay blocked)", () => {
  const OTHER_STORE = "aws_kms_custom_key_store.other";
  const B = "cluster-otherstoreab";
  const otherStore = (actions: string[], before: string | null, after: string) =>
    rc(OTHER_STORE, actions, before === null ? null : { id: "cks-0987654321fedcba0", cloud_hsm_cluster_id: before }, {
      id: "cks-0987654321fedcba0",
      cloud_hsm_cluster_id: after,
    });
  const forgetB = [
    rc("aws_cloudhsm_v2_cluster.b", ["forget"], { id: B }, null),
    hsm("aws_cloudhsm_v2_hsm.b_a", "hsm-otherstorehsmaa", B, ["forget"]),
    hsm("aws_cloudhsm_v2_hsm.b_b", "hsm-otherstorehsmbb", B, ["forget"]),
  ];

  test("another key store's cluster forgotten beside a restore is blocked, naming the store that uses it", () => {
    const v = verdict(planOf([store(NEW), restoredCluster(), otherStore(["no-op"], B, B), ...forgetB]));
    expect(v.blocked.filter(([, , rule]) => rule === "destroy-key-bearing")).toEqual([
      ["aws_cloudhsm_v2_cluster.b", "forget", "destroy-key-bearing"],
      ["aws_cloudhsm_v2_hsm.b_a", "forget", "destroy-key-bearing"],
      ["aws_cloudhsm_v2_hsm.b_b", "forget", "destroy-key-bearing"],
    ]);
    expect(v.risky).toEqual([[NEW_CLUSTER, "no-op"]]);
    expect(v.result.blocked.find((f) => f.address === "aws_cloudhsm_v2_cluster.b")?.why).toContain(
      `; this is not the cluster the restore to ${NEW} replaces: key store ${OTHER_STORE} still names it (cloud_hsm_cluster_id ${B}): it is not the lost cluster`,
    );
  });

  test("a cluster forgotten while a store created in the same plan names it is blocked", () => {
    const v = verdict(
      planOf([
        store(NEW),
        restoredCluster(),
        otherStore(["create"], null, OLD),
        rc(OLD_CLUSTER, ["forget"], { id: OLD }, null),
      ]),
    );
    expect(v.blocked).toEqual([[OLD_CLUSTER, "forget", "destroy-key-bearing"]]);
  });

  test("a forgotten cluster whose id the plan does not show is blocked", () => {
    const v = verdict(planOf([store(NEW), restoredCluster(), rc(OLD_CLUSTER, ["forget"], {}, null)]));
    expect(v.blocked).toEqual([[OLD_CLUSTER, "forget", "destroy-key-bearing"]]);
    expect(v.result.blocked[0].why).toContain(
      "this is not the cluster the restore to cluster-restoredabcd replaces: the plan does not show its cluster id",
    );
  });

  test("two clusters forgotten beside one restore: neither is explained by it", () => {
    const v = verdict(restorePlan({ extra: [rc("aws_cloudhsm_v2_cluster.b", ["forget"], { id: B }, null)] }));
    expect(v.blocked.filter(([a]) => String(a).startsWith("aws_cloudhsm_v2_cluster"))).toEqual([
      [OLD_CLUSTER, "forget", "destroy-key-bearing"],
      ["aws_cloudhsm_v2_cluster.b", "forget", "destroy-key-bearing"],
    ]);
    expect(v.result.blocked.find((f) => f.address === OLD_CLUSTER)?.why).toContain(
      `the plan forgets 2 clusters (${OLD_CLUSTER}, aws_cloudhsm_v2_cluster.b) and a restore replaces one`,
    );
    expect(v.risky.filter(([, a]) => a === "forget")).toEqual([]);
  });

  test("a store moved off the restored cluster in the same plan is no restore: the forgets stay blocked", () => {
    const moved = rc(
      STORE,
      ["update"],
      { id: "cks-1234567890abcdef0", cloud_hsm_cluster_id: NEW, custom_key_store_type: "AWS_CLOUDHSM" },
      { id: "cks-1234567890abcdef0", cloud_hsm_cluster_id: OLD, custom_key_store_type: "AWS_CLOUDHSM" },
    );
    const v = verdict(restorePlan({ store: moved }));
    expect(v.blocked).toEqual(
      expect.arrayContaining([
        [STORE, "update", "key-store-critical-update"],
        [OLD_CLUSTER, "forget", "destroy-key-bearing"],
        ["aws_cloudhsm_v2_hsm.hsm_hsm-a-1", "forget", "destroy-key-bearing"],
      ]),
    );
    expect(v.risky).toEqual([]);
  });

  test("a restore with a key deletion in the same plan: the deletion stays blocked", () => {
    const v = verdict(
      restorePlan({
        extra: [rc("aws_kms_key.records", ["delete"], { id: "1234abcd-12ab-34cd-56ef-1234567890ab" }, null)],
      }),
    );
    expect(v.blocked).toEqual([["aws_kms_key.records", "delete", "destroy-key-bearing"]]);
  });
});

test("the plans after a restore (restored cluster kept, nothing imported or forgotten) raise nothing", () => {
  const kept = rc(
    NEW_CLUSTER,
    ["no-op"],
    { id: NEW, source_backup_identifier: "backup-newestreadya" },
    { id: NEW, source_backup_identifier: "backup-newestreadya" },
  );
  const r = classifyPlans([planOf([store(NEW), kept])]);
  expect(r.blocked).toEqual([]);
  expect(r.risky).toEqual([]);
});

test("a lost cluster or HSM that the plan also creates anew (create and forget) is no restore forget: blocked", () => {
  const recreated = restorePlan({
    extra: [],
  });
  const changes = recreated.plan.resource_changes!.map((c) =>
    c.address === OLD_CLUSTER || c.address === "aws_cloudhsm_v2_hsm.hsm_hsm-a-1"
      ? { ...c, change: { ...c.change, actions: ["create", "forget"], after: { cluster_id: OLD } } }
      : c,
  );
  const v = verdict({ ...recreated, plan: { ...recreated.plan, resource_changes: changes } });
  expect(v.blocked.filter(([, , rule]) => rule === "destroy-key-bearing")).toEqual([
    [OLD_CLUSTER, "forget", "destroy-key-bearing"],
    ["aws_cloudhsm_v2_hsm.hsm_hsm-a-1", "forget", "destroy-key-bearing"],
    ["aws_cloudhsm_v2_hsm.hsm_hsm-b-1", "forget", "destroy-key-bearing"],
  ]);
  expect(v.result.blocked.find((f) => f.address === OLD_CLUSTER)?.why).toContain(
    "the plan also creates a new cluster at its address (create and forget): a restore imports its cluster, it creates none",
  );
});

test("an import whose state is another cluster than the one it names is no restore", () => {
  const mismatched = importing(
    rc(
      NEW_CLUSTER,
      ["no-op"],
      { id: "cluster-unrelatedabc", source_backup_identifier: "backup-newestreadya" },
      { id: "cluster-unrelatedabc", source_backup_identifier: "backup-newestreadya" },
    ),
    NEW,
  );
  const v = verdict(restorePlan({ cluster: mismatched }));
  expect(v.blocked).toEqual(
    expect.arrayContaining([
      [OLD_CLUSTER, "forget", "destroy-key-bearing"],
      ["aws_cloudhsm_v2_hsm.hsm_hsm-a-1", "forget", "destroy-key-bearing"],
    ]),
  );
  expect(v.risky).toEqual([]);
});
