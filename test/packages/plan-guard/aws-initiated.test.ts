/**
 * Changes AWS makes itself, as Terraform plans them: an HSM AWS replaced (drift: deleted outside
 * Terraform; a create at the same address) and an hsm_type change (a cluster replacement).
 */
import { mkdtempSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { classifyPlans, runCli } from "@cmk-stacks/plan-guard";
import {
  loadLiveClusters,
  MAX_LIVE_CLUSTERS_BYTES,
  parseLiveClusters,
} from "../../../packages/plan-guard/live-clusters";
import { hsmNameOf } from "../../../packages/plan-guard/rules/hsm-replaced";
import { planOf, rc } from "./builders";

const ADDR = "aws_cloudhsm_v2_hsm.cloudhsm_hsm-eu-west-1b-1_AD48B983";
const OTHER = "aws_cloudhsm_v2_hsm.cloudhsm_hsm-eu-west-1a-1_124EC3D4";
const CLUSTER = "cluster-abcdefghijk";
const oldHsm = {
  id: "hsm-oldoldoldol",
  hsm_id: "hsm-oldoldoldol",
  cluster_id: CLUSTER,
  availability_zone: "eu-west-1b",
  subnet_id: "subnet-0000000000000000b",
  hsm_eni_id: "eni-0b0b0b0b0b0b0b0b0",
  ip_address: "10.0.2.10",
  hsm_state: "ACTIVE",
};
const keptHsm = { ...oldHsm, id: "hsm-keptkeptkep", hsm_id: "hsm-keptkeptkep", availability_zone: "eu-west-1a" };
const newAfter = { cluster_id: CLUSTER, subnet_id: "subnet-0000000000000000b" };

/** The plan Terraform makes after AWS replaced the HSM in eu-west-1b. */
const replacedPlan = () =>
  planOf([rc(OTHER, ["no-op"], keptHsm, keptHsm), rc(ADDR, ["create"], null, newAfter)], {
    drift: [rc(ADDR, ["delete"], oldHsm, null)],
    stack: "prod-keys",
  });

const live = (hsms: object[]) => [{ ClusterId: CLUSTER, Hsms: hsms as never }];
const hsm = (id: string, az: string, extra: object = {}) => ({
  HsmId: id,
  AvailabilityZone: az,
  SubnetId: `subnet-0000000000000000${az.slice(-1)}`,
  State: "ACTIVE",
  ...extra,
});

describe("an HSM AWS replaced", () => {
  test("with the cluster's live HSMs: blocked, the replacement named with the adoption steps", () => {
    const result = classifyPlans([replacedPlan()], undefined, {
      cloudHsmClusters: live([
        hsm("hsm-keptkeptkep", "eu-west-1a"),
        hsm("hsm-newnewnewne", "eu-west-1b", { EniId: "eni-0b0b0b0b0b0b0b0b0", EniIp: "10.0.2.10" }),
      ]),
    });
    expect(result.blocked).toHaveLength(1);
    expect(result.blocked[0]).toMatchObject({
      address: ADDR,
      rule: "cloudhsm-hsm-replaced-by-aws",
      why: "AWS replaced HSM hsm-oldoldoldol in eu-west-1b (ENI 10.0.2.10) with hsm-newnewnewne (ACTIVE in cluster cluster-abcdefghijk, not in the state); this plan would create an extra HSM beside it",
      fix: 'adopt hsm-newnewnewne: (1) `terraform -chdir=cdktf.out/stacks/prod-keys apply -refresh-only` (review: the only change is hsm-oldoldoldol leaving the state), (2) set cloudHsm.adoptHsms: { "eu-west-1b-1": "hsm-newnewnewne" } in the environment\'s configuration, synth and plan: the plan imports hsm-newnewnewne at aws_cloudhsm_v2_hsm.cloudhsm_hsm-eu-west-1b-1_AD48B983 and creates nothing (docs/cloudhsm.md#an-hsm-aws-replaced)',
    });
  });

  test("two candidates in the AZ: the one on the old HSM's ENI is the replacement", () => {
    const result = classifyPlans([replacedPlan()], undefined, {
      cloudHsmClusters: live([
        hsm("hsm-keptkeptkep", "eu-west-1a"),
        hsm("hsm-otherotherot", "eu-west-1b", { EniIp: "10.0.2.99" }),
        hsm("hsm-newnewnewne", "eu-west-1b", { EniIp: "10.0.2.10" }),
      ]),
    });
    expect(result.blocked[0].why).toContain("with hsm-newnewnewne");
  });

  test("an HSM the state knows, one in another AZ or one not ACTIVE is never taken for the replacement", () => {
    const result = classifyPlans([replacedPlan()], undefined, {
      cloudHsmClusters: live([
        hsm("hsm-keptkeptkep", "eu-west-1b"),
        hsm("hsm-elsewhereel", "eu-west-1c"),
        hsm("hsm-creatingcre", "eu-west-1b", { State: "CREATE_IN_PROGRESS" }),
      ]),
    });
    expect(result.blocked[0]).toMatchObject({
      rule: "cloudhsm-hsm-replaced-by-aws",
      why: "HSM hsm-oldoldoldol in eu-west-1b (ENI 10.0.2.10) was deleted outside Terraform and cluster cluster-abcdefghijk has no ACTIVE HSM in that AZ that the state does not know: this plan re-creates it",
    });
    expect(result.blocked[0].fix).toMatch(
      /^if the HSM was deleted on purpose or lost, re-creating it is right: allow it with an entry in plan-guard.allow.json/,
    );
  });

  test("an old HSM whose AZ the state does not show is tied to no live HSM (nor one whose AZ the file omits)", () => {
    const { availability_zone: _az, ...noAz } = oldHsm;
    const p = planOf([rc(OTHER, ["no-op"], keptHsm, keptHsm), rc(ADDR, ["create"], null, newAfter)], {
      drift: [rc(ADDR, ["delete"], noAz, null)],
      stack: "prod-keys",
    });
    const result = classifyPlans([p], undefined, {
      cloudHsmClusters: [{ ClusterId: CLUSTER, Hsms: [{ HsmId: "hsm-unplacedunpl", State: "ACTIVE" }] }],
    });
    expect(result.blocked.map((f) => [f.rule, f.why])).toEqual([
      [
        "cloudhsm-hsm-replaced-by-aws",
        "HSM hsm-oldoldoldol in its AZ (ENI 10.0.2.10) was deleted outside Terraform and cluster cluster-abcdefghijk has no ACTIVE HSM in that AZ that the state does not know: this plan re-creates it",
      ],
    ]);
  });

  test("without the live HSMs: still blocked, with how to find the replacement", () => {
    const result = classifyPlans([replacedPlan()]);
    expect(result.blocked).toHaveLength(1);
    expect(result.blocked[0].why).toBe(
      "HSM hsm-oldoldoldol in eu-west-1b (ENI 10.0.2.10) disappeared outside Terraform and this plan creates a new one at the same address: when AWS replaces an unhealthy HSM (new id, same ENI), that is an extra HSM",
    );
    expect(result.blocked[0].fix).toContain(
      "`aws cloudhsmv2 describe-clusters --filters clusterIds=cluster-abcdefghijk` (an ACTIVE HSM in eu-west-1b with EniIp 10.0.2.10), or run the guard with --cloudhsm-clusters <that output>",
    );
  });

  test("a new HSM without drift (a configuration adding one) and a drifted HSM not re-created are not this situation", () => {
    const added = planOf([rc(ADDR, ["create"], null, newAfter)]);
    const goneOnly = planOf([], { drift: [rc(ADDR, ["delete"], oldHsm, null)] });
    const rules = classifyPlans([added, goneOnly]).blocked.map((f) => f.rule);
    expect(rules).not.toContain("cloudhsm-hsm-replaced-by-aws");
  });

  test("after adoption (an import at the address, nothing created) nothing is blocked", () => {
    const imported = planOf([
      rc(
        ADDR,
        ["no-op"],
        { ...oldHsm, hsm_id: "hsm-newnewnewne" },
        { ...oldHsm, hsm_id: "hsm-newnewnewne" },
        {
          change: {
            actions: ["no-op"],
            before: oldHsm,
            after: oldHsm,
            after_unknown: {},
            importing: { id: "hsm-newnewnewne" },
          } as never,
        },
      ),
    ]);
    expect(classifyPlans([imported]).blocked).toEqual([]);
  });

  test("hsmNameOf reads the <az>-<n> key of an HsmCluster address", () => {
    expect(hsmNameOf(ADDR)).toBe("eu-west-1b-1");
    expect(hsmNameOf("module.x.aws_cloudhsm_v2_hsm.cloudhsm_hsm-us-gov-west-1a-12_0123ABCD")).toBe("us-gov-west-1a-12");
    expect(hsmNameOf("aws_cloudhsm_v2_hsm.custom")).toBeUndefined();
  });
});

describe("hsm_type changed (AWS migrated the cluster, or the configuration says another type)", () => {
  const cluster = (from: string, to: string, extra = {}) =>
    planOf([
      rc(
        "aws_cloudhsm_v2_cluster.cloudhsm_cluster_0A1B2C3D",
        ["delete", "create"],
        { id: CLUSTER, cluster_id: CLUSTER, hsm_type: from, mode: "FIPS" },
        { hsm_type: to, mode: "FIPS" },
        { change: undefined as never, ...extra },
      ),
    ]);
  const withReplace = (from: string, to: string) => {
    const p = cluster(from, to);
    const c = p.plan.resource_changes![0];
    c.change = {
      actions: ["delete", "create"],
      before: { id: CLUSTER, cluster_id: CLUSTER, hsm_type: from, mode: "FIPS" },
      after: { hsm_type: to, mode: "FIPS" },
      after_unknown: {},
      replace_paths: [["hsm_type"]],
    } as never;
    return p;
  };

  test("AWS migrated the cluster, the configuration still says hsm1.medium: blocked, the advice is to update the configuration", () => {
    const result = classifyPlans([withReplace("hsm2m.medium", "hsm1.medium")]);
    const f = result.blocked.find((b) => b.rule === "cloudhsm-hsm-type-replace");
    expect(f).toMatchObject({
      action: "replace",
      why: "replaces the CloudHSM cluster because hsm_type changes (hsm2m.medium -> hsm1.medium; hsm_type is ForceNew in the AWS provider): the new cluster would hold none of the key store's keys, and every key in the store would become unusable for good",
      fix: "AWS already migrated this cluster to hsm2m.medium (https://docs.aws.amazon.com/cloudhsm/latest/userguide/hsm1-to-hsm2-migration.html): set cloudHsm.hsmType to hsm2m.medium and keep lifecycle ignore_changes on hsm_type (HsmCluster sets it); nothing is to be run (going back to hsm1.medium is the manual rollback, migrate-hsm-type inside the 24-hour window only)",
    });
  });

  test("the configuration asks for hsm2m.medium: blocked, migrate-hsm-type named", () => {
    const f = classifyPlans([withReplace("hsm1.medium", "hsm2m.medium")]).blocked.find(
      (b) => b.rule === "cloudhsm-hsm-type-replace",
    );
    expect(f?.fix).toBe(
      "AWS changes the HSM type in place: keep lifecycle ignore_changes on hsm_type (HsmCluster sets it) and run the operator step `npm run -s hook -- migrate-hsm-type --region <region> --cluster-id cluster-abcdefghijk --hsm-type hsm2m.medium` (backup checkpoint, ModifyCluster, limited-write mode about 30 minutes per HSM, 24-hour rollback window; docs/cloudhsm.md, https://docs.aws.amazon.com/cloudhsm/latest/userguide/hsm1-to-hsm2-migration.html)",
    );
  });

  test("an undocumented type change: blocked, and said to be no in-place change", () => {
    const f = classifyPlans([withReplace("hsm2m.medium", "hsm3.large")]).blocked.find(
      (b) => b.rule === "cloudhsm-hsm-type-replace",
    );
    expect(f?.fix).toMatch(
      /^AWS documents no in-place change from hsm2m.medium to hsm3.large \(only hsm1.medium -> hsm2m.medium, /,
    );
  });

  test("a replacement for another reason (subnets) is not named as an HSM type change", () => {
    const p = withReplace("hsm2m.medium", "hsm2m.medium");
    p.plan.resource_changes![0].change.replace_paths = [["subnet_ids"]];
    expect(classifyPlans([p]).blocked.map((b) => b.rule)).not.toContain("cloudhsm-hsm-type-replace");
  });
});

describe("--cloudhsm-clusters", () => {
  const dir = mkdtempSync(join(tmpdir(), "guard-live-"));
  const planFile = join(dir, "prod-keys.json");
  writeFileSync(planFile, JSON.stringify(replacedPlan().plan));

  test("names the replacement from the describe-clusters output; a malformed file is invalid input (exit 2)", async () => {
    const liveFile = join(dir, "clusters.json");
    writeFileSync(
      liveFile,
      JSON.stringify({ Clusters: live([hsm("hsm-keptkeptkep", "eu-west-1a"), hsm("hsm-newnewnewne", "eu-west-1b")]) }),
    );
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
    const code = await runCli(
      [`prod-keys=${planFile}`, "--cloudhsm-clusters", liveFile, "--allowlist", join(__dirname, "empty.allow.json")],
      io,
    );
    expect([code, err]).toEqual([1, []]);
    expect(out.join("\n")).toContain("with hsm-newnewnewne");
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ Clusters: [{ ClusterId: CLUSTER, Hsms: [{ State: "ACTIVE" }] }] }));
    err.length = 0;
    expect(await runCli([`prod-keys=${planFile}`, "--cloudhsm-clusters", bad], io)).toBe(2);
    expect(err.join("\n")).toContain(
      `${bad}: Clusters[0].Hsms[0].HsmId is not hsm- followed by 11-16 letters and digits 2-7`,
    );
  });

  test("a directory, a device that never ends and a huge file are refused by name, unread", () => {
    const huge = join(dir, "huge.json");
    writeFileSync(huge, "");
    truncateSync(huge, MAX_LIVE_CLUSTERS_BYTES + 1);
    expect(() => loadLiveClusters(dir)).toThrow(
      `${dir}: not a file (expected the output of aws cloudhsmv2 describe-clusters)`,
    );
    expect(() => loadLiveClusters("/dev/zero")).toThrow(
      "/dev/zero: not a file (expected the output of aws cloudhsmv2 describe-clusters)",
    );
    expect(() => loadLiveClusters(huge)).toThrow(
      `${huge}: ${MAX_LIVE_CLUSTERS_BYTES + 1} bytes, more than describe-clusters prints (at most ${MAX_LIVE_CLUSTERS_BYTES})`,
    );
  });

  test("every problem of the file at once, ids of AWS's shapes only (they are printed), nothing asked of AWS", () => {
    const text = JSON.stringify({
      Clusters: [
        null,
        { ClusterId: 5 },
        { ClusterId: CLUSTER, Hsms: [null, { HsmId: "hsm-x\nBLOCKED fake" }, { HsmId: 7 }] },
        { ClusterId: "x", Hsms: "no" },
      ],
    });
    const ids = (what: string) => `${what} followed by 11-16 letters and digits 2-7`;
    expect(() => parseLiveClusters(text, "f")).toThrow(
      `f: Clusters[0] is not an object; Clusters[1].ClusterId is not ${ids("cluster-")}; Clusters[2].Hsms[0] is not an object; Clusters[2].Hsms[1].HsmId is not ${ids("hsm-")}; Clusters[2].Hsms[2].HsmId is not ${ids("hsm-")}; Clusters[3].ClusterId is not ${ids("cluster-")}; Clusters[3].Hsms is not a list`,
    );
    // __proto__ keys (JSON.parse makes them own properties) are data, never a prototype.
    expect(
      parseLiveClusters(
        `{"__proto__":{"Clusters":[]},"Clusters":[{"ClusterId":"${CLUSTER}","__proto__":{"Hsms":5},"Hsms":[{"HsmId":"hsm-abcdefghijk","__proto__":{"State":"ACTIVE"}}]}]}`,
        "f",
      ).map((c) => c.Hsms.map((h) => [h.HsmId, h.State])),
    ).toEqual([[["hsm-abcdefghijk", undefined]]]);
  });

  test("parseLiveClusters keeps only what the rule reads", () => {
    expect(
      parseLiveClusters(
        JSON.stringify({
          Clusters: [
            { ClusterId: CLUSTER, Certificates: { x: 1 }, Hsms: [{ HsmId: "hsm-abcdefghijk", EniIp: "10.0.0.1" }] },
          ],
        }),
        "f",
      ),
    ).toEqual([
      {
        ClusterId: CLUSTER,
        Hsms: [
          {
            HsmId: "hsm-abcdefghijk",
            EniIp: "10.0.0.1",
            AvailabilityZone: undefined,
            SubnetId: undefined,
            EniId: undefined,
            State: undefined,
          },
        ],
      },
    ]);
    expect(() => parseLiveClusters("{", "f")).toThrow(
      "f: not JSON (expected the output of aws cloudhsmv2 describe-clusters)",
    );
    expect(() => parseLiveClusters("{}", "f")).toThrow("f: no Clusters list");
    // An HSM of another cluster listed under this one (an edited or concatenated file) is refused, not matched.
    expect(() =>
      parseLiveClusters(
        JSON.stringify({
          Clusters: [{ ClusterId: CLUSTER, Hsms: [{ HsmId: "hsm-abcdefghijk", ClusterId: "cluster-othercluster" }] }],
        }),
        "f",
      ),
    ).toThrow('f: Clusters[0].Hsms[0].ClusterId is "cluster-othercluster", not its cluster "cluster-abcdefghijk"');
  });
});

describe("adopting an HSM (cloudHsm.adoptHsms: an import)", () => {
  const importing = (change: ReturnType<typeof rc>, id: string) => ({
    ...change,
    change: { ...change.change, importing: { id } },
  });
  test("an HSM of another cluster imported at the address is replaced at once: blocked, saying the import destroys it", () => {
    const foreign = {
      ...oldHsm,
      id: "hsm-foreignforei",
      hsm_id: "hsm-foreignforei",
      cluster_id: "cluster-othercluster",
    };
    const adopted = importing(
      rc(ADDR, ["delete", "create"], foreign, newAfter, {
        change: { actions: ["delete", "create"], before: foreign, after: newAfter, replace_paths: [["cluster_id"]] },
      }),
      "hsm-foreignforei",
    );
    const [f] = classifyPlans([planOf([adopted], { stack: "prod-keys" })]).blocked;
    expect([f.address, f.action, f.rule]).toEqual([ADDR, "replace", "destroy-key-bearing"]);
    expect(f.why).toContain(
      "; the plan imports it (hsm-foreignforei) (an HSM of cluster cluster-othercluster, while the configuration puts it in cluster cluster-abcdefghijk) and replaces it at once: applying destroys the object it has just imported",
    );
    expect(f.fix).toBe(
      "adopt only an ACTIVE HSM of the same cluster, in the AZ and subnet of the address (plan-guard --cloudhsm-clusters names AWS's replacement), or remove the import",
    );
  });

  test("an HSM of the same cluster imported as it is: nothing blocked", () => {
    const replacement = { ...oldHsm, id: "hsm-newnewnewne", hsm_id: "hsm-newnewnewne" };
    const adopted = importing(rc(ADDR, ["no-op"], replacement, replacement), "hsm-newnewnewne");
    expect(classifyPlans([planOf([rc(OTHER, ["no-op"], keptHsm, keptHsm), adopted])]).blocked).toEqual([]);
  });
});

describe("an HSM or cluster moved in place (cloudhsm-identity-in-place)", () => {
  test("an HSM import claiming to update cluster_id in place is blocked: the provider replaces an HSM for that", () => {
    const foreign = {
      ...oldHsm,
      id: "hsm-foreignforei",
      hsm_id: "hsm-foreignforei",
      cluster_id: "cluster-othercluster",
    };
    const adopted = {
      ...rc(ADDR, ["update"], foreign, { ...foreign, cluster_id: CLUSTER }),
    };
    (adopted.change as { importing?: object }).importing = { id: "hsm-foreignforei" };
    const r = classifyPlans([planOf([adopted])]);
    expect(r.blocked.map((f) => [f.address, f.action, f.rule, f.why])).toEqual([
      [
        ADDR,
        "update",
        "cloudhsm-identity-in-place",
        "changes cluster_id of this CloudHSM HSM in place: the AWS provider replaces an HSM for that (ForceNew), so this is no change Terraform can apply as shown; the plan imports it, so the object imported is not the one the configuration describes",
      ],
    ]);
  });

  test("a cluster update of its backup or subnets is blocked (and is no restore); a tags update is not", () => {
    const before = { id: CLUSTER, source_backup_identifier: "backup-aaaaaaaaaaa", subnet_ids: ["subnet-a"], tags: {} };
    const moved = rc("aws_cloudhsm_v2_cluster.c", ["update"], before, {
      ...before,
      source_backup_identifier: "backup-bbbbbbbbbbb",
    });
    expect(classifyPlans([planOf([moved])]).blocked.map((f) => f.rule)).toEqual(["cloudhsm-identity-in-place"]);
    const tagged = rc("aws_cloudhsm_v2_cluster.c", ["update"], before, { ...before, tags: { Name: "x" } });
    expect(classifyPlans([planOf([tagged])]).blocked).toEqual([]);
  });
});

describe("a KMS key's identity changed in place (key-identity-in-place)", () => {
  const KEY = "aws_kms_key.records";
  const before = {
    key_id: "1234abcd-12ab-34cd-56ef-1234567890ab",
    custom_key_store_id: "cks-1234567890abcdef0",
    key_usage: "ENCRYPT_DECRYPT",
    customer_master_key_spec: "SYMMETRIC_DEFAULT",
    multi_region: false,
    xks_key_id: "",
  };
  test.each([
    ["custom_key_store_id", { custom_key_store_id: "cks-0987654321fedcba0" }],
    ["custom_key_store_id", { custom_key_store_id: null, description: "moved to KMS's own material" }],
    ["multi_region", { multi_region: true }],
    ["key_usage", { key_usage: "SIGN_VERIFY" }],
  ])("an update of %s is blocked: the provider would make a new key", (attr, change) => {
    const r = classifyPlans([planOf([rc(KEY, ["update"], before, { ...before, ...change })])]);
    expect(r.blocked.map((f) => [f.address, f.rule])).toEqual([[KEY, "key-identity-in-place"]]);
    expect(r.blocked[0].why).toMatch(
      new RegExp(`^changes ${attr} of this KMS key in place: the AWS provider replaces a key for that \\(ForceNew\\)`),
    );
  });

  test('a replica\'s primary_key_arn changed in place is blocked; xks_key_id "" -> null and a description change are not', () => {
    const replica = { primary_key_arn: "arn:aws:kms:eu-west-1:111122223333:key/mrk-1" };
    const moved = rc("aws_kms_replica_key.eu", ["update"], replica, {
      primary_key_arn: "arn:aws:kms:eu-west-1:111122223333:key/mrk-2",
    });
    expect(classifyPlans([planOf([moved])]).blocked.map((f) => f.rule)).toEqual(["key-identity-in-place"]);
    const benign = rc(KEY, ["update"], before, { ...before, xks_key_id: null, description: "records" });
    expect(classifyPlans([planOf([benign])]).blocked).toEqual([]);
  });
});
