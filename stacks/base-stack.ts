import { Construct } from "constructs";
import type { ResolvedEnvironment } from "../environments/resolve";
import { EnvironmentStack } from "../modules/core/environment-stack";

/** A stack of a shipped environment: the environment's account, Region, tags and backend, and the resolved configuration. */
export abstract class ShippedEnvironmentStack extends EnvironmentStack {
  readonly env: ResolvedEnvironment;

  protected constructor(scope: Construct, id: string, env: ResolvedEnvironment) {
    super(scope, id, {
      name: env.name,
      account: env.account,
      region: env.region,
      partition: env.partition,
      tags: env.tags,
      backend: env.backend,
    });
    this.env = env;
  }
}
