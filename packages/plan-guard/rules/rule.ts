/** A guard rule: a pure function of one plan (through its index) returning findings. */
import type { ResourceChange } from "../plan-json";
import type { Finding, GuardAction } from "../model";
import type { PlanIndex } from "../plan-index";

/** One cluster as `aws cloudhsmv2 describe-clusters` shows it (the fields the guard reads). */
export interface LiveCluster {
  readonly ClusterId: string;
  readonly Hsms: readonly {
    readonly HsmId: string;
    readonly AvailabilityZone?: string;
    readonly SubnetId?: string;
    readonly EniId?: string;
    readonly EniIp?: string;
    readonly State?: string;
  }[];
}

/** What a rule knows besides the plan. */
export interface RuleContext {
  /** The CloudHSM clusters as AWS describes them now (`--cloudhsm-clusters`). @default - not known */
  readonly cloudHsmClusters?: readonly LiveCluster[];
  /** Accounts declared as sharing keys on purpose for this stack (allowlist `externalAccounts`), with the reason. */
  readonly declaredAccounts: ReadonlyMap<string, string>;
  /** Organizations declared for this stack (allowlist `externalOrganizations`), with the reason. @default - none */
  readonly declaredOrganizations?: ReadonlyMap<string, string>;
}

/**
 * How a blocked change is let through, in every rule's advice: an allowlist entry names the change
 * it allows (plan digest and/or expiry), never only an address and a reason.
 */
export const ALLOW_HOW =
  "an entry in plan-guard.allow.json with its address, a reason, and this plan's digest (the PLAN line) and/or the last day it applies (expires)";

/** One rule of the guard. */
export type Rule = (idx: PlanIndex, ctx: RuleContext) => Finding[];

/** The address a finding names: deposed objects (left over by create_before_destroy) say so. */
export function addressOf(rc: ResourceChange): string {
  return rc.deposed ? `${rc.address} (deposed ${rc.deposed})` : rc.address;
}

/** Builds a finding for a resource change. */
export function finding(
  idx: PlanIndex,
  rc: ResourceChange,
  action: GuardAction,
  rule: string,
  severity: Finding["severity"],
  why: string,
  fix: string,
): Finding {
  return { stack: idx.stack, address: addressOf(rc), type: rc.type, action, rule, severity, why, fix };
}

/** Top-level attributes whose value changes (or becomes unknown); values are never shown, they may be secrets. */
export function changedAttributes(rc: ResourceChange): string[] {
  const before = rc.change.before;
  const after = rc.change.after;
  const unknown = rc.change.after_unknown;
  const b = before && typeof before === "object" && !Array.isArray(before) ? before : {};
  const a = after && typeof after === "object" && !Array.isArray(after) ? after : {};
  const u = unknown && typeof unknown === "object" && !Array.isArray(unknown) ? unknown : {};
  const keys = new Set([...Object.keys(b), ...Object.keys(a)]);
  return [...keys]
    .filter(
      (k) =>
        (u as Record<string, unknown>)[k] === true || JSON.stringify(b[k] ?? null) !== JSON.stringify(a[k] ?? null),
    )
    .sort();
}
