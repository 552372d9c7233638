/**
 * `npm run state-bucket -- <env> [--apply]`: creates or checks the S3 state bucket and KMS key of an
 * environment with an `s3` backend (tools/state-bucket/setup.ts, docs/state-backend.md). A dry run
 * by default: it describes, and says what it would change; `--apply` changes it.
 */
import { KMSClient } from "@aws-sdk/client-kms";
import { S3Client } from "@aws-sdk/client-s3";
import { Command, CommanderError } from "commander";
import { selectEnvironments } from "../../environments";
import { isUserError } from "../../environments/errors";
import { validationMessages } from "../../environments/validation";
import { ensureStateBucket, StateBucketError, type StateBucketClients } from "./setup";

export interface StateBucketIo {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** AWS clients for the bucket's and the key's Regions. */
  readonly clients?: (bucketRegion: string, keyRegion: string) => StateBucketClients;
}

class Refusal extends Error {}

/** Clients from the usual credential chain; AWS_ENDPOINT_URL (an emulator) also turns on path-style S3 addressing. */
function defaultClients(env: NodeJS.ProcessEnv): (bucketRegion: string, keyRegion: string) => StateBucketClients {
  const emulated = Boolean(env.AWS_ENDPOINT_URL || env.AWS_ENDPOINT_URL_S3);
  return (bucketRegion, keyRegion) => ({
    s3: new S3Client({ region: bucketRegion, forcePathStyle: emulated }),
    kms: new KMSClient({ region: keyRegion }),
  });
}

const PAD = 13;

async function run(io: StateBucketIo, name: string, apply: boolean): Promise<number> {
  const envs = selectEnvironments(io.env.ENV_CONFIG);
  const env = Object.prototype.hasOwnProperty.call(envs, name) ? envs[name] : undefined;
  if (!env) throw new Refusal(`no environment "${name}" (environments: ${Object.keys(envs).join(", ")})`);
  const problems = validationMessages({ [name]: env });
  if (problems.length) {
    for (const l of problems) io.err(l);
    throw new Refusal(`${name} does not validate (above): fix it first`);
  }
  const b = env.backend;
  if (!b || b.type === "local")
    throw new Refusal(
      `environments.${name}.backend is local: its state files stay on this disk, there is no bucket to make (CI refuses local state)`,
    );
  if (b.type === "cloud")
    throw new Refusal(
      `environments.${name}.backend is Terraform Cloud (${b.organization}): TFC keeps and encrypts the state, there is no bucket to make`,
    );
  const region = b.region ?? env.region;
  const keyRegion = b.kmsKeyId.split(":")[3];
  const clients = (io.clients ?? defaultClients(io.env))(region, keyRegion);
  io.out(`${apply ? "" : "dry run: "}state bucket of ${name}: s3://${b.bucket} (${region}), key ${b.kmsKeyId}`);
  const steps = await ensureStateBucket(
    { bucket: b.bucket, region, kmsKeyId: b.kmsKeyId, tags: { ManagedBy: "cmk-stacks", Environment: name } },
    clients,
    { apply },
  );
  for (const s of steps) io.out(`${s.status.padEnd(PAD)}${s.what}: ${s.detail}`);
  const pending = steps.filter((s) => s.status === "would change").length;
  const changed = steps.filter((s) => s.status === "changed").length;
  if (!apply)
    io.out(
      pending
        ? `dry run: ${pending} would change; run again with --apply to make ${pending === 1 ? "it" : "them"}`
        : "dry run: everything is as it must be",
    );
  else io.out(changed ? `done: ${changed} changed` : "done: everything was already as it must be");
  return 0;
}

/** Resolves with the exit code: 0 done (or dry run), 1 refused or failed, 2 usage. */
export async function runStateBucket(argv: readonly string[], io: StateBucketIo): Promise<number> {
  let code = 0;
  const p = new Command("state-bucket")
    .description("create or check the S3 state bucket and KMS key of an environment (dry run unless --apply)")
    .argument("<env>", "a registered environment (or one from ENV_CONFIG) with an s3 backend")
    .option("--apply", "make the changes (default: only say what would change)")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .action(async (name: string, o: { apply?: boolean }) => {
      code = await run(io, name, Boolean(o.apply));
    });
  try {
    await p.parseAsync([...argv], { from: "user" });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (isUserError(e)) io.err(e.lines.join("\n"));
    else if (e instanceof Refusal || e instanceof StateBucketError) io.err(`state-bucket: ${e.message}`);
    else io.err(`state-bucket: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    return 1;
  }
}

if (require.main === module) {
  void runStateBucket(process.argv.slice(2), {
    out: (s) => process.stdout.write(`${s}\n`),
    err: (s) => process.stderr.write(`${s}\n`),
    env: process.env,
  }).then((c) => {
    process.exitCode = c;
  });
}
