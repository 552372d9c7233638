import { Construct } from "constructs";
import { CLOUDWATCH, HOOKS, inRange } from "@cmk-stacks/aws-limits";
import { AssetType, Lazy, TerraformAsset, TerraformStack } from "cdktf";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { permissionsFor, type IamStatement } from "../../hooks/contract";
import { EnvironmentStack } from "../core/environment-stack";
import { PropsError, shown, throwIfProblems } from "../core/errors";
import type { INetwork } from "../network/network";

/** The project root: the nearest folder above this file (source or `.build` bundle) with a package.json. */
function projectRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** Folder with the bundled hook program (`hooks.js`, which also exports the Lambda `handler`), built by `tools/build.mjs`. */
export const HOOK_BUNDLE_DIR = join(projectRoot(), ".build", "hooks-bundle");

/**
 * Lambda runtime of the hook function. Node.js 20 reached end of life on 2026-04-30 and
 * `nodejs20.x` is deprecated; `nodejs22.x` is supported until 2027-04-30
 * (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html). tools/build.mjs builds the
 * Lambda bundle for the same Node version (`LAMBDA_NODE_TARGET` there); the CLI bundle stays Node 20.
 */
export const LAMBDA_RUNTIME = "nodejs22.x";

/** Where a stack's hook steps run. */
export type HookRunner = "local" | "lambda";

export interface HookRuntimeProps {
  /**
   * `local`: Node where Terraform runs; `lambda`: a function in the network's private subnets.
   * @default "local"
   */
  readonly runner?: HookRunner;
  /**
   * Lambda runner (required there): the VPC the function runs in, in every subnet of
   * `subnetIds` ({@link HOOKS.LAMBDA_VPC_SUBNETS}); it reaches AWS APIs through the VPC's interface endpoints only.
   * @default - none (the local runner needs no network)
   */
  readonly network?: INetwork;
}

/** Lambda VpcConfig SubnetIds: {@link HOOKS.LAMBDA_VPC_SUBNETS}. */
const LAMBDA_SUBNETS = HOOKS.LAMBDA_VPC_SUBNETS;
/** Lambda FunctionName and IAM role names: {@link HOOKS.LAMBDA_FUNCTION_NAME_MAX}. */
const MAX_FUNCTION_NAME = HOOKS.LAMBDA_FUNCTION_NAME_MAX.value;

/**
 * Hook wiring (synth time), not the bootstrap program itself: the program is `hooks/` (run at
 * deploy time); this construct decides where it runs for a stack and what its role may do (the
 * statements of `hooks/contract.ts` for the steps wired in the stack).
 *
 * How a stack's hook steps run. One per stack (`HookRuntime.of(stack)`), configured by the stack
 * that owns the network; a stack that never configures one runs hooks locally.
 * - `local`: the bundle is a CDKTF asset; `local-exec` runs it with Node where Terraform runs.
 * - `lambda`: the same code, built for {@link LAMBDA_RUNTIME}, as a function in the VPC (no
 *   environment secrets, a role holding exactly the permissions of the steps wired in this
 *   stack), invoked with `aws_lambda_invocation`, so a Terraform Cloud run needs no Node and no
 *   network path. The function depends on its role's policies, so its first invocation never
 *   runs before its permissions exist.
 */
export class HookRuntime extends Construct {
  static readonly ID = "hook-runtime";

  /** The stack's runtime, created with the local runner when the stack configured none. */
  static of(scope: Construct): HookRuntime {
    const stack = TerraformStack.of(scope);
    const existing = stack.node.tryFindChild(HookRuntime.ID) as HookRuntime | undefined;
    if (existing) return existing;
    return new HookRuntime(stack, HookRuntime.ID, {});
  }

  /** Where the stack's steps run. */
  readonly runner: HookRunner;
  /** The network the lambda runner's function runs in. */
  readonly network?: INetwork;
  private asset?: TerraformAsset;
  private fn?: LambdaFunction;
  private readonly statements: IamStatement[] = [];

  constructor(scope: TerraformStack, id: string, props: HookRuntimeProps) {
    super(scope, id);
    this.runner = props.runner ?? "local";
    this.network = props.network;
    const problems: string[] = [];
    if (id !== HookRuntime.ID)
      problems.push(
        `${this.node.path}: the id ${shown(id)} is not allowed (one runtime per stack, with the id "${HookRuntime.ID}", which HookRuntime.of finds)`,
      );
    if (this.runner === "lambda") {
      const subnets = props.network?.subnetIds;
      if (!props.network)
        problems.push(
          `${this.node.path}.network: (missing) is not allowed (the lambda runner runs the function in the VPC's private subnets)`,
        );
      else if (!subnets || !inRange(LAMBDA_SUBNETS, subnets.length)) {
        problems.push(
          `${this.node.path}.network.subnetIds: ${shown(subnets)} is not allowed (${LAMBDA_SUBNETS.min} to ${LAMBDA_SUBNETS.max} subnets, Lambda VpcConfig SubnetIds)`,
        );
      }
      // Only a lambda runner reads the stack's environment (a local runner works in any TerraformStack).
      const name = `${EnvironmentStack.of(this).name}-hooks`;
      if (name.length > MAX_FUNCTION_NAME)
        problems.push(
          `${this.node.path}.functionName: ${shown(name)} is not allowed (at most ${MAX_FUNCTION_NAME} characters, Lambda CreateFunction FunctionName and IAM CreateRole RoleName: use a shorter EnvironmentStack name)`,
        );
    }
    throwIfProblems(problems);
  }

  /** Path of the bundle folder relative to the stack's working directory (local runner). */
  bundlePath(): string {
    this.asset ??= new TerraformAsset(this, "bundle", { path: requireBundle(), type: AssetType.DIRECTORY });
    return this.asset.path;
  }

  /**
   * Adds the permissions of one step (with its ids) to the function's role; `vpcId`: the VPC of the
   * cluster a step that creates or deletes HSMs acts on (its EC2 rights are held to it).
   */
  grantStep(step: string, args: Readonly<Record<string, string>>, vpcId?: string): void {
    const { partition, region, account } = EnvironmentStack.of(this);
    this.statements.push(...permissionsFor(step, { partition, region, account, args, vpcId }));
  }

  /** The Lambda function (created on first use). */
  lambda(): LambdaFunction {
    if (this.fn) return this.fn;
    const { name: namePrefix, partition } = EnvironmentStack.of(this);
    const vpc = this.network;
    if (this.runner !== "lambda" || !vpc)
      throw new PropsError([
        `${this.node.path}.runner: ${shown(this.runner)} is not allowed (a Lambda function needs the lambda runner and its network)`,
      ]);
    const archive = new TerraformAsset(this, "lambda-bundle", { path: requireLambdaZip(), type: AssetType.FILE });
    const role = new IamRole(this, "role", {
      name: `${namePrefix}-hooks`,
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
      }),
    });
    // ENI management in the VPC and its own log stream; nothing else is managed-policy wide.
    const vpcAccess = new IamRolePolicyAttachment(this, "vpc-access", {
      role: role.name,
      policyArn: `arn:${partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole`,
    });
    const steps = new IamRolePolicy(this, "steps", {
      role: role.id,
      name: "hook-steps",
      policy: Lazy.stringValue({
        produce: () => JSON.stringify({ Version: "2012-10-17", Statement: mergeStatements(this.statements) }),
      }),
    });
    const sg = new SecurityGroup(this, "sg", {
      name: `${namePrefix}-hooks`,
      description: "Hook Lambda: HTTPS to the VPC endpoints only",
      vpcId: vpc.vpcId,
      egress: [
        {
          description: "AWS APIs through the VPC interface endpoints",
          protocol: "tcp",
          fromPort: 443,
          toPort: 443,
          cidrBlocks: [vpc.cidr],
        },
      ],
    });
    const logs = new CloudwatchLogGroup(this, "logs", {
      name: `/aws/lambda/${namePrefix}-hooks`,
      retentionInDays: CLOUDWATCH.HOOK_LOG_RETENTION_DAYS_DEFAULT.value,
    });
    this.fn = new LambdaFunction(this, "function", {
      functionName: `${namePrefix}-hooks`,
      description: "cmk-stacks bootstrap hooks (initialise, activate, kmsuser, connect)",
      role: role.arn,
      runtime: LAMBDA_RUNTIME,
      handler: "hooks.handler",
      filename: archive.path,
      sourceCodeHash: archive.assetHash,
      timeout: HOOKS.LAMBDA_TIMEOUT_SECONDS.max,
      memorySize: HOOKS.LAMBDA_MEMORY_MB_DEFAULT.value,
      vpcConfig: { subnetIds: [...vpc.subnetIds], securityGroupIds: [sg.id] },
      // IAM is eventually consistent and the role alone grants nothing: without these edges
      // Terraform may create (and the first invocation run) before the ENI permissions and the
      // step policy are attached.
      dependsOn: [logs, vpcAccess, steps],
    });
    return this.fn;
  }
}

function requireBundle(): string {
  if (!existsSync(join(HOOK_BUNDLE_DIR, "hooks.js"))) {
    throw new Error(`hook bundle missing at ${HOOK_BUNDLE_DIR}/hooks.js: run "npm run build" (tools/build.mjs) first`);
  }
  return HOOK_BUNDLE_DIR;
}

/** The Lambda bundle (built for {@link LAMBDA_RUNTIME}) zipped by tools/build.mjs (deterministic bytes, so a stable hash). */
export const LAMBDA_ZIP = join(HOOK_BUNDLE_DIR, "..", "hooks-lambda.zip");

function requireLambdaZip(): string {
  const zip = LAMBDA_ZIP;
  if (!existsSync(zip)) throw new Error(`Lambda bundle missing at ${zip}: run "npm run build" (tools/build.mjs) first`);
  return zip;
}

/** Deduplicates statements (same actions and resources) so the role policy stays small and stable. */
function mergeStatements(list: readonly IamStatement[]): IamStatement[] {
  const seen = new Map<string, IamStatement>();
  for (const s of list) {
    const key = JSON.stringify([[...s.Action].sort(), s.Resource, s.Condition ?? null]);
    if (!seen.has(key))
      seen.set(key, {
        Effect: "Allow",
        Action: [...s.Action].sort(),
        Resource: s.Resource,
        ...(s.Condition ? { Condition: s.Condition } : {}),
      });
  }
  return [...seen.values()];
}
