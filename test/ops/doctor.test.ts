import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { DescribeClustersCommand } from "@aws-sdk/client-cloudhsm-v2";
import {
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeTransitGatewaysCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  DescribeVpnGatewaysCommand,
} from "@aws-sdk/client-ec2";
import {
  GetOpenIDConnectProviderCommand,
  GetRoleCommand,
  ListOpenIDConnectProvidersCommand,
} from "@aws-sdk/client-iam";
import { DescribeCustomKeyStoresCommand } from "@aws-sdk/client-kms";
import { GetHostedZoneCommand } from "@aws-sdk/client-route-53";
import {
  GetBucketEncryptionCommand,
  GetBucketLocationCommand,
  GetBucketPolicyCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  HeadObjectCommand,
} from "@aws-sdk/client-s3";
import {
  GetAWSDefaultServiceQuotaCommand,
  GetServiceQuotaCommand,
  ListServiceQuotasCommand,
} from "@aws-sdk/client-service-quotas";
import type { ResolvedEnvironment } from "../../environments/resolve";
import type { EnvironmentConfig } from "../../environments/types";
import { needsOf, runDoctor, type DoctorOptions } from "../../tools/ops/doctor";
import { doctorCli } from "../../tools/ops/doctor-cli";
import { EXIT, exitCodeOf, type Finding } from "../../tools/ops/findings";
import { withEnv } from "../helpers/moto";
import { awsError, captureIo, envWith, mockedClients, mocks, resetMocks } from "./helpers";

const TOKEN = "tfc-token.atlasv1.SECRETSECRETSECRET";
const REPO = "northwind/cmk";
const roleTrust = (sub: string) =>
  encodeURIComponent(
    JSON.stringify({
      Statement: [
        {
          Effect: "Allow",
          Action: "sts:AssumeRoleWithWebIdentity",
          Principal: { Federated: "arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com" },
          Condition: { StringEquals: { "token.actions.githubusercontent.com:sub": sub } },
        },
      ],
    }),
  );

const prod = envWith("prod");
const staging = envWith("staging");
const dev = envWith("dev");

function ready(env: ResolvedEnvironment): void {
  resetMocks(env.account);
  mocks.kms
    .on(DescribeCustomKeyStoresCommand)
    .resolves({ CustomKeyStores: [{ CustomKeyStoreName: "other-1" }, { CustomKeyStoreName: "other-2" }] });
  mocks.cloudhsm.on(DescribeClustersCommand).resolves({ Clusters: [] });
  mocks.quotas.on(ListServiceQuotasCommand, { ServiceCode: "cloudhsm" }).resolves({
    Quotas: [
      { QuotaName: "Clusters", QuotaCode: "L-CLUSTERS", Value: 4 },
      { QuotaName: "HSMs", QuotaCode: "L-HSMS", Value: 6 },
    ],
  });
  mocks.quotas.on(GetServiceQuotaCommand).callsFake((i: { QuotaCode: string }) => ({
    Quota: {
      QuotaCode: i.QuotaCode,
      Value: i.QuotaCode === "L-F678F1CE" ? 5 : i.QuotaCode === "L-1B52E74A" ? 20 : 50,
    },
  }));
  mocks.ec2.on(DescribeVpcEndpointsCommand).resolves({ VpcEndpoints: [] });
  mocks.ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [{ VpcId: "vpc-default" }] });
  mocks.ec2.on(DescribeTransitGatewaysCommand).resolves({
    TransitGateways: [{ TransitGatewayId: "tgw-0a1b2c3d4e5f60718", State: "available", OwnerId: "444444444444" }],
  });
  mocks.iam.on(GetRoleCommand).callsFake((i: { RoleName: string }) => ({
    Role: {
      RoleName: i.RoleName,
      AssumeRolePolicyDocument: roleTrust(
        i.RoleName === "Plan" ? `repo:${REPO}:pull_request` : `repo:${REPO}:environment:${env.name}`,
      ),
    },
  }));
  mocks.iam.on(ListOpenIDConnectProvidersCommand).resolves({
    OpenIDConnectProviderList: [
      { Arn: `arn:aws:iam::${env.account}:oidc-provider/token.actions.githubusercontent.com` },
    ],
  });
  mocks.iam.on(GetOpenIDConnectProviderCommand).resolves({ ClientIDList: ["sts.amazonaws.com"] });
  mocks.route53.on(GetHostedZoneCommand).callsFake((i: { Id: string }) => ({
    HostedZone: {
      Id: i.Id,
      Name: `${env.xks?.publicZone.domain}.`,
      CallerReference: "x",
      Config: { PrivateZone: false },
    },
  }));
  mocks.s3.on(GetBucketLocationCommand).resolves({ LocationConstraint: "eu-west-1" });
  mocks.s3.on(HeadObjectCommand).resolves({});
  mocks.s3.on(HeadBucketCommand).resolves({});
  mocks.s3.on(GetBucketVersioningCommand).resolves({ Status: "Enabled" });
  mocks.s3.on(GetBucketEncryptionCommand).resolves({
    ServerSideEncryptionConfiguration: {
      Rules: [
        {
          ApplyServerSideEncryptionByDefault: {
            SSEAlgorithm: "aws:kms",
            KMSMasterKeyID: "arn:aws:kms:eu-west-1:1:key/state",
          },
        },
      ],
    },
  });
  mocks.s3.on(GetBucketPolicyCommand).resolves({
    Policy: JSON.stringify({
      Statement: [
        {
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: "*",
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ],
    }),
  });
  mocks.s3.on(GetPublicAccessBlockCommand).resolves({
    PublicAccessBlockConfiguration: {
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    },
  });
}

const roles = {
  planRole: "arn:aws:iam::1:role/Plan",
  deployRole: "arn:aws:iam::1:role/Deploy",
  repository: REPO,
  env: {},
};
const doctor = (env: ResolvedEnvironment, opts: DoctorOptions = {}) =>
  runDoctor(env, mockedClients(), { ...roles, ...opts });
const only = (fs: Finding[], check: string) => fs.filter((f) => f.check === check);
const notOk = (fs: Finding[]) => fs.filter((f) => f.severity !== "ok");

/** A loopback fake of the Terraform Cloud workspace API. */
let tfc: Server;
let tfcUrl: string;
const workspaces: Record<string, Record<string, unknown>> = {};
const seenAuth: string[] = [];
beforeAll(async () => {
  tfc = createServer((req, res) => {
    seenAuth.push(String(req.headers.authorization));
    const m = /^\/api\/v2\/organizations\/northwind-health\/workspaces\/([^/]+)$/.exec(req.url ?? "");
    const ws = m ? workspaces[decodeURIComponent(m[1])] : undefined;
    if (req.headers.authorization !== `Bearer ${TOKEN}`) res.writeHead(401).end();
    else if (!ws) res.writeHead(404).end(JSON.stringify({ errors: [{ status: "404", title: "not found" }] }));
    else
      res
        .writeHead(200, { "content-type": "application/vnd.api+json" })
        .end(JSON.stringify({ data: { id: "ws-1", attributes: ws } }));
  });
  await new Promise<void>((r) => tfc.listen(0, "127.0.0.1", r));
  tfcUrl = `http://127.0.0.1:${(tfc.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => tfc.close(() => r())));
beforeEach(() => {
  for (const k of Object.keys(workspaces)) delete workspaces[k];
  workspaces["cmk-prod-keys"] = { "execution-mode": "remote", "global-remote-state": true };
  workspaces["cmk-prod-data"] = { "execution-mode": "remote" };
  seenAuth.length = 0;
});
const withTfc = (o: DoctorOptions = {}): DoctorOptions => ({ tfc: { baseUrl: tfcUrl, token: TOKEN }, ...o });

test("prod ready: every check ok, one finding per quota, role, zone, workspace", async () => {
  ready(prod);
  const fs = await doctor(prod, withTfc());
  expect(notOk(fs)).toEqual([]);
  expect(fs.map((f) => `${f.check} ${f.subject}: ${f.detail}`)).toEqual([
    "quota custom key stores: 2 used + 2 needed of 10 (KMS resource quota, not in Service Quotas)",
    "quota CloudHSM clusters: 0 used + 1 needed of 4 (Service Quotas cloudhsm L-CLUSTERS)",
    "quota CloudHSM HSMs: 0 used + 3 needed of 6 (Service Quotas cloudhsm L-HSMS)",
    "quota HSMs per cluster: 0 used + 3 needed of 28 (CloudHSM, not adjustable)",
    "quota interface endpoints per VPC (new VPC): 0 used + 6 needed of 50 (Service Quotas vpc L-29B6F2EB)",
    "quota gateway endpoints per Region: 0 used + 1 needed of 20 (Service Quotas vpc L-1B52E74A)",
    "quota VPCs per Region: 1 used + 1 needed of 5 (Service Quotas vpc L-F678F1CE)",
    "service-linked-role AWSServiceRoleForCloudHSM: exists",
    "service-linked-role AWSServiceRoleForElasticLoadBalancing: exists",
    "service-linked-role AWSServiceRoleForAutoScaling: exists",
    "free-ips eu-west-1a: 10.30.0.0/24 (new) has 251 usable addresses; needs 11 (1 HSM, 1 KMS connection, 6 interface endpoints, 1 admin host, 1 hook Lambda, 1 XKS load balancer)",
    "free-ips eu-west-1b: 10.30.1.0/24 (new) has 251 usable addresses; needs 11 (1 HSM, 1 KMS connection, 6 interface endpoints, 1 admin host, 1 hook Lambda, 1 XKS load balancer)",
    "free-ips eu-west-1c: 10.30.2.0/24 (new) has 251 usable addresses; needs 11 (1 HSM, 1 KMS connection, 6 interface endpoints, 1 admin host, 1 hook Lambda, 1 XKS load balancer)",
    "transit-gateway tgw-0a1b2c3d4e5f60718: available (shared from 444444444444)",
    "hosted-zone Z0PRODNORTHWIND1: public zone prod.northwind-health.example",
    "cli-source CloudHSM CLI: s3://northwind-prod-software-333333333333/cloudhsm/cloudhsm-cli-latest.amzn2023.x86_64.rpm exists in eu-west-1, reached through the stack's S3 gateway endpoint",
    "tfc-workspace cmk-prod-keys: remote execution",
    "tfc-workspace cmk-prod-data: remote execution",
    "github-oidc token.actions.githubusercontent.com: provider exists, audience sts.amazonaws.com",
    "ci-role Plan: plan role trusts GitHub Actions (repo:northwind/cmk:pull_request)",
    "ci-role Deploy: deploy role trusts GitHub Actions (repo:northwind/cmk:environment:prod)",
  ]);
  expect(exitCodeOf(fs)).toBe(EXIT.healthy);
  expect(mocks.s3.commandCalls(HeadObjectCommand)[0].args[0].input).toEqual({
    Bucket: "northwind-prod-software-333333333333",
    Key: "cloudhsm/cloudhsm-cli-latest.amzn2023.x86_64.rpm",
  });
});

test("needs: dev uses a VPC and no endpoints, HSMs or stores", () => {
  expect(needsOf(dev)).toEqual({
    keyStores: 0,
    clusters: 0,
    hsms: 0,
    interfaceEndpoints: 0,
    gatewayEndpoints: 0,
    endpointServices: 0,
    vpcs: 1,
    addressesByAz: {},
  });
});

describe("quotas", () => {
  test("custom key stores: 10 others + 1 needed of 10 is broken; our own stores already there count as not needed", async () => {
    ready(prod);
    mocks.kms
      .on(DescribeCustomKeyStoresCommand)
      .resolvesOnce({
        CustomKeyStores: Array.from({ length: 5 }, (_, i) => ({ CustomKeyStoreName: `o${i}` })),
        Truncated: true,
        NextMarker: "m",
      })
      .resolves({
        CustomKeyStores: [
          ...Array.from({ length: 5 }, (_, i) => ({ CustomKeyStoreName: `p${i}` })),
          { CustomKeyStoreName: "prod-xks" },
        ],
      });
    const f = only(await doctor(prod, withTfc()), "quota")[0];
    expect(f).toEqual({
      check: "quota",
      subject: "custom key stores",
      severity: "broken",
      detail: "10 used + 1 needed of 10 (KMS resource quota, not in Service Quotas)",
      fix: "delete unused custom key stores, or ask AWS Support (the quota is not in Service Quotas)",
    });
    expect(mocks.kms.commandCalls(DescribeCustomKeyStoresCommand)[1].args[0].input).toEqual({ Marker: "m" });
  });

  test("CloudHSM: clusters and HSMs of other environments count; ours do not; the HSMs quota is account-wide", async () => {
    ready(prod);
    mocks.cloudhsm.on(DescribeClustersCommand).resolves({
      Clusters: [
        { ClusterId: "cluster-a", State: "ACTIVE", Hsms: [{}, {}, {}, {}] },
        { ClusterId: "cluster-b", State: "ACTIVE", Hsms: [], TagList: [{ Key: "Environment", Value: "prod" }] },
        { ClusterId: "cluster-c", State: "DELETED", Hsms: [{}, {}] },
      ],
    });
    const fs = only(await doctor(prod, withTfc()), "quota");
    expect(fs[1]).toMatchObject({
      subject: "CloudHSM clusters",
      severity: "ok",
      detail: "1 used of 4, none needed (Service Quotas cloudhsm L-CLUSTERS)",
    });
    expect(fs[2]).toMatchObject({
      subject: "CloudHSM HSMs",
      severity: "broken",
      detail: "4 used + 3 needed of 6 (Service Quotas cloudhsm L-HSMS)",
      fix: 'request an increase in the Service Quotas console: AWS CloudHSM, "HSMs", or free some up',
    });
  });

  test("Service Quotas silent: the AWS default, then the documented default, said so", async () => {
    ready(prod);
    mocks.quotas.on(ListServiceQuotasCommand).rejects(awsError("AccessDeniedException"));
    mocks.quotas.on(GetServiceQuotaCommand).rejects(awsError("NoSuchResourceException"));
    mocks.quotas.on(GetAWSDefaultServiceQuotaCommand, { QuotaCode: "L-29B6F2EB" }).resolves({ Quota: { Value: 50 } });
    mocks.quotas
      .on(GetAWSDefaultServiceQuotaCommand, { QuotaCode: "L-1B52E74A" })
      .rejects(awsError("NoSuchResourceException"));
    const fs = only(await doctor(prod, withTfc()), "quota");
    expect(fs.map((f) => f.detail)).toEqual([
      "2 used + 2 needed of 10 (KMS resource quota, not in Service Quotas)",
      '0 used + 1 needed of 4 (the documented default (Service Quotas gave no value for cloudhsm "Clusters"))',
      '0 used + 3 needed of 6 (the documented default (Service Quotas gave no value for cloudhsm "HSMs"))',
      "0 used + 3 needed of 28 (CloudHSM, not adjustable)",
      "0 used + 6 needed of 50 (Service Quotas vpc L-29B6F2EB (AWS default))",
      '0 used + 1 needed of 20 (the documented default (Service Quotas gave no value for vpc "Gateway VPC endpoints per Region"))',
      '1 used + 1 needed of 5 (the documented default (Service Quotas gave no value for vpc "VPCs per Region"))',
    ]);
  });

  test("gateway endpoints and VPCs at their quota: broken with the quota code in the fix", async () => {
    ready(prod);
    mocks.ec2.on(DescribeVpcEndpointsCommand).resolves({
      VpcEndpoints: Array.from({ length: 20 }, () => ({ VpcEndpointType: "Gateway", State: "Available" })),
    });
    mocks.ec2.on(DescribeVpcsCommand).resolves({ Vpcs: Array.from({ length: 5 }, () => ({})) });
    const fs = notOk(await doctor(prod, withTfc()));
    expect(fs.map((f) => [f.subject, f.fix])).toEqual([
      [
        "gateway endpoints per Region",
        'request an increase in the Service Quotas console: Amazon VPC, "Gateway VPC endpoints per Region" (L-1B52E74A), or free some up',
      ],
      [
        "VPCs per Region",
        'request an increase in the Service Quotas console: Amazon VPC, "VPCs per Region" (L-F678F1CE), or free some up',
      ],
    ]);
  });

  test("a re-run after the deploy: the environment's own VPC (tagged Environment) is not needed again", async () => {
    ready(dev);
    mocks.ec2.on(DescribeVpcsCommand).resolves({
      Vpcs: [
        { VpcId: "vpc-default" },
        { VpcId: "vpc-dev", Tags: [{ Key: "Environment", Value: "dev" }] },
        { VpcId: "vpc-staging", Tags: [{ Key: "Environment", Value: "staging" }] },
      ],
    });
    expect(only(await doctor(dev), "quota")).toEqual([
      {
        check: "quota",
        subject: "VPCs per Region",
        severity: "ok",
        detail: "2 used of 5, none needed (Service Quotas vpc L-F678F1CE)",
      },
    ]);
  });

  test("access denied on a count: says what was not checked", async () => {
    ready(prod);
    mocks.cloudhsm.on(DescribeClustersCommand).rejects(awsError("AccessDeniedException"));
    const f = only(await doctor(prod, withTfc()), "quota").find((x) => x.subject === "CloudHSM clusters");
    expect(f).toEqual({
      check: "quota",
      subject: "CloudHSM clusters",
      severity: "unknown",
      detail: "not checked: cloudhsm:DescribeClusters was denied (AccessDeniedException)",
      fix: "run with a role allowed cloudhsm:DescribeClusters, or check this by hand",
    });
  });
});

describe("service-linked roles", () => {
  test("the EBS role missing is broken unless the stack creates it; present while the stack would create it is broken", async () => {
    ready(dev);
    mocks.iam
      .on(GetRoleCommand, { RoleName: "AWSServiceRoleForAutoScaling" })
      .rejects(awsError("NoSuchEntityException"));
    expect(only(await doctor(dev), "service-linked-role")).toEqual([
      {
        check: "service-linked-role",
        subject: "AWSServiceRoleForAutoScaling",
        severity: "broken",
        detail:
          "absent: the EBS key's policy names it, and KMS refuses a policy naming a principal that does not exist",
        fix: "create it (aws iam create-service-linked-role --aws-service-name autoscaling.amazonaws.com) or set data.ebs.createServiceLinkedRoles to true",
      },
    ]);
    const creating = envWith("dev", (e) => ({
      ...e,
      data: { ...e.data, ebs: { key: "volumes", createServiceLinkedRoles: true } },
    }));
    expect(only(await doctor(creating), "service-linked-role")[0]).toMatchObject({
      severity: "ok",
      detail: "absent; the keys stack creates it (data.ebs.createServiceLinkedRoles)",
    });
    mocks.iam.on(GetRoleCommand, { RoleName: "AWSServiceRoleForAutoScaling" }).resolves({});
    expect(only(await doctor(creating), "service-linked-role")[0]).toMatchObject({
      severity: "broken",
      fix: "set data.ebs.createServiceLinkedRoles to false",
    });
  });

  test("CloudHSM's role absent: ok, the service creates it (the fix says how to make it first)", async () => {
    ready(prod);
    mocks.iam.on(GetRoleCommand, { RoleName: "AWSServiceRoleForCloudHSM" }).rejects(awsError("NoSuchEntity"));
    expect(only(await doctor(prod, withTfc()), "service-linked-role")[0]).toMatchObject({
      severity: "ok",
      detail:
        "absent; cloudhsm.amazonaws.com creates it on first use if the deploying role may iam:CreateServiceLinkedRole",
    });
  });
});

describe("network", () => {
  const existing = (extra: Partial<Record<string, unknown>> = {}) =>
    envWith("prod", (e): EnvironmentConfig => ({
      ...e,
      network: {
        mode: "existing",
        vpcId: "vpc-0123456789abcdef0",
        cidr: "10.30.0.0/16",
        natGateway: true,
        subnets: [
          { az: "eu-west-1a", cidr: "10.30.0.0/24", id: "subnet-a", routeTableId: "rtb-a" },
          { az: "eu-west-1b", cidr: "10.30.1.0/24", id: "subnet-b", routeTableId: "rtb-b" },
          { az: "eu-west-1c", cidr: "10.30.2.0/24", id: "subnet-c", routeTableId: "rtb-c" },
        ],
        ...extra,
      } as EnvironmentConfig["network"],
      cloudHsm: { ...e.cloudHsm!, adminHost: { instanceType: "t3.micro" } },
    }));

  function existingVpc(): void {
    ready(prod);
    mocks.ec2
      .on(DescribeVpcsCommand, { VpcIds: ["vpc-0123456789abcdef0"] })
      .resolves({ Vpcs: [{ VpcId: "vpc-0123456789abcdef0", CidrBlock: "10.30.0.0/16" }] });
    mocks.ec2.on(DescribeSubnetsCommand).resolves({
      Subnets: [
        {
          SubnetId: "subnet-a",
          VpcId: "vpc-0123456789abcdef0",
          AvailabilityZone: "eu-west-1a",
          CidrBlock: "10.30.0.0/24",
          AvailableIpAddressCount: 200,
        },
        {
          SubnetId: "subnet-b",
          VpcId: "vpc-0123456789abcdef0",
          AvailabilityZone: "eu-west-1b",
          CidrBlock: "10.30.1.0/24",
          AvailableIpAddressCount: 10,
        },
        {
          SubnetId: "subnet-c",
          VpcId: "vpc-other",
          AvailabilityZone: "eu-west-1a",
          CidrBlock: "10.30.2.0/24",
          AvailableIpAddressCount: 12,
        },
      ],
    });
    mocks.ec2.on(DescribeRouteTablesCommand).resolves({
      RouteTables: [{ Routes: [{ DestinationCidrBlock: "0.0.0.0/0", NatGatewayId: "nat-1", State: "active" }] }],
    });
  }

  test("existing VPC: free addresses per subnet from AvailableIpAddressCount, and subnets that differ from the configuration", async () => {
    existingVpc();
    const fs = await doctor(existing(), withTfc());
    expect(
      [...only(fs, "free-ips"), ...only(fs, "subnet"), ...only(fs, "vpc")].map((f) => [
        f.subject,
        f.severity,
        f.detail,
      ]),
    ).toEqual([
      [
        "subnet-a",
        "ok",
        "200 free addresses; needs 11 (1 HSM, 1 KMS connection, 6 interface endpoints, 1 admin host, 1 hook Lambda, 1 XKS load balancer)",
      ],
      [
        "subnet-b",
        "broken",
        "10 free addresses; needs 11 (1 HSM, 1 KMS connection, 6 interface endpoints, 1 admin host, 1 hook Lambda, 1 XKS load balancer)",
      ],
      [
        "subnet-c",
        "ok",
        "12 free addresses; needs 11 (1 HSM, 1 KMS connection, 6 interface endpoints, 1 admin host, 1 hook Lambda, 1 XKS load balancer)",
      ],
      [
        "subnet-c",
        "broken",
        "differs from the configuration: VPC vpc-other (configured vpc-0123456789abcdef0), AZ eu-west-1a (configured eu-west-1c)",
      ],
      ["vpc-0123456789abcdef0", "ok", "exists, 10.30.0.0/16"],
    ]);
    expect(only(fs, "cli-source")[0]).toMatchObject({
      severity: "ok",
      detail: "the CloudHSM download URL through nat-1 (0.0.0.0/0 on rtb-a)",
    });
    expect(only(fs, "quota").find((f) => f.subject.startsWith("interface"))?.subject).toBe(
      "interface endpoints per VPC (vpc-0123456789abcdef0)",
    );
  });

  test("existing VPC: a subnet id that does not exist, a VPC that does not exist, no NAT route", async () => {
    existingVpc();
    mocks.ec2.on(DescribeSubnetsCommand).rejects(awsError("InvalidSubnetID.NotFound"));
    mocks.ec2.on(DescribeVpcsCommand, { VpcIds: ["vpc-0123456789abcdef0"] }).rejects(awsError("InvalidVpcID.NotFound"));
    mocks.ec2.on(DescribeRouteTablesCommand).resolves({
      RouteTables: [{ Routes: [{ DestinationCidrBlock: "0.0.0.0/0", NatGatewayId: "nat-1", State: "blackhole" }] }],
    });
    const fs = notOk(await doctor(existing(), withTfc()));
    expect(fs.map((f) => `${f.check} ${f.subject}: ${f.detail}`)).toEqual([
      "subnet subnet-a: does not exist in this account and Region",
      "subnet subnet-b: does not exist in this account and Region",
      "subnet subnet-c: does not exist in this account and Region",
      "vpc vpc-0123456789abcdef0: does not exist in this account and Region",
      "cli-source CloudHSM CLI: rtb-a has no active 0.0.0.0/0 route to a NAT or transit gateway",
    ]);
  });

  test("an https CLI source without NAT is broken; an S3 package in another Region or missing is broken", async () => {
    ready(prod);
    const https = envWith("prod", (e) => ({
      ...e,
      cloudHsm: { ...e.cloudHsm!, adminHost: { cliPackage: "https://example.com/cli.rpm" } },
    }));
    expect(only(await doctor(https, withTfc()), "cli-source")[0]).toMatchObject({
      severity: "broken",
      detail: "https://example.com/cli.rpm needs internet access through NAT; this network has none",
    });
    mocks.s3.on(GetBucketLocationCommand).resolves({ LocationConstraint: "us-west-2" });
    expect(only(await doctor(prod, withTfc()), "cli-source")[0]).toMatchObject({
      severity: "broken",
      fix: "copy the RPM to a bucket in eu-west-1",
    });
    mocks.s3.on(GetBucketLocationCommand).resolves({ LocationConstraint: "eu-west-1" });
    mocks.s3.on(HeadObjectCommand).rejects(awsError("NotFound"));
    expect(only(await doctor(prod, withTfc()), "cli-source")[0]).toMatchObject({
      severity: "broken",
      detail: expect.stringContaining("does not exist (NotFound)"),
    });
  });

  test("the transit gateway, a VPN gateway, the hosted zone: missing, wrong state, attached, private or another domain", async () => {
    ready(prod);
    mocks.ec2.on(DescribeTransitGatewaysCommand).rejects(awsError("InvalidTransitGatewayID.NotFound"));
    mocks.route53.on(GetHostedZoneCommand).resolves({
      HostedZone: {
        Id: "Z",
        Name: "prod.northwind-health.example.",
        CallerReference: "x",
        Config: { PrivateZone: true },
      },
    });
    let fs = notOk(await doctor(prod, withTfc()));
    expect(fs.map((f) => [f.check, f.detail])).toEqual([
      ["transit-gateway", "not visible in this account and Region"],
      [
        "hosted-zone",
        "prod.northwind-health.example is a private zone: the endpoint service's domain verification needs a public one",
      ],
    ]);
    mocks.route53
      .on(GetHostedZoneCommand)
      .resolves({ HostedZone: { Id: "Z", Name: "other.example.", CallerReference: "x" } });
    mocks.ec2.on(DescribeTransitGatewaysCommand).resolves({ TransitGateways: [{ State: "deleting" }] });
    fs = notOk(await doctor(prod, withTfc()));
    expect(fs.map((f) => [f.check, f.detail])).toEqual([
      ["transit-gateway", "state deleting"],
      ["hosted-zone", "is for other.example, configured domain prod.northwind-health.example"],
    ]);
    mocks.route53.on(GetHostedZoneCommand).rejects(awsError("NoSuchHostedZone"));
    expect(only(await doctor(prod, withTfc()), "hosted-zone")[0]).toMatchObject({
      severity: "broken",
      fix: "correct xks.publicZone.id",
    });

    const vgw = envWith("prod", (e) => ({
      ...e,
      network: {
        ...(e.network as object),
        onPremisesConnection: { type: "vpnGateway", vpnGatewayId: "vgw-1" },
      } as EnvironmentConfig["network"],
    }));
    mocks.ec2.on(DescribeVpnGatewaysCommand).resolves({
      VpnGateways: [
        { VpnGatewayId: "vgw-1", State: "available", VpcAttachments: [{ VpcId: "vpc-x", State: "attached" }] },
      ],
    });
    expect(only(await doctor(vgw, withTfc()), "vpn-gateway")[0]).toMatchObject({
      severity: "broken",
      detail: "attached to vpc-x: the stack attaches it to its new VPC",
    });
    mocks.ec2.on(DescribeVpnGatewaysCommand).resolves({
      VpnGateways: [
        { VpnGatewayId: "vgw-1", State: "available", VpcAttachments: [{ VpcId: "vpc-x", State: "detached" }] },
      ],
    });
    expect(only(await doctor(vgw, withTfc()), "vpn-gateway")[0]).toMatchObject({ severity: "ok" });
    mocks.ec2.on(DescribeVpnGatewaysCommand).rejects(awsError("InvalidVpnGatewayID.NotFound"));
    expect(only(await doctor(vgw, withTfc()), "vpn-gateway")[0]).toMatchObject({
      severity: "broken",
      detail: "does not exist",
    });
  });

  test("a new subnet too small for what goes in it", async () => {
    ready(prod);
    const small = envWith("prod", (e) => ({
      ...e,
      network: {
        ...(e.network as object),
        subnets: [
          { az: "eu-west-1a", cidr: "10.30.0.0/29" },
          { az: "eu-west-1b", cidr: "10.30.1.0/24" },
          { az: "eu-west-1c", cidr: "10.30.2.0/24" },
        ],
      } as EnvironmentConfig["network"],
    }));
    const f = only(await doctor(small, withTfc()), "free-ips")[0];
    expect(f).toMatchObject({
      severity: "broken",
      detail: expect.stringMatching(/^10\.30\.0\.0\/29 \(new\) has 3 usable addresses; needs 11 /),
      fix: "give network.subnets (eu-west-1a) a larger CIDR",
    });
  });
});

describe("state backend", () => {
  test("S3 bucket: missing; versioning off, SSE-S3, no TLS-only policy, public access partly off", async () => {
    ready(staging);
    mocks.s3.on(HeadBucketCommand).rejects(awsError("NotFound", "Not Found", 404));
    expect(only(await doctor(staging), "state-bucket")).toEqual([
      {
        check: "state-bucket",
        subject: "northwind-staging-tf-state-222222222222",
        severity: "broken",
        detail: "does not exist",
        fix: "create it before the first deploy (versioned, SSE-KMS, TLS-only policy, public access blocked: README, State)",
      },
    ]);
    mocks.s3.on(HeadBucketCommand).resolves({});
    mocks.s3.on(GetBucketVersioningCommand).resolves({ Status: "Suspended" });
    mocks.s3.on(GetBucketEncryptionCommand).resolves({
      ServerSideEncryptionConfiguration: {
        Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
      },
    });
    mocks.s3.on(GetBucketPolicyCommand).resolves({
      Policy: JSON.stringify({
        Statement: [{ Effect: "Allow", Action: "s3:GetObject", Principal: "*", Resource: "*" }],
      }),
    });
    mocks.s3.on(GetPublicAccessBlockCommand).resolves({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: false, BlockPublicPolicy: true },
    });
    expect(only(await doctor(staging), "state-bucket").map((f) => [f.subject, f.severity, f.detail])).toEqual([
      [
        "northwind-staging-tf-state-222222222222 versioning",
        "broken",
        "Suspended: an overwritten or deleted state file is lost",
      ],
      [
        "northwind-staging-tf-state-222222222222 encryption",
        "degraded",
        "AES256: state (which holds secrets) is not under a KMS key you control",
      ],
      ["northwind-staging-tf-state-222222222222 policy", "degraded", "does not deny requests without TLS"],
      [
        "northwind-staging-tf-state-222222222222 public access",
        "degraded",
        "off: IgnorePublicAcls, RestrictPublicBuckets",
      ],
    ]);
  });

  test("S3 bucket: no encryption configuration, no policy, no public access block, versioning denied", async () => {
    ready(staging);
    mocks.s3.on(GetBucketVersioningCommand).rejects(awsError("AccessDenied", "Access Denied", 403));
    mocks.s3.on(GetBucketEncryptionCommand).rejects(awsError("ServerSideEncryptionConfigurationNotFoundError"));
    mocks.s3.on(GetBucketPolicyCommand).rejects(awsError("NoSuchBucketPolicy"));
    mocks.s3.on(GetPublicAccessBlockCommand).rejects(awsError("NoSuchPublicAccessBlockConfiguration"));
    expect(only(await doctor(staging), "state-bucket").map((f) => [f.severity, f.detail])).toEqual([
      ["unknown", "not checked: s3:GetBucketVersioning was denied (AccessDenied)"],
      ["degraded", "no default encryption configuration (S3 then uses SSE-S3)"],
      ["degraded", "no bucket policy: requests without TLS are allowed"],
      ["degraded", "no public access block on the bucket"],
    ]);
  });

  test("Terraform Cloud: a missing workspace, remote state sharing off, the token sent only as a bearer header", async () => {
    ready(prod);
    delete workspaces["cmk-prod-data"];
    workspaces["cmk-prod-keys"] = { "execution-mode": "remote", "global-remote-state": false };
    const fs = only(await doctor(prod, withTfc()), "tfc-workspace");
    expect(fs.map((f) => [f.subject, f.severity, f.detail])).toEqual([
      [
        "cmk-prod-keys",
        "degraded",
        "remote execution; the data workspace reads this one's state: allow it in remote state sharing",
      ],
      ["cmk-prod-data", "broken", "not found in northwind-health (or the token may not read it)"],
    ]);
    expect(seenAuth).toEqual([`Bearer ${TOKEN}`, `Bearer ${TOKEN}`]);
  });

  test("Terraform Cloud: the token from TF_TOKEN_app_terraform_io; without it, says what is not checked", async () => {
    ready(prod);
    const fs = only(
      await doctor(prod, { tfc: { baseUrl: tfcUrl }, env: { TF_TOKEN_app_terraform_io: TOKEN } }),
      "tfc-workspace",
    );
    expect(fs.map((f) => f.severity)).toEqual(["ok", "ok"]);
    const none = only(await doctor(prod, { tfc: { baseUrl: tfcUrl }, env: {} }), "tfc-workspace");
    expect(none[0]).toEqual({
      check: "tfc-workspace",
      subject: "cmk-prod-keys",
      severity: "unknown",
      detail: "not checked: TF_TOKEN_app_terraform_io is not set",
      fix: "set TF_TOKEN_app_terraform_io to a token that may read the workspaces (terraform login app.terraform.io)",
    });
    const wrong = only(await doctor(prod, { tfc: { baseUrl: tfcUrl, token: "wrong" } }), "tfc-workspace");
    expect(wrong[0]).toMatchObject({ severity: "unknown", detail: "not checked: HTTP 401" });
  });
});

describe("GitHub OIDC", () => {
  test("no provider; a provider without the STS audience; a role trusting another subject; a missing role; no role given", async () => {
    ready(dev);
    mocks.iam
      .on(ListOpenIDConnectProvidersCommand)
      .resolves({ OpenIDConnectProviderList: [{ Arn: "arn:aws:iam::111111111111:oidc-provider/gitlab.com" }] });
    expect(only(await doctor(dev), "github-oidc")[0]).toMatchObject({
      severity: "broken",
      fix: "create it: aws iam create-open-id-connect-provider --url https://token.actions.githubusercontent.com --client-id-list sts.amazonaws.com",
    });
    ready(dev);
    mocks.iam.on(GetOpenIDConnectProviderCommand).resolves({ ClientIDList: ["sigstore"] });
    mocks.iam
      .on(GetRoleCommand, { RoleName: "Deploy" })
      .resolves({ Role: { AssumeRolePolicyDocument: roleTrust("repo:northwind/cmk:environment:prod") } as never });
    mocks.iam.on(GetRoleCommand, { RoleName: "Plan" }).rejects(awsError("NoSuchEntity"));
    const fs = [...only(await doctor(dev), "github-oidc"), ...only(await doctor(dev), "ci-role")];
    expect(fs.map((f) => [f.subject, f.severity, f.detail])).toEqual([
      ["token.actions.githubusercontent.com", "broken", "provider exists without the audience sts.amazonaws.com"],
      ["Plan", "broken", "does not exist"],
      ["Deploy", "broken", "its trust policy does not name the subject repo:northwind/cmk:environment:dev"],
    ]);
    const unnamed = only(await doctor(dev, { planRole: undefined, deployRole: undefined }), "ci-role");
    expect(unnamed.map((f) => [f.severity, f.detail])).toEqual([
      ["unknown", "not checked: no role given (--plan-role, or AWS_PLAN_ROLE_DEV)"],
      ["unknown", "not checked: no role given (--deploy-role, or AWS_DEPLOY_ROLE_DEV)"],
    ]);
    const fromEnv = only(
      await doctor(dev, {
        planRole: undefined,
        deployRole: undefined,
        env: { AWS_DEPLOY_ROLE_DEV: "arn:aws:iam::1:role/Deploy", GITHUB_REPOSITORY: REPO },
      }),
      "ci-role",
    );
    expect(fromEnv[1]).toMatchObject({ subject: "Deploy", severity: "broken" });
  });
});

describe("the CLI", () => {
  test("--json: findings and exit 2 for a missing workspace; the TFC token (from TF_TOKEN_app_terraform_io) never printed", async () => {
    ready(prod);
    delete workspaces["cmk-prod-data"];
    const io = captureIo();
    const code = await withEnv({ TF_TOKEN_app_terraform_io: TOKEN }, () =>
      doctorCli(
        ["prod", "--json", "--repository", REPO, "--plan-role", roles.planRole, "--deploy-role", roles.deployRole],
        io,
        { baseUrl: tfcUrl },
      ),
    );
    expect(code).toBe(EXIT.broken);
    const doc = JSON.parse(io.out.join(""));
    expect(doc).toMatchObject({ command: "doctor", environment: "prod", overall: "broken", exitCode: 2 });
    expect(doc.findings.filter((f: Finding) => f.severity !== "ok")).toEqual([
      expect.objectContaining({ check: "tfc-workspace", subject: "cmk-prod-data", severity: "broken" }),
    ]);
    expect(io.text()).not.toContain(TOKEN);
    expect(io.err.join("")).toContain("doctor: state backend\n");
  });

  test.each([[["prod", "--plan-role"]], [["prod", "extra"]], [["nope"]]])("usage errors exit 64: %j", async (argv) => {
    const io = captureIo();
    expect(await doctorCli(argv, io)).toBe(EXIT.usage);
    expect(io.out).toEqual([]);
  });
});
