/** ServiceLinkedRole built alone in a test EnvironmentStack: what it creates, and what it refuses. */
import { App, TerraformStack, TerraformVariable, Testing } from "cdktf";
import { EnvironmentStack } from "../../../modules/core/environment-stack";
import { ServiceLinkedRole } from "../../../modules/keys/service-linked-role";
import type { StackJson } from "../../helpers/synth";
import { propsErrorLines } from "../../helpers/synth";

const ACCOUNT = "111111111111";
const ASG = `arn:aws:iam::${ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`;
const EKS = `arn:aws:iam::${ACCOUNT}:role/aws-service-role/eks-nodegroup.amazonaws.com/AWSServiceRoleForAmazonEKSNodegroup_team1`;
const testStack = (region = "eu-west-1") =>
  new EnvironmentStack(Testing.app(), "test", { name: "t", account: ACCOUNT, region });
const roles = (stack: TerraformStack) =>
  (JSON.parse(Testing.synth(stack)) as StackJson).resource?.aws_iam_service_linked_role ?? {};

test("the service is read from the ARN's path; no custom suffix when the name has no '_'", () => {
  const stack = testStack();
  const role = new ServiceLinkedRole(stack, ServiceLinkedRole.defaultId(ASG), { roleArn: ASG });
  expect(roles(stack)).toEqual({
    "service-linked-role-AWSServiceRoleForAutoScaling": { aws_service_name: "autoscaling.amazonaws.com" },
  });
  expect(role.roleArn).toBe(ASG);
});

test("the custom suffix is what follows the first '_' of the role name", () => {
  const stack = testStack();
  new ServiceLinkedRole(stack, "eks", { roleArn: EKS });
  expect(roles(stack)).toEqual({ eks: { aws_service_name: "eks-nodegroup.amazonaws.com", custom_suffix: "team1" } });
});

test("its Terraform address is the id it is given in the stack (the address the keys stack always used)", () => {
  expect(ServiceLinkedRole.defaultId(EKS)).toBe("service-linked-role-AWSServiceRoleForAmazonEKSNodegroup_team1");
});

test("a GovCloud stack takes a GovCloud role", () => {
  const stack = testStack("us-gov-west-1");
  new ServiceLinkedRole(stack, "asg", { roleArn: ASG.replace("arn:aws:", "arn:aws-us-gov:") });
  expect(Object.keys(roles(stack))).toEqual(["asg"]);
});

describe("ServiceLinkedRole refuses ARNs it cannot create", () => {
  const expected = `arn:aws:iam::${ACCOUNT}:role/aws-service-role/<service>.amazonaws.com/<role name>`;
  test.each([
    [
      "fails when the role is not under aws-service-role/",
      `arn:aws:iam::${ACCOUNT}:role/AutoScaling`,
      `a service-linked role ARN (${expected}), IAM CreateServiceLinkedRole`,
    ],
    [
      "fails when the service is not an AWS service principal",
      `arn:aws:iam::${ACCOUNT}:role/aws-service-role/autoscaling/AWSServiceRoleForAutoScaling`,
      `a service-linked role ARN (${expected}), IAM CreateServiceLinkedRole`,
    ],
    [
      "fails when the role name is longer than 64 chars",
      `arn:aws:iam::${ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/${"A".repeat(65)}`,
      `a service-linked role ARN (${expected}), IAM CreateServiceLinkedRole`,
    ],
    [
      "fails when the role is in another account",
      ASG.replace(ACCOUNT, "222222222222"),
      `a role of this stack's partition and account (${expected}): IAM creates the role in the deploying account`,
    ],
    [
      "fails when the role is in another partition",
      ASG.replace("arn:aws:", "arn:aws-cn:"),
      `a role of this stack's partition and account (${expected}): IAM creates the role in the deploying account`,
    ],
    [
      "fails when the name is not the one IAM gives the service's role (case included)",
      ASG.replace("AWSServiceRoleForAutoScaling", "AWSServiceRoleForAutoscaling"),
      "the name IAM gives the role of autoscaling.amazonaws.com: AWSServiceRoleForAutoScaling, or AWSServiceRoleForAutoScaling_<custom suffix>, in exactly that case, IAM CreateServiceLinkedRole",
    ],
    [
      "fails when another service's role name is under a service",
      ASG.replace("AWSServiceRoleForAutoScaling", "AWSServiceRoleForEC2Spot"),
      "the name IAM gives the role of autoscaling.amazonaws.com: AWSServiceRoleForAutoScaling, or AWSServiceRoleForAutoScaling_<custom suffix>, in exactly that case, IAM CreateServiceLinkedRole",
    ],
  ])("%s", (_label, roleArn, why) => {
    expect(propsErrorLines(() => new ServiceLinkedRole(testStack(), "slr", { roleArn }))).toEqual([
      `test/slr.roleArn: "${roleArn}" is not allowed (${why})`,
    ]);
  });

  test("fails when the ARN is a Terraform reference (the service and suffix cannot be read from it)", () => {
    const stack = testStack();
    const arn = new TerraformVariable(stack, "arn", { type: "string" }).stringValue;
    const [line] = propsErrorLines(() => new ServiceLinkedRole(stack, "slr", { roleArn: arn }));
    expect(line).toMatch(
      new RegExp(
        `^test/slr\\.roleArn: ".+" is not allowed \\(a literal ARN \\(${expected.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\): the service and suffix are read from it\\)$`,
      ),
    );
  });

  test("fails when the stack is not an EnvironmentStack", () => {
    expect(
      propsErrorLines(() => new ServiceLinkedRole(new TerraformStack(new App(), "plain"), "slr", { roleArn: ASG })),
    ).toEqual([
      'plain: is in the stack "plain", which is not an EnvironmentStack (its constructs read the account, Region, partition and name prefix from an EnvironmentStack: new EnvironmentStack(app, id, { name, account, region }))',
    ]);
  });
});
