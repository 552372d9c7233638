import { App, TerraformStack, Testing } from "cdktf";
import { EnvironmentStack } from "../../../modules/core/environment-stack";
import { HookRuntime, LAMBDA_RUNTIME } from "../../../modules/hooks/hook-runtime";
import { NETWORK } from "../network/fixtures";
import { configErrorLines, only, resources, type StackJson } from "../../helpers/synth";

/** A stack in the China partition, so that the partition visibly comes from the stack. */
const stack = (name = "t") =>
  new EnvironmentStack(Testing.app(), "test", { name, account: "111111111111", region: "cn-north-1" });

describe("the lambda runner", () => {
  const s = stack();
  const runtime = new HookRuntime(s, HookRuntime.ID, { runner: "lambda", network: NETWORK });
  runtime.grantStep("set-backup-retention", { "cluster-id": "cluster-abcdefghijk", days: "90" });
  const fn = runtime.lambda();
  const json = JSON.parse(Testing.synth(s)) as StackJson;

  test("one function in the network's subnets, named after the stack's prefix, with its role, log group and security group", () => {
    expect(only(json, "aws_lambda_function")).toMatchObject({
      function_name: "t-hooks",
      runtime: LAMBDA_RUNTIME,
      timeout: 900,
      vpc_config: { subnet_ids: NETWORK.subnetIds },
    });
    expect(only(json, "aws_iam_role").name).toBe("t-hooks");
    expect(only(json, "aws_cloudwatch_log_group")).toMatchObject({
      name: "/aws/lambda/t-hooks",
      retention_in_days: 365,
    });
    expect(only(json, "aws_security_group")).toMatchObject({
      vpc_id: NETWORK.vpcId,
      egress: [expect.objectContaining({ protocol: "tcp", from_port: 443, to_port: 443, cidr_blocks: [NETWORK.cidr] })],
    });
    expect(runtime.lambda()).toBe(fn);
  });

  test("the managed VPC-access policy and the step statements in the stack's partition", () => {
    expect(only(json, "aws_iam_role_policy_attachment").policy_arn).toBe(
      "arn:aws-cn:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
    );
    const policy = JSON.parse(only(json, "aws_iam_role_policy").policy as string) as {
      Statement: { Action: string[]; Resource: unknown }[];
    };
    expect(policy.Statement).toEqual([
      { Effect: "Allow", Action: ["cloudhsm:DescribeClusters"], Resource: "*" },
      {
        Effect: "Allow",
        Action: ["cloudhsm:ModifyCluster"],
        Resource: "arn:aws-cn:cloudhsm:cn-north-1:111111111111:cluster/cluster-abcdefghijk",
      },
    ]);
  });
});

test("the local runner creates nothing until a step asks for the bundle", () => {
  const s = stack();
  const runtime = new HookRuntime(s, HookRuntime.ID, {});
  expect(runtime.runner).toBe("local");
  expect(JSON.parse(Testing.synth(s)).resource).toBeUndefined();
  expect(runtime.bundlePath()).toMatch(/^assets\/hook-runtime_bundle_/);
});

test("the local runner works in a plain TerraformStack (nothing read from the environment)", () => {
  const s = new TerraformStack(new App(), "plain");
  expect(HookRuntime.of(s).runner).toBe("local");
});

describe("HookRuntime refuses what it cannot run", () => {
  test.each<[string, () => unknown, string[]]>([
    [
      "fails when the lambda runner has no network",
      () => new HookRuntime(stack(), HookRuntime.ID, { runner: "lambda" }),
      [
        "test/hook-runtime.network: (missing) is not allowed (the lambda runner runs the function in the VPC's private subnets)",
      ],
    ],
    [
      "fails when the network has more subnets than a function takes",
      () =>
        new HookRuntime(stack(), HookRuntime.ID, {
          runner: "lambda",
          network: { ...NETWORK, subnetIds: Array.from({ length: 17 }, (_, i) => `subnet-${i}`) },
        }),
      [
        `test/hook-runtime.network.subnetIds: ${JSON.stringify(Array.from({ length: 17 }, (_, i) => `subnet-${i}`))} is not allowed (1 to 16 subnets, Lambda VpcConfig SubnetIds)`,
      ],
    ],
    [
      "fails when the function name would be longer than 64 characters",
      () => new HookRuntime(stack("x".repeat(60)), HookRuntime.ID, { runner: "lambda", network: NETWORK }),
      [
        `test/hook-runtime.functionName: "${"x".repeat(60)}-hooks" is not allowed (at most 64 characters, Lambda CreateFunction FunctionName and IAM CreateRole RoleName: use a shorter EnvironmentStack name)`,
      ],
    ],
    [
      "fails when a second runtime is given another id",
      () => new HookRuntime(stack(), "hooks", {}),
      [
        'test/hooks: the id "hooks" is not allowed (one runtime per stack, with the id "hook-runtime", which HookRuntime.of finds)',
      ],
    ],
    [
      "fails when a local runtime is asked for a function",
      () => new HookRuntime(stack(), HookRuntime.ID, {}).lambda(),
      ['test/hook-runtime.runner: "local" is not allowed (a Lambda function needs the lambda runner and its network)'],
    ],
  ])("%s", (_title, build, lines) => {
    expect(configErrorLines(build)).toEqual(lines);
  });
});

test("resources() of a local runner's stack lists no function", () => {
  const s = stack();
  new HookRuntime(s, HookRuntime.ID, { runner: "local" });
  expect(resources(JSON.parse(Testing.synth(s)) as StackJson, "aws_lambda_function")).toEqual({});
});
