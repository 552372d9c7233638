/**
 * The repository's side of the XKS preflight: an environment becomes the preflight's target (the
 * JSON of packages/xks-check/target.ts), and what the preflight says about it names the
 * environment's own fields.
 */
import { parseTarget, runCli, XksInputError } from "@cmk-stacks/xks-check";
import type { EnvironmentConfig } from "../../../environments/types";
import { environmentTargets, xksTargetOf } from "../../../tools/xks-check/environments";

const ARN = "arn:aws:secretsmanager:eu-west-1:222222222222:secret:x-AbCdEf";
const env = (over: Record<string, unknown> = {}, xks: Record<string, unknown> = {}): EnvironmentConfig =>
  ({
    name: "staging",
    account: "222222222222",
    region: "eu-west-1",
    xks: {
      privateDnsName: "xks.staging.example.com",
      uriPath: "/nw/kms/xks/v1",
      credential: { source: "secretsManager", secretArn: ARN },
      ...xks,
    },
    keys: {
      records: { alias: "alias/r", store: "xks", xksKeyId: "records-01", administrators: [], users: [] },
      volumes: { alias: "alias/v", administrators: [], users: [] },
      ledger: { alias: "alias/l", store: "xks", xksKeyId: "ledger-01", administrators: [], users: [] },
    },
    ...over,
  }) as unknown as EnvironmentConfig;

async function run(
  argv: string[],
  envs: Record<string, EnvironmentConfig>,
): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(
    argv,
    { out: (l) => out.push(l), err: (l) => err.push(l) },
    { env: {}, environments: environmentTargets(async () => envs) },
  );
  return { code, out, err };
}

test('an environment gives its endpoint, path, Region, store "xks" keys, secret and account root, and nothing else', () => {
  const t = xksTargetOf(env());
  expect(t.target).toEqual({
    endpoint: "https://xks.staging.example.com",
    uriPath: "/nw/kms/xks/v1",
    region: "eu-west-1",
    keys: [
      { name: "records", xksKeyId: "records-01" },
      { name: "ledger", xksKeyId: "ledger-01" },
    ],
    credentialSecret: ARN,
    principalArn: "arn:aws:iam::222222222222:root",
  });
  // What the preflight makes of it: the same target the environment used to give directly.
  expect(parseTarget(t.target, t.label, t.fields)).toEqual({
    privateDnsName: "xks.staging.example.com",
    uriPath: "/nw/kms/xks/v1",
    region: "eu-west-1",
    keys: [
      { name: "records", xksKeyId: "records-01" },
      { name: "ledger", xksKeyId: "ledger-01" },
    ],
    secretArn: ARN,
    secretLabel: "environments.staging.xks.credential.secretArn",
    principalArn: "arn:aws:iam::222222222222:root",
  });
});

test("a credential in Terraform variables names no secret; the principal is in the Region's partition", () => {
  const t = xksTargetOf(env({ region: "us-gov-west-1" }, { credential: { source: "variable" } }));
  expect(t.target.credentialSecret).toBeUndefined();
  expect(t.target.principalArn).toBe("arn:aws-us-gov:iam::222222222222:root");
  expect(xksTargetOf(env({ region: "cn-north-1" })).target.principalArn).toBe("arn:aws-cn:iam::222222222222:root");
});

test.each([
  [
    "no xks section",
    env({ xks: undefined }),
    "environments.staging has no xks section: pass --endpoint, --uri-path, --region and --key instead",
  ],
  [
    "an xks key without its id",
    env({ keys: { records: { alias: "alias/r", store: "xks", administrators: [], users: [] } } }),
    'environments.staging.keys.records.xksKeyId is missing (store "xks" needs it)',
  ],
])("fails when the environment has %s", (_what, e, message) => {
  expect(() => xksTargetOf(e)).toThrow(new XksInputError(message));
});

test("the preflight's refusals name the environment's fields, every problem at once", async () => {
  const bad = env({ region: "mars" }, { privateDnsName: "10.0.0.1", uriPath: "/nw/kms/xks/v1/" });
  const r = await run(["--env", "staging"], { staging: bad });
  expect(r.code).toBe(2);
  expect(r.err).toEqual([
    [
      'xks-check: environments.staging.xks.privateDnsName: "https://10.0.0.1" must be https://<private DNS name>, 10-128 characters, with no port and no path',
      'xks-check: environments.staging.xks.uriPath: "/nw/kms/xks/v1/" must be 10-128 chars matching /<prefix>/kms/xks/v<1-2 digits> or /kms/xks/v<1-2 digits> (version 1: ends /kms/xks/v1)',
      'xks-check: environments.staging.region: "mars" is not a Region name such as eu-west-1',
    ].join("\n"),
  ]);
});

test("--print-target prints the environment's target as a target file, flags applied, no credential needed", async () => {
  const r = await run(["--env", "staging", "--key", "other-01", "--principal-arn", "AWS Internal", "--print-target"], {
    staging: env(),
  });
  expect([r.code, r.err]).toEqual([0, []]);
  expect(JSON.parse(r.out.join("\n"))).toEqual({
    endpoint: "https://xks.staging.example.com",
    uriPath: "/nw/kms/xks/v1",
    region: "eu-west-1",
    keys: [{ xksKeyId: "other-01" }],
    credentialSecret: ARN,
    principalArn: "AWS Internal",
  });
});

test("a target file and an environment at once is an input error", async () => {
  const r = await run(["--env", "staging", "--target", "t.json"], { staging: env() });
  expect([r.code, r.err]).toEqual([2, ["xks-check: --target and --env both name the target: pass one of them"]]);
});
