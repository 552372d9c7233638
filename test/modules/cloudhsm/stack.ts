/** A test EnvironmentStack, a plain INetwork and readers of the synthesized JSON, for the CloudHSM constructs built alone. */
import { Testing } from "cdktf";
import { EnvironmentStack } from "../../../modules/core/environment-stack";
import { HookRuntime } from "../../../modules/hooks/hook-runtime";
import type { INetwork } from "../../../modules/network/network";
import { isUserError } from "../../../environments/errors";

export type Resource = Record<string, unknown>;
export interface Synthesized {
  resource: Record<string, Record<string, Resource>>;
  data?: Record<string, Record<string, Resource>>;
  output?: Record<string, { value: string; description?: string }>;
  provider?: Record<string, unknown>;
}

/** Three private subnets in eu-west-1a-c of a VPC that declares its route table. */
export const NETWORK: INetwork = {
  vpcId: "vpc-0123456789abcdef0",
  cidr: "10.30.0.0/16",
  subnetIdByAz: {
    "eu-west-1a": "subnet-0000000000000000a",
    "eu-west-1b": "subnet-0000000000000000b",
    "eu-west-1c": "subnet-0000000000000000c",
  },
  subnetIds: ["subnet-0000000000000000a", "subnet-0000000000000000b", "subnet-0000000000000000c"],
  routeTableIds: ["rtb-0123456789abcdef0"],
  onPremisesReady: [],
};

/** `new EnvironmentStack(Testing.app(), "test", { name: "t", ... })`, with a hook runtime when a runner is given. */
export function testStack(runner?: "local" | "lambda"): EnvironmentStack {
  const stack = new EnvironmentStack(Testing.app(), "test", {
    name: "t",
    account: "111111111111",
    region: "eu-west-1",
  });
  if (runner) {
    new HookRuntime(stack, HookRuntime.ID, {
      runner,
      network: NETWORK,
    });
  }
  return stack;
}

export function synth(stack: EnvironmentStack): Synthesized {
  return JSON.parse(Testing.synth(stack)) as Synthesized;
}

/** Every resource of a type (name -> attributes). */
export function all(json: Synthesized, type: string): Record<string, Resource> {
  return json.resource[type] ?? {};
}

/** The only resource of a type. */
export function one(json: Synthesized, type: string): Resource {
  const found = Object.values(all(json, type));
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0];
}

/** The lines of the PropsError (or ConfigError) `fn` throws; fails when it throws nothing or another error. */
export function errorLines(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (isUserError(e)) return [...e.lines];
    throw e;
  }
  throw new Error("expected a PropsError, nothing was thrown");
}
