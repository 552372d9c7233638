/**
 * Every real plan in ../shared/corpora/terraform-plans. Rule for the loop: a file exits 2 when it
 * is not valid JSON or not a plan (`terraform show -json` of a state, or another JSON document);
 * every other file exits 0, because no corpus plan deletes, replaces or forgets a key- or
 * data-bearing resource (SOURCES.md; checked with grep). Blocking is exercised by mutating corpus plans.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { classifyPlans, readPlanFile, runCli, type LoadedPlan, type PlanJson } from "@cmk-stacks/plan-guard";

/** The shared corpus beside the checkout (`../shared`), else where this machine keeps it; CMK_PLAN_CORPUS overrides. */
const CORPUS =
  process.env.CMK_PLAN_CORPUS ??
  [
    join(__dirname, "..", "..", "..", "..", "shared", "corpora", "terraform-plans"),
    "/work/shared/corpora/terraform-plans",
  ].find((d) => existsSync(d)) ??
  "../shared/corpora/terraform-plans";
const present = existsSync(CORPUS);
const t = present ? test : test.skip;
const files = present
  ? readdirSync(CORPUS, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .flatMap((d) =>
        readdirSync(join(CORPUS, d.name))
          .filter((f) => f.endsWith(".json"))
          .map((f) => join(d.name, f)),
      )
  : [];
const NOT_PLANS = new Map([
  ["terraform-json/invalid.json", "not valid JSON"],
  ["terraform-compliance/test_issue-231__policy.json", "not a Terraform plan (no format_version"],
  ["terraform-compliance/test_child_modules__plan.out.json", "of a state, not of a plan file"],
]);
/** Real plans the guard blocks, and why (checked by hand). */
const BLOCKED = new Map([
  // A new key whose policy allows only kms:ReEncrypt*, GenerateDataKey* and DescribeKey to three
  // principals: nobody may ever change the policy (KMS refuses it unless the lockout check is bypassed).
  // The principals' account is written "redacted": the guard cannot place them in an account either.
  ["terraform-compliance/test_issue-121__plan.out.json", ["key-policy-lockout", "key-policy-principal-unplaced"]],
]);
const silent = { out: () => undefined, err: () => undefined };

describe(`the plan corpus${present ? "" : ` (skipped: ${CORPUS} missing)`}`, () => {
  t("holds the 4 folders", () => {
    expect(files.length).toBeGreaterThan(200);
  });

  t("every file exits 0, 1 for the listed blocks, or 2 exactly when it is not a plan", async () => {
    const got: Record<string, number> = {};
    for (const f of files)
      got[f] = await runCli([join(CORPUS, f), "--allowlist", join(__dirname, "empty.allow.json")], silent);
    const expected = Object.fromEntries(files.map((f) => [f, NOT_PLANS.has(f) ? 2 : BLOCKED.has(f) ? 1 : 0]));
    expect(got).toEqual(expected);
  });

  t.each([...BLOCKED])("%s is blocked by %s", (f, rules) => {
    expect(classifyPlans([readPlanFile(join(CORPUS, f))]).blocked.map((b) => b.rule)).toEqual(rules);
  });

  t.each([...NOT_PLANS])("%s is rejected with the reason", (f, reason) => {
    expect(() => readPlanFile(join(CORPUS, f))).toThrow(reason);
  });

  const load = (f: string): LoadedPlan => readPlanFile(join(CORPUS, f));
  const decide = (f: string) => {
    const r = classifyPlans([load(f)]);
    return {
      exit: r.exitCode,
      blocked: r.blocked.length,
      risky: r.risky.map((x) => `${x.address} ${x.action}`),
      counts: r.stacks[0].counts,
    };
  };

  t.each([
    ["terraform-equivalence-tests/local_provider_delete.json", { delete: 1 }],
    ["terraform-equivalence-tests/local_provider_update.json", { replace: 1 }],
    ["terraform-equivalence-tests/fully_populated_complex_destroy.json", { delete: 1 }],
    ["terraform-show-json/basic-delete.json", { delete: 1, update: 1 }],
    ["terraform-show-json/requires-replace.json", { replace: 1 }],
    ["terraform-json/action_reason.json", { replace: 1 }],
    ["terraform-json/config_resource_depends_on.json", { replace: 1 }],
    ["terraform-compliance/test_issue_522__plan.out.json", { delete: 2 }],
  ])("%s: deletes and replaces of non-key resources pass", (f, counts) => {
    const d = decide(f);
    expect(d.exit).toBe(0);
    expect(d.blocked).toBe(0);
    expect(d.counts).toMatchObject(counts);
  });

  t.each([
    ["terraform-compliance/test_kms_key_rotation_success__plan.out.json", ["aws_kms_key.test-key create"]],
    ["terraform-compliance/test_dynamodb_kms_key_problem__plan.out.json", ["aws_kms_key.test create"]],
  ])("%s: a new KMS key passes and is listed as risky", (f, risky) => {
    const d = decide(f);
    expect(d.exit).toBe(0);
    expect(d.risky).toEqual(risky);
  });

  t("drift plans (Terraform 1.0 without addresses, 1.x with) pass", () => {
    for (const f of [
      "terraform-equivalence-tests/drift_simple.json",
      "terraform-show-json/drift.json",
      "terraform-compliance/test_issue_522__plan.out.json",
    ])
      expect(decide(f).exit).toBe(0);
  });

  const mutate = (f: string, actions: string[]): LoadedPlan => {
    const p = JSON.parse(readFileSync(join(CORPUS, f), "utf8")) as PlanJson;
    for (const rc of p.resource_changes ?? []) {
      if (rc.type !== "aws_kms_key") continue;
      rc.change.actions = actions;
      rc.change.before = rc.change.after ?? null;
      if (actions.length === 1) rc.change.after = null;
    }
    return { stack: "mutated", plan: p };
  };

  t.each([
    [["delete"], "delete"],
    [["delete", "create"], "replace"],
    [["create", "delete"], "replace"],
    [["forget"], "forget"],
  ])("the same corpus plans with the KMS key's action set to %j are blocked", (actions, action) => {
    for (const f of [
      "terraform-compliance/test_kms_key_rotation_success__plan.out.json",
      "terraform-compliance/test_dynamodb_kms_key_problem__plan.out.json",
    ]) {
      const r = classifyPlans([mutate(f, actions)]);
      expect(r.exitCode).toBe(1);
      expect(r.blocked.map((b) => [b.type, b.action])).toEqual([["aws_kms_key", action]]);
    }
  });

  t("the DynamoDB table appears as the consumer of the replaced key in the graph", () => {
    const r = classifyPlans([
      mutate("terraform-compliance/test_dynamodb_kms_key_problem__plan.out.json", ["delete", "create"]),
    ]);
    expect(
      r.graph.edges.map((e) => [
        r.graph.nodes.find((n) => n.id === e.from)?.address,
        e.via,
        r.graph.nodes.find((n) => n.id === e.to)?.address,
      ]),
    ).toEqual([["aws_dynamodb_table.test", "server_side_encryption", "aws_kms_key.test"]]);
  });
});
