/**
 * Terraform dependency lock files, one per stack, committed in `terraform-locks/<stack>.terraform.lock.hcl`
 * (https://developer.hashicorp.com/terraform/language/files/dependency-lock).
 *
 * The synthesized requirement allows a range (`>= 6.25.0, < 7.0.0`, modules/core/provider-requirement.ts);
 * the lock file decides which version in it `terraform init` installs, so every plan of a stack
 * uses the provider version that was reviewed, and a later 6.x comes only with
 * `terraform init -upgrade` and a reviewed change of the lock file.
 *
 * Synthesis checks each committed lock against its stack's `required_providers` (refusing a locked
 * version the requirement does not allow: init would fail) and copies it next to `cdk.tf.json`,
 * where `terraform init` reads and updates it. test/stacks/lock-files.test.ts holds the shipped
 * stacks to the strict check (every provider locked, the same constraints, nothing extra).
 * `npm run plan` saves a lock file that init changed back into terraform-locks/ (tools/deploy/cli.ts).
 * docs/toolchain.md says how the committed files were made and why they hold no hashes yet.
 */
import { copyFileSync, existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

/** Where the committed lock files live, relative to the project root. */
export const LOCKS_DIR = "terraform-locks";

/** The committed lock file of `stack` in `locksDir`. */
export const lockFileOf = (locksDir: string, stack: string): string => join(locksDir, `${stack}.terraform.lock.hcl`);

/** One `provider "<address>" { ... }` block of a lock file. */
export interface LockedProvider {
  readonly version: string;
  readonly constraints?: string;
  readonly hashes: readonly string[];
}

/** Full provider source address ("aws" and "hashicorp/aws" mean registry.terraform.io/hashicorp/aws). */
export function providerAddress(source: string): string {
  const parts = source.split("/");
  if (parts.length === 1) return `registry.terraform.io/hashicorp/${parts[0]}`;
  if (parts.length === 2) return `registry.terraform.io/${parts[0]}/${parts[1]}`;
  return source;
}

/**
 * Reads the lock file format Terraform writes: `provider "<address>" {` blocks holding
 * `version = "..."`, optional `constraints = "..."` and `hashes = [ "...", ... ]`, `#` comments.
 * Throws an Error naming the line of anything else.
 */
export function parseLockFile(text: string, name = "lock file"): Map<string, LockedProvider> {
  const out = new Map<string, LockedProvider>();
  const lines = text.split("\n");
  let current: { address: string; version?: string; constraints?: string; hashes: string[] } | undefined;
  let inHashes = false;
  const fail = (i: number, why: string): never => {
    throw new Error(`${name} line ${i + 1}: ${why}: ${JSON.stringify(lines[i].trim().slice(0, 80))}`);
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "" || line.startsWith("#") || line.startsWith("//")) continue;
    if (inHashes) {
      const h = /^"([^"]+)",?$/.exec(line);
      if (h) current!.hashes.push(h[1]);
      else if (line === "]") inHashes = false;
      else fail(i, "expected a quoted hash or ]");
      continue;
    }
    if (!current) {
      const m = /^provider\s+"([^"]+)"\s*\{$/.exec(line);
      if (!m) fail(i, 'expected provider "<address>" {');
      if (out.has(m![1])) fail(i, "a second block for the same provider");
      current = { address: m![1], hashes: [] };
      continue;
    }
    if (line === "}") {
      if (!current.version) fail(i, `provider "${current.address}" has no version`);
      out.set(current.address, {
        version: current.version!,
        ...(current.constraints !== undefined ? { constraints: current.constraints } : {}),
        hashes: current.hashes,
      });
      current = undefined;
      continue;
    }
    const attr = /^(version|constraints)\s*=\s*"([^"]*)"$/.exec(line);
    if (attr) {
      if (attr[1] === "version") current.version = attr[2];
      else current.constraints = attr[2];
    } else if (/^hashes\s*=\s*\[$/.test(line)) inHashes = true;
    else if (/^hashes\s*=\s*\[\]$/.test(line)) continue;
    else fail(i, "expected version, constraints or hashes");
  }
  if (current || inHashes) throw new Error(`${name}: ends inside provider "${current?.address ?? "?"}"`);
  return out;
}

/** The lock file text Terraform would write for `providers` (sorted by address, hashes as given). */
export function lockFileText(providers: ReadonlyMap<string, LockedProvider>): string {
  const blocks = [...providers.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([address, p]) =>
      [
        `provider "${address}" {`,
        `  version     = "${p.version}"`,
        ...(p.constraints !== undefined ? [`  constraints = "${p.constraints}"`] : []),
        ...(p.hashes.length ? ["  hashes = [", ...p.hashes.map((h) => `    "${h}",`), "  ]"] : []),
        "}",
      ].join("\n"),
    );
  return [
    '# This file is maintained automatically by "terraform init".',
    "# Manual edits may be lost in future updates.",
    "",
    blocks.join("\n\n"),
    "",
  ].join("\n");
}

function versionParts(v: string): number[] | undefined {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)] : undefined;
}
function cmp(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/**
 * Whether Terraform's version constraint (`>= 6.25.0, < 7.0.0`, `~> 6.25`, `6.25.0`, `!= 6.30.0`)
 * allows `version` (https://developer.hashicorp.com/terraform/language/expressions/version-constraints).
 * A pre-release version is allowed only by an exact `=` (Terraform's rule); throws on a constraint it cannot read.
 */
export function constraintAllows(constraint: string, version: string): boolean {
  const v = versionParts(version);
  const pre = /-/.test(version);
  if (!v && !pre) throw new Error(`"${version}" is not a version`);
  return constraint.split(",").every((part) => {
    const m = /^\s*(=|!=|>=|<=|>|<|~>)?\s*v?([0-9][0-9A-Za-z.+-]*)\s*$/.exec(part);
    if (!m) throw new Error(`"${constraint}" is not a Terraform version constraint`);
    const op = m[1] ?? "=";
    if (pre || /-/.test(m[2])) return op === "=" && m[2] === version;
    const c = versionParts(m[2]);
    if (!c || !v) throw new Error(`"${constraint}" is not a Terraform version constraint`);
    const d = cmp(v, c);
    switch (op) {
      case "=":
        return d === 0;
      case "!=":
        return d !== 0;
      case ">":
        return d > 0;
      case ">=":
        return d >= 0;
      case "<":
        return d < 0;
      case "<=":
        return d <= 0;
      default: {
        // ~> x.y allows >= x.y, < (x+1).0; ~> x.y.z allows >= x.y.z, < x.(y+1).0; ~> x only >= x.
        const given = m[2].split(".").length;
        if (given === 1) return d >= 0;
        const upper = given >= 3 ? [c[0], c[1] + 1, 0] : [c[0] + 1, 0, 0];
        return d >= 0 && cmp(v, upper) < 0;
      }
    }
  });
}

/** `required_providers` of a synthesized stack: provider address -> version constraint. */
export function requiredProviders(stackJson: unknown): Map<string, string> {
  const out = new Map<string, string>();
  const tf = (stackJson as { terraform?: { required_providers?: Record<string, unknown> } }).terraform;
  for (const [name, req] of Object.entries(tf?.required_providers ?? {})) {
    const r = (typeof req === "object" && req !== null ? req : {}) as { source?: string; version?: string };
    out.set(providerAddress(r.source ?? name), r.version ?? "");
  }
  return out;
}

/** One finding of {@link lockProblems}. */
export interface LockProblem {
  readonly message: string;
  /**
   * `terraform init` would fail on it (an unreadable file, a locked version the requirement does not
   * allow). The others (a provider not locked yet, other recorded constraints, an entry no longer
   * required) init repairs by itself, writing a changed lock file to review and commit.
   */
  readonly blocking: boolean;
}

/**
 * What is wrong with a stack's lock file for its synthesized configuration, each naming the file:
 * empty when `terraform init` would install exactly the locked versions and change nothing.
 */
export function lockProblems(file: string, stackJson: unknown, lockText: string): LockProblem[] {
  let locked: Map<string, LockedProvider>;
  try {
    locked = parseLockFile(lockText, file);
  } catch (e) {
    return [{ message: (e as Error).message, blocking: true }];
  }
  const problems: LockProblem[] = [];
  const required = requiredProviders(stackJson);
  for (const [address, constraint] of required) {
    const l = locked.get(address);
    if (!l) {
      problems.push({
        message: `${file}: no entry for ${address}, which the stack requires (${constraint || "any version"}): terraform init adds one`,
        blocking: false,
      });
      continue;
    }
    let allowed: boolean;
    try {
      allowed = constraint === "" || constraintAllows(constraint, l.version);
    } catch (e) {
      problems.push({ message: `${file}: ${address}: ${(e as Error).message}`, blocking: true });
      continue;
    }
    if (!allowed)
      problems.push({
        message: `${file}: ${address} is locked at ${l.version}, which the stack's requirement "${constraint}" does not allow (terraform init would fail: lock a version it allows, e.g. with terraform init -upgrade, then npm run plan saves it)`,
        blocking: true,
      });
    else if ((l.constraints ?? "") !== constraint)
      problems.push({
        message: `${file}: ${address} records the constraints "${l.constraints ?? ""}", the stack requires "${constraint}": terraform init rewrites them`,
        blocking: false,
      });
  }
  for (const address of locked.keys())
    if (!required.has(address))
      problems.push({
        message: `${file}: locks ${address}, which the stack does not require: terraform init drops it`,
        blocking: false,
      });
  return problems;
}

/**
 * Checks and copies the committed lock file of every stack synthesized under `outdir/stacks`
 * (a stack without one is left to `terraform init`, which creates it). Returns the blocking
 * problems of every stack (see {@link LockProblem}); copies nothing when there is one.
 */
export function installLockFiles(outdir: string, locksDir: string): string[] {
  const stacksDir = join(outdir, "stacks");
  if (!existsSync(stacksDir)) return [];
  const copies: [string, string][] = [];
  const problems: string[] = [];
  for (const stack of readdirSync(stacksDir).sort()) {
    const lock = lockFileOf(locksDir, stack);
    const config = join(stacksDir, stack, "cdk.tf.json");
    if (!existsSync(lock) || !existsSync(config)) continue;
    const blocking = lockProblems(
      `${LOCKS_DIR}/${stack}.terraform.lock.hcl`,
      JSON.parse(readFileSync(config, "utf8")),
      readFileSync(lock, "utf8"),
    ).filter((p) => p.blocking);
    problems.push(...blocking.map((p) => p.message));
    if (!blocking.length) copies.push([lock, join(stacksDir, stack, ".terraform.lock.hcl")]);
  }
  if (!problems.length) for (const [from, to] of copies) copyFileSync(from, to);
  return problems;
}

/**
 * The lock directory synthesis uses: `CMK_TERRAFORM_LOCKS` (a directory, or `none` for no lock
 * files, as the CDK Terrain comparison does), else `terraform-locks` in the working directory.
 */
export function locksDirFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const v = env.CMK_TERRAFORM_LOCKS;
  if (v === "none") return undefined;
  return v || join(process.cwd(), LOCKS_DIR);
}
