/**
 * A step failure the operator can act on: the AWS (or hook) error code, what happened, and the
 * next action. The runners print `message` as one line and exit 1 (CLI) or throw it (Lambda).
 */
export class HookError extends Error {
  override readonly name = "HookError";

  constructor(
    /** `[step id]` prefix of the message, e.g. `connect-key-store cks-123`. */
    readonly label: string,
    /** AWS error code / ConnectionErrorCode, or a hook code such as `TIMEOUT`. */
    readonly code: string,
    readonly detail: string,
    /** The operator's next action. */
    readonly action: string,
  ) {
    super(`[${label}] ${code}: ${detail}. Next: ${action}`);
  }
}

/**
 * Thrown when a runner's soft deadline (Lambda remaining time) arrives before the wait is over.
 * Not a failure: the Lambda runner turns it into `{ status: "IN_PROGRESS" }` and a later
 * invocation resumes, since every step describes first.
 */
export class StepInProgress extends Error {
  override readonly name = "StepInProgress";

  constructor(
    readonly label: string,
    readonly state: string,
    readonly elapsedMs: number,
  ) {
    super(`[${label}] still ${state}: yielding before the runner's deadline`);
  }
}

/** Error name/code of an AWS SDK v3 error (or a Node network error), `Unknown` otherwise. */
export function awsErrorCode(err: unknown): string {
  if (typeof err !== "object" || err === null) return "Unknown";
  const e = err as { name?: unknown; code?: unknown; Code?: unknown };
  for (const candidate of [e.code, e.Code, e.name]) {
    if (typeof candidate === "string" && candidate !== "Error" && candidate.length > 0) return candidate;
  }
  return "Unknown";
}

/** Message of any thrown value, without a stack. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Something that can mask registered secrets. */
interface Redactor {
  redact(text: string): string;
}

/**
 * Runs a step body so that nothing it throws can carry a registered secret: HookErrors are
 * rebuilt from redacted parts, anything else becomes an Error with a redacted message and the
 * original name/code (for mapping). StepInProgress carries no free text and passes unchanged.
 */
export async function guarded<T>(log: Redactor, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof StepInProgress) throw err;
    if (err instanceof HookError)
      throw new HookError(err.label, err.code, log.redact(err.detail), log.redact(err.action));
    const safe = new Error(log.redact(errorMessage(err)));
    safe.name = awsErrorCode(err);
    throw Object.assign(safe, { code: awsErrorCode(err) });
  }
}
