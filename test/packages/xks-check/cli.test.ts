/**
 * The command line: the built bundle as a child process, exit codes, one-line input errors, and the
 * credential never shown. `run` is the repository's command (`npm run xks:check`: the package's
 * runCli with this repository's environments, tools/xks-check/environments.ts).
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { runCli, type CliDeps } from "@cmk-stacks/xks-check";
import type { EnvironmentConfig } from "../../../environments/types";
import { environmentTargets } from "../../../tools/xks-check/environments";
import {
  AES_KEY,
  CREDENTIAL,
  HOST,
  makeCerts,
  REGION,
  startFakeProxy,
  URI_PATH,
  type FakeProxy,
  type TestCerts,
} from "./fake-proxy";

const root = join(__dirname, "..", "..", "..");
const bundle = join(root, ".build", "xks-check.js");
const dir = mkdtempSync(join(tmpdir(), "xks-check-"));
let certs: TestCerts;
let caFile: string;
let p: FakeProxy;
const CRED_ENV = { XKS_ACCESS_KEY_ID: CREDENTIAL.accessKeyId, XKS_SECRET_ACCESS_KEY: CREDENTIAL.secretAccessKey };

beforeAll(async () => {
  // jest's global setup builds the bundles; build here too when run without it.
  if (!existsSync(bundle))
    await new Promise((resolve, reject) =>
      execFile(process.execPath, [join(root, "tools", "build.mjs")], (e) => (e ? reject(e) : resolve(undefined))),
    );
  certs = await makeCerts();
  caFile = join(dir, "ca.pem");
  writeFileSync(caFile, certs.caPem);
  p = await startFakeProxy(certs.good, { keys: { "records-01": AES_KEY } });
});
afterAll(async () => {
  await p.close();
  rmSync(dir, { recursive: true, force: true });
});

const target = (): string[] => [
  "--endpoint",
  `https://${HOST}`,
  "--uri-path",
  URI_PATH,
  "--region",
  REGION,
  "--connect-to",
  `127.0.0.1:${p.port}`,
  "--ca-file",
  caFile,
];

/** The bundle in a child process (asynchronous: the fake proxy runs in this process). */
function runBundle(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bundle, ...args],
      { env: { PATH: process.env.PATH ?? "", ...env }, timeout: 15_000 },
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

async function run(argv: string[], deps: CliDeps = {}): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(
    argv,
    { out: (l) => out.push(l), err: (l) => err.push(l) },
    { environments: environmentTargets(), ...deps },
  );
  return { code, out, err };
}

describe("built bundle", () => {
  beforeEach(() => {
    p.behaviour = { keys: { "records-01": AES_KEY } };
  });

  test("exit 0 with the table and the verdict for a healthy proxy", async () => {
    const r = await runBundle([...target(), "--key", "records-01", "--samples", "2"], CRED_ENV);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe(`xks-check: https://${HOST}${URI_PATH} via 127.0.0.1:${p.port}`);
    expect(lines[2]).toMatch(/^CHECK\s+RESULT\s+DETAIL$/);
    const verdicts = lines
      .filter((l) => /^(connection|tls version|certificate|health|key |latency)/.test(l))
      .map((l) => l.split(/\s{2,}/)[1]);
    expect(verdicts.slice(0, -1)).toEqual(["PASS", "PASS", "PASS", "WARN", "PASS", "PASS", "PASS"]);
    // The loopback round trip is over the recommended 35 ms only on a heavily loaded machine: a WARN, not a FAIL.
    const latencyWarns = verdicts.at(-1) === "WARN" ? 1 : 0;
    expect(verdicts.at(-1)).toMatch(/^(PASS|WARN)$/);
    expect(lines.at(-1)).toBe(`xks-check: all checks passed with ${1 + latencyWarns} warning(s) (exit 0)`);
  });

  test("exit 1 with the fix line when the signature is rejected", async () => {
    p.behaviour = { credential: { ...CREDENTIAL, secretAccessKey: "AnotherSecretTheProxyHas/0123456789+abcdefghij=" } };
    const r = await runBundle([...target(), "--samples", "1"], CRED_ENV);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      "\nFAIL the proxy rejected the request signature (AuthenticationFailedException): check the access key id and secret configured in the proxy and in the key store (KMS error INVALID_CREDENTIALS)\n",
    );
    expect(r.stdout.trimEnd().split("\n").at(-1)).toBe(
      "xks-check: 1 failure(s), 1 warning(s): KMS would not connect or use these keys as they are (exit 1)",
    );
  });

  test("exit 2 with one line, no stack, for a missing credential", async () => {
    const r = await runBundle(target(), {});
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      "xks-check: no XKS proxy credential: set XKS_ACCESS_KEY_ID and XKS_SECRET_ACCESS_KEY in the environment, or pass --credential-secret <secret ARN>\n",
    );
  });
});

describe("input errors exit 2 with one line", () => {
  test.each([
    [
      ["--endpoint", "https://xks.example.com/path", "--uri-path", URI_PATH, "--region", REGION],
      'xks-check: --endpoint: "https://xks.example.com/path" must be https://<private DNS name>, 10-128 characters, with no port and no path',
    ],
    [
      ["--endpoint", `https://${HOST}`, "--region", REGION],
      "xks-check: missing --uri-path: pass --env <name>, or --endpoint https://<private DNS name> --uri-path /<prefix>/kms/xks/v1 --region <region> [--key <id>...]",
    ],
    [
      ["--endpoint", `https://${HOST}`, "--uri-path", URI_PATH, "--region", REGION, "--key", "bad/id"],
      `xks-check: --key: "bad/id" must be 1-128 chars of letters, digits, '-', '_', '.' (an xksKeyId)`,
    ],
    [
      ["--endpoint", `https://${HOST}`, "--uri-path", URI_PATH, "--region", REGION, "--samples", "0"],
      'xks-check: --samples: "0" must be a whole number from 1 to 1000',
    ],
    [
      ["--endpoint", `https://${HOST}`, "--uri-path", URI_PATH, "--region", REGION, "--timeout-ms", "100"],
      'xks-check: --timeout-ms: "100" must be a whole number from 251 to 60000',
    ],
    [
      ["--endpoint", `https://${HOST}`, "--uri-path", URI_PATH, "--region", REGION, "--ca-file", "/nonexistent/ca.pem"],
      "xks-check: --ca-file: cannot read /nonexistent/ca.pem (ENOENT)",
    ],
    [["--nope"], "xks-check: unknown option '--nope'"],
    [
      ["--kms-operation", "Encrypt"],
      "xks-check: option '--kms-operation <op>' argument 'Encrypt' is invalid. Allowed choices are CreateKey, DescribeKey.",
    ],
  ])("%j", async (argv, line) => {
    const r = await run(argv, { env: CRED_ENV });
    expect([r.code, r.err]).toEqual([2, [line]]);
  });

  test("every flag problem at once (a missing, a non-PEM and a device --ca-file too), before the secret is read", async () => {
    const dir = mkdtempSync(join(tmpdir(), "xks-ca-"));
    const notPem = join(dir, "key.pem");
    writeFileSync(notPem, "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n");
    const huge = join(dir, "huge.pem");
    writeFileSync(huge, "");
    truncateSync(huge, 2 * 1024 * 1024);
    let read = 0;
    const r = await run(
      [
        "--endpoint",
        "https://xks.example.com/\u001b[2J",
        "--uri-path",
        URI_PATH,
        "--region",
        REGION,
        "--key",
        "bad/id",
        "--ca-file",
        "/nonexistent/ca.pem",
        "--ca-file",
        notPem,
        "--ca-file",
        "/dev/zero",
        "--ca-file",
        huge,
        "--samples",
        "0",
        "--timeout-ms",
        "100",
        "--credential-secret",
        "arn:aws:secretsmanager:eu-west-1:222222222222:secret:xks-AbCdEf",
      ],
      {
        env: {},
        secretsClient: () => {
          read++;
          throw new Error("the secret must not be read");
        },
      },
    );
    rmSync(dir, { recursive: true, force: true });
    expect([r.code, read, r.out]).toEqual([2, 0, []]);
    expect(r.err).toEqual([
      "xks-check: --ca-file: cannot read /nonexistent/ca.pem (ENOENT)",
      `xks-check: --ca-file: ${notPem} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
      "xks-check: --ca-file: /dev/zero is not a file",
      `xks-check: --ca-file: ${huge} holds 2097152 bytes, more than a CA bundle (at most 1048576)`,
      'xks-check: --samples: "0" must be a whole number from 1 to 1000',
      'xks-check: --timeout-ms: "100" must be a whole number from 251 to 60000',
      'xks-check: --endpoint: "https://xks.example.com/\\u001b[2J" must be https://<private DNS name>, 10-128 characters, with no port and no path',
      `xks-check: --key: "bad/id" must be 1-128 chars of letters, digits, '-', '_', '.' (an xksKeyId)`,
    ]);
    expect(r.err.join("\n")).not.toContain("MC4CAQAwBQYDK2VwBCIEIA");
  });

  test("a credential passed as an argument is refused without echoing it", async () => {
    const r = await run(["--secret-access-key=" + CREDENTIAL.secretAccessKey]);
    expect(r.code).toBe(2);
    expect(r.err).toEqual([
      "xks-check: --secret-access-key: credentials are never taken from arguments: set XKS_ACCESS_KEY_ID and XKS_SECRET_ACCESS_KEY in the environment, or pass --credential-secret <secret ARN>",
    ]);
    const unknown = await run(["--token=" + CREDENTIAL.secretAccessKey]);
    expect(unknown.err.join("\n")).not.toContain(CREDENTIAL.secretAccessKey);
  });
});

describe("--env", () => {
  const env = (over: Partial<EnvironmentConfig> = {}): EnvironmentConfig =>
    ({
      name: "staging",
      account: "222222222222",
      region: REGION,
      xks: {
        privateDnsName: HOST,
        uriPath: URI_PATH,
        credential: {
          source: "secretsManager",
          secretArn: "arn:aws:secretsmanager:eu-west-1:222222222222:secret:xks-AbCdEf",
        },
      },
      keys: {
        records: { alias: "alias/r", store: "xks", xksKeyId: "records-01", administrators: [], users: [] },
        volumes: { alias: "alias/v", administrators: [], users: [] },
      },
      ...over,
    }) as unknown as EnvironmentConfig;
  const secrets =
    (value: string): CliDeps["secretsClient"] =>
    () => ({
      send: async (_cmd: GetSecretValueCommand) => ({ $metadata: {}, SecretString: value }),
    });

  test("checks the environment's name, path, Region and xks keys, with the credential from its secret", async () => {
    p.behaviour = { keys: { "records-01": AES_KEY } };
    const r = await run(
      ["--env", "staging", "--connect-to", `127.0.0.1:${p.port}`, "--ca-file", caFile, "--samples", "1"],
      {
        env: {},
        environments: environmentTargets(async () => ({ staging: env() })),
        secretsClient: secrets(JSON.stringify(CREDENTIAL)),
      },
    );
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out.some((l) => /^key records \(records-01\)\s+PASS\s+AES_256/.test(l))).toBe(true);
    expect(JSON.parse(p.requests.at(-1)?.body ?? "{}").requestMetadata.awsPrincipalArn).toBe(
      "arn:aws:iam::222222222222:root",
    );
  });

  test("an unknown environment or one without xks is an input error", async () => {
    const deps: CliDeps = {
      env: CRED_ENV,
      environments: environmentTargets(async () => ({ staging: env(), dev: env({ name: "dev", xks: undefined }) })),
    };
    expect((await run(["--env", "prod"], deps)).err).toEqual([
      'xks-check: --env: no environment "prod" (known: staging, dev)',
    ]);
    expect((await run(["--env", "dev"], deps)).err).toEqual([
      "xks-check: environments.dev has no xks section: pass --endpoint, --uri-path, --region and --key instead",
    ]);
  });

  test("the shipped staging environment resolves (missing credential is the only problem)", async () => {
    const r = await run(["--env", "staging"], { env: {} });
    expect([r.code, r.err]).toEqual([
      2,
      [
        "xks-check: no XKS proxy credential: set XKS_ACCESS_KEY_ID and XKS_SECRET_ACCESS_KEY in the environment, or pass --credential-secret <secret ARN>",
      ],
    ]);
  });
});

describe("the credential never appears", () => {
  const secret = CREDENTIAL.secretAccessKey;
  test.each([
    ["a pass", {}, [] as string[]],
    [
      "a rejected signature",
      { credential: { ...CREDENTIAL, secretAccessKey: "AnotherSecretTheProxyHas/0123456789+abcdefghij=" } },
      [] as string[],
    ],
    ["a JSON report", {}, ["--json"]],
  ])("in stdout, stderr or the report: %s", async (_what, behaviour, extra) => {
    p.behaviour = { keys: { "records-01": AES_KEY }, ...behaviour };
    const r = await run([...target(), "--key", "records-01", "--samples", "1", ...extra], { env: CRED_ENV });
    const all = [...r.out, ...r.err].join("\n");
    expect(all.length).toBeGreaterThan(0);
    expect(all).not.toContain(secret);
    expect(all).not.toContain(CREDENTIAL.accessKeyId);
  });

  test("nor in a format error, whichever variable is wrong", async () => {
    const r = await run(target(), {
      env: { XKS_ACCESS_KEY_ID: secret, XKS_SECRET_ACCESS_KEY: CREDENTIAL.accessKeyId },
    });
    expect(r.code).toBe(2);
    expect(r.err).toEqual([
      "xks-check: XKS_ACCESS_KEY_ID is not a valid XKS access key id (20-30 characters, A-Z and 2-7 only); XKS_SECRET_ACCESS_KEY is not a valid XKS secret access key (43-64 characters: letters, digits, /, + and =)",
    ]);
    expect(r.err.join("")).not.toContain(secret);
  });

  test("nor from the child process's output", async () => {
    p.behaviour = { keys: { "records-01": AES_KEY } };
    const r = await runBundle([...target(), "--key", "records-01", "--samples", "1", "--json"], CRED_ENV);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).exitCode).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(secret);
  });
});

test("variables set by hand take precedence over the environment's own secret", async () => {
  p.behaviour = { keys: { "records-01": AES_KEY } };
  const env = {
    name: "staging",
    account: "222222222222",
    region: REGION,
    xks: {
      privateDnsName: HOST,
      uriPath: URI_PATH,
      credential: {
        source: "secretsManager",
        secretArn: "arn:aws:secretsmanager:eu-west-1:222222222222:secret:xks-AbCdEf",
      },
    },
    keys: {},
  } as unknown as EnvironmentConfig;
  const r = await run(
    ["--env", "staging", "--connect-to", `127.0.0.1:${p.port}`, "--ca-file", caFile, "--samples", "1"],
    {
      env: CRED_ENV,
      environments: environmentTargets(async () => ({ staging: env })),
      secretsClient: () => {
        throw new Error("the secret must not be read");
      },
    },
  );
  expect([r.code, r.err]).toEqual([0, []]);
});
