/**
 * `npm run plan` / `npm run apply` (tools/deploy/cli.ts) against a fake `terraform` on PATH: what
 * was run, what was refused with which message, and that no plan JSON (cleartext secrets) is left.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { planDigest } from "@cmk-stacks/plan-guard";
import { runDeploy, type DeployIo } from "../../../tools/deploy/cli";
import { MAX_PLAN_AGE_MINUTES } from "../../../tools/deploy/plan-store";

const work = mkdtempSync(join(tmpdir(), "cmk-deploy-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SECRET = "s3cr3t-kmsuser-password";
const bin = join(work, "bin");
mkdirSync(bin);
// Logs each call (subcommand and arguments, the project root shortened to $ROOT); `plan -out` writes
// a "binary" plan holding the secret; `show -json` prints $PLAN_JSON; `apply` fails as stale when $STALE is set;
// `init` writes $INIT_LOCK as the stack's dependency lock file when it is set.
writeFileSync(
  join(bin, "terraform"),
  `#!/bin/sh
echo "$*" | sed "s#$ROOT#\\$ROOT#g" >> "$LOG"
dir="\${1#-chdir=}"
shift
case "$1" in
  init) if [ -n "$INIT_LOCK" ]; then printf '%s' "$INIT_LOCK" > "$dir/.terraform.lock.hcl"; fi;;
  plan) if [ -n "$FAIL_PLAN" ]; then echo "Error: No valid credential sources found" >&2; exit 1; fi
        for a in "$@"; do case "$a" in -out=*) echo "binary plan: ${SECRET}" > "\${a#-out=}";; esac; done;;
  show) cat "$PLAN_JSON"; if [ -n "$FAIL_SHOW" ]; then echo "Error: interrupted" >&2; exit 1; fi;;
  apply) if [ -n "$STALE" ]; then printf 'Error: Saved plan is stale\\n\\nThe given plan file can no longer be applied because the state was\\nchanged by another operation after the plan was created.\\n' >&2; exit 1; fi
         echo "Apply complete! Resources: 1 added, 0 changed, 0 destroyed.";;
esac
`,
);
chmodSync(join(bin, "terraform"), 0o755);

const planJson = (
  changes: { address: string; type: string; actions: string[]; before?: unknown; after?: unknown }[],
) => ({
  format_version: "1.2",
  terraform_version: "1.11.4",
  planned_values: { root_module: {} },
  resource_changes: changes.map((c) => ({
    address: c.address,
    mode: "managed",
    type: c.type,
    name: c.address.split(".")[1],
    provider_name: "registry.terraform.io/hashicorp/aws",
    change: {
      actions: c.actions,
      before: c.before ?? null,
      after: c.after ?? {},
      after_unknown: {},
      after_sensitive: c.after ? { secret_string: true } : {},
    },
  })),
});

const creates = planJson([
  { address: "aws_kms_alias.app", type: "aws_kms_alias", actions: ["create"], after: { name: "alias/dev/app" } },
  {
    address: "aws_secretsmanager_secret_version.pw",
    type: "aws_secretsmanager_secret_version",
    actions: ["create"],
    after: { secret_string: SECRET },
  },
]);
const deletesKey = planJson([
  {
    address: "aws_kms_key.app",
    type: "aws_kms_key",
    actions: ["delete"],
    before: { key_id: "1234abcd-12ab-34cd-56ef-1234567890ab", deletion_window_in_days: 30 },
    after: null,
  },
]);
const noChanges = planJson([]);

interface Project {
  root: string;
  log: () => string[];
  run: (
    argv: string[],
    o?: {
      plan?: unknown;
      stale?: boolean;
      minutesLater?: number;
      ask?: (q: string) => Promise<string>;
      env?: NodeJS.ProcessEnv;
      fetch?: typeof fetch;
    },
  ) => Promise<{ code: number; out: string[]; err: string[]; asked: string[] }>;
  /** What the next synthesis writes as the stack's cdk.tf.json. */
  stackJson: Record<string, unknown>;
}

const T0 = new Date("2026-12-07T10:00:00Z");

function project(
  stack = "dev-keys",
  backend: Record<string, unknown> = {
    s3: {
      bucket: "b",
      key: "k",
      region: "eu-west-1",
      encrypt: true,
      kms_key_id: "arn:aws:kms:eu-west-1:111111111111:alias/s",
    },
  },
): Project {
  const root = mkdtempSync(join(work, "project-"));
  writeFileSync(join(root, "plan-guard.allow.json"), JSON.stringify({ allow: [] }));
  const log = join(root, "terraform.log");
  writeFileSync(log, "");
  const planFile = join(root, "fixture.plan.json");
  const p: Project = {
    root,
    stackJson: { terraform: { backend }, resource: { aws_kms_alias: { app: { name: "alias/dev/app" } } } },
    log: () => readFileSync(log, "utf8").trim().split("\n").filter(Boolean),
    async run(argv, o = {}) {
      writeFileSync(planFile, JSON.stringify(o.plan ?? creates));
      const out: string[] = [];
      const err: string[] = [];
      const asked: string[] = [];
      const io: DeployIo = {
        out: (s) => out.push(...s.split("\n")),
        err: (s) => err.push(...s.split("\n")),
        root,
        env: {
          PATH: `${bin}:${process.env.PATH}`,
          ROOT: root,
          LOG: log,
          PLAN_JSON: planFile,
          ...(o.stale ? { STALE: "1" } : {}),
          ...(o.env ?? {}),
        },
        synth: async () => {
          const dir = join(root, "cdktf.out", "stacks", stack);
          mkdirSync(join(dir, "assets"), { recursive: true });
          writeFileSync(join(dir, "cdk.tf.json"), JSON.stringify(p.stackJson));
          writeFileSync(join(dir, "assets", "hooks.js"), "bundle v1");
        },
        ask: o.ask
          ? (q) => {
              asked.push(q);
              return o.ask!(q);
            }
          : undefined,
        now: () => new Date(T0.getTime() + (o.minutesLater ?? 0) * 60000),
        fetch: o.fetch,
        tfcBaseUrl: () => "https://tfc.test",
      };
      const code = await runDeploy(argv, io);
      return { code, out, err, asked };
    },
  };
  return p;
}

const planDir = (root: string, stack = "dev-keys") => join(root, ".plans", stack);

/** Every file under `dir` whose bytes contain `text`. */
function filesContaining(dir: string, text: string): string[] {
  const hits: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const f = join(d, e.name);
      if (e.isDirectory()) walk(f);
      else if (readFileSync(f).includes(text)) hits.push(f.slice(dir.length + 1));
    }
  };
  walk(dir);
  return hits.sort();
}

describe("npm run plan", () => {
  test("saves a dependency lock file that terraform init wrote or changed into terraform-locks/, to commit", async () => {
    const p = project();
    const saved = join(p.root, "terraform-locks", "dev-keys.terraform.lock.hcl");
    const line = (what: string) =>
      `plan: terraform init ${what} the dependency lock file of dev-keys: saved to ${saved} (review and commit it: it decides the provider version every later plan uses)`;
    const first = 'provider "registry.terraform.io/hashicorp/aws" {\n  version = "6.25.0"\n}\n';
    let r = await p.run(["plan", "dev-keys"], { env: { INIT_LOCK: first } });
    expect(r.code).toBe(0);
    expect(r.err).toContain(line("wrote"));
    expect(readFileSync(saved, "utf8")).toBe(first);
    // Unchanged: nothing said, nothing written.
    r = await p.run(["plan", "dev-keys"], { env: { INIT_LOCK: first } });
    expect(r.err.filter((l) => l.includes("lock file"))).toEqual([]);
    const upgraded = first.replace("6.25.0", "6.30.0");
    r = await p.run(["plan", "dev-keys"], { env: { INIT_LOCK: upgraded } });
    expect(r.err).toContain(line("changed"));
    expect(readFileSync(saved, "utf8")).toBe(upgraded);
    // CMK_TERRAFORM_LOCKS=none: no lock files at all.
    r = await p.run(["plan", "dev-keys"], { env: { INIT_LOCK: first, CMK_TERRAFORM_LOCKS: "none" } });
    expect(readFileSync(saved, "utf8")).toBe(upgraded);
  });

  test("synthesizes, plans into .plans/<stack>/ (0700), runs the guard, prints the summary, records the digest and deletes the JSON", async () => {
    const p = project();
    const r = await p.run(["plan", "dev-keys"]);
    expect(r.code).toBe(0);
    expect(p.log()).toEqual([
      "-chdir=$ROOT/cdktf.out/stacks/dev-keys init -input=false",
      "-chdir=$ROOT/cdktf.out/stacks/dev-keys plan -input=false -out=$ROOT/.plans/dev-keys/tfplan",
      "-chdir=$ROOT/cdktf.out/stacks/dev-keys show -json $ROOT/.plans/dev-keys/tfplan",
    ]);
    // The pull-request comment's renderer: changes and the guard's verdict.
    expect(r.out).toContain("#### `dev-keys`: 2 changes");
    expect(r.out).toContain('| create | <code>aws_kms_alias.app</code> | name = "alias/dev/app" |');
    expect(r.out.join("\n")).toContain("## Plan guard: ✅ nothing blocked");
    const digest = planDigest(creates);
    expect(r.out.at(-1)).toBe(
      `plan: saved the reviewed plan of dev-keys: digest ${digest}. Apply exactly this plan within ${MAX_PLAN_AGE_MINUTES} minutes with: npm run apply -- dev-keys`,
    );
    expect(readdirSync(planDir(p.root)).sort()).toEqual(["plan.meta.json", "summary.md", "tfplan"]);
    expect(statSync(join(p.root, ".plans")).mode & 0o777).toBe(0o700);
    expect(statSync(planDir(p.root)).mode & 0o777).toBe(0o700);
    for (const f of ["plan.meta.json", "summary.md", "tfplan"])
      expect(statSync(join(planDir(p.root), f)).mode & 0o777).toBe(0o600);
    const meta = JSON.parse(readFileSync(join(planDir(p.root), "plan.meta.json"), "utf8"));
    expect(meta).toEqual({
      format: "cmk-laptop-plan/1",
      stack: "dev-keys",
      createdAt: T0.toISOString(),
      digest,
      stackHash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      guardExitCode: 0,
      changes: 2,
    });
    // The secret is in the binary plan only (and in the fake's fixture): never in output, summary or record.
    expect([...r.out, ...r.err].join("\n")).not.toContain(SECRET);
    expect(filesContaining(p.root, SECRET)).toEqual([".plans/dev-keys/tfplan", "fixture.plan.json"]);
  });

  test("fails when the guard blocks: exit 1, the plan file is deleted at once, and apply refuses", async () => {
    const p = project();
    const r = await p.run(["plan", "dev-keys"], { plan: deletesKey });
    expect(r.code).toBe(1);
    expect(r.out.join("\n")).toContain("## Plan guard: ❌ 1 blocked change");
    expect(r.err.at(-1)).toBe(
      `plan: the plan guard blocked this plan: it will never be applied, and its plan file is deleted. Change the configuration (or allow the change in plan-guard.allow.json: its address, a reason, and the digest ${planDigest(deletesKey)} of this plan and/or an expires date), then plan again.`,
    );
    expect(readdirSync(planDir(p.root))).toEqual(["plan.meta.json"]);
    const a = await p.run(["apply", "dev-keys", "--yes"]);
    expect(a.code).toBe(1);
    expect(a.err).toEqual([
      `apply: the plan guard blocked the last plan of dev-keys (digest ${planDigest(deletesKey)}): a blocked plan is never applied. Change the configuration or allow the change in plan-guard.allow.json (its address, a reason, and the plan's digest and/or an expires date), then plan again: npm run plan -- dev-keys`,
    ]);
    expect(p.log().filter((l) => l.includes(" apply "))).toEqual([]);
  });

  test("a plan without changes saves nothing", async () => {
    const p = project();
    const r = await p.run(["plan", "dev-keys"], { plan: noChanges });
    expect(r.code).toBe(0);
    expect(r.out.at(-1)).toBe("plan: dev-keys has no changes: nothing to apply.");
    expect(readdirSync(planDir(p.root))).toEqual([]);
  });

  test("fails when the stack was not synthesized, naming the stacks that were", async () => {
    const p = project();
    const r = await p.run(["plan", "dev-dat"]);
    expect(r.code).toBe(1);
    expect(r.err).toEqual(['plan: no stack "dev-dat" was synthesized (stacks: dev-keys)']);
    expect(p.log()).toEqual([]);
  });

  test.each([["../etc"], ["Dev-Keys"], ["dev keys"]])("fails when the stack name is %j", async (name) => {
    const p = project();
    const r = await p.run(["plan", name]);
    expect(r.code).toBe(1);
    expect(r.err).toEqual([`plan: "${name}" is not a stack name (for example dev-keys)`]);
    expect(existsSync(join(p.root, ".plans"))).toBe(false);
  });

  test("fails when terraform plan fails: nothing is recorded", async () => {
    const p = project();
    const r = await p.run(["plan", "dev-keys"], { env: { FAIL_PLAN: "1" } });
    expect(r.code).toBe(1);
    expect(r.err).toEqual([
      "Error: No valid credential sources found",
      "plan: terraform plan failed (exit 1, see above)",
    ]);
    expect(readdirSync(planDir(p.root))).toEqual([]);
  });

  test("fails when terraform show fails halfway: its partial JSON and the unreviewed plan file are deleted", async () => {
    const p = project();
    const r = await p.run(["plan", "dev-keys"], { env: { FAIL_SHOW: "1" } });
    expect(r.code).toBe(1);
    expect(r.err.at(-1)).toBe("plan: terraform show failed (exit 1, see above)");
    expect(readdirSync(planDir(p.root))).toEqual([]);
  });
});

describe("npm run apply", () => {
  async function planned(): Promise<Project> {
    const p = project();
    expect((await p.run(["plan", "dev-keys"])).code).toBe(0);
    return p;
  }

  test("applies exactly the saved plan file after confirmation, then deletes it", async () => {
    const p = await planned();
    const r = await p.run(["apply", "dev-keys"], { minutesLater: 5, ask: async () => "yes" });
    expect(r.code).toBe(0);
    expect(r.asked).toEqual(['Apply this plan to dev-keys? Type "yes" to apply: ']);
    expect(r.out[0]).toBe(
      `apply: the reviewed plan of dev-keys: digest ${planDigest(creates)}, 2 changes, made 5 minutes ago, nothing blocked by the plan guard (summary: ${join(planDir(p.root), "summary.md")}).`,
    );
    expect(p.log().at(-1)).toBe(
      "-chdir=$ROOT/cdktf.out/stacks/dev-keys apply -input=false $ROOT/.plans/dev-keys/tfplan",
    );
    expect(r.out.at(-1)).toBe(
      `apply: applied the reviewed plan of dev-keys (digest ${planDigest(creates)}); the plan file is deleted.`,
    );
    expect(readdirSync(planDir(p.root))).toEqual([]);
    expect(filesContaining(p.root, SECRET)).toEqual(["fixture.plan.json"]);
  });

  test("not confirmed: nothing applied, the plan kept", async () => {
    const p = await planned();
    const r = await p.run(["apply", "dev-keys"], { ask: async () => "y" });
    expect(r.code).toBe(1);
    expect(r.err).toEqual([
      `apply: not confirmed: nothing was applied (the plan is kept until it is applied, replaced or ${MAX_PLAN_AGE_MINUTES} minutes old)`,
    ]);
    expect(p.log().filter((l) => l.includes(" apply "))).toEqual([]);
    expect(readdirSync(planDir(p.root)).sort()).toEqual(["plan.meta.json", "summary.md", "tfplan"]);
  });

  test("fails without a terminal unless --yes or --digest says which plan", async () => {
    const p = await planned();
    const r = await p.run(["apply", "dev-keys"]);
    expect(r.code).toBe(1);
    expect(r.err).toEqual([
      `apply: no terminal to confirm on: pass --yes, or --digest ${planDigest(creates)} to apply only the plan with that digest`,
    ]);
    expect(p.log().filter((l) => l.includes(" apply "))).toEqual([]);
  });

  test("--digest applies only the plan with that digest, without asking", async () => {
    const p = await planned();
    const wrong = `sha256:${"0".repeat(64)}`;
    const bad = await p.run(["apply", "dev-keys", "--digest", wrong]);
    expect(bad.err).toEqual([
      `apply: --digest ${wrong} is not the digest of the reviewed plan of dev-keys (${planDigest(creates)}): nothing was applied`,
    ]);
    expect((await p.run(["apply", "dev-keys", "--digest", "abc"])).err).toEqual([
      'apply: --digest "abc" is not a plan digest (sha256: and 64 hex digits)',
    ]);
    expect(p.log().filter((l) => l.includes(" apply "))).toEqual([]);
    const ok = await p.run(["apply", "dev-keys", "--digest", planDigest(creates)]);
    expect(ok.code).toBe(0);
    expect(ok.asked).toEqual([]);
    expect(p.log().filter((l) => l.includes(" apply "))).toHaveLength(1);
  });

  test("fails when there is no plan", async () => {
    const p = project();
    const r = await p.run(["apply", "dev-keys", "--yes"]);
    expect(r.code).toBe(1);
    expect(r.err).toEqual([
      "apply: no reviewed plan of dev-keys: run npm run plan -- dev-keys first, review what it prints, then apply",
    ]);
    expect(p.log()).toEqual([]);
  });

  test("fails when the plan is older than the bound, and deletes it", async () => {
    const p = await planned();
    const r = await p.run(["apply", "dev-keys", "--yes"], { minutesLater: MAX_PLAN_AGE_MINUTES + 1 });
    expect(r.code).toBe(1);
    expect(r.err).toEqual([
      `apply: the plan of dev-keys was made at ${T0.toISOString()}, ${MAX_PLAN_AGE_MINUTES + 1} minutes ago: plans older than ${MAX_PLAN_AGE_MINUTES} minutes are not applied (what was reviewed may no longer be what AWS holds). The plan is deleted; plan again: npm run plan -- dev-keys`,
    ]);
    expect(readdirSync(planDir(p.root))).toEqual([]);
    expect(p.log().filter((l) => l.includes(" apply "))).toEqual([]);
  });

  test.each([
    [
      "the configuration",
      (p: Project) =>
        (p.stackJson = { ...p.stackJson, resource: { aws_kms_alias: { app: { name: "alias/dev/other" } } } }),
    ],
    [
      "the backend",
      (p: Project) => (p.stackJson = { ...p.stackJson, terraform: { backend: { local: { path: "x" } } } }),
    ],
  ])("fails when the synthesized stack changed since the plan (%s)", async (_what, change) => {
    const p = await planned();
    change(p);
    const r = await p.run(["apply", "dev-keys", "--yes"]);
    expect(r.code).toBe(1);
    expect(r.err).toEqual([
      "apply: the synthesized stack dev-keys changed since it was planned (configuration, code or hook bundle): the reviewed plan is not what this checkout would deploy. The plan is deleted; plan again: npm run plan -- dev-keys",
    ]);
    expect(p.log().filter((l) => l.includes(" apply "))).toEqual([]);
    expect(readdirSync(planDir(p.root))).toEqual([]);
  });

  test("fails when the plan file is no longer the reviewed plan (replaced after the review): both digests, nothing applied, the plan deleted", async () => {
    const p = await planned();
    const other = planJson([
      { address: "aws_kms_alias.app", type: "aws_kms_alias", actions: ["create"], after: { name: "alias/dev/other" } },
    ]);
    const r = await p.run(["apply", "dev-keys", "--yes"], { plan: other });
    expect(r.code).toBe(1);
    expect(r.err).toEqual([
      `apply: the plan file of dev-keys is not the reviewed plan (reviewed ${planDigest(creates)}, this file ${planDigest(other)}): nothing was applied. The plan is deleted; plan again: npm run plan -- dev-keys`,
    ]);
    expect(p.log().filter((l) => l.includes(" apply "))).toEqual([]);
    expect(readdirSync(planDir(p.root))).toEqual([]);
    // The saved plan (the fake's holds the secret) is gone, and its JSON was read into memory only.
    expect(filesContaining(p.root, SECRET)).toEqual([]);
  });

  test("the guard runs again at apply: an allowlist entry removed (or expired) since the plan refuses it", async () => {
    const p = project();
    const allow = {
      allow: [
        {
          address: "aws_kms_key.app",
          stack: "dev-keys",
          reason: "retired after migration (#9)",
          digest: planDigest(deletesKey),
        },
      ],
    };
    writeFileSync(join(p.root, "plan-guard.allow.json"), JSON.stringify(allow));
    expect((await p.run(["plan", "dev-keys"], { plan: deletesKey })).code).toBe(0);
    writeFileSync(join(p.root, "plan-guard.allow.json"), JSON.stringify({ allow: [] }));
    const r = await p.run(["apply", "dev-keys", "--yes"], { plan: deletesKey });
    expect(r.code).toBe(1);
    expect(r.err[0]).toMatch(/^apply: BLOCKED \[dev-keys\] aws_kms_key\.app \(delete\): /);
    expect(r.err.at(-1)).toBe(
      "apply: the plan guard refuses the reviewed plan of dev-keys now (an allowlist entry expired, changed or was removed since it was planned): nothing was applied. The plan is deleted; plan again: npm run plan -- dev-keys",
    );
    expect(p.log().filter((l) => l.includes(" apply "))).toEqual([]);
    expect(readdirSync(planDir(p.root))).toEqual([]);
  });

  test("the entry still there: the allowed plan is applied", async () => {
    const p = project();
    writeFileSync(
      join(p.root, "plan-guard.allow.json"),
      JSON.stringify({
        allow: [
          {
            address: "aws_kms_key.app",
            stack: "dev-keys",
            reason: "retired after migration (#9)",
            digest: planDigest(deletesKey),
          },
        ],
      }),
    );
    expect((await p.run(["plan", "dev-keys"], { plan: deletesKey })).code).toBe(0);
    const r = await p.run(["apply", "dev-keys", "--yes"], { plan: deletesKey });
    expect([r.code, r.out.at(-1)]).toEqual([
      0,
      `apply: applied the reviewed plan of dev-keys (digest ${planDigest(deletesKey)}); the plan file is deleted.`,
    ]);
  });

  test("fails when Terraform says the saved plan is stale: explained, plan deleted", async () => {
    const p = await planned();
    const r = await p.run(["apply", "dev-keys", "--yes"], { stale: true });
    expect(r.code).toBe(1);
    expect(r.err.at(-1)).toBe(
      'apply: Terraform refused the plan as stale ("Saved plan is stale"): the state of dev-keys changed after the plan was made (another apply, or a state operation), so the plan no longer describes what would change. Nothing was applied. The plan is deleted; plan again: npm run plan -- dev-keys',
    );
    expect(readdirSync(planDir(p.root))).toEqual([]);
  });
});

describe("Terraform Cloud backends", () => {
  const cloud = {
    cloud: { hostname: "app.terraform.io", organization: "northwind", workspaces: { name: "cmk-prod-keys" } },
  };
  const TOKEN = "tfc-token-value";
  const tfc = (mode: string) => {
    const calls: { url: string; auth: string | null }[] = [];
    const f = (async (url: string | URL, init?: RequestInit) => {
      calls.push({ url: String(url), auth: new Headers(init?.headers).get("authorization") });
      return new Response(JSON.stringify({ data: { id: "ws-1", attributes: { "execution-mode": mode } } }), {
        status: 200,
      });
    }) as typeof fetch;
    return { f, calls };
  };

  test.each(["remote", "agent"])(
    "fails for a workspace in %s execution, pointing at TFC's confirm flow; Terraform never runs",
    async (mode) => {
      const p = project("prod-keys", cloud);
      p.stackJson = { terraform: cloud };
      const { f, calls } = tfc(mode);
      const r = await p.run(["plan", "prod-keys"], { env: { TF_TOKEN_app_terraform_io: TOKEN }, fetch: f });
      expect(r.code).toBe(1);
      expect(r.err).toEqual([
        `plan: prod-keys: Terraform Cloud workspace northwind/cmk-prod-keys uses ${mode} execution: Terraform runs in TFC, so there is no local plan file to guard and apply (terraform plan -out); use the Terraform Cloud flow instead: the run's plan in TFC, the plan guard on its JSON, then TFC's own confirm (README, Terraform Cloud: remote and local execution). A workspace in local execution (TFC keeps the state only) works like S3 state here.`,
      ]);
      expect(calls).toEqual([
        { url: "https://tfc.test/api/v2/organizations/northwind/workspaces/cmk-prod-keys", auth: `Bearer ${TOKEN}` },
      ]);
      expect(p.log()).toEqual([]);
      expect(r.err.join("\n")).not.toContain(TOKEN);
    },
  );

  test("a workspace in local execution is planned like S3 state", async () => {
    const p = project("prod-keys", cloud);
    p.stackJson = { terraform: cloud };
    const r = await p.run(["plan", "prod-keys"], { env: { TF_TOKEN_app_terraform_io: TOKEN }, fetch: tfc("local").f });
    expect(r.code).toBe(0);
    expect(p.log().map((l) => l.split(" ")[1])).toEqual(["init", "plan", "show"]);
  });

  test("fails without a token: the execution mode cannot be read", async () => {
    const p = project("prod-keys", cloud);
    p.stackJson = { terraform: cloud };
    const r = await p.run(["plan", "prod-keys"]);
    expect(r.err).toEqual([
      "plan: prod-keys keeps its state in Terraform Cloud workspace northwind/cmk-prod-keys, and TF_TOKEN_app_terraform_io is not set, so its execution mode cannot be read: set it (a token that may read the workspace) and plan again, or use the Terraform Cloud flow instead: the run's plan in TFC, the plan guard on its JSON, then TFC's own confirm (README, Terraform Cloud: remote and local execution)",
    ]);
    expect(p.log()).toEqual([]);
  });
});

describe("the built command (npm run plan / apply)", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { spawnSync } = require("node:child_process") as typeof import("node:child_process");
  const build = join(__dirname, "..", "..", "..", ".build");
  test.each([
    ["deploy.js", ["plan", "Dev-Keys"], 'plan: "Dev-Keys" is not a stack name (for example dev-keys)'],
    ["deploy.js", ["apply", "../x", "--yes"], 'apply: "../x" is not a stack name (for example dev-keys)'],
  ])("%s %j refuses with one line and exit 1", (file, argv, line) => {
    const r = spawnSync(process.execPath, [join(build, file), ...argv], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(line);
  });
});
