/**
 * The target file (packages/xks-check/target.ts): the small JSON interface through which a project
 * hands the preflight its key store. Validated by the preflight itself: every problem at once, each
 * naming its field, unknown fields refused, nothing that could be a credential echoed.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseTarget, readTargetFile, runCli, targetJson, XksInputError, type CliDeps } from "@cmk-stacks/xks-check";
import { AES_KEY, CREDENTIAL, HOST, makeCerts, REGION, startFakeProxy, URI_PATH, type FakeProxy } from "./fake-proxy";

const ARN = "arn:aws:secretsmanager:eu-west-1:222222222222:secret:xks-AbCdEf";
const CRED_ENV = { XKS_ACCESS_KEY_ID: CREDENTIAL.accessKeyId, XKS_SECRET_ACCESS_KEY: CREDENTIAL.secretAccessKey };
const dir = mkdtempSync(join(tmpdir(), "xks-target-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string, content: string): string => {
  const f = join(dir, name);
  writeFileSync(f, content);
  return f;
};

/** The package's own command: no project environments. */
async function run(argv: string[], deps: CliDeps = {}): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, deps);
  return { code, out, err };
}

/** The lines of an input error (one problem a line, as the command prints them). */
function problems(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    if (e instanceof XksInputError) return `xks-check: ${e.message}`.split("\n");
    throw e;
  }
  throw new Error("no input error");
}

describe("parseTarget", () => {
  test("a full target: the name, path, Region, keys, secret and principal", () => {
    const t = parseTarget(
      {
        endpoint: `https://${HOST}`,
        uriPath: URI_PATH,
        region: REGION,
        keys: [{ xksKeyId: "records-01", name: "records" }, { xksKeyId: "k.2" }],
        credentialSecret: ARN,
        principalArn: "arn:aws:iam::222222222222:root",
      },
      "--target t.json",
    );
    expect(t).toEqual({
      privateDnsName: HOST,
      uriPath: URI_PATH,
      region: REGION,
      keys: [{ name: "records", xksKeyId: "records-01" }, { xksKeyId: "k.2" }],
      secretArn: ARN,
      secretLabel: "--target t.json: credentialSecret",
      principalArn: "arn:aws:iam::222222222222:root",
    });
    // What --print-target writes reads back to the same target.
    expect(parseTarget(JSON.parse(JSON.stringify(targetJson(t))), "--target t.json")).toEqual(t);
  });

  test("the three required fields alone: health only, no secret, default principal", () => {
    expect(parseTarget({ endpoint: `https://${HOST}`, uriPath: URI_PATH, region: REGION }, "x")).toEqual({
      privateDnsName: HOST,
      uriPath: URI_PATH,
      region: REGION,
      keys: [],
    });
  });

  test("fails with every problem at once, each naming its field, unknown fields refused", () => {
    const bad = {
      endpoint: "https://xks.example.com:8443",
      region: 42,
      keys: [
        { xksKeyId: "bad/id" },
        "k1",
        { name: "x\u001b[31m", xksKeyId: "ok-1", alias: "alias/x" },
        {},
        { name: "-lead", xksKeyId: "k" },
      ],
      principalArn: "root",
      secretAccessKey: CREDENTIAL.secretAccessKey,
      "\u001b[2J": 1,
    };
    expect(problems(() => parseTarget(bad, "--target t.json"))).toEqual([
      "xks-check: --target t.json: secretAccessKey: not a field of the target (allowed: endpoint, uriPath, region, keys, credentialSecret, principalArn)",
      'xks-check: --target t.json: "\\u001b[2J": not a field of the target (allowed: endpoint, uriPath, region, keys, credentialSecret, principalArn)',
      "xks-check: --target t.json: uriPath: missing (required)",
      'xks-check: --target t.json: endpoint: "https://xks.example.com:8443" must be https://<private DNS name>, 10-128 characters, with no port and no path',
      "xks-check: --target t.json: region: must be a string (got a number)",
      `xks-check: --target t.json: keys[0].xksKeyId: "bad/id" must be 1-128 chars of letters, digits, '-', '_', '.' (an xksKeyId)`,
      'xks-check: --target t.json: keys[1]: must be an object {"xksKeyId": "...", "name": "..."} (got a string)',
      "xks-check: --target t.json: keys[2].alias: not a field of a key (allowed: xksKeyId, name)",
      "xks-check: --target t.json: keys[2].name: contains control characters (not shown)",
      "xks-check: --target t.json: keys[3].xksKeyId: missing (required)",
      'xks-check: --target t.json: keys[4].name: "-lead" must be 1-64 letters, digits, _, . or -, starting with a letter or digit',
      'xks-check: --target t.json: principalArn: "root" must be an IAM principal ARN (arn:aws:iam::<account>:root, a role or user ARN) or "AWS Internal"',
    ]);
  });

  test("a credential pasted where the secret's ARN goes is refused without being shown", () => {
    const lines = problems(() =>
      parseTarget(
        {
          endpoint: `https://${HOST}`,
          uriPath: URI_PATH,
          region: REGION,
          credentialSecret: CREDENTIAL.secretAccessKey,
        },
        "t",
      ),
    );
    expect(lines).toEqual([
      "xks-check: t: credentialSecret: must be a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>); the value is not shown",
    ]);
  });

  test.each([
    [
      "an array",
      [],
      "xks-check: t: must be a JSON object with endpoint, uriPath, region, keys, credentialSecret, principalArn (got an array)",
    ],
    [
      "null",
      null,
      "xks-check: t: must be a JSON object with endpoint, uriPath, region, keys, credentialSecret, principalArn (got null)",
    ],
    [
      "keys not a list",
      { endpoint: `https://${HOST}`, uriPath: URI_PATH, region: REGION, keys: { a: 1 } },
      'xks-check: t: keys: must be an array of {"xksKeyId": "...", "name": "..."} (got an object)',
    ],
  ])("fails for %s", (_what, value, line) => {
    expect(problems(() => parseTarget(value, "t"))).toEqual([line]);
  });

  test("field names can be the project's own (an environment's)", () => {
    expect(
      problems(() =>
        parseTarget({ endpoint: `https://${HOST}`, uriPath: "/x", region: REGION }, "environments.prod", {
          uriPath: "environments.prod.xks.uriPath",
        }),
      ),
    ).toEqual([
      'xks-check: environments.prod.xks.uriPath: "/x" must be 10-128 chars matching /<prefix>/kms/xks/v<1-2 digits> or /kms/xks/v<1-2 digits> (version 1: ends /kms/xks/v1)',
    ]);
  });
});

describe("readTargetFile", () => {
  test.each([
    [
      "a missing file",
      () => join(dir, "missing.json"),
      (f: string) => `xks-check: --target ${f}: cannot read the file (ENOENT)`,
    ],
    [
      "text that is not JSON, never quoted back",
      () => file("bad.json", `{"endpoint": ${CREDENTIAL.secretAccessKey}}`),
      (f: string) =>
        `xks-check: --target ${f}: not valid JSON: write one object with endpoint, uriPath, region, keys, credentialSecret, principalArn`,
    ],
  ])("fails for %s", (_what, path, line) => {
    const f = path();
    expect(problems(() => readTargetFile(f))).toEqual([line(f)]);
  });

  test("- reads standard input", () => {
    const text = JSON.stringify({ endpoint: `https://${HOST}`, uriPath: URI_PATH, region: REGION });
    expect(readTargetFile("-", (p) => (p === 0 ? text : "")).privateDnsName).toBe(HOST);
  });
});

describe("the package's command", () => {
  let p: FakeProxy;
  let caFile: string;
  beforeAll(async () => {
    const certs = await makeCerts();
    caFile = file("ca.pem", certs.caPem);
    p = await startFakeProxy(certs.good, { keys: { "records-01": AES_KEY } });
  });
  afterAll(async () => {
    await p.close();
  });

  test("--target checks the file's proxy and keys; flags override it", async () => {
    const t = file(
      "t.json",
      JSON.stringify({
        endpoint: "https://wrong.example.com",
        uriPath: URI_PATH,
        region: REGION,
        keys: [{ xksKeyId: "records-01", name: "records" }],
        principalArn: "arn:aws:iam::333333333333:root",
      }),
    );
    const r = await run(
      [
        "--target",
        t,
        "--endpoint",
        `https://${HOST}`,
        "--connect-to",
        `127.0.0.1:${p.port}`,
        "--ca-file",
        caFile,
        "--samples",
        "1",
      ],
      { env: CRED_ENV },
    );
    expect(r.err).toEqual([]);
    expect(r.code === 0 || r.code === 1).toBe(true);
    expect(r.out[0]).toBe(`xks-check: https://${HOST}${URI_PATH} via 127.0.0.1:${p.port}`);
    expect(r.out.some((l) => /^key records \(records-01\)\s+PASS\s+AES_256/.test(l))).toBe(true);
    expect(JSON.parse(p.requests.at(-1)?.body ?? "{}").requestMetadata.awsPrincipalArn).toBe(
      "arn:aws:iam::333333333333:root",
    );
  });

  test("--print-target turns flags into a target file, and needs no credential", async () => {
    const r = await run([
      "--endpoint",
      `https://${HOST}`,
      "--uri-path",
      URI_PATH,
      "--region",
      REGION,
      "--key",
      "k1",
      "--credential-secret",
      ARN,
      "--print-target",
    ]);
    expect([r.code, r.err]).toEqual([0, []]);
    expect(JSON.parse(r.out.join("\n"))).toEqual({
      endpoint: `https://${HOST}`,
      uriPath: URI_PATH,
      region: REGION,
      keys: [{ xksKeyId: "k1" }],
      credentialSecret: ARN,
    });
  });

  test("an invalid target file: every problem, exit 2, and the run stops before any call", async () => {
    const before = p.requests.length;
    const r = await run(
      ["--target", file("bad-target.json", JSON.stringify({ endpoint: "http://x", region: "mars" }))],
      { env: CRED_ENV },
    );
    expect(r.code).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0].split("\n")).toHaveLength(3);
    expect(p.requests.length).toBe(before);
  });

  test.each([
    [
      ["--env", "staging"],
      "xks-check: --env: this command reads no project environments: pass --target <file> (in the cmk-stacks repository, `npm run -s xks:check -- --env <name> --print-target` prints it), or --endpoint, --uri-path, --region and --key",
    ],
    [
      ["--environment-file=prod.json"],
      "xks-check: --environment-file: this command reads no project environments: pass --target <file> (in the cmk-stacks repository, `npm run -s xks:check -- --env <name> --print-target` prints it), or --endpoint, --uri-path, --region and --key",
    ],
    [
      ["--endpoint", `https://${HOST}`, "--region", REGION],
      "xks-check: missing --uri-path: pass --target <file>, or --endpoint https://<private DNS name> --uri-path /<prefix>/kms/xks/v1 --region <region> [--key <id>...]",
    ],
  ])("without project environments: %j", async (argv, line) => {
    const r = await run(argv, { env: CRED_ENV });
    expect([r.code, r.err]).toEqual([2, [line]]);
  });
});
