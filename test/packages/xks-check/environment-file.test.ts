/**
 * `--environment-file`: the renamed flag reaches the tool on Node 20 (Node itself takes
 * `--env-file`, even after the script name, and exits 9), and the file goes through the same
 * validation as ENV_CONFIG: every problem, one line each, exit 2. `--environment-file` is the
 * repository's command (`npm run xks:check`, .build/xks-check.js): the package's own command
 * takes a target file instead (target.test.ts).
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "@cmk-stacks/xks-check";
import { AES_KEY, CREDENTIAL, HOST, makeCerts, REGION, startFakeProxy, URI_PATH, type FakeProxy } from "./fake-proxy";

const root = join(__dirname, "..", "..", "..");
const bundle = join(root, ".build", "xks-check.js");
const dir = mkdtempSync(join(tmpdir(), "xks-envfile-"));
const CRED_ENV = { XKS_ACCESS_KEY_ID: CREDENTIAL.accessKeyId, XKS_SECRET_ACCESS_KEY: CREDENTIAL.secretAccessKey };
let p: FakeProxy;
let caFile: string;
let prod: Record<string, unknown>;

beforeAll(async () => {
  if (!existsSync(bundle)) execFileSync(process.execPath, [join(root, "tools", "build.mjs")]);
  prod = JSON.parse(
    execFileSync(process.execPath, [join(root, ".build", "config.js"), "prod"], { encoding: "utf8" }),
  ) as Record<string, unknown>;
  const certs = await makeCerts();
  caFile = join(dir, "ca.pem");
  writeFileSync(caFile, certs.caPem);
  p = await startFakeProxy(certs.good, { keys: { "records-01": AES_KEY } });
});
afterAll(async () => {
  await p.close();
  rmSync(dir, { recursive: true, force: true });
});

function runBundle(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bundle, ...args],
      { env: { PATH: process.env.PATH ?? "", ...CRED_ENV }, timeout: 15_000 },
      (err, stdout, stderr) => {
        resolve({
          code: err ? Number((err as NodeJS.ErrnoException & { code?: number | string }).code ?? 1) : 0,
          stdout,
          stderr,
        });
      },
    );
  });
}

const file = (name: string, content: unknown): string => {
  const f = join(dir, name);
  writeFileSync(f, JSON.stringify(content));
  return f;
};

test("node reads --env-file itself on this Node (why the flag is renamed); when Node lets it through, the tool names the new flag", async () => {
  const missing = await runBundle(["--env-file", join(dir, "missing.json")]);
  if (process.versions.node.startsWith("20."))
    expect({ code: missing.code, stdout: missing.stdout }).toEqual({ code: 9, stdout: "" });
  // An existing file is loaded by Node as dotenv (!) and the flag still reaches the tool.
  const existing = await runBundle(["--env-file", file("any.json", prod)]);
  expect({ code: existing.code, stderr: existing.stderr.trim() }).toEqual({
    code: 2,
    stderr:
      "xks-check: --env-file is read by Node 20 itself (it exits 9 before this tool runs): use --environment-file <file>",
  });
});

test("--environment-file reaches the tool: a valid file checks the proxy (flags override the target)", async () => {
  const f = file("prod.json", prod);
  const r = await runBundle([
    "--environment-file",
    f,
    "--endpoint",
    `https://${HOST}`,
    "--uri-path",
    URI_PATH,
    "--region",
    REGION,
    "--key",
    "records-01",
    "--connect-to",
    `127.0.0.1:${p.port}`,
    "--ca-file",
    caFile,
    "--samples",
    "1",
  ]);
  // 0, or 1 when a loaded machine pushes the latency over KMS's budget: either way the checks ran.
  expect({ ran: r.code === 0 || r.code === 1, stderr: r.stderr }).toEqual({ ran: true, stderr: "" });
  expect(r.stdout).toContain(HOST);
  expect(r.stdout).toMatch(/health.*PASS/);
});

test("an invalid environment file: every problem on its own line, named by field, exit 2, no stack trace", async () => {
  const f = file("bad.json", { ...prod, region: "mars-1", account: "12" });
  const r = await runBundle(["--environment-file", f]);
  expect(r.code).toBe(2);
  const lines = r.stderr.trim().split("\n");
  expect(lines.length).toBeGreaterThanOrEqual(2);
  for (const l of lines)
    expect(l).toMatch(
      new RegExp(`^xks-check: --environment-file ${f.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: environments\\.prod\\.`),
    );
  expect(lines.some((l) => l.includes("environments.prod.region"))).toBe(true);
  expect(lines.some((l) => l.includes("environments.prod.account"))).toBe(true);
  expect(r.stderr).not.toMatch(/\n\s+at /);
});

test("--env-file given to the tool directly (not through node) gets the hint", async () => {
  const err: string[] = [];
  const code = await runCli(["--env-file", "x.json"], { out: () => undefined, err: (l) => err.push(l) });
  expect([code, err]).toEqual([
    2,
    [
      "xks-check: --env-file is read by Node 20 itself (it exits 9 before this tool runs): use --environment-file <file>",
    ],
  ]);
});
