/**
 * `ci tfc-mode`, `tfc-plan` and `tfc-apply` (Terraform Cloud, remote execution) against a loopback
 * API: an integration suite (test/helpers/projects.js), because tfc-plan packs the configuration
 * with `tar`. The other CI helpers run in-process: test/tools/ci/ci.test.ts.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { runCi } from "../../../tools/ci/cli";
import { tokenVariable } from "../../../tools/ci/tfc";
import { planDigest } from "@cmk-stacks/plan-guard";

const work = mkdtempSync(join(tmpdir(), "cmk-ci-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

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
  let planJson: unknown = {
    format_version: "1.2",
    resource_changes: [{ address: "aws_kms_key.k", change: { actions: ["create"], after: { policy: "{}" } } }],
  };
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
        if (u === "/api/v2/organizations/northwind-health/workspaces/cmk-prod-keys")
          return json(200, { data: { id: "ws-1", attributes: { "execution-mode": mode } } });
        if (u === "/api/v2/organizations/northwind-health/workspaces/missing")
          return json(404, { errors: [{ status: "404", title: "not found" }] });
        if (u === "/api/v2/workspaces/ws-1/configuration-versions")
          return json(201, { data: { id: "cv-1", attributes: { "upload-url": `${base}/upload/cv-1` } } });
        if (u === "/upload/cv-1") {
          res.writeHead(200);
          return res.end();
        }
        if (u === "/api/v2/configuration-versions/cv-1")
          return json(200, { data: { id: "cv-1", attributes: { status: "uploaded" } } });
        if (u === "/api/v2/runs" && req.method === "POST")
          return json(201, { data: { id: "run-1", attributes: { status: "pending" } } });
        if (u === "/api/v2/runs/run-1")
          return json(200, {
            data: {
              id: "run-1",
              attributes: { status: runStates.length > 1 ? runStates.shift() : runStates[0] },
              relationships: { plan: { data: { id: "plan-1" } } },
            },
          });
        if (u === "/api/v2/plans/plan-1/json-output") return json(200, planJson);
        if (u === "/api/v2/runs/run-1/actions/apply" || u === "/api/v2/runs/run-1/actions/discard")
          return json(202, {});
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
    writeFileSync(
      join(d, "cdk.tf.json"),
      JSON.stringify({
        terraform: {
          cloud: { hostname: "app.terraform.io", organization: "northwind-health", workspaces: { name: workspace } },
        },
      }),
    );
    mkdirSync(join(d, ".terraform"));
    writeFileSync(join(d, ".terraform", "junk"), "x");
    return d;
  }
  const token = "tfc-token-value-never-printed";
  async function ci(argv: string[], env: NodeJS.ProcessEnv = { [tokenVariable("app.terraform.io")]: token }) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCi(argv, {
      out: (s) => out.push(s),
      err: (s) => err.push(s),
      env,
      baseUrl: () => base,
      pollMs: 1,
    });
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
    const r = await ci([
      "tfc-plan",
      dir,
      "--speculative",
      "--plan-json",
      planFile,
      "--run-file",
      runFile,
      "--message",
      "PR #7",
    ]);
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

  test("tfc-apply re-reads the approved run's plan, checks its digest, confirms it and waits until applied", async () => {
    runStates = ["planned", "apply_queued", "applying", "applied"];
    const r = await ci([
      "tfc-apply",
      stackDir(),
      "--run-id",
      "run-1",
      "--expect",
      planDigest(planJson),
      "--wait-minutes",
      "140",
    ]);
    expect(r.code).toBe(0);
    expect(seen.map((s) => `${s.method} ${s.url}`).slice(0, 4)).toEqual([
      "GET /api/v2/runs/run-1",
      "GET /api/v2/plans/plan-1/json-output",
      "POST /api/v2/runs/run-1/actions/apply",
      "GET /api/v2/runs/run-1",
    ]);
    expect(r.err).toContain(`TFC run run-1: plan digest ${planDigest(planJson)} is the approved plan; confirming`);
    expect(r.err.at(-1)).toBe("TFC run run-1: applied");
    expect(JSON.parse(seen.find((s) => s.url.endsWith("/actions/apply"))!.body.toString()).comment).toBe(
      `applied by cmk-stacks CI: plan digest ${planDigest(planJson)} approved`,
    );
  });

  test("tfc-apply REFUSES a run whose plan is not the approved one: discards it, names both digests, confirms nothing", async () => {
    runStates = ["planned"];
    const approved = planDigest({
      resource_changes: [
        { address: "aws_kms_key.k", change: { actions: ["create"], after: { policy: '{"other":1}' } } },
      ],
    });
    const r = await ci(["tfc-apply", stackDir(), "--run-id", "run-1", "--expect", approved]);
    expect(r.code).toBe(1);
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      "GET /api/v2/runs/run-1",
      "GET /api/v2/plans/plan-1/json-output",
      "POST /api/v2/runs/run-1/actions/discard",
    ]);
    expect(r.err).toEqual([
      `ci: REFUSED: the plan differs from the approved one (approved ${approved}, planned now ${planDigest(planJson)}). Nothing was applied. Something changed after the approval (another merge, drift, a provider release): run the deploy again and review the new plan. TFC run run-1 was discarded.`,
    ]);
  });

  test("tfc-apply --allowlist: the guard runs again on the approved run's plan; an entry expired since the approval refuses it and discards the run", async () => {
    const deletes = {
      format_version: "1.2",
      resource_changes: [
        {
          address: "aws_kms_key.old",
          mode: "managed",
          type: "aws_kms_key",
          name: "old",
          provider_name: "registry.terraform.io/hashicorp/aws",
          change: { actions: ["delete"], before: { key_id: "k1" }, after: null },
        },
      ],
    };
    const saved = planJson;
    planJson = deletes;
    try {
      const allow = (expires: string) => {
        const f = join(mkdtempSync(join(work, "allow-")), "plan-guard.allow.json");
        writeFileSync(
          f,
          JSON.stringify({
            allow: [{ address: "aws_kms_key.old", stack: "prod-keys", reason: "retired (#1)", expires }],
          }),
        );
        return f;
      };
      runStates = ["planned"];
      const refused = await ci([
        "tfc-apply",
        stackDir(),
        "--run-id",
        "run-1",
        "--expect",
        planDigest(deletes),
        "--allowlist",
        allow("2020-01-31"),
        "--stack",
        "prod-keys",
      ]);
      expect(refused.code).toBe(1);
      expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
        "GET /api/v2/runs/run-1",
        "GET /api/v2/plans/plan-1/json-output",
        "POST /api/v2/runs/run-1/actions/discard",
      ]);
      expect(refused.err[0]).toMatch(
        /^BLOCKED \[prod-keys\] aws_kms_key\.old \(delete\): .* Not allowed: allow\[0\] expired on 2020-01-31\.$/,
      );
      expect(refused.err.at(-1)).toBe(
        `ci: REFUSED: the plan guard refuses the approved plan now (digest ${planDigest(deletes)}). Nothing was applied; TFC run run-1 was discarded.`,
      );

      seen = [];
      runStates = ["planned", "applying", "applied"];
      const applied = await ci([
        "tfc-apply",
        stackDir(),
        "--run-id",
        "run-1",
        "--expect",
        planDigest(deletes),
        "--allowlist",
        allow("2999-12-31"),
        "--stack",
        "prod-keys",
      ]);
      expect([applied.code, applied.err.at(-1)]).toEqual([0, "TFC run run-1: applied"]);

      // An unreadable allowlist refuses too: the guard could not check the plan.
      seen = [];
      runStates = ["planned"];
      const broken = await ci([
        "tfc-apply",
        stackDir(),
        "--run-id",
        "run-1",
        "--expect",
        planDigest(deletes),
        "--allowlist",
        join(work, "no-such-allowlist.json"),
        "--stack",
        "prod-keys",
      ]);
      expect(broken.code).toBe(1);
      expect(broken.err[0]).toBe(`plan-guard: ${join(work, "no-such-allowlist.json")}: no such file`);
      expect(seen.some((s) => s.url.endsWith("/actions/apply"))).toBe(false);
    } finally {
      planJson = saved;
    }
  });

  test.each([["applied"], ["discarded"], ["planning"], ["errored"]])(
    "tfc-apply refuses a run that is %s, not waiting for confirmation",
    async (status) => {
      runStates = [status];
      const r = await ci(["tfc-apply", stackDir(), "--run-id", "run-1", "--expect", planDigest(planJson)]);
      expect(r.code).toBe(2);
      expect(r.err).toEqual([
        `ci: TFC run run-1 is ${status}, not a plan waiting for confirmation: nothing was applied`,
      ]);
      expect(seen.map((s) => s.method)).toEqual(["GET"]);
    },
  );

  test("tfc-apply: a run without changes needs no confirmation", async () => {
    runStates = ["planned_and_finished"];
    const r = await ci(["tfc-apply", stackDir(), "--run-id", "run-1", "--expect", planDigest(planJson)]);
    expect([r.code, r.err]).toEqual([0, ["TFC run run-1: no changes, nothing to apply"]]);
    expect(seen.some((s) => s.method === "POST")).toBe(false);
  });

  test.each([
    [
      ["--run-id", "run-1", "--expect", "sha256:abc"],
      'ci: --expect must be a plan digest (sha256: and 64 hex digits, as plan-digest prints it), not "sha256:abc"',
    ],
    [
      ["--run-id", "run-1/../x", "--expect", `sha256:${"0".repeat(64)}`],
      'ci: --run-id must be a Terraform Cloud run id (run-...), not "run-1/../x"',
    ],
    [["--expect", `sha256:${"0".repeat(64)}`], "ci: give --run-id or --run-file"],
    [
      ["--run-id", "run-1", "--expect", `sha256:${"0".repeat(64)}`, "--wait-minutes", "0"],
      'ci: --wait-minutes must be a whole number of minutes from 1 to 1440, not "0"',
    ],
  ])("tfc-apply refuses bad input before any request: %j", async (args, line) => {
    const r = await ci(["tfc-apply", stackDir(), ...args]);
    expect([r.code, r.err]).toEqual([2, [line]]);
    expect(seen).toEqual([]);
  });

  test.each([
    [
      ["tfc-plan", "WS:missing", "--plan-json", "x", "--run-file", "y"],
      {},
      "ci: TF_TOKEN_app_terraform_io is not set: give this step the Terraform Cloud token in that variable (secret TF_API_TOKEN_PLAN for plans, TF_API_TOKEN for applies)",
    ],
    [
      ["tfc-plan", "WS:missing", "--plan-json", "x", "--run-file", "y"],
      undefined,
      "ci: TFC GET /organizations/northwind-health/workspaces/missing: HTTP 404: not found (is the token set, and may it read this workspace?)",
    ],
  ])("fails with one line: %j", async (argv, env, line) => {
    const args = (argv as string[]).map((a) => (a === "WS:missing" ? stackDir("missing") : a));
    const r = await ci(args, env as NodeJS.ProcessEnv | undefined);
    expect(r.code).toBe(2);
    expect(r.err).toEqual([line]);
  });

  test("tfc-plan for a deploy starts a run that waits for confirmation (TFC's own confirm step), never auto-applied", async () => {
    runStates = ["planning", "planned"];
    const runFile = join(work, "deploy.run");
    const r = await ci([
      "tfc-plan",
      stackDir(),
      "--plan-json",
      join(work, "deploy.json"),
      "--run-file",
      runFile,
      "--message",
      "deploy abc: prod-keys",
    ]);
    expect(r.code).toBe(0);
    const run = JSON.parse(seen.find((s) => s.url === "/api/v2/runs")!.body.toString());
    expect(run.data.attributes).toEqual({ message: "deploy abc: prod-keys", "plan-only": false, "auto-apply": false });
    const cv = JSON.parse(seen.find((s) => s.url.endsWith("/configuration-versions"))!.body.toString());
    expect(cv.data.attributes).toEqual({ "auto-queue-runs": false, speculative: false });
    expect(JSON.parse(readFileSync(runFile, "utf8"))).toEqual({ runId: "run-1", status: "planned" });
  });

  test("a run that errors stops with one line naming it", async () => {
    runStates = ["planning", "errored"];
    const r = await ci([
      "tfc-plan",
      stackDir(),
      "--plan-json",
      join(work, "e.json"),
      "--run-file",
      join(work, "e.run"),
    ]);
    expect(r.code).toBe(2);
    expect(r.err.at(-1)).toBe("ci: TFC run run-1 ended errored: see the run in Terraform Cloud");
  });

  test("a workspace in local execution is planned by Terraform in the job, not through the API", async () => {
    mode = "local";
    const r = await ci([
      "tfc-plan",
      stackDir(),
      "--plan-json",
      join(work, "l.json"),
      "--run-file",
      join(work, "l.run"),
    ]);
    expect(r.err).toEqual(["ci: TFC workspace cmk-prod-keys uses local execution: run terraform in the job instead"]);
  });
});
