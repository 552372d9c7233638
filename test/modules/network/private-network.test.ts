import { environments } from "../../../environments";
import { only, resources, synthEnvs, variant } from "../../helpers/synth";

test("new VPC: private subnets only, one per declared AZ, no internet or NAT gateway, default SG emptied", () => {
  const { stacks } = synthEnvs({ dev: environments.dev });
  const keys = stacks["dev-keys"];
  const subnets = Object.values(resources(keys, "aws_subnet"));
  expect(subnets.map((s) => [s.availability_zone, s.cidr_block, s.map_public_ip_on_launch])).toEqual([
    ["eu-west-1a", "10.10.0.0/24", false],
    ["eu-west-1b", "10.10.1.0/24", false],
  ]);
  expect(resources(keys, "aws_internet_gateway")).toEqual({});
  expect(resources(keys, "aws_nat_gateway")).toEqual({});
  const sg = only(keys, "aws_default_security_group");
  expect(sg.ingress).toBeUndefined();
  expect(sg.egress).toBeUndefined();
});

test("existing VPC: no network resources are created", () => {
  const existing = variant(environments.dev, {
    network: {
      mode: "existing",
      vpcId: "vpc-0123456789abcdef0",
      cidr: "10.10.0.0/16",
      subnets: [
        { id: "subnet-0123456789abcdef0", az: "eu-west-1a", cidr: "10.10.0.0/24" },
        { id: "subnet-0123456789abcdef1", az: "eu-west-1b", cidr: "10.10.1.0/24" },
      ],
    },
  });
  const { stacks } = synthEnvs({ dev: existing });
  const keys = stacks["dev-keys"];
  expect(resources(keys, "aws_vpc")).toEqual({});
  expect(resources(keys, "aws_subnet")).toEqual({});
});
