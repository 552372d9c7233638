import { Testing } from "cdktf";
import { EnvironmentStack } from "../../../modules/core/environment-stack";
import { HookRuntime } from "../../../modules/hooks/hook-runtime";
import { HookStep, type HookStepProps } from "../../../modules/hooks/hook-step";
import { NETWORK } from "../network/fixtures";
import { configErrorLines } from "../../helpers/synth";
import { STEP_CONTRACT, STEP_NAMES } from "../../../hooks/contract";

type Json = Record<string, Record<string, Record<string, Record<string, unknown>>>>;

/** The stack of the environment "prod" (account 333333333333, eu-west-1). */
const prodKeys = () =>
  new EnvironmentStack(Testing.app(), "prod-keys", { name: "prod", account: "333333333333", region: "eu-west-1" });

function build(runner: "local" | "lambda", timeoutMinutes = 45) {
  const stack = prodKeys();
  new HookRuntime(stack, HookRuntime.ID, { runner, network: NETWORK });
  // Region, partition and account from the stack: no region prop.
  new HookStep(stack, "connect", {
    step: "connect-key-store",
    args: { "key-store-id": "cks-1234567890abcdef0" },
    timeoutMinutes,
  });
  new HookStep(stack, "init", {
    step: "initialize-cluster",
    args: {
      "cluster-id": "cluster-abcdefghijk",
      "certificate-parameter": "/prod/cloudhsm/cluster-cert",
      "trust-anchor-parameter": "/prod/cloudhsm/trust-anchor",
    },
    timeoutMinutes,
  });
  return JSON.parse(Testing.synth(stack)) as Json;
}

describe("local runner", () => {
  const json = build("local");
  const data = json.resource.terraform_data;

  test("each step is a terraform_data whose local-exec runs the bundled hook with ids only", () => {
    const connect = Object.entries(data).find(([k]) => k.startsWith("connect"))?.[1] as Record<string, unknown>;
    expect(connect.triggers_replace).toEqual({ step: "connect-key-store", "key-store-id": "cks-1234567890abcdef0" });
    const prov = (
      connect.provisioner as { "local-exec": { command: string; environment: Record<string, string> } }[]
    )[0]["local-exec"];
    expect(prov.command).toMatch(
      /^node "\$\{path\.module\}\/assets\/hook-runtime_bundle_[0-9A-F]+\/[0-9A-F]+\/hooks\.js" connect-key-store --region 'eu-west-1' --timeout-minutes 45 --key-store-id 'cks-1234567890abcdef0'$/,
    );
    expect(prov.environment).toEqual({ AWS_REGION: "eu-west-1", AWS_SDK_LOAD_CONFIG: "1" });
  });

  test("no Lambda function is created", () => {
    expect(json.resource.aws_lambda_function).toBeUndefined();
  });
});

describe("lambda runner", () => {
  const json = build("lambda");
  const fn = Object.values(json.resource.aws_lambda_function)[0];
  const invocations = json.resource.aws_lambda_invocation;

  test("the hook bundle runs as a Node 22 function in the VPC with no environment", () => {
    expect(fn).toMatchObject({
      function_name: "prod-hooks",
      runtime: "nodejs22.x",
      handler: "hooks.handler",
      timeout: 900,
    });
    expect((fn.vpc_config as { subnet_ids: string[] }).subnet_ids).toEqual([
      "subnet-0123456789abcdef0",
      "subnet-0123456789abcdef1",
    ]);
    expect(fn.environment).toBeUndefined();
  });

  test("the function depends on its VPC-access attachment and its step policy (never runs before its permissions)", () => {
    const [attachment] =
      Object.entries(json.resource.aws_iam_role_policy_attachment).find(([, v]) =>
        String(v.policy_arn).endsWith("/AWSLambdaVPCAccessExecutionRole"),
      ) ?? [];
    const [policy] = Object.entries(json.resource.aws_iam_role_policy).find(([, v]) => v.name === "hook-steps") ?? [];
    expect(attachment).toBeDefined();
    expect(policy).toBeDefined();
    expect(fn.depends_on).toEqual(
      expect.arrayContaining([`aws_iam_role_policy_attachment.${attachment}`, `aws_iam_role_policy.${policy}`]),
    );
  });

  test("the role holds exactly the wired steps' permissions, scoped to their ids", () => {
    const policy = JSON.parse(Object.values(json.resource.aws_iam_role_policy)[0].policy as string) as {
      Statement: { Action: string[]; Resource: string | string[] }[];
    };
    const actions = policy.Statement.flatMap((s) => s.Action).sort();
    expect(actions).toEqual([
      "cloudhsm:DescribeClusters",
      "cloudhsm:InitializeCluster",
      "kms:ConnectCustomKeyStore",
      "kms:DescribeCustomKeyStores",
      "kms:DisconnectCustomKeyStore",
      "ssm:GetParameter",
    ]);
    expect(policy.Statement.find((s) => s.Action.includes("cloudhsm:InitializeCluster"))?.Resource).toBe(
      "arn:aws:cloudhsm:eu-west-1:333333333333:cluster/cluster-abcdefghijk",
    );
    expect(policy.Statement.find((s) => s.Action.includes("ssm:GetParameter"))?.Resource).toEqual([
      "arn:aws:ssm:eu-west-1:333333333333:parameter/prod/cloudhsm/cluster-cert",
      "arn:aws:ssm:eu-west-1:333333333333:parameter/prod/cloudhsm/trust-anchor",
    ]);
  });

  test("a 45-minute step is a chain of 4 invocations, each resuming, the last one final", () => {
    const connect = Object.entries(invocations)
      .filter(([k]) => k.startsWith("connect"))
      .map(([k, v]) => [k, v] as const);
    expect(connect).toHaveLength(4);
    const inputs = connect.map(([, v]) => JSON.parse(v.input as string) as Record<string, unknown>);
    expect(inputs.map((i) => [i.attempt, i.finalAttempt])).toEqual([
      [1, false],
      [2, false],
      [3, false],
      [4, true],
    ]);
    expect(inputs[0]).toMatchObject({
      step: "connect-key-store",
      region: "eu-west-1",
      keyStoreId: "cks-1234567890abcdef0",
      timeoutMinutes: 45,
    });
    for (let i = 1; i < connect.length; i++) {
      expect(connect[i][1].depends_on).toContain(`aws_lambda_invocation.${connect[i - 1][0]}`);
    }
    expect(connect[0][1].triggers).toEqual({ step: "connect-key-store", "key-store-id": "cks-1234567890abcdef0" });
  });

  test("a 10-minute step needs one invocation", () => {
    const short = build("lambda", 10);
    expect(Object.keys(short.resource.aws_lambda_invocation).filter((k) => k.startsWith("connect"))).toHaveLength(1);
  });
});

describe("with minimal props", () => {
  test("a stack that configured no runtime runs the step locally, in the stack's Region, waiting 45 minutes", () => {
    const stack = prodKeys();
    new HookStep(stack, "connect", { step: "connect-key-store", args: { "key-store-id": "cks-1234567890abcdef0" } });
    const json = JSON.parse(Testing.synth(stack)) as Json;
    const step = Object.values(json.resource.terraform_data)[0];
    expect((step.provisioner as { "local-exec": { command: string } }[])[0]["local-exec"].command).toContain(
      "hooks.js\" connect-key-store --region 'eu-west-1' --timeout-minutes 45 --key-store-id 'cks-1234567890abcdef0'",
    );
    expect(step.depends_on).toBeUndefined();
    expect(HookRuntime.of(stack).runner).toBe("local");
  });

  test("the Region is the stack's: a region prop does not exist any more", () => {
    const stack = prodKeys();
    new HookStep(stack, "connect", {
      step: "connect-key-store",
      // @ts-expect-error region was removed from HookStepProps (read from EnvironmentStack.of)
      region: "eu-central-1",
      args: { "key-store-id": "cks-1234567890abcdef0" },
      timeoutMinutes: 10,
    });
    const json = JSON.parse(Testing.synth(stack)) as Json;
    const local = (
      Object.values(json.resource.terraform_data)[0].provisioner as {
        "local-exec": { command: string; environment: Record<string, string> };
      }[]
    )[0]["local-exec"];
    expect(local.command).toContain(
      `connect-key-store --region '${EnvironmentStack.of(stack).region}' --timeout-minutes 10`,
    );
    expect(local.environment.AWS_REGION).toBe(EnvironmentStack.of(stack).region);
  });
});

describe("HookStep refuses what the contract or a runner cannot run", () => {
  const connect: HookStepProps = { step: "connect-key-store", args: { "key-store-id": "cks-1234567890abcdef0" } };
  test.each<[string, Partial<HookStepProps>, string[]]>([
    [
      "fails when the contract does not define the step",
      { step: "format-disk", args: {} },
      [
        // Every step of the contract, in its order (restore-key-store included: issue 21).
        `prod-keys/x.step: "format-disk" is not allowed (a step of the hook contract: ${STEP_NAMES.join(", ")})`,
      ],
    ],
    [
      "fails when the step is run from the command line only",
      {
        step: "rotate-xks-credential",
        args: { "key-store-id": "cks-1234567890abcdef0", "key-id": "1234abcd-12ab-34cd-56ef-1234567890ab" },
      },
      [
        `prod-keys/x.step: "rotate-xks-credential" is not allowed (an operator runs it from the command line, never Terraform: ${STEP_CONTRACT["rotate-xks-credential"].cliOnly})`,
      ],
    ],
    [
      "fails when a flag is missing",
      { args: {} },
      ["prod-keys/x.args: [] is not allowed ('--key-store-id' is required for connect-key-store)"],
    ],
    [
      "fails when a value could break out of the local runner's quotes",
      { args: { "key-store-id": "cks-1'; rm -rf ~; '" } },
      [
        `prod-keys/x.args.key-store-id: "cks-1'; rm -rf ~; '" is not allowed (an id or name without quotes or line breaks: the local runner passes it single-quoted to a shell)`,
      ],
    ],
    [
      "fails when there is no wait at all",
      { timeoutMinutes: 0 },
      [
        "prod-keys/x.timeoutMinutes: 0 is not allowed (whole minutes from 5 to 120: one apply, at most 9 Lambda invocations of 15 minutes)",
      ],
    ],
    [
      "fails when the wait is under the 5-minute floor (no waiting step finishes sooner)",
      { timeoutMinutes: 4 },
      [
        "prod-keys/x.timeoutMinutes: 4 is not allowed (whole minutes from 5 to 120: one apply, at most 9 Lambda invocations of 15 minutes)",
      ],
    ],
    [
      "fails when the wait is longer than 2 hours",
      { timeoutMinutes: 121 },
      [
        "prod-keys/x.timeoutMinutes: 121 is not allowed (whole minutes from 5 to 120: one apply, at most 9 Lambda invocations of 15 minutes)",
      ],
    ],
    [
      "fails when the wait is not whole minutes",
      { timeoutMinutes: 30.5 },
      [
        "prod-keys/x.timeoutMinutes: 30.5 is not allowed (whole minutes from 5 to 120: one apply, at most 9 Lambda invocations of 15 minutes)",
      ],
    ],
  ])("%s", (_title, change, lines) => {
    expect(configErrorLines(() => new HookStep(prodKeys(), "x", { ...connect, ...change }))).toEqual(lines);
  });
});
