/**
 * The laptop path with the plan guard (docs/laptop-deploys.md):
 *   npm run plan -- <stack>    synthesize, terraform init + plan -out into .plans/<stack>/, show -json,
 *                              run the plan guard, print the summary, record the digest, delete the JSON
 *   npm run apply -- <stack>   apply exactly that reviewed plan file, or refuse (no plan, blocked,
 *                              too old, stack changed since, Terraform says stale), then delete it
 * `cdktf deploy` stays available and runs no guard. Every refusal is one line on stderr.
 */
import { spawn } from "node:child_process";
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
} from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Command, CommanderError } from "commander";
import {
  blockLine,
  checkPlanJson,
  classifyPlans,
  DIGEST_PATTERN,
  InputError,
  loadAllowlist,
  oneLine,
  planDigest,
  readPlanFile,
  renderSummary,
  type Allowlist,
} from "@cmk-stacks/plan-guard";
import { redactedChanges, renderComment } from "../ci/report";
import { LOCKS_DIR, lockFileOf } from "../../stacks/lock-files";
import { TfcClient, TfcError, cloudWorkspaceOf, tokenVariable } from "../ci/tfc";
import {
  MAX_PLAN_AGE_MINUTES,
  META_FORMAT,
  discardPlan,
  ensurePrivateDir,
  planPaths,
  readMeta,
  stackHash,
  writeMeta,
  writePrivate,
  type PlanPaths,
} from "./plan-store";

export interface DeployIo {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** The project root: cdktf.out, .plans and plan-guard.allow.json are found here. */
  readonly root: string;
  /** Synthesizes every stack into `<root>/cdktf.out`; throws when synthesis fails. */
  readonly synth?: () => Promise<void>;
  /** Asks a question on the terminal and resolves with the answer; undefined when there is no terminal. */
  readonly ask?: (question: string) => Promise<string>;
  readonly now?: () => Date;
  /** For tests: Terraform Cloud API calls. */
  readonly fetch?: typeof fetch;
  readonly tfcBaseUrl?: (hostname: string) => string;
}

/** A refusal or failure the command prints as one line (no stack trace, never a secret). */
class Refusal extends Error {}

const STACK = /^[a-z0-9][a-z0-9-]{0,60}$/;

function terraform(
  io: DeployIo,
  args: string[],
  opts: { stdoutFd?: number; capture?: boolean } = {},
): Promise<{ code: number; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("terraform", args, {
      cwd: io.root,
      env: io.env,
      stdio: ["ignore", opts.stdoutFd ?? "pipe", "pipe"],
    });
    let stderr = "";
    // Captured output (a plan's JSON, secrets in cleartext) stays in memory: never printed, never written.
    const captured: Buffer[] = [];
    child.stdout?.on("data", (d: Buffer) =>
      opts.capture ? captured.push(d) : io.out(d.toString("utf8").replace(/\n$/, "")),
    );
    child.stderr?.on("data", (d: Buffer) => {
      const s = d.toString("utf8");
      // Kept for the stale-plan check; Terraform masks sensitive values in what it prints.
      if (stderr.length < 1_000_000) stderr += s;
      io.err(s.replace(/\n$/, ""));
    });
    child.on("error", (e: NodeJS.ErrnoException) =>
      reject(
        new Refusal(
          e.code === "ENOENT"
            ? "terraform is not on PATH: install Terraform 1.10 or later"
            : `terraform could not start (${e.code ?? e.message})`,
        ),
      ),
    );
    child.on("close", (code) => resolve({ code: code ?? 1, stderr, stdout: Buffer.concat(captured).toString("utf8") }));
  });
}

async function tf(
  io: DeployIo,
  stackDir: string,
  args: string[],
  what: string,
  opts: { stdoutFd?: number } = {},
): Promise<string> {
  const r = await terraform(io, [`-chdir=${stackDir}`, ...args], opts);
  if (r.code !== 0) throw new Refusal(`terraform ${what} failed (exit ${r.code}, see above)`);
  return r.stderr;
}

function defaultSynth(io: DeployIo): () => Promise<void> {
  return () =>
    new Promise((resolve, reject) => {
      // The same build and app as `npm run synth` (ENV_CONFIG is honoured the same way).
      const child = spawn(process.execPath, [join(io.root, ".build", "main.js")], {
        cwd: io.root,
        env: io.env,
        stdio: ["ignore", "inherit", "inherit"],
      });
      child.on("error", reject);
      child.on("close", (code) =>
        code === 0 ? resolve() : reject(new Refusal("synthesis failed (see above): nothing was planned or applied")),
      );
    });
}

async function synthesized(io: DeployIo, stack: string): Promise<string> {
  try {
    await (io.synth ?? defaultSynth(io))();
  } catch (e) {
    throw e instanceof Refusal ? e : new Refusal(`synthesis failed: ${(e as Error).message}`);
  }
  const stacks = join(io.root, "cdktf.out", "stacks");
  const dir = join(stacks, stack);
  if (!existsSync(join(dir, "cdk.tf.json"))) {
    const known = existsSync(stacks) ? readdirSync(stacks).sort() : [];
    throw new Refusal(`no stack "${stack}" was synthesized (stacks: ${known.join(", ") || "none"})`);
  }
  return dir;
}

/**
 * Refuses a stack whose Terraform Cloud workspace runs Terraform remotely (remote or agent
 * execution): the plan is made in TFC, so no plan file exists here for the guard and the apply.
 */
async function checkCloudBackend(io: DeployIo, stack: string, stackDir: string): Promise<void> {
  const ws = cloudWorkspaceOf(stackDir);
  if (!ws) return;
  const variable = tokenVariable(ws.hostname);
  const token = io.env[variable];
  const flow =
    "use the Terraform Cloud flow instead: the run's plan in TFC, the plan guard on its JSON, then TFC's own confirm (README, Terraform Cloud: remote and local execution)";
  if (!token)
    throw new Refusal(
      `${stack} keeps its state in Terraform Cloud workspace ${ws.organization}/${ws.workspace}, and ${variable} is not set, so its execution mode cannot be read: set it (a token that may read the workspace) and plan again, or ${flow}`,
    );
  const c = new TfcClient({
    baseUrl: io.tfcBaseUrl ? io.tfcBaseUrl(ws.hostname) : `https://${ws.hostname}`,
    token,
    fetch: io.fetch,
  });
  const { mode } = await c.workspace(ws);
  if (mode !== "local") {
    throw new Refusal(
      `${stack}: Terraform Cloud workspace ${ws.organization}/${ws.workspace} uses ${mode} execution: Terraform runs in TFC, so there is no local plan file to guard and apply (terraform plan -out); ${flow}. A workspace in local execution (TFC keeps the state only) works like S3 state here.`,
    );
  }
}

function loadAllowlistIfAny(root: string, inputErrors: string[]): Allowlist | undefined {
  const file = join(root, "plan-guard.allow.json");
  if (!existsSync(file)) return undefined;
  try {
    return loadAllowlist(file);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    inputErrors.push(e.message);
    return undefined;
  }
}

async function plan(io: DeployIo, stack: string): Promise<number> {
  const p = ensurePrivateDir(io.root, stack);
  // A new plan replaces the old one, whatever happens next.
  discardPlan(p);
  try {
    return await planInto(io, stack, p);
  } catch (e) {
    // A plan file nobody reviewed holds secrets and can never be applied: it goes too.
    discardPlan(p);
    throw e;
  }
}

/**
 * After `terraform init`: when init wrote or changed the stack's dependency lock file (hashes of
 * the installed provider recorded, a provider added, `-upgrade` run by hand before), the new file
 * goes back to the committed one in terraform-locks/ (stacks/lock-files.ts), to review and commit;
 * the next synth would otherwise put the old one back. `CMK_TERRAFORM_LOCKS` as for synth.
 */
function saveLockFile(io: DeployIo, stack: string, stackDir: string): void {
  if (io.env.CMK_TERRAFORM_LOCKS === "none") return;
  const written = join(stackDir, ".terraform.lock.hcl");
  if (!existsSync(written)) return;
  const dir = io.env.CMK_TERRAFORM_LOCKS || join(io.root, LOCKS_DIR);
  const committed = lockFileOf(dir, stack);
  const had = existsSync(committed);
  if (had && readFileSync(committed).equals(readFileSync(written))) return;
  mkdirSync(dir, { recursive: true });
  copyFileSync(written, committed);
  io.err(
    `plan: terraform init ${had ? "changed" : "wrote"} the dependency lock file of ${stack}: saved to ${committed} (review and commit it: it decides the provider version every later plan uses)`,
  );
}

async function planInto(io: DeployIo, stack: string, p: PlanPaths): Promise<number> {
  const stackDir = await synthesized(io, stack);
  await checkCloudBackend(io, stack, stackDir);
  const hash = stackHash(stackDir);
  await tf(io, stackDir, ["init", "-input=false"], "init");
  saveLockFile(io, stack, stackDir);
  await tf(io, stackDir, ["plan", "-input=false", `-out=${p.plan}`], "plan");
  if (!existsSync(p.plan)) throw new Refusal(`terraform plan wrote no plan file at ${p.plan}`);
  chmodSync(p.plan, 0o600);

  let digest: string;
  let summary: string;
  let guardExitCode: number;
  let changes: number;
  const fd = openSync(p.json, "w", 0o600);
  try {
    try {
      await tf(io, stackDir, ["show", "-json", p.plan], "show", { stdoutFd: fd });
    } finally {
      closeSync(fd);
    }
    const doc = JSON.parse(readFileSync(p.json, "utf8")) as unknown;
    digest = planDigest(doc);
    const inputErrors: string[] = [];
    const loaded = [];
    try {
      loaded.push(readPlanFile(`${stack}=${p.json}`));
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      inputErrors.push(e.message);
    }
    const result = classifyPlans(loaded, loadAllowlistIfAny(io.root, inputErrors), { inputErrors });
    guardExitCode = result.exitCode;
    const listed = redactedChanges(doc);
    changes = listed.length;
    const env = stack.replace(/-(keys|data)$/, "");
    // The pull-request comment's renderer, for this one stack: changes, verdict, blocked and risky tables.
    summary = renderComment({
      envs: [env],
      reports: [
        {
          env,
          stacks: [{ stack, status: "planned", changes: listed }],
          guard: { exitCode: result.exitCode, summary: renderSummary(result) },
        },
      ],
      synth: "success",
    })
      .split("\n")
      .filter((l) => !l.startsWith("<!--"))
      .join("\n");
  } finally {
    // The JSON holds every sensitive value in cleartext: it never outlives this command.
    rmSync(p.json, { force: true });
  }
  io.out(summary);
  writePrivate(p.summary, `${summary}\n`);
  const meta = {
    format: META_FORMAT,
    stack,
    createdAt: (io.now?.() ?? new Date()).toISOString(),
    digest,
    stackHash: hash,
    guardExitCode,
    changes,
  } as const;
  if (guardExitCode !== 0) {
    discardPlan(p);
    writeMeta(p, meta);
    io.err(
      `plan: the plan guard ${guardExitCode === 1 ? "blocked this plan" : "could not check this plan"}: it will never be applied, and its plan file is deleted. Change the configuration (or allow the change in plan-guard.allow.json: its address, a reason, and the digest ${digest} of this plan and/or an expires date), then plan again.`,
    );
    return 1;
  }
  if (changes === 0) {
    discardPlan(p);
    io.out(`plan: ${stack} has no changes: nothing to apply.`);
    return 0;
  }
  writeMeta(p, meta);
  io.out(
    `plan: saved the reviewed plan of ${stack}: digest ${digest}. Apply exactly this plan within ${MAX_PLAN_AGE_MINUTES} minutes with: npm run apply -- ${stack}`,
  );
  return 0;
}

const planAgain = (stack: string) => `plan again: npm run plan -- ${stack}`;

async function apply(io: DeployIo, stack: string, o: { yes?: boolean; digest?: string }): Promise<number> {
  const p = planPaths(io.root, stack);
  const meta = readMeta(p);
  if (!meta || meta.stack !== stack)
    throw new Refusal(
      `no reviewed plan of ${stack}: run npm run plan -- ${stack} first, review what it prints, then apply`,
    );
  if (meta.guardExitCode !== 0) {
    discardPlan(p);
    throw new Refusal(
      `the plan guard blocked the last plan of ${stack} (digest ${meta.digest}): a blocked plan is never applied. Change the configuration or allow the change in plan-guard.allow.json (its address, a reason, and the plan's digest and/or an expires date), then ${planAgain(stack)}`,
    );
  }
  if (!existsSync(p.plan)) {
    discardPlan(p);
    throw new Refusal(`the plan file of ${stack} is missing (${p.plan}): ${planAgain(stack)}`);
  }
  if (o.digest !== undefined && !DIGEST_PATTERN.test(o.digest))
    throw new Refusal(`--digest ${JSON.stringify(o.digest)} is not a plan digest (sha256: and 64 hex digits)`);
  if (o.digest !== undefined && o.digest !== meta.digest)
    throw new Refusal(
      `--digest ${o.digest} is not the digest of the reviewed plan of ${stack} (${meta.digest}): nothing was applied`,
    );
  const now = io.now?.() ?? new Date();
  const ageMinutes = (now.getTime() - Date.parse(meta.createdAt)) / 60000;
  if (!(ageMinutes <= MAX_PLAN_AGE_MINUTES) || ageMinutes < -5) {
    discardPlan(p);
    throw new Refusal(
      `the plan of ${stack} was made at ${meta.createdAt}, ${Math.floor(ageMinutes)} minutes ago: plans older than ${MAX_PLAN_AGE_MINUTES} minutes are not applied (what was reviewed may no longer be what AWS holds). The plan is deleted; ${planAgain(stack)}`,
    );
  }
  const stackDir = await synthesized(io, stack);
  const hash = stackHash(stackDir);
  if (hash !== meta.stackHash) {
    discardPlan(p);
    throw new Refusal(
      `the synthesized stack ${stack} changed since it was planned (configuration, code or hook bundle): the reviewed plan is not what this checkout would deploy. The plan is deleted; ${planAgain(stack)}`,
    );
  }
  // The plan file itself, read again (in memory only): it must still be the reviewed plan, and the
  // guard must still pass it (an allowlist entry may have expired or been removed since the plan).
  const shown = await terraform(io, [`-chdir=${stackDir}`, "show", "-json", p.plan], { capture: true });
  let doc: unknown;
  try {
    if (shown.code !== 0) throw new Error(`exit ${shown.code}`);
    doc = JSON.parse(shown.stdout);
  } catch {
    discardPlan(p);
    throw new Refusal(
      `terraform show -json could not read the plan file of ${stack} (see above): nothing was applied. The plan is deleted; ${planAgain(stack)}`,
    );
  }
  const actual = planDigest(doc);
  if (actual !== meta.digest) {
    discardPlan(p);
    throw new Refusal(
      `the plan file of ${stack} is not the reviewed plan (reviewed ${meta.digest}, this file ${actual}): nothing was applied. The plan is deleted; ${planAgain(stack)}`,
    );
  }
  const inputErrors: string[] = [];
  const allowlist = loadAllowlistIfAny(io.root, inputErrors);
  const loaded = [];
  try {
    const checked = checkPlanJson(doc, p.plan);
    loaded.push({ stack, plan: checked.plan, problems: checked.problems });
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    inputErrors.push(e.message);
  }
  const again = classifyPlans(loaded, allowlist, { inputErrors, now });
  if (again.exitCode !== 0) {
    discardPlan(p);
    for (const e of again.inputErrors) io.err(`apply: plan-guard: ${e}`);
    for (const f of again.blocked) io.err(`apply: ${oneLine(blockLine(f))}`);
    throw new Refusal(
      `the plan guard refuses the reviewed plan of ${stack} now (an allowlist entry expired, changed or was removed since it was planned): nothing was applied. The plan is deleted; ${planAgain(stack)}`,
    );
  }
  io.out(
    `apply: the reviewed plan of ${stack}: digest ${meta.digest}, ${meta.changes} change${meta.changes === 1 ? "" : "s"}, made ${Math.max(0, Math.floor(ageMinutes))} minutes ago, nothing blocked by the plan guard (summary: ${p.summary}).`,
  );
  if (!o.yes && o.digest === undefined) {
    if (!io.ask)
      throw new Refusal(
        `no terminal to confirm on: pass --yes, or --digest ${meta.digest} to apply only the plan with that digest`,
      );
    const answer = (await io.ask(`Apply this plan to ${stack}? Type "yes" to apply: `)).trim();
    if (answer !== "yes") {
      io.err(
        `apply: not confirmed: nothing was applied (the plan is kept until it is applied, replaced or ${MAX_PLAN_AGE_MINUTES} minutes old)`,
      );
      return 1;
    }
  }
  let r: { code: number; stderr: string };
  try {
    r = await terraform(io, [`-chdir=${stackDir}`, "apply", "-input=false", p.plan]);
  } finally {
    // Applied, failed or refused as stale: a saved plan can be applied once at most.
    discardPlan(p);
  }
  if (r.code !== 0) {
    if (/Saved plan is stale/.test(r.stderr)) {
      throw new Refusal(
        `Terraform refused the plan as stale ("Saved plan is stale"): the state of ${stack} changed after the plan was made (another apply, or a state operation), so the plan no longer describes what would change. Nothing was applied. The plan is deleted; ${planAgain(stack)}`,
      );
    }
    throw new Refusal(
      `terraform apply failed (exit ${r.code}, see above). The plan is deleted; find the cause, then ${planAgain(stack)}`,
    );
  }
  io.out(`apply: applied the reviewed plan of ${stack} (digest ${meta.digest}); the plan file is deleted.`);
  return 0;
}

function program(io: DeployIo, setCode: (n: number) => void): Command {
  const p = new Command("deploy")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  const stackArg = (s: string) => {
    if (!STACK.test(s)) throw new Refusal(`"${s}" is not a stack name (for example dev-keys)`);
    return s;
  };
  p.command("plan")
    .description(
      "synthesize, plan one stack into .plans/<stack>/, run the plan guard, print the summary and record the plan's digest",
    )
    .argument("<stack>", "a synthesized stack, e.g. dev-keys")
    .action(async (stack: string) => setCode(await plan(io, stackArg(stack))));
  p.command("apply")
    .description(
      `apply the plan \`npm run plan\` saved for the stack, or refuse (none, blocked, older than ${MAX_PLAN_AGE_MINUTES} minutes, stack changed, stale)`,
    )
    .argument("<stack>")
    .option("--yes", "apply without asking (scripts)")
    .option("--digest <digest>", "apply only if the reviewed plan has this digest (scripts)")
    .action(async (stack: string, o: { yes?: boolean; digest?: string }) =>
      setCode(await apply(io, stackArg(stack), o)),
    );
  return p;
}

/** Runs `plan` or `apply` and resolves with the exit code: 0 done, 1 blocked or refused, 2 usage. */
export async function runDeploy(argv: readonly string[], io: DeployIo): Promise<number> {
  let code = 0;
  const p = program(io, (n) => (code = n));
  const command = argv[0] === "apply" ? "apply" : "plan";
  try {
    await p.parseAsync([...argv], { from: "user" });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof Refusal || e instanceof TfcError) io.err(`${command}: ${e.message}`);
    else io.err(`${command}: internal error: ${e instanceof Error ? e.message : String(e)} (please report it)`);
    return 1;
  }
}

/** Reads one line from the terminal (never echoes or reads a secret: the answer is "yes" or not). */
function terminalAsk(): ((q: string) => Promise<string>) | undefined {
  if (!process.stdin.isTTY) return undefined;
  return (q) =>
    new Promise((resolve) => {
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      rl.question(q, (a) => {
        rl.close();
        resolve(a);
      });
    });
}

if (require.main === module) {
  const root = join(__dirname, "..");
  void runDeploy(process.argv.slice(2), {
    out: (s) => process.stdout.write(`${s}\n`),
    err: (s) => process.stderr.write(`${s}\n`),
    env: process.env,
    root,
    ask: terminalAsk(),
  }).then((c) => {
    process.exitCode = c;
  });
}
