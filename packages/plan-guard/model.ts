/** Types shared by the plan guard's reader, rules, allowlist, summary and command line. */
import type { PlanJson } from "./plan-json";

/** One plan to check: the stack it belongs to and `terraform show -json` of its plan. */
export interface LoadedPlan {
  readonly stack: string;
  readonly plan: PlanJson;
  /** Where it was read from (for messages); absent for in-memory plans. */
  readonly file?: string;
  /** Unexpected shapes found while reading (`<file>: <path>: <what>`): each makes the exit code 2. */
  readonly problems?: readonly string[];
}

/**
 * What a resource change does, in the guard's words: Terraform's action lists collapsed
 * (`["delete","create"]` and `["create","delete"]` are both `replace`), plus `drift` for changes
 * made outside Terraform (`resource_drift`).
 */
export type GuardAction =
  "create" | "read" | "update" | "delete" | "replace" | "forget" | "no-op" | "drift" | "unknown";

/** Every action an allowlist entry may name. */
export const ALLOWABLE_ACTIONS: readonly GuardAction[] = ["delete", "replace", "forget", "update", "drift", "unknown"];

/** A change the guard blocks (unless allowed) or reports as risky. */
export interface Finding {
  readonly stack: string;
  readonly address: string;
  readonly type: string;
  readonly action: GuardAction;
  /** Rule id, e.g. `destroy-key-bearing`, `key-disabled`. */
  readonly rule: string;
  readonly severity: "block" | "risky";
  /** Why the change loses data or makes keys unusable. */
  readonly why: string;
  /** How to avoid it. */
  readonly fix: string;
  /** For a blocked finding: why allowlist entries naming this address did not let it through (`allow[2] expired on 2026-11-30`). */
  readonly notAllowed?: readonly string[];
}

/** One entry of the committed allowlist file. */
export interface AllowEntry {
  readonly address: string;
  readonly stack?: string;
  readonly reason: string;
  readonly actions?: readonly GuardAction[];
  /** The digest (`sha256:<64 hex>`) of the one plan this entry allows; another plan of the stack is not allowed. */
  readonly digest?: string;
  /** Last day (`YYYY-MM-DD`, UTC) the entry allows anything; from the next day on it matches nothing. */
  readonly expires?: string;
  /** Position in the file (0-based), for messages. */
  readonly index: number;
}

/**
 * An account declared as sharing keys on purpose (`externalAccounts` of the allowlist file): a key
 * policy that newly grants it something is shown for review instead of blocked.
 */
export interface ExternalAccountEntry {
  /** 12-digit account id. */
  readonly account: string;
  /** Only in this stack's plans. @default - every stack */
  readonly stack?: string;
  readonly reason: string;
  /** Last day (`YYYY-MM-DD`, UTC) of the declaration. @default - it stands until removed */
  readonly expires?: string;
  /** Position in `externalAccounts` (0-based), for messages. */
  readonly index: number;
}

/** An organization declared as sharing keys on purpose (`externalOrganizations` of the allowlist file). */
export interface ExternalOrganizationEntry {
  /** Organization id, `o-...`. */
  readonly organization: string;
  /** Only in this stack's plans. @default - every stack */
  readonly stack?: string;
  readonly reason: string;
  /** Last day (UTC, `YYYY-MM-DD`) the declaration holds. @default - no end */
  readonly expires?: string;
  /** Position in `externalOrganizations` (0-based), for messages. */
  readonly index: number;
}

/** A parsed allowlist and where it came from. */
export interface Allowlist {
  readonly file?: string;
  readonly entries: readonly AllowEntry[];
  /** Accounts keys are shared with on purpose. @default - none */
  readonly externalAccounts?: readonly ExternalAccountEntry[];
  /** Organizations keys are shared with on purpose. @default - none */
  readonly externalOrganizations?: readonly ExternalOrganizationEntry[];
}

/** A blocked finding that an allowlist entry lets through. */
export interface AllowedFinding {
  readonly finding: Finding;
  readonly entry: AllowEntry;
}

/** Counts of resource changes by action, for one stack. */
export interface StackCounts {
  readonly stack: string;
  readonly file?: string;
  readonly terraformVersion?: string;
  readonly counts: Partial<Record<GuardAction, number>>;
  readonly resources: number;
  /** The plan's digest (`planDigest`): what an allowlist entry's `digest` names. */
  readonly digest?: string;
}

/** A node of the key/consumer graph: a resource in a stack, or another stack's output read through remote state. */
export interface GraphNode {
  readonly id: string;
  readonly stack: string;
  readonly address: string;
  readonly type: string;
  readonly action: GuardAction;
  readonly keyLike: boolean;
}

/** `from` depends on (references) `to`. */
export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  /** The attribute of `from` holding the reference (e.g. `kms_key_id`). */
  readonly via: string;
}

/** Everything the guard decided, for the command line, the summary and callers. */
export interface GuardResult {
  readonly stacks: readonly StackCounts[];
  /** Blocking findings that no allowlist entry covers: the run fails when this is not empty. */
  readonly blocked: readonly Finding[];
  readonly allowed: readonly AllowedFinding[];
  readonly risky: readonly Finding[];
  /** Allowlist entries that covered nothing (stale or mistyped). */
  readonly unusedAllowances: readonly AllowEntry[];
  readonly warnings: readonly string[];
  readonly graph: { readonly nodes: readonly GraphNode[]; readonly edges: readonly GraphEdge[] };
  /** Input problems reported by the command line (unreadable files); classification never adds any. */
  readonly inputErrors: readonly string[];
  /** 0 nothing blocked, 1 blocked, 2 input errors. */
  readonly exitCode: 0 | 1 | 2;
}

/** An unreadable or invalid input (plan or allowlist): exit code 2, one line, never a stack trace. */
export class InputError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = "InputError";
  }
}
