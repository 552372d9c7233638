/**
 * `plan-guard --last-use`: which keys a plan puts at risk (delete, replace, forget, disable, narrow,
 * repoint), what KMS GetKeyLastUsage says about each (mocked KMS client: used, never used, not
 * tracked before a date, throttled, denied, unknown key, no credentials), the rate limit and the
 * deadline, and the command line's report (lines before the verdict, the summary section, the exit
 * code unchanged).
 */
import { mockClient } from "aws-sdk-client-mock";
import { GetKeyLastUsageCommand, KMSClient } from "@aws-sdk/client-kms";
import {
  checkLastUse,
  lastUseTargets,
  runCli,
  sdkLastUsageReader,
  type LastUseClock,
  type LastUseTarget,
  type LastUsageReader,
} from "@cmk-stacks/plan-guard";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { scratchDir } from "../../tools/terraform/fixtures";
import { planOf, policy, rc, ROOT_STATEMENT } from "./builders";

const ACCT = "111122223333";
const arn = (id: string, region = "eu-west-1") => `arn:aws:kms:${region}:${ACCT}:key/${id}`;
const awsError = (name: string, message = name): Error =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 }, $fault: "client" });

const USE = (...principals: string[]) => ({
  Sid: "KeyUse",
  Effect: "Allow",
  Principal: { AWS: principals },
  Action: ["kms:Decrypt", "kms:Encrypt"],
  Resource: "*",
});
const APP = `arn:aws:iam::${ACCT}:role/app`;
/** A clock whose sleeps return at once (the rate limit is tested on its own below). */
const fastClock = (): LastUseClock => {
  let now = 0;
  return { now: () => now, sleep: async (ms) => void (now += ms) };
};
const AUDIT = `arn:aws:iam::${ACCT}:role/audit`;

/** A plan touching keys in every way the report covers (and two ways it does not). */
const riskPlan = planOf([
  rc("aws_kms_key.gone", ["delete"], { key_id: "k1", arn: arn("k1") }, null),
  rc(
    "aws_kms_key.off",
    ["update"],
    { key_id: "k2", arn: arn("k2"), is_enabled: true },
    { key_id: "k2", arn: arn("k2"), is_enabled: false },
  ),
  rc(
    "aws_kms_key.narrow",
    ["update"],
    { key_id: "k3", arn: arn("k3", "us-east-1"), policy: policy(ROOT_STATEMENT, USE(APP, AUDIT)) },
    { key_id: "k3", arn: arn("k3", "us-east-1"), policy: policy(ROOT_STATEMENT, USE(APP)) },
  ),
  rc(
    "aws_kms_key.wider",
    ["update"],
    { key_id: "k9", arn: arn("k9"), policy: policy(ROOT_STATEMENT, USE(APP)) },
    { key_id: "k9", arn: arn("k9"), policy: policy(ROOT_STATEMENT, USE(APP, AUDIT)) },
  ),
  rc("aws_kms_key.old", ["no-op"], { key_id: "k4", arn: arn("k4") }, { key_id: "k4", arn: arn("k4") }),
  rc(
    "aws_kms_alias.app",
    ["update"],
    { name: "alias/app", target_key_id: "k4" },
    { name: "alias/app", target_key_id: "k5" },
  ),
  rc("aws_kms_grant.ebs", ["delete"], { key_id: arn("k6"), name: "ebs", grantee_principal: APP }, null),
  rc("aws_kms_key.fresh", ["create"], null, { key_id: null }),
  rc("aws_kms_key.replaced", ["delete", "create"], { key_id: "k7", arn: arn("k7") }, { key_id: null }),
  rc("aws_kms_alias.noregion", ["delete"], { name: "alias/x", target_key_id: "k8" }, null),
]);

test("every key the plan deletes, replaces, disables, narrows or repoints, once, with why; created and widened keys are left out", () => {
  expect(lastUseTargets([riskPlan])).toEqual<LastUseTarget[]>([
    {
      stack: "dev-keys",
      address: "aws_kms_key.gone",
      keyId: "k1",
      region: "eu-west-1",
      reasons: ["deleted (ScheduleKeyDeletion)"],
    },
    {
      stack: "dev-keys",
      address: "aws_kms_key.off",
      keyId: "k2",
      region: "eu-west-1",
      reasons: ["disabled (is_enabled = false)"],
    },
    {
      stack: "dev-keys",
      address: "aws_kms_key.narrow",
      keyId: "k3",
      region: "us-east-1",
      reasons: [`narrowed (policy: ${AUDIT} lost kms:Decrypt, kms:Encrypt)`],
    },
    {
      stack: "dev-keys",
      address: "aws_kms_key.old",
      keyId: "k4",
      region: "eu-west-1",
      reasons: ["repointed (alias alias/app moves to another key)"],
    },
    {
      stack: "dev-keys",
      address: "aws_kms_grant.ebs",
      keyId: "k6",
      region: "eu-west-1",
      reasons: [`narrowed (grant ebs to ${APP} revoked)`],
    },
    {
      stack: "dev-keys",
      address: "aws_kms_key.replaced",
      keyId: "k7",
      region: "eu-west-1",
      reasons: ["replaced (the old key is scheduled for deletion)"],
    },
    {
      stack: "dev-keys",
      address: "aws_kms_alias.noregion",
      keyId: "k8",
      region: undefined,
      reasons: ["repointed (alias alias/x deleted)"],
    },
  ]);
});

describe("GetKeyLastUsage through the SDK's KMS client (mocked)", () => {
  const kms = mockClient(KMSClient);
  beforeEach(() => kms.reset());
  afterAll(() => kms.restore());
  const target = (keyId: string, region: string | null = "eu-west-1"): LastUseTarget => ({
    stack: "s",
    address: `aws_kms_key.${keyId}`,
    keyId,
    region: region ?? undefined,
    reasons: ["deleted (ScheduleKeyDeletion)"],
  });

  test("each answer in words: used, never used, not tracked before a date, no tracking date; every failure named", async () => {
    kms
      .on(GetKeyLastUsageCommand, { KeyId: "used" })
      .resolves({
        KeyId: "used",
        KeyLastUsage: {
          Operation: "Decrypt",
          Timestamp: new Date("2026-11-30T08:15:00Z"),
          CloudTrailEventId: "2cfd5892-ea8c-4342-ad49-4b9594b06a8b",
          KmsRequestId: "r",
        },
        TrackingStartDate: new Date("2026-04-01T00:00:00Z"),
        KeyCreationDate: new Date("2025-01-01T00:00:00Z"),
      })
      .on(GetKeyLastUsageCommand, { KeyId: "idle" })
      .resolves({
        KeyLastUsage: {},
        TrackingStartDate: new Date("2026-06-01T00:00:00Z"),
        KeyCreationDate: new Date("2026-06-01T00:00:00Z"),
      })
      .on(GetKeyLastUsageCommand, { KeyId: "old" })
      .resolves({
        KeyLastUsage: {},
        TrackingStartDate: new Date("2026-04-01T00:00:00Z"),
        KeyCreationDate: new Date("2024-02-29T10:00:00Z"),
      })
      .on(GetKeyLastUsageCommand, { KeyId: "bare" })
      .resolves({})
      .on(GetKeyLastUsageCommand, { KeyId: "hot" })
      .rejects(awsError("ThrottlingException", "Rate exceeded"))
      .on(GetKeyLastUsageCommand, { KeyId: "denied" })
      .rejects(awsError("AccessDeniedException"))
      .on(GetKeyLastUsageCommand, { KeyId: "gone" })
      .rejects(awsError("NotFoundException"))
      .on(GetKeyLastUsageCommand, { KeyId: "odd" })
      .rejects(awsError("KMSInternalException"));
    const reader = await sdkLastUsageReader();
    const ids = ["used", "idle", "old", "bare", "hot", "denied", "gone", "odd"];
    const entries = await checkLastUse(
      ids.map((id) => target(id)),
      reader,
      { ratePerSecond: 5 },
    );
    expect(entries.map((e) => [e.target.keyId, e.checked, e.text])).toEqual([
      [
        "used",
        true,
        "last used on 2026-11-30T08:15:00Z by Decrypt (CloudTrail event 2cfd5892-ea8c-4342-ad49-4b9594b06a8b)",
      ],
      ["idle", true, "never used since it was created on 2026-06-01T00:00:00Z"],
      [
        "old",
        true,
        "no use recorded since tracking began on 2026-04-01T00:00:00Z (the key was created on 2024-02-29T10:00:00Z, before that): any earlier use is only in CloudTrail",
      ],
      ["bare", true, "no use recorded, and KMS gave no tracking start date: check CloudTrail"],
      [
        "hot",
        false,
        "could not check: KMS throttled GetKeyLastUsage (ThrottlingException, 5 requests/s per account and Region) after the SDK's retries; run again in a minute",
      ],
      [
        "denied",
        false,
        "could not check: not allowed: the credentials need kms:GetKeyLastUsage on this key (key policy or IAM)",
      ],
      [
        "gone",
        false,
        "could not check: KMS does not know this key in this Region (already deleted, or another account or Region)",
      ],
      ["odd", false, "could not check: GetKeyLastUsage failed with KMSInternalException"],
    ]);
    expect(kms.commandCalls(GetKeyLastUsageCommand).map((c) => c.args[0].input)).toEqual(
      ids.map((KeyId) => ({ KeyId })),
    );
  });

  test("one client per Region: each request goes to the key's Region", async () => {
    kms.on(GetKeyLastUsageCommand).resolves({});
    const reader = await sdkLastUsageReader();
    await checkLastUse([target("a", "eu-west-1"), target("b", "us-east-1"), target("c", "eu-west-1")], reader);
    const regions = await Promise.all(
      kms.commandCalls(GetKeyLastUsageCommand).map(async (c) => (c.thisValue as KMSClient).config.region()),
    );
    expect(regions).toEqual(["eu-west-1", "us-east-1", "eu-west-1"]);
  });

  test("no credentials: the first key says so, the others are not asked again and say the same", async () => {
    kms.on(GetKeyLastUsageCommand).rejects(awsError("CredentialsProviderError", "Could not load credentials"));
    const reader = await sdkLastUsageReader();
    const entries = await checkLastUse([target("a"), target("b")], reader);
    expect(entries.map((e) => e.text)).toEqual([
      "could not check: no AWS credentials found (give read-only credentials: AWS_PROFILE or the environment)",
      "could not check: no AWS credentials found (give read-only credentials: AWS_PROFILE or the environment)",
    ]);
    expect(kms.commandCalls(GetKeyLastUsageCommand)).toHaveLength(1);
  });

  test("a key whose Region the plan does not show is not checked unless a Region is given", async () => {
    kms.on(GetKeyLastUsageCommand).resolves({});
    const reader = await sdkLastUsageReader();
    expect((await checkLastUse([target("x", null)], reader)).map((e) => e.text)).toEqual([
      "could not check: the plan does not show the key's Region (no key ARN): pass --region",
    ]);
    expect(kms.commandCalls(GetKeyLastUsageCommand)).toHaveLength(0);
    const given = await checkLastUse([target("x", null)], reader, { defaultRegion: "eu-central-1" });
    expect(given[0].checked).toBe(true);
  });
});

describe("bounds", () => {
  const t = (i: number): LastUseTarget => ({
    stack: "s",
    address: `aws_kms_key.k${i}`,
    keyId: `k${i}`,
    region: "eu-west-1",
    reasons: ["deleted (ScheduleKeyDeletion)"],
  });

  test("at most 5 requests start in any second (the rulebook's GetKeyLastUsage quota), even when asked for more", async () => {
    let now = 0;
    const clock: LastUseClock = { now: () => now, sleep: async (ms) => void (now += ms) };
    const starts: number[] = [];
    const reader: LastUsageReader = async () => {
      starts.push(now);
      now += 10; // each answer takes 10 ms
      return {};
    };
    const entries = await checkLastUse(
      Array.from({ length: 12 }, (_, i) => t(i)),
      reader,
      { clock, ratePerSecond: 50 },
    );
    expect(entries.every((e) => e.checked)).toBe(true);
    expect(starts).toHaveLength(12);
    for (const s of starts) expect(starts.filter((x) => x >= s && x < s + 1000).length).toBeLessThanOrEqual(5);
    expect(starts[5]).toBeGreaterThanOrEqual(1000);
    expect(starts[10]).toBeGreaterThanOrEqual(2000);
  });

  test("every request together within the deadline: a hanging answer is cut off, later keys are not asked", async () => {
    const asked: string[] = [];
    const signals: AbortSignal[] = [];
    const reader: LastUsageReader = (keyId, _region, signal) => {
      asked.push(keyId);
      signals.push(signal);
      return new Promise(() => undefined); // never answers
    };
    const started = Date.now();
    const entries = await checkLastUse([t(1), t(2)], reader, { timeoutMs: 200 });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(entries.map((e) => e.text)).toEqual([
      "could not check: no answer within 0.2 s (--last-use-timeout)",
      "could not check: no answer within 0.2 s (--last-use-timeout)",
    ]);
    expect(asked).toEqual(["k1"]);
    expect(signals[0].aborted).toBe(true);
  });

  test("without a KMS client every key says it could not check, and why", async () => {
    const entries = await checkLastUse([t(1), t(2)], { unavailable: "the AWS SDK's KMS client is not installed" });
    expect(entries.map((e) => [e.checked, e.text])).toEqual([
      [false, "could not check: the AWS SDK's KMS client is not installed"],
      [false, "could not check: the AWS SDK's KMS client is not installed"],
    ]);
  });
});

describe("the command line", () => {
  const s = scratchDir("guard-last-use");
  afterAll(s.cleanup);
  const planFile = join(s.dir, "dev-keys.json");
  writeFileSync(planFile, JSON.stringify(riskPlan.plan));
  const reader: LastUsageReader = async (keyId) =>
    keyId === "k1"
      ? { KeyLastUsage: { Operation: "GenerateDataKey", Timestamp: new Date("2026-12-01T09:00:00Z") } }
      : {};
  const run = async (argv: string[], withReader = true) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      now: () => new Date("2026-12-01T12:00:00Z"),
      lastUseClock: fastClock(),
      ...(withReader
        ? { lastUseReader: async () => reader }
        : { lastUseReader: async () => ({ unavailable: "no SDK here" }) }),
    });
    return { code, out, err };
  };

  test("--last-use prints one line per key before the verdict; the verdict and exit code are unchanged", async () => {
    const without = await run([planFile, "--allowlist", join(__dirname, "empty.allow.json")]);
    const withIt = await run([
      planFile,
      "--allowlist",
      join(__dirname, "empty.allow.json"),
      "--last-use",
      "--region",
      "eu-west-2",
    ]);
    expect(without.out.some((l) => l.startsWith("LAST-USE"))).toBe(false);
    expect(withIt.code).toBe(without.code);
    expect(withIt.code).toBe(1);
    const lastUse = withIt.out.filter((l) => l.startsWith("LAST-USE"));
    expect(lastUse[0]).toBe(
      "LAST-USE [dev-keys] aws_kms_key.gone: key k1 (eu-west-1), deleted (ScheduleKeyDeletion): last used on 2026-12-01T09:00:00Z by GenerateDataKey",
    );
    expect(lastUse).toContain(
      "LAST-USE [dev-keys] aws_kms_alias.noregion: key k8, repointed (alias alias/x deleted): no use recorded, and KMS gave no tracking start date: check CloudTrail",
    );
    expect(lastUse).toHaveLength(7);
    expect(withIt.out[withIt.out.length - 1]).toBe(without.out[without.out.length - 1]);
    expect(withIt.out.indexOf(lastUse[0])).toBeLessThan(withIt.out.length - 1);
  });

  test("without a KMS client each key is reported as not checked, also in the Markdown summary", async () => {
    const r = await run(
      [planFile, "--allowlist", join(__dirname, "empty.allow.json"), "--last-use", "--markdown"],
      false,
    );
    const text = r.out.join("\n");
    expect(text).toContain("### Last use before loss");
    expect(text).toContain("| stack | address | key | what the plan does | last use (KMS GetKeyLastUsage) |");
    expect((text.match(/\*\*not checked\*\*: could not check: no SDK here/g) ?? []).length).toBe(7);
  });

  test("--quiet keeps the last-use lines; a bad --last-use-timeout is an input error", async () => {
    const q = await run([planFile, "--allowlist", join(__dirname, "empty.allow.json"), "--last-use", "--quiet"]);
    expect(q.out.filter((l) => l.startsWith("LAST-USE"))).toHaveLength(7);
    const bad = await run([planFile, "--last-use", "--last-use-timeout", "soon"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toEqual([
      'plan-guard: --last-use-timeout: "soon" is not a whole number of seconds (1 or more, at most 2147483)',
    ]);
  });

  test("every flag problem at once with the other input errors (an unknown option, a timeout Node's timers cannot hold, a Region that is none, an unreadable file); AWS is not asked", async () => {
    let asked = 0;
    const errs: string[] = [];
    const code = await runCli(
      [
        planFile,
        "--last-use",
        "--last-use-timeout",
        "99999999999999999999",
        "--region",
        "\u001b[2Jeu-west-1",
        "--cloudhsm-clusters",
        join(__dirname, "no-such-file.json"),
        "--bogus=1",
      ],
      {
        out: () => undefined,
        err: (l) => errs.push(l),
        lastUseReader: async () => {
          asked++;
          return { unavailable: "not here" };
        },
      },
    );
    expect([code, asked]).toEqual([2, 0]);
    expect(errs).toEqual([
      'plan-guard: unknown option "--bogus" (options: --allowlist, --summary, --markdown, --quiet, --cloudhsm-clusters, --changes, --last-use, --last-use-timeout, --region, --help)',
      'plan-guard: --last-use-timeout: "99999999999999999999" is not a whole number of seconds (1 or more, at most 2147483)',
      'plan-guard: --region: "\\u001b[2Jeu-west-1" is not an AWS Region code such as eu-west-1',
      `plan-guard: ${join(__dirname, "no-such-file.json")}: cannot read (ENOENT)`,
    ]);
  });
});
