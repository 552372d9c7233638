/**
 * Names the hooks write outside Terraform and Terraform must leave alone. No imports: the
 * constructs (bundled into the synth app) read this file too.
 */

/**
 * Tag on the kmsuser secret recording which HSM set create-kmsuser last verified (so a re-run,
 * e.g. the next invocation of a Lambda chain, needs no SSM command). The secret's Terraform
 * resource ignores this one tag (`lifecycle.ignore_changes`), so a plan never shows it.
 */
export const KMSUSER_VERIFIED_TAG = "cmk-hooks:kmsuser-verified";
