/**
 * A guarded Terraform phase of the teardown: a configuration with no resources (so Terraform
 * deletes everything the stack's state holds) except `removed { lifecycle { destroy = false } }`
 * blocks for what the teardown handles through the API (Terraform forgets those). Removing a
 * resource's block is also how `prevent_destroy` is lifted: it protects only resources still in
 * the configuration (https://developer.hashicorp.com/terraform/language/resources/syntax#removing-resources,
 * https://developer.hashicorp.com/terraform/language/meta-arguments/lifecycle#prevent_destroy).
 *
 * The plan is checked against the phase's intent (every change must be a planned delete or forget
 * of a resource in the state), the plan guard runs with the committed allowlist plus entries
 * generated for exactly this plan (each carries the plan's digest), the operator confirms, and
 * `terraform apply` applies that saved plan file after its digest is checked again.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  blockLine,
  classifyPlans,
  formatResult,
  loadAllowlist,
  planDigest,
  type Allowlist,
  type GuardAction,
  type PlanJson,
} from "@cmk-stacks/plan-guard";
import { TeardownStop, type StateResource, type TeardownConfig, type TeardownDeps } from "./model";

/** What the phase means to do with each resource of the state. */
export interface PhaseIntent {
  readonly stack: string;
  /** address -> the reason Terraform forgets it instead of deleting it. */
  readonly forget: ReadonlyMap<string, string>;
  /** address -> why deleting it is safe now. */
  readonly remove: ReadonlyMap<string, string>;
}

/** An allowlist entry for one change of the phase's plan, in the committed file's shape. */
export interface PhaseAllowEntry {
  readonly address: string;
  readonly stack: string;
  readonly actions: GuardAction[];
  readonly reason: string;
  /** `sha256:<64 hex>`: the digest of the plan this entry was made for. */
  readonly digest: string;
}

/** The resource address without an instance key (`removed.from` takes a resource, not an instance). */
export function resourceAddress(address: string): string {
  return address.replace(/\[[^\]]*\]$/, "");
}

/** Splits a state into forget / delete by `forgetReason` (undefined: delete with `deleteReason`). */
export function intentFor(
  stack: string,
  state: readonly StateResource[],
  forgetReason: (r: StateResource) => string | undefined,
  deleteReason: (r: StateResource) => string,
): PhaseIntent {
  const forget = new Map<string, string>();
  const remove = new Map<string, string>();
  for (const r of state) {
    const why = forgetReason(r);
    if (why) forget.set(r.address, why);
    else remove.set(r.address, deleteReason(r));
  }
  return { stack, forget, remove };
}

/** The phase's Terraform configuration: only `removed` blocks (the backend and providers are added by the runner). */
export function phaseConfig(intent: PhaseIntent): TeardownConfig {
  const from = [...new Set([...intent.forget.keys()].map(resourceAddress))].sort();
  return { removed: from.map((f) => ({ from: f, lifecycle: { destroy: false as const } })) };
}

function actionsOf(rc: { change: { actions: string[] } }): string {
  const a = rc.change.actions;
  if (a.length === 2 && a.includes("delete") && a.includes("create")) return "replace";
  return a.join("+");
}

/** Changes in the plan that the phase did not intend (creates, updates, deletes of unknown resources...). */
export function unintendedChanges(plan: PlanJson, intent: PhaseIntent): string[] {
  const out: string[] = [];
  for (const rc of plan.resource_changes ?? []) {
    const action = actionsOf(rc);
    if (action === "no-op" || action === "read") continue;
    if (action === "delete" && intent.remove.has(rc.address)) continue;
    if (action === "forget" && intent.forget.has(rc.address)) continue;
    out.push(`${rc.address} (${action})`);
  }
  return out;
}

/**
 * The allowlist entries for this plan: one per change the guard blocks that the phase intends,
 * each with the plan's digest, so they allow this change and no other.
 */
export function phaseEntries(plan: PlanJson, intent: PhaseIntent, committed: Allowlist | undefined): PhaseAllowEntry[] {
  const digest = planDigest(plan);
  const result = classifyPlans([{ stack: intent.stack, plan }], committed, { withoutGraph: true });
  const entries: PhaseAllowEntry[] = [];
  for (const f of result.blocked) {
    const reason =
      f.action === "forget"
        ? intent.forget.get(f.address)
        : f.action === "delete"
          ? intent.remove.get(f.address)
          : undefined;
    if (!reason) continue;
    if (entries.some((e) => e.address === f.address && e.actions.includes(f.action))) continue;
    entries.push({
      address: f.address,
      stack: intent.stack,
      actions: [f.action],
      reason: `teardown of ${intent.stack}: ${reason}`,
      digest,
    });
  }
  return entries;
}

/**
 * The allowlist file of a phase: the committed file's entries (allow, externalAccounts,
 * externalOrganizations, as parsed) plus this plan's, in the shape packages/plan-guard/allowlist.ts reads.
 */
export function allowlistDocument(
  committed: Allowlist | undefined,
  entries: readonly PhaseAllowEntry[],
): Record<string, unknown> {
  const strip = <T extends { index: number }>({ index: _i, ...rest }: T) => rest;
  return {
    allow: [...(committed?.entries ?? []).map(strip), ...entries],
    ...(committed?.externalAccounts?.length ? { externalAccounts: committed.externalAccounts.map(strip) } : {}),
    ...(committed?.externalOrganizations?.length
      ? { externalOrganizations: committed.externalOrganizations.map(strip) }
      : {}),
  };
}

/** The committed allowlist, or none. */
function committedAllowlist(file: string | undefined): Allowlist | undefined {
  return file ? loadAllowlist(file) : undefined;
}

/** Runs one guarded Terraform phase (execute mode). Returns once the plan is applied; throws TeardownStop otherwise. */
export async function runTerraformPhase(deps: TeardownDeps, yes: boolean, intent: PhaseIntent): Promise<void> {
  const dir = await deps.terraform.prepare(intent.stack, phaseConfig(intent));
  const planFile = "teardown.tfplan";
  await deps.terraform.plan(dir, planFile);
  try {
    await reviewAndApply(deps, yes, intent, dir, planFile);
  } finally {
    // A saved plan holds the state's sensitive values in cleartext (so does its JSON, which is
    // never written): it does not outlive the run.
    rmSync(join(dir, planFile), { force: true });
  }
}

async function reviewAndApply(
  deps: TeardownDeps,
  yes: boolean,
  intent: PhaseIntent,
  dir: string,
  planFile: string,
): Promise<void> {
  const { io } = deps;
  const plan = await deps.terraform.show(dir, planFile);
  const unintended = unintendedChanges(plan, intent);
  if (unintended.length) {
    throw new TeardownStop(
      "refused",
      `the ${intent.stack} teardown plan would also change what the teardown does not intend: ${unintended.join(", ")}; nothing applied (has the state or the configuration changed?)`,
    );
  }
  const committed = committedAllowlist(deps.allowlistFile);
  const entries = phaseEntries(plan, intent, committed);
  const digest = planDigest(plan);
  // The file the guard's command line can be run with: the committed entries plus this phase's own.
  const allowFile = join(dir, "plan-guard.teardown.allow.json");
  writeFileSync(allowFile, `${JSON.stringify(allowlistDocument(committed, entries), null, 2)}\n`);
  io.out(`  plan digest ${digest}`);
  io.out(`  allowlist entries for this plan (also in ${allowFile}):`);
  for (const e of entries) io.out(`    ${JSON.stringify(e)}`);
  // Read back by the guard's own parser (every entry must carry `digest` and/or `expires`, and
  // the guard checks each digest against this plan): what the guard decides here is what
  // `npm run plan:guard -- --allowlist <that file>` decides.
  const merged = loadAllowlist(allowFile);
  const guard = classifyPlans([{ stack: intent.stack, plan }], merged, { withoutGraph: true });
  for (const l of formatResult(guard)) io.out(`  ${l}`);
  if (guard.exitCode !== 0) {
    throw new TeardownStop(
      "refused",
      `the plan guard blocks the ${intent.stack} teardown plan: ${guard.blocked.map(blockLine).join("; ") || guard.inputErrors.join("; ")}`,
    );
  }
  const forgets = (plan.resource_changes ?? []).filter((rc) => actionsOf(rc) === "forget").map((rc) => rc.address);
  const deletes = (plan.resource_changes ?? []).filter((rc) => actionsOf(rc) === "delete").map((rc) => rc.address);
  io.out(`  Terraform will delete ${deletes.length} and forget ${forgets.length} resource(s) of ${intent.stack}:`);
  for (const a of deletes) io.out(`    delete ${a}`);
  for (const a of forgets) io.out(`    forget ${a} (${intent.forget.get(a) ?? ""})`);
  if (!yes && !(await io.confirm(`Apply this plan to ${intent.stack} (digest ${digest})?`))) {
    throw new TeardownStop(
      "refused",
      `not confirmed: nothing applied to ${intent.stack}; run again (or pass --yes) to continue`,
    );
  }
  // The saved plan must still be the reviewed one.
  const again = planDigest(await deps.terraform.show(dir, planFile));
  if (again !== digest)
    throw new TeardownStop(
      "refused",
      `the plan file of ${intent.stack} changed after review (digest ${again}, reviewed ${digest}); nothing applied`,
    );
  await deps.terraform.apply(dir, planFile);
  io.out(`  applied: ${intent.stack} deleted ${deletes.length}, forgot ${forgets.length}`);
}
