/** Construct-level test fixtures: an EnvironmentStack with minimal props, its synthesized JSON, a described network. */
import { Testing } from "cdktf";
import { EnvironmentStack } from "../../../modules/core/environment-stack";
import type { INetwork } from "../../../modules/network/network";
import type { StackJson } from "../../helpers/synth";

/** A stack named "test" for the environment "t" in 111111111111 / eu-west-1. */
export function testStack(name = "t"): EnvironmentStack {
  return new EnvironmentStack(Testing.app(), "test", { name, account: "111111111111", region: "eu-west-1" });
}

/** The stack's cdk.tf.json. */
export function synthesized(stack: EnvironmentStack): StackJson {
  return JSON.parse(Testing.synth(stack)) as StackJson;
}

/** An existing VPC in 2 AZs that routes 192.168.0.0/16, described as constructs take it. */
export const NETWORK: INetwork = {
  vpcId: "vpc-0123456789abcdef0",
  cidr: "10.20.0.0/16",
  subnetIdByAz: { "eu-west-1a": "subnet-0123456789abcdef0", "eu-west-1b": "subnet-0123456789abcdef1" },
  subnetIds: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
  routeTableIds: ["rtb-0123456789abcdef0"],
  onPremisesCidrs: ["192.168.0.0/16"],
  onPremisesReady: [],
};

/** The stack's configuration with each block's construct path (`//` metadata), for stackGraph. */
export function synthesizedWithPaths(stack: EnvironmentStack): StackJson {
  Testing.synth(stack); // runs the aspects as a synth does
  return JSON.parse(JSON.stringify(stack.toTerraform())) as StackJson;
}
