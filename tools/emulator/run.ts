/**
 * The emulator run: synthesizes an environment, applies its stacks with the real Terraform and the
 * mirrored provider against moto (tools/emulator/moto.ts), then plans each again, which must show
 * no changes (`-detailed-exitcode` 0). moto is left running for the checks that follow (status,
 * doctor: test/ops/emulator.test.ts); whoever started the run stops it by the pid in the results.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { EnvironmentConfig } from "../../environments/types";
import { composeApp, composeEnvironment } from "../../stacks/compose";
import { firstError, init, prepareScratch, terraform, type TerraformRun } from "../terraform/offline";
import { startMoto, type Moto } from "./moto";

/**
 * Provider `endpoints` keys pointed at moto: every service a shipped stack uses
 * (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/guides/custom-service-endpoints).
 */
export const EMULATED_ENDPOINTS = [
  "cloudhsmv2",
  "cloudwatch",
  "ec2",
  "elbv2",
  "fsx",
  "iam",
  "kms",
  "lambda",
  "logs",
  "route53",
  "s3",
  "secretsmanager",
  "sns",
  "ssm",
  "sts",
] as const;

/** The override file (`zz_moto_override.tf.json`): endpoints at moto, moto's dummy credentials, the account check kept. */
export function motoOverride(moto: Pick<Moto, "endpoint" | "env">, account: string): object {
  return {
    provider: {
      aws: [
        {
          access_key: moto.env.AWS_ACCESS_KEY_ID,
          secret_key: moto.env.AWS_SECRET_ACCESS_KEY,
          // The provider asks moto's STS for the account and refuses any other than the environment's.
          skip_credentials_validation: false,
          skip_requesting_account_id: false,
          allowed_account_ids: [account],
          skip_metadata_api_check: true,
          skip_region_validation: true,
          s3_use_path_style: true,
          max_retries: 2,
          endpoints: [Object.fromEntries(EMULATED_ENDPOINTS.map((s) => [s, moto.endpoint]))],
        },
      ],
    },
  };
}

/**
 * Resource types moto (5.2) cannot emulate, left out of the emulator's copy of a stack (never
 * faked), with the cause; docs/emulator.md lists them with the rest of what moto lacks.
 */
export const MOTO_UNSUPPORTED: Readonly<Record<string, string>> = {
  aws_ebs_default_kms_key:
    "moto does not implement EC2 GetEbsDefaultKmsKeyId (it answers HTTP 500), which the provider reads after every ModifyEbsDefaultKmsKeyId",
};

/**
 * Attributes moto (5.2) does not keep, left out of the resources that set them (`<type>.<attribute>`),
 * with the cause: the provider reads back nothing, so every later plan would show a change.
 */
export const MOTO_UNSUPPORTED_ATTRIBUTES: Readonly<Record<string, string>> = {
  "aws_kms_key.rotation_period_in_days":
    "moto ignores EnableKeyRotation's RotationPeriodInDays and GetKeyRotationStatus returns none, so the provider reads back no period",
};

/**
 * Removes the MOTO_UNSUPPORTED resources (and `depends_on` entries naming them) and the
 * MOTO_UNSUPPORTED_ATTRIBUTES; returns what was left out (an attribute as `<address>.<attribute>`).
 */
export function withoutUnsupported(stackJson: Record<string, unknown>): {
  json: Record<string, unknown>;
  left: { address: string; cause: string }[];
} {
  const json = structuredClone(stackJson);
  const resources = (json.resource ?? {}) as Record<string, Record<string, unknown>>;
  const left: { address: string; cause: string }[] = [];
  for (const [type, cause] of Object.entries(MOTO_UNSUPPORTED)) {
    for (const name of Object.keys(resources[type] ?? {})) left.push({ address: `${type}.${name}`, cause });
    delete resources[type];
  }
  for (const [typeAttribute, cause] of Object.entries(MOTO_UNSUPPORTED_ATTRIBUTES)) {
    const [type, attribute] = typeAttribute.split(".");
    for (const [name, block] of Object.entries(resources[type] ?? {}) as [string, Record<string, unknown>][]) {
      if (!(attribute in block)) continue;
      delete block[attribute];
      left.push({ address: `${type}.${name}.${attribute}`, cause });
    }
  }
  const gone = new Set(left.map((l) => l.address));
  for (const byName of Object.values(resources)) {
    for (const block of Object.values(byName) as { depends_on?: string[] }[]) {
      if (Array.isArray(block.depends_on)) block.depends_on = block.depends_on.filter((d) => !gone.has(d));
    }
  }
  return { json, left };
}

export interface EmulatedStackResult {
  readonly stack: string;
  readonly dir: string;
  readonly applied: boolean;
  /** `terraform plan -detailed-exitcode` after the apply: 0 no changes, 2 changes, 1 error. */
  readonly secondPlanExit?: number;
  /** The second plan's summary line, or the first error. */
  readonly summary: string;
  readonly seconds: number;
  /** Resources left out because moto cannot emulate them (MOTO_UNSUPPORTED). */
  readonly leftOut: readonly { readonly address: string; readonly cause: string }[];
}

export interface EmulatorResults {
  readonly environment: string;
  readonly account: string;
  readonly region: string;
  readonly endpoint: string;
  readonly pid: number;
  readonly stacks: readonly EmulatedStackResult[];
  readonly seconds: number;
}

const summaryOf = (r: TerraformRun) =>
  r.stdout
    .split("\n")
    .map((l) => l.trim())
    .find((l) => /^Plan: \d+ to add/.test(l) || l.startsWith("No changes.")) ?? `exit ${r.code}`;

/**
 * Go's collector for the runs against moto, unless GOGC is set: 400, not terraformEnv's "off" for
 * short offline runs. An apply talks to moto for a minute and, never collecting, grew to 2.2 GB
 * (system time spent faulting pages in); at 400 it peaked at 0.5 GB, and the whole run took 28 s of CPU instead of 36 s.
 */
const gc = { GOGC: process.env.GOGC ?? "400" };

/**
 * Applies `env`'s stacks (keys, then data with the keys stack's real outputs as its remote state)
 * against a moto it starts, in `work`. `onMoto` is called as soon as moto runs (to record its pid).
 */
export async function runEmulator(
  env: EnvironmentConfig,
  work: string,
  opts: { onMoto?: (m: Moto) => void; log?: (line: string) => void } = {},
): Promise<EmulatorResults> {
  const started = Date.now();
  const log = opts.log ?? (() => undefined);
  const moto = await startMoto({ region: env.region, accountId: env.account, logFile: join(work, "moto.log") });
  opts.onMoto?.(moto);
  log(`moto on ${moto.endpoint} (pid ${moto.pid}, account ${env.account})`);
  const outdir = mkdtempSync(join(work, "synth-"));
  const composed = composeApp({ [env.name]: env }, composeEnvironment, outdir);
  composed.app.synth();
  const results: EmulatedStackResult[] = [];
  const remoteStates: Record<string, Record<string, unknown>> = {};
  for (const s of composed.stacks) {
    const stack = s.node.id;
    const t0 = Date.now();
    const dir = join(work, stack);
    const { json, left } = withoutUnsupported(
      JSON.parse(readFileSync(join(outdir, "stacks", stack, "cdk.tf.json"), "utf8")) as Record<string, unknown>,
    );
    prepareScratch(json, dir, { remoteStates, deferDataReads: false });
    writeFileSync(join(dir, "zz_moto_override.tf.json"), JSON.stringify(motoOverride(moto, env.account), null, 2));
    const seconds = () => Math.round((Date.now() - t0) / 100) / 10;
    try {
      await init(dir);
      log(`${stack}: apply`);
      const apply = await terraform(dir, ["apply", "-auto-approve", "-input=false", "-no-color", "-lock=false"], {
        timeoutMs: 300_000,
        env: gc,
      });
      if (apply.code !== 0) {
        results.push({ stack, dir, applied: false, summary: firstError(apply), seconds: seconds(), leftOut: left });
        continue;
      }
      const again = await terraform(dir, ["plan", "-detailed-exitcode", "-input=false", "-no-color", "-lock=false"], {
        timeoutMs: 300_000,
        env: gc,
      });
      // The outputs from the local state file the apply wrote (no backend in the scratch copy), not
      // from a `terraform output -json` run: the same values, one Terraform start less per stack.
      const state = JSON.parse(readFileSync(join(dir, "terraform.tfstate"), "utf8")) as {
        outputs?: Record<string, { value: unknown }>;
      };
      remoteStates[stack] = Object.fromEntries(Object.entries(state.outputs ?? {}).map(([k, v]) => [k, v.value]));
      results.push({
        stack,
        dir,
        applied: true,
        secondPlanExit: again.code,
        summary: again.code === 1 ? firstError(again) : summaryOf(again),
        seconds: seconds(),
        leftOut: left,
      });
      log(`${stack}: applied, second plan exit ${again.code} (${seconds()} s)`);
    } catch (e) {
      results.push({
        stack,
        dir,
        applied: false,
        summary: (e as Error).message.split("\n")[0],
        seconds: seconds(),
        leftOut: left,
      });
    }
  }
  return {
    environment: env.name,
    account: env.account,
    region: env.region,
    endpoint: moto.endpoint,
    pid: moto.pid,
    stacks: results,
    seconds: Math.round((Date.now() - started) / 100) / 10,
  };
}
