import { NETWORK, inRange, type Pattern, type Range } from "@cmk-stacks/aws-limits";

const AWS_DOC = /^https:\/\/docs\.aws\.amazon\.com\/\S+\.html$/;
const entries = Object.entries(NETWORK);
const ranges = entries.filter(([, v]) => typeof v === "object" && v !== null && "min" in v) as [string, Range][];
const patterns = entries.filter(([, v]) => typeof v === "object" && v !== null && "regex" in v) as [string, Pattern][];

test("every range has min <= max and an AWS documentation page", () => {
  expect(ranges.map(([n]) => n).sort()).toEqual(["SUBNET_CIDR_PREFIX", "VPC_CIDR_PREFIX"]);
  for (const [name, r] of ranges) expect([name, r.min <= r.max, AWS_DOC.test(r.doc)]).toEqual([name, true, true]);
  expect(AWS_DOC.test(NETWORK.MIN_AZS.doc)).toBe(true);
});

test("CIDR prefixes run from /16 to /28", () => {
  expect([15, 16, 28, 29].map((p) => inRange(NETWORK.VPC_CIDR_PREFIX, p))).toEqual([false, true, true, false]);
  expect([15, 16, 28, 29].map((p) => inRange(NETWORK.SUBNET_CIDR_PREFIX, p))).toEqual([false, true, true, false]);
});

test.each([
  ["VPC_ID", "vpc-0123abcd", true],
  ["VPC_ID", "vpc-0123456789abcdef0", true],
  ["VPC_ID", "vpc-0123abcde", false],
  ["VPC_ID", "subnet-0123abcd", false],
  ["SUBNET_ID", "subnet-0123456789abcdef0", true],
  ["SUBNET_ID", "subnet-XYZ12345", false],
  ["ROUTE_TABLE_ID", "rtb-0123abcd", true],
  ["ROUTE_TABLE_ID", "rtb-0123abcd\n", false],
  ["TRANSIT_GATEWAY_ID", "tgw-0123456789abcdef0", true],
  ["TRANSIT_GATEWAY_ID", "vgw-0123456789abcdef0", false],
  ["VPN_GATEWAY_ID", "vgw-0123abcd", true],
  ["VPN_GATEWAY_ID", " vgw-0123abcd", false],
])("%s: %j allowed: %s", (name, id, ok) => {
  const pattern = (NETWORK as unknown as Record<string, Pattern>)[name];
  expect(pattern.regex.test(id)).toBe(ok);
});

test("each id pattern names its AWS page and says what is allowed", () => {
  const ids = patterns.filter(([name]) => name.endsWith("_ID"));
  expect(ids.length).toBe(5);
  for (const [name, p] of ids)
    expect([name, AWS_DOC.test(p.doc), /8 or 17 hex characters$/.test(p.allowed)]).toEqual([name, true, true]);
});

test.each([
  ["ssm", true],
  ["ecr.api", true],
  ["com.amazonaws.eu-west-1.ssm", false],
  ["SSM", false],
  ["ssm..api", false],
])("endpoint service %j allowed: %s", (name, ok) => {
  expect(NETWORK.ENDPOINT_SERVICE_NAME.regex.test(name)).toBe(ok);
  expect(NETWORK.ENDPOINT_SERVICE_NAME.doc).toMatch(AWS_DOC);
});

describe("the CIDR parser validation and constructs share", () => {
  test.each([
    ["10.0.0.0/16", { first: 167772160, last: 167837695, prefix: 16 }],
    ["192.168.1.16/28", { first: 3232235792, last: 3232235807, prefix: 28 }],
    ["0.0.0.0/0", { first: 0, last: 4294967295, prefix: 0 }],
    ["255.255.255.255/32", { first: 4294967295, last: 4294967295, prefix: 32 }],
  ])("%s", (text, range) => expect(NETWORK.parseIpv4Cidr(text)).toEqual(range));

  test.each([
    "10.0.0.1/16",
    "10.0.0.0",
    "10.0.0.0/33",
    "10.0.0.0/16/1",
    "010.0.0.0/16",
    "256.0.0.0/8",
    "10.0.0/24",
    " 10.0.0.0/16",
    "10.0.0.0/016",
    42,
    undefined,
  ])("refuses %p", (text) => {
    expect(NETWORK.parseIpv4Cidr(text)).toBeUndefined();
  });

  test("VPC and subnet CIDRs take /16 to /28 network addresses only", () => {
    expect(["10.0.0.0/15", "10.0.0.0/16", "10.0.0.0/28", "10.0.0.0/29", "10.0.0.1/28"].map(NETWORK.isVpcCidr)).toEqual([
      false,
      true,
      true,
      false,
      false,
    ]);
    expect(["10.0.0.0/15", "10.0.0.0/16", "10.0.0.0/28", "10.0.0.0/29"].map(NETWORK.isSubnetCidr)).toEqual([
      false,
      true,
      true,
      false,
    ]);
  });
});
