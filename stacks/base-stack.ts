import { Construct } from "constructs";
import { TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import type { ResolvedEnvironment } from "../environments/resolve";
import { configureBackend } from "../modules/backend/state-backend";

/** What every stack of an environment shares: the AWS provider pinned to the account, tags, state backend. */
export abstract class EnvironmentStack extends TerraformStack {
  readonly env: ResolvedEnvironment;

  protected constructor(scope: Construct, id: string, env: ResolvedEnvironment) {
    super(scope, id);
    this.env = env;
    new AwsProvider(this, "aws", {
      region: env.region,
      // A deploy with credentials for another account fails before touching anything.
      allowedAccountIds: [env.account],
      defaultTags: [{ tags: { ...env.tags, Stack: id } }],
    });
    // terraform_data (1.4) and the hooks' provisioners; Terraform refuses older CLIs itself
    // (the S3 backend raises this to 1.10 for its native lock file).
    this.addOverride("terraform.required_version", ">= 1.5.0");
    configureBackend(this, id, env.backend, env.region);
  }
}
