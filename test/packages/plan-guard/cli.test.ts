/** The command line (exit codes, messages, summary file), the allowlist, the summary and the bench. */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  benchPlanGuard,
  blockLine,
  classifyPlans,
  formatResult,
  parseAllowlist,
  planDigest,
  renderSummary,
  runCli,
  stackNameFor,
  syntheticPlan,
  SUMMARY_MARKER,
} from "@cmk-stacks/plan-guard";
import { scratchDir } from "../../tools/terraform/fixtures";
import { cfg, planOf, rc } from "./builders";

const s = scratchDir("guard-cli");
afterAll(s.cleanup);
const file = (name: string, content: unknown): string => {
  const p = join(s.dir, name);
  writeFileSync(p, typeof content === "string" ? content : JSON.stringify(content));
  return p;
};
/** The clock of these tests: allowlist expiry dates are checked against it. */
const NOW = new Date("2026-12-01T12:00:00Z");
const run = async (...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l), now: () => NOW });
  return { code, out, err };
};

const keyDelete = planOf([rc("aws_kms_key.main", ["delete"], { id: "k1" }, null)]).plan;
const harmless = planOf([rc("aws_instance.web", ["delete"], { id: "i-1" }, null)]).plan;
const noAllow = file("none.allow.json", { allow: [] });
const KEY_DELETE_DIGEST = planDigest(keyDelete);
const DIGEST_LINE = /^PLAN \[[a-z-]+\] sha256:[0-9a-f]{64} \(an allowlist entry's digest names exactly this plan\)$/;

describe("exit codes and lines", () => {
  test("0 when nothing is blocked", async () => {
    const r = await run(file("ok.json", harmless), "--allowlist", noAllow);
    expect(r.code).toBe(0);
    expect(r.out).toEqual([
      `PLAN [ok] ${planDigest(harmless)} (an allowlist entry's digest names exactly this plan)`,
      "plan-guard: nothing blocked in 1 plan(s), 1 resource change(s) checked",
    ]);
  });

  test("1 when blocked, each line naming the stack from `name=path`", async () => {
    const r = await run(`prod-keys=${file("k.json", keyDelete)}`, "--allowlist", noAllow, "--quiet");
    expect(r.code).toBe(1);
    expect(r.out[0]).toBe(
      `PLAN [prod-keys] ${KEY_DELETE_DIGEST} (an allowlist entry's digest names exactly this plan)`,
    );
    expect(r.out[1]).toMatch(/^BLOCKED \[prod-keys\] aws_kms_key\.main \(delete\): deletes this KMS key; /);
    expect(r.out[2]).toBe("plan-guard: 1 blocked change(s) in 1 plan(s) (exit 1)");
  });

  test.each([
    ["not JSON", "{ nope", "not valid JSON"],
    [
      "not a plan",
      { values: {}, format_version: "1.0" },
      "not a Terraform plan: no planned_values or resource_changes (this is `terraform show -json` of a state, not of a plan file)",
    ],
    [
      "an unsupported format",
      { format_version: "2.0", resource_changes: [] },
      'unsupported format_version "2.0" (supported: 0.1, 0.2, 1.0, 1.1, 1.2)',
    ],
    [
      "a malformed change",
      { format_version: "1.2", resource_changes: [{ type: "aws_kms_key", name: "k", change: { actions: "delete" } }] },
      "resource_changes[0].change.actions: expected an array of strings",
    ],
  ])("2 for %s, with the file and the reason on one line", async (_what, content, reason) => {
    const p = file("bad.json", content);
    const r = await run(p, "--allowlist", noAllow);
    expect(r.code).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toContain(`plan-guard: ${p}: ${reason}`);
  });

  test("2 for a missing file or no arguments, never a stack trace", async () => {
    const missing = await run(join(s.dir, "nope.json"), "--allowlist", noAllow);
    expect([missing.code, missing.err]).toEqual([2, [`plan-guard: ${join(s.dir, "nope.json")}: no such file`]]);
    const none = await run();
    expect(none.code).toBe(2);
    expect(none.err.join("\n")).not.toMatch(/\bat .*\(/);
  });

  test("--changes prints every change with its values, secrets masked, each on its own line", async () => {
    const p = planOf([
      rc("aws_kms_key.k", ["update"], { deletion_window_in_days: 7 }, { deletion_window_in_days: 30 }),
      rc("aws_ssm_parameter.p", ["update"], { value: "old-secret\n::add-mask::x" }, { value: "new-secret" }, {
        change: {
          actions: ["update"],
          before: { value: "old-secret" },
          after: { value: "new-secret" },
          after_unknown: {},
          before_sensitive: { value: true },
          after_sensitive: { value: true },
        },
      } as never),
      rc("aws_vpc.v", ["no-op"], {}, {}),
    ]).plan;
    const r = await run(`dev-keys=${file("c.json", p)}`, "--allowlist", noAllow, "--changes");
    expect(r.out.filter((l) => /^(CHANGE| )/.test(l))).toEqual([
      "CHANGE [dev-keys] aws_kms_key.k (update)",
      "    deletion_window_in_days: 7 → 30",
      "CHANGE [dev-keys] aws_ssm_parameter.p (update)",
      "    value: (sensitive) → (sensitive)",
    ]);
    expect(r.out.join("\n")).not.toMatch(/secret/);
  });

  test("stack names come from the file name, or the folder for generic names", () => {
    expect(stackNameFor("plans/dev-keys.json")).toBe("dev-keys");
    expect(stackNameFor("cdktf.out/stacks/dev-data/plan.json")).toBe("dev-data");
  });
});

describe("allowlist", () => {
  test("an allowed change exits 0 and says which entry covered it; an unused entry is a warning", async () => {
    const allow = file("a.allow.json", {
      allow: [
        {
          address: "aws_kms_key.main",
          stack: "prod-keys",
          reason: "retired after migrating to aws_kms_key.v2 (#17)",
          actions: ["delete"],
          digest: KEY_DELETE_DIGEST,
        },
        { address: "aws_kms_key.gone", reason: "stale", expires: "2026-12-31" },
      ],
    });
    const r = await run(`prod-keys=${file("k.json", keyDelete)}`, "--allowlist", allow);
    expect(r.code).toBe(0);
    expect(r.out).toEqual([
      `PLAN [prod-keys] ${KEY_DELETE_DIGEST} (an allowlist entry's digest names exactly this plan)`,
      "ALLOWED [prod-keys] aws_kms_key.main (delete): destroy-key-bearing, allowed by allowlist entry 0: retired after migrating to aws_kms_key.v2 (#17)",
      "WARNING allowlist entry 1 (aws_kms_key.gone) matched nothing: remove it or fix the address",
      "plan-guard: nothing blocked in 1 plan(s), 1 resource change(s) checked, 1 allowed by the allowlist",
    ]);
  });

  test.each([
    [
      { allow: [{ address: "aws_kms_key.main" }] },
      "allow[0] (aws_kms_key.main) has no reason: every allowance must say why the change is safe",
    ],
    [{ allow: [{ address: "aws_kms_key.main", reason: "  " }] }, "allow[0] (aws_kms_key.main) has no reason"],
    [
      { allow: [{ address: "a.b", reason: "r", actions: ["destroy"], expires: "2026-12-31" }] },
      "allow[0].actions must be a non-empty list of delete, replace, forget, update, drift, unknown",
    ],
    [
      { allow: [{ address: "a.b", reason: "r", stacks: ["x"], expires: "2026-12-31" }] },
      "allow[0] has unknown field(s) stacks",
    ],
    [
      { allow: [{ address: "a.b", reason: "r" }] },
      "allow[0] (a.b) names neither digest nor expires: give the digest of the plan it allows (the guard prints it for each plan) and/or the last day it applies (expires: YYYY-MM-DD)",
    ],
    [
      { allow: [{ address: "a.b", reason: "r", digest: "sha256:AB12" }] },
      'allow[0].digest must be a plan digest, sha256: and 64 lower-case hex digits as the guard prints it, not "sha256:AB12"',
    ],
    [
      { allow: [{ address: "a.b", reason: "r", expires: "2026-02-30" }] },
      'allow[0].expires must be a date written YYYY-MM-DD (the last day, UTC), not "2026-02-30"',
    ],
    [
      { allow: [{ address: "a.b", reason: "r", expires: "30.11.2026" }] },
      'allow[0].expires must be a date written YYYY-MM-DD (the last day, UTC), not "30.11.2026"',
    ],
    [
      { allow: [], externalAccounts: [{ account: "555555555555", reason: "r", expires: "soon" }] },
      'externalAccounts[0].expires must be a date written YYYY-MM-DD (the last day, UTC), not "soon"',
    ],
    [{ allowed: [] }, 'expected { "allow": [ ... ] }'],
  ])("an invalid allowlist is an input error (exit 2): %j", async (doc, message) => {
    const r = await run(file("ok.json", harmless), "--allowlist", file("bad.allow.json", doc));
    expect(r.code).toBe(2);
    expect(r.err[0]).toContain(message);
  });

  test("every problem of every entry is reported at once, each naming its entry", async () => {
    const r = await run(
      file("ok.json", harmless),
      "--allowlist",
      file("bad.allow.json", {
        allow: [{ address: "a.b", reason: "r" }, { address: "c.d", expires: "2026-13-01" }, "x"],
      }),
    );
    expect(r.code).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toContain(
      'allow[0] (a.b) names neither digest nor expires: give the digest of the plan it allows (the guard prints it for each plan) and/or the last day it applies (expires: YYYY-MM-DD); allow[1] (c.d) has no reason: every allowance must say why the change is safe; allow[1].expires must be a date written YYYY-MM-DD (the last day, UTC), not "2026-13-01"; allow[2] is not an object',
    );
  });

  test("an entry names the change it allows: it stops matching once expired or for another plan, and the guard says why", () => {
    const p = planOf([rc("aws_kms_key.main", ["delete"], { id: "k1" }, null)], { stack: "prod-keys" });
    const other = planDigest(planOf([rc("aws_kms_key.main", ["delete"], { id: "k2" }, null)]).plan);
    const digest = planDigest(p.plan);
    const verdict = (entries: object[], now: Date) => {
      const r = classifyPlans(
        [p],
        parseAllowlist({ allow: entries.map((e) => ({ address: "aws_kms_key.main", reason: "retired (#17)", ...e })) }),
        { now },
      );
      return {
        allowed: r.allowed.map((a) => a.entry.index),
        notAllowed: r.blocked.map((b) => b.notAllowed),
        warnings: r.warnings,
      };
    };
    // The expiry day itself still counts (until 23:59:59.999 UTC); the next moment it does not.
    expect(verdict([{ expires: "2026-11-30" }], new Date("2026-11-30T23:59:59.999Z")).allowed).toEqual([0]);
    expect(verdict([{ expires: "2026-11-30" }], new Date("2026-12-01T00:00:00Z"))).toEqual({
      allowed: [],
      notAllowed: [["allow[0] expired on 2026-11-30"]],
      warnings: ["allowlist entry 0 (aws_kms_key.main) expired on 2026-11-30: remove it"],
    });
    expect(verdict([{ digest }], NOW).allowed).toEqual([0]);
    expect(
      verdict(
        [
          { digest: other },
          { digest, expires: "2026-11-30" },
          { expires: "2026-12-31", actions: ["replace"] },
          { expires: "2026-12-31", stack: "dev-keys" },
        ],
        NOW,
      ).notAllowed,
    ).toEqual([
      [
        `allow[0] was written for ${other.slice(0, 19)}…, this plan is ${digest.slice(0, 19)}…`,
        "allow[1] expired on 2026-11-30",
        "allow[2] allows replace only, this change is delete",
        "allow[3] is for stack dev-keys, this is prod-keys",
      ],
    ]);
    // Both conditions hold when both are given.
    expect(verdict([{ digest, expires: "2026-12-31" }], NOW).allowed).toEqual([0]);
  });

  test("the reasons reach the blocked line and the summary", () => {
    const p = planOf([rc("aws_kms_key.main", ["delete"], { id: "k1" }, null)], { stack: "prod-keys" });
    const r = classifyPlans(
      [p],
      parseAllowlist({ allow: [{ address: "aws_kms_key.main", reason: "r", expires: "2026-11-30" }] }),
      { now: NOW },
    );
    expect(blockLine(r.blocked[0])).toMatch(/\. Not allowed: allow\[0\] expired on 2026-11-30\.$/);
    expect(renderSummary(r)).toMatch(/\. Not allowed: allow&#91;0&#93; expired on 2026-11-30 \|$/m);
    expect(formatResult(r)[0]).toMatch(DIGEST_LINE);
    const allowed = classifyPlans(
      [p],
      parseAllowlist({
        allow: [
          { address: "aws_kms_key.main", reason: "retired (#17)", expires: "2026-12-31", digest: planDigest(p.plan) },
        ],
      }),
      { now: NOW },
    );
    expect(renderSummary(allowed)).toMatch(
      /\| entry 0 \(for this plan only \(digest\), until 2026-12-31\): retired \(&#35;&#8203;17\) \|$/m,
    );
    expect(renderSummary(r)).toContain(`| prod-keys | 1 | 1 | <code>${planDigest(p.plan)}</code> |`);
  });

  test("an expired externalAccounts declaration no longer declares the account", () => {
    const p = planOf(
      [
        rc(
          "aws_kms_key.k",
          ["update"],
          {
            arn: "arn:aws:kms:eu-west-1:111122223333:key/k",
            policy: JSON.stringify({
              Statement: [
                {
                  Effect: "Allow",
                  Principal: { AWS: "arn:aws:iam::111122223333:root" },
                  Action: "kms:*",
                  Resource: "*",
                },
              ],
            }),
          },
          {
            arn: "arn:aws:kms:eu-west-1:111122223333:key/k",
            policy: JSON.stringify({
              Statement: [
                {
                  Effect: "Allow",
                  Principal: { AWS: "arn:aws:iam::111122223333:root" },
                  Action: "kms:*",
                  Resource: "*",
                },
                {
                  Effect: "Allow",
                  Principal: { AWS: "arn:aws:iam::555555555555:root" },
                  Action: "kms:Decrypt",
                  Resource: "*",
                },
              ],
            }),
          },
        ),
      ],
      { stack: "prod-keys" },
    );
    const allow = parseAllowlist({
      allow: [],
      externalAccounts: [{ account: "555555555555", reason: "analytics (#42)", expires: "2026-11-30" }],
    });
    expect(classifyPlans([p], allow, { now: new Date("2026-11-30T12:00:00Z") }).exitCode).toBe(0);
    const later = classifyPlans([p], allow, { now: NOW });
    expect(later.blocked.map((b) => b.rule)).toEqual(["key-policy-cross-account"]);
    expect(later.warnings).toEqual([
      "externalAccounts[0] (555555555555) expired on 2026-11-30: key policies granting it are blocked again; remove it or renew it",
    ]);
  });

  test("an entry narrowed by stack or action does not cover other changes; an instance-less address covers every instance", () => {
    const p = planOf(
      [
        rc('aws_kms_key.k["a"]', ["delete"], { id: "1" }, null),
        rc("aws_kms_key.j", ["delete", "create"], { id: "2" }, { id: "3" }),
      ],
      { stack: "dev-keys" },
    );
    const r = classifyPlans(
      [p],
      parseAllowlist({
        allow: [
          { address: "aws_kms_key.k", reason: "r", expires: "2099-12-31" },
          { address: "aws_kms_key.j", reason: "r", actions: ["delete"], expires: "2099-12-31" },
          { address: "aws_kms_key.j", stack: "prod-keys", reason: "r", expires: "2099-12-31" },
        ],
      }),
    );
    expect(r.allowed.map((a) => a.finding.address)).toEqual(['aws_kms_key.k["a"]']);
    expect(r.blocked.map((b) => b.address)).toEqual(["aws_kms_key.j"]);
    expect(r.unusedAllowances.map((e) => e.index)).toEqual([1, 2]);
  });

  test("the committed allowlist is valid, allows no blocked change, and declares exactly the shipped environments' external accounts", async () => {
    const { environments } = await import("../../../environments");
    const committed = parseAllowlist(
      JSON.parse(readFileSync(join(__dirname, "../../../plan-guard.allow.json"), "utf8")),
      "plan-guard.allow.json",
    );
    expect(committed.entries).toEqual([]);
    const shipped = Object.entries(environments).flatMap(([name, env]) =>
      Object.values(env.keys).flatMap((k) => (k.externalAccounts ?? []).map((a) => `${name}-keys ${a.account}`)),
    );
    expect(shipped.length).toBeGreaterThan(0);
    expect([...new Set(shipped)].sort()).toEqual(
      (committed.externalAccounts ?? []).map((e) => `${e.stack} ${e.account}`).sort(),
    );
  });
});

describe("summary", () => {
  const keys = planOf(
    [
      rc("aws_kms_key.data", ["delete", "create"], { id: "k" }, { id: null }),
      rc("aws_kms_custom_key_store.hsm", ["no-op"], { id: "cks-1" }, { id: "cks-1" }),
    ],
    {
      stack: "dev-keys",
      config: [
        cfg("aws_kms_key.data", { custom_key_store_id: "aws_kms_custom_key_store.hsm.id" }),
        cfg("aws_kms_custom_key_store.hsm"),
      ],
      outputs: { "cross-stack-output-aws_kms_keydataarn": "aws_kms_key.data.arn" },
    },
  );
  const data = planOf(
    [
      rc(
        "aws_s3_bucket_server_side_encryption_configuration.sse",
        ["update"],
        {
          rule: [
            {
              apply_server_side_encryption_by_default: [
                { sse_algorithm: "aws:kms", kms_master_key_id: "arn:aws:kms:eu-west-1:111122223333:key/old" },
              ],
            },
          ],
        },
        {
          rule: [
            {
              apply_server_side_encryption_by_default: [
                { sse_algorithm: "aws:kms", kms_master_key_id: "arn:aws:kms:eu-west-1:111122223333:key/new" },
              ],
            },
          ],
        },
      ),
      rc("aws_fsx_ontap_file_system.files", ["no-op"], {}, {}),
    ],
    {
      stack: "dev-data",
      config: [
        cfg("aws_s3_bucket_server_side_encryption_configuration.sse", {
          rule: "data.terraform_remote_state.cross-stack-reference-input-dev-keys.outputs.cross-stack-output-aws_kms_keydataarn",
        }),
        cfg("aws_fsx_ontap_file_system.files", {
          kms_key_id:
            "data.terraform_remote_state.cross-stack-reference-input-dev-keys.outputs.cross-stack-output-aws_kms_keydataarn",
        }),
      ],
    },
  );
  const md = renderSummary(classifyPlans([keys, data]));

  test("starts with the marker and the verdict, lists blocked before risky, counts per stack", () => {
    expect(md.split("\n").slice(0, 2)).toEqual([SUMMARY_MARKER, "## Plan guard: ❌ 1 blocked change"]);
    expect(md.indexOf("### Blocked")).toBeLessThan(md.indexOf("### Risky (review)"));
    expect(md).toContain(
      "| dev-keys | <code>aws_kms_key.data</code> | replace | replaces this KMS key: the old one is destroyed;",
    );
    expect(md).toContain(
      `| stack | update | replace | no-op | resources | plan digest |\n|---|---:|---:|---:|---:|---|\n| dev-keys | 0 | 1 | 1 | 2 | <code>${planDigest(keys.plan)}</code> |\n| dev-data | 1 | 0 | 1 | 2 | <code>${planDigest(data.plan)}</code> |`,
    );
  });

  test("draws the key, its key store and its consumers in other stacks (through cross-stack outputs)", () => {
    const diagram = md.slice(md.indexOf("```mermaid"));
    expect(diagram).toContain("graph LR");
    expect(diagram).toContain('n0(["aws_kms_key.data<br/>replace"])');
    expect(diagram).toContain('n1(["aws_kms_custom_key_store.hsm"])');
    expect(diagram).toContain('n2["aws_s3_bucket_server_side_encryption_configuration.sse<br/>update"]');
    expect(diagram).toContain('n3["aws_fsx_ontap_file_system.files"]');
    expect(diagram).toContain("n0 -->|custom_key_store_id| n1");
    expect(diagram).toContain("n2 -->|rule| n0");
    expect(diagram).toContain("n3 -->|kms_key_id| n0");
    expect(diagram).toContain("class n0 blocked");
  });

  test("--summary writes the file and --markdown prints it", async () => {
    const out = join(s.dir, "summary.md");
    const r = await run(
      `dev-keys=${file("k.json", keyDelete)}`,
      "--allowlist",
      noAllow,
      "--summary",
      out,
      "--markdown",
    );
    expect(r.code).toBe(1);
    expect(readFileSync(out, "utf8")).toBe(r.out.join("\n"));
    expect(r.out.join("\n").split("\n")[0]).toBe(SUMMARY_MARKER);
  });

  test("input errors are in the summary too (the workflow posts it whatever the exit code)", async () => {
    const out = join(s.dir, "summary2.md");
    expect((await run(file("bad.json", "{"), "--allowlist", noAllow, "--summary", out)).code).toBe(2);
    expect(readFileSync(out, "utf8")).toMatch(
      /## Plan guard: ⚠️ input errors[\s\S]*### Input errors\n\n- .*bad\.json: not valid JSON/,
    );
  });
});

test("benchPlanGuard classifies a synthetic plan (small here: the full 50,000-resource run is `npm run bench -- --only guard`)", () => {
  const b = benchPlanGuard(2_000, 400);
  expect(b).toEqual({ resources: 2000, keyPolicyUpdates: 400, ms: expect.any(Number) });
  expect(b.ms).toBeGreaterThan(0);
});

test("the synthetic plan's key-policy updates are judged, and pass (the shape this project ships, one user added)", () => {
  const plan = syntheticPlan(1_000, 200);
  const policies = (plan.resource_changes ?? []).filter(
    (rc) => rc.type === "aws_kms_key_policy" || (rc.type === "aws_kms_key" && rc.address.startsWith("aws_kms_key.p")),
  );
  expect(policies).toHaveLength(200);
  const r = classifyPlans([{ stack: "bench", plan }], undefined, { withoutGraph: true });
  expect(r.blocked.filter((f) => f.rule.startsWith("key-policy"))).toEqual([]);
  expect(r.risky.filter((f) => f.address.startsWith("aws_kms_key_policy.p")).map((f) => f.rule)).toEqual(
    Array(100).fill("key-resource-change"),
  );
});
