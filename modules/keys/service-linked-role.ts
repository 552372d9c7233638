import type { Construct } from "constructs";
import { Token } from "cdktf";
import { IamServiceLinkedRole } from "@cdktf/provider-aws/lib/iam-service-linked-role";
import { EnvironmentStack } from "../core/environment-stack";
import { shown, throwIfProblems } from "../core/errors";
import { SERVICE_LINKED_ROLES } from "@cmk-stacks/aws-limits";

export interface ServiceLinkedRoleProps {
  /**
   * The role's ARN, as a key policy names it:
   * `arn:<partition>:iam::<account>:role/aws-service-role/<service>.amazonaws.com/<role name>`, in the
   * stack's partition and account. The service is read from the path; a custom suffix, where the
   * service allows one, is what follows the first `_` of the role name
   * (`AWSServiceRoleForAmazonEKSNodegroup_team1` -> `team1`).
   */
  readonly roleArn: string;
}

/**
 * A service-linked role an AWS service uses on the account's behalf (e.g. EC2 Auto Scaling's, which
 * a customer EBS default key must allow), created when the account does not have it yet. A key
 * policy that names it must depend on this resource: KMS refuses a policy naming a principal that
 * does not exist (MalformedPolicyDocumentException).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html
 *
 * It is the provider resource itself (not a wrapper), so its Terraform address stays
 * `aws_iam_service_linked_role.<id>` wherever it was created before.
 */
export class ServiceLinkedRole extends IamServiceLinkedRole {
  /** The construct id the keys stack gives the role of `roleArn`: `service-linked-role-<role name>`. */
  static defaultId(roleArn: string): string {
    return `service-linked-role-${roleArn.slice(roleArn.lastIndexOf("/") + 1)}`;
  }

  /** The ARN the role will have (the literal from the props, for key policies). */
  readonly roleArn: string;

  constructor(scope: Construct, id: string, props: ServiceLinkedRoleProps) {
    const stack = EnvironmentStack.of(scope);
    const parsed = parseServiceLinkedRoleArn(props.roleArn, stack.partition, stack.account);
    throwIfProblems(
      typeof parsed === "string"
        ? [
            `${scope.node.path ? `${scope.node.path}/` : ""}${id}.roleArn: ${shown(props.roleArn)} is not allowed (${parsed})`,
          ]
        : [],
    );
    const { service, suffix } = parsed as { service: string; suffix?: string };
    super(scope, id, { awsServiceName: service, customSuffix: suffix });
    this.roleArn = props.roleArn;
  }
}

/**
 * The service and custom suffix of a service-linked role ARN of `partition` and `account`, or why
 * the ARN is not one (the rulebook's {@link SERVICE_LINKED_ROLES.ARN} and {@link SERVICE_LINKED_ROLES.ROLE_NAMES},
 * shared with the validation table).
 */
export function parseServiceLinkedRoleArn(
  arn: string,
  partition: string,
  account: string,
): { service: string; suffix?: string } | string {
  const expected = `arn:${partition}:iam::${account}:role/aws-service-role/<service>.amazonaws.com/<role name>`;
  if (Token.isUnresolved(arn)) return `a literal ARN (${expected}): the service and suffix are read from it`;
  const m = SERVICE_LINKED_ROLES.ARN.exec(arn);
  if (!m) return `a service-linked role ARN (${expected}), IAM CreateServiceLinkedRole`;
  if (m[1] !== partition || m[2] !== account)
    return `a role of this stack's partition and account (${expected}): IAM creates the role in the deploying account`;
  const name = m[4];
  // IAM names the role itself (the service's name, then `_<custom suffix>` where the service takes
  // one): a key policy naming any other name names a role that will not exist.
  if (!SERVICE_LINKED_ROLES.roleNameAllowed(m[3], name)) {
    return `the name IAM gives the role of ${m[3]}: ${SERVICE_LINKED_ROLES.allowedRoleNames(m[3])}, in exactly that case, IAM CreateServiceLinkedRole`;
  }
  return { service: m[3], ...(name.includes("_") ? { suffix: name.slice(name.indexOf("_") + 1) } : {}) };
}
