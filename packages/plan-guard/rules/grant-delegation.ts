/**
 * `key-policy-grant-unconfined` (risky): a key policy after which a named IAM principal may call
 * kms:CreateGrant with no condition that confines the grant (kms:GrantIsForAWSResource,
 * kms:GranteePrincipal, ...), where it could not before. CreateGrant takes any grantee principal,
 * in any account, and the grants it makes exist outside Terraform, so no later plan and no key-policy
 * check shows who the key is handed to. AWS's default key policy gives key users CreateGrant only
 * with `kms:GrantIsForAWSResource = true`
 * (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-service-integration,
 * https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource).
 * Account principals are left out: the account root delegates to IAM policies, which the plan does not show.
 */
import type { Finding, GuardAction } from "../model";
import type { ResourceChange } from "../plan-json";
import type { PlanIndex } from "../plan-index";
import { decide, grantedPrincipals, isAccountPrincipal, type PolicyStatement } from "../policy";
import { finding } from "./rule";

const IAM_PRINCIPAL = /^arn:[a-z-]+:(?:iam|sts)::\d{12}:/;

/** Whether the policy's named statements ({@link withoutRootAllows}) may let `p` call CreateGrant whatever the grant's keys say (grant keys read as absent). */
function mayDelegate(named: readonly PolicyStatement[], p: string, keyArn: string | undefined): boolean {
  return decide(named, { principal: p, action: "kms:CreateGrant", keyArn }) !== false;
}

/**
 * The statements without the Allows to account principals only: an account-root Allow lets the
 * account's IAM policies decide
 * (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam),
 * it does not itself give a role anything. What remains is what the key policy gives by name.
 */
function withoutRootAllows(statements: readonly PolicyStatement[]): readonly PolicyStatement[] {
  return statements.filter(
    (s) =>
      !(
        s.effect === "Allow" &&
        s.principal !== undefined &&
        s.principal !== "*" &&
        s.principal.aws.length > 0 &&
        s.principal.aws.every(isAccountPrincipal) &&
        s.principal.service.length === 0 &&
        s.principal.other.length === 0
      ),
  );
}

/** The finding for principals that newly may create unconfined grants, or undefined. */
export function grantDelegationFinding(
  idx: PlanIndex,
  rc: ResourceChange,
  action: GuardAction,
  before: readonly PolicyStatement[],
  after: readonly PolicyStatement[],
  keyArn: string | undefined,
): Finding | undefined {
  // Named IAM principals only (not accounts, nor the resources a service statement's aws:SourceArn names),
  // that the key policy by name now lets create unconfined grants and did not before.
  const namedAfter = withoutRootAllows(after);
  const namedBefore = withoutRootAllows(before);
  const added = grantedPrincipals(after)
    .filter((p) => !isAccountPrincipal(p) && IAM_PRINCIPAL.test(p))
    .filter((p) => mayDelegate(namedAfter, p, keyArn) && !mayDelegate(namedBefore, p, keyArn))
    .sort();
  if (!added.length) return undefined;
  return finding(
    idx,
    rc,
    action,
    "key-policy-grant-unconfined",
    "risky",
    `the key policy lets ${added.join(", ")} call kms:CreateGrant without a condition confining the grant (kms:GrantIsForAWSResource): ${added.length > 1 ? "they" : "it"} can give any principal, in any account, rights on the key through grants that no plan and no key-policy check shows`,
    'add Condition {"Bool": {"kms:GrantIsForAWSResource": "true"}} (grants for AWS services such as EBS only), or name the grantees with kms:GranteePrincipal; grants Terraform should own belong in aws_kms_grant, where the guard judges the grantee',
  );
}
