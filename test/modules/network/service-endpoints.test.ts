import {
  IN_VPC_HOOK_SERVICES,
  SSM_HOST_SERVICES,
  ServiceEndpoints,
  privateRouteTableIds,
  type ServiceEndpointsProps,
} from "../../../modules/network/service-endpoints";
import { configErrorLines, only, resources } from "../../helpers/synth";
import { NETWORK, synthesized, testStack } from "./fixtures";

describe("ServiceEndpoints with minimal props", () => {
  const stack = testStack();
  const endpoints = new ServiceEndpoints(stack, "endpoints", { network: NETWORK });
  const json = synthesized(stack);
  const all = Object.values(resources(json, "aws_vpc_endpoint"));

  test("one interface endpoint per SSM host service in the stack's Region, private DNS on, one subnet per AZ, named after the stack's prefix", () => {
    const interfaces = all.filter((e) => e.vpc_endpoint_type === "Interface");
    expect(interfaces.map((e) => e.service_name)).toEqual(
      SSM_HOST_SERVICES.map((s) => `com.amazonaws.eu-west-1.${s}`).sort(),
    );
    const sg = Object.keys(resources(json, "aws_security_group"))[0];
    for (const e of interfaces) {
      expect(e).toMatchObject({
        vpc_id: NETWORK.vpcId,
        private_dns_enabled: true,
        subnet_ids: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
        security_group_ids: [`\${aws_security_group.${sg}.id}`],
      });
    }
    expect(interfaces.map((e) => (e.tags as Record<string, string>).Name).sort()).toEqual(
      SSM_HOST_SERVICES.map((s) => `t-${s}`).sort(),
    );
    expect(endpoints.endpoints).toHaveLength(SSM_HOST_SERVICES.length + 1);
  });

  test("a security group admitting HTTPS from the VPC CIDR only", () => {
    expect(only(json, "aws_security_group")).toMatchObject({ name: "t-service-endpoints", vpc_id: NETWORK.vpcId });
    expect(only(json, "aws_vpc_security_group_ingress_rule")).toMatchObject({
      ip_protocol: "tcp",
      from_port: 443,
      to_port: 443,
      cidr_ipv4: "10.20.0.0/16",
    });
    expect(resources(json, "aws_vpc_security_group_egress_rule")).toEqual({});
  });

  test("an S3 gateway endpoint on the network's route tables", () => {
    expect(all.filter((e) => e.vpc_endpoint_type === "Gateway")).toEqual([
      expect.objectContaining({
        service_name: "com.amazonaws.eu-west-1.s3",
        route_table_ids: ["rtb-0123456789abcdef0"],
        tags: { Name: "t-s3" },
      }),
    ]);
  });
});

test("the given services, in the stack's Region, named with the stack's prefix", () => {
  const stack = testStack();
  new ServiceEndpoints(stack, "endpoints", { network: NETWORK, services: [...IN_VPC_HOOK_SERVICES] });
  const all = Object.values(resources(synthesized(stack), "aws_vpc_endpoint"));
  expect(all.map((e) => e.service_name).sort()).toEqual([
    "com.amazonaws.eu-west-1.cloudhsmv2",
    "com.amazonaws.eu-west-1.kms",
    "com.amazonaws.eu-west-1.s3",
  ]);
  expect(all.map((e) => (e.tags as Record<string, string>).Name).sort()).toEqual(["t-cloudhsmv2", "t-kms", "t-s3"]);
});

test("an existing VPC that declares no route table: the S3 endpoint goes on its main route table, looked up at plan time", () => {
  const stack = testStack();
  const ids = privateRouteTableIds(stack, { ...NETWORK, routeTableIds: [] });
  const json = synthesized(stack);
  expect(only({ resource: json.data }, "aws_route_table")).toEqual({
    vpc_id: NETWORK.vpcId,
    filter: [{ name: "association.main", values: ["true"] }],
  });
  expect(ids).toHaveLength(1);
});

test.each<[string, ServiceEndpointsProps, string[]]>([
  [
    "fails when a service name is malformed or listed twice",
    { network: NETWORK, services: ["ssm", "com.amazonaws.eu-west-1.kms", "ssm"] },
    [
      'test/endpoints.services.1: "com.amazonaws.eu-west-1.kms" is not allowed (an endpoint service name after com.amazonaws.<region>., such as ssm or ecr.api)',
      'test/endpoints.services.2: "ssm" is not allowed (listed twice: one interface endpoint per service and VPC with private DNS)',
    ],
  ],
  [
    "fails when the network has no subnet",
    { network: { ...NETWORK, subnetIdByAz: {} } },
    [
      "test/endpoints.network.subnetIdByAz: {} is not allowed (an interface endpoint needs a subnet in at least one AZ, EC2 CreateVpcEndpoint SubnetIds)",
    ],
  ],
])("%s", (_title, props, lines) => {
  expect(configErrorLines(() => new ServiceEndpoints(testStack(), "endpoints", props))).toEqual(lines);
});
