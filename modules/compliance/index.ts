/**
 * Synth-time compliance: every rule runs as a CDKTF Aspect over every resource of every stack.
 * Findings are collected for all stacks before anything is written, so a non-compliant app
 * fails as a whole with one line per finding; suppressed findings are reported with their reason.
 */
import { Aspects, TerraformResource, TerraformStack, type IAspect } from "cdktf";
import type { IConstruct } from "constructs";
import { invokeAspects } from "../cdktf/internals";
import { suppressionFor, viewOf, type ComplianceRule, type ResourceView } from "./rule";
import { kmsKeyRotation } from "./kms-key-rotation";
import { kmsPolicyNoWildcard } from "./kms-policy-no-wildcard";
import { kmsDeletionWindow } from "./kms-deletion-window";
import { preventDestroy } from "./prevent-destroy";
import { s3SseKms } from "./s3-sse-kms";
import { s3Versioning } from "./s3-versioning";
import { s3PublicAccessBlock } from "./s3-public-access-block";
import { ebsEncryptionByDefault } from "./ebs-encryption-by-default";
import { defaultSecurityGroup } from "./default-security-group";
import { fsxOntapCustomerKey } from "./fsx-ontap-customer-key";
import { instanceImdsv2 } from "./instance-imdsv2";
import { vpcEndpointServiceAcceptance } from "./vpc-endpoint-service-acceptance";
import { s3BucketKeyCustomStore } from "./s3-bucket-key-custom-store";

export { suppress } from "./rule";
export type { ComplianceRule } from "./rule";

/**
 * The rule pack: every rule of this folder (one file each), in reporting order. It is fixed: the
 * list and each rule are frozen, and nothing registers rules at import time, so the checks that
 * run do not depend on which construct files happen to be loaded. Add a new rule here.
 */
export const RULES: readonly ComplianceRule[] = Object.freeze(
  [
    kmsKeyRotation,
    kmsPolicyNoWildcard,
    kmsDeletionWindow,
    preventDestroy,
    s3SseKms,
    s3Versioning,
    s3PublicAccessBlock,
    ebsEncryptionByDefault,
    defaultSecurityGroup,
    fsxOntapCustomerKey,
    instanceImdsv2,
    vpcEndpointServiceAcceptance,
    s3BucketKeyCustomStore,
  ].map((rule) => Object.freeze(rule)),
);

export interface Finding {
  readonly ruleId: string;
  readonly title: string;
  /** The AWS documentation page of the rule. */
  readonly documentation: string;
  readonly path: string;
  readonly message: string;
  /** Set when the finding is suppressed: the written reason. */
  readonly suppressedBecause?: string;
}

/** The Aspect: checks each resource once, recording findings (idempotent across re-visits). */
export class ComplianceAspect implements IAspect {
  readonly findings: Finding[] = [];
  checked = 0;
  private readonly seen = new Set<string>();
  private readonly stackViews = new Map<
    TerraformStack,
    { all: ResourceView[]; byResource: Map<TerraformResource, ResourceView> }
  >();

  visit(node: IConstruct): void {
    if (!TerraformResource.isTerraformResource(node) || this.seen.has(node.node.path)) return;
    this.seen.add(node.node.path);
    const resource = node as TerraformResource;
    const stack = TerraformStack.of(resource);
    let views = this.stackViews.get(stack);
    if (!views) {
      const all = stack.node
        .findAll()
        .filter((c): c is TerraformResource => TerraformResource.isTerraformResource(c))
        .map(viewOf);
      views = { all, byResource: new Map(all.map((v) => [v.construct, v])) };
      this.stackViews.set(stack, views);
    }
    const view = views.byResource.get(resource) ?? viewOf(resource);
    const rules = RULES.filter((r) => r.resourceTypes.includes(view.type));
    if (rules.length === 0) return;
    for (const rule of rules) {
      this.checked++;
      const problem = rule.check(view, views.all);
      if (problem === undefined) continue;
      const reason = suppressionFor(resource, rule.id);
      this.findings.push({
        ruleId: rule.id,
        title: rule.title,
        documentation: rule.documentation,
        path: resource.node.path,
        message: problem,
        ...(reason ? { suppressedBecause: reason } : {}),
      });
    }
  }
}

/** Adds the aspect to every stack and runs it now, before synthesis writes anything. */
export function checkCompliance(stacks: readonly TerraformStack[]): ComplianceAspect {
  const aspect = new ComplianceAspect();
  for (const stack of stacks) {
    Aspects.of(stack).add(aspect);
    invokeAspects(stack);
  }
  return aspect;
}
