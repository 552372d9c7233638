import { Construct } from "constructs";
import type { ITerraformDependable, TerraformResource } from "cdktf";
import { LambdaInvocation } from "@cdktf/provider-aws/lib/lambda-invocation";
import { TerraformData } from "./terraform-data";
import { HookRuntime } from "./hook-runtime";
import { camel, wiringProblems } from "../../hooks/contract";

export { HOOK_BUNDLE_DIR } from "./hook-runtime";

/** One Lambda invocation may run 15 minutes; each attempt keeps 30 s of margin (hooks/lambda.ts). */
const MINUTES_PER_INVOCATION = 14;

export interface HookStepProps {
  /** Step name as the contract (`hooks/contract.ts`) defines it (e.g. `connect-key-store`). */
  readonly step: string;
  readonly region: string;
  /**
   * CLI flags (without `--`) and their values: ids and names only, never secrets. Every value is
   * also a replacement trigger, so Terraform re-runs the step when what it acts on changes and
   * skips it otherwise.
   */
  readonly args: Readonly<Record<string, string>>;
  /** Upper bound for the step's waits. */
  readonly timeoutMinutes: number;
  readonly dependsOn?: readonly ITerraformDependable[];
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
    const problems = wiringProblems(props.step, Object.keys(props.args));
    if (problems.length) throw new Error(`HookStep ${this.node.path}: ${problems.join("; ")}`);
    const runtime = HookRuntime.of(this);
    const triggers = { step: props.step, ...props.args };
    if (runtime.props.runner === "local") {
      const flags = Object.entries(props.args)
        .map(([k, v]) => `--${k} '${v}'`)
        .join(" ");
      this.resource = new TerraformData(this, "run", {
        triggersReplace: triggers,
        dependsOn: props.dependsOn ? [...props.dependsOn] : undefined,
        provisioners: [
          {
            type: "local-exec",
            command: `node "\${path.module}/${runtime.bundlePath()}/hooks.js" ${props.step} --region '${props.region}' --timeout-minutes ${props.timeoutMinutes} ${flags}`,
            environment: { AWS_REGION: props.region, AWS_SDK_LOAD_CONFIG: "1" },
          },
        ],
      });
      return;
    }
    runtime.grantStep(props.step, props.args);
    const fn = runtime.lambda();
    const attempts = Math.max(1, Math.ceil(props.timeoutMinutes / MINUTES_PER_INVOCATION));
    const event = {
      step: props.step,
      region: props.region,
      timeoutMinutes: props.timeoutMinutes,
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
