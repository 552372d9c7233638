/**
 * Locates the Terraform CLI and a local provider mirror, so tests and tools can run real
 * Terraform without the registry. Nothing here touches the network.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";

/** Terraform and a mirror were found. `providers` maps a provider source to its mirrored version. */
export interface TerraformFound {
  ok: true;
  /** Absolute path of the terraform binary. */
  bin: string;
  /** `terraform version` (e.g. "1.11.4"). */
  version: string;
  /** Directory of the filesystem mirror (`<host>/<namespace>/<type>/...` below it). */
  mirror: string;
  /** e.g. `{ "registry.terraform.io/hashicorp/aws": "5.100.0" }` (highest mirrored version per source). */
  providers: Record<string, string>;
}

/** Why offline Terraform cannot run here. */
export interface TerraformMissing {
  ok: false;
  reason: string;
}

/** Result of {@link findTerraform}. */
export type FindTerraformResult = TerraformFound | TerraformMissing;

/** Environment variables that steer the search (defaults to `process.env`). */
export type SearchEnv = Record<string, string | undefined>;

const cache = new Map<string, FindTerraformResult>();

/** Terraform's name for this machine's platform, as used in mirror directory names. */
export function platformName(): string {
  const os = process.platform === "win32" ? "windows" : process.platform;
  const arch =
    ({ x64: "amd64", ia32: "386", arm64: "arm64", arm: "arm" } as Record<string, string>)[process.arch] ?? process.arch;
  return `${os}_${arch}`;
}

function findBinary(env: SearchEnv): string | undefined {
  const exe = process.platform === "win32" ? "terraform.exe" : "terraform";
  const candidates = [
    env.TERRAFORM_BIN,
    ...(env.PATH ?? "")
      .split(delimiter)
      .filter(Boolean)
      .map((d) => join(d, exe)),
    "/usr/local/bin/terraform",
  ];
  return candidates.find((c): c is string => !!c && existsSync(c) && statSync(c).isFile());
}

function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() || d.isSymbolicLink())
      .map((d) => d.name);
  } catch {
    return [];
  }
}

/** Numeric-aware version comparison ("5.100.0" > "5.99.1"). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/);
  const pb = b.split(/[.-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? "";
    const y = pb[i] ?? "";
    const nx = Number(x);
    const ny = Number(y);
    const c = Number.isNaN(nx) || Number.isNaN(ny) ? x.localeCompare(y) : nx - ny;
    if (c !== 0) return c;
  }
  return 0;
}

/**
 * Reads both mirror layouts Terraform accepts: unpacked
 * (`host/ns/type/<version>/<os_arch>/terraform-provider-*`) and packed
 * (`host/ns/type/terraform-provider-<type>_<version>_<os_arch>.zip`). Only builds for this
 * platform count: another platform's binary would make `init` fail.
 */
export function scanMirror(mirror: string, platform = platformName()): Record<string, string> {
  const found: Record<string, string> = {};
  for (const host of subdirs(mirror)) {
    for (const ns of subdirs(join(mirror, host))) {
      for (const type of subdirs(join(mirror, host, ns))) {
        const base = join(mirror, host, ns, type);
        const versions = subdirs(base).filter((v) => existsSync(join(base, v, platform)));
        const packed = new RegExp(`^terraform-provider-${type}_(.+)_${platform}\\.zip$`);
        for (const f of readdirSync(base)) {
          const m = packed.exec(f);
          if (m) versions.push(m[1]);
        }
        if (versions.length > 0) found[`${host}/${ns}/${type}`] = versions.sort(compareVersions)[versions.length - 1];
      }
    }
  }
  return found;
}

/** Mirror directories to try, in order: `TF_PLUGIN_MIRROR`, `/opt/tf-plugins`, the user's plugin dirs. */
export function mirrorCandidates(env: SearchEnv = process.env): string[] {
  const home = env.HOME ?? homedir();
  return [
    env.TF_PLUGIN_MIRROR,
    "/opt/tf-plugins",
    join(home, ".terraform.d", "plugins"),
    join(home, ".local", "share", "terraform", "plugins"),
  ].filter((d): d is string => !!d);
}

/**
 * Finds the Terraform CLI and a filesystem mirror holding hashicorp/aws for this platform.
 * Never throws: returns `{ ok: false, reason }` (one line) when either is missing, so callers can
 * skip with the reason. The result is cached per process.
 */
export function findTerraform(env: SearchEnv = process.env): FindTerraformResult {
  const key = [env.TERRAFORM_BIN, env.PATH, env.TF_PLUGIN_MIRROR, env.HOME].join("\0");
  const hit = cache.get(key);
  if (hit) return hit;
  const result = search(env);
  cache.set(key, result);
  return result;
}

function search(env: SearchEnv): FindTerraformResult {
  const bin = findBinary(env);
  if (!bin) return { ok: false, reason: "no terraform binary (looked at TERRAFORM_BIN, PATH, /usr/local/bin)" };
  // An unreadable CLI config file only warns, but point it at nothing to keep the output clean.
  const run = spawnSync(bin, ["version", "-json"], {
    encoding: "utf8",
    timeout: 15000,
    env: { ...env, CHECKPOINT_DISABLE: "1", TF_CLI_CONFIG_FILE: "" },
  });
  let version: string | undefined;
  try {
    version = (JSON.parse(run.stdout) as { terraform_version?: string }).terraform_version;
  } catch {
    version = undefined;
  }
  if (!version) return { ok: false, reason: `${bin} did not answer \`terraform version -json\`` };
  const platform = platformName();
  for (const mirror of mirrorCandidates(env)) {
    if (!existsSync(mirror)) continue;
    const providers = scanMirror(mirror, platform);
    if (providers["registry.terraform.io/hashicorp/aws"]) return { ok: true, bin, version, mirror, providers };
  }
  return {
    ok: false,
    reason: `no provider mirror with hashicorp/aws for ${platform} (looked at ${mirrorCandidates(env).join(", ")})`,
  };
}
