import { HOOKS } from "@cmk-stacks/aws-limits";
import { createClients, type HookClients } from "./lib/clients";
import { formatDuration, realClock, type Clock } from "./lib/clock";
import { HookError, StepInProgress } from "./lib/errors";
import { RedactingLogger, type LogSink } from "./lib/logger";
import { RateLimiter, CUSTOM_KEY_STORE_RPS } from "./lib/rate-limiter";
import {
  isStepName,
  LAMBDA_EVENT_FIELDS,
  parseStepInput,
  STEP_CONTRACT,
  type StepArgs,
  type StepSpec,
} from "./contract";
import { STEP_RUNNERS } from "./dispatch";
import { oneLineError } from "./lib/one-line";

/**
 * Lambda runner of the bootstrap program (`hooks.handler` in the bundle).
 *
 * Event: the step name plus the step's arguments as in the contract (`hooks/contract.ts`: the CLI
 * flags in camelCase; a field the step does not take is refused). `region` defaults to the
 * function's AWS_REGION. `attempt` numbers the invocations of a chain; `finalAttempt: true` turns
 * "still waiting at the deadline" into a failure (the last invocation of a chain must not report
 * success).
 */
export interface HookEvent extends Partial<
  Omit<StepArgs, "minHsms" | "days" | "force" | "validDays" | "reimport" | "rotate">
> {
  readonly step: string;
  /** Numbers and flags may arrive as strings (aws_lambda_invocation inputs carry every flag as on the command line). */
  readonly minHsms?: number | string;
  readonly days?: number | string;
  readonly force?: boolean | string;
  readonly validDays?: number | string;
  readonly reimport?: boolean | string;
  readonly rotate?: boolean | string;
  readonly timeoutMinutes?: number | string;
  readonly attempt?: number;
  readonly finalAttempt?: boolean;
}

/** Handler result. Failures are thrown (the invocation fails) with the mapped one-line message. */
export type HookResponse =
  | {
      readonly status: "DONE";
      readonly step: string;
      readonly state: string;
      readonly alreadyDone: boolean;
      readonly elapsed: string;
    }
  | { readonly status: "IN_PROGRESS"; readonly step: string; readonly state: string; readonly elapsed: string };

/** The part of the Lambda context the handler uses. */
export interface LambdaContextLike {
  getRemainingTimeInMillis(): number;
}

export interface HandlerDeps {
  readonly clients?: (region: string) => HookClients;
  readonly clock?: Clock;
  readonly sink?: LogSink;
  /** Time kept in reserve before the invocation's end to return cleanly. Default: the rulebook's {@link HOOKS.LAMBDA_RESERVE_SECONDS}. */
  readonly reserveMs?: number;
}

/**
 * Builds the handler. A wait that cannot finish before the invocation ends returns
 * IN_PROGRESS (not an error); invoking again with the same event resumes, because every step
 * describes first and acts only if needed.
 */
export function createHandler(
  deps: HandlerDeps = {},
): (event: HookEvent, context: LambdaContextLike) => Promise<HookResponse> {
  return async (event, context) => {
    const clock = deps.clock ?? realClock;
    const log = new RedactingLogger(deps.sink);
    const started = clock.now();
    // Steps only an operator's command line may run are refused before their input is even read.
    const cliOnly = isStepName(event.step) ? (STEP_CONTRACT[event.step] as StepSpec).cliOnly : undefined;
    if (cliOnly)
      throw new HookError(
        event.step,
        "CommandLineOnly",
        `the Lambda runner does not run ${event.step}: ${cliOnly}`,
        `run it from an operator's machine (hooks/README.md)`,
      );
    const input: Record<string, unknown> = { ...event, region: event.region ?? process.env.AWS_REGION ?? "" };
    for (const field of LAMBDA_EVENT_FIELDS) delete input[field];
    const parsed = parseStepInput(event.step, input);
    if (!parsed.ok)
      throw new HookError(
        isStepName(event.step) ? event.step : "hooks",
        "InvalidInput",
        parsed.problems.join("; "),
        "fix the aws_lambda_invocation input",
      );
    const { step, args } = parsed;

    const yieldAt =
      started + context.getRemainingTimeInMillis() - (deps.reserveMs ?? HOOKS.LAMBDA_RESERVE_SECONDS.value * 1000);
    const timeoutMs = args.timeoutMinutes * 60_000;
    try {
      const result = await STEP_RUNNERS[step](args, (deps.clients ?? createClients)(args.region), {
        clock,
        log,
        timeoutMs,
        yieldAt,
        limiter: new RateLimiter(clock, CUSTOM_KEY_STORE_RPS),
      });
      return {
        status: "DONE",
        step,
        state: result.state,
        alreadyDone: result.status === "ALREADY_DONE",
        elapsed: formatDuration(clock.now() - started),
      };
    } catch (err) {
      if (err instanceof StepInProgress) {
        if (event.finalAttempt) {
          throw new Error(
            log.redact(
              new HookError(
                err.label,
                "TIMEOUT",
                `still ${err.state} when the last invocation ended`,
                "re-apply (the next invocation resumes the wait) or raise the number of invocations in the chain",
              ).message,
            ),
          );
        }
        log.info(
          `[${err.label}] yielding: still ${err.state} after ${formatDuration(err.elapsedMs)}; invoke again to resume`,
        );
        return { status: "IN_PROGRESS", step, state: err.state, elapsed: formatDuration(clock.now() - started) };
      }
      // Lambda prints thrown errors with their stack: throw a plain Error carrying only the redacted line.
      throw new Error(log.redact(oneLineError(step, err)));
    }
  };
}

/** The Lambda entry point (`hooks.handler` in the bundle). */
export const handler = createHandler();

/**
 * How a chain of invocations converges: invoke, and while the answer is IN_PROGRESS invoke again
 * with the same event, the last time with `finalAttempt: true`. This is what a chain of
 * `aws_lambda_invocation` resources (attempt 1..n, each depending on the previous) does in
 * Terraform; each invocation resumes the wait because steps describe first.
 */
export async function invokeUntilDone(
  invoke: (event: HookEvent) => Promise<HookResponse>,
  event: HookEvent,
  opts: { readonly maxInvocations: number },
): Promise<{ readonly result: HookResponse; readonly invocations: number }> {
  for (let i = 1; ; i++) {
    const result = await invoke({ ...event, finalAttempt: i >= opts.maxInvocations });
    if (result.status === "DONE" || i >= opts.maxInvocations) return { result, invocations: i };
  }
}
