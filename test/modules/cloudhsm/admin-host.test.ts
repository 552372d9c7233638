/** AdminHost built alone: no inbound, narrow egress, a role that reads its own secrets only, and its own invariants. */
import { AdminHost, CLOUDHSM_CLI_RPM_URL, type AdminHostProps } from "../../../modules/cloudhsm/admin-host";
import { NETWORK, all, errorLines, one, synth, testStack } from "./stack";

const S3_RPM = "s3://t-software-111111111111/cloudhsm/cloudhsm-cli.rpm";
const MINIMAL: AdminHostProps = {
  network: NETWORK,
  az: "eu-west-1b",
  cliPackage: S3_RPM,
  clusterSecurityGroupId: "sg-0000000000000hsm0",
  endpointSecurityGroupId: "sg-00000000000000ep0",
  s3PrefixListId: "pl-6da54004",
  secretArns: ["arn:aws:secretsmanager:eu-west-1:111111111111:secret:t/cloudhsm/admin-password-AbCdEf"],
};
const build = (props: Partial<AdminHostProps> = {}) => {
  const stack = testStack();
  new AdminHost(stack, "admin-host", { ...MINIMAL, ...props });
  return synth(stack);
};
const egress = (json: ReturnType<typeof synth>) =>
  Object.values(all(json, "aws_vpc_security_group_egress_rule"))
    .map((r) => r.referenced_security_group_id ?? r.prefix_list_id ?? r.cidr_ipv4)
    .sort();

describe("minimal props (an s3:// CLI package, no NAT)", () => {
  const json = build();

  test("a t3.micro in the AZ's subnet, IMDSv2 only, encrypted root volume, no public IP, CLI copied from S3 in the stack's Region", () => {
    expect(one(json, "aws_instance")).toMatchObject({
      instance_type: "t3.micro",
      subnet_id: "subnet-0000000000000000b",
      associate_public_ip_address: false,
      metadata_options: { http_tokens: "required", http_put_response_hop_limit: 1 },
      root_block_device: { encrypted: true },
      tags: { Name: "t-cloudhsm-admin" },
    });
    expect(one(json, "aws_instance").user_data).toContain(
      `aws s3 cp '${S3_RPM}' /tmp/cloudhsm-cli.rpm --region 'eu-west-1'`,
    );
  });

  test("egress to the HSMs, the endpoints and S3 only; no inbound rule", () => {
    expect(egress(json)).toEqual(["pl-6da54004", "sg-00000000000000ep0", "sg-0000000000000hsm0"]);
    expect(json.resource.aws_vpc_security_group_ingress_rule).toBeUndefined();
    expect(one(json, "aws_security_group")).toMatchObject({
      name: "t-cloudhsm-admin",
      vpc_id: "vpc-0123456789abcdef0",
    });
  });

  test("the role reads its secrets and the CLI object only (no parameters given: no parameter statement)", () => {
    const policy = JSON.parse(String(one(json, "aws_iam_role_policy").policy)) as {
      Statement: { Sid: string; Action: string[]; Resource: unknown }[];
    };
    expect(policy.Statement).toEqual([
      {
        Sid: "ReadOwnSecrets",
        Effect: "Allow",
        Action: ["secretsmanager:GetSecretValue"],
        Resource: MINIMAL.secretArns,
      },
      {
        Sid: "ReadCliPackage",
        Effect: "Allow",
        Action: ["s3:GetObject"],
        Resource: "arn:aws:s3:::t-software-111111111111/cloudhsm/cloudhsm-cli.rpm",
      },
    ]);
    expect(one(json, "aws_iam_role_policy_attachment").policy_arn).toBe(
      "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    );
  });
});

test("behind NAT with the default https download: HTTPS egress to the internet as well", () => {
  const json = build({ cliPackage: undefined, natGateway: true });
  expect(egress(json)).toEqual(["0.0.0.0/0", "pl-6da54004", "sg-00000000000000ep0", "sg-0000000000000hsm0"]);
  expect(one(json, "aws_instance").user_data).toContain(`dnf install -y '${CLOUDHSM_CLI_RPM_URL}'`);
});

test("behind NAT with an s3:// package: no internet egress (nothing to download from it)", () => {
  expect(egress(build({ natGateway: true }))).not.toContain("0.0.0.0/0");
});

test("an AMI with the CLI preinstalled: that AMI, no user data, no package statement", () => {
  const json = build({
    cliPackage: undefined,
    amiId: "ami-0123456789abcdef0",
    cliPreinstalled: true,
    instanceType: "t3.small",
  });
  expect(one(json, "aws_instance")).toMatchObject({ ami: "ami-0123456789abcdef0", instance_type: "t3.small" });
  expect(one(json, "aws_instance").user_data).toBeUndefined();
  expect(String(one(json, "aws_iam_role_policy").policy)).not.toContain("s3:GetObject");
});

test.each([
  [
    "fails when the AZ has no subnet in the network",
    { az: "eu-west-1d" },
    [
      'test/admin-host.az: "eu-west-1d" is not allowed (an AZ with a subnet in the network: eu-west-1a, eu-west-1b, eu-west-1c; EC2 RunInstances SubnetId)',
    ],
  ],
  [
    "fails when the instance type is not one",
    { instanceType: "T3 Micro" },
    [
      'test/admin-host.instanceType: "T3 Micro" is not allowed (an EC2 instance type such as t3.micro, EC2 RunInstances InstanceType)',
    ],
  ],
  [
    "fails when the AMI id is not one",
    { amiId: "ami-123" },
    [
      'test/admin-host.amiId: "ami-123" is not allowed (an AMI id: ami- and 8 or 17 hex characters, EC2 RunInstances ImageId)',
    ],
  ],
  [
    "fails when the CLI is said to be preinstalled on the default image",
    { cliPreinstalled: true, cliPackage: undefined },
    [
      "test/admin-host.cliPreinstalled: true is not allowed (without amiId: the default Amazon Linux 2023 image has no CloudHSM CLI)",
    ],
  ],
  [
    "fails when a package is given for a preinstalled CLI",
    { cliPreinstalled: true, amiId: "ami-0123456789abcdef0" },
    [`test/admin-host.cliPackage: "${S3_RPM}" is not allowed (with cliPreinstalled nothing is installed at boot)`],
  ],
  [
    "fails when the package would inject shell into the user data",
    { cliPackage: "s3://bucket/x.rpm'; curl evil; '" },
    [
      `test/admin-host.cliPackage: "s3://bucket/x.rpm'; curl evil; '" is not allowed (an https:// URL or an s3://<bucket>/<key> object ending in .rpm, without spaces or quotes: it goes into the user data script)`,
    ],
  ],
  [
    "fails when the default download has no NAT to go through",
    { cliPackage: undefined },
    [
      "test/admin-host.cliPackage: (missing) is not allowed (the default https download needs natGateway; without NAT use an s3://<bucket>/<key>.rpm copy in this Region, or amiId with cliPreinstalled)",
    ],
  ],
])("%s", (_name, props, expected) => {
  expect(errorLines(() => build(props))).toEqual(expected);
});
