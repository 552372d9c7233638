import { Construct } from "constructs";
import { CLOUDHSM } from "@cmk-stacks/aws-limits";
import type { ITerraformDependable } from "cdktf";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaFunctionEventInvokeConfig } from "@cdktf/provider-aws/lib/lambda-function-event-invoke-config";
import { SchedulerSchedule } from "@cdktf/provider-aws/lib/scheduler-schedule";
import { SchedulerScheduleGroup } from "@cdktf/provider-aws/lib/scheduler-schedule-group";
import {
  cronExpression,
  invocationsFor,
  MINUTES_BETWEEN_INVOCATIONS,
  scaleTimesProblems,
  type ScaleToZeroTimes,
  type ScaleWindow,
  windowOf,
} from "../../hooks/lib/scale-window";

export { MINUTES_BETWEEN_INVOCATIONS, invocationsFor, type ScaleToZeroTimes };
import { EnvironmentStack } from "../core/environment-stack";
import { shown, throwIfProblems } from "../core/errors";
import { HookRuntime } from "../hooks/hook-runtime";

export interface ScaleToZeroScheduleProps extends ScaleToZeroTimes {
  readonly clusterId: string;
  readonly keyStoreId: string;
  /** The cluster's VPC: the schedules' EC2 rights (HSM network interfaces, security groups) are held to it. */
  readonly vpcId: string;
  /** AZ of each HSM the scale-up creates (`cloudHsm.hsmAzs`). */
  readonly hsmAzs: readonly string[];
  /** Budget of one scale run (`hooks.timeoutMinutes`), within {@link HOOKS.TIMEOUT_MINUTES}. */
  readonly timeoutMinutes: number;
  /** The schedules start once the store exists and is connected. */
  readonly after: readonly ITerraformDependable[];
}

/**
 * Scale to zero for a non-production CloudHSM key store (docs/cloudhsm.md "Scale to zero"): EventBridge
 * Scheduler schedules (cron in the configured time zone) that invoke the stack's hook function with
 * `scale-down` and `scale-up` on the configured days. A run longer than one Lambda invocation is
 * continued by further schedules 15 minutes apart (a Lambda invocation's hard cap, so two never
 * overlap); each invocation resumes because the steps describe first, and the last one fails if the run
 * is still not done (finalAttempt). Asynchronous invocations are not retried by Lambda (a retried
 * scale run would overlap the next invocation): the schedule's own invocations are the retries.
 *
 * The schedules' role may invoke the hook function only, and only EventBridge Scheduler for this
 * account's schedules in this group may assume it (confused-deputy conditions: aws:SourceArn is the
 * schedule GROUP's ARN, never a schedule's or a name prefix,
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html).
 */
export class ScaleToZeroSchedule extends Construct {
  readonly window: ScaleWindow;
  readonly role: IamRole;
  readonly schedules: SchedulerSchedule[] = [];

  constructor(scope: Construct, id: string, props: ScaleToZeroScheduleProps) {
    super(scope, id);
    const runtime = HookRuntime.of(this);
    const problems = scaleTimesProblems(props, props.timeoutMinutes).map(
      (p) => `${this.node.path}.${p.field}: ${shown(p.value)} is not allowed (${p.rule})`,
    );
    if (runtime.runner !== "lambda" || !runtime.network)
      problems.push(
        `${this.node.path}: the stack's HookRuntime runner ${shown(runtime.runner)} is not allowed (scale-down and scale-up run on a schedule in the hook Lambda function: the lambda runner, with its network)`,
      );
    if (!CLOUDHSM.hsmAzsServeKeyStore(props.hsmAzs))
      problems.push(
        `${this.node.path}.hsmAzs: ${shown(props.hsmAzs)} is not allowed (at least ${CLOUDHSM.KEY_STORE_MIN_HSMS.value} HSMs in ${CLOUDHSM.KEY_STORE_MIN_HSMS.value} AZs: scale-up recreates what a key store needs)`,
      );
    throwIfProblems(problems);
    const { name, partition, region, account } = EnvironmentStack.of(this);
    const weekdays = props.weekdays ?? CLOUDHSM.SCALE_WEEKDAYS_DEFAULT.value;
    const timezone = props.timezone ?? CLOUDHSM.SCALE_TIMEZONE_DEFAULT.value;
    const invocations = invocationsFor(props.timeoutMinutes);
    // The scale-up's whole chain: zero HSMs stay expected until its last invocation has ended.
    this.window = windowOf(props, props.timeoutMinutes);

    const downArgs = { "cluster-id": props.clusterId, "key-store-id": props.keyStoreId };
    const upArgs = { ...downArgs, "hsm-azs": props.hsmAzs.join(",") };
    runtime.grantStep("scale-down", downArgs, props.vpcId);
    runtime.grantStep("scale-up", upArgs, props.vpcId);
    const fn = runtime.lambda();
    // Lambda retries a failed asynchronous invocation twice by default; a retried scale run would
    // overlap the schedule's next invocation (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html).
    new LambdaFunctionEventInvokeConfig(this, "no-async-retries", {
      functionName: fn.functionName,
      maximumRetryAttempts: 0,
    });

    const group = new SchedulerScheduleGroup(this, "group", { name: `${name}-cloudhsm-scale` });
    // Scheduler sets aws:SourceArn to the schedule group's ARN when it assumes the role; a condition on
    // `schedule/<group>/*` matches no request and every run would fail to assume the role.
    const groupArn = `arn:${partition}:scheduler:${region}:${account}:schedule-group/${group.name}`;
    this.role = new IamRole(this, "role", {
      name: `${name}-cloudhsm-scale`,
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: "scheduler.amazonaws.com" },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "aws:SourceAccount": account, "aws:SourceArn": groupArn } },
          },
        ],
      }),
    });
    const policy = new IamRolePolicy(this, "invoke", {
      role: this.role.id,
      name: "invoke-hook-function",
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: fn.arn }],
      }),
    });

    const run = (kind: "down" | "up", at: string, step: string, args: Record<string, string>) => {
      for (let attempt = 1; attempt <= invocations; attempt++) {
        const offset = (attempt - 1) * MINUTES_BETWEEN_INVOCATIONS;
        this.schedules.push(
          new SchedulerSchedule(this, `${kind}-${attempt}`, {
            name: `${name}-cloudhsm-${kind}-${attempt}`,
            groupName: group.name,
            description: `${step} of ${props.clusterId} (${attempt}/${invocations}): ${kind === "down" ? "KMS refuses the store's keys until scale-up" : "HSMs back, store reconnected"}`,
            scheduleExpression: cronExpression(at, weekdays, offset),
            scheduleExpressionTimezone: timezone,
            flexibleTimeWindow: { mode: "OFF" },
            dependsOn: [...props.after, policy],
            target: {
              arn: fn.arn,
              roleArn: this.role.arn,
              input: JSON.stringify({
                step,
                region,
                timeoutMinutes: props.timeoutMinutes,
                clusterId: props.clusterId,
                keyStoreId: props.keyStoreId,
                ...(args["hsm-azs"] ? { hsmAzs: args["hsm-azs"] } : {}),
                attempt,
                finalAttempt: attempt === invocations,
              }),
              retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: MINUTES_BETWEEN_INVOCATIONS * 60 },
            },
          }),
        );
      }
    };
    run("down", props.downAt, "scale-down", downArgs);
    run("up", props.upAt, "scale-up", upArgs);
  }
}
