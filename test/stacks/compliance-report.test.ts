/** `npm run synth -- --verbose` / `npm run compliance`: each suppressed finding is named with its reason. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suppressedLines, verboseRequested } from "../../stacks/compliance-report";

const root = join(__dirname, "..", "..");

test("one line per suppressed finding, by rule then path; unsuppressed findings are not listed", () => {
  expect(
    suppressedLines([
      {
        ruleId: "CKV_AWS_7",
        title: "KMS key rotation is enabled",
        documentation: "https://docs.aws.amazon.com/",
        path: "b/key",
        message: "rotation off",
        suppressedBecause: "store key",
      },
      {
        ruleId: "CKV_AWS_123",
        title: "acceptance",
        documentation: "https://docs.aws.amazon.com/",
        path: "a/svc",
        message: "m",
        suppressedBecause: "KMS cannot accept",
      },
      {
        ruleId: "CKV_AWS_7",
        title: "KMS key rotation is enabled",
        documentation: "https://docs.aws.amazon.com/",
        path: "a/key",
        message: "rotation off",
        suppressedBecause: "store key",
      },
      {
        ruleId: "CKV_AWS_21",
        title: "versioning",
        documentation: "https://docs.aws.amazon.com/",
        path: "c/bucket",
        message: "off",
      },
    ]),
  ).toEqual([
    "  suppressed CKV_AWS_123 (acceptance) at a/svc: KMS cannot accept",
    "  suppressed CKV_AWS_7 (KMS key rotation is enabled) at a/key: store key",
    "  suppressed CKV_AWS_7 (KMS key rotation is enabled) at b/key: store key",
  ]);
});

test.each([
  [["node", "main.js", "--verbose"], {}, true],
  [["node", "main.js"], { CMK_VERBOSE: "1" }, true],
  [["node", "main.js"], {}, false],
])("verbose for %j with %j: %s", (argv, env, want) => {
  expect(verboseRequested(argv, env)).toBe(want);
});

test("the shipped environments' suppressions are printed with their reasons by the synth command", () => {
  const out = mkdtempSync(join(tmpdir(), "cmk-verbose-"));
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, CDKTF_OUTDIR: out };
    delete env.ENV_CONFIG;
    delete env.CMK_VERBOSE;
    const r = spawnSync(process.execPath, [join(root, ".build", "main.js"), "--verbose"], {
      cwd: root,
      env,
      encoding: "utf8",
    });
    expect(r.status).toBe(0);
    const lines = r.stdout
      .trim()
      .split("\n")
      .filter((l) => l.startsWith("  suppressed "));
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^ {2}suppressed CKV_AWS_7 \(KMS key rotation is enabled\) at prod-keys\/key-records\/key: keys in a custom key store .*cannot rotate automatically/,
      ),
    );
    expect(lines.length).toBeGreaterThan(0);
    // Without --verbose (and with CDKTF_OUTDIR, as the tests run it) nothing is printed.
    const quiet = spawnSync(process.execPath, [join(root, ".build", "main.js")], { cwd: root, env, encoding: "utf8" });
    expect(quiet.stdout).toBe("");
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
