/** The CI helpers: redacted reports, the one comment, and Terraform Cloud runs against a loopback API. */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { dataStackMustWait, redactedChanges, renderComment, failed } from "../../../tools/ci/report";
import { runCi } from "../../../tools/ci/cli";
import { tokenVariable } from "../../../tools/ci/tfc";

const work = mkdtempSync(join(tmpdir(), "cmk-ci-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("redacted reports", () => {
  test("addresses, actions and the values that change are kept, secrets masked (marked or not)", () => {
    const plan = {
      resource_changes: [
        { address: "aws_kms_custom_key_store.s", type: "aws_kms_custom_key_store", change: { actions: ["update"], before: { key_store_password: "old-pw", custom_key_store_name: "a" }, after: { key_store_password: "new-pw", custom_key_store_name: "b" } } },
        {
          address: "aws_secretsmanager_secret_version.v",
          type: "aws_secretsmanager_secret_version",
          change: { actions: ["update"], before: { secret_string: "s3cr3t-old", version_stages: ["AWSCURRENT"] }, after: { secret_string: "s3cr3t-new", version_stages: ["AWSCURRENT"] }, before_sensitive: { secret_string: true }, after_sensitive: { secret_string: true } },
        },
        { address: "aws_kms_key.k", type: "aws_kms_key", change: { actions: ["delete", "create"], before: { deletion_window_in_days: 7 }, after: { deletion_window_in_days: 30 }, replace_paths: [["custom_key_store_id"]] } },
        { address: "aws_vpc.v", change: { actions: ["no-op"] } },
      ],
    };
    expect(redactedChanges(plan)).toEqual([
      { address: "aws_kms_custom_key_store.s", action: "update", details: ['custom_key_store_name: "a" → "b"', "key_store_password: (sensitive) → (sensitive)"] },
      { address: "aws_secretsmanager_secret_version.v", action: "update", details: ["secret_string: (sensitive) → (sensitive)"] },
      { address: "aws_kms_key.k", action: "replace", details: ["replaced because of: custom_key_store_id", "deletion_window_in_days: 7 → 30"] },
    ]);
    expect(JSON.stringify(redactedChanges(plan))).not.toMatch(/pw|s3cr3t/);
  });

  test("fails when a resource change has no address or actions", () => {
    expect(() => redactedChanges({ resource_changes: [{ change: { actions: ["create"] } }] })).toThrow("a resource change without an address or an action list");
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
    const changes = Array.from({ length: 152 }, (_, i) => ({ address: `aws_s3_bucket.b["x|<img>${i}"]`, action: "create" }));
    const text = renderComment({ envs: ["dev"], synth: "success", reports: [{ env: "dev", stacks: [{ stack: "dev-data", status: "planned", changes }], guard: { exitCode: 0, summary: "<!-- plan-guard-summary -->\n## Plan guard: ✅ nothing blocked" } }] });
    expect(text).toContain('| create | <code>aws_s3_bucket.b&#91;"x&#124;&#60;img&#62;0"&#93;</code> |  |');
    expect(text).toContain("_and 2 more (see the job log)._");
    expect(text.match(/<!-- plan-guard-summary -->/g)).toHaveLength(1);
    expect(text).toContain("#### Plan guard: ✅ nothing blocked");
  });

  test("the check fails for a blocked plan, a missing guard or a missing report", () => {
    const ok = { env: "dev", stacks: [], guard: { exitCode: 0, summary: "" } };
    expect(failed({ envs: ["dev"], synth: "success", reports: [ok] })).toBe(false);
    expect(failed({ envs: ["dev"], synth: "success", reports: [{ ...ok, guard: { exitCode: 1, summary: "" } }] })).toBe(true);
    expect(failed({ envs: ["dev"], synth: "success", reports: [{ env: "dev", stacks: [] }] })).toBe(true);
    expect(failed({ envs: ["dev", "prod"], synth: "success", reports: [ok] })).toBe(true);
    expect(failed({ envs: [], synth: "failure", reports: [] })).toBe(true);
  });
});

describe("Terraform Cloud (remote execution) against a loopback API", () => {
  interface Seen {
    method: string;
    url: string;
    auth?: string;
    body: Buffer;
  }
  let server: Server;
  let seen: Seen[] = [];
  let runStates: string[] = [];
  let mode = "remote";
  let base = "";
  const planJson = { format_version: "1.2", resource_changes: [{ address: "aws_kms_key.k", change: { actions: ["create"], after: { policy: "{}" } } }] };
  const read = (req: IncomingMessage) =>
    new Promise<Buffer>((r) => {
      const c: Buffer[] = [];
      req.on("data", (d: Buffer) => c.push(d));
      req.on("end", () => r(Buffer.concat(c)));
    });

  beforeAll(async () => {
    server = createServer((req, res) => {
      void read(req).then((body) => {
        seen.push({ method: req.method ?? "", url: req.url ?? "", auth: req.headers.authorization, body });
        const json = (code: number, v: unknown) => {
          res.writeHead(code, { "Content-Type": "application/vnd.api+json" });
          res.end(JSON.stringify(v));
        };
        const u = req.url ?? "";
        if (u === "/api/v2/organizations/northwind-health/workspaces/cmk-prod-keys") return json(200, { data: { id: "ws-1", attributes: { "execution-mode": mode } } });
        if (u === "/api/v2/organizations/northwind-health/workspaces/missing") return json(404, { errors: [{ status: "404", title: "not found" }] });
        if (u === "/api/v2/workspaces/ws-1/configuration-versions") return json(201, { data: { id: "cv-1", attributes: { "upload-url": `${base}/upload/cv-1` } } });
        if (u === "/upload/cv-1") {
          res.writeHead(200);
          return res.end();
        }
        if (u === "/api/v2/configuration-versions/cv-1") return json(200, { data: { id: "cv-1", attributes: { status: "uploaded" } } });
        if (u === "/api/v2/runs" && req.method === "POST") return json(201, { data: { id: "run-1", attributes: { status: "pending" } } });
        if (u === "/api/v2/runs/run-1") return json(200, { data: { id: "run-1", attributes: { status: runStates.length > 1 ? runStates.shift() : runStates[0] }, relationships: { plan: { data: { id: "plan-1" } } } } });
        if (u === "/api/v2/plans/plan-1/json-output") return json(200, planJson);
        if (u === "/api/v2/runs/run-1/actions/apply" || u === "/api/v2/runs/run-1/actions/discard") return json(202, {});
        return json(500, { errors: [{ title: `unexpected ${u}` }] });
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    seen = [];
    mode = "remote";
  });

  function stackDir(workspace = "cmk-prod-keys"): string {
    const d = mkdtempSync(join(work, "stack-"));
    writeFileSync(join(d, "cdk.tf.json"), JSON.stringify({ terraform: { cloud: { hostname: "app.terraform.io", organization: "northwind-health", workspaces: { name: workspace } } } }));
    mkdirSync(join(d, ".terraform"));
    writeFileSync(join(d, ".terraform", "junk"), "x");
    return d;
  }
  const token = "tfc-token-value-never-printed";
  async function ci(argv: string[], env: NodeJS.ProcessEnv = { [tokenVariable("app.terraform.io")]: token }) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCi(argv, { out: (s) => out.push(s), err: (s) => err.push(s), env, baseUrl: () => base, pollMs: 1 });
    return { code, out, err };
  }

  test("the token variable is the one the Terraform CLI reads", () => {
    expect(tokenVariable("app.terraform.io")).toBe("TF_TOKEN_app_terraform_io");
    expect(tokenVariable("tfe.example-corp.com")).toBe("TF_TOKEN_tfe_example__corp_com");
  });

  test("tfc-mode prints the workspace's execution mode, and `none` for another backend", async () => {
    mode = "agent";
    expect((await ci(["tfc-mode", stackDir()])).out).toEqual(["agent"]);
    const s3 = mkdtempSync(join(work, "s3-"));
    writeFileSync(join(s3, "cdk.tf.json"), JSON.stringify({ terraform: { backend: { s3: {} } } }));
    expect((await ci(["tfc-mode", s3], {})).out).toEqual(["none"]);
  });

  test("tfc-plan uploads the configuration without .terraform, waits for the plan, writes its JSON; the token goes to the API only, never to output", async () => {
    runStates = ["plan_queued", "planning", "planned"];
    const dir = stackDir();
    const planFile = join(work, "p.json");
    const runFile = join(work, "r.json");
    const r = await ci(["tfc-plan", dir, "--speculative", "--plan-json", planFile, "--run-file", runFile, "--message", "PR #7"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(planFile, "utf8"))).toEqual(planJson);
    expect(JSON.parse(readFileSync(runFile, "utf8"))).toEqual({ runId: "run-1", status: "planned" });
    const upload = seen.find((s) => s.url === "/upload/cv-1");
    expect(upload?.auth).toBeUndefined();
    const tar = gunzipSync(upload!.body).toString("latin1");
    expect(tar).toContain("cdk.tf.json");
    expect(tar).not.toMatch(/\.\/\.terraform|junk/);
    expect(seen.filter((s) => s.url.startsWith("/api/")).every((s) => s.auth === `Bearer ${token}`)).toBe(true);
    const run = JSON.parse(seen.find((s) => s.url === "/api/v2/runs")!.body.toString());
    expect(run.data.attributes).toEqual({ message: "PR #7", "plan-only": true, "auto-apply": false });
    expect([...r.out, ...r.err].join("\n")).not.toContain(token);
    expect(r.err).toContain("TFC run run-1: planning");
  });

  test("tfc-apply confirms the run and waits until applied; nothing to do after a plan without changes", async () => {
    runStates = ["apply_queued", "applying", "applied"];
    const runFile = join(work, "r2.json");
    writeFileSync(runFile, JSON.stringify({ runId: "run-1", status: "planned" }));
    expect((await ci(["tfc-apply", stackDir(), "--run-file", runFile])).code).toBe(0);
    expect(seen.map((s) => `${s.method} ${s.url}`)).toContain("POST /api/v2/runs/run-1/actions/apply");
    seen = [];
    writeFileSync(runFile, JSON.stringify({ runId: "run-1", status: "planned_and_finished" }));
    expect((await ci(["tfc-apply", stackDir(), "--run-file", runFile])).err).toEqual(["TFC run run-1: no changes, nothing to apply"]);
    expect(seen).toEqual([]);
  });

  test.each([
    [["tfc-plan", "WS:missing", "--plan-json", "x", "--run-file", "y"], {}, "ci: TF_TOKEN_app_terraform_io is not set: give the job the Terraform Cloud token (secret TF_API_TOKEN) in that variable"],
    [["tfc-plan", "WS:missing", "--plan-json", "x", "--run-file", "y"], undefined, "ci: TFC GET /organizations/northwind-health/workspaces/missing: HTTP 404: not found (is the token set, and may it read this workspace?)"],
  ])("fails with one line: %j", async (argv, env, line) => {
    const args = (argv as string[]).map((a) => (a === "WS:missing" ? stackDir("missing") : a));
    const r = await ci(args, env as NodeJS.ProcessEnv | undefined);
    expect(r.code).toBe(2);
    expect(r.err).toEqual([line]);
  });

  test("a run that errors stops with one line naming it", async () => {
    runStates = ["planning", "errored"];
    const r = await ci(["tfc-plan", stackDir(), "--plan-json", join(work, "e.json"), "--run-file", join(work, "e.run")]);
    expect(r.code).toBe(2);
    expect(r.err.at(-1)).toBe("ci: TFC run run-1 ended errored: see the run in Terraform Cloud");
  });

  test("a workspace in local execution is planned by Terraform in the job, not through the API", async () => {
    mode = "local";
    const r = await ci(["tfc-plan", stackDir(), "--plan-json", join(work, "l.json"), "--run-file", join(work, "l.run")]);
    expect(r.err).toEqual(["ci: TFC workspace cmk-prod-keys uses local execution: run terraform in the job instead"]);
  });
});
