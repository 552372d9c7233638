/**
 * The VPC's path to the data centre (issue 9, item 7) and the CloudHSM admin host's network
 * prerequisites (item 6), as synthesized through composeApp for the shipped staging and prod and
 * for the other connection types. The plan-time checks' HCL, evaluated by the real Terraform CLI:
 * test/modules/network/on-premises-route-checks.test.ts.
 */
import { environments } from "../../../environments";
import type { EnvironmentConfig } from "../../../environments/types";
import {
  natDefaultRoute,
  OnPremisesConnection,
  routeCovers,
  routeTableUsedBy,
  type OnPremisesConnectionProps,
} from "../../../modules/network/on-premises-connection";
import { configErrorLines, only, resources, synthEnvs, variant, type StackJson } from "../../helpers/synth";
import { synthesized, testStack } from "./fixtures";
import { stackGraph } from "../../helpers/stack-graph";

const { stacks } = synthEnvs({ staging: environments.staging, prod: environments.prod });

/** The route table ids every subnet the NLB maps to uses: explicit associations, else the VPC's main table. */
function nlbRouteTables(keys: StackJson): string[] {
  const nlb = Object.values(resources(keys, "aws_lb"))[0];
  const associations = Object.values(resources(keys, "aws_route_table_association"));
  const vpc = Object.keys(resources(keys, "aws_vpc"))[0];
  return (nlb.subnet_mapping as { subnet_id: string }[]).map(
    ({ subnet_id }) =>
      (associations.find((a) => a.subnet_id === subnet_id)?.route_table_id as string | undefined) ??
      `\${aws_vpc.${vpc}.main_route_table_id}`,
  );
}

describe.each(["staging", "prod"])("%s-keys: the XKS load balancer's subnets route to the data centre", (env) => {
  const keys = stacks[`${env}-keys`];
  const graph = stackGraph(keys);

  test("the VPC is attached to the transit gateway in one subnet per AZ", () => {
    const attachments = Object.values(resources(keys, "aws_ec2_transit_gateway_vpc_attachment"));
    expect(attachments).toHaveLength(1);
    const subnets = Object.keys(resources(keys, "aws_subnet")).map((n) => `\${aws_subnet.${n}.id}`);
    expect(attachments[0]).toMatchObject({
      transit_gateway_id: "tgw-0a1b2c3d4e5f60718",
      vpc_id: `\${aws_vpc.${Object.keys(resources(keys, "aws_vpc"))[0]}.id}`,
      subnet_ids: subnets,
    });
  });

  test("every onPremisesCidrs range is routed to the transit gateway on the route table of every NLB subnet, after the attachment", () => {
    const routes = Object.entries(resources(keys, "aws_route"));
    const tables = [...new Set(nlbRouteTables(keys))];
    expect(tables).toHaveLength(1);
    const ranges = environments[env as "staging" | "prod"].network.onPremisesCidrs ?? [];
    expect(ranges.length).toBeGreaterThan(0);
    for (const table of tables) {
      for (const cidr of ranges) {
        expect(
          routes.filter(
            ([, r]) =>
              r.route_table_id === table &&
              r.destination_cidr_block === cidr &&
              r.transit_gateway_id === "tgw-0a1b2c3d4e5f60718",
          ),
        ).toHaveLength(1);
      }
    }
    const attachment = Object.keys(resources(keys, "aws_ec2_transit_gateway_vpc_attachment"))[0];
    for (const [, r] of routes) expect(r.depends_on).toEqual([`aws_ec2_transit_gateway_vpc_attachment.${attachment}`]);
  });

  test("the key store is created only once the routes exist (KMS calls the proxies on create)", () => {
    const store = graph.addressOf(`${env}-keys/xks/store`);
    for (const name of Object.keys(resources(keys, "aws_route")))
      expect(graph.dependsOn(store, `aws_route.${name}`)).toBe(true);
  });
});

test("several on-premises ranges: one route each", () => {
  const two = variant<EnvironmentConfig>(environments.staging, {
    "network.onPremisesCidrs": ["192.168.0.0/16", "172.16.0.0/12"],
  });
  const keys = synthEnvs({ staging: two }).stacks["staging-keys"];
  const routes = Object.values(resources(keys, "aws_route")).map((r) => [
    r.destination_cidr_block,
    r.transit_gateway_id,
  ]);
  expect(routes.sort()).toEqual([
    ["172.16.0.0/12", "tgw-0a1b2c3d4e5f60718"],
    ["192.168.0.0/16", "tgw-0a1b2c3d4e5f60718"],
  ]);
});

describe("virtual private gateway", () => {
  test("a new one: created in the VPC, its routes propagated to the subnets' route table", () => {
    const keys = synthEnvs({
      staging: variant<EnvironmentConfig>(environments.staging, {
        "network.onPremisesConnection": { type: "vpnGateway" },
      }),
    }).stacks["staging-keys"];
    const vpc = Object.keys(resources(keys, "aws_vpc"))[0];
    const vgw = Object.entries(resources(keys, "aws_vpn_gateway"));
    expect(vgw).toHaveLength(1);
    expect(vgw[0][1].vpc_id).toBe(`\${aws_vpc.${vpc}.id}`);
    const propagations = Object.values(resources(keys, "aws_vpn_gateway_route_propagation"));
    expect(propagations).toEqual([
      expect.objectContaining({
        route_table_id: nlbRouteTables(keys)[0],
        vpn_gateway_id: `\${aws_vpn_gateway.${vgw[0][0]}.id}`,
      }),
    ]);
    expect(resources(keys, "aws_ec2_transit_gateway_vpc_attachment")).toEqual({});
    expect(resources(keys, "aws_route")).toEqual({});
  });

  test("an existing one: attached to the VPC, propagation after the attachment", () => {
    const keys = synthEnvs({
      staging: variant<EnvironmentConfig>(environments.staging, {
        "network.onPremisesConnection": { type: "vpnGateway", vpnGatewayId: "vgw-0123456789abcdef0" },
      }),
    }).stacks["staging-keys"];
    expect(resources(keys, "aws_vpn_gateway")).toEqual({});
    const attachments = Object.entries(resources(keys, "aws_vpn_gateway_attachment"));
    expect(attachments.map(([, a]) => a.vpn_gateway_id)).toEqual(["vgw-0123456789abcdef0"]);
    const propagations = Object.values(resources(keys, "aws_vpn_gateway_route_propagation"));
    expect(propagations).toEqual([
      expect.objectContaining({
        route_table_id: nlbRouteTables(keys)[0],
        vpn_gateway_id: "vgw-0123456789abcdef0",
        depends_on: [`aws_vpn_gateway_attachment.${attachments[0][0]}`],
      }),
    ]);
  });
});

describe("OnPremisesConnection as a construct", () => {
  const props: OnPremisesConnectionProps = {
    vpcId: "vpc-0123456789abcdef0",
    connection: { type: "transitGateway", transitGatewayId: "tgw-0123456789abcdef0" },
    onPremisesCidrs: ["192.168.0.0/16"],
    routeTables: [{ routeTableId: "rtb-0123456789abcdef0", subnetIds: ["subnet-a"] }],
    attachmentSubnetIds: ["subnet-a"],
  };

  test("a transit gateway: the attachment named after the stack's prefix, one route per range and table, after the attachment", () => {
    const stack = testStack("acme");
    const connection = new OnPremisesConnection(stack, "c", {
      ...props,
      onPremisesCidrs: ["192.168.0.0/16", "172.16.0.0/12"],
    });
    const json = synthesized(stack);
    const [attachment] = Object.keys(resources(json, "aws_ec2_transit_gateway_vpc_attachment"));
    expect(resources(json, "aws_ec2_transit_gateway_vpc_attachment")[attachment]).toMatchObject({
      vpc_id: "vpc-0123456789abcdef0",
      subnet_ids: ["subnet-a"],
      tags: { Name: "acme-keys" },
    });
    expect(
      Object.values(resources(json, "aws_route")).map((r) => [
        r.route_table_id,
        r.destination_cidr_block,
        r.depends_on,
      ]),
    ).toEqual([
      ["rtb-0123456789abcdef0", "172.16.0.0/12", [`aws_ec2_transit_gateway_vpc_attachment.${attachment}`]],
      ["rtb-0123456789abcdef0", "192.168.0.0/16", [`aws_ec2_transit_gateway_vpc_attachment.${attachment}`]],
    ]);
    expect(connection.ready).toHaveLength(3);
  });

  test("a new virtual private gateway is named after the stack's prefix", () => {
    const stack = testStack("acme");
    new OnPremisesConnection(stack, "c", { ...props, connection: { type: "vpnGateway" } });
    expect(only(synthesized(stack), "aws_vpn_gateway")).toMatchObject({
      vpc_id: "vpc-0123456789abcdef0",
      tags: { Name: "acme-keys" },
    });
  });

  test.each<[string, Partial<OnPremisesConnectionProps>, string[]]>([
    [
      "fails when there is no range to route",
      { onPremisesCidrs: [] },
      [
        "test/c.onPremisesCidrs: [] is not allowed (the data centre ranges routed through the connection: at least one)",
      ],
    ],
    [
      "fails when there is no route table",
      { routeTables: [] },
      [
        "test/c.routeTables: [] is not allowed (the route tables of the private subnets, where the routes go or are checked: at least one)",
      ],
    ],
    [
      "fails when a range is not a CIDR or is listed twice",
      { onPremisesCidrs: ["192.168.0.1/16", "172.16.0.0/12", "172.16.0.0/12"] },
      [
        'test/c.onPremisesCidrs.0: "192.168.0.1/16" is not allowed (an IPv4 CIDR with no host bits set, the DestinationCidrBlock of EC2 CreateRoute)',
        'test/c.onPremisesCidrs.2: "172.16.0.0/12" is not allowed (listed twice: one route per destination in a route table, EC2 CreateRoute)',
      ],
    ],
    [
      "fails when the transit gateway id is malformed and no subnet is given for the attachment",
      { connection: { type: "transitGateway", transitGatewayId: "tgw-1" }, attachmentSubnetIds: [] },
      [
        'test/c.connection.transitGatewayId: "tgw-1" is not allowed (a transit gateway id: tgw- and 8 or 17 hex characters)',
        "test/c.attachmentSubnetIds: [] is not allowed (a transit gateway VPC attachment needs one subnet in each AZ it serves, EC2 CreateTransitGatewayVpcAttachment SubnetIds)",
      ],
    ],
    [
      "fails when the virtual private gateway id is malformed",
      { connection: { type: "vpnGateway", vpnGatewayId: "vgw-xyz" } },
      [
        'test/c.connection.vpnGatewayId: "vgw-xyz" is not allowed (a virtual private gateway id: vgw- and 8 or 17 hex characters)',
      ],
    ],
  ])("%s", (_title, change, lines) => {
    expect(configErrorLines(() => new OnPremisesConnection(testStack(), "c", { ...props, ...change }))).toEqual(lines);
  });
});

/** prod (CloudHSM + XKS) in an existing VPC whose routes are its owner's. */
const existingProd = (extra: Record<string, unknown> = {}) =>
  variant<EnvironmentConfig>(environments.prod, {
    network: {
      mode: "existing",
      vpcId: "vpc-0123456789abcdef0",
      cidr: "10.30.0.0/16",
      onPremisesCidrs: ["192.168.0.0/16"],
      onPremisesConnection: { type: "existingRoutes" },
      subnets: [
        {
          id: "subnet-0123456789abcdef0",
          az: "eu-west-1a",
          cidr: "10.30.0.0/24",
          routeTableId: "rtb-0123456789abcdef0",
        },
        {
          id: "subnet-0123456789abcdef1",
          az: "eu-west-1b",
          cidr: "10.30.1.0/24",
          routeTableId: "rtb-0123456789abcdef0",
        },
        {
          id: "subnet-0123456789abcdef2",
          az: "eu-west-1c",
          cidr: "10.30.2.0/24",
          routeTableId: "rtb-0123456789abcdef1",
        },
      ],
    },
    ...extra,
  });

describe("existing VPC: routes checked at plan time", () => {
  const keys = synthEnvs({ prod: existingProd() }).stacks["prod-keys"];
  const tables = keys.data?.aws_route_table ?? {};
  type Condition = { condition: string; error_message: string };
  const conditions = (id: string) =>
    (Object.values(tables).find((t) => t.route_table_id === id)?.lifecycle as { postcondition: Condition[] })
      .postcondition;

  test("nothing is created on the network; each declared route table is read", () => {
    for (const t of [
      "aws_vpc",
      "aws_subnet",
      "aws_route",
      "aws_ec2_transit_gateway_vpc_attachment",
      "aws_vpn_gateway",
      "aws_vpn_gateway_route_propagation",
    ])
      expect(resources(keys, t)).toEqual({});
    expect(
      Object.values(tables)
        .map((t) => t.route_table_id)
        .sort(),
    ).toEqual(["rtb-0123456789abcdef0", "rtb-0123456789abcdef1"]);
  });

  test("postconditions: the table is the subnets' and a route covers every on-premises range, with a message naming both", () => {
    expect(conditions("rtb-0123456789abcdef0")).toEqual([
      {
        condition: `\${${routeTableUsedBy("self.associations", ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"])}}`,
        error_message:
          "Route table rtb-0123456789abcdef0 is neither associated with the subnets subnet-0123456789abcdef0, subnet-0123456789abcdef1 nor the VPC's main route table (network.subnets[].routeTableId): declare the route table each subnet uses.",
      },
      {
        condition: `\${${routeCovers("self.routes", "192.168.0.0/16")}}`,
        error_message:
          "Route table rtb-0123456789abcdef0 (subnets subnet-0123456789abcdef0, subnet-0123456789abcdef1) has no route whose destination contains 192.168.0.0/16 (network.onPremisesCidrs, network.onPremisesConnection existingRoutes): add a static route for it to your transit gateway, virtual private gateway or peering connection (propagated routes are not visible to this check), or use a new VPC with onPremisesConnection transitGateway or vpnGateway.",
      },
    ]);
    expect(conditions("rtb-0123456789abcdef1")).toHaveLength(2);
  });

  test("the key store waits for the checks; the S3 gateway endpoint goes on the declared route tables (the admin host's included)", () => {
    const graph = stackGraph(keys);
    const store = graph.addressOf("prod-keys/xks/store");
    for (const name of Object.keys(tables)) expect(graph.dependsOn(store, `data.aws_route_table.${name}`)).toBe(true);
    const s3 = Object.values(resources(keys, "aws_vpc_endpoint")).find((e) => e.vpc_endpoint_type === "Gateway");
    expect(s3?.route_table_ids).toEqual(["rtb-0123456789abcdef0", "rtb-0123456789abcdef1"]);
    const ssm = Object.values(resources(keys, "aws_vpc_endpoint"))
      .filter((e) => e.vpc_endpoint_type === "Interface")
      .map((e) => (e.service_name as string).split(".").pop());
    expect(ssm).toEqual(expect.arrayContaining(["ssm", "ssmmessages", "ec2messages"]));
  });
});

describe("existing VPC with NAT: the CloudHSM CLI from the internet", () => {
  const keys = synthEnvs({ prod: existingProd({ "network.natGateway": true, "cloudHsm.adminHost": undefined }) })
    .stacks["prod-keys"];

  test("the NAT default route is checked on every declared route table", () => {
    const nat = Object.values(keys.data?.aws_route_table ?? {}).filter((t) =>
      (t.lifecycle as { postcondition: { condition: string }[] }).postcondition.some(
        (c) => c.condition === `\${${natDefaultRoute("self.routes")}}`,
      ),
    );
    expect(nat.map((t) => t.route_table_id).sort()).toEqual(["rtb-0123456789abcdef0", "rtb-0123456789abcdef1"]);
  });

  test("the admin host may reach the internet on 443 and downloads the CLI from the CloudHSM site", () => {
    const sg = Object.entries(resources(keys, "aws_security_group")).find(
      ([, g]) => g.name === "prod-cloudhsm-admin",
    )?.[0];
    const egress = Object.values(resources(keys, "aws_vpc_security_group_egress_rule")).filter(
      (r) => r.security_group_id === `\${aws_security_group.${sg}.id}`,
    );
    expect(
      egress.filter((r) => r.cidr_ipv4 === "0.0.0.0/0").map((r) => [r.ip_protocol, r.from_port, r.to_port]),
    ).toEqual([["tcp", 443, 443]]);
    const host = Object.values(resources(keys, "aws_instance"))[0];
    expect(host.user_data).toContain("dnf install -y 'https://s3.amazonaws.com/cloudhsmv2-software/");
  });

  test("without NAT (shipped prod) the admin host has no internet egress", () => {
    const shipped = stacks["prod-keys"];
    expect(
      Object.values(resources(shipped, "aws_vpc_security_group_egress_rule")).filter(
        (r) => r.cidr_ipv4 === "0.0.0.0/0",
      ),
    ).toEqual([]);
  });
});
