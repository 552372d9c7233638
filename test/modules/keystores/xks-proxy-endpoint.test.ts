import {
  XksProxyEndpoint,
  XKS_ACCEPTANCE_REASON,
  type XksProxyEndpointProps,
} from "../../../modules/keystores/xks-proxy-endpoint";
import { only, resources } from "../../helpers/synth";
import { NETWORK, synthesized, testStack } from "../network/fixtures";

const props: XksProxyEndpointProps = {
  network: NETWORK,
  privateDnsName: "xks.example.com",
  publicZone: { id: "Z0123456789ABCDEFGHIJ", domain: "example.com" },
  proxyTargets: ["192.168.10.10", "192.168.10.11"],
};

describe("XksProxyEndpoint with minimal props", () => {
  const s = testStack();
  const endpoint = new XksProxyEndpoint(s, "endpoint", props);
  const json = synthesized(s);

  test("an internal IPv4 network load balancer in each AZ, cross-zone, protected from deletion", () => {
    expect(only(json, "aws_lb")).toMatchObject({
      name: "t-xks",
      load_balancer_type: "network",
      internal: true,
      ip_address_type: "ipv4",
      enable_cross_zone_load_balancing: true,
      enforce_security_group_inbound_rules_on_private_link_traffic: "off",
      enable_deletion_protection: true,
      lifecycle: { prevent_destroy: true },
    });
    expect(only(json, "aws_lb_listener")).toMatchObject({ protocol: "TCP", port: 443 });
  });

  test("each proxy an IP target on 443 outside the VPC (AZ all)", () => {
    expect(
      Object.values(resources(json, "aws_lb_target_group_attachment")).map((a) => [
        a.target_id,
        a.port,
        a.availability_zone,
      ]),
    ).toEqual([
      ["192.168.10.10", 443, "all"],
      ["192.168.10.11", 443, "all"],
    ]);
    expect(only(json, "aws_lb_target_group")).toMatchObject({
      target_type: "ip",
      protocol: "TCP",
      port: 443,
      preserve_client_ip: "false",
    });
  });

  test("an endpoint service KMS's principal in the stack's Region may use without acceptance, suppression reason attached", () => {
    expect(only(json, "aws_vpc_endpoint_service")).toMatchObject({
      acceptance_required: false,
      private_dns_name: "xks.example.com",
      supported_ip_address_types: ["ipv4"],
      lifecycle: { prevent_destroy: true },
    });
    expect(only(json, "aws_vpc_endpoint_service_allowed_principal").principal_arn).toBe(
      "cks.kms.eu-west-1.amazonaws.com",
    );
    expect(XKS_ACCEPTANCE_REASON).toContain(
      "https://docs.aws.amazon.com/kms/latest/developerguide/vpc-connectivity.html",
    );
  });

  test("the private DNS name verified through a TXT record in the public zone, waited for", () => {
    const [record] = Object.keys(resources(json, "aws_route53_record"));
    const service = Object.keys(resources(json, "aws_vpc_endpoint_service"))[0];
    expect(only(json, "aws_route53_record")).toMatchObject({
      zone_id: "Z0123456789ABCDEFGHIJ",
      type: "TXT",
      ttl: 1800,
      name: `\${aws_vpc_endpoint_service.${service}.private_dns_name_configuration[0].name}.example.com`,
    });
    expect(only(json, "aws_vpc_endpoint_service_private_dns_verification")).toMatchObject({
      wait_for_verification: true,
      depends_on: [`aws_route53_record.${record}`],
    });
    expect(endpoint.ready).toHaveLength(5);
  });
});

test("an HTTPS health check without a path checks /", () => {
  const s = testStack();
  new XksProxyEndpoint(s, "endpoint", { ...props, healthCheck: { protocol: "HTTPS" } });
  expect(only(synthesized(s), "aws_lb_target_group").health_check).toEqual({
    enabled: true,
    protocol: "HTTPS",
    port: "traffic-port",
    path: "/",
    interval: 10,
    healthy_threshold: 3,
    unhealthy_threshold: 3,
  });
});

test("fails when the environment name makes an ELB name AWS refuses (a load balancer name starting internal-)", () => {
  let lines: readonly string[] = [];
  try {
    new XksProxyEndpoint(testStack("internal-t"), "endpoint", props);
  } catch (e) {
    lines = (e as { lines: readonly string[] }).lines;
  }
  expect(lines).toEqual([
    'test/endpoint.loadBalancerName: "internal-t-xks" is not allowed (not starting with "internal-" (reserved for the DNS names of internal load balancers), ELB CreateLoadBalancer Name: use another EnvironmentStack name)',
  ]);
});
