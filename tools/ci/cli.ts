/**
 * `npm run -s envs` and `npm run -s ci -- <command>`: the small steps the GitHub workflows run
 * around Terraform, kept here so that they are tested rather than written as shell in YAML.
 *   envs                         the registered environments as a JSON array (the CI matrix)
 *   record <report> ...          add one stack's outcome to an environment's redacted report
 *   data-must-wait <keys.json>   exit 0 when the data stack must be planned after the keys are applied
 *   guard-result <report> ...    add the plan guard's verdict and Markdown summary to a report
 *   comment ...                  render the one pull-request comment from every report
 *   tfc-mode|tfc-plan|tfc-apply  Terraform Cloud runs for workspaces in remote or agent execution
 * Every failure is one line on stderr and a non-zero exit code.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { Command, CommanderError } from "commander";
import { environments } from "../../environments";
import { isUserError } from "../../environments/errors";
import { ciEnvironments } from "./envs";
import { dataStackMustWait, failed, loadReport, loadReports, recordStack, redactedChanges, renderComment, saveReport, type StackStatus } from "./report";
import { TfcClient, TfcError, cloudWorkspaceOf, tokenVariable } from "./tfc";

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

function client(io: Io, stackDir: string): { c: TfcClient; ws: NonNullable<ReturnType<typeof cloudWorkspaceOf>> } {
  const ws = cloudWorkspaceOf(stackDir);
  if (!ws) throw new CliError(`${stackDir}: not a Terraform Cloud stack (no cloud block)`);
  const variable = tokenVariable(ws.hostname);
  const token = io.env[variable];
  if (!token) throw new CliError(`${variable} is not set: give the job the Terraform Cloud token (secret TF_API_TOKEN) in that variable`);
  const baseUrl = io.baseUrl ? io.baseUrl(ws.hostname) : `https://${ws.hostname}`;
  return { c: new TfcClient({ baseUrl, token, fetch: io.fetch, pollMs: io.pollMs, log: (l) => io.err(l) }), ws };
}

function program(io: Io, setCode: (n: number) => void): Command {
  const p = new Command("ci").exitOverride().configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  p.command("envs")
    .description("print the registered environments as a JSON array of names (refuses local state)")
    .option("--detail", "print objects with each environment's backend instead of names")
    .action((o: { detail?: boolean }) => {
      const list = ciEnvironments(environments);
      io.out(JSON.stringify(o.detail ? list : list.map((e) => e.env)));
    });
  p.command("record")
    .description("add one stack's outcome to an environment's redacted report")
    .argument("<report>", "the environment's report file (created when missing)")
    .requiredOption("--env <env>", "environment name")
    .requiredOption("--stack <stack>", "stack name")
    .option("--plan <plan.json>", "`terraform show -json` of the stack's plan: status planned, addresses and actions only")
    .option("--status <status>", "pending | failed | skipped (without --plan)")
    .option("--note <text>", "for pending: the stack to apply first; otherwise what failed")
    .action((file: string, o: { env: string; stack: string; plan?: string; status?: string; note?: string }) => {
      const report = loadReport(file, o.env);
      if (o.plan) {
        let changes;
        try {
          changes = redactedChanges(readJson(o.plan));
        } catch (e) {
          throw new CliError(`${o.plan}: ${(e as Error).message}`);
        }
        saveReport(file, recordStack(report, { stack: o.stack, status: "planned", changes }));
        return;
      }
      const allowed: StackStatus[] = ["pending", "failed", "skipped"];
      if (!allowed.includes(o.status as StackStatus)) throw new CliError(`--status must be one of ${allowed.join(", ")} (or give --plan)`);
      saveReport(file, recordStack(report, { stack: o.stack, status: o.status as StackStatus, note: o.note?.split("\n")[0].slice(0, 200) }));
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
      const summary = o.summary && existsSync(o.summary) ? readFileSync(o.summary, "utf8") : "The guard wrote no summary.";
      saveReport(file, { ...report, guard: { exitCode: Number.parseInt(o.exit, 10), summary } });
    });
  p.command("comment")
    .description("render the one pull-request comment from every report; exit 1 when the check must fail")
    .requiredOption("--reports <dir>")
    .requiredOption("--envs <json>", "the environments the run planned (the envs job's output)")
    .requiredOption("--synth <result>", "the synth job's result")
    .requiredOption("--out <file>")
    .option("--run-url <url>")
    .option("--max-length <chars>", "longest text to write (value lines are cut to fit); default: a pull-request comment's limit")
    .action((o: { reports: string; envs: string; synth: string; out: string; runUrl?: string; maxLength?: string }) => {
      let envs: string[] = [];
      try {
        envs = JSON.parse(o.envs) as string[];
      } catch {
        // The envs job failed: the synth result says why, and no environment was planned.
      }
      const maxLength = o.maxLength === undefined ? undefined : Number(o.maxLength);
      if (maxLength !== undefined && !(Number.isInteger(maxLength) && maxLength > 0)) throw new CliError(`--max-length must be a positive whole number of characters, not "${o.maxLength}"`);
      const input = { envs: Array.isArray(envs) ? envs : [], reports: loadReports(o.reports), synth: o.synth, runUrl: o.runUrl, ...(maxLength ? { maxLength } : {}) };
      writeFileSync(o.out, `${renderComment(input)}\n`);
      setCode(failed(input) ? 1 : 0);
    });
  p.command("tfc-mode")
    .description("print the execution mode (remote, agent, local) of a cloud stack's workspace, or `none` for another backend")
    .argument("<stack-dir>")
    .action(async (dir: string) => {
      if (!cloudWorkspaceOf(dir)) return io.out("none");
      const { c, ws } = client(io, dir);
      io.out((await c.workspace(ws)).mode);
    });
  p.command("tfc-plan")
    .description("upload a stack's configuration, run its plan in Terraform Cloud, write the plan JSON and the run id")
    .argument("<stack-dir>")
    .requiredOption("--plan-json <file>", "where to write the plan JSON (keep it in the job: it holds sensitive values)")
    .requiredOption("--run-file <file>", "where to write the run id and status, for tfc-apply")
    .option("--speculative", "a plan-only run that can never be applied (pull requests)")
    .option("--message <text>", "run message", "cmk-stacks CI")
    .action(async (dir: string, o: { planJson: string; runFile: string; speculative?: boolean; message: string }) => {
      const { c, ws } = client(io, dir);
      const { id, mode } = await c.workspace(ws);
      if (mode === "local") throw new CliError(`TFC workspace ${ws.workspace} uses local execution: run terraform in the job instead`);
      // The configuration as Terraform reads it: the stack directory without any local .terraform.
      const tarball = execFileSync("tar", ["-czf", "-", "--exclude=./.terraform", "-C", dir, "."], { maxBuffer: 512 * 1024 * 1024 });
      const run = await c.plan(id, tarball, { speculative: Boolean(o.speculative), message: o.message });
      writeFileSync(o.planJson, JSON.stringify(await c.planJson(run.planId)), { mode: 0o600 });
      writeFileSync(o.runFile, JSON.stringify({ runId: run.runId, status: run.status }));
      io.err(`TFC run ${run.runId}: plan ${run.status}`);
    });
  p.command("tfc-apply")
    .description("confirm and wait for the run tfc-plan started (nothing to do when its plan had no changes)")
    .argument("<stack-dir>")
    .requiredOption("--run-file <file>")
    .action(async (dir: string, o: { runFile: string }) => {
      const run = readJson(o.runFile) as { runId?: string; status?: string };
      if (!run.runId) throw new CliError(`${o.runFile}: no run id`);
      if (run.status === "planned_and_finished") return io.err(`TFC run ${run.runId}: no changes, nothing to apply`);
      const { c } = client(io, dir);
      await c.apply(run.runId, "applied by cmk-stacks CI after the plan guard passed");
      io.err(`TFC run ${run.runId}: applied`);
    });
  p.command("tfc-discard")
    .description("discard the run tfc-plan started (the plan guard refused it)")
    .argument("<stack-dir>")
    .requiredOption("--run-file <file>")
    .action(async (dir: string, o: { runFile: string }) => {
      const run = readJson(o.runFile) as { runId?: string; status?: string };
      if (!run.runId) throw new CliError(`${o.runFile}: no run id`);
      if (run.status === "planned_and_finished") return;
      const { c } = client(io, dir);
      await c.discard(run.runId, "refused by the plan guard in cmk-stacks CI");
      io.err(`TFC run ${run.runId}: discarded`);
    });
  return p;
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
  void runCi(process.argv.slice(2), { out: (s) => process.stdout.write(`${s}\n`), err: (s) => process.stderr.write(`${s}\n`), env: process.env }).then((c) => {
    process.exitCode = c;
  });
}
