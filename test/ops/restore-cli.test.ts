/** `npm run restore` (issue 21): flags, discovery by the stack's names, the step through the hook runner, the setting printed. */
import { DescribeBackupsCommand, DescribeClustersCommand } from "@aws-sdk/client-cloudhsm-v2";
import { DescribeInstancesCommand, DescribeSubnetsCommand, EC2Client } from "@aws-sdk/client-ec2";
import {
  DecryptCommand,
  DescribeCustomKeyStoresCommand,
  DescribeKeyCommand,
  EncryptCommand,
  KMSClient,
  ListKeysCommand,
} from "@aws-sdk/client-kms";
import { DescribeSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { RESTORED_FOR_TAG } from "../../hooks/steps/restore-key-store";
import { VirtualClock } from "../../hooks/lib/clock";
import { loadEnvironment } from "../../tools/ops/env";
import { runRestoreCli } from "../../tools/ops/restore-run-cli";
import { cloudhsmMock } from "../hooks/helpers";

const kms = mockClient(KMSClient);
const cloudhsm = cloudhsmMock();
const ec2 = mockClient(EC2Client);
const ssm = mockClient(SSMClient);
const secrets = mockClient(SecretsManagerClient);
const STORE = "cks-1234567890abcdef0";
const NEW = "cluster-restoredabcd";
const KEY = "1234abcd-12ab-34cd-56ef-1234567890ab";

let out: string[];
let err: string[];
const run = (argv: string[]) =>
  runRestoreCli(argv, {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    clock: new VirtualClock(0),
    loadEnv: (name) => loadEnvironment(name, undefined),
    clients: () => ({ clients: { kms, cloudhsm: cloudhsm as never, ec2, ssm, secrets }, close: () => undefined }),
  });

beforeEach(() => {
  out = [];
  err = [];
  for (const m of [kms, cloudhsm, ec2, ssm, secrets]) m.reset();
  kms.on(DescribeCustomKeyStoresCommand).resolves({
    CustomKeyStores: [
      {
        CustomKeyStoreId: STORE,
        CustomKeyStoreName: "prod-cloudhsm",
        CustomKeyStoreType: "AWS_CLOUDHSM",
        ConnectionState: "CONNECTED",
        CloudHsmClusterId: NEW,
      },
    ],
  });
  cloudhsm.on(DescribeClustersCommand).resolves({
    Clusters: [
      {
        ClusterId: NEW,
        State: "ACTIVE",
        SourceBackupId: "backup-newestreadya",
        TagList: [{ Key: RESTORED_FOR_TAG, Value: STORE }],
        Hsms: [
          { HsmId: "hsm-restoredhsmbb", AvailabilityZone: "eu-west-1b", State: "ACTIVE" },
          { HsmId: "hsm-restoredhsmaa", AvailabilityZone: "eu-west-1a", State: "ACTIVE" },
        ],
      },
    ],
  });
  cloudhsm.on(DescribeBackupsCommand).resolves({
    Backups: [
      { BackupId: "backup-newestreadya", BackupState: "READY", CreateTimestamp: new Date("2026-12-05T00:00:00Z") },
    ],
  });
  ec2.on(DescribeSubnetsCommand).resolves({
    Subnets: ["a", "b", "c"].map((az, i) => ({
      SubnetId: `subnet-0a1b2c3d4e5f6000${i}`,
      AvailabilityZone: `eu-west-1${az}`,
    })),
  });
  ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ InstanceId: "i-0123456789abcdef0" }] }] });
  secrets.on(DescribeSecretCommand).callsFake((i: { SecretId: string }) => ({
    ARN: `arn:aws:secretsmanager:eu-west-1:333333333333:secret:${i.SecretId}-AbCdEf`,
  }));
  kms.on(ListKeysCommand).resolves({ Keys: [{ KeyId: KEY }] });
  kms.on(DescribeKeyCommand).resolves({
    KeyMetadata: {
      KeyId: KEY,
      KeyState: "Enabled",
      CustomKeyStoreId: STORE,
      CreationDate: new Date("2026-11-01T00:00:00Z"),
    },
  });
  kms.on(EncryptCommand).callsFake((i: { Plaintext: Uint8Array }) => ({ CiphertextBlob: i.Plaintext }));
  kms.on(DecryptCommand).callsFake((i: { CiphertextBlob: Uint8Array }) => ({ Plaintext: i.CiphertextBlob }));
});

test("every flag problem at once, each naming its flag, nothing called", async () => {
  expect(
    await run([
      "prod",
      "--backup-id",
      "x",
      "--last-connected",
      "yesterday",
      "--subnet-ids",
      "a b",
      "--timeout-minutes",
      "0",
      "--bogus",
    ]),
  ).toBe(64);
  expect(err).toEqual([
    expect.stringMatching(/^restore: unknown option --bogus \(options: --backup-id, /),
    'restore: --backup-id must be a CloudHSM backup id (backup-...) (got "x")',
    'restore: --last-connected must be an ISO 8601 UTC time of a real day such as 2026-12-01T10:00:00Z (got "yesterday")',
    'restore: --subnet-ids must be subnet ids separated by commas (got "a b")',
    expect.stringMatching(/^restore: --timeout-minutes must be a whole number from \d+ to \d+ \(got "0"\)$/),
  ]);
  expect(kms.calls()).toHaveLength(0);
});

test("a day the month does not have, one subnet twice, terminal escapes and huge values: refused, shown escaped and cut, nothing called", async () => {
  expect(
    await run([
      "prod",
      "--last-connected",
      "2026-02-30T10:00:00Z",
      "--subnet-ids",
      "subnet-0123456789abcdef0,subnet-0123456789abcdef0",
      "--backup-id",
      "\u001b[2J\u001b]0;owned\u0007",
      "--timeout-minutes",
      "9".repeat(2000),
    ]),
  ).toBe(64);
  expect(err).toEqual([
    'restore: --backup-id must be a CloudHSM backup id (backup-...) (got "\\u001b[2J\\u001b]0;owned\\u0007")',
    'restore: --last-connected must be an ISO 8601 UTC time of a real day such as 2026-12-01T10:00:00Z (got "2026-02-30T10:00:00Z")',
    'restore: --subnet-ids must name each subnet once, one per HSM AZ (got "subnet-0123456789abcdef0,subnet-0123456789abcdef0")',
    `restore: --timeout-minutes must be a whole number from 1 to 120 (got "${"9".repeat(160)}"... (2000 chars))`,
  ]);
  expect([kms, cloudhsm, ec2, ssm, secrets].map((m) => m.calls().length)).toEqual([0, 0, 0, 0, 0]);
});

test("the flag problems are reported beside commander's own (a missing <env>), not one per run", async () => {
  expect(await run(["--backup-id", "x", "--timeout-minutes", "abc"])).toBe(64);
  expect(err).toEqual([
    "error: missing required argument 'env'",
    'restore: --backup-id must be a CloudHSM backup id (backup-...) (got "x")',
    'restore: --timeout-minutes must be a whole number from 1 to 120 (got "abc")',
  ]);
});

test("an environment without CloudHSM is refused", async () => {
  expect(await run(["dev"])).toBe(64);
  expect(err).toEqual(["restore: environment dev has no cloudHsm: there is no CloudHSM key store to restore"]);
});

test("what cannot be found is reported all at once, by the names the stack gives", async () => {
  ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
  ec2.on(DescribeSubnetsCommand).resolves({ Subnets: [] });
  secrets.on(DescribeSecretCommand).rejects(Object.assign(new Error("denied"), { name: "AccessDeniedException" }));
  expect(await run(["prod"])).toBe(64);
  expect(err).toEqual([
    "restore: no subnet named prod-private-eu-west-1a, prod-private-eu-west-1b, prod-private-eu-west-1c: pass the subnets of the HSM AZs with --subnet-ids",
    "restore: no running admin host named prod-cloudhsm-admin: start it (or apply the keys stack), then re-run",
    "restore: secret prod/cloudhsm/admin-password: secretsmanager:DescribeSecret failed (AccessDeniedException: denied)",
    "restore: secret prod/cloudhsm/kmsuser-password: secretsmanager:DescribeSecret failed (AccessDeniedException: denied)",
  ]);
});

test("a run that fails after the repoint prints the setting to apply before re-running", async () => {
  kms.on(EncryptCommand).rejects(Object.assign(new Error("no"), { name: "AccessDeniedException" }));
  expect(await run(["prod"])).toBe(1);
  const text = err.join("\n");
  expect(text).toContain(`restore: the store already uses the restored cluster ${NEW}. Set cloudHsm.restored to`);
  expect(text).toContain('"hsmIds": [\n    "hsm-restoredhsmaa",\n    "hsm-restoredhsmbb"\n  ]');
  expect(text).toContain("then run npm run restore again: it resumes");
});

test("runs the step with what it found, then prints the cloudHsm.restored setting (HSMs in hsmAzs order)", async () => {
  expect(await run(["prod"])).toBe(0);
  expect(kms.commandCalls(EncryptCommand).map((c) => c.args[0].input.KeyId)).toEqual([KEY]);
  expect(ec2.commandCalls(DescribeSubnetsCommand)[0].args[0].input.Filters).toEqual([
    { Name: "tag:Name", Values: ["prod-private-eu-west-1a", "prod-private-eu-west-1b", "prod-private-eu-west-1c"] },
  ]);
  expect(out.join("\n")).toContain(
    `set cloudHsm.restored to\n${JSON.stringify({ clusterId: NEW, backupId: "backup-newestreadya", hsmIds: ["hsm-restoredhsmaa", "hsm-restoredhsmbb"] }, null, 2)}`,
  );
  expect(out[0]).toMatch(/^restore-key-store: done \(CONNECTED, 1 keys proven\)/);
});
