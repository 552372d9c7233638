/**
 * Scale to zero through composeApp (the same path as main.ts), on a non-production CloudHSM
 * configuration made from prod's (renamed, FSx removed: its key is in the store): who owns the HSMs,
 * the schedules and their role (evaluated), the health check's window and alarms.
 */
import { synthEnvs, resources } from "../helpers/synth";
import { byPath } from "../modules/cloudhsm/fixtures";
import { sandbox } from "./scale-to-zero.fixture";
import { decide, type PolicyDocument } from "../helpers/policy-eval";

type Draft = Record<string, any>;

const { stacks } = synthEnvs({ sandbox: sandbox() });
const keys = stacks["sandbox-keys"];
const P = "sandbox-keys/cloudhsm";
const lambdaInput = (path: string) =>
  JSON.parse(byPath(keys, path)[path].body.input as string) as Record<string, unknown>;

describe("the HSMs belong to the ensure-hsms steps, not to Terraform", () => {
  test("no aws_cloudhsm_v2_hsm at all: a plan after a scale-down has nothing to recreate", () => {
    expect(resources(keys, "aws_cloudhsm_v2_hsm")).toEqual({});
    // The cluster itself stays Terraform's, prevent_destroy as always.
    expect(Object.values(resources(keys, "aws_cloudhsm_v2_cluster"))[0]).toMatchObject({
      lifecycle: { prevent_destroy: true },
    });
  });

  test("the first HSM alone before initialisation, the others after activation (prod's order)", () => {
    expect(lambdaInput(`${P}/hsm/ensure-first-hsm/invoke-1`)).toMatchObject({
      step: "ensure-hsms",
      hsmAzs: "eu-west-1a",
    });
    const all = byPath(keys, `${P}/hsm/ensure-hsms/invoke-`);
    const last = Object.keys(all).sort().pop() as string;
    expect(lambdaInput(last)).toMatchObject({
      step: "ensure-hsms",
      hsmAzs: "eu-west-1a,eu-west-1b,eu-west-1c",
      finalAttempt: true,
    });
    const init = byPath(keys, `${P}/initialize-cluster/invoke-1`)[`${P}/initialize-cluster/invoke-1`].body;
    expect(JSON.stringify(init.depends_on)).toContain("ensure-first-hsm");
    const first = byPath(keys, `${P}/hsm/ensure-hsms/invoke-1`)[`${P}/hsm/ensure-hsms/invoke-1`].body;
    expect(JSON.stringify(first.depends_on)).toContain("activate-cluster");
  });
});

describe("the schedules", () => {
  const schedules = Object.values(resources(keys, "aws_scheduler_schedule")) as Draft[];
  const byName = Object.fromEntries(schedules.map((s) => [s.name, s]));

  test("down at 19:00 and up at 07:00 Berlin time on working days, each run continued every 15 minutes (prod's 45-minute budget: 4 invocations)", () => {
    expect(Object.keys(byName).sort()).toEqual(
      [1, 2, 3, 4].flatMap((n) => [`sandbox-cloudhsm-down-${n}`, `sandbox-cloudhsm-up-${n}`]).sort(),
    );
    expect(byName["sandbox-cloudhsm-down-1"]).toMatchObject({
      schedule_expression: "cron(0 19 ? * MON,TUE,WED,THU,FRI *)",
      schedule_expression_timezone: "Europe/Berlin",
      flexible_time_window: { mode: "OFF" },
    });
    expect(byName["sandbox-cloudhsm-down-4"].schedule_expression).toBe("cron(45 19 ? * MON,TUE,WED,THU,FRI *)");
    expect(byName["sandbox-cloudhsm-up-2"].schedule_expression).toBe("cron(15 7 ? * MON,TUE,WED,THU,FRI *)");
    const down = JSON.parse(byName["sandbox-cloudhsm-down-1"].target.input);
    expect(down).toMatchObject({ step: "scale-down", attempt: 1, finalAttempt: false, timeoutMinutes: 45 });
    const up = JSON.parse(byName["sandbox-cloudhsm-up-4"].target.input);
    expect(up).toMatchObject({
      step: "scale-up",
      hsmAzs: "eu-west-1a,eu-west-1b,eu-west-1c",
      attempt: 4,
      finalAttempt: true,
    });
    // Secrets never travel in a schedule: ids only.
    expect(JSON.stringify(schedules)).not.toMatch(/password|secret_string|SecretString/i);
  });

  test("Lambda does not retry an asynchronous invocation (a retried run would overlap the next one)", () => {
    expect(Object.values(resources(keys, "aws_lambda_function_event_invoke_config"))).toEqual([
      expect.objectContaining({ maximum_retry_attempts: 0 }),
    ]);
  });

  test("the schedules' role: only EventBridge Scheduler of this account and group may assume it, and it may only invoke the hook function", async () => {
    const role = Object.values(resources(keys, "aws_iam_role")).find(
      (r) => r.name === "sandbox-cloudhsm-scale",
    ) as Draft;
    const trust = JSON.parse(role.assume_role_policy) as PolicyDocument;
    expect(trust.Statement).toEqual([
      expect.objectContaining({ Principal: { Service: "scheduler.amazonaws.com" }, Action: "sts:AssumeRole" }),
    ]);
    // Evaluated: Scheduler assumes the role with aws:SourceArn = the schedule GROUP's ARN
    // (https://docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html).
    const group = Object.values(resources(keys, "aws_scheduler_schedule_group"))[0] as Draft;
    const groupArn = (name: string, account = "333333333333", region = "eu-west-1") =>
      `arn:aws:scheduler:${region}:${account}:schedule-group/${name}`;
    const resolvedTrust = JSON.parse(
      JSON.stringify(trust).replace(/\$\{aws_scheduler_schedule_group\.[^}]+\.name\}/g, group.name as string),
    ) as PolicyDocument;
    const assume = (principal: string, context: Record<string, string>) =>
      decide({
        principal,
        action: "sts:AssumeRole",
        resource: "arn:aws:iam::333333333333:role/sandbox-cloudhsm-scale",
        resourceAccount: "333333333333",
        resourcePolicy: resolvedTrust,
        context,
      });
    const asScheduler = (sourceArn: string, account = "333333333333") =>
      assume("scheduler.amazonaws.com", { "aws:SourceAccount": account, "aws:SourceArn": sourceArn });
    expect(await asScheduler(groupArn("sandbox-cloudhsm-scale"))).toBe("Allowed");
    expect(await asScheduler(groupArn("default"))).toBe("ImplicitlyDenied");
    expect(await asScheduler(groupArn("sandbox-cloudhsm-scale", "444444444444"), "444444444444")).toBe(
      "ImplicitlyDenied",
    );
    expect(await asScheduler(groupArn("sandbox-cloudhsm-scale", "333333333333", "us-east-1"))).toBe("ImplicitlyDenied");
    expect(
      await assume("events.amazonaws.com", {
        "aws:SourceAccount": "333333333333",
        "aws:SourceArn": groupArn("sandbox-cloudhsm-scale"),
      }),
    ).toBe("ImplicitlyDenied");
    const inline = Object.values(resources(keys, "aws_iam_role_policy")).find(
      (p) => p.name === "invoke-hook-function",
    ) as Draft;
    const policy = JSON.parse(inline.policy) as PolicyDocument;
    const fn = "arn:aws:lambda:eu-west-1:333333333333:function:sandbox-hooks";
    // The function's ARN is a reference in the synthesized JSON; evaluate with it resolved.
    const resolved = JSON.parse(JSON.stringify(policy).replace(/\$\{aws_lambda_function\.[^}]+\.arn\}/g, fn));
    const ask = (action: string, resource: string) =>
      decide({
        principal: "arn:aws:iam::333333333333:role/sandbox-cloudhsm-scale",
        action,
        resource,
        resourceAccount: "333333333333",
        identityPolicies: [resolved],
      });
    expect(await ask("lambda:InvokeFunction", fn)).toBe("Allowed");
    expect(await ask("lambda:InvokeFunction", "arn:aws:lambda:eu-west-1:333333333333:function:other")).toBe(
      "ImplicitlyDenied",
    );
    // The unqualified function only (the schedules' target): no version or alias of it.
    expect(await ask("lambda:InvokeFunction", `${fn}:1`)).toBe("ImplicitlyDenied");
    expect(await ask("lambda:InvokeFunction", `${fn}:live`)).toBe("ImplicitlyDenied");
    expect(await ask("lambda:UpdateFunctionCode", fn)).toBe("ImplicitlyDenied");
    expect(await ask("cloudhsm:DeleteHsm", "*")).toBe("ImplicitlyDenied");
  });

  test("the hook role gains DeleteHsm and CreateHsm on this cluster only, never DeleteCluster or DeleteBackup", () => {
    const steps = Object.values(resources(keys, "aws_iam_role_policy")).find((p) => p.name === "hook-steps") as Draft;
    const text = steps.policy as string;
    expect(text).toContain("cloudhsm:DeleteHsm");
    expect(text).toContain("cloudhsm:CreateHsm");
    expect(text).not.toMatch(/DeleteCluster|DeleteBackup|DeleteCustomKeyStore/);
  });
});

test("the hook role's EC2 rights (CreateHsm and DeleteHsm as the caller) hold only in the cluster's VPC, evaluated", async () => {
  const steps = Object.values(resources(keys, "aws_iam_role_policy")).find((p) => p.name === "hook-steps") as Draft;
  // The VPC id is a reference in the synthesized JSON (the network's VPC); evaluate with it resolved.
  const refs = [...new Set((steps.policy as string).match(/\$\{aws_vpc\.[^}]+\.id\}/g) ?? [])];
  expect(refs).toHaveLength(1);
  const vpc = "vpc-0123456789abcdef0";
  const policy = JSON.parse((steps.policy as string).split(refs[0]).join(vpc)) as PolicyDocument;
  const vpcArn = (id: string) => `arn:aws:ec2:eu-west-1:333333333333:vpc/${id}`;
  const ask = (action: string, resource: string, inVpc?: string) =>
    decide({
      principal: "arn:aws:iam::333333333333:role/sandbox-hooks",
      action,
      resource,
      resourceAccount: "333333333333",
      identityPolicies: [policy],
      context: inVpc ? { "ec2:Vpc": vpcArn(inVpc) } : {},
    });
  const sg = "arn:aws:ec2:eu-west-1:333333333333:security-group/sg-0123456789abcdef0";
  const subnet = "arn:aws:ec2:eu-west-1:333333333333:subnet/subnet-0123456789abcdef0";
  const eni = "arn:aws:ec2:eu-west-1:333333333333:network-interface/eni-0123456789abcdef0";
  const elsewhere = "vpc-0fedcba9876543210";
  for (const [action, resource] of [
    ["ec2:CreateNetworkInterface", subnet],
    ["ec2:CreateNetworkInterface", sg],
    ["ec2:AuthorizeSecurityGroupIngress", sg],
    ["ec2:AuthorizeSecurityGroupEgress", sg],
    ["ec2:RevokeSecurityGroupEgress", sg],
    ["ec2:DeleteNetworkInterface", eni],
  ]) {
    expect(await ask(action, resource, vpc)).toBe("Allowed");
    expect(await ask(action, resource, elsewhere)).toBe("ImplicitlyDenied");
  }
  expect(await ask("ec2:CreateSecurityGroup", vpcArn(vpc))).toBe("Allowed");
  expect(await ask("ec2:CreateSecurityGroup", vpcArn(elsewhere))).toBe("ImplicitlyDenied");
});

describe("the health check knows the window", () => {
  const target = Object.values(resources(keys, "aws_cloudwatch_event_target"))[0] as Draft;

  test("its input carries the window (the scale-up's whole chain: 4 x 15 minutes)", () => {
    expect(JSON.parse(target.input)).toMatchObject({
      step: "check-key-store-health",
      downAt: "19:00",
      upAt: "07:00",
      weekdays: "MON,TUE,WED,THU,FRI",
      timezone: "Europe/Berlin",
      upMinutes: 60,
    });
  });

  test("both alarms read through ScaledDownOnSchedule: healthy while down on schedule, missing data still breaches", () => {
    const alarms = Object.values(resources(keys, "aws_cloudwatch_metric_alarm")) as Draft[];
    const hsms = alarms.find((a) => String(a.alarm_name).endsWith("cloudhsm-active-hsms")) as Draft;
    const store = alarms.find((a) => String(a.alarm_name).endsWith("cloudhsm-store-not-connected")) as Draft;
    for (const a of [hsms, store]) {
      expect(a.treat_missing_data).toBe("breaching");
      expect(a.metric_name).toBeUndefined();
      expect(a.metric_query.map((q: Draft) => q.metric?.metric_name ?? q.expression)).toContain("ScaledDownOnSchedule");
    }
    expect(hsms.metric_query.find((q: Draft) => q.id === "e1").expression).toBe("IF(scaled >= 1, 2, hsms)");
    expect(store.metric_query.find((q: Draft) => q.id === "e1").expression).toBe("MAX([connected, scaled])");
  });

  test("a failed scale run alarms: the hook function's Errors, missing data not breaching", () => {
    const alarms = Object.values(resources(keys, "aws_cloudwatch_metric_alarm")) as Draft[];
    const failed = alarms.find((a) => String(a.alarm_name).endsWith("cloudhsm-scale-run-failed")) as Draft;
    expect(failed).toMatchObject({
      namespace: "AWS/Lambda",
      metric_name: "Errors",
      statistic: "Sum",
      comparison_operator: "GreaterThanThreshold",
      threshold: 0,
      treat_missing_data: "notBreaching",
    });
  });
});
