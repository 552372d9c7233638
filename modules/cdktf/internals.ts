/**
 * Every place this project relies on cdktf 0.21 beyond its documented API, in one module, so that
 * a move to CDK Terrain (`cdktn`, the community continuation after HashiCorp deprecated CDKTF on
 * 2025-12-10) or a cdktf change is a change here. test/modules/cdktf/internals.test.ts fails when
 * an assumption below stops holding. docs/toolchain.md "CDKTF deprecation and CDK Terrain" lists them.
 *
 * 1. `invokeAspects` (lib/synthesize/synthesizer): runs the Aspects of a stack without writing
 *    it, so compliance findings of every stack are known before anything is written.
 * 2. `resolve` (lib/_tokens): resolves a resource's attributes as they will be synthesized, for
 *    the compliance rules.
 * 3. `node._validations` (constructs 10.4) and `ValidateTerraformVersion`
 *    (lib/validations/validate-terraform-version): CloudBackend's check that runs
 *    `terraform version` at synth is removed (synthesis needs no Terraform binary).
 * 4. `TerraformStack.prepareStack` / `ensureBackendExists`: keys stacks skip the preparing
 *    resolve pass (it only discovers cross-stack references, and keys stacks make none).
 * 5. The two modules replaced in the app bundle (bundle-stubs.json, applied by tools/build.mjs).
 * 6. `Precondition` (lib/terraform-conditions): a type only.
 */
import type { TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { ValidateTerraformVersion } from "cdktf/lib/validations/validate-terraform-version";
import stubs from "./bundle-stubs.json";

export { invokeAspects } from "cdktf/lib/synthesize/synthesizer";
export { resolve } from "cdktf/lib/_tokens";
export type { Precondition } from "cdktf/lib/terraform-conditions";

/** The modules tools/build.mjs replaces in the app bundle (by package name or by file under node_modules). */
export const BUNDLE_STUBS: readonly {
  readonly why: string;
  readonly module?: string;
  readonly file?: string;
  readonly contents: string;
}[] = stubs.stubs;

/**
 * Removes cdktf's `terraform version` check from a construct (CloudBackend registers it): synthesis
 * would otherwise fail with a stack trace on a machine without Terraform, and each check costs a
 * process start. Terraform enforces `required_version` itself where it runs.
 */
export function withoutBinaryCheck(construct: Construct): void {
  const node = construct.node as unknown as { _validations?: unknown[] };
  if (!Array.isArray(node._validations))
    throw new Error("constructs changed: Node._validations is gone (see modules/cdktf/internals.ts)");
  node._validations = node._validations.filter((v) => !(v instanceof ValidateTerraformVersion));
}

/**
 * What cdktf's `prepareStack` does besides the preparing resolve pass: making sure the stack has
 * a backend. A stack that references no other stack calls this instead of `super.prepareStack()`.
 */
export function prepareWithoutResolvePass(stack: TerraformStack): void {
  stack.ensureBackendExists();
}
