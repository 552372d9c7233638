import { Construct } from "constructs";
import { cloudHsmNames } from "./names";
import { CLOUDHSM } from "@cmk-stacks/aws-limits";
import type { ITerraformDependable } from "cdktf";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { DataAwsSsmParameter } from "@cdktf/provider-aws/lib/data-aws-ssm-parameter";
import { HSM_PORTS } from "./hsm-cluster";
import type { INetwork } from "../network/network";
import { EnvironmentStack } from "../core/environment-stack";
import { shown, throwIfProblems } from "../core/errors";

/** Public SSM parameter with the latest Amazon Linux 2023 AMI (x86_64): the rulebook's {@link CLOUDHSM.ADMIN_HOST_AMI_PARAMETER_DEFAULT}. */
export const AL2023_AMI_PARAMETER = CLOUDHSM.ADMIN_HOST_AMI_PARAMETER_DEFAULT.value;

/** CloudHSM CLI (Client SDK 5) for Amazon Linux 2023 x86_64: the rulebook's {@link CLOUDHSM.ADMIN_HOST_CLI_PACKAGE_DEFAULT}. */
export const CLOUDHSM_CLI_RPM_URL = CLOUDHSM.ADMIN_HOST_CLI_PACKAGE_DEFAULT.value;

export interface AdminHostProps {
  /** The network the host runs in (private subnets). */
  readonly network: INetwork;
  /** AZ of the host (a subnet of `network` in it): the first HSM's, so activation reaches that HSM in-AZ. */
  readonly az: string;
  /** @default - the rulebook's {@link CLOUDHSM.ADMIN_HOST_INSTANCE_TYPE_DEFAULT} */
  readonly instanceType?: string;
  /** An Amazon Linux 2023 family AMI. @default - latest Amazon Linux 2023 ({@link CLOUDHSM.ADMIN_HOST_AMI_PARAMETER_DEFAULT}) */
  readonly amiId?: string;
  /** `amiId` has the CloudHSM CLI installed: no user data, no package read. Needs `amiId`. @default false */
  readonly cliPreinstalled?: boolean;
  /**
   * Where user data installs the CLI from: an s3:// object in this Region (the role may read it),
   * or an https URL (needs `natGateway`). Not with `cliPreinstalled`.
   * @default - the rulebook's {@link CLOUDHSM.ADMIN_HOST_CLI_PACKAGE_DEFAULT}
   */
  readonly cliPackage?: string;
  /**
   * The host's subnet routes 0.0.0.0/0 through a NAT gateway: the host may then reach the internet
   * on 443, and only when it downloads the CLI from an https URL.
   * @default false
   */
  readonly natGateway?: boolean;
  /** Security group of the HSMs (egress to it on {@link CLOUDHSM.CLUSTER_PORTS}). */
  readonly clusterSecurityGroupId: string;
  /** Security group of the interface endpoints (egress 443 to it). */
  readonly endpointSecurityGroupId: string;
  /** S3 prefix list (egress 443 to it, for packages). */
  readonly s3PrefixListId: string;
  /** The only secrets the host may read: the admin and kmsuser password ARNs. */
  readonly secretArns: readonly string[];
  /** The only parameters the host may read: the certificate and trust anchor ARNs. @default [] */
  readonly parameterArns?: readonly string[];
}

/**
 * The small SSM-managed instance that runs the in-VPC hook scripts (activation, kmsuser). No key
 * pair, no inbound rule at all, IMDSv2 only (hop limit 1), encrypted root volume; egress only to
 * the HSMs ({@link CLOUDHSM.CLUSTER_PORTS}), the interface endpoints and S3 (443), and the internet (443) only where the
 * subnet has NAT (an https:// CLI package). Its role has
 * AmazonSSMManagedInstanceCore and may read only its two secrets and two parameters. It can be
 * stopped once the key store is connected and started again for HSM user administration.
 */
export class AdminHost extends Construct {
  readonly instance: Instance;
  readonly instanceId: string;
  readonly securityGroupId: string;
  /** Everything activation needs in place besides the instance (permissions, egress). */
  readonly readyWhen: readonly ITerraformDependable[];

  constructor(scope: Construct, id: string, props: AdminHostProps) {
    super(scope, id);
    const problems = adminHostProblems(this.node.path, props);
    throwIfProblems(problems);
    const { name: prefix, partition, region } = EnvironmentStack.of(this);
    const instanceType = props.instanceType ?? CLOUDHSM.ADMIN_HOST_INSTANCE_TYPE_DEFAULT.value;
    const parameterArns = props.parameterArns ?? [];
    const https = !props.cliPreinstalled && !(props.cliPackage ?? CLOUDHSM_CLI_RPM_URL).startsWith("s3://");
    const internetEgress = props.natGateway === true && https;
    const name = cloudHsmNames(prefix).adminHost;
    const role = new IamRole(this, "role", {
      name,
      description: "CloudHSM admin host: SSM managed, reads its own two secrets and two parameters only",
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
      }),
    });
    const ssmCore = new IamRolePolicyAttachment(this, "ssm-core", {
      role: role.name,
      policyArn: `arn:${partition}:iam::aws:policy/AmazonSSMManagedInstanceCore`,
    });
    const statements: object[] = [
      {
        Sid: "ReadOwnSecrets",
        Effect: "Allow",
        Action: ["secretsmanager:GetSecretValue"],
        Resource: [...props.secretArns],
      },
    ];
    if (parameterArns.length) {
      statements.push({
        Sid: "ReadTrustParameters",
        Effect: "Allow",
        Action: ["ssm:GetParameter"],
        Resource: [...parameterArns],
      });
    }
    const s3Package = /^s3:\/\/([^/]+)\/(.+)$/.exec(props.cliPackage ?? "");
    if (s3Package && !props.cliPreinstalled) {
      statements.push({
        Sid: "ReadCliPackage",
        Effect: "Allow",
        Action: ["s3:GetObject"],
        Resource: `arn:${partition}:s3:::${s3Package[1]}/${s3Package[2]}`,
      });
    }
    const policy = new IamRolePolicy(this, "own-secrets", {
      name: "read-own-secrets",
      role: role.id,
      policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }),
    });
    const profile = new IamInstanceProfile(this, "profile", { name, role: role.name });

    const sg = new SecurityGroup(this, "sg", {
      name,
      description: "CloudHSM admin host: no inbound; outbound to the HSMs, the VPC endpoints and S3 only",
      vpcId: props.network.vpcId,
      tags: { Name: name },
    });
    const egress = [
      new VpcSecurityGroupEgressRule(this, "to-hsms", {
        securityGroupId: sg.id,
        description: "CloudHSM client ports to the HSMs",
        ipProtocol: "tcp",
        fromPort: HSM_PORTS.from,
        toPort: HSM_PORTS.to,
        referencedSecurityGroupId: props.clusterSecurityGroupId,
      }),
      new VpcSecurityGroupEgressRule(this, "to-endpoints", {
        securityGroupId: sg.id,
        description: "HTTPS to the interface VPC endpoints (SSM, Secrets Manager)",
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
        referencedSecurityGroupId: props.endpointSecurityGroupId,
      }),
      new VpcSecurityGroupEgressRule(this, "to-s3", {
        securityGroupId: sg.id,
        description: "HTTPS to S3 (packages) through the gateway endpoint",
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
        prefixListId: props.s3PrefixListId,
      }),
    ];
    if (internetEgress) {
      egress.push(
        new VpcSecurityGroupEgressRule(this, "to-internet", {
          securityGroupId: sg.id,
          description: "HTTPS to the internet through the NAT gateway (CloudHSM CLI download)",
          ipProtocol: "tcp",
          fromPort: 443,
          toPort: 443,
          cidrIpv4: "0.0.0.0/0",
        }),
      );
    }

    // depends_on defers the lookup to the apply that creates the host (a first plan needs no AWS
    // call); ignore_changes on ami keeps a newer image from replacing a running host.
    const ami =
      props.amiId ??
      new DataAwsSsmParameter(this, "al2023-ami", { name: AL2023_AMI_PARAMETER, dependsOn: [role] }).insecureValue;
    this.instance = new Instance(this, "instance", {
      ami,
      instanceType,
      subnetId: props.network.subnetIdByAz[props.az],
      vpcSecurityGroupIds: [sg.id],
      iamInstanceProfile: profile.name,
      associatePublicIpAddress: false,
      monitoring: true,
      ebsOptimized: true,
      metadataOptions: {
        httpEndpoint: "enabled",
        httpTokens: "required",
        httpPutResponseHopLimit: 1,
        instanceMetadataTags: "disabled",
      },
      rootBlockDevice: { encrypted: true, volumeType: "gp3", deleteOnTermination: true },
      userData: props.cliPreinstalled ? undefined : installCliScript(props.cliPackage ?? CLOUDHSM_CLI_RPM_URL, region),
      tags: { Name: name },
      lifecycle: { ignoreChanges: ["ami"] },
      dependsOn: [ssmCore, policy],
    });
    this.instanceId = this.instance.id;
    this.securityGroupId = sg.id;
    this.readyWhen = [ssmCore, policy, ...egress];
  }
}

/** The props' problems, one line each (`where` is the construct path). */
function adminHostProblems(where: string, props: AdminHostProps): string[] {
  const at = (prop: string) => `${where}.${prop}`;
  const problems: string[] = [];
  if (!Object.prototype.hasOwnProperty.call(props.network.subnetIdByAz, props.az)) {
    problems.push(
      `${at("az")}: ${shown(props.az)} is not allowed (an AZ with a subnet in the network: ${Object.keys(props.network.subnetIdByAz).join(", ") || "none"}; EC2 RunInstances SubnetId)`,
    );
  }
  if (props.instanceType !== undefined && !CLOUDHSM.INSTANCE_TYPE.regex.test(props.instanceType)) {
    problems.push(
      `${at("instanceType")}: ${shown(props.instanceType)} is not allowed (${CLOUDHSM.INSTANCE_TYPE.allowed}, EC2 RunInstances InstanceType)`,
    );
  }
  if (props.amiId !== undefined && !CLOUDHSM.AMI_ID.regex.test(props.amiId)) {
    problems.push(
      `${at("amiId")}: ${shown(props.amiId)} is not allowed (an AMI id: ${CLOUDHSM.AMI_ID.allowed}, EC2 RunInstances ImageId)`,
    );
  }
  if (props.cliPreinstalled && props.amiId === undefined) {
    problems.push(
      `${at("cliPreinstalled")}: true is not allowed (without amiId: the default Amazon Linux 2023 image has no CloudHSM CLI)`,
    );
  }
  if (props.cliPreinstalled && props.cliPackage !== undefined) {
    problems.push(
      `${at("cliPackage")}: ${shown(props.cliPackage)} is not allowed (with cliPreinstalled nothing is installed at boot)`,
    );
  } else if (props.cliPackage !== undefined && !CLOUDHSM.ADMIN_HOST_CLI_PACKAGE.regex.test(props.cliPackage)) {
    problems.push(
      `${at("cliPackage")}: ${shown(props.cliPackage)} is not allowed (${CLOUDHSM.ADMIN_HOST_CLI_PACKAGE.allowed}: it goes into the user data script)`,
    );
  } else if (!props.cliPreinstalled && !props.natGateway && !(props.cliPackage ?? "").startsWith("s3://")) {
    problems.push(
      `${at("cliPackage")}: ${shown(props.cliPackage)} is not allowed (${props.cliPackage === undefined ? "the default https download" : "an https:// download"} needs natGateway; without NAT use an s3://<bucket>/<key>.rpm copy in this Region, or amiId with cliPreinstalled)`,
    );
  }
  return problems;
}

/**
 * Boot script: installs the CloudHSM CLI (retrying while endpoints and routes settle) and leaves
 * a clear line in the console output when it cannot, which the activation hook's failure then
 * explains. The AWS CLI and the SSM agent ship with Amazon Linux 2023.
 */
export function installCliScript(source: string, region: string): string {
  // From S3 (a mirror in this Region, through the gateway endpoint): copy with the host's role.
  const fetch = source.startsWith("s3://")
    ? [
        `  if aws s3 cp '${source}' /tmp/cloudhsm-cli.rpm --region '${region}' && dnf install -y /tmp/cloudhsm-cli.rpm; then echo "cmk: CloudHSM CLI installed"; exit 0; fi`,
      ]
    : [`  if dnf install -y '${source}'; then echo "cmk: CloudHSM CLI installed"; exit 0; fi`];
  return [
    "#!/bin/bash",
    "set -uo pipefail",
    "for attempt in 1 2 3 4 5; do",
    ...fetch,
    "  sleep $((attempt * 20))",
    "done",
    source.startsWith("s3://")
      ? `echo "cmk: CloudHSM CLI NOT installed: ${source} could not be copied or installed (the bucket must be in ${region}, the object present and readable by this host's role without kms:Decrypt, e.g. SSE-S3)" | tee /dev/console`
      : `echo "cmk: CloudHSM CLI NOT installed: ${source} unreachable (no NAT: mirror the RPM in a bucket in this Region and set cloudHsm.adminHost.cliPackage to its s3:// URI, or use cloudHsm.adminHost.amiId with cliPreinstalled: true)" | tee /dev/console`,
    "exit 1",
    "",
  ].join("\n");
}
