/**
 * The deploy the teardown's emulator test (test/ops/teardown-moto.test.ts) tears down: dev's two
 * stacks applied with the real Terraform and the local provider mirror against a moto of its own,
 * in the layout the teardown's Terraform runner reads (`<root>/cdktf.out/stacks/<stack>/cdk.tf.json`,
 * local state under `<root>/state`). The jest global setup runs it in the background
 * (`node .build/emulator.js dev --work <dir> --teardown`) while the unit suites run, then runs
 * `teardown --execute --yes --delete-objects --force` of it twice (the real Terraform runner, the
 * real SDK clients, against that moto): the first to where AWS must wait, the second resuming from
 * AWS's state. The test reads both runs' output and outcome and checks what moto then holds.
 *
 * What moto cannot do is worked around here, never faked (docs/emulator.md lists each):
 * - GetEbsDefaultKmsKeyId answers HTTP 500 in moto 5.2: `aws_ebs_default_kms_key` is left out as the
 *   emulator run leaves it out (tools/emulator/run.ts, MOTO_UNSUPPORTED);
 * - bucket policies: moto serves plain HTTP on loopback and evaluates bucket policies without the S3
 *   condition keys, so DenyInsecureTransport (aws:SecureTransport = false) would deny every object
 *   call and the SSE-KMS statements every PutObject: the first is left out of the applied policy, and
 *   the objects are written while the policy Terraform applied is set aside, then that same policy
 *   is put back (as an administrator would; what Terraform's state holds is unchanged). One apply of
 *   the data stack, not a first apply targeting the bucket's versioning and encryption and a second
 *   for the rest: each apply starts the AWS provider and costs ~10 s of CPU.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CloudWatchLogsClient, CreateLogGroupCommand } from "@aws-sdk/client-cloudwatch-logs";
import { FSxClient } from "@aws-sdk/client-fsx";
import { SchedulerClient } from "@aws-sdk/client-scheduler";
import {
  DeleteBucketPolicyCommand,
  DeleteObjectCommand,
  GetBucketPolicyCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { realClock } from "../../hooks/lib/clock";
import { CUSTOM_KEY_STORE_RPS, RateLimiter } from "../../hooks/lib/rate-limiter";
import { runTeardown } from "../ops/teardown";
import { createTerraformRunner } from "../ops/teardown-steps/terraform-runner";
import { DescribeKeyCommand } from "@aws-sdk/client-kms";
import type { EnvironmentConfig } from "../../environments/types";
import { composeApp, composeEnvironment } from "../../stacks/compose";
import { createOpsClients, destroyOpsClients } from "../ops/clients";
import { findTerraform } from "../terraform/find";
import { isObject, type JsonObject } from "@cmk-stacks/plan-guard";
import { cliConfigText } from "../terraform/scratch";
import { withoutUnsupported } from "./run";
import { startMoto, type Moto } from "./moto";

/**
 * The SDK retries of the fixture's teardown runs against moto: one retry, not SDK_RETRY_CONFIG's
 * eight adaptive attempts. moto lacks GetKeyLastUsage and answers HTTP 500 at once, every time; the
 * SDK retries a 500, and its backoff between eight attempts for each of dev's two keys cost ~7 s of
 * the first run's 41 s. The run still reaches the same "last use unknown (GetKeyLastUsage failed
 * with ...)" line the test pins; nothing else of moto's answers is retried.
 */
export const FIXTURE_RETRY = { maxAttempts: 2, retryMode: "standard" } as const;

/** dev's bucket, which the fixture fills with two versions and a delete marker. */
export const TEARDOWN_BUCKET = "northwind-dev-app-data-111111111111";

/** What the fixture leaves for the test (`<work>/teardown.json`). */
export interface TeardownFixture {
  /** Project-like root: cdktf.out/stacks, state/, apply/, terraform.tfrc. */
  readonly root: string;
  readonly endpoint: string;
  readonly pid: number;
  readonly region: string;
  /** The Terraform binary and provider mirror used. */
  readonly bin: string;
  readonly mirror: string;
  readonly seconds: number;
  /** The teardown's two runs: outcome, exit code, every output line, seconds. */
  readonly runs: readonly {
    readonly outcome: string;
    readonly exitCode: number;
    readonly lines: readonly string[];
    readonly seconds: number;
  }[];
}

/** The CloudWatch Logs group the teardown's alarm on use of a pending key reads (created by the fixture, as CloudTrail would). */
export const TEARDOWN_LOG_GROUP = "aws-cloudtrail-logs-dev";

/**
 * The Terraform environment of the fixture's runs: the mirror's CLI config and moto's endpoint and
 * dummy credentials, and Go's collector at GOGC=400 unless GOGC is set. Decoding the provider's
 * schema dominates each run and the default collector (GOGC=100) costs ~40% of the fixture's CPU
 * (measured: 103 s -> 69 s for the deploy and both teardown runs); turned off as for the short
 * offline runs (tools/terraform/run.ts), an apply against moto grew to 2.2 GB, at 400 to 0.6 GB.
 */
export function fixtureTerraformEnv(root: string, motoEnv: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TF_CLI_CONFIG_FILE: join(root, "terraform.tfrc"),
    TF_IN_AUTOMATION: "1",
    CHECKPOINT_DISABLE: "1",
    GOGC: process.env.GOGC ?? "400",
    ...motoEnv,
  };
}

/**
 * A synthesized stack (or the teardown's reduced copy of one) made to talk to moto: the mirror's
 * provider version, a local state file per stack, dummy credentials, every endpoint at moto, and
 * no account pin (moto's account is 123456789012).
 */
export function forMoto(config: JsonObject, stack: string, stateDir: string, endpoint: string): JsonObject {
  const doc = withoutUnsupported(JSON.parse(JSON.stringify(config)) as Record<string, unknown>).json as JsonObject;
  if (isObject(doc.resource)) {
    for (const p of Object.values(
      isObject(doc.resource.aws_s3_bucket_policy) ? doc.resource.aws_s3_bucket_policy : {},
    )) {
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
      endpoints: [
        {
          ec2: endpoint,
          kms: endpoint,
          s3: endpoint,
          sts: endpoint,
          iam: endpoint,
          cloudwatch: endpoint,
          logs: endpoint,
        },
      ],
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

/**
 * Two versions of one object and a delete marker, written as the bucket policy demands (SSE-KMS
 * under the environment's key) while the applied policy is set aside (moto cannot evaluate its
 * conditions, see above); the same policy document is then put back. Needs moto's environment in
 * process.env.
 */
async function seedObjects(region: string): Promise<void> {
  const ops = createOpsClients(region);
  try {
    const { Policy: policy } = await ops.s3.send(new GetBucketPolicyCommand({ Bucket: TEARDOWN_BUCKET }));
    if (!policy) throw new Error(`${TEARDOWN_BUCKET} has no bucket policy after the apply`);
    await ops.s3.send(new DeleteBucketPolicyCommand({ Bucket: TEARDOWN_BUCKET }));
    try {
      const key = (await ops.kms.send(new DescribeKeyCommand({ KeyId: "alias/dev/app-data" }))).KeyMetadata?.Arn;
      const sse = { ServerSideEncryption: "aws:kms" as const, SSEKMSKeyId: key };
      await ops.s3.send(new PutObjectCommand({ Bucket: TEARDOWN_BUCKET, Key: "records/1.json", Body: "{}", ...sse }));
      await ops.s3.send(
        new PutObjectCommand({ Bucket: TEARDOWN_BUCKET, Key: "records/1.json", Body: '{"v":2}', ...sse }),
      );
      await ops.s3.send(new DeleteObjectCommand({ Bucket: TEARDOWN_BUCKET, Key: "records/1.json" }));
    } finally {
      await ops.s3.send(new PutBucketPolicyCommand({ Bucket: TEARDOWN_BUCKET, Policy: policy }));
    }
  } finally {
    destroyOpsClients(ops);
  }
}

/**
 * Starts moto, applies `env`'s keys then data stack into it under `work`, with objects written to
 * the bucket. `onMoto` is called as soon as moto runs (to record its pid). Sets moto's environment
 * in this process (the caller is a process of its own).
 */
export async function prepareTeardownFixture(
  env: EnvironmentConfig,
  work: string,
  opts: { onMoto?: (m: Moto) => void; log?: (line: string) => void } = {},
): Promise<TeardownFixture> {
  const started = Date.now();
  const log = opts.log ?? (() => undefined);
  const found = findTerraform();
  if (!found.ok) throw new Error(found.reason);
  const moto = await startMoto({ region: env.region, logFile: join(work, "moto.log") });
  opts.onMoto?.(moto);
  delete process.env.AWS_PROFILE;
  Object.assign(process.env, moto.env);
  const root = join(work, "root");
  mkdirSync(join(root, "state"), { recursive: true });
  writeFileSync(join(root, "terraform.tfrc"), cliConfigText(found.mirror));
  const tfEnv = fixtureTerraformEnv(root, moto.env);
  const terraform = (dir: string, args: string[]) => {
    const r = spawnSync(found.bin, args, { cwd: dir, env: tfEnv, encoding: "utf8", timeout: 240_000 });
    if (r.status === 0) return;
    // From Terraform's first error on (the plan before it repeats the stack's whole configuration).
    const out = `${r.stdout}\n${r.stderr}`;
    const at = out.indexOf("Error:");
    throw new Error(
      `terraform ${args[0]} in ${dir} against moto failed (exit ${r.status ?? r.signal}):\n${(at >= 0 ? out.slice(at) : out.slice(-1500)).slice(0, 3000)}`,
    );
  };
  const outdir = join(work, "synth");
  const composed = composeApp({ [env.name]: env }, composeEnvironment, outdir);
  composed.app.synth();
  const deploy = async () => {
    for (const stack of [`${env.name}-keys`, `${env.name}-data`]) {
      const synthesized = JSON.parse(readFileSync(join(outdir, "stacks", stack, "cdk.tf.json"), "utf8")) as JsonObject;
      // What `npm run synth` writes, for the teardown's runner to read.
      mkdirSync(join(root, "cdktf.out", "stacks", stack), { recursive: true });
      writeFileSync(join(root, "cdktf.out", "stacks", stack, "cdk.tf.json"), JSON.stringify(synthesized));
      // The deploy, against moto.
      const dir = join(root, "apply", stack);
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, "cdk.tf.json"),
        JSON.stringify(forMoto(synthesized, stack, join(root, "state"), moto.endpoint)),
      );
      terraform(dir, ["init", "-input=false", "-no-color"]);
      log(`${stack}: apply`);
      // Each stack's first apply: its state is empty, there is nothing to refresh.
      terraform(dir, ["apply", "-input=false", "-no-color", "-auto-approve", "-refresh=false"]);
      if (stack.endsWith("-data")) {
        log(`${stack}: objects written to ${TEARDOWN_BUCKET}`);
        await seedObjects(env.region);
      }
    }
  };
  try {
    await deploy();
  } catch (e) {
    // Under load, moto can answer slower than the provider waits; the provider then sends a create or
    // revoke again that moto already carried out (seen: InvalidSubnet.Conflict on CreateSubnet,
    // InvalidPermission.NotFound on a default security group rule). This deploy only sets the stage
    // for the teardown proof (the first apply is the emulator run's proof), so it starts over once,
    // from an empty moto and empty state; a second failure is reported as it is.
    log(`deploy failed, starting over once from an empty moto: ${(e as Error).message.split("\n")[1] ?? ""}`);
    const reset = await fetch(`${moto.endpoint}/moto-api/reset`, { method: "POST" });
    if (!reset.ok) throw e;
    rmSync(join(root, "state"), { recursive: true, force: true });
    mkdirSync(join(root, "state"), { recursive: true });
    await deploy();
  }
  log(`applied (${Math.round((Date.now() - started) / 1000)} s); teardown`);
  const runs = await runTeardownTwice(env, root, found.bin, tfEnv, moto.endpoint, log);
  return {
    root,
    endpoint: moto.endpoint,
    pid: moto.pid,
    region: env.region,
    bin: found.bin,
    mirror: found.mirror,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    runs,
  };
}

/** `teardown --execute --yes --delete-objects --force` of `env`, twice (the second resumes), against moto. */
async function runTeardownTwice(
  env: EnvironmentConfig,
  root: string,
  bin: string,
  tfEnv: NodeJS.ProcessEnv,
  endpoint: string,
  log: (line: string) => void,
): Promise<TeardownFixture["runs"]> {
  const ops = createOpsClients(env.region, process.env, FIXTURE_RETRY);
  const logs = new CloudWatchLogsClient({ region: env.region, ...FIXTURE_RETRY });
  const fsx = new FSxClient({ region: env.region, ...FIXTURE_RETRY });
  const scheduler = new SchedulerClient({ region: env.region, ...FIXTURE_RETRY });
  try {
    await logs.send(new CreateLogGroupCommand({ logGroupName: TEARDOWN_LOG_GROUP }));
    const runner = createTerraformRunner({
      root,
      bin,
      env: tfEnv,
      transform: (c, stack) => forMoto(c, stack, join(root, "state"), endpoint),
    });
    const runs: { outcome: string; exitCode: number; lines: string[]; seconds: number }[] = [];
    for (const n of [1, 2]) {
      const t0 = Date.now();
      const lines: string[] = [];
      const deps = {
        clients: { kms: ops.kms, s3: ops.s3, cloudhsm: ops.cloudhsm, cloudwatch: ops.cloudwatch, logs, fsx, scheduler },
        terraform: runner,
        io: { out: (l: string) => lines.push(l), confirm: async () => false },
        clock: realClock,
        kmsLimiter: new RateLimiter(realClock, CUSTOM_KEY_STORE_RPS, 1000),
      };
      const opts = {
        env: env.name,
        region: env.region,
        execute: true,
        yes: true,
        deleteObjects: true,
        deleteFileSystems: false,
        deleteBackups: false,
        unusedForDays: 30,
        force: true,
        withoutAlarm: false,
        cloudTrailLogGroup: TEARDOWN_LOG_GROUP,
      };
      const r = await runTeardown(opts, deps);
      runs.push({ ...r, lines, seconds: Math.round((Date.now() - t0) / 100) / 10 });
      log(`teardown run ${n}: ${r.outcome} (${runs[runs.length - 1].seconds} s)`);
    }
    return runs;
  } finally {
    destroyOpsClients(ops);
    logs.destroy();
    fsx.destroy();
    scheduler.destroy();
  }
}
