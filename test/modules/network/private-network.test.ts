import {
  PrivateNetwork,
  type ExistingVpcProps,
  type NewVpcProps,
  type PrivateNetworkProps,
} from "../../../modules/network/private-network";
import { resolve } from "../../../modules/cdktf/internals";
import { configErrorLines, only, resources } from "../../helpers/synth";
import { synthesized, testStack } from "./fixtures";

const NEW: NewVpcProps = {
  mode: "new",
  cidr: "10.10.0.0/16",
  subnets: [
    { az: "eu-west-1a", cidr: "10.10.0.0/24" },
    { az: "eu-west-1b", cidr: "10.10.1.0/24" },
  ],
};

const EXISTING: ExistingVpcProps = {
  mode: "existing",
  vpcId: "vpc-0123456789abcdef0",
  cidr: "10.10.0.0/16",
  subnets: [
    { id: "subnet-0123456789abcdef0", az: "eu-west-1a", cidr: "10.10.0.0/24", routeTableId: "rtb-0123456789abcdef0" },
    { id: "subnet-0123456789abcdef1", az: "eu-west-1a", cidr: "10.10.1.0/24", routeTableId: "rtb-0123456789abcdef0" },
    { id: "subnet-0123456789abcdef2", az: "eu-west-1b", cidr: "10.10.2.0/24", routeTableId: "rtb-0123456789abcdef1" },
  ],
};

describe("a new VPC", () => {
  const stack = testStack();
  const network = new PrivateNetwork(stack, "network", NEW);
  const json = synthesized(stack);

  test("DNS on, named after the stack's name prefix", () => {
    expect(only(json, "aws_vpc")).toMatchObject({
      cidr_block: "10.10.0.0/16",
      enable_dns_hostnames: true,
      enable_dns_support: true,
      tags: { Name: "t-keys" },
    });
  });

  test("private subnets only, one per declared AZ, no internet or NAT gateway, default SG emptied", () => {
    const subnets = Object.values(resources(json, "aws_subnet"));
    expect(
      subnets.map((s) => [
        s.availability_zone,
        s.cidr_block,
        s.map_public_ip_on_launch,
        (s.tags as Record<string, string>).Name,
      ]),
    ).toEqual([
      ["eu-west-1a", "10.10.0.0/24", false, "t-private-eu-west-1a"],
      ["eu-west-1b", "10.10.1.0/24", false, "t-private-eu-west-1b"],
    ]);
    expect(resources(json, "aws_internet_gateway")).toEqual({});
    expect(resources(json, "aws_nat_gateway")).toEqual({});
    expect(resources(json, "aws_route_table")).toEqual({});
    const sg = only(json, "aws_default_security_group");
    expect(sg.ingress).toBeUndefined();
    expect(sg.egress).toBeUndefined();
  });

  test("as an INetwork: the subnets by AZ, the main route table, no data centre", () => {
    const vpc = Object.keys(resources(json, "aws_vpc"))[0];
    expect(Object.keys(network.subnetIdByAz)).toEqual(["eu-west-1a", "eu-west-1b"]);
    expect(network.subnetIds).toHaveLength(2);
    expect(network.onPremisesCidrs).toEqual([]);
    expect(network.onPremisesReady).toEqual([]);
    expect(network.onPremises).toBeUndefined();
    expect(resolve(stack, network.routeTableIds)).toEqual([`\${aws_vpc.${vpc}.main_route_table_id}`]);
  });
});

describe("an existing VPC", () => {
  test("no network resources are created; the first subnet of each AZ and each route table once", () => {
    const stack = testStack();
    const network = new PrivateNetwork(stack, "network", EXISTING);
    const json = synthesized(stack);
    expect(resources(json, "aws_vpc")).toEqual({});
    expect(resources(json, "aws_subnet")).toEqual({});
    expect(json.data).toBeUndefined();
    expect(network.vpcId).toBe("vpc-0123456789abcdef0");
    expect(network.subnetIdByAz).toEqual({
      "eu-west-1a": "subnet-0123456789abcdef0",
      "eu-west-1b": "subnet-0123456789abcdef2",
    });
    expect(network.routeTableIds).toEqual(["rtb-0123456789abcdef0", "rtb-0123456789abcdef1"]);
  });

  test("natGateway: each declared route table is read at plan time with a NAT default route postcondition", () => {
    const stack = testStack();
    new PrivateNetwork(stack, "network", { ...EXISTING, natGateway: true });
    const tables = Object.values(synthesized(stack).data?.aws_route_table ?? {});
    expect(tables.map((t) => t.route_table_id)).toEqual(["rtb-0123456789abcdef0", "rtb-0123456789abcdef1"]);
    const conditions = (tables[0].lifecycle as { postcondition: { condition: string; error_message: string }[] })
      .postcondition;
    expect(conditions.map((c) => c.condition)).toEqual([
      expect.stringContaining('"subnet-0123456789abcdef0","subnet-0123456789abcdef1"'),
      expect.stringContaining('r.cidr_block == "0.0.0.0/0"'),
    ]);
  });

  test("existingRoutes: the declared ranges are checked on each route table and are what onPremisesReady waits for", () => {
    const stack = testStack();
    const network = new PrivateNetwork(stack, "network", {
      ...EXISTING,
      onPremisesCidrs: ["192.168.0.0/16"],
      onPremisesConnection: { type: "existingRoutes" },
    });
    expect(Object.keys(synthesized(stack).data?.aws_route_table ?? {})).toHaveLength(2);
    expect(network.onPremisesCidrs).toEqual(["192.168.0.0/16"]);
    expect(network.onPremisesReady).toHaveLength(2);
  });
});

test("a transit gateway connection routes the ranges from the main route table, tagged with the name prefix", () => {
  const stack = testStack("acme");
  const network = new PrivateNetwork(stack, "network", {
    ...NEW,
    onPremisesCidrs: ["192.168.0.0/16"],
    onPremisesConnection: { type: "transitGateway", transitGatewayId: "tgw-0123456789abcdef0" },
  });
  const json = synthesized(stack);
  expect(only(json, "aws_ec2_transit_gateway_vpc_attachment")).toMatchObject({
    transit_gateway_id: "tgw-0123456789abcdef0",
    tags: { Name: "acme-keys" },
  });
  const vpc = Object.keys(resources(json, "aws_vpc"))[0];
  expect(only(json, "aws_route")).toMatchObject({
    route_table_id: `\${aws_vpc.${vpc}.main_route_table_id}`,
    destination_cidr_block: "192.168.0.0/16",
    transit_gateway_id: "tgw-0123456789abcdef0",
  });
  expect(network.onPremisesReady).toHaveLength(2);
});

describe("PrivateNetwork refuses what the VPC cannot be", () => {
  const at = "test/network";
  test.each<[string, PrivateNetworkProps, string[]]>([
    [
      "fails when the subnets cover a single AZ",
      { ...NEW, subnets: [NEW.subnets[0], { az: "eu-west-1a", cidr: "10.10.1.0/24" }] },
      [
        `${at}.subnets: ["eu-west-1a"] is not allowed (subnets in at least 2 distinct AZs: CloudHSM clusters, network load balancers and interface endpoints need 2 AZs for availability)`,
      ],
    ],
    [
      "fails when the VPC CIDR is larger than /16 or has host bits",
      {
        ...NEW,
        cidr: "10.0.0.0/8",
        subnets: [
          { az: "eu-west-1a", cidr: "10.10.0.1/24" },
          { az: "eu-west-1b", cidr: "10.10.1.0/29" },
        ],
      },
      [
        `${at}.cidr: "10.0.0.0/8" is not allowed (an IPv4 CIDR from /16 to /28 with no host bits set, Amazon VPC CreateVpc / CreateSubnet CidrBlock)`,
        `${at}.subnets.0.cidr: "10.10.0.1/24" is not allowed (an IPv4 CIDR from /16 to /28 with no host bits set, Amazon VPC CreateVpc / CreateSubnet CidrBlock)`,
        `${at}.subnets.1.cidr: "10.10.1.0/29" is not allowed (an IPv4 CIDR from /16 to /28 with no host bits set, Amazon VPC CreateVpc / CreateSubnet CidrBlock)`,
      ],
    ],
    [
      "fails when a subnet is outside the VPC or overlaps another",
      {
        ...NEW,
        subnets: [
          NEW.subnets[0],
          { az: "eu-west-1b", cidr: "10.11.0.0/24" },
          { az: "eu-west-1c", cidr: "10.10.0.0/25" },
        ],
      },
      [
        `${at}.subnets.1.cidr: "10.11.0.0/24" is not allowed (a range inside the VPC CIDR 10.10.0.0/16, Amazon VPC CreateSubnet)`,
        `${at}.subnets.2.cidr: "10.10.0.0/25" is not allowed (overlaps subnets.0.cidr 10.10.0.0/24: subnet CIDRs in a VPC cannot overlap, Amazon VPC CreateSubnet)`,
      ],
    ],
    [
      "fails when an on-premises range overlaps the VPC",
      { ...NEW, onPremisesCidrs: ["192.168.0.0/16", "10.0.0.0/8"] },
      [
        `${at}.onPremisesCidrs.1: "10.0.0.0/8" is not allowed (overlaps the VPC CIDR 10.10.0.0/16: traffic to it would stay in the VPC, and XKS over PrivateLink needs the VPC and the key manager's network apart)`,
      ],
    ],
    [
      "fails when existing ids are malformed or a subnet is listed twice",
      {
        ...EXISTING,
        vpcId: "vpc-1",
        subnets: [EXISTING.subnets[0], { ...EXISTING.subnets[2], id: "subnet-x" }, EXISTING.subnets[0]],
      },
      [
        `${at}.vpcId: "vpc-1" is not allowed (a VPC id: vpc- and 8 or 17 hex characters)`,
        `${at}.subnets.1.id: "subnet-x" is not allowed (a subnet id: subnet- and 8 or 17 hex characters)`,
        `${at}.subnets.2.cidr: "10.10.0.0/24" is not allowed (overlaps subnets.0.cidr 10.10.0.0/24: subnet CIDRs in a VPC cannot overlap, Amazon VPC CreateSubnet)`,
        `${at}.subnets.2.id: "subnet-0123456789abcdef0" is not allowed (each subnet listed once)`,
      ],
    ],
  ])("%s", (_title, props, lines) => {
    expect(configErrorLines(() => new PrivateNetwork(testStack(), "network", props))).toEqual(lines);
  });
});
