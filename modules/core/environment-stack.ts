import type { Construct, IConstruct } from "constructs";
import { TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { IAM } from "@cmk-stacks/aws-limits";
import { PropsError } from "./errors";
import { configureBackend, type BackendProps } from "../backend/state-backend";
import { allowProviderUpdates } from "./provider-requirement";

/** Where a construct is deployed: what constructs read from their stack instead of taking it as props. */
export interface IEnvironment {
  /** Prefix of resource names and Name tags (the environment name). */
  readonly name: string;
  /** AWS account id (12 digits). */
  readonly account: string;
  readonly region: string;
  /** `aws`, `aws-cn` or `aws-us-gov`. */
  readonly partition: string;
}

export interface EnvironmentStackProps {
  /** Environment name: the prefix of resource names and Name tags. */
  readonly name: string;
  /** The only account this stack may deploy to (the provider's `allowed_account_ids`). */
  readonly account: string;
  readonly region: string;
  /** @default - from the Region: `aws-cn` for cn-*, `aws-us-gov` for us-gov-*, otherwise `aws` */
  readonly partition?: string;
  /** Tags on every resource (the provider's `default_tags`), plus `Stack: <stack id>`. @default {} */
  readonly tags?: Readonly<Record<string, string>>;
  /** Where Terraform keeps this stack's state. @default { type: "local" } */
  readonly backend?: BackendProps;
}

/** The partition of a Region: the rulebook's {@link IAM.partitionOfRegion}. */
export const partitionOfRegion = IAM.partitionOfRegion;

/**
 * A stack pinned to one account and Region: the AWS provider (with `allowed_account_ids` and
 * default tags) and the state backend. Constructs read the account, Region, partition and name
 * prefix with {@link EnvironmentStack.of}, as aws-cdk constructs read `Stack.of(this)`.
 */
export class EnvironmentStack extends TerraformStack implements IEnvironment {
  readonly name: string;
  readonly account: string;
  readonly region: string;
  readonly partition: string;
  private readonly providerSettings: { readonly account: string; readonly tags: Record<string, string> };
  private readonly regionProviders = new Map<string, AwsProvider>();

  /**
   * The EnvironmentStack `scope` is in (like aws-cdk's `Stack.of`). Constructs read the account,
   * Region, partition and name prefix from it instead of taking them as props. A construct reused
   * in another CDKTF app is placed in an EnvironmentStack built from plain props.
   */
  static of(scope: IConstruct): EnvironmentStack {
    const stack = TerraformStack.of(scope);
    if (stack instanceof EnvironmentStack) return stack;
    throw new PropsError([
      `${scope.node.path}: is in the stack "${stack.node.id}", which is not an EnvironmentStack (its constructs read the account, Region, partition and name prefix from an EnvironmentStack: new EnvironmentStack(app, id, { name, account, region }))`,
    ]);
  }

  constructor(scope: Construct, id: string, props: EnvironmentStackProps) {
    super(scope, id);
    this.name = props.name;
    this.account = props.account;
    this.region = props.region;
    this.partition = props.partition ?? partitionOfRegion(props.region);
    this.providerSettings = { account: props.account, tags: { ...(props.tags ?? {}), Stack: id } };
    const aws = new AwsProvider(this, "aws", {
      region: props.region,
      // A deploy with credentials for another account fails before touching anything.
      allowedAccountIds: [props.account],
      defaultTags: [{ tags: defaultTags(this.providerSettings.tags) }],
    });
    // Later 6.x releases allowed; the lock file decides which one `terraform init` installs.
    allowProviderUpdates(this, aws, "aws");
    // terraform_data (1.4) and the hooks' provisioners; Terraform refuses older CLIs itself
    // (the S3 backend raises this to 1.10 for its native lock file).
    this.addOverride("terraform.required_version", ">= 1.5.0");
    configureBackend(this, id, props.backend ?? { type: "local" }, props.region);
  }

  /**
   * The AWS provider for another Region of this stack's account (e.g. a multi-Region key's replica),
   * created once per Region with the alias `<region>`, the same account pin and default tags as the
   * stack's own provider. The stack's own Region is refused: its resources use the default provider.
   */
  providerFor(region: string): AwsProvider {
    if (region === this.region)
      throw new PropsError([
        `${this.node.path}.providerFor: ${JSON.stringify(region)} is not allowed (the stack's own Region: use the default provider)`,
      ]);
    let provider = this.regionProviders.get(region);
    if (!provider) {
      provider = new AwsProvider(this, `aws-${region}`, {
        alias: region,
        region,
        allowedAccountIds: [this.providerSettings.account],
        defaultTags: [{ tags: defaultTags(this.providerSettings.tags) }],
      });
      this.regionProviders.set(region, provider);
    }
    return provider;
  }
}

/**
 * The provider's default tags. cdktf rebuilds every map it writes by assignment, which turns a key
 * named `__proto__` (a legal AWS tag key) into a prototype change and drops it; such a map is
 * written as a Terraform expression instead (`${tomap({...})}`), every key an own, quoted key.
 * Other maps are written as they are, so their output does not change.
 */
function defaultTags(tags: Readonly<Record<string, string>>): Record<string, string> {
  if (!Object.prototype.hasOwnProperty.call(tags, "__proto__")) return { ...tags };
  // Tag keys and values hold only the characters AWS allows in tags (no quotes, backslashes or
  // template markers), so a JSON string literal is also an HCL one.
  const pairs = Object.entries(tags).map(([k, v]) => `${JSON.stringify(k)} = ${JSON.stringify(v)}`);
  return `\${tomap({${pairs.join(", ")}})}` as unknown as Record<string, string>;
}
