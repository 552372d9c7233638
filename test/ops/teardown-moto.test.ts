/**
 * The teardown of dev against moto (an AWS emulator on loopback), with the real Terraform and the
 * local provider mirror: dev's two stacks are applied to moto, objects are written, then
 * `teardown --execute` runs to where AWS must wait (the keys' pending window), and a re-run resumes.
 *
 * What moto does not emulate, listed rather than faked (see docs/operations.md, "Teardown"):
 * - GetKeyLastUsage (KMS 2026): moto has no such action, so the run reads "last use unknown" and
 *   needs --force here;
 * - the end of a key's pending window: moto keeps a key PendingDeletion for ever (no clock API in
 *   moto 5, and KMS refuses windows under 7 days), so the last phase (alarm removal once KMS has
 *   deleted the keys) is proven with mocked clients only;
 * - custom key stores and CloudHSM HSMs (dev has neither; the mocked-client tests cover them);
 * - GetEbsDefaultKmsKeyId (moto 5.2.1 answers HTTP 500 "not implemented", and the provider retries
 *   it for ever after ModifyEbsDefaultKmsKeyId): dev's `aws_ebs_default_kms_key` is left out of the
 *   apply, so the reset of the EBS default key is proven with mocked clients only;
 * - bucket policies: moto serves plain HTTP on loopback and evaluates bucket policies without the
 *   S3 condition keys (s3:x-amz-server-side-encryption-aws-kms-key-id), so the DenyInsecureTransport
 *   statement (aws:SecureTransport = false) would deny every object call and the SSE-KMS statements
 *   every PutObject: the first is left out of the applied policy, and the objects are written before
 *   the policy is applied (a first apply targets the bucket's versioning and encryption).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient, CreateLogGroupCommand, DescribeMetricFiltersCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DescribeVpcsCommand } from "@aws-sdk/client-ec2";
import { FSxClient } from "@aws-sdk/client-fsx";
import { DescribeKeyCommand } from "@aws-sdk/client-kms";
import { DeleteObjectCommand, ListBucketsCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { dev } from "../../environments/dev";
import { realClock } from "../../hooks/lib/clock";
import { RateLimiter } from "../../hooks/lib/rate-limiter";
import { createOpsClients, destroyOpsClients } from "../../tools/ops/clients";
import { runTeardown } from "../../tools/ops/teardown";
import { PENDING_DELETION_FILTER } from "../../tools/ops/teardown-steps/alarm";
import { createTerraformRunner } from "../../tools/ops/teardown-steps/terraform-runner";
import { findTerraform } from "../../tools/terraform/find";
import { isObject, type JsonObject } from "../../tools/terraform/plan-json";
import { cliConfigText } from "../../tools/terraform/scratch";
import { withoutUnsupported } from "../../tools/emulator/run";
import { motoSkipReason, startMoto, withEnv, type Moto } from "../helpers/moto";
import { synthEnvs } from "../helpers/synth";

const found = findTerraform();
// Runs where the emulator run does (test/helpers/emulator.ts): CMK_RUN_EMULATOR=1 with CMK_SKIP_TERRAFORM.
const skip = motoSkipReason() ?? (process.env.CMK_SKIP_TERRAFORM && !process.env.CMK_RUN_EMULATOR ? "CMK_SKIP_TERRAFORM is set" : undefined) ?? (found.ok ? undefined : found.reason);
if (skip) console.warn(`teardown against moto skipped: ${skip}`);

const BUCKET = "northwind-dev-app-data-111111111111";
const LOG_GROUP = "aws-cloudtrail-logs-dev";

/**
 * A synthesized stack (or the teardown's reduced copy of one) made to talk to moto: the mirror's
 * provider version, a local state file per stack, dummy credentials, every endpoint at moto, and
 * no account pin (moto's account is 123456789012).
 */
function forMoto(config: JsonObject, stack: string, stateDir: string, endpoint: string): JsonObject {
  // The resources moto cannot emulate are left out as the emulator run leaves them out (tools/emulator/run.ts).
  const doc = withoutUnsupported(JSON.parse(JSON.stringify(config)) as Record<string, unknown>).json as JsonObject;
  if (isObject(doc.resource)) {
    for (const p of Object.values(isObject(doc.resource.aws_s3_bucket_policy) ? doc.resource.aws_s3_bucket_policy : {})) {
      if (!isObject(p) || typeof p.policy !== "string") continue;
      const policy = JSON.parse(p.policy) as { Statement: { Sid?: string }[] };
      policy.Statement = policy.Statement.filter((st) => st.Sid !== "DenyInsecureTransport");
      p.policy = JSON.stringify(policy);
    }
  }
  const tf = (isObject(doc.terraform) ? doc.terraform : {}) as JsonObject;
  delete tf.backend;
  delete tf.cloud;
  tf.backend = { local: { path: join(stateDir, `${stack}.tfstate`) } };
  const req = isObject(tf.required_providers) ? tf.required_providers : {};
  if (isObject(req.aws)) req.aws.version = "5.100.0";
  doc.terraform = tf;
  const providers = isObject(doc.provider) && Array.isArray(doc.provider.aws) ? doc.provider.aws : [];
  for (const p of providers) {
    if (!isObject(p)) continue;
    delete p.allowed_account_ids;
    Object.assign(p, {
      access_key: "testing",
      secret_key: "testing",
      skip_credentials_validation: true,
      skip_requesting_account_id: true,
      skip_metadata_api_check: true,
      s3_use_path_style: true,
      // An action moto does not implement answers 500: fail in seconds, not after minutes of retries.
      max_retries: 2,
      endpoints: [{ ec2: endpoint, kms: endpoint, s3: endpoint, sts: endpoint, iam: endpoint, cloudwatch: endpoint, logs: endpoint }],
    });
  }
  const remote = isObject(doc.data) && isObject(doc.data.terraform_remote_state) ? doc.data.terraform_remote_state : {};
  for (const [name, ds] of Object.entries(remote)) {
    if (!isObject(ds)) continue;
    const origin = name.replace(/^cross-stack-reference-input-/, "");
    ds.backend = "local";
    ds.config = { path: join(stateDir, `${origin}.tfstate`) };
  }
  return doc;
}

/** Two versions of one object and a delete marker, written as the bucket policy demands (SSE-KMS under the environment's key). */
async function seedObjects(): Promise<void> {
  const ops = createOpsClients("eu-west-1");
  try {
    const key = (await ops.kms.send(new DescribeKeyCommand({ KeyId: "alias/dev/app-data" }))).KeyMetadata?.Arn;
    const sse = { ServerSideEncryption: "aws:kms" as const, SSEKMSKeyId: key };
    await ops.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: "records/1.json", Body: "{}", ...sse }));
    await ops.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: "records/1.json", Body: '{"v":2}', ...sse }));
    await ops.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: "records/1.json" }));
  } finally {
    destroyOpsClients(ops);
  }
}

(skip ? describe.skip : describe)("teardown of dev against moto", () => {
  let moto: Moto;
  let root: string;
  let tfEnv: NodeJS.ProcessEnv;
  const bin = found.ok ? found.bin : "terraform";

  function terraform(dir: string, args: string[]): { code: number; out: string } {
    const r = spawnSync(bin, args, { cwd: dir, env: tfEnv, encoding: "utf8", timeout: 240_000 });
    return { code: r.status ?? 1, out: `${r.stdout}\n${r.stderr}` };
  }

  beforeAll(async () => {
    moto = await startMoto({ region: "eu-west-1" });
    root = mkdtempSync(join(tmpdir(), "teardown-moto-"));
    writeFileSync(join(root, "terraform.tfrc"), cliConfigText(found.ok ? found.mirror : ""));
    tfEnv = { PATH: process.env.PATH, HOME: process.env.HOME, TF_CLI_CONFIG_FILE: join(root, "terraform.tfrc"), TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1", ...moto.env };
    const { stacks } = synthEnvs({ dev });
    mkdirSync(join(root, "state"));
    for (const stack of ["dev-keys", "dev-data"]) {
      // What `npm run synth` writes, for the teardown's runner to read.
      mkdirSync(join(root, "cdktf.out", "stacks", stack), { recursive: true });
      writeFileSync(join(root, "cdktf.out", "stacks", stack, "cdk.tf.json"), JSON.stringify(stacks[stack]));
      // The deploy, against moto.
      const dir = join(root, "apply", stack);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "cdk.tf.json"), JSON.stringify(forMoto(stacks[stack] as JsonObject, stack, join(root, "state"), moto.endpoint)));
      const steps = [["init", "-input=false", "-no-color"]];
      if (stack === "dev-data") steps.push(["apply", "-input=false", "-no-color", "-auto-approve", "-target=aws_s3_bucket_versioning.bucket-appData_versioning_84A27E09", "-target=aws_s3_bucket_server_side_encryption_configuration.bucket-appData_encryption_D41C633D"]);
      for (const args of steps) {
        const r = terraform(dir, args);
        if (r.code !== 0) throw new Error(`terraform ${args[0]} of ${stack} against moto failed:\n${r.out.slice(-3000)}`);
      }
      if (stack === "dev-data") await withEnv(moto.env, seedObjects);
      const r = terraform(dir, ["apply", "-input=false", "-no-color", "-auto-approve"]);
      if (r.code !== 0) throw new Error(`terraform apply of ${stack} against moto failed:\n${r.out.slice(-3000)}`);
      // The empty second plan of these stacks is test/ops/emulator.test.ts's to prove; not repeated here.
    }
  }, 600_000);

  afterAll(async () => {
    await moto?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test("runs to the keys' pending window: bucket emptied and deleted, keys disabled and pending behind AWS's alarm, both stacks' state empty; a re-run resumes and waits", async () => {
    await withEnv(moto.env, async () => {
      const ops = createOpsClients("eu-west-1");
      const logs = new CloudWatchLogsClient({ region: "eu-west-1" });
      const fsx = new FSxClient({ region: "eu-west-1" });
      try {
        await logs.send(new CreateLogGroupCommand({ logGroupName: LOG_GROUP }));
        const runner = createTerraformRunner({ root, bin, env: tfEnv, transform: (c, stack) => forMoto(c, stack, join(root, "state"), moto.endpoint) });
        const lines: string[] = [];
        const deps = {
          clients: { kms: ops.kms, s3: ops.s3, cloudhsm: ops.cloudhsm, cloudwatch: ops.cloudwatch, logs, fsx },
          terraform: runner,
          io: { out: (l: string) => lines.push(l), confirm: async () => false },
          clock: realClock,
          kmsLimiter: new RateLimiter(realClock, 5, 1000),
        };
        const opts = { env: "dev", region: "eu-west-1", execute: true, yes: true, deleteObjects: true, deleteFileSystems: false, deleteBackups: false, unusedForDays: 30, force: true, withoutAlarm: false, cloudTrailLogGroup: LOG_GROUP };

        const first = await runTeardown(opts, deps);
        expect({ first, tail: lines.slice(-3) }).toMatchObject({ first: { outcome: "waiting", exitCode: 3 } });
        expect(lines).toContain(`  bucket ${BUCKET}: holds 3 object version(s) and delete marker(s)`);
        expect(lines.some((l) => /^ {2}key [0-9a-f-]{36}: last use unknown \(GetKeyLastUsage failed with /.test(l))).toBe(true);
        expect(lines).toContain("  applied: dev-data deleted 6, forgot 1");
        expect(lines.filter((l) => /^ {2}key [0-9a-f-]{36}: disabled, deletion scheduled for \d{4}-\d{2}-\d{2}/.test(l))).toHaveLength(2);

        // What moto now holds.
        expect((await ops.s3.send(new ListBucketsCommand({}))).Buckets ?? []).toEqual([]);
        expect((await ops.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: "tag:Stack", Values: ["dev-keys"] }] }))).Vpcs ?? []).toEqual([]);
        const keyIds = lines.map((l) => /^ {2}key ([0-9a-f-]{36}): disabled/.exec(l)?.[1]).filter((x): x is string => !!x);
        for (const id of keyIds) expect((await ops.kms.send(new DescribeKeyCommand({ KeyId: id }))).KeyMetadata?.KeyState).toBe("PendingDeletion");
        const alarms = await ops.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ["cmk-stacks-dev-kms-key-pending-deletion-use"] }));
        expect(alarms.MetricAlarms?.[0]).toMatchObject({ MetricName: "KMSKeyPendingDeletionErrorCount", Namespace: "CloudTrailLogMetrics", Threshold: 1 });
        const filters = await logs.send(new DescribeMetricFiltersCommand({ logGroupName: LOG_GROUP }));
        expect(filters.metricFilters?.[0]?.filterPattern).toBe(PENDING_DELETION_FILTER);
        expect(await runner.state("dev-data")).toEqual([]);
        expect(await runner.state("dev-keys")).toEqual([]);

        // A re-run resumes from AWS's state: nothing left to do but wait; the keys come from the alarm's tags.
        lines.length = 0;
        const second = await runTeardown(opts, deps);
        expect(second.outcome).toBe("waiting");
        // Each key once in the keys phase and once in the last phase's wait.
        expect(lines.filter((l) => l.includes("(no longer in Terraform state)): pending deletion"))).toHaveLength(4);
        expect(lines).toContain("  nothing left in its Terraform state");
        expect(lines.at(-1)).toMatch(/^WAITING: 2 key\(s\) pending deletion; KMS deletes the last on \d{4}-\d{2}-\d{2} \(up to 24 h later\); the alarm cmk-stacks-dev-kms-key-pending-deletion-use reports any use meanwhile; run the teardown again on or after \d{4}-\d{2}-\d{2}$/);
      } finally {
        destroyOpsClients(ops);
        logs.destroy();
        fsx.destroy();
      }
    });
  }, 600_000);
});
