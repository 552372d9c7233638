import { awsErrorCode, errorMessage, HookError } from "./errors";

/** One line for any failure: HookErrors as they are, anything else with its AWS code. */
export function oneLineError(step: string, err: unknown): string {
  if (err instanceof HookError) return err.message.replace(/\s*\n\s*/g, " ");
  return `[${step}] ${awsErrorCode(err)}: ${errorMessage(err).replace(/\s*\n\s*/g, " ")}. Next: fix the cause above and re-run (the step is idempotent)`;
}
