import type { TerraformProvider, TerraformStack } from "cdktf";

/**
 * The version constraint a stack gives a provider in `terraform.required_providers`:
 * `>= <binding version>, < <next major>.0.0` (for the AWS binding 21.22.1: `>= 6.25.0, < 7.0.0`).
 *
 * - The floor is the provider version the prebuilt binding (`@cdktf/provider-aws`) was generated
 *   from: the binding writes arguments of that schema, which an older provider may not know.
 * - The ceiling stops before the next major version: HashiCorp's providers follow semantic
 *   versioning and put breaking changes (removed arguments, changed defaults) only in a major
 *   release, each with an upgrade guide
 *   (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/guides/version-6-upgrade,
 *   https://developer.hashicorp.com/terraform/plugin/best-practices/versioning). A major upgrade is
 *   a deliberate change of this constraint, reviewed with its plans.
 * - Which version inside the range a `terraform init` installs is decided by the stack's dependency
 *   lock file (`terraform-locks/<stack>.terraform.lock.hcl`, copied next to `cdk.tf.json` at
 *   synth), not by the constraint: a later 6.x is taken only by `terraform init -upgrade`
 *   (https://developer.hashicorp.com/terraform/language/files/dependency-lock). docs/toolchain.md.
 *
 * Equivalent to Terraform's pessimistic `~> <major>.<minor>`, written out so a reader needs no
 * operator table (https://developer.hashicorp.com/terraform/language/expressions/version-constraints).
 */
export function providerRequirement(bindingVersion: string): string {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(bindingVersion);
  if (!m) throw new Error(`provider binding version "${bindingVersion}" is not a release version (major.minor.patch)`);
  return `>= ${bindingVersion}, < ${Number(m[1]) + 1}.0.0`;
}

/**
 * Replaces the exact version cdktf writes for `provider` (the binding's own version) with
 * {@link providerRequirement}. `name` is the provider's key in `required_providers` (`aws`, `tls`).
 */
export function allowProviderUpdates(stack: TerraformStack, provider: TerraformProvider, name: string): void {
  const version = provider.terraformGeneratorMetadata?.providerVersion;
  if (!version) throw new Error(`provider ${name}: its binding names no provider version`);
  stack.addOverride(`terraform.required_providers.${name}.version`, providerRequirement(version));
}
