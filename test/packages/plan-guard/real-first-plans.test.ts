/**
 * What a reviewer reads of the FIRST plans of the shipped environments (real Terraform CLI and AWS
 * provider, offline, made once by the jest global setup): RISKY lines only for what a reviewer must
 * read (none for plain creates: a first prod plan printed 30 before, one per create), the values
 * of every change with no secret among them, and a key-policy update on the real prod key shown as
 * the rights gained. Skipped, with the reason in the test names, where Terraform is missing.
 */
import { join } from "node:path";
import {
  classifyPlans,
  describeChange,
  formatResult,
  loadAllowlist,
  type JsonValue,
  type PlanJson,
  type ResourceChange,
} from "@cmk-stacks/plan-guard";
import { redactedChanges, renderComment } from "../../../tools/ci/report";
import { offlineRun, offlineSkipReason, type OfflineRun } from "../../helpers/offline";

const skipped = offlineSkipReason();
const t = skipped ? test.skip : test;
const why = skipped ? ` (SKIPPED: ${skipped})` : "";
let run: OfflineRun;
beforeAll(async () => {
  if (!skipped) run = await offlineRun(["prod-keys", "prod-data", "staging-keys"]);
}, 250_000);

const allowlist = () => loadAllowlist(join(__dirname, "..", "..", "..", "plan-guard.allow.json"));
const NOW = new Date("2026-12-01T00:00:00Z");

t(
  `a first prod plan (prod-keys and prod-data) prints no RISKY line: every change is a create the configuration asked for${why}`,
  () => {
    const r = classifyPlans(
      ["prod-keys", "prod-data"].map((stack) => ({ stack, plan: run.plan(stack) })),
      allowlist(),
      { withoutGraph: true, now: NOW },
    );
    expect(r.exitCode).toBe(0);
    expect(r.stacks.map((s) => [s.stack, Object.keys(s.counts)])).toEqual([
      ["prod-keys", ["create"]],
      ["prod-data", ["create"]],
    ]);
    expect(r.stacks.reduce((n, s) => n + s.resources, 0)).toBeGreaterThan(100);
    expect(r.risky).toEqual([]);
    expect(formatResult(r).filter((l) => l.startsWith("RISKY"))).toEqual([]);
  },
);

t(
  `a first staging plan prints one RISKY line: the records key shared with the declared analytics account${why}`,
  () => {
    const r = classifyPlans([{ stack: "staging-keys", plan: run.plan("staging-keys") }], allowlist(), {
      withoutGraph: true,
      now: NOW,
    });
    expect(r.risky.map((f) => [f.rule, f.address.replace(/_[0-9A-F]{8}$/, "")])).toEqual([
      ["key-policy-external-account-added", "aws_kms_key.key-records_key"],
    ]);
  },
);

/** Every value Terraform marks sensitive in a plan (strings and numbers), to prove none is copied out. */
function sensitiveValues(plan: PlanJson): string[] {
  const out: string[] = [];
  const walk = (v: JsonValue | undefined, s: JsonValue | undefined, inside: boolean) => {
    const mark = inside || s === true;
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, Array.isArray(s) ? s[i] : undefined, mark));
    else if (v && typeof v === "object")
      for (const [k, x] of Object.entries(v))
        walk(x, s && typeof s === "object" && !Array.isArray(s) ? s[k] : undefined, mark);
    else if (mark && (typeof v === "string" || typeof v === "number") && String(v).length >= 6) out.push(String(v));
  };
  for (const rc of plan.resource_changes ?? [])
    for (const side of ["before", "after"] as const)
      walk(rc.change[side], (rc.change as unknown as Record<string, JsonValue>)[`${side}_sensitive`], false);
  return out;
}

t(`the PR comment of the first prod plans shows the values, and no sensitive value of either plan${why}`, () => {
  for (const stack of ["prod-keys", "prod-data"]) {
    const plan = run.plan(stack);
    const changes = redactedChanges(plan);
    const text = JSON.stringify(changes);
    for (const secret of sensitiveValues(plan)) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/PRIVATE KEY-----/);
    if (stack === "prod-keys") {
      const key = changes.find((c) => /^aws_kms_key\.key-records_key_/.test(c.address));
      expect(key?.details).toEqual(
        expect.arrayContaining([
          "policy: arn:aws:iam::333333333333:root gained kms:*",
          "policy: arn:aws:iam::333333333333:role/RecordsService gained kms:Decrypt, kms:DescribeKey, kms:Encrypt, kms:GenerateDataKey*, kms:ReEncrypt*",
          "policy: arn:aws:iam::333333333333:role/RecordsService gained kms:CreateGrant, kms:ListGrants, kms:RevokeGrant (when kms:GrantIsForAWSResource = true)",
          "deletion_window_in_days = 30",
        ]),
      );
      const store = changes.find((c) => /^aws_kms_custom_key_store\.cloudhsm_key-store_/.test(c.address));
      expect(store?.details).toEqual(
        expect.arrayContaining(['custom_key_store_type = "AWS_CLOUDHSM"', "key_store_password = (sensitive)"]),
      );
    }
    const comment = renderComment({
      envs: ["prod"],
      synth: "success",
      reports: [{ env: "prod", stacks: [{ stack, status: "planned", changes }], guard: { exitCode: 0, summary: "" } }],
    });
    expect(comment.length).toBeLessThanOrEqual(60_000);
    for (const row of comment.split("\n").filter((l) => /^\| (create|update) \|/.test(l)))
      expect(row.split("|")).toHaveLength(5);
  }
});

t(
  `a key-policy update of the real prod records key reads as the right gained, and is RISKY with that text${why}`,
  () => {
    const plan = run.plan("prod-keys");
    const created = (plan.resource_changes ?? []).find((c) =>
      /^aws_kms_key\.key-records_key_/.test(c.address),
    ) as ResourceChange;
    const before: Record<string, JsonValue> = {
      ...(created.change.after as Record<string, JsonValue>),
      arn: "arn:aws:kms:eu-west-1:333333333333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    };
    const doc = JSON.parse(before.policy as string) as { Statement: object[] };
    const withPartner = (principal: string) =>
      JSON.stringify({
        ...doc,
        Statement: [
          ...doc.Statement,
          {
            Sid: "PartnerDecryptViaS3",
            Effect: "Allow",
            Principal: { AWS: principal },
            Action: "kms:Decrypt",
            Resource: "*",
            Condition: { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } },
          },
        ],
      });
    const update = (principal: string): ResourceChange => ({
      ...created,
      change: {
        ...created.change,
        actions: ["update"],
        before,
        after: { ...before, policy: withPartner(principal) },
        after_unknown: {},
      },
    });

    expect(describeChange(update("arn:aws:iam::555555555555:root"))).toEqual([
      "policy: arn:aws:iam::555555555555:root gained kms:Decrypt (when kms:ViaService = s3.eu-west-1.amazonaws.com)",
    ]);
    // Another account: blocked by the key-policy rule (not declared for prod).
    const foreign = classifyPlans(
      [{ stack: "prod-keys", plan: { ...plan, resource_changes: [update("arn:aws:iam::555555555555:root")] } }],
      allowlist(),
      { withoutGraph: true, now: NOW },
    );
    expect(foreign.blocked.map((f) => f.rule)).toEqual(["key-policy-cross-account"]);
    // A role of the key's own account: not blocked, but a reviewer must read it.
    const own = classifyPlans(
      [
        {
          stack: "prod-keys",
          plan: { ...plan, resource_changes: [update("arn:aws:iam::333333333333:role/Reporting")] },
        },
      ],
      allowlist(),
      { withoutGraph: true, now: NOW },
    );
    expect(own.exitCode).toBe(0);
    expect(own.risky.map((f) => [f.rule, f.why])).toEqual([
      [
        "key-resource-change",
        "policy: arn:aws:iam::333333333333:role/Reporting gained kms:Decrypt (when kms:ViaService = s3.eu-west-1.amazonaws.com)",
      ],
    ]);
  },
);
