import type { IConstruct } from "constructs";
import { TerraformResource } from "cdktf";
import { resolve } from "../cdktf/internals";

/** A synthesized resource as rules see it: type, address-like path, snake_case attributes. */
export interface ResourceView {
  readonly type: string;
  readonly path: string;
  readonly attributes: Readonly<Record<string, unknown>>;
  /** The construct, for suppressions and lookups. */
  readonly construct: TerraformResource;
}

/** One compliance rule: a pure function of a resource (and, where needed, its stack's other resources). */
export interface ComplianceRule {
  /** checkov id where one exists (e.g. `CKV_AWS_7`), otherwise `CMK_<n>`. */
  readonly id: string;
  /** Matching AWS Security Hub control, if any (e.g. `KMS.4`). */
  readonly securityHub?: string;
  readonly title: string;
  /** The AWS documentation page the rule stands on; every failing finding cites it. */
  readonly documentation: string;
  readonly resourceTypes: readonly string[];
  /** Returns undefined when compliant, or the reason it is not. */
  readonly check: (resource: ResourceView, stack: readonly ResourceView[]) => string | undefined;
}

/** Reads a resource's synthesized attributes (tokens stay unresolved, as strings). */
export function viewOf(resource: TerraformResource): ResourceView {
  const tf = resource.toTerraform() as { resource?: Record<string, Record<string, Record<string, unknown>>> };
  const byType = tf.resource?.[resource.terraformResourceType] ?? {};
  const attributes = Object.values(byType)[0] ?? {};
  return { type: resource.terraformResourceType, path: resource.node.path, attributes, construct: resource };
}

const SUPPRESSIONS = "cmk:compliance-suppressions";

/**
 * Suppresses a rule for a construct and everything under it. A reason is mandatory: it is what an
 * auditor reads next to the exception.
 */
export function suppress(scope: IConstruct, ruleId: string, reason: string): void {
  if (reason.trim().length < 10) {
    throw new Error(`suppress(${scope.node.path}, ${ruleId}): a written reason of at least 10 characters is required`);
  }
  scope.node.addMetadata(SUPPRESSIONS, { ruleId, reason });
}

/** The reason a rule is suppressed for this construct (or an ancestor), if it is. */
export function suppressionFor(construct: IConstruct, ruleId: string): string | undefined {
  for (const scope of [...construct.node.scopes].reverse()) {
    const entry = scope.node.metadata.find(
      (m) => m.type === SUPPRESSIONS && (m.data as { ruleId: string }).ruleId === ruleId,
    );
    if (entry) return (entry.data as { reason: string }).reason;
  }
  return undefined;
}

/**
 * True when `value` (an attribute of a resource in the same stack) is a reference to
 * `target.<attribute>`. Tokens are resolved to `${type.name.attr}` to compare them: two token
 * strings for the same attribute are not equal as strings.
 */
export function refersTo(value: unknown, target: TerraformResource, attribute: string): boolean {
  if (typeof value !== "string") return false;
  const resolved = resolve(target, value) as unknown;
  return resolved === `\${${target.terraformResourceType}.${target.friendlyUniqueId}.${attribute}}`;
}
