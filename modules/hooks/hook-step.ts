import { Construct } from "constructs";
import { HOOKS, inRange } from "@cmk-stacks/aws-limits";
import { Token, type ITerraformDependable, type TerraformResource } from "cdktf";
import { LambdaInvocation } from "@cdktf/provider-aws/lib/lambda-invocation";
import { TerraformData } from "./terraform-data";
import { HookRuntime } from "./hook-runtime";
import { camel, isStepName, STEP_CONTRACT, STEP_NAMES, wiringProblems, type StepSpec } from "../../hooks/contract";
import { EnvironmentStack } from "../core/environment-stack";
import { shown, throwIfProblems } from "../core/errors";

export { HOOK_BUNDLE_DIR } from "./hook-runtime";

/** One Lambda invocation may run 15 minutes; each attempt keeps 30 s of margin (hooks/lambda.ts): {@link HOOKS.MINUTES_PER_INVOCATION}. */
const MINUTES_PER_INVOCATION = HOOKS.MINUTES_PER_INVOCATION;

/** Bounds and default of a step's wait: the rulebook's {@link HOOKS.TIMEOUT_MINUTES} and {@link HOOKS.TIMEOUT_MINUTES_DEFAULT}. */
export const HOOK_TIMEOUT_MINUTES = {
  min: HOOKS.TIMEOUT_MINUTES.min,
  max: HOOKS.TIMEOUT_MINUTES.max,
  default: HOOKS.TIMEOUT_MINUTES_DEFAULT.value,
} as const;

export interface HookStepProps {
  /** Step name as the contract (`hooks/contract.ts`) defines it (e.g. `connect-key-store`). */
  readonly step: string;
  /**
   * CLI flags (without `--`) and their values: ids and names only, never secrets. Every value is
   * also a replacement trigger, so Terraform re-runs the step when what it acts on changes and
   * skips it otherwise. Exactly the flags the contract defines for the step.
   */
  readonly args: Readonly<Record<string, string>>;
  /** Upper bound for the step's waits, within {@link HOOKS.TIMEOUT_MINUTES}. @default - the rulebook's {@link HOOKS.TIMEOUT_MINUTES_DEFAULT} */
  readonly timeoutMinutes?: number;
  /** What must exist before the step runs. @default [] */
  readonly dependsOn?: readonly ITerraformDependable[];
  /**
   * The VPC of the cluster the step acts on: the lambda runner's role holds the EC2 rights of a step
   * that creates HSMs (`ensure-hsms`) to it. Not a flag of the step.
   * @default - none (required by such steps on the lambda runner)
   */
  readonly vpcId?: string;
}

/**
 * Hook wiring (synth time): puts one step of the bootstrap program (`hooks/`, run at deploy time)
 * into the Terraform graph. The step and its flags must be exactly those of the contract
 * (`hooks/contract.ts`), whichever runner the stack uses.
 *
 * One bootstrap step in the Terraform graph, run by the stack's {@link HookRuntime}:
 * - local runner: a `terraform_data` resource whose create-time `local-exec` runs the bundled
 *   hook with Node. The bundle travels with the stack as a CDKTF asset, so
 *   `cdktf deploy <env>-keys` runs it from any working directory.
 * - lambda runner: a chain of `aws_lambda_invocation` resources (one per 14 minutes of
 *   `timeoutMinutes`); each resumes where the previous stopped (steps describe first) and the
 *   last fails instead of returning IN_PROGRESS, so a 30-minute key-store connection converges
 *   within one apply.
 * Inputs are ids (secrets are read by the hook from Secrets Manager, never passed).
 * `resource` is what later resources depend on: the step has finished when it exists.
 */
export class HookStep extends Construct {
  readonly resource: TerraformResource;

  constructor(scope: Construct, id: string, props: HookStepProps) {
    super(scope, id);
    throwIfProblems(hookStepProblems(this.node.path, props));
    const runtime = HookRuntime.of(this);
    const region = EnvironmentStack.of(this).region;
    const timeoutMinutes = props.timeoutMinutes ?? HOOK_TIMEOUT_MINUTES.default;
    const triggers = { step: props.step, ...props.args };
    if (runtime.runner === "local") {
      const flags = Object.entries(props.args)
        .map(([k, v]) => `--${k} '${v}'`)
        .join(" ");
      this.resource = new TerraformData(this, "run", {
        triggersReplace: triggers,
        dependsOn: props.dependsOn ? [...props.dependsOn] : undefined,
        provisioners: [
          {
            type: "local-exec",
            command: `node "\${path.module}/${runtime.bundlePath()}/hooks.js" ${props.step} --region '${region}' --timeout-minutes ${timeoutMinutes} ${flags}`,
            environment: { AWS_REGION: region, AWS_SDK_LOAD_CONFIG: "1" },
          },
        ],
      });
      return;
    }
    runtime.grantStep(props.step, props.args, props.vpcId);
    const fn = runtime.lambda();
    const attempts = Math.max(1, Math.ceil(timeoutMinutes / MINUTES_PER_INVOCATION));
    const event = {
      step: props.step,
      region,
      timeoutMinutes,
      ...Object.fromEntries(Object.entries(props.args).map(([k, v]) => [camel(k), v])),
    };
    let previous: readonly ITerraformDependable[] = props.dependsOn ?? [];
    let last: LambdaInvocation | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      last = new LambdaInvocation(this, `invoke-${attempt}`, {
        functionName: fn.functionName,
        input: JSON.stringify({ ...event, attempt, finalAttempt: attempt === attempts }),
        triggers: triggers,
        dependsOn: [...previous, fn],
      });
      previous = [last];
    }
    this.resource = last as LambdaInvocation;
  }
}

/**
 * What {@link HookStep} refuses, one line each (`where` is its construct path): a step or flag the
 * contract does not define, a wait out of bounds, and a literal value the local runner's shell
 * command could not quote (its flags are single-quoted).
 */
function hookStepProblems(where: string, props: HookStepProps): string[] {
  const problems: string[] = [];
  if (!isStepName(props.step)) {
    problems.push(
      `${where}.step: ${shown(props.step)} is not allowed (a step of the hook contract: ${STEP_NAMES.join(", ")})`,
    );
  } else if ((STEP_CONTRACT[props.step] as StepSpec).cliOnly) {
    // Neither runner may run it from the graph: it reads a secret from an operator's standard input.
    problems.push(
      `${where}.step: ${shown(props.step)} is not allowed (an operator runs it from the command line, never Terraform: ${(STEP_CONTRACT[props.step] as StepSpec).cliOnly})`,
    );
  } else {
    for (const problem of wiringProblems(props.step, Object.keys(props.args)))
      problems.push(`${where}.args: ${shown(Object.keys(props.args))} is not allowed (${problem})`);
  }
  for (const [flag, value] of Object.entries(props.args)) {
    if (!Token.isUnresolved(value) && /['\n\r]/.test(value))
      problems.push(
        `${where}.args.${flag}: ${shown(value)} is not allowed (an id or name without quotes or line breaks: the local runner passes it single-quoted to a shell)`,
      );
  }
  const t = props.timeoutMinutes;
  if (t !== undefined && !inRange(HOOKS.TIMEOUT_MINUTES, t))
    problems.push(`${where}.timeoutMinutes: ${shown(t)} is not allowed (${HOOKS.timeoutMinutesAllowed()})`);
  return problems;
}
