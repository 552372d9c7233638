import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Testing } from "cdktf";
import { KMSClient } from "@aws-sdk/client-kms";
import { mockClient } from "aws-sdk-client-mock";
import { HOOKS } from "@cmk-stacks/aws-limits";
import { renderConnectionErrorTable } from "../../hooks/lib/connection-errors";
import {
  kebab,
  permissionsFor,
  renderIamTable,
  renderStepsTable,
  RESTORED_FOR_TAG,
  STEP_CONTRACT,
  STEP_NAMES,
  type StepName,
  type StepSpec,
} from "../../hooks/contract";
import { STEP_RUNNERS } from "../../hooks/dispatch";
import { runCli } from "../../hooks/cli";
import { createHandler } from "../../hooks/lambda";
import { VirtualClock } from "../../hooks/lib/clock";
import { HookRuntime } from "../../modules/hooks/hook-runtime";
import { HookStep } from "../../modules/hooks/hook-step";
import { EnvironmentStack } from "../../modules/core/environment-stack";
import { configErrorLines } from "../helpers/synth";
import { decide, type PolicyDocument } from "../helpers/policy-eval";
import { IDS, kmsOnly } from "./helpers";

const ROOT = join(__dirname, "..", "..");
const README = readFileSync(join(ROOT, "hooks", "README.md"), "utf8");
const ACCOUNT = "123456789012";

/** Literal values for every flag a step takes (kebab-case). */
function flagsOf(step: StepName): Record<string, string> {
  const values: Record<string, string> = {
    ...IDS,
    days: "30",
    minHsms: "2",
    force: "true",
    validDays: "180",
    reimport: "true",
    rotate: "false",
    hsmAzs: "eu-west-1a,eu-west-1b",
    downAt: "19:00",
    upAt: "07:00",
    weekdays: "MON,TUE,WED,THU,FRI",
    timezone: "Europe/Berlin",
    upMinutes: "60",
  };
  return Object.fromEntries(Object.keys(STEP_CONTRACT[step].args).map((name) => [kebab(name), values[name]]));
}

describe("hooks/README.md is generated from the contract", () => {
  test("steps table", () => expect(README).toContain(renderStepsTable()));
  test("IAM table", () => expect(README).toContain(renderIamTable()));
  test("connection error table", () => expect(README).toContain(renderConnectionErrorTable()));
  test("every step has a row in both tables", () => {
    for (const step of STEP_NAMES) {
      expect(renderStepsTable()).toContain(`| \`${step}\` |`);
      expect(renderIamTable()).toContain(`| \`${step}\` |`);
    }
  });
});

test("INVALID_CREDENTIALS and USER_LOCKED_OUT on a CloudHSM store point at reset-kmsuser-password", () => {
  const table = renderConnectionErrorTable().split("\n");
  for (const code of ["INVALID_CREDENTIALS", "USER_LOCKED_OUT"])
    expect(table.find((l) => l.startsWith(`| \`${code}\` | CloudHSM |`))).toContain("run reset-kmsuser-password");
});

describe("the runners agree with the contract", () => {
  test("the dispatch table runs exactly the contract's steps", () => {
    expect(Object.keys(STEP_RUNNERS).sort()).toEqual([...STEP_NAMES].sort());
  });

  test.each(STEP_NAMES)("CLI %s: --help lists exactly the contract's flags", async (step) => {
    const out: string[] = [];
    expect(await runCli([step, "--help"], { stdout: (l) => out.push(l), stderr: (l) => out.push(l) })).toBe(0);
    const flags = [...out.join("\n").matchAll(/--([a-z-]+)/g)].map((m) => m[1]).filter((f) => f !== "help");
    const expected = ["region", "timeout-minutes", ...Object.keys(STEP_CONTRACT[step].args).map(kebab)];
    expect([...new Set(flags)].sort()).toEqual(expected.sort());
  });

  const kms = mockClient(KMSClient);
  const clients = kmsOnly(kms);
  beforeEach(() => kms.reset());

  const cli = async (argv: string[]) => {
    const err: string[] = [];
    const code = await runCli(argv, {
      clients,
      clock: new VirtualClock(0),
      stdout: () => undefined,
      stderr: (l) => err.push(l),
    });
    return { code, err };
  };

  test("CLI: an unknown step is refused with exit 2 and one line", async () => {
    expect(await cli(["format-disk", "--region", IDS.region])).toEqual({
      code: 2,
      err: ["error: unknown command 'format-disk'"],
    });
  });

  test("CLI: a flag the step does not take is refused with exit 2 and one line", async () => {
    expect(
      await cli([
        "connect-key-store",
        "--region",
        IDS.region,
        "--key-store-id",
        IDS.keyStoreId,
        "--cluster-id",
        IDS.clusterId,
      ]),
    ).toEqual({ code: 2, err: ["error: unknown option '--cluster-id'"] });
    expect(kms.calls()).toHaveLength(0);
  });

  test("CLI: a malformed number is refused with exit 2, naming the flag and its range", async () => {
    expect(
      await cli(["set-backup-retention", "--region", IDS.region, "--cluster-id", IDS.clusterId, "--days", "400"]),
    ).toEqual({ code: 2, err: ["error: '--days' must be an integer 7-379. Received: 400"] });
  });

  test("CLI: a bad number is shown escaped and cut like every other value (no control character reaches the terminal)", async () => {
    const base = ["set-backup-retention", "--region", IDS.region, "--cluster-id", IDS.clusterId, "--days"];
    expect(await cli([...base, "\u001b[2J\u001b[31m9\u202e"])).toEqual({
      code: 2,
      err: ["error: '--days' must be an integer 7-379. Received: \\u001b[2J\\u001b[31m9\\u202e"],
    });
    const long = `\u0007${"9".repeat(3000)}`;
    expect(await cli([...base, long])).toEqual({
      code: 2,
      err: [`error: '--days' must be an integer 7-379. Received: \\u0007${"9".repeat(79)}... (3001 characters)`],
    });
    expect(kms.calls()).toHaveLength(0);
  });

  test("CLI: commander's own errors show an unknown option or step escaped", async () => {
    expect(await cli(["connect-key-store", "--key-store-id\u001b[2J", "x", "--region", IDS.region])).toEqual({
      code: 2,
      err: ["error: unknown option '--key-store-id\\u001b[2J'"],
    });
    expect(await cli(["format\u001b[2J"])).toEqual({ code: 2, err: ["error: unknown command 'format\\u001b[2J'"] });
  });

  test("Lambda: an unknown step or field name is shown escaped too", async () => {
    await expect(lambda({ step: "format\u001b[2J", region: IDS.region })).rejects.toThrow(
      `[hooks] InvalidInput: unknown step 'format\\u001b[2J'; one of: ${STEP_NAMES.join(", ")}. Next: fix the aws_lambda_invocation input`,
    );
    await expect(
      lambda({ step: "connect-key-store", region: IDS.region, keyStoreId: IDS.keyStoreId, "x\u001b[2J": "1" }),
    ).rejects.toThrow(
      "[connect-key-store] InvalidInput: '--x\\u001b[2-j' is not an argument of connect-key-store; it takes --region, --timeout-minutes, --key-store-id. Next: fix the aws_lambda_invocation input",
    );
    expect(kms.calls()).toHaveLength(0);
  });

  test("Lambda: a bad on/off flag or number is shown escaped and cut too (a list shown as JSON)", async () => {
    await expect(
      lambda({
        step: "create-kmsuser",
        region: IDS.region,
        clusterId: IDS.clusterId,
        instanceId: IDS.instanceId,
        adminSecretArn: IDS.adminSecretArn,
        kmsuserSecretArn: IDS.kmsuserSecretArn,
        trustAnchorParameter: IDS.trustAnchorParameter,
        force: "yes\r\u001b[1A",
        timeoutMinutes: ["1\n", 2],
      }),
    ).rejects.toThrow(
      `[create-kmsuser] InvalidInput: '--timeout-minutes' must be an integer ${HOOKS.RUN_TIMEOUT_MINUTES.min}-${HOOKS.RUN_TIMEOUT_MINUTES.max}. Received: ["1\\n",2]; '--force' is an on/off flag. Received: yes\\u000d\\u001b[1A. Next: fix the aws_lambda_invocation input`,
    );
  });

  const lambda = (event: Record<string, unknown>) =>
    createHandler({ clients, clock: new VirtualClock(0), sink: () => undefined })(event as never, {
      getRemainingTimeInMillis: () => 900_000,
    });

  test("Lambda: an unknown step is refused naming the known ones", async () => {
    await expect(lambda({ step: "format-disk", region: IDS.region })).rejects.toThrow(
      `[hooks] InvalidInput: unknown step 'format-disk'; one of: ${STEP_NAMES.join(", ")}. Next: fix the aws_lambda_invocation input`,
    );
  });

  test("Lambda: a field the step does not take is refused (a typo is not silently ignored)", async () => {
    await expect(
      lambda({ step: "connect-key-store", region: IDS.region, keyStoreId: IDS.keyStoreId, keystoreId: "cks-other" }),
    ).rejects.toThrow(
      "[connect-key-store] InvalidInput: '--keystore-id' is not an argument of connect-key-store; it takes --region, --timeout-minutes, --key-store-id. Next: fix the aws_lambda_invocation input",
    );
    expect(kms.calls()).toHaveLength(0);
  });

  test("Lambda: the chain fields and string numbers of aws_lambda_invocation are accepted", async () => {
    kms.onAnyCommand().resolves({
      CustomKeyStores: [
        { CustomKeyStoreId: IDS.keyStoreId, CustomKeyStoreType: "AWS_CLOUDHSM", ConnectionState: "CONNECTED" },
      ],
    });
    await expect(
      lambda({
        step: "connect-key-store",
        region: IDS.region,
        keyStoreId: IDS.keyStoreId,
        timeoutMinutes: "45",
        attempt: 1,
        finalAttempt: false,
      }),
    ).resolves.toMatchObject({ status: "DONE", alreadyDone: true });
  });
});

describe("the hook wiring agrees with the contract", () => {
  function stack(runner: "local" | "lambda") {
    const s = new EnvironmentStack(Testing.app(), "s", { name: "x", account: ACCOUNT, region: IDS.region });
    const network = {
      vpcId: "vpc-0123456789abcdef0",
      cidr: "10.0.0.0/16",
      subnetIdByAz: { "eu-west-1a": "subnet-a" },
      subnetIds: ["subnet-a"],
      routeTableIds: [],
      onPremisesReady: [],
    };
    new HookRuntime(s, HookRuntime.ID, { runner, network });
    return s;
  }

  test.each(["local", "lambda"] as const)("%s runner: an unknown step is refused at synth time", (runner) => {
    expect(
      configErrorLines(() => new HookStep(stack(runner), "x", { step: "format-disk", args: {}, timeoutMinutes: 10 })),
    ).toEqual([`s/x.step: "format-disk" is not allowed (a step of the hook contract: ${STEP_NAMES.join(", ")})`]);
  });

  test.each(["local", "lambda"] as const)(
    "%s runner: a missing or unknown flag is refused at synth time, all at once",
    (runner) => {
      expect(
        configErrorLines(
          () =>
            new HookStep(stack(runner), "x", {
              step: "initialize-cluster",
              args: { "cluster-id": IDS.clusterId, "key-store-id": IDS.keyStoreId },
              timeoutMinutes: 10,
            }),
        ),
      ).toEqual([
        `s/x.args: ["cluster-id","key-store-id"] is not allowed ('--key-store-id' is not an argument of initialize-cluster; it takes --cluster-id, --certificate-parameter, --trust-anchor-parameter)`,
        `s/x.args: ["cluster-id","key-store-id"] is not allowed ('--certificate-parameter' is required for initialize-cluster)`,
        `s/x.args: ["cluster-id","key-store-id"] is not allowed ('--trust-anchor-parameter' is required for initialize-cluster)`,
      ]);
    },
  );

  // The Lambda role of a stack wiring every step, evaluated with an IAM evaluator: each action the
  // contract lists is allowed on the resources it names, and only there. Partition, Region and
  // account come from the stack.
  const s = stack("lambda");
  // Every step a graph may wire (rotate-xks-credential is command-line only, refused below).
  const WIRABLE = STEP_NAMES.filter((step) => !(STEP_CONTRACT[step] as StepSpec).cliOnly);
  const VPC_ID = "vpc-0123456789abcdef0";
  const VPC_ARN = `arn:aws:ec2:eu-west-1:${ACCOUNT}:vpc/${VPC_ID}`;
  for (const step of WIRABLE) new HookStep(s, step, { step, args: flagsOf(step), timeoutMinutes: 10, vpcId: VPC_ID });
  const json = JSON.parse(Testing.synth(s)) as {
    resource: { aws_iam_role_policy: Record<string, { policy: string }> };
  };
  const policy = JSON.parse(Object.values(json.resource.aws_iam_role_policy)[0].policy) as PolicyDocument & {
    Statement: { Action: string[] }[];
  };
  const principal = `arn:aws:iam::${ACCOUNT}:role/x-hooks`;
  // A KMS key is reached only through its key policy: the default one delegates to IAM (account root).
  const keyPolicy: PolicyDocument = {
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "kms:*", Resource: "*" },
    ],
  };
  // The EC2 actions CloudHSM takes as the caller carry ec2:Vpc for an existing subnet, group or interface.
  const VPC_KEYED = /^arn:aws:ec2:[^:]*:[^:]*:(subnet|security-group|network-interface)\/(subnet|sg|eni)-/;
  const allowed = (action: string, resource: string, vpc = VPC_ARN) =>
    decide({
      principal,
      action,
      resource,
      resourceAccount: ACCOUNT,
      identityPolicies: [policy],
      ...(VPC_KEYED.test(resource) ? { context: { "ec2:Vpc": vpc } } : {}),
      ...(resource.includes(":kms:") && resource.includes(":key/") ? { resourcePolicy: keyPolicy } : {}),
    });

  // What CreateHsm authorizes besides cloudhsm:CreateHsm: CloudHSM makes the HSM's network interface and
  // sets up the cluster's security group as the caller (Service Authorization Reference, AWS CloudHSM,
  // "API operations": https://docs.aws.amazon.com/service-authorization/latest/reference/list_cloudhsm.html).
  const ec2 = (type: string, id: string, account = ACCOUNT, region = "eu-west-1") =>
    `arn:aws:ec2:${region}:${account}:${type}/${id}`;
  const CREATE_HSM_AS_CALLER: [string, string[]][] = [
    [
      "ec2:CreateNetworkInterface",
      [
        ec2("network-interface", "*"),
        ec2("subnet", "subnet-0123456789abcdef0"),
        ec2("security-group", "sg-0123456789abcdef0"),
      ],
    ],
    ["ec2:DeleteNetworkInterface", [ec2("network-interface", "eni-0123456789abcdef0")]],
    ["ec2:CreateSecurityGroup", [ec2("security-group", "*"), ec2("vpc", "vpc-0123456789abcdef0")]],
    ["ec2:AuthorizeSecurityGroupIngress", [ec2("security-group", "sg-0123456789abcdef0")]],
    ["ec2:AuthorizeSecurityGroupEgress", [ec2("security-group", "sg-0123456789abcdef0")]],
    ["ec2:RevokeSecurityGroupEgress", [ec2("security-group", "sg-0123456789abcdef0")]],
    ["ec2:DescribeNetworkInterfaces", ["*"]],
    ["ec2:DescribeSecurityGroups", ["*"]],
    ["ec2:DescribeSubnets", ["*"]],
  ];

  const expected: Record<
    Exclude<StepName, "rotate-xks-credential" | "migrate-hsm-type" | "restore-key-store">,
    [string, string[]][]
  > = {
    "initialize-cluster": [
      ["cloudhsm:DescribeClusters", ["*"]],
      ["cloudhsm:InitializeCluster", [`arn:aws:cloudhsm:eu-west-1:${ACCOUNT}:cluster/${IDS.clusterId}`]],
      [
        "ssm:GetParameter",
        [
          `arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/cmk/cluster-certificate`,
          `arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/cmk/trust-anchor`,
        ],
      ],
    ],
    "activate-cluster": [
      ["secretsmanager:PutSecretValue", [IDS.adminSecretArn]],
      // (the evaluator knows no ARN for the account-less AWS-owned document; the instance scopes the command)
      ["ssm:SendCommand", [`arn:aws:ec2:eu-west-1:${ACCOUNT}:instance/${IDS.instanceId}`]],
      ["ssm:GetCommandInvocation", ["*"]],
    ],
    "set-backup-retention": [
      ["cloudhsm:ModifyCluster", [`arn:aws:cloudhsm:eu-west-1:${ACCOUNT}:cluster/${IDS.clusterId}`]],
    ],
    "wait-hsms-active": [["cloudhsm:DescribeClusters", ["*"]]],
    "create-kmsuser": [
      ["secretsmanager:TagResource", [IDS.kmsuserSecretArn]],
      ["secretsmanager:DescribeSecret", [IDS.adminSecretArn, IDS.kmsuserSecretArn]],
    ],
    "reset-kmsuser-password": [["kms:UpdateCustomKeyStore", ["*"]]],
    "import-key-material": [
      ["kms:GetParametersForImport", [`arn:aws:kms:eu-west-1:${ACCOUNT}:key/${IDS.keyId}`]],
      ["kms:ImportKeyMaterial", [`arn:aws:kms:eu-west-1:${ACCOUNT}:key/${IDS.keyId}`]],
      ["kms:Decrypt", [`arn:aws:kms:eu-west-1:${ACCOUNT}:key/${IDS.keyId}`]],
    ],
    "connect-key-store": [["kms:ConnectCustomKeyStore", ["*"]]],
    "check-key-store-health": [
      ["kms:DescribeCustomKeyStores", ["*"]],
      ["cloudhsm:DescribeClusters", ["*"]],
    ],
    "ensure-hsms": [
      ["cloudhsm:CreateHsm", [`arn:aws:cloudhsm:eu-west-1:${ACCOUNT}:cluster/${IDS.clusterId}`]],
      ...CREATE_HSM_AS_CALLER,
    ],
    "scale-down": [
      ["cloudhsm:DescribeBackups", ["*"]],
      // DeleteHsm has no resource type (Service Authorization Reference): "*" is all IAM can say.
      ["cloudhsm:DeleteHsm", ["*"]],
      ["ec2:DeleteNetworkInterface", [`arn:aws:ec2:eu-west-1:${ACCOUNT}:network-interface/eni-0123456789abcdef0`]],
      ["kms:DisconnectCustomKeyStore", ["*"]],
    ],
    "scale-up": [
      ["cloudhsm:CreateHsm", [`arn:aws:cloudhsm:eu-west-1:${ACCOUNT}:cluster/${IDS.clusterId}`]],
      ...CREATE_HSM_AS_CALLER,
      ["kms:ConnectCustomKeyStore", ["*"]],
    ],
  };

  test.each(WIRABLE)("%s: the synthesized role allows what the contract lists, on its resources", async (step) => {
    for (const [action, resources] of expected[step as keyof typeof expected])
      for (const resource of resources) expect(await allowed(action, resource)).toBe("Allowed");
    // ...and the contract lists them (the table above is the reviewer's reading of the contract).
    const listed = STEP_CONTRACT[step].iam.flatMap((st) => [...st.actions]);
    for (const [action] of expected[step as keyof typeof expected]) expect(listed).toContain(action);
  });

  test("the synthesized role holds exactly the contract's actions, scoped: not on another cluster, secret or instance", async () => {
    expect([...new Set(policy.Statement.flatMap((st) => st.Action))].sort()).toEqual(
      [...new Set(WIRABLE.flatMap((step) => STEP_CONTRACT[step].iam.flatMap((st) => [...st.actions])))].sort(),
    );
    expect(
      await allowed("cloudhsm:InitializeCluster", `arn:aws:cloudhsm:eu-west-1:${ACCOUNT}:cluster/cluster-zzzzzzzzzzz`),
    ).toBe("ImplicitlyDenied");
    expect(
      await allowed("cloudhsm:ModifyCluster", `arn:aws:cloudhsm:eu-west-1:${ACCOUNT}:cluster/cluster-zzzzzzzzzzz`),
    ).toBe("ImplicitlyDenied");
    // Scale to zero: HSMs are created and deleted on the configured cluster only; never the cluster itself.
    for (const action of ["cloudhsm:CreateHsm"])
      expect(await allowed(action, `arn:aws:cloudhsm:eu-west-1:${ACCOUNT}:cluster/cluster-zzzzzzzzzzz`)).toBe(
        "ImplicitlyDenied",
      );
    expect(
      await allowed("cloudhsm:DeleteCluster", `arn:aws:cloudhsm:eu-west-1:${ACCOUNT}:cluster/${IDS.clusterId}`),
    ).toBe("ImplicitlyDenied");
    expect(
      await allowed("cloudhsm:DeleteBackup", `arn:aws:cloudhsm:eu-west-1:${ACCOUNT}:backup/backup-abcdefghijk`),
    ).toBe("ImplicitlyDenied");
    expect(await allowed("kms:DeleteCustomKeyStore", "*")).toBe("ImplicitlyDenied");
    // The EC2 rights CreateHsm/DeleteHsm use as the caller: this account's and Region's only, nothing else of EC2.
    for (const [action, resource] of [
      ["ec2:AuthorizeSecurityGroupIngress", ec2("security-group", "sg-0123456789abcdef0", "999999999999")],
      ["ec2:AuthorizeSecurityGroupIngress", ec2("security-group", "sg-0123456789abcdef0", ACCOUNT, "us-east-1")],
      ["ec2:DeleteNetworkInterface", ec2("network-interface", "eni-0123456789abcdef0", ACCOUNT, "us-east-1")],
      ["ec2:DeleteSecurityGroup", ec2("security-group", "sg-0123456789abcdef0")],
      ["ec2:RunInstances", ec2("instance", "*")],
      ["ec2:ModifyNetworkInterfaceAttribute", ec2("network-interface", "eni-0123456789abcdef0")],
    ])
      expect(await allowed(action, resource)).toBe("ImplicitlyDenied");
    expect(await allowed("secretsmanager:TagResource", IDS.adminSecretArn)).toBe("ImplicitlyDenied");
    expect(await allowed("ssm:SendCommand", `arn:aws:ec2:eu-west-1:${ACCOUNT}:instance/i-0fffffffffffffff0`)).toBe(
      "ImplicitlyDenied",
    );
    expect(await allowed("ssm:GetParameter", `arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/other`)).toBe(
      "ImplicitlyDenied",
    );
    expect(await allowed("kms:Decrypt", "*")).toBe("ImplicitlyDenied");
    expect(
      await allowed(
        "kms:ImportKeyMaterial",
        `arn:aws:kms:eu-west-1:${ACCOUNT}:key/00000000-0000-0000-0000-000000000000`,
      ),
    ).toBe("ImplicitlyDenied");
  });
});

describe("the command-line steps' documented statements (evaluated): what each calls, scoped where AWS allows", () => {
  const VPC = "vpc-0123456789abcdef0";
  const vpcArn = (id = VPC) => `arn:aws:ec2:eu-west-1:${ACCOUNT}:vpc/${id}`;
  const scope = (step: StepName) => ({
    partition: "aws",
    region: "eu-west-1",
    account: ACCOUNT,
    args: flagsOf(step),
    vpcId: VPC,
  });
  const policyOf = (step: StepName): PolicyDocument => ({
    Version: "2012-10-17",
    Statement: permissionsFor(step, scope(step)).map((st) => ({ ...st, Action: [...st.Action] })) as never,
  });
  const rootDelegates = (account: string): PolicyDocument => ({
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: "kms:*", Resource: "*" },
    ],
  });
  // An existing subnet, group or interface carries ec2:Vpc (the cluster's VPC unless a test says otherwise).
  const VPC_KEYED = /^arn:aws:ec2:[^:]*:[^:]*:(subnet|security-group|network-interface)\/(subnet|sg|eni)-/;
  const ask = (step: StepName, action: string, resource: string, context: Record<string, string | string[]> = {}) => {
    const account = resource.split(":")[4] || ACCOUNT;
    return decide({
      principal: `arn:aws:iam::${ACCOUNT}:role/Operator`,
      action,
      resource,
      resourceAccount: account,
      identityPolicies: [policyOf(step)],
      context: { ...(VPC_KEYED.test(resource) ? { "ec2:Vpc": vpcArn() } : {}), ...context },
      ...(resource.includes(":kms:") ? { resourcePolicy: rootDelegates(ACCOUNT) } : {}),
    });
  };
  const cluster = (region = "eu-west-1", account = ACCOUNT) =>
    `arn:aws:cloudhsm:${region}:${account}:cluster/cluster-zzzzzzzzzzz`;
  const key = (region = "eu-west-1") => `arn:aws:kms:${region}:${ACCOUNT}:key/${IDS.keyId}`;
  const sg = (region = "eu-west-1", account = ACCOUNT) =>
    `arn:aws:ec2:${region}:${account}:security-group/sg-0123456789abcdef0`;

  test.each<[string, string, string]>([
    ["cloudhsm:CreateHsm", cluster(), "Allowed"],
    ["cloudhsm:CreateHsm", cluster("us-east-1"), "ImplicitlyDenied"],
    ["cloudhsm:CreateHsm", cluster("eu-west-1", "999999999999"), "ImplicitlyDenied"],
    ["ec2:CreateNetworkInterface", `arn:aws:ec2:eu-west-1:${ACCOUNT}:network-interface/*`, "Allowed"],
    // CreateHsm authorizes DeleteNetworkInterface too (Service Authorization Reference, AWS CloudHSM).
    [
      "ec2:DeleteNetworkInterface",
      `arn:aws:ec2:eu-west-1:${ACCOUNT}:network-interface/eni-0123456789abcdef0`,
      "Allowed",
    ],
    ["ec2:AuthorizeSecurityGroupIngress", sg(), "Allowed"],
    ["ec2:AuthorizeSecurityGroupIngress", sg("us-east-1"), "ImplicitlyDenied"],
    ["ec2:AuthorizeSecurityGroupIngress", sg("eu-west-1", "999999999999"), "ImplicitlyDenied"],
    ["ec2:DescribeVpcs", "*", "Allowed"],
    ["kms:Encrypt", key(), "Allowed"],
    ["kms:Decrypt", key(), "Allowed"],
    ["kms:Encrypt", key("us-east-1"), "ImplicitlyDenied"],
    ["kms:UpdateCustomKeyStore", "*", "Allowed"],
    ["cloudhsm:DeleteCluster", cluster(), "ImplicitlyDenied"],
    ["kms:ScheduleKeyDeletion", key(), "ImplicitlyDenied"],
  ])("restore-key-store: %s on %s -> %s", async (action, resource, expected) => {
    expect(await ask("restore-key-store", action, resource)).toBe(expected);
  });

  // CreateCluster and TagResource: CloudHSM supports the backup resource type for CreateCluster, the
  // cluster and backup types for TagResource, and aws:RequestTag / aws:TagKeys on both (Service
  // Authorization Reference, AWS CloudHSM: https://docs.aws.amazon.com/service-authorization/latest/reference/list_cloudhsm.html).
  const backup = (region = "eu-west-1", account = ACCOUNT) =>
    `arn:aws:cloudhsm:${region}:${account}:backup/backup-abcdefghijk`;
  const restoredFor = (value: string, extra: Record<string, string> = {}) => ({
    [`aws:RequestTag/${RESTORED_FOR_TAG}`]: value,
    ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [`aws:RequestTag/${k}`, v])),
    "aws:TagKeys": [RESTORED_FOR_TAG, ...Object.keys(extra)],
  });
  test.each<[string, string, Record<string, string | string[]>, string]>([
    ["cloudhsm:CreateCluster", backup(), restoredFor(IDS.keyStoreId), "Allowed"],
    ["cloudhsm:CreateCluster", backup(), {}, "ImplicitlyDenied"],
    ["cloudhsm:CreateCluster", backup(), restoredFor("cks-0000000000000000"), "ImplicitlyDenied"],
    ["cloudhsm:CreateCluster", backup(), restoredFor(IDS.keyStoreId, { owner: "x" }), "ImplicitlyDenied"],
    ["cloudhsm:CreateCluster", backup("us-east-1"), restoredFor(IDS.keyStoreId), "ImplicitlyDenied"],
    ["cloudhsm:CreateCluster", backup("eu-west-1", "999999999999"), restoredFor(IDS.keyStoreId), "ImplicitlyDenied"],
    ["cloudhsm:TagResource", cluster(), restoredFor(IDS.keyStoreId), "Allowed"],
    ["cloudhsm:TagResource", cluster(), restoredFor("cks-0000000000000000"), "ImplicitlyDenied"],
    ["cloudhsm:TagResource", cluster(), restoredFor(IDS.keyStoreId, { owner: "x" }), "ImplicitlyDenied"],
    ["cloudhsm:TagResource", cluster("us-east-1"), restoredFor(IDS.keyStoreId), "ImplicitlyDenied"],
    ["cloudhsm:TagResource", backup(), restoredFor(IDS.keyStoreId), "Allowed"],
    ["cloudhsm:TagResource", backup(), restoredFor(IDS.keyStoreId, { owner: "x" }), "ImplicitlyDenied"],
    ["cloudhsm:TagResource", backup("eu-west-1", "999999999999"), restoredFor(IDS.keyStoreId), "ImplicitlyDenied"],
  ])("restore-key-store: %s on %s with %j -> %s", async (action, resource, context, expected) => {
    expect(await ask("restore-key-store", action, resource, context)).toBe(expected);
  });

  // CloudHSM's EC2 rights as the caller, held to the cluster's VPC: ec2:Vpc on the subnet, security
  // group and network interface of these actions; the VPC's ARN for CreateSecurityGroup (Service
  // Authorization Reference, Amazon EC2: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html).
  const other = { "ec2:Vpc": vpcArn("vpc-0fedcba9876543210") };
  const subnet = `arn:aws:ec2:eu-west-1:${ACCOUNT}:subnet/subnet-0123456789abcdef0`;
  const eni = `arn:aws:ec2:eu-west-1:${ACCOUNT}:network-interface/eni-0123456789abcdef0`;
  test.each(["restore-key-store", "ensure-hsms", "scale-up"] as const)(
    "%s: the EC2 rights CreateHsm uses hold only in the cluster's VPC",
    async (step) => {
      expect(await ask(step, "ec2:CreateNetworkInterface", subnet)).toBe("Allowed");
      expect(await ask(step, "ec2:CreateNetworkInterface", sg())).toBe("Allowed");
      expect(await ask(step, "ec2:CreateNetworkInterface", subnet, other)).toBe("ImplicitlyDenied");
      expect(await ask(step, "ec2:CreateNetworkInterface", sg(), other)).toBe("ImplicitlyDenied");
      for (const action of [
        "ec2:AuthorizeSecurityGroupIngress",
        "ec2:AuthorizeSecurityGroupEgress",
        "ec2:RevokeSecurityGroupEgress",
      ]) {
        expect(await ask(step, action, sg())).toBe("Allowed");
        expect(await ask(step, action, sg(), other)).toBe("ImplicitlyDenied");
      }
      expect(await ask(step, "ec2:DeleteNetworkInterface", eni)).toBe("Allowed");
      expect(await ask(step, "ec2:DeleteNetworkInterface", eni, other)).toBe("ImplicitlyDenied");
      expect(await ask(step, "ec2:CreateSecurityGroup", vpcArn())).toBe("Allowed");
      expect(await ask(step, "ec2:CreateSecurityGroup", vpcArn("vpc-0fedcba9876543210"))).toBe("ImplicitlyDenied");
    },
  );

  test("scale-down deletes network interfaces of the cluster's VPC only", async () => {
    expect(await ask("scale-down", "ec2:DeleteNetworkInterface", eni)).toBe("Allowed");
    expect(await ask("scale-down", "ec2:DeleteNetworkInterface", eni, other)).toBe("ImplicitlyDenied");
  });

  test("reset-kmsuser-password keeps UpdateCustomKeyStore on * (no resource type; kms:CallerAccount only) and the table says why", async () => {
    const st = (STEP_CONTRACT["reset-kmsuser-password"].iam as readonly StepSpec["iam"][number][]).find((x) =>
      (x.actions as readonly string[]).includes("kms:UpdateCustomKeyStore"),
    );
    expect(st?.resources).toBe("*");
    expect(st?.note).toContain("kms:CallerAccount is their only condition key");
    expect(renderIamTable()).toContain(st?.note as string);
    expect(await ask("reset-kmsuser-password", "kms:UpdateCustomKeyStore", "*")).toBe("Allowed");
    expect(await ask("reset-kmsuser-password", "kms:DeleteCustomKeyStore", "*")).toBe("ImplicitlyDenied");
  });

  test("a step whose EC2 rights are held to the cluster's VPC refuses a scope without one", () => {
    expect(() =>
      permissionsFor("ensure-hsms", {
        partition: "aws",
        region: "eu-west-1",
        account: ACCOUNT,
        args: flagsOf("ensure-hsms"),
      }),
    ).toThrow(
      "no IAM permissions for ensure-hsms: its EC2 statements are held to the cluster's VPC, and no VPC id was given (StepScope.vpcId, HookStepProps.vpcId)",
    );
  });

  test.each<[string, string, string]>([
    ["cloudhsm:ModifyBackupAttributes", `arn:aws:cloudhsm:eu-west-1:${ACCOUNT}:backup/backup-abcdefghijk`, "Allowed"],
    [
      "cloudhsm:ModifyBackupAttributes",
      `arn:aws:cloudhsm:us-east-1:${ACCOUNT}:backup/backup-abcdefghijk`,
      "ImplicitlyDenied",
    ],
    [
      "cloudhsm:ModifyBackupAttributes",
      `arn:aws:cloudhsm:eu-west-1:999999999999:backup/backup-abcdefghijk`,
      "ImplicitlyDenied",
    ],
    ["cloudhsm:ModifyCluster", `arn:aws:cloudhsm:eu-west-1:${ACCOUNT}:cluster/${IDS.clusterId}`, "Allowed"],
    ["cloudhsm:ModifyCluster", cluster(), "ImplicitlyDenied"],
    ["cloudhsm:DeleteBackup", `arn:aws:cloudhsm:eu-west-1:${ACCOUNT}:backup/backup-abcdefghijk`, "ImplicitlyDenied"],
  ])("migrate-hsm-type: %s on %s -> %s", async (action, resource, expected) => {
    expect(await ask("migrate-hsm-type", action, resource)).toBe(expected);
  });
});
