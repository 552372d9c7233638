/**
 * The CI helpers: redacted reports, the one comment, environment names, plan digests, changed-envs.
 * Terraform Cloud runs against a loopback API (tfc-plan runs tar): test/tools/ci/ci-tfc.test.ts.
 * The built tool's own runs (`node .build/ci.js`, `node .build/main.js`): test/tools/ci/ci-cli.test.ts.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dataStackMustWait, redactedChanges, renderComment, failed } from "../../../tools/ci/report";
import { runCi } from "../../../tools/ci/cli";
import { ciEnvironments, secretSuffix } from "../../../tools/ci/envs";
import { changedEnvironments, untrustedBase } from "../../../tools/ci/changed";
import { planDigest } from "@cmk-stacks/plan-guard";
import { environments } from "../../../environments";
import type { EnvironmentConfig } from "../../../environments/types";

const work = mkdtempSync(join(tmpdir(), "cmk-ci-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("redacted reports", () => {
  test("addresses, actions and the values that change are kept, secrets masked (marked or not)", () => {
    const plan = {
      resource_changes: [
        {
          address: "aws_kms_custom_key_store.s",
          type: "aws_kms_custom_key_store",
          change: {
            actions: ["update"],
            before: { key_store_password: "old-pw", custom_key_store_name: "a" },
            after: { key_store_password: "new-pw", custom_key_store_name: "b" },
          },
        },
        {
          address: "aws_secretsmanager_secret_version.v",
          type: "aws_secretsmanager_secret_version",
          change: {
            actions: ["update"],
            before: { secret_string: "s3cr3t-old", version_stages: ["AWSCURRENT"] },
            after: { secret_string: "s3cr3t-new", version_stages: ["AWSCURRENT"] },
            before_sensitive: { secret_string: true },
            after_sensitive: { secret_string: true },
          },
        },
        {
          address: "aws_kms_key.k",
          type: "aws_kms_key",
          change: {
            actions: ["delete", "create"],
            before: { deletion_window_in_days: 7 },
            after: { deletion_window_in_days: 30 },
            replace_paths: [["custom_key_store_id"]],
          },
        },
        { address: "aws_vpc.v", change: { actions: ["no-op"] } },
      ],
    };
    expect(redactedChanges(plan)).toEqual([
      {
        address: "aws_kms_custom_key_store.s",
        action: "update",
        details: ['custom_key_store_name: "a" → "b"', "key_store_password: (sensitive) → (sensitive)"],
      },
      {
        address: "aws_secretsmanager_secret_version.v",
        action: "update",
        details: ["secret_string: (sensitive) → (sensitive)"],
      },
      {
        address: "aws_kms_key.k",
        action: "replace",
        details: ["replaced because of: custom_key_store_id", "deletion_window_in_days: 7 → 30"],
      },
    ]);
    expect(JSON.stringify(redactedChanges(plan))).not.toMatch(/pw|s3cr3t/);
  });

  test("fails when a resource change has no address or actions", () => {
    expect(() => redactedChanges({ resource_changes: [{ change: { actions: ["create"] } }] })).toThrow(
      "a resource change without an address or an action list",
    );
  });

  test.each([
    [{ "cross-stack-output-x": { actions: ["create"] } }, true],
    [{ "cross-stack-output-x": { actions: ["update"] } }, true],
    [{ "cross-stack-output-x": { actions: ["no-op"] } }, false],
    [{ "cross-stack-output-x": { actions: ["delete"] } }, false],
    [{ cloudhsm_cluster_csr: { actions: ["create"] } }, false],
  ])("the data stack waits for the keys when their outputs are %j: %s", (outputs, wait) => {
    expect(dataStackMustWait({ output_changes: outputs })).toBe(wait);
  });

  test("the comment escapes Markdown in addresses and caps the list", () => {
    const changes = Array.from({ length: 152 }, (_, i) => ({
      address: `aws_s3_bucket.b["x|<img>${i}"]`,
      action: "create",
    }));
    const text = renderComment({
      envs: ["dev"],
      synth: "success",
      reports: [
        {
          env: "dev",
          stacks: [{ stack: "dev-data", status: "planned", changes }],
          guard: { exitCode: 0, summary: "<!-- plan-guard-summary -->\n## Plan guard: ✅ nothing blocked" },
        },
      ],
    });
    expect(text).toContain('| create | <code>aws_s3_bucket.b&#91;"x&#124;&#60;img&#62;0"&#93;</code> |  |');
    expect(text).toContain("_and 2 more (see the job log)._");
    expect(text.match(/<!-- plan-guard-summary -->/g)).toHaveLength(1);
    expect(text).toContain("#### Plan guard: ✅ nothing blocked");
  });

  test("the check fails for a blocked plan, a missing guard or a missing report", () => {
    const ok = { env: "dev", stacks: [], guard: { exitCode: 0, summary: "" } };
    expect(failed({ envs: ["dev"], synth: "success", reports: [ok] })).toBe(false);
    expect(failed({ envs: ["dev"], synth: "success", reports: [{ ...ok, guard: { exitCode: 1, summary: "" } }] })).toBe(
      true,
    );
    expect(failed({ envs: ["dev"], synth: "success", reports: [{ env: "dev", stacks: [] }] })).toBe(true);
    expect(failed({ envs: ["dev", "prod"], synth: "success", reports: [ok] })).toBe(true);
    expect(failed({ envs: [], synth: "failure", reports: [] })).toBe(true);
  });
});

describe("environment names as GitHub secret names", () => {
  test.each([
    ["dev", "DEV"],
    ["prod-eu", "PROD_EU"],
    ["eu-west-1", "EU_WEST_1"],
    ["2nd", "2ND"],
  ])("%s -> %s", (name, suffix) => {
    expect(secretSuffix(name)).toBe(suffix);
  });

  test.each(["dev.1", "dév", "a b", ""])("fails for %j, which no secret name can hold", (name) => {
    expect(() => secretSuffix(name)).toThrow(
      `"${name}" cannot be part of a GitHub secret name: use letters, digits and - only`,
    );
  });

  const as = (name: string): EnvironmentConfig => ({ ...environments.dev, name });

  test("every matrix entry carries its secret suffix", () => {
    expect(
      ciEnvironments({ dev: as("dev"), "prod-eu": as("prod-eu") }).map(({ env, secretSuffix: s }) => [env, s]),
    ).toEqual([
      ["dev", "DEV"],
      ["prod-eu", "PROD_EU"],
    ]);
  });

  test("fails when two environments would share their secrets, or one is another's plan environment, naming all of them", () => {
    expect(() =>
      ciEnvironments({
        "prod-eu": as("prod-eu"),
        prod_eu: as("prod_eu"),
        Dev: as("Dev"),
        dev: as("dev"),
        "dev-plan": as("dev-plan"),
      }),
    ).toThrow(
      [
        'environments.prod_eu: its GitHub secrets would be those of "prod-eu" (both end in _PROD_EU: secret names are case-insensitive and - becomes _): rename one of them',
        'environments.dev: its GitHub secrets would be those of "Dev" (both end in _DEV: secret names are case-insensitive and - becomes _): rename one of them',
        'environments.dev-plan: "dev-plan" is the GitHub environment of Dev\'s plan jobs (Dev-plan): rename it',
      ].join("\n"),
    );
  });
});

describe("plan digests on the command line", () => {
  const plan = {
    resource_changes: [
      {
        address: "aws_kms_key.k",
        type: "aws_kms_key",
        change: { actions: ["update"], before: { description: "a" }, after: { description: "b" } },
      },
    ],
  };
  const file = (name: string, v: unknown) => {
    const f = join(work, name);
    writeFileSync(f, JSON.stringify(v));
    return f;
  };
  const run = async (argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCi(argv, { out: (s) => out.push(s), err: (s) => err.push(s), env: {} });
    return { code, out, err };
  };

  test("plan-digest prints the digest; check-digest accepts the same plan and refuses another, naming both digests", async () => {
    const f = file("d1.json", plan);
    const digest = planDigest(plan);
    expect(await run(["plan-digest", f])).toEqual({ code: 0, out: [digest], err: [] });
    expect(await run(["check-digest", f, "--expect", digest])).toEqual({
      code: 0,
      out: [],
      err: [`plan digest ${digest}: the approved plan`],
    });
    const other = planDigest({ resource_changes: [] });
    expect(await run(["check-digest", f, "--expect", other])).toEqual({
      code: 1,
      out: [],
      err: [
        `ci: REFUSED: the plan differs from the approved one (approved ${other}, planned now ${digest}). Nothing was applied. Something changed after the approval (another merge, drift, a provider release): run the deploy again and review the new plan.`,
      ],
    });
  });

  test.each([["sha256:XYZ"], [""], ["md5:0"], [`sha256:${"a".repeat(64)}\n`]])(
    "check-digest refuses %j as a digest",
    async (bad) => {
      const r = await run(["check-digest", file("d2.json", plan), "--expect", bad]);
      expect(r.code).toBe(2);
      expect(r.err[0]).toMatch(
        /^ci: --expect must be a plan digest \(sha256: and 64 hex digits, as plan-digest prints it\), not "/,
      );
    },
  );

  test("check-digest and plan-digest fail with one line on a missing or broken plan", async () => {
    expect(await run(["plan-digest", join(work, "nope.json")])).toEqual({
      code: 2,
      out: [],
      err: [`ci: ${join(work, "nope.json")}: ENOENT`],
    });
    writeFileSync(join(work, "broken.json"), "{");
    expect((await run(["check-digest", join(work, "broken.json"), "--expect", planDigest(plan)])).err).toEqual([
      `ci: ${join(work, "broken.json")}: not valid JSON`,
    ]);
  });

  test("has-changes: 0 for a change to a resource or an output, 1 for none", async () => {
    expect((await run(["has-changes", file("c1.json", plan)])).code).toBe(0);
    expect(
      (await run(["has-changes", file("c2.json", { output_changes: { x: { actions: ["create"], after: 1 } } })])).code,
    ).toBe(0);
    expect(
      (
        await run([
          "has-changes",
          file("c3.json", {
            resource_changes: [{ address: "a.b", change: { actions: ["no-op"] } }],
            output_changes: { x: { actions: ["no-op"] } },
          }),
        ])
      ).code,
    ).toBe(1);
  });

  test("the PR comment and the job summary show each planned stack's digest", async () => {
    const report = join(work, "rep.json");
    expect(
      (await run(["record", report, "--env", "dev", "--stack", "dev-keys", "--plan", file("r.json", plan)])).code,
    ).toBe(0);
    await run(["guard-result", report, "--env", "dev", "--exit", "0"]);
    const text = renderComment({
      envs: ["dev"],
      synth: "success",
      reports: [JSON.parse(readFileSync(report, "utf8"))],
    });
    expect(text).toContain(`Plan digest of \`dev-keys\`: \`${planDigest(plan)}\``);
    const summary = await run(["summary", report, "--env", "dev", "--title", "Plan of dev-keys"]);
    expect(summary.out[0]).toMatch(/^## Plan of dev-keys\n\n/);
    expect(summary.out[0]).toContain(`Plan digest of \`dev-keys\`: \`${planDigest(plan)}\``);
  });
});

describe("changed-envs: only environments whose synthesized stacks changed are deployed", () => {
  const envs = ciEnvironments(environments);
  function outdir(stacks: Record<string, Record<string, string>>): string {
    const d = mkdtempSync(join(work, "out-"));
    for (const [stack, files] of Object.entries(stacks)) {
      for (const [path, content] of Object.entries(files)) {
        mkdirSync(join(d, "stacks", stack, path, ".."), { recursive: true });
        writeFileSync(join(d, "stacks", stack, path), content);
      }
    }
    return d;
  }
  const base = (): Record<string, Record<string, string>> =>
    Object.fromEntries(
      envs
        .flatMap(({ env }) => [`${env}-keys`, `${env}-data`])
        .map((s) => [s, { "cdk.tf.json": `{"s":"${s}"}`, "assets/hook/index.js": "x" }]),
    );

  test("nothing changed (a docs-only push): an empty matrix", () => {
    const r = changedEnvironments(envs, outdir(base()), outdir(base()));
    expect(r.matrix).toEqual([]);
    expect(r.lines).toEqual(envs.map(({ env }) => `${env}: unchanged, not deployed`));
  });

  test("a changed asset, a changed cdk.tf.json: those environments only, in registration order", () => {
    const after = base();
    after["prod-keys"] = { ...after["prod-keys"], "assets/hook/index.js": "y" };
    after["dev-data"] = { ...after["dev-data"], "cdk.tf.json": '{"s":"changed"}' };
    const r = changedEnvironments(envs, outdir(base()), outdir(after));
    expect(r.matrix).toEqual([
      { env: "dev", secretSuffix: "DEV" },
      { env: "prod", secretSuffix: "PROD" },
    ]);
    expect(r.lines).toEqual([
      "dev: deploy (dev-data: cdk.tf.json changed)",
      "staging: unchanged, not deployed",
      "prod: deploy (prod-keys: assets/hook/index.js changed)",
    ]);
  });

  test("a changed dependency lock file counts: it decides the provider version every plan installs", () => {
    const before = base();
    const after = base();
    before["staging-keys"] = { ...before["staging-keys"], ".terraform.lock.hcl": 'version = "6.25.0"' };
    after["staging-keys"] = { ...after["staging-keys"], ".terraform.lock.hcl": 'version = "6.30.0"' };
    expect(changedEnvironments(envs, outdir(before), outdir(after)).lines[1]).toBe(
      "staging: deploy (staging-keys: .terraform.lock.hcl changed)",
    );
  });

  test("added and removed files count; Terraform's own files in a stack directory do not", () => {
    const before = base();
    before["staging-keys"] = {
      ...before["staging-keys"],
      ".terraform/providers/x": "1",
      "terraform.tfstate": "state",
    };
    const after = base();
    after["dev-keys"] = { "cdk.tf.json": after["dev-keys"]["cdk.tf.json"] };
    after["prod-data"] = { ...after["prod-data"], "assets/new.zip": "z" };
    const r = changedEnvironments(envs, outdir(before), outdir(after));
    expect(r.lines).toEqual([
      "dev: deploy (dev-keys: assets/hook/index.js removed)",
      "staging: unchanged, not deployed",
      "prod: deploy (prod-data: assets/new.zip added)",
    ]);
  });

  test("a new environment, or nothing to compare with: deployed", () => {
    const before = base();
    delete before["staging-keys"];
    delete before["staging-data"];
    expect(changedEnvironments(envs, outdir(before), outdir(base())).lines[1]).toBe(
      "staging: deploy (staging-keys: new (not in the previous commit's synthesized output); staging-data: new (not in the previous commit's synthesized output))",
    );
    const none = changedEnvironments(envs, join(work, "never-synthesized"), outdir(base()));
    expect(none.matrix.map((m) => m.env)).toEqual(envs.map((e) => e.env));
    expect(none.lines[0]).toBe("dev: deploy (nothing to compare with: no synthesized output of the previous commit)");
  });

  test("the CLI prints the matrix on stdout and why on stderr; fails with one line without the pushed commit's output", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCi(["changed-envs", "--before", outdir(base()), "--after", outdir(base())], {
      out: (s) => out.push(s),
      err: (s) => err.push(s),
      env: {},
    });
    expect([code, out]).toEqual([0, ["[]"]]);
    expect(err).toHaveLength(envs.length);
    const missing = join(work, "missing-after");
    const err2: string[] = [];
    expect(
      await runCi(["changed-envs", "--before", missing, "--after", missing], {
        out: () => undefined,
        err: (s) => err2.push(s),
        env: {},
      }),
    ).toBe(2);
    expect(err2).toEqual([
      `ci: ${missing}: no synthesized stacks (run npm run synth with CDKTF_OUTDIR=${missing} first)`,
    ]);
  });

  describe("the previous commit is a base only when the deploy run before this one succeeded on it", () => {
    const runs = (...r: object[]) => ({ workflow_runs: r });
    const ok = { id: 90, head_sha: "b".repeat(40), status: "completed", conclusion: "success" };
    test.each<[string, unknown, string | undefined]>([
      [
        "it succeeded on that commit",
        runs({ id: 101, status: "in_progress" }, ok, { id: 80, conclusion: "failure", status: "completed" }),
        undefined,
      ],
      [
        "it failed (or an approval was rejected)",
        runs({ ...ok, conclusion: "failure" }),
        "the previous deploy run 90 ended failure",
      ],
      [
        "GitHub replaced its pending run (cancelled)",
        runs({ ...ok, conclusion: "cancelled" }),
        "the previous deploy run 90 ended cancelled",
      ],
      [
        "it deployed another commit",
        runs({ ...ok, head_sha: "c".repeat(40) }),
        "the previous deploy run 90 deployed cccccccccccc, not the commit before this push (a run in between was replaced or skipped)",
      ],
      [
        "it still runs",
        runs({ ...ok, status: "in_progress", conclusion: null }),
        "the previous deploy run 90 has not completed",
      ],
      ["there is none", runs(), "no earlier deploy run"],
      ["the API answer is unreadable", {}, "the earlier deploy runs could not be read"],
    ])("%s", (_what, json, reason) => {
      expect(untrustedBase(json, 100, "b".repeat(40))).toBe(reason);
    });

    test("the CLI deploys every environment when the base is not trusted, saying why", async () => {
      const runsFile = join(work, "runs.json");
      writeFileSync(runsFile, JSON.stringify(runs({ ...ok, conclusion: "failure" })));
      const out: string[] = [];
      const err: string[] = [];
      const args = [
        "changed-envs",
        "--before",
        outdir(base()),
        "--after",
        outdir(base()),
        "--runs",
        runsFile,
        "--run-id",
        "100",
        "--before-sha",
        "b".repeat(40),
      ];
      expect(await runCi(args, { out: (s) => out.push(s), err: (s) => err.push(s), env: {} })).toBe(0);
      expect(JSON.parse(out[0]).map((m: { env: string }) => m.env)).toEqual(envs.map((e) => e.env));
      expect(err[0]).toBe("dev: deploy (the previous deploy run 90 ended failure: every environment is deployed)");
      writeFileSync(runsFile, JSON.stringify(runs(ok)));
      const out2: string[] = [];
      expect(await runCi(args, { out: (s) => out2.push(s), err: () => undefined, env: {} })).toBe(0);
      expect(out2).toEqual(["[]"]);
      const err3: string[] = [];
      expect(
        await runCi(["changed-envs", "--before", "x", "--after", "y", "--runs", runsFile], {
          out: () => undefined,
          err: (s) => err3.push(s),
          env: {},
        }),
      ).toBe(2);
      expect(err3).toEqual(["ci: --runs needs --run-id <number> and --before-sha <sha>"]);
    });
  });
});
