/**
 * Amazon EBS encryption by default with a customer key: the service-linked roles the key policy
 * must let in when none are configured.
 */
import type { Default } from "./rule";
import { roleArn } from "./service-linked-roles";

/**
 * The services whose service-linked roles launch volumes with the default key when
 * `data.ebs.serviceLinkedRoles` is not set: EC2 Auto Scaling's AWSServiceRoleForAutoScaling.
 */
export const DEFAULT_SERVICE_LINKED_ROLES: Default<readonly { readonly service: string; readonly name: string }[]> = {
  value: [{ service: "autoscaling.amazonaws.com", name: "AWSServiceRoleForAutoScaling" }],
  why: "EC2 Auto Scaling launches instances with encrypted volumes through its service-linked role, which needs the key",
  doc: "https://docs.aws.amazon.com/autoscaling/ec2/userguide/key-policy-requirements-EBS-encryption.html",
};

/** The ARNs of {@link DEFAULT_SERVICE_LINKED_ROLES} in `partition` and `account`. */
export const defaultServiceLinkedRoleArns = (partition: string, account: string): string[] =>
  DEFAULT_SERVICE_LINKED_ROLES.value.map((r) => roleArn(partition, account, r.service, r.name));
