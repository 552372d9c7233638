import { DescribeKeyCommand, GetKeyLastUsageCommand } from "@aws-sdk/client-kms";
import { runTeardownCli } from "../../tools/ops/teardown-run-cli";
import { deps as makeDeps, devData, devKeys, FakeTerraform, mocks } from "./teardown-helpers";

function run(
  argv: string[],
  tf = new FakeTerraform(
    new Map([
      ["dev-data", devData()],
      ["dev-keys", devKeys()],
    ]),
  ),
) {
  const out: string[] = [];
  const err: string[] = [];
  const d = makeDeps(tf);
  const code = runTeardownCli(argv, {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    confirm: async () => false,
    clients: () => ({ clients: d.clients, close: () => undefined }),
    terraform: tf,
    clock: d.clock,
  });
  return { code, out, err, tf };
}

describe("teardown command line", () => {
  beforeEach(() => {
    const m = mocks();
    m.kms
      .on(DescribeKeyCommand)
      .callsFake((input: { KeyId: string }) => ({ KeyMetadata: { KeyId: input.KeyId, KeyState: "Enabled" } }));
    // Not used since tracking began long ago (an empty answer would be "last use unknown", refused).
    m.kms.on(GetKeyLastUsageCommand).resolves({
      TrackingStartDate: new Date("2026-04-01T00:00:00Z"),
      KeyCreationDate: new Date("2025-01-01T00:00:00Z"),
    });
  });

  test("fails when flags are wrong, naming each flag, all at once, exit 64, nothing run", async () => {
    const r = run([
      "dev",
      "--unused-for",
      "ten",
      "--window",
      "45",
      "--alarm-topic",
      "topic",
      "--without-alarm",
      "--yes",
    ]);
    expect(await r.code).toBe(64);
    expect(r.err).toEqual([
      'teardown: --unused-for must be a whole number of days (got "ten")',
      'teardown: --window must be a whole number of days from 7 to 30, KMS\'s pending window (got "45")',
      "teardown: --without-alarm cannot be combined with --cloudtrail-log-group or --alarm-topic",
      'teardown: --alarm-topic must be an SNS topic ARN (got "topic")',
      "teardown: --yes only makes sense with --execute",
    ]);
    expect(r.tf.calls).toEqual([]);
  });

  test("unknown options, bad values and an unknown environment are reported together, exit 64; a value that looks like a flag stays its option's", async () => {
    const r = run(["nope", "--bogus", "--window", "-3", "--delete-objects=yes", "-z"]);
    expect(await r.code).toBe(64);
    const options =
      "(options: --execute, --yes, --delete-objects, --delete-file-systems, --delete-backups, --unused-for, --force, --window, --cloudtrail-log-group, --alarm-topic, --without-alarm, --allowlist, --help)";
    expect(r.err).toEqual([
      `teardown: unknown option --bogus ${options}`,
      'teardown: --delete-objects takes no value (got "--delete-objects=yes")',
      `teardown: unknown option -z ${options}`,
      'teardown: --window must be a whole number of days from 7 to 30, KMS\'s pending window (got "-3")',
      'teardown: unknown environment "nope" (known: dev, staging, prod)',
    ]);
    expect(r.out).toEqual([]);
  });

  test("without <env>, the flag problems are still reported beside commander's line; values shown escaped and cut", async () => {
    const r = run(["--unused-for", "\u001b[31mten", "--alarm-topic", "x".repeat(3000)]);
    expect(await r.code).toBe(64);
    expect(r.err).toEqual([
      "error: missing required argument 'env'",
      'teardown: --unused-for must be a whole number of days (got "\\u001b[31mten")',
      `teardown: --alarm-topic must be an SNS topic ARN (got "${"x".repeat(160)}"... (3000 chars))`,
    ]);
    expect(r.tf.calls).toEqual([]);
  });

  test("--help lists the exit codes, exit 0", async () => {
    const r = run(["--help"]);
    expect(await r.code).toBe(0);
    expect(r.out.join("\n")).toContain(
      "Exit codes: 0 finished, or a dry run with nothing refused; 1 refused or failed (nothing more applied), 3 waiting for AWS (run again on the day printed), 64 usage or configuration error.",
    );
  });

  test("fails when the environment is unknown, exit 64", async () => {
    const r = run(["nope"]);
    expect(await r.code).toBe(64);
    expect(r.err[0]).toBe('teardown: unknown environment "nope" (known: dev, staging, prod)');
  });

  test("dry run by default: exit 0, the first line says nothing is changed", async () => {
    const r = run(["dev", "--cloudtrail-log-group", "trail-logs"]);
    expect(await r.code).toBe(0);
    expect(r.out[0]).toBe("Teardown of dev (eu-west-1): dry run, nothing is changed (--execute to act)");
    expect(r.tf.calls).toEqual([]);
  });

  test("a dry run without the CloudTrail log group says the executed run would refuse: exit 1", async () => {
    const r = run(["dev"]);
    expect(await r.code).toBe(1);
    expect(r.out.at(-1)).toBe("DRY RUN: an executed run would stop with REFUSED (1 problem(s) above)");
  });

  test("--execute without a terminal and without --yes stops before the first change, exit 1", async () => {
    const r = run(["dev", "--execute", "--cloudtrail-log-group", "trail-logs"]);
    expect(await r.code).toBe(1);
    expect(r.out.at(-1)).toBe(
      "REFUSED: not confirmed: nothing applied to dev-data; run again (or pass --yes) to continue",
    );
    expect(r.tf.calls).not.toContain("apply dev-data");
  });
});
