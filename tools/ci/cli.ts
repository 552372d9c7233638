/**
 * `npm run -s envs` and `npm run -s ci -- <command>`: the small steps the GitHub workflows run
 * around Terraform, kept here so that they are tested rather than written as shell in YAML.
 *   envs                         the registered environments as a JSON array (the CI matrix)
 *   changed-envs                 the environments whose synthesized stacks a push changed (deploy matrix)
 *   plan-digest|check-digest     the digest of a plan, and the check that a plan is the approved one
 *   has-changes                  exit 0 when a plan changes anything, else 1
 *   summary                      one environment's report as Markdown (the job summary approvers read)
 *   drift-summary                one environment's drift report as Markdown (the drift workflow)
 *   record <report> ...          add one stack's outcome to an environment's redacted report
 *   data-must-wait <keys.json>   exit 0 when the data stack must be planned after the keys are applied
 *   guard-result <report> ...    add the plan guard's verdict and Markdown summary to a report
 *   comment ...                  render the one pull-request comment from every report
 *   tfc-mode|tfc-plan|tfc-apply|tfc-discard  Terraform Cloud runs (remote or agent execution)
 * Every failure is one line on stderr and a non-zero exit code.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { basename } from "node:path";
import { Command, CommanderError } from "commander";
import { environments } from "../../environments";
import { isUserError } from "../../environments/errors";
import {
  blockLine,
  checkPlanJson,
  classifyPlans,
  DIGEST_PATTERN,
  digestInput,
  InputError,
  loadAllowlist,
  planDigest,
} from "@cmk-stacks/plan-guard";
import { changedEnvironments, untrustedBase } from "./changed";
import { renderDrift } from "./drift";
import { ciEnvironments, matrixOf } from "./envs";
import {
  dataStackMustWait,
  failed,
  loadReport,
  loadReports,
  recordStack,
  redactedChanges,
  renderComment,
  saveReport,
  type StackStatus,
} from "./report";
import { CONFIRMABLE, TfcClient, TfcError, cloudWorkspaceOf, tokenVariable } from "./tfc";

export interface Io {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly fetch?: typeof fetch;
  readonly baseUrl?: (hostname: string) => string;
  readonly pollMs?: number;
}

const readJson = (file: string): unknown => {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new CliError(`${file}: ${(e as NodeJS.ErrnoException).code ?? "not valid JSON"}`);
  }
};

class CliError extends Error {}

/** Exit code of a refused apply: the plan is not the one that was approved. */
const MISMATCH = 1;

function client(
  io: Io,
  stackDir: string,
  waitMinutes?: string,
): { c: TfcClient; ws: NonNullable<ReturnType<typeof cloudWorkspaceOf>> } {
  const ws = cloudWorkspaceOf(stackDir);
  if (!ws) throw new CliError(`${stackDir}: not a Terraform Cloud stack (no cloud block)`);
  const variable = tokenVariable(ws.hostname);
  const token = io.env[variable];
  if (!token)
    throw new CliError(
      `${variable} is not set: give this step the Terraform Cloud token in that variable (secret TF_API_TOKEN_PLAN for plans, TF_API_TOKEN for applies)`,
    );
  const baseUrl = io.baseUrl ? io.baseUrl(ws.hostname) : `https://${ws.hostname}`;
  let timeoutMs: number | undefined;
  if (waitMinutes !== undefined) {
    const n = Number(waitMinutes);
    if (!Number.isInteger(n) || n < 1 || n > 24 * 60)
      throw new CliError(`--wait-minutes must be a whole number of minutes from 1 to 1440, not "${waitMinutes}"`);
    timeoutMs = n * 60_000;
  }
  return {
    c: new TfcClient({ baseUrl, token, fetch: io.fetch, pollMs: io.pollMs, timeoutMs, log: (l) => io.err(l) }),
    ws,
  };
}

/** A digest given on the command line, checked for shape before anything is compared with it. */
function expectedDigest(value: string): string {
  if (!DIGEST_PATTERN.test(value))
    throw new CliError(
      `--expect must be a plan digest (sha256: and 64 hex digits, as plan-digest prints it), not "${value.slice(0, 80)}"`,
    );
  return value;
}

/** The one message for a plan that is not the approved one, naming both digests. */
export function mismatchMessage(expected: string, actual: string): string {
  return `REFUSED: the plan differs from the approved one (approved ${expected}, planned now ${actual}). Nothing was applied. Something changed after the approval (another merge, drift, a provider release): run the deploy again and review the new plan.`;
}

/** The run id from --run-id or a --run-file written by tfc-plan. */
function runIdOf(o: { runId?: string; runFile?: string }): { runId: string; status?: string } {
  if (o.runId) {
    if (!/^run-[A-Za-z0-9]{1,64}$/.test(o.runId))
      throw new CliError(`--run-id must be a Terraform Cloud run id (run-...), not "${o.runId.slice(0, 80)}"`);
    return { runId: o.runId };
  }
  if (!o.runFile) throw new CliError("give --run-id or --run-file");
  const run = readJson(o.runFile) as { runId?: string; status?: string };
  if (!run.runId) throw new CliError(`${o.runFile}: no run id`);
  return { runId: run.runId, status: run.status };
}

function program(io: Io, setCode: (n: number) => void): Command {
  const p = new Command("ci")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  p.command("envs")
    .description("print the registered environments as a JSON array of names (refuses local state)")
    .option("--detail", "print objects with each environment's backend instead of names")
    .action((o: { detail?: boolean }) => {
      const list = ciEnvironments(environments);
      io.out(JSON.stringify(o.detail ? list : matrixOf(list)));
    });
  p.command("changed-envs")
    .description(
      "print the deploy matrix: the environments whose synthesized stacks (cdk.tf.json and assets) differ between two synthesized outputs",
    )
    .requiredOption(
      "--before <dir>",
      "synthesized output of the previous commit (missing or empty: every environment counts as changed)",
    )
    .requiredOption("--after <dir>", "synthesized output of the pushed commit")
    .option(
      "--runs <file>",
      "the deploy workflow's recent runs (GitHub API JSON): unless the run before this one succeeded on --before-sha, every environment is deployed",
    )
    .option("--run-id <id>", "this run's id (with --runs)")
    .option("--before-sha <sha>", "the commit before the push (with --runs)")
    .action((o: { before: string; after: string; runs?: string; runId?: string; beforeSha?: string }) => {
      let distrust: string | undefined;
      if (o.runs !== undefined) {
        const id = Number(o.runId);
        if (!Number.isSafeInteger(id) || id <= 0 || !o.beforeSha)
          throw new CliError("--runs needs --run-id <number> and --before-sha <sha>");
        let runs: unknown;
        try {
          runs = JSON.parse(readFileSync(o.runs, "utf8"));
        } catch {
          runs = undefined;
        }
        distrust = untrustedBase(runs, id, o.beforeSha);
      }
      let r;
      try {
        r = changedEnvironments(ciEnvironments(environments), o.before, o.after, distrust);
      } catch (e) {
        if (isUserError(e)) throw e;
        throw new CliError((e as Error).message);
      }
      for (const l of r.lines) io.err(l);
      io.out(JSON.stringify(r.matrix));
    });
  p.command("plan-digest")
    .description(
      "print the digest of a plan (`terraform show -json`): sha256:<hex>, the same for two plans that apply the same change",
    )
    .argument("<plan.json>")
    .action((file: string) => {
      io.out(planDigest(readJson(file)));
    });
  p.command("check-digest")
    .description("exit 0 when a plan's digest is the approved one, 1 (REFUSED, both digests) when it differs")
    .argument("<plan.json>")
    .requiredOption("--expect <digest>", "the approved plan's digest (the plan job's output)")
    .action((file: string, o: { expect: string }) => {
      const expected = expectedDigest(o.expect);
      const actual = planDigest(readJson(file));
      if (actual !== expected) {
        io.err(`ci: ${mismatchMessage(expected, actual)}`);
        setCode(MISMATCH);
        return;
      }
      io.err(`plan digest ${actual}: the approved plan`);
    });
  p.command("has-changes")
    .description("exit 0 when a plan changes a resource or an output, 1 when it changes nothing")
    .argument("<plan.json>")
    .action((file: string) => {
      const d = digestInput(readJson(file));
      setCode(d.resources.length + d.outputs.length > 0 ? 0 : 1);
    });
  p.command("summary")
    .description("print one environment's report as Markdown, with each stack's plan digest (for $GITHUB_STEP_SUMMARY)")
    .argument("<report>")
    .requiredOption("--env <env>")
    .option("--title <text>", "heading above the report")
    .action((file: string, o: { env: string; title?: string }) => {
      if (!existsSync(file)) throw new CliError(`${file}: no report (the plan step did not record one)`);
      const report = loadReport(file, o.env);
      const text = renderComment({ envs: [o.env], reports: [report], synth: "success" });
      io.out(`${o.title ? `## ${o.title}\n\n` : ""}${text}`);
    });
  p.command("record")
    .description("add one stack's outcome to an environment's redacted report")
    .argument("<report>", "the environment's report file (created when missing)")
    .requiredOption("--env <env>", "environment name")
    .requiredOption("--stack <stack>", "stack name")
    .option(
      "--plan <plan.json>",
      "`terraform show -json` of the stack's plan: status planned, addresses and actions only",
    )
    .option("--status <status>", "pending | failed | skipped (without --plan)")
    .option("--note <text>", "for pending: the stack to apply first; otherwise what failed")
    .action((file: string, o: { env: string; stack: string; plan?: string; status?: string; note?: string }) => {
      const report = loadReport(file, o.env);
      if (o.plan) {
        let changes;
        const plan = readJson(o.plan);
        try {
          changes = redactedChanges(plan);
        } catch (e) {
          throw new CliError(`${o.plan}: ${(e as Error).message}`);
        }
        saveReport(file, recordStack(report, { stack: o.stack, status: "planned", changes, digest: planDigest(plan) }));
        return;
      }
      const allowed: StackStatus[] = ["pending", "failed", "skipped"];
      if (!allowed.includes(o.status as StackStatus))
        throw new CliError(`--status must be one of ${allowed.join(", ")} (or give --plan)`);
      saveReport(
        file,
        recordStack(report, {
          stack: o.stack,
          status: o.status as StackStatus,
          note: o.note?.split("\n")[0].slice(0, 200),
        }),
      );
    });
  p.command("data-must-wait")
    .description("exit 0 when the keys plan creates or changes an output the data stack reads, else 1")
    .argument("<keys-plan.json>")
    .action((file: string) => {
      setCode(dataStackMustWait(readJson(file)) ? 0 : 1);
    });
  p.command("guard-result")
    .description("add the plan guard's exit code and Markdown summary to a report")
    .argument("<report>")
    .requiredOption("--env <env>")
    .requiredOption("--exit <code>", "the guard's exit code")
    .option("--summary <file>", "the guard's --summary output")
    .action((file: string, o: { env: string; exit: string; summary?: string }) => {
      const report = loadReport(file, o.env);
      const summary =
        o.summary && existsSync(o.summary) ? readFileSync(o.summary, "utf8") : "The guard wrote no summary.";
      saveReport(file, { ...report, guard: { exitCode: Number.parseInt(o.exit, 10), summary } });
    });
  p.command("comment")
    .description("render the one pull-request comment from every report; exit 1 when the check must fail")
    .requiredOption("--reports <dir>")
    .requiredOption(
      "--envs <json>",
      "the environments the run planned (the envs job's output: matrix entries or names)",
    )
    .requiredOption("--synth <result>", "the synth job's result")
    .requiredOption("--out <file>")
    .option("--run-url <url>")
    .option(
      "--max-length <chars>",
      "longest text to write (value lines are cut to fit); default: a pull-request comment's limit",
    )
    .action((o: { reports: string; envs: string; synth: string; out: string; runUrl?: string; maxLength?: string }) => {
      let parsed: unknown = [];
      try {
        parsed = JSON.parse(o.envs);
      } catch {
        // The envs job failed: the synth result says why, and no environment was planned.
      }
      // The matrix entries of `npm run -s envs` ({ env, secretSuffix }), or plain names.
      const envs = (Array.isArray(parsed) ? parsed : [])
        .map((e: unknown) => (typeof e === "string" ? e : (e as { env?: unknown } | null)?.env))
        .filter((e): e is string => typeof e === "string");
      const maxLength = o.maxLength === undefined ? undefined : Number(o.maxLength);
      if (maxLength !== undefined && !(Number.isInteger(maxLength) && maxLength > 0))
        throw new CliError(`--max-length must be a positive whole number of characters, not "${o.maxLength}"`);
      const input = {
        envs,
        reports: loadReports(o.reports),
        synth: o.synth,
        runUrl: o.runUrl,
        ...(maxLength ? { maxLength } : {}),
      };
      writeFileSync(o.out, `${renderComment(input)}\n`);
      setCode(failed(input) ? 1 : 0);
    });
  p.command("drift-summary")
    .description(
      "print an environment's drift report as Markdown; exit 0 no drift, 1 drift, 2 a stack could not be checked",
    )
    .argument("<report>")
    .requiredOption("--env <env>")
    .action((file: string, o: { env: string }) => {
      const report = loadReport(file, o.env);
      const r = renderDrift(report, [`${o.env}-keys`, `${o.env}-data`]);
      io.out(r.markdown);
      setCode(r.failed ? 2 : r.drifted ? 1 : 0);
    });
  p.command("tfc-mode")
    .description(
      "print the execution mode (remote, agent, local) of a cloud stack's workspace, or `none` for another backend",
    )
    .argument("<stack-dir>")
    .action(async (dir: string) => {
      if (!cloudWorkspaceOf(dir)) return io.out("none");
      const { c, ws } = client(io, dir);
      io.out((await c.workspace(ws)).mode);
    });
  p.command("tfc-plan")
    .description("upload a stack's configuration, run its plan in Terraform Cloud, write the plan JSON and the run id")
    .argument("<stack-dir>")
    .requiredOption(
      "--plan-json <file>",
      "where to write the plan JSON (keep it in the job: it holds sensitive values)",
    )
    .requiredOption("--run-file <file>", "where to write the run id and status, for tfc-apply")
    .option("--speculative", "a plan-only run that can never be applied (pull requests)")
    .option("--message <text>", "run message", "cmk-stacks CI")
    .action(async (dir: string, o: { planJson: string; runFile: string; speculative?: boolean; message: string }) => {
      const { c, ws } = client(io, dir);
      const { id, mode } = await c.workspace(ws);
      if (mode === "local")
        throw new CliError(`TFC workspace ${ws.workspace} uses local execution: run terraform in the job instead`);
      // The configuration as Terraform reads it: the stack directory without any local .terraform.
      const tarball = execFileSync("tar", ["-czf", "-", "--exclude=./.terraform", "-C", dir, "."], {
        maxBuffer: 512 * 1024 * 1024,
      });
      const run = await c.plan(id, tarball, { speculative: Boolean(o.speculative), message: o.message });
      writeFileSync(o.planJson, JSON.stringify(await c.planJson(run.planId)), { mode: 0o600 });
      writeFileSync(o.runFile, JSON.stringify({ runId: run.runId, status: run.status }));
      io.err(`TFC run ${run.runId}: plan ${run.status}`);
    });
  p.command("tfc-apply")
    .description(
      "re-read a planned run's plan, refuse it unless its digest is the approved one, then confirm it and wait until applied",
    )
    .argument("<stack-dir>")
    .option("--run-id <id>", "the run the plan job started (its output)")
    .option("--run-file <file>", "or the run file tfc-plan wrote")
    .requiredOption("--expect <digest>", "the approved plan's digest (the plan job's output)")
    .option(
      "--wait-minutes <n>",
      "how long to wait for the apply (size it for the stack: see docs/team-workflow.md)",
      "60",
    )
    .option(
      "--allowlist <file>",
      "run the plan guard again on the run's plan with this allowlist before confirming (an entry may have expired since the approval)",
    )
    .option("--stack <name>", "the stack name the allowlist entries use (default: the stack directory's name)")
    .action(
      async (
        dir: string,
        o: {
          runId?: string;
          runFile?: string;
          expect: string;
          waitMinutes: string;
          allowlist?: string;
          stack?: string;
        },
      ) => {
        const expected = expectedDigest(o.expect);
        const { runId } = runIdOf(o);
        const { c } = client(io, dir, o.waitMinutes);
        const run = await c.run(runId);
        const confirmable = CONFIRMABLE.has(run.status);
        if (!confirmable && run.status !== "planned_and_finished")
          throw new CliError(
            `TFC run ${runId} is ${run.status}, not a plan waiting for confirmation: nothing was applied`,
          );
        if (!run.planId) throw new CliError(`TFC run ${runId} has no plan`);
        // The same run's plan, read again now: what a confirmation would apply.
        const planned = await c.planJson(run.planId);
        const actual = planDigest(planned);
        if (actual !== expected) {
          if (confirmable) await c.discard(runId, "discarded by cmk-stacks CI: its plan is not the approved one");
          io.err(`ci: ${mismatchMessage(expected, actual)}${confirmable ? ` TFC run ${runId} was discarded.` : ""}`);
          setCode(MISMATCH);
          return;
        }
        if (!confirmable) return io.err(`TFC run ${runId}: no changes, nothing to apply`);
        if (o.allowlist !== undefined) {
          // The guard again, as the Terraform-in-the-job path does: the same plan, but an allowlist
          // entry that allowed it may have expired (or been removed) since the approval.
          const refusal = guardAgain(planned, o.stack ?? basename(dir), o.allowlist, runId);
          if (refusal.length) {
            await c.discard(runId, "discarded by cmk-stacks CI: the plan guard refuses the approved plan now");
            for (const line of refusal) io.err(line);
            io.err(
              `ci: REFUSED: the plan guard refuses the approved plan now (digest ${actual}). Nothing was applied; TFC run ${runId} was discarded.`,
            );
            setCode(MISMATCH);
            return;
          }
        }
        io.err(`TFC run ${runId}: plan digest ${actual} is the approved plan; confirming`);
        await c.apply(runId, `applied by cmk-stacks CI: plan digest ${actual} approved`);
        io.err(`TFC run ${runId}: applied`);
      },
    );
  p.command("tfc-discard")
    .description("discard a planned run (the plan guard refused it)")
    .argument("<stack-dir>")
    .option("--run-id <id>")
    .option("--run-file <file>")
    .action(async (dir: string, o: { runId?: string; runFile?: string }) => {
      const run = runIdOf(o);
      if (run.status === "planned_and_finished") return;
      const { c } = client(io, dir);
      await c.discard(run.runId, "refused by the plan guard in cmk-stacks CI");
      io.err(`TFC run ${run.runId}: discarded`);
    });
  return p;
}

/** The plan guard's blocked lines (and input errors) for a plan read back from Terraform Cloud; empty when it passes. */
function guardAgain(planned: unknown, stack: string, allowlistFile: string, runId: string): string[] {
  try {
    const { plan, problems } = checkPlanJson(planned, `TFC run ${runId}`);
    const r = classifyPlans([{ stack, plan, problems }], loadAllowlist(allowlistFile));
    return [...r.inputErrors.map((e) => `plan-guard: ${e}`), ...r.blocked.map(blockLine)];
  } catch (e) {
    if (e instanceof InputError) return [`plan-guard: ${e.message}`];
    throw e;
  }
}

/** Runs one command and resolves with its exit code; user-facing failures are one line on stderr. */
export async function runCi(argv: readonly string[], io: Io): Promise<number> {
  let code = 0;
  const p = program(io, (n) => (code = n));
  try {
    await p.parseAsync([...argv], { from: "user" });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (isUserError(e)) io.err(e.lines.join("\n"));
    else if (e instanceof CliError || e instanceof TfcError) io.err(`ci: ${e.message}`);
    else io.err(`ci: internal error: ${e instanceof Error ? e.message : String(e)} (please report it)`);
    return 2;
  }
}

if (require.main === module) {
  void runCi(process.argv.slice(2), {
    out: (s) => process.stdout.write(`${s}\n`),
    err: (s) => process.stderr.write(`${s}\n`),
    env: process.env,
  }).then((c) => {
    process.exitCode = c;
  });
}
