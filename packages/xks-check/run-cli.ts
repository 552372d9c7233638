/** The preflight's command line, as a function (the entry point `cli.ts` only calls it). */
import { Command, CommanderError, Option } from "commander";
import type { EnvironmentConfig } from "../../environments/types";
import { DEFAULTS, runXksCheck } from "./check";
import { ACCESS_KEY_ID_VAR, resolveCredential, SECRET_ACCESS_KEY_VAR, type SecretsClientFactory } from "./credentials";
import { XksInputError, type XksCheckDeps, type XksCheckOptions } from "./model";
import { MIN_TIMEOUT_MS, parseConnectTo, parseEndpoint, parseIntFlag, parseKeyId, parseOperation, parseRegion, parseUriPath, readCaFile, targetFromEnvironment, type TargetSpec } from "./options";
import { formatReport } from "./report";

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
  /** Environments by name, from the shipped ones or a JSON file. @default - `environments/` */
  readonly loadEnvironments?: (file?: string) => Promise<Readonly<Record<string, EnvironmentConfig>>>;
}

interface Flags {
  env?: string;
  environmentFile?: string;
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
const CREDENTIAL_FLAG = /^--?(access-key|secret|xks-access|xks-secret|aws-access|aws-secret|password|credential(?!-secret)|key-id)/i;

function program(io: CliIo): Command {
  return (
    new Command("xks-check")
      .description("Calls the XKS proxy as KMS does (health, key metadata; SigV4, TLS) and reports what KMS would reject.")
      .option("--env <name>", 'environment to check (its xks.privateDnsName, xks.uriPath, region and store "xks" keys)')
      // Not `--env-file`: Node 20 reads that flag itself, even after the script name, and exits 9.
      .option("--environment-file <file>", "JSON environment file (one environment or an array, as for ENV_CONFIG) instead of the shipped ones")
      .option("--endpoint <url>", "proxy URI endpoint, https://<private DNS name> (overrides the environment's)")
      .option("--uri-path <path>", "proxy URI path, /<prefix>/kms/xks/v1 (overrides the environment's)")
      .option("--key <xksKeyId>", "external key id to look up; repeat for more (replaces the environment's keys)", collect, [])
      .option("--region <region>", "Region KMS signs for (overrides the environment's)")
      .option("--credential-secret <arn>", "Secrets Manager secret with {accessKeyId, secretAccessKey} (default: XKS_ACCESS_KEY_ID / XKS_SECRET_ACCESS_KEY)")
      .option("--connect-to <host:port>", "connect here instead of resolving the private DNS name (SNI, Host and certificate still use the name)")
      .option("--ca-file <pem>", "extra trusted CA certificates (PEM); repeatable", collect, [])
      .option("--samples <n>", "health calls timed for the latency figures", String(DEFAULTS.samples))
      .option("--timeout-ms <ms>", "upper bound per call, connection included", String(DEFAULTS.timeoutMs))
      .addOption(new Option("--kms-operation <op>", "kmsOperation sent with GetKeyMetadata").choices(["CreateKey", "DescribeKey"]).default(DEFAULTS.metadataOperation))
      .option("--principal-arn <arn>", 'awsPrincipalArn sent with GetKeyMetadata (default: the environment account\'s root, else "AWS Internal")')
      .option("--json", "print the report as JSON")
      .exitOverride()
      .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
      .showHelpAfterError(false)
  );
}

async function defaultEnvironments(file?: string): Promise<Readonly<Record<string, EnvironmentConfig>>> {
  // Loaded only with --env/--environment-file so explicit flags need no environment code at all.
  const mod = await import("../../environments");
  const { validationMessages } = await import("../../environments/validation");
  // The same entry points as ENV_CONFIG for `npm run synth`: read, then every check at once.
  const envs = file ? mod.selectEnvironments(file) : mod.environments;
  const problems = validationMessages(envs);
  if (problems.length) throw new mod.ConfigError(problems);
  return envs;
}

/** The target from `--env`/`--environment-file` and the explicit flags (flags win). */
async function resolveTarget(f: Flags, deps: CliDeps): Promise<TargetSpec> {
  let base: TargetSpec | undefined;
  if (f.env !== undefined || f.environmentFile !== undefined) {
    let envs: Readonly<Record<string, EnvironmentConfig>>;
    const label = f.environmentFile ? `--environment-file ${f.environmentFile}` : "--env";
    try {
      envs = await (deps.loadEnvironments ?? defaultEnvironments)(f.environmentFile);
    } catch (e) {
      if (e instanceof XksInputError) throw e;
      // A configuration error lists every problem, one line each; anything else is one line.
      const lines = Array.isArray((e as { lines?: unknown }).lines) ? (e as { lines: unknown[] }).lines.map(String) : [(e instanceof Error ? e.message : String(e)).split("\n")[0]];
      throw new XksInputError(lines.map((l) => `${label}: ${l.replace(/^ENV_CONFIG: /, "")}`).join("\nxks-check: "));
    }
    const names = Object.keys(envs);
    const name = f.env ?? (names.length === 1 ? names[0] : undefined);
    if (name === undefined) throw new XksInputError(`--environment-file ${f.environmentFile} holds ${names.length} environments (${names.join(", ")}): pick one with --env`);
    const env = Object.prototype.hasOwnProperty.call(envs, name) ? envs[name] : undefined;
    if (!env) throw new XksInputError(`--env: no environment "${name}" (known: ${names.join(", ") || "none"})`);
    base = targetFromEnvironment(env);
  }
  const privateDnsName = f.endpoint !== undefined ? parseEndpoint(f.endpoint) : base?.privateDnsName;
  const uriPath = f.uriPath !== undefined ? parseUriPath(f.uriPath) : base?.uriPath;
  const region = f.region !== undefined ? parseRegion(f.region) : base?.region;
  const keys = f.key.length > 0 ? f.key.map((k) => ({ xksKeyId: parseKeyId(k) })) : (base?.keys ?? []);
  const missing = [privateDnsName === undefined ? "--endpoint" : undefined, uriPath === undefined ? "--uri-path" : undefined, region === undefined ? "--region" : undefined].filter((x): x is string => x !== undefined);
  if (missing.length > 0 || privateDnsName === undefined || uriPath === undefined || region === undefined) {
    throw new XksInputError(`missing ${missing.join(", ")}: pass --env <name>, or --endpoint https://<private DNS name> --uri-path /<prefix>/kms/xks/v1 --region <region> [--key <id>...]`);
  }
  return { ...base, privateDnsName, uriPath, region, keys };
}

/**
 * Runs the preflight and resolves with its exit code: 0 every check passed (warnings allowed),
 * 1 at least one check failed (each with its fix), 2 bad input (flags, environment, credential).
 * Never throws for a user's mistake, never prints the credential.
 */
export async function runCli(argv: readonly string[], io: CliIo = { out: (l) => console.log(l), err: (l) => console.error(l) }, deps: CliDeps = {}): Promise<number> {
  if (argv.some((a) => a === "--env-file" || a.startsWith("--env-file="))) {
    io.err("xks-check: --env-file is read by Node 20 itself (it exits 9 before this tool runs): use --environment-file <file>");
    return 2;
  }
  const bad = argv.find((a) => CREDENTIAL_FLAG.test(a));
  if (bad !== undefined) {
    io.err(`xks-check: ${bad.split("=")[0]}: credentials are never taken from arguments: set XKS_ACCESS_KEY_ID and XKS_SECRET_ACCESS_KEY in the environment, or pass --credential-secret <secret ARN>`);
    return 2;
  }
  // Commander quotes unknown options whole: cut any `=value` so nothing pasted there is echoed.
  const cmd = program({ out: io.out, err: (l) => io.err(`xks-check: ${l.replace(/^error: /, "").replace(/(--[\w-]+)=[^\s']+/g, "$1=...")}`) });
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
  try {
    const t = await resolveTarget(f, deps);
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
      connectTo: f.connectTo !== undefined ? parseConnectTo(f.connectTo) : undefined,
      extraCaPem: f.caFile.flatMap(readCaFile),
      samples: parseIntFlag(f.samples, "--samples", 1, 1000),
      timeoutMs: parseIntFlag(f.timeoutMs, "--timeout-ms", MIN_TIMEOUT_MS, 60_000),
      metadataOperation: parseOperation(f.kmsOperation),
      principalArn: f.principalArn ?? (t.account ? `arn:aws:iam::${t.account}:root` : DEFAULTS.principalArn),
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
