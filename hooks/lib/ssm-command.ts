import {
  GetCommandInvocationCommand,
  ListCommandsCommand,
  SendCommandCommand,
  type GetCommandInvocationCommandOutput,
  type ListCommandsCommandOutput,
  type SendCommandCommandOutput,
} from "@aws-sdk/client-ssm";
import { HOOKS } from "@cmk-stacks/aws-limits";
import { COMMAND_POLL } from "./backoff";
import { awsErrorCode, errorMessage, HookError } from "./errors";
import type { ProgressReporter } from "./progress";
import { withRetry } from "./retry";
import type { Sender, StepRuntime } from "./runtime";
import { waitUntil } from "./wait";

const TERMINAL = new Set(["Success", "Failed", "Cancelled", "TimedOut"]);
const IN_FLIGHT = new Set(["Pending", "InProgress", "Delayed"]);

/** `'value'` for a POSIX shell; values are also validated by the steps before they get here. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export interface RunCommandInput {
  readonly ssm: Sender;
  readonly instanceId: string;
  /** Script body for AWS-RunShellScript. Stored in SSM command history: ids only, never a secret. */
  readonly script: string;
  /** Identifies this step's command in ListCommands so a resumed run re-attaches instead of re-sending. */
  readonly comment: string;
  readonly runtime: StepRuntime;
  readonly progress: ProgressReporter;
  readonly executionTimeoutSeconds?: number;
}

export interface CommandOutcome {
  readonly commandId: string;
  readonly status: string;
  readonly responseCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a shell script on the admin instance through SSM Run Command and waits for it to finish.
 * A command with the same comment still in flight (a previous, interrupted run) is re-attached.
 * Resolves with the outcome whatever the exit status; the step interprets it.
 */
export async function runShellCommand(input: RunCommandInput): Promise<CommandOutcome> {
  const { ssm, instanceId, runtime, progress } = input;
  const retry = { ...runtime, label: progress.label };

  let commandId = await findInFlight(input);
  if (commandId) {
    progress.note(`re-attaching to command ${commandId} still running on ${instanceId}`);
  } else {
    try {
      const sent = (await withRetry(
        "SendCommand",
        () =>
          ssm.send(
            new SendCommandCommand({
              DocumentName: "AWS-RunShellScript",
              InstanceIds: [instanceId],
              Comment: input.comment.slice(0, 100),
              Parameters: {
                commands: [input.script],
                executionTimeout: [
                  String(input.executionTimeoutSeconds ?? HOOKS.SSM_EXECUTION_TIMEOUT_SECONDS_DEFAULT.value),
                ],
              },
            }),
          ),
        retry,
      )) as SendCommandCommandOutput;
      commandId = sent.Command?.CommandId;
    } catch (err) {
      throw sendError(progress.label, instanceId, err);
    }
    if (!commandId)
      throw new HookError(
        progress.label,
        "SendCommandNoId",
        "SSM returned no command id",
        "re-run; if it repeats, check the SSM service health",
      );
  }

  const id = commandId;
  const final = await waitUntil<GetCommandInvocationCommandOutput | { Status: "Pending" }>({
    runtime,
    progress,
    target: `command ${id} to finish on ${instanceId}`,
    policy: COMMAND_POLL,
    first: { Status: "Pending" as const },
    describe: async () => {
      try {
        return (await ssm.send(
          new GetCommandInvocationCommand({ CommandId: id, InstanceId: instanceId }),
        )) as GetCommandInvocationCommandOutput;
      } catch (err) {
        // The invocation is not visible for a moment after SendCommand.
        if (awsErrorCode(err) === "InvocationDoesNotExist") return { Status: "Pending" as const };
        throw err;
      }
    },
    stateOf: (s) => `command ${s.Status ?? "Pending"}`,
    done: (s) => TERMINAL.has(s.Status ?? ""),
    timeoutAction: `check the command ${id} in the SSM console (Run Command history) and the admin instance's SSM agent, then re-run`,
  });
  const out = final as GetCommandInvocationCommandOutput;
  return {
    commandId: id,
    status: out.Status ?? "Unknown",
    responseCode: out.ResponseCode ?? -1,
    stdout: out.StandardOutputContent ?? "",
    stderr: out.StandardErrorContent ?? "",
  };
}

async function findInFlight(input: RunCommandInput): Promise<string | undefined> {
  try {
    const listed = (await withRetry(
      "ListCommands",
      () => input.ssm.send(new ListCommandsCommand({ InstanceId: input.instanceId, MaxResults: 50 })),
      {
        ...input.runtime,
        label: input.progress.label,
      },
    )) as ListCommandsCommandOutput;
    const match = (listed.Commands ?? []).find(
      (c) => c.Comment === input.comment.slice(0, 100) && IN_FLIGHT.has(c.Status ?? ""),
    );
    return match?.CommandId;
  } catch (err) {
    throw sendError(input.progress.label, input.instanceId, err);
  }
}

function sendError(label: string, instanceId: string, err: unknown): HookError {
  const code = awsErrorCode(err);
  const actions: Record<string, string> = {
    InvalidInstanceId: `check that ${instanceId} is running and online in SSM Fleet Manager (SSM agent, instance profile with AmazonSSMManagedInstanceCore, a path to the SSM endpoints)`,
    AccessDeniedException: `grant the hook role ssm:SendCommand on document AWS-RunShellScript and instance ${instanceId}, ssm:ListCommands and ssm:GetCommandInvocation`,
    UnsupportedPlatformType: `use a Linux admin instance (the scripts need bash)`,
  };
  return new HookError(
    label,
    code,
    `SSM Run Command on ${instanceId} failed: ${errorMessage(err)}`,
    actions[code] ?? "fix the cause above and re-run (the step is idempotent)",
  );
}

/** The value after `HOOK_RESULT ` in a script's output (the scripts print exactly one). */
export function hookResult(stdout: string): string | undefined {
  const m = /^HOOK_RESULT (\S+)/m.exec(stdout);
  return m?.[1];
}

/** Last lines of a command's output for an error message (already redacted by the logger's caller). */
export function tail(text: string, lines = 5): string {
  return text.trim().split(/\r?\n/).slice(-lines).join(" | ");
}
