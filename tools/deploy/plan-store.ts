/**
 * Where `npm run plan` keeps the one reviewed plan of a stack until `npm run apply` applies it:
 * `.plans/<stack>/` at the project root (gitignored), mode 0700, files 0600. A saved plan file holds
 * sensitive values in cleartext (the kmsuser password, the XKS credential), like the JSON
 * `terraform show -json` makes of it (https://developer.hashicorp.com/terraform/cli/commands/show):
 * the JSON is deleted as soon as the guard has read it, the plan file when it is applied, refused
 * or replaced. The record beside it (`plan.meta.json`) holds no secret: the plan digest, the hash
 * of the synthesized stack that was planned, when, and the guard's verdict.
 */
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";

/** A plan older than this is refused: see docs/laptop-deploys.md ("How old a plan may be"). */
export const MAX_PLAN_AGE_MINUTES = 60;

export const META_FORMAT = "cmk-laptop-plan/1";

/** What `npm run plan` recorded about the plan it saved. */
export interface PlanMeta {
  readonly format: typeof META_FORMAT;
  readonly stack: string;
  /** ISO time the plan was made. */
  readonly createdAt: string;
  /** `planDigest` of the plan (packages/plan-guard/digest.ts). */
  readonly digest: string;
  /** {@link stackHash} of the synthesized stack directory that was planned. */
  readonly stackHash: string;
  /** The plan guard's exit code: 0 nothing blocked, 1 blocked, 2 unreadable input. */
  readonly guardExitCode: number;
  /** Resource changes other than no-op and read. */
  readonly changes: number;
}

export interface PlanPaths {
  readonly dir: string;
  /** The binary plan `terraform plan -out` writes. */
  readonly plan: string;
  /** `terraform show -json` of it: exists only while the guard reads it. */
  readonly json: string;
  readonly meta: string;
  /** The redacted summary that was shown (addresses, actions, the guard's verdict). */
  readonly summary: string;
}

export function planPaths(root: string, stack: string): PlanPaths {
  const dir = join(root, ".plans", stack);
  return {
    dir,
    plan: join(dir, "tfplan"),
    json: join(dir, "plan.json"),
    meta: join(dir, "plan.meta.json"),
    summary: join(dir, "summary.md"),
  };
}

/** Creates `.plans/<stack>/` (and `.plans`) with mode 0700, tightening them if they exist. */
export function ensurePrivateDir(root: string, stack: string): PlanPaths {
  const p = planPaths(root, stack);
  for (const d of [join(root, ".plans"), p.dir]) {
    mkdirSync(d, { recursive: true, mode: 0o700 });
    // mkdir's mode is reduced by the umask, and an existing directory keeps its own: set it.
    chmodSync(d, 0o700);
  }
  return p;
}

/** Writes a file only its owner can read (0600, whatever the umask). */
export function writePrivate(file: string, text: string): void {
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** Removes the plan, its JSON, its record and its summary. */
export function discardPlan(p: PlanPaths): void {
  for (const f of [p.plan, p.json, p.meta, p.summary]) rmSync(f, { force: true });
}

export function writeMeta(p: PlanPaths, meta: PlanMeta): void {
  writePrivate(p.meta, `${JSON.stringify(meta, null, 2)}\n`);
}

/** The record of the saved plan, or undefined when there is none (or it is not one of ours). */
export function readMeta(p: PlanPaths): PlanMeta | undefined {
  if (!existsSync(p.meta)) return undefined;
  try {
    const m = JSON.parse(readFileSync(p.meta, "utf8")) as PlanMeta;
    return m.format === META_FORMAT &&
      typeof m.digest === "string" &&
      typeof m.stackHash === "string" &&
      typeof m.createdAt === "string"
      ? m
      : undefined;
  } catch {
    return undefined;
  }
}

/** What Terraform and `terraform init` add to a stack directory: not part of what was synthesized. */
const NOT_SYNTHESIZED = new Set([".terraform", ".terraform.lock.hcl", "terraform.tfstate", "terraform.tfstate.backup"]);

/**
 * `sha256:<hex>` of a synthesized stack directory: every file's relative path and content (the
 * Terraform JSON and the assets, such as the hook bundle the local-exec hooks run), sorted, minus
 * what Terraform itself writes there.
 */
export function stackHash(stackDir: string): string {
  const h = createHash("sha256");
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      if (NOT_SYNTHESIZED.has(name)) continue;
      const f = join(d, name);
      const st = statSync(f);
      if (st.isDirectory()) walk(f);
      else {
        const rel = relative(stackDir, f).split(sep).join("/");
        h.update(`${rel}\0${st.size}\0`);
        h.update(readFileSync(f));
        h.update("\0");
      }
    }
  };
  walk(stackDir);
  return `sha256:${h.digest("hex")}`;
}
