/**
 * On Node 20 the AWS SDK prints a 7-line NodeVersionSupportWarning at its first client. The hook
 * runner and xks:check print only their own lines: each bundle runs as a child process against a
 * loopback stand-in for the AWS endpoint (AWS_ENDPOINT_URL), which answers with an error.
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

const root = join(__dirname, "..", "..");
const hooks = join(root, ".build", "hooks-bundle", "hooks.js");
const xksCheck = join(root, ".build", "xks-check.js");
let server: Server;
let endpoint: string;
const targets: string[] = [];

beforeAll(async () => {
  if (!existsSync(hooks) || !existsSync(xksCheck)) execFileSync(process.execPath, [join(root, "tools", "build.mjs")]);
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      targets.push(String(req.headers["x-amz-target"]));
      res.writeHead(400, { "content-type": "application/x-amz-json-1.1" });
      res.end(JSON.stringify({ __type: "ResourceNotFoundException", message: "stand-in: not found" }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function run(bundle: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  // Test-only stand-in credentials (the AWS documentation's example pair), never real ones.
  const env = {
    PATH: process.env.PATH ?? "",
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
    AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    AWS_MAX_ATTEMPTS: "1",
  };
  return new Promise((resolve) => {
    execFile(process.execPath, [bundle, ...args], { env, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test(`a hook run prints only the runner's own line (Node ${process.versions.node})`, async () => {
  const r = await run(hooks, [
    "connect-key-store",
    "--key-store-id",
    "cks-1234567890abcdef0",
    "--region",
    "eu-west-1",
    "--timeout-minutes",
    "1",
  ]);
  expect(targets).toContain("TrentService.DescribeCustomKeyStores");
  expect(r.code).toBe(1);
  expect(r.stderr).not.toContain("NodeVersionSupportWarning");
  expect(r.stderr.trim().split("\n")).toEqual([
    expect.stringMatching(/^\[connect-key-store cks-1234567890abcdef0\] ResourceNotFoundException: /),
  ]);
});

test("an xks:check run reading its credential from Secrets Manager prints only the tool's own line", async () => {
  const r = await run(xksCheck, [
    "--endpoint",
    "https://xks.example.com",
    "--uri-path",
    "/test/kms/xks/v1",
    "--region",
    "eu-west-1",
    "--key",
    "k1",
    "--credential-secret",
    "arn:aws:secretsmanager:eu-west-1:111122223333:secret:xks-AbCdEf",
  ]);
  expect(targets).toContain("secretsmanager.GetSecretValue");
  expect(r.code).toBe(2);
  expect(r.stderr).not.toContain("NodeVersionSupportWarning");
  expect(r.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^xks-check: /)]);
});
