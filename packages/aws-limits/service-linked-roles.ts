/**
 * IAM service-linked roles: the ARN form and the role names IAM gives the roles of the services that
 * launch EBS volumes, once, for the validation table (`data.ebs.serviceLinkedRoles`) and the
 * ServiceLinkedRole construct. https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html
 */
import { NAME_LENGTH } from "./iam";

/**
 * The tail of a service-linked role ARN: IAM puts these roles under `/aws-service-role/<service
 * principal>/`; groups: the service principal, the role name (at most IAM's {@link NAME_LENGTH}).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html
 */
export const ARN_TAIL = new RegExp(
  `:role\\/aws-service-role\\/([a-z0-9.-]+\\.amazonaws\\.com)\\/([\\w+=,.@-]{${NAME_LENGTH.min},${NAME_LENGTH.max}})$`,
);

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** A whole service-linked role ARN; groups: partition, account, service principal, role name. */
export const ARN = new RegExp(`^arn:([^:]+):iam::([^:]*)${ARN_TAIL.source}`);

/** A service-linked role ARN of exactly this partition and account. */
export const arnOf = (partition: string, account: string): RegExp =>
  new RegExp(`^arn:${escape(partition)}:iam::${escape(account)}${ARN_TAIL.source}`);

/** The ARN of the role `name` of `service` in `partition` and `account`. */
export const roleArn = (partition: string, account: string, service: string, name: string): string =>
  `arn:${partition}:iam::${account}:role/aws-service-role/${service}/${name}`;

/**
 * The name IAM gives the service-linked role of each service that launches EBS volumes, and whether
 * a custom suffix (`<name>_<suffix>`) is documented for it. A key policy naming any other role
 * name names a role that does not exist: KMS refuses it (MalformedPolicyDocumentException).
 * Services not listed here are not judged.
 */
export const ROLE_NAMES: Readonly<Record<string, { readonly name: string; readonly customSuffix?: boolean }>> = {
  // https://docs.aws.amazon.com/autoscaling/ec2/userguide/autoscaling-service-linked-role.html (custom suffixes documented)
  "autoscaling.amazonaws.com": { name: "AWSServiceRoleForAutoScaling", customSuffix: true },
  // https://docs.aws.amazon.com/eks/latest/userguide/using-service-linked-roles-eks-nodegroups.html
  "eks-nodegroup.amazonaws.com": { name: "AWSServiceRoleForAmazonEKSNodegroup" },
  // https://docs.aws.amazon.com/eks/latest/userguide/using-service-linked-roles-eks.html
  "eks.amazonaws.com": { name: "AWSServiceRoleForAmazonEKS" },
  // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/service-linked-roles-spot-instance-requests.html
  "spot.amazonaws.com": { name: "AWSServiceRoleForEC2Spot" },
  // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/spot-fleet-prerequisites.html
  "spotfleet.amazonaws.com": { name: "AWSServiceRoleForEC2SpotFleet" },
  // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-fleet-prerequisites.html
  "ec2fleet.amazonaws.com": { name: "AWSServiceRoleForEC2Fleet" },
};

/** Service and role name of a service-linked role ARN (`.../role/aws-service-role/<service>/<name>`), or undefined. */
export function arnParts(arn: unknown): { service: string; name: string } | undefined {
  const m = typeof arn === "string" ? ARN_TAIL.exec(arn) : null;
  return m ? { service: m[1], name: m[2] } : undefined;
}

/**
 * Whether `name` is the name IAM gives the role of `service` (exact case: the key policy names this
 * ARN): the service's name, or `<name>_<custom suffix>` where the service takes one. Services not in
 * {@link ROLE_NAMES} are not judged (true).
 */
export function roleNameAllowed(service: string, name: string): boolean {
  const known = ROLE_NAMES[service];
  if (!known || name === known.name) return true;
  return known.customSuffix !== false && name.startsWith(`${known.name}_`) && name.length > known.name.length + 1;
}

/** The allowed names of `service`'s role in words ("X, or X_<custom suffix>" / "X"), or undefined when not judged. */
export function allowedRoleNames(service: string): string | undefined {
  const known = ROLE_NAMES[service];
  return known ? `${known.name}${known.customSuffix !== false ? `, or ${known.name}_<custom suffix>` : ""}` : undefined;
}

/** CloudHSM's service-linked role, which CloudHSM creates on first use (a cluster's CloudWatch logs). https://docs.aws.amazon.com/cloudhsm/latest/userguide/service-linked-roles.html */
export const CLOUDHSM_ROLE = { service: "cloudhsm.amazonaws.com", name: "AWSServiceRoleForCloudHSM" } as const;

/** Elastic Load Balancing's service-linked role, which ELB creates on first use (the XKS load balancer). https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/elb-service-linked-roles.html */
export const ELB_ROLE = {
  service: "elasticloadbalancing.amazonaws.com",
  name: "AWSServiceRoleForElasticLoadBalancing",
} as const;
