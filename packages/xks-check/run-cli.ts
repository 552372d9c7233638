/** The preflight's command line, as a function (the entry point `cli.ts` only calls it). */
import { Command, CommanderError, Option } from "commander";
import { DEFAULTS, runXksCheck } from "./check";
import { ACCESS_KEY_ID_VAR, resolveCredential, SECRET_ACCESS_KEY_VAR, type SecretsClientFactory } from "./credentials";
import { XksInputError, type MetadataOperation, type XksCheckDeps, type XksCheckOptions } from "./model";
import {
  MIN_TIMEOUT_MS,
  parseConnectTo,
  parseEndpoint,
  parseIntFlag,
  parseKeyId,
  parseOperation,
  parseRegion,
  parseUriPath,
  readCaFile,
} from "./options";
import { formatReport } from "./report";
import { parseTarget, readTargetFile, targetJson, type TargetSpec } from "./target";

/** Where the command line writes. */
export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** Process state and clients the command line uses (injectable for tests). */
export interface CliDeps extends XksCheckDeps {
  /** @default process.env (only XKS_ACCESS_KEY_ID and XKS_SECRET_ACCESS_KEY are read) */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** @default - real Secrets Manager clients */
  readonly secretsClient?: SecretsClientFactory;
  /**
   * A project's environments: adds `--env` and `--environment-file` to the command (the cmk-stacks
   * repository's `npm run xks:check` passes its own). @default - none: the target comes from
   * `--target` or the flags
   */
  readonly environments?: EnvironmentTargets;
}

/**
 * How a project hands the preflight one of its environments: as a target (the JSON of a target
 * file, `target.ts`), which the preflight validates itself. The preflight never reads a project's
 * configuration, so its package carries none of it.
 */
export interface EnvironmentTargets {
  /**
   * The target of environment `name` (`--env`), read from `file` when given
   * (`--environment-file`). Rejects with an XksInputError (one problem a line) when the
   * environment cannot be read, is invalid, or names no XKS key store.
   */
  readonly load: (name: string | undefined, file: string | undefined) => Promise<EnvironmentTarget>;
}

/** One environment's target, with the names its fields have in the project (for messages). */
export interface EnvironmentTarget {
  /** An {@link XksTarget}, as JSON: validated like a target file. */
  readonly target: unknown;
  /** Starts each message about the target, e.g. `environments.staging`. */
  readonly label: string;
  /** Target field path -> the project's name for it, e.g. `uriPath` -> `environments.staging.xks.uriPath`. @default {} */
  readonly fields?: Readonly<Record<string, string>>;
}

interface Flags {
  env?: string;
  environmentFile?: string;
  target?: string;
  printTarget?: boolean;
  endpoint?: string;
  uriPath?: string;
  key: string[];
  region?: string;
  credentialSecret?: string;
  connectTo?: string;
  caFile: string[];
  samples: string;
  timeoutMs: string;
  kmsOperation: string;
  principalArn?: string;
  json?: boolean;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

// Flags that look like a credential: refused before commander sees them, so their value is never echoed.
const CREDENTIAL_FLAG =
  /^--?(access-key|secret|xks-access|xks-secret|aws-access|aws-secret|password|credential(?!-secret)|key-id)/i;

function program(io: CliIo, withEnvironments: boolean): Command {
  const cmd = new Command("xks-check").description(
    "Calls the XKS proxy as KMS does (health, key metadata; SigV4, TLS) and reports what KMS would reject.",
  );
  if (withEnvironments) {
    cmd
      .option("--env <name>", 'environment to check (its xks.privateDnsName, xks.uriPath, region and store "xks" keys)')
      // Not `--env-file`: Node 20 reads that flag itself, even after the script name, and exits 9.
      .option(
        "--environment-file <file>",
        "JSON environment file (one environment or an array, as for ENV_CONFIG) instead of the shipped ones",
      );
  }
  const from = withEnvironments ? "the environment's or target file's" : "the target file's";
  return cmd
    .option(
      "--target <file>",
      "JSON target file: endpoint, uriPath, region, keys, credentialSecret, principalArn (README); - reads standard input",
    )
    .option("--endpoint <url>", `proxy URI endpoint, https://<private DNS name> (overrides ${from})`)
    .option("--uri-path <path>", `proxy URI path, /<prefix>/kms/xks/v1 (overrides ${from})`)
    .option("--key <xksKeyId>", `external key id to look up; repeat for more (replaces ${from} keys)`, collect, [])
    .option("--region <region>", `Region KMS signs for (overrides ${from})`)
    .option(
      "--credential-secret <arn>",
      "Secrets Manager secret with {accessKeyId, secretAccessKey} (default: XKS_ACCESS_KEY_ID / XKS_SECRET_ACCESS_KEY)",
    )
    .option(
      "--connect-to <host:port>",
      "connect here instead of resolving the private DNS name (SNI, Host and certificate still use the name)",
    )
    .option("--ca-file <pem>", "extra trusted CA certificates (PEM); repeatable", collect, [])
    .option("--samples <n>", "health calls timed for the latency figures", String(DEFAULTS.samples))
    .option("--timeout-ms <ms>", "upper bound per call, connection included", String(DEFAULTS.timeoutMs))
    .addOption(
      new Option("--kms-operation <op>", "kmsOperation sent with GetKeyMetadata")
        .choices(["CreateKey", "DescribeKey"])
        .default(DEFAULTS.metadataOperation),
    )
    .option(
      "--principal-arn <arn>",
      "awsPrincipalArn sent with GetKeyMetadata (default: the target's principalArn, for an environment its account's root; else \"AWS Internal\")",
    )
    .option("--json", "print the report as JSON")
    .option("--print-target", "print the target as JSON (a --target file) instead of checking it; needs no credential")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .showHelpAfterError(false);
}

/** Runs `parse`, noting its input error in `problems` instead of stopping (every problem at once). */
function noting<T>(problems: string[], parse: () => T): T | undefined {
  try {
    return parse();
  } catch (e) {
    if (!(e instanceof XksInputError)) throw e;
    problems.push(e.message);
    return undefined;
  }
}

/** The target from `--target`, `--env`/`--environment-file` and the explicit flags (flags win). */
async function resolveTarget(f: Flags, deps: CliDeps, problems: string[] = []): Promise<TargetSpec | undefined> {
  let base: TargetSpec | undefined;
  const fromEnvironment = f.env !== undefined || f.environmentFile !== undefined;
  if (f.target !== undefined && fromEnvironment)
    throw new XksInputError(
      `--target and ${f.env !== undefined ? "--env" : "--environment-file"} both name the target: pass one of them`,
    );
  if (f.target !== undefined) base = readTargetFile(f.target);
  else if (fromEnvironment && deps.environments) {
    const t = await deps.environments.load(f.env, f.environmentFile);
    base = parseTarget(t.target, t.label, t.fields);
  }
  const before = problems.length;
  const privateDnsName =
    f.endpoint !== undefined ? noting(problems, () => parseEndpoint(f.endpoint as string)) : base?.privateDnsName;
  const uriPath = f.uriPath !== undefined ? noting(problems, () => parseUriPath(f.uriPath as string)) : base?.uriPath;
  const region = f.region !== undefined ? noting(problems, () => parseRegion(f.region as string)) : base?.region;
  const keys =
    f.key.length > 0
      ? f.key.map((k) => ({ xksKeyId: noting(problems, () => parseKeyId(k)) ?? k }))
      : (base?.keys ?? []);
  // A flag given with a wrong value is reported as such above, not also as missing.
  const missing = [
    f.endpoint === undefined && privateDnsName === undefined ? "--endpoint" : undefined,
    f.uriPath === undefined && uriPath === undefined ? "--uri-path" : undefined,
    f.region === undefined && region === undefined ? "--region" : undefined,
  ].filter((x): x is string => x !== undefined);
  if (problems.length > before && missing.length === 0) return undefined;
  if (missing.length > 0 || privateDnsName === undefined || uriPath === undefined || region === undefined) {
    const whole = deps.environments ? "--env <name>" : "--target <file>";
    throw new XksInputError(
      `missing ${missing.join(", ")}: pass ${whole}, or --endpoint https://<private DNS name> --uri-path /<prefix>/kms/xks/v1 --region <region> [--key <id>...]`,
    );
  }
  const principalArn = f.principalArn ?? base?.principalArn;
  return { ...base, privateDnsName, uriPath, region, keys, ...(principalArn !== undefined ? { principalArn } : {}) };
}

/**
 * Runs the preflight and resolves with its exit code: 0 every check passed (warnings allowed),
 * 1 at least one check failed (each with its fix), 2 bad input (flags, environment, credential).
 * Never throws for a user's mistake, never prints the credential.
 */
export async function runCli(
  argv: readonly string[],
  io: CliIo = { out: (l) => console.log(l), err: (l) => console.error(l) },
  deps: CliDeps = {},
): Promise<number> {
  if (argv.some((a) => a === "--env-file" || a.startsWith("--env-file="))) {
    io.err(
      "xks-check: --env-file is read by Node 20 itself (it exits 9 before this tool runs): use --environment-file <file>",
    );
    return 2;
  }
  const bad = argv.find((a) => CREDENTIAL_FLAG.test(a));
  if (bad !== undefined) {
    io.err(
      `xks-check: ${bad.split("=")[0]}: credentials are never taken from arguments: set XKS_ACCESS_KEY_ID and XKS_SECRET_ACCESS_KEY in the environment, or pass --credential-secret <secret ARN>`,
    );
    return 2;
  }
  const envFlag = deps.environments ? undefined : argv.find((a) => /^--env(ironment-file)?(=|$)/.test(a));
  if (envFlag !== undefined) {
    io.err(
      `xks-check: ${envFlag.split("=")[0]}: this command reads no project environments: pass --target <file> (in the cmk-stacks repository, \`npm run -s xks:check -- --env <name> --print-target\` prints it), or --endpoint, --uri-path, --region and --key`,
    );
    return 2;
  }
  // Commander quotes unknown options whole: cut any `=value` so nothing pasted there is echoed.
  const cmd = program(
    {
      out: io.out,
      err: (l) => io.err(`xks-check: ${l.replace(/^error: /, "").replace(/(--[\w-]+)=[^\s']+/g, "$1=...")}`),
    },
    deps.environments !== undefined,
  );
  try {
    cmd.parse([...argv], { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
  if (cmd.args.length > 0) {
    io.err(`xks-check: unexpected argument(s): this command takes flags only (see --help)`);
    return 2;
  }
  const f = cmd.opts<Flags>();
  let options: XksCheckOptions;
  // Every flag problem at once, before anything is read from AWS (the --credential-secret).
  const problems: string[] = [];
  const flagged = {
    connectTo: f.connectTo !== undefined ? noting(problems, () => parseConnectTo(f.connectTo as string)) : undefined,
    extraCaPem: f.caFile.flatMap((file) => noting(problems, () => readCaFile(file)) ?? []),
    samples: noting(problems, () => parseIntFlag(f.samples, "--samples", 1, 1000)),
    timeoutMs: noting(problems, () => parseIntFlag(f.timeoutMs, "--timeout-ms", MIN_TIMEOUT_MS, 60_000)),
    metadataOperation: noting(problems, () => parseOperation(f.kmsOperation)),
  };
  try {
    const t = await resolveTarget(f, deps, problems).catch((e: unknown) => {
      if (!(e instanceof XksInputError)) throw e;
      problems.unshift(e.message);
      return undefined;
    });
    if (problems.length > 0 || t === undefined) {
      for (const p of problems) io.err(`xks-check: ${p}`);
      return 2;
    }
    if (f.printTarget) {
      io.out(
        JSON.stringify(
          targetJson(f.credentialSecret !== undefined ? { ...t, secretArn: f.credentialSecret } : t),
          null,
          2,
        ),
      );
      return 0;
    }
    const env = deps.env ?? process.env;
    // The environment's secret is only a default: variables set by hand (say, a credential being
    // rotated in) take precedence over it; an explicit --credential-secret with them is ambiguous.
    const varsSet = env[ACCESS_KEY_ID_VAR] !== undefined || env[SECRET_ACCESS_KEY_VAR] !== undefined;
    const credential = await resolveCredential({
      env,
      secretArn: f.credentialSecret ?? (varsSet ? undefined : t.secretArn),
      secretLabel: f.credentialSecret !== undefined ? "--credential-secret" : t.secretLabel,
      secretsClient: deps.secretsClient,
    });
    options = {
      privateDnsName: t.privateDnsName,
      uriPath: t.uriPath,
      region: t.region,
      keys: t.keys,
      credential,
      connectTo: flagged.connectTo,
      extraCaPem: flagged.extraCaPem,
      samples: flagged.samples as number,
      timeoutMs: flagged.timeoutMs as number,
      metadataOperation: flagged.metadataOperation as MetadataOperation,
      principalArn: t.principalArn ?? DEFAULTS.principalArn,
    };
  } catch (e) {
    if (e instanceof XksInputError) {
      io.err(`xks-check: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const report = await runXksCheck(options, deps);
  if (f.json) io.out(JSON.stringify(report, null, 2));
  else for (const line of formatReport(report)) io.out(line);
  return report.exitCode;
}

/**
 * The command for `process.argv`: runs it and sets the exit code (the entry points, this
 * package's `cli.ts` and the repository's `tools/xks-check/cli.ts` with its environments).
 */
export function runMain(deps: CliDeps = {}): void {
  // On Node 20 the AWS SDK prints a 7-line NodeVersionSupportWarning at its first client (the
  // Secrets Manager read of --credential-secret); the tool's output is its own lines only.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  runCli(process.argv.slice(2), undefined, deps).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      // A bug, not a proxy problem: one line, exit 2, and only the message (never request headers).
      console.error(`xks-check: internal error: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 2;
    },
  );
}
