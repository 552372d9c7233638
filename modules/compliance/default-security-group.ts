import { refersTo, type ComplianceRule } from "./rule";

/** checkov CKV2_AWS_12 / Security Hub EC2.2: the VPC default security group allows no traffic. */
export const defaultSecurityGroup: ComplianceRule = {
  id: "CKV2_AWS_12",
  securityHub: "EC2.2",
  title: "VPC default security group restricts all traffic",
  documentation: "https://docs.aws.amazon.com/vpc/latest/userguide/default-security-group.html",
  resourceTypes: ["aws_vpc"],
  check: (r, stack) => {
    const sg = stack.find(
      (o) => o.type === "aws_default_security_group" && refersTo(o.attributes.vpc_id, r.construct, "id"),
    );
    if (!sg) return "no aws_default_security_group emptying the default group";
    const rules = [sg.attributes.ingress, sg.attributes.egress].filter((x) => Array.isArray(x) && x.length > 0);
    return rules.length ? "the default security group has rules" : undefined;
  },
};
