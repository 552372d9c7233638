import { EBS, IAM, SERVICE_LINKED_ROLES } from "@cmk-stacks/aws-limits";
import { describeShape } from "./rules";

describeShape("EBS", EBS);

const asg = "arn:aws:iam::111111111111:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling";

test("EBS's default roles: EC2 Auto Scaling's, in the partition and account asked for", () => {
  expect(EBS.defaultServiceLinkedRoleArns("aws", "111111111111")).toEqual([asg]);
  expect(EBS.defaultServiceLinkedRoleArns("aws-cn", "222222222222")).toEqual([
    "arn:aws-cn:iam::222222222222:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
  ]);
});

describe("ARNs", () => {
  test.each([
    [asg, true],
    [
      "arn:aws:iam::111111111111:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling_team1",
      true,
    ],
    ["arn:aws:iam::111111111111:role/AutoScaling", false],
    ["arn:aws:iam::111111111111:role/aws-service-role/autoscaling/AWSServiceRoleForAutoScaling", false],
    [`arn:aws:iam::111111111111:role/aws-service-role/autoscaling.amazonaws.com/${"A".repeat(64)}`, true],
    [`arn:aws:iam::111111111111:role/aws-service-role/autoscaling.amazonaws.com/${"A".repeat(65)}`, false],
    ["arn:aws:iam::999999999999:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling", false],
    [
      "arn:aws-cn:iam::111111111111:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
      false,
    ],
  ])("%s of aws/111111111111: %s", (arn, ok) => {
    expect(SERVICE_LINKED_ROLES.arnOf("aws", "111111111111").test(arn)).toBe(ok);
  });

  test("parts: service and role name, or undefined", () => {
    expect(SERVICE_LINKED_ROLES.arnParts(asg)).toEqual({
      service: "autoscaling.amazonaws.com",
      name: "AWSServiceRoleForAutoScaling",
    });
    expect(SERVICE_LINKED_ROLES.arnParts("arn:aws:iam::111111111111:role/Ops")).toBeUndefined();
    expect(SERVICE_LINKED_ROLES.arnParts(42)).toBeUndefined();
  });
});

describe("role names", () => {
  test.each([
    ["autoscaling.amazonaws.com", "AWSServiceRoleForAutoScaling", true],
    ["autoscaling.amazonaws.com", "AWSServiceRoleForAutoScaling_team1", true],
    ["autoscaling.amazonaws.com", "AWSServiceRoleForAutoScaling_", false],
    ["autoscaling.amazonaws.com", "AWSServiceRoleForAutoscaling", false],
    ["autoscaling.amazonaws.com", "AWSServiceRoleForEC2Spot", false],
    ["eks.amazonaws.com", "AWSServiceRoleForAmazonEKS", true],
    ["spot.amazonaws.com", "AWSServiceRoleForEC2Spot", true],
    ["ec2fleet.amazonaws.com", "AWSServiceRoleForEC2Fleet", true],
    ["spotfleet.amazonaws.com", "AWSServiceRoleForEC2SpotFleet", true],
    ["eks-nodegroup.amazonaws.com", "AWSServiceRoleForAmazonEKSNodegroup_team1", true],
    ["example.amazonaws.com", "Anything", true],
  ])("%s %s: %s", (service, name, ok) => {
    expect(SERVICE_LINKED_ROLES.roleNameAllowed(service, name)).toBe(ok);
  });

  test("in words", () => {
    expect(SERVICE_LINKED_ROLES.allowedRoleNames("autoscaling.amazonaws.com")).toBe(
      "AWSServiceRoleForAutoScaling, or AWSServiceRoleForAutoScaling_<custom suffix>",
    );
    expect(SERVICE_LINKED_ROLES.allowedRoleNames("example.amazonaws.com")).toBeUndefined();
  });

  test.each(Object.entries(SERVICE_LINKED_ROLES.ROLE_NAMES))(
    "%s's role name fits IAM's role name length",
    (_service, known) => {
      expect(known.name.length).toBeLessThanOrEqual(IAM.NAME_LENGTH.max);
    },
  );
});

test("the roles CloudHSM and ELB create on first use, as ARNs the doctor looks for", () => {
  expect(
    SERVICE_LINKED_ROLES.roleArn(
      "aws",
      "111111111111",
      SERVICE_LINKED_ROLES.CLOUDHSM_ROLE.service,
      SERVICE_LINKED_ROLES.CLOUDHSM_ROLE.name,
    ),
  ).toBe("arn:aws:iam::111111111111:role/aws-service-role/cloudhsm.amazonaws.com/AWSServiceRoleForCloudHSM");
  expect(
    SERVICE_LINKED_ROLES.arnOf("aws-us-gov", "111111111111").test(
      SERVICE_LINKED_ROLES.roleArn(
        "aws-us-gov",
        "111111111111",
        SERVICE_LINKED_ROLES.ELB_ROLE.service,
        SERVICE_LINKED_ROLES.ELB_ROLE.name,
      ),
    ),
  ).toBe(true);
});
