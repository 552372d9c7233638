/**
 * Types shared by the teardown's phases: options, what the environment holds (read from each
 * stack's Terraform state), the injected AWS clients and Terraform runner, and how a run ends.
 */
import type { Clock } from "../../../hooks/lib/clock";
import type { RateLimiter } from "../../../hooks/lib/rate-limiter";
import type { PlanJson } from "@cmk-stacks/plan-guard";

/** Anything with an SDK v3 `send` (real clients and aws-sdk-client-mock mocks alike). */
export interface Sender {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  send(command: any): Promise<any>;
}

/** The AWS clients a teardown uses, all in the environment's account and Region. */
export interface TeardownClients {
  readonly kms: Sender;
  readonly s3: Sender;
  readonly cloudhsm: Sender;
  readonly fsx: Sender;
  readonly cloudwatch: Sender;
  readonly logs: Sender;
  /** EventBridge Scheduler: a scale-to-zero environment's schedules are disabled before key deletion. */
  readonly scheduler: Sender;
}

/** What the operator asked for (see the command line for each flag's meaning). */
export interface TeardownOptions {
  readonly env: string;
  readonly region: string;
  /** Act; otherwise describe only (dry run). */
  readonly execute: boolean;
  /** Confirmed in advance (automation): no prompt before a phase acts. */
  readonly yes: boolean;
  /** Delete every object version and delete marker of non-empty buckets. */
  readonly deleteObjects: boolean;
  /** Let Terraform delete FSx file systems (after the operator has backed them up). */
  readonly deleteFileSystems: boolean;
  /** Delete the CloudHSM backups that still hold key material once the cluster is gone. */
  readonly deleteBackups: boolean;
  /** Refuse to delete a key used within this many days. */
  readonly unusedForDays: number;
  /** Delete keys used within `unusedForDays` all the same. */
  readonly force: boolean;
  /** Pending window for ScheduleKeyDeletion (the rulebook's KMS.DELETION_WINDOW_DAYS); default: each key's configured window. */
  readonly pendingWindowDays?: number;
  /** CloudWatch Logs group that receives the account's CloudTrail trail (for the pending-deletion alarm). */
  readonly cloudTrailLogGroup?: string;
  /** Schedule key deletion without the pending-deletion alarm (an account without a CloudTrail log group). */
  readonly withoutAlarm: boolean;
  /** SNS topic the pending-deletion alarm notifies. */
  readonly alarmTopicArn?: string;
}

/** One resource of a stack's Terraform state (`terraform state pull`, values limited to what the teardown reads). */
export interface StateResource {
  readonly address: string;
  readonly type: string;
  readonly values: Readonly<Record<string, unknown>>;
}

/** Runs Terraform for the teardown's guarded phases and reads each stack's state. */
export interface TerraformRunner {
  /** The stack's current state resources (managed mode only); empty when it has no state. */
  state(stack: string): Promise<StateResource[]>;
  /** Writes the phase's configuration into the stack's teardown directory (backend and providers of the synthesized stack), runs init, and returns the directory. */
  prepare(stack: string, config: TeardownConfig): Promise<string>;
  /** `terraform plan -out=<planFile>`. */
  plan(dir: string, planFile: string): Promise<void>;
  /** `terraform show -json <planFile>`. */
  show(dir: string, planFile: string): Promise<PlanJson>;
  /** `terraform apply <planFile>`: exactly the reviewed plan. */
  apply(dir: string, planFile: string): Promise<void>;
}

/** A teardown configuration: no resources (so everything in state is deleted) except what `removed` forgets. */
export interface TeardownConfig {
  readonly removed: readonly { from: string; lifecycle: { destroy: false } }[];
}

/** Where the teardown writes and asks. */
export interface TeardownIo {
  readonly out: (line: string) => void;
  /** Asks a yes/no question; resolves false when there is no one to ask. */
  readonly confirm: (question: string) => Promise<boolean>;
}

/** Everything a teardown run needs besides its options. */
export interface TeardownDeps {
  readonly clients: TeardownClients;
  readonly terraform: TerraformRunner;
  readonly io: TeardownIo;
  readonly clock: Clock;
  /** Shared 5 requests/s limiter for GetKeyLastUsage and the *CustomKeyStore APIs. */
  readonly kmsLimiter: RateLimiter;
  /** Committed allowlist file (plan-guard.allow.json), when there is one. */
  readonly allowlistFile?: string;
  /** Polling interval for waits inside one run (disconnect, HSM deletion). @default 15 s */
  readonly pollMs?: number;
  /** Longest wait inside one run before stopping with "run again". @default 30 min */
  readonly maxWaitMs?: number;
}

/**
 * How a run ended. `finished`: nothing left; `progressed`/`dry-run`: see the lines;
 * `waiting`: AWS must act first (run again after `runAgainAfter`); `refused`: the operator must
 * decide (a flag, a backup, a confirmation).
 */
export type Outcome = "finished" | "dry-run" | "waiting" | "refused";

/** Thrown by a phase to stop the run: the operator must act (refused) or AWS must (waiting). */
export class TeardownStop extends Error {
  constructor(
    readonly outcome: "refused" | "waiting",
    message: string,
    readonly runAgainAfter?: Date,
  ) {
    super(message);
    this.name = "TeardownStop";
  }
}

/** The result of a run and its exit code: 0 finished or dry run, 1 refused, 3 waiting. */
export interface TeardownResult {
  readonly outcome: Outcome;
  readonly exitCode: 0 | 1 | 3;
  readonly runAgainAfter?: Date;
}

/** `2026-12-14` */
export function day(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** `2026-12-14 09:30 UTC` */
export function when(d: Date): string {
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** A string attribute of a state resource, or undefined. */
export function str(r: StateResource, key: string): string | undefined {
  const v = r.values[key];
  return typeof v === "string" && v !== "" ? v : undefined;
}
