import type { HookClients } from "./lib/clients";
import { HookError } from "./lib/errors";
import type { RateLimiter } from "./lib/rate-limiter";
import type { StepResult, StepRuntime } from "./lib/runtime";
import { checkIds } from "./lib/validate";
import { activateCluster } from "./steps/activate-cluster";
import { connectKeyStore } from "./steps/connect-key-store";
import { createKmsuser } from "./steps/create-kmsuser";
import { initializeCluster } from "./steps/initialize-cluster";
import { resetKmsuserPassword } from "./steps/reset-kmsuser-password";
import { setBackupRetention } from "./steps/set-backup-retention";
import { waitHsmsActive } from "./steps/wait-hsms-active";

/** Ids a step may take; the CLI flag is the kebab-case form (`clusterId` -> `--cluster-id`). */
export interface StepArgs {
  readonly region: string;
  readonly clusterId?: string;
  readonly keyStoreId?: string;
  readonly instanceId?: string;
  readonly adminSecretArn?: string;
  readonly kmsuserSecretArn?: string;
  readonly certificateParameter?: string;
  readonly trustAnchorParameter?: string;
  readonly force?: boolean;
  readonly minHsms?: number;
  /** Backup retention in days (set-backup-retention). */
  readonly days?: number;
}

export type IdArg = "clusterId" | "keyStoreId" | "instanceId" | "adminSecretArn" | "kmsuserSecretArn" | "certificateParameter" | "trustAnchorParameter";

/** One runnable step: its required ids, the IAM actions the runner's role needs, and how to run it. */
export interface StepDefinition {
  readonly required: readonly IdArg[];
  /** IAM actions for the role running the hook (least privilege; resources in hooks/README.md). */
  readonly iam: readonly string[];
  /** IAM actions the admin instance's profile needs (steps that run scripts there). */
  readonly instanceIam?: readonly string[];
  readonly run: (args: StepArgs, clients: HookClients, runtime: StepRuntime & { limiter?: RateLimiter }) => Promise<StepResult>;
}

const SSM_COMMAND = ["ssm:SendCommand", "ssm:ListCommands", "ssm:GetCommandInvocation"];

/** Every step the runners know, by CLI name. */
export const STEPS = {
  "initialize-cluster": {
    required: ["clusterId", "certificateParameter", "trustAnchorParameter"],
    iam: ["cloudhsm:DescribeClusters", "cloudhsm:InitializeCluster", "ssm:GetParameter"],
    run: (a, c, r) => initializeCluster({ ...r, clients: c, clusterId: req(a.clusterId), certificateParameter: req(a.certificateParameter), trustAnchorParameter: req(a.trustAnchorParameter) }),
  },
  "activate-cluster": {
    required: ["clusterId", "instanceId", "adminSecretArn", "trustAnchorParameter"],
    iam: ["cloudhsm:DescribeClusters", "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue", ...SSM_COMMAND],
    instanceIam: ["ssm:GetParameter", "secretsmanager:GetSecretValue"],
    run: (a, c, r) =>
      activateCluster({ ...r, clients: c, region: a.region, clusterId: req(a.clusterId), instanceId: req(a.instanceId), adminSecretArn: req(a.adminSecretArn), trustAnchorParameter: req(a.trustAnchorParameter) }),
  },
  "set-backup-retention": {
    required: ["clusterId"],
    iam: ["cloudhsm:DescribeClusters", "cloudhsm:ModifyCluster"],
    run: (a, c, r) => setBackupRetention({ ...r, clients: c, clusterId: req(a.clusterId), days: a.days ?? 90 }),
  },
  "wait-hsms-active": {
    required: ["clusterId"],
    iam: ["cloudhsm:DescribeClusters"],
    run: (a, c, r) => waitHsmsActive({ ...r, clients: c, clusterId: req(a.clusterId), minHsms: a.minHsms }),
  },
  "create-kmsuser": {
    required: ["clusterId", "instanceId", "adminSecretArn", "kmsuserSecretArn", "trustAnchorParameter"],
    iam: ["cloudhsm:DescribeClusters", "secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue", "secretsmanager:TagResource", ...SSM_COMMAND],
    instanceIam: ["ssm:GetParameter", "secretsmanager:GetSecretValue"],
    run: (a, c, r) =>
      createKmsuser({
        ...r,
        clients: c,
        region: a.region,
        clusterId: req(a.clusterId),
        instanceId: req(a.instanceId),
        adminSecretArn: req(a.adminSecretArn),
        kmsuserSecretArn: req(a.kmsuserSecretArn),
        trustAnchorParameter: req(a.trustAnchorParameter),
        force: a.force,
      }),
  },
  /** Operator-run recovery (INVALID_CREDENTIALS, USER_LOCKED_OUT); never wired into `terraform apply`: it disconnects the store. */
  "reset-kmsuser-password": {
    required: ["keyStoreId", "instanceId", "adminSecretArn", "kmsuserSecretArn", "trustAnchorParameter"],
    iam: [
      "kms:DescribeCustomKeyStores",
      "kms:DisconnectCustomKeyStore",
      "kms:UpdateCustomKeyStore",
      "kms:ConnectCustomKeyStore",
      "cloudhsm:DescribeClusters",
      "secretsmanager:GetSecretValue",
      "secretsmanager:PutSecretValue",
      ...SSM_COMMAND,
    ],
    instanceIam: ["ssm:GetParameter", "secretsmanager:GetSecretValue"],
    run: (a, c, r) =>
      resetKmsuserPassword({
        ...r,
        clients: c,
        region: a.region,
        keyStoreId: req(a.keyStoreId),
        instanceId: req(a.instanceId),
        adminSecretArn: req(a.adminSecretArn),
        kmsuserSecretArn: req(a.kmsuserSecretArn),
        trustAnchorParameter: req(a.trustAnchorParameter),
        force: a.force,
      }),
  },
  "connect-key-store": {
    required: ["keyStoreId"],
    iam: ["kms:DescribeCustomKeyStores", "kms:ConnectCustomKeyStore", "kms:DisconnectCustomKeyStore", "cloudhsm:DescribeClusters"],
    run: (a, c, r) => connectKeyStore({ ...r, clients: c, keyStoreId: req(a.keyStoreId) }),
  },
} satisfies Record<string, StepDefinition>;

export type StepName = keyof typeof STEPS;

/** True for a known step name. */
export function isStepName(name: string): name is StepName {
  return Object.prototype.hasOwnProperty.call(STEPS, name);
}

/** Input problems for `step` (missing or malformed ids), one message each. */
export function checkStepArgs(step: StepName, args: StepArgs): string[] {
  const problems: string[] = [];
  for (const key of STEPS[step].required) if (!args[key]) problems.push(`'--${kebab(key)}' is required for ${step}`);
  problems.push(...checkIds({ region: args.region, clusterId: args.clusterId, keyStoreId: args.keyStoreId, instanceId: args.instanceId }));
  problems.push(...checkIds({ secretArn: args.adminSecretArn }), ...checkIds({ secretArn: args.kmsuserSecretArn }));
  problems.push(...checkIds({ parameterName: args.certificateParameter }), ...checkIds({ parameterName: args.trustAnchorParameter }));
  return problems;
}

/** `clusterId` -> `cluster-id`. */
export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function req(value: string | undefined): string {
  if (!value) throw new HookError("hooks", "InvalidInput", "a required id is missing", "pass every flag the step lists (hooks/README.md)");
  return value;
}
