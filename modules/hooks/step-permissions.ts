/**
 * IAM statements each hook step needs, scoped to the ids it acts on (from hooks/README.md, "IAM
 * per step"). The Lambda runner's role is the union of the statements of the steps its stack
 * wires, nothing more.
 */

export interface IamStatement {
  readonly Sid?: string;
  readonly Effect: "Allow";
  readonly Action: readonly string[];
  readonly Resource: string | readonly string[];
}

export interface StepScope {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  /** The step's CLI flags and values (ids, ARNs, parameter names). */
  readonly args: Readonly<Record<string, string>>;
}

const ssmCommand = (s: StepScope): IamStatement[] => [
  {
    Effect: "Allow",
    Action: ["ssm:SendCommand"],
    Resource: [
      `arn:${s.partition}:ssm:${s.region}::document/AWS-RunShellScript`,
      `arn:${s.partition}:ec2:${s.region}:${s.account}:instance/${s.args["instance-id"]}`,
    ],
  },
  { Effect: "Allow", Action: ["ssm:ListCommands", "ssm:GetCommandInvocation"], Resource: "*" },
];

const parameterArn = (s: StepScope, name: string) => `arn:${s.partition}:ssm:${s.region}:${s.account}:parameter/${name.replace(/^\//, "")}`;

const describeClusters: IamStatement = { Effect: "Allow", Action: ["cloudhsm:DescribeClusters"], Resource: "*" };

/** Statements per step name. */
export const STEP_PERMISSIONS: Readonly<Record<string, (s: StepScope) => IamStatement[]>> = {
  "initialize-cluster": (s) => [
    describeClusters,
    { Effect: "Allow", Action: ["cloudhsm:InitializeCluster"], Resource: `arn:${s.partition}:cloudhsm:${s.region}:${s.account}:cluster/${s.args["cluster-id"]}` },
    { Effect: "Allow", Action: ["ssm:GetParameter"], Resource: [parameterArn(s, s.args["certificate-parameter"]), parameterArn(s, s.args["trust-anchor-parameter"])] },
  ],
  "activate-cluster": (s) => [
    describeClusters,
    { Effect: "Allow", Action: ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"], Resource: s.args["admin-secret-arn"] },
    ...ssmCommand(s),
  ],
  "set-backup-retention": (s) => [
    describeClusters,
    { Effect: "Allow", Action: ["cloudhsm:ModifyCluster"], Resource: `arn:${s.partition}:cloudhsm:${s.region}:${s.account}:cluster/${s.args["cluster-id"]}` },
  ],
  "wait-hsms-active": () => [describeClusters],
  "create-kmsuser": (s) => [
    describeClusters,
    { Effect: "Allow", Action: ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"], Resource: s.args["admin-secret-arn"] },
    {
      Effect: "Allow",
      Action: ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue", "secretsmanager:TagResource"],
      Resource: s.args["kmsuser-secret-arn"],
    },
    ...ssmCommand(s),
  ],
  // Operator-run (never wired into the graph); granted to the Lambda runner's role so it can be invoked by hand.
  "reset-kmsuser-password": (s) => [
    describeClusters,
    // The *CustomKeyStore actions take no resource ARN.
    { Effect: "Allow", Action: ["kms:DescribeCustomKeyStores", "kms:DisconnectCustomKeyStore", "kms:UpdateCustomKeyStore", "kms:ConnectCustomKeyStore"], Resource: "*" },
    { Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: s.args["admin-secret-arn"] },
    { Effect: "Allow", Action: ["secretsmanager:PutSecretValue"], Resource: s.args["kmsuser-secret-arn"] },
    ...ssmCommand(s),
  ],
  "connect-key-store": () => [
    describeClusters,
    // The *CustomKeyStore actions take no resource ARN.
    { Effect: "Allow", Action: ["kms:DescribeCustomKeyStores", "kms:ConnectCustomKeyStore", "kms:DisconnectCustomKeyStore"], Resource: "*" },
  ],
};

/** The statements for one step; throws for a step this table does not know (a wiring mistake). */
export function permissionsFor(step: string, scope: StepScope): IamStatement[] {
  const f = STEP_PERMISSIONS[step];
  if (!f) throw new Error(`no IAM permissions are defined for hook step "${step}" (modules/hooks/step-permissions.ts)`);
  return f(scope);
}
