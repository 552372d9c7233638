import type { ComplianceRule } from "./rule";

/**
 * checkov CKV_AWS_123: a VPC endpoint service requires the provider to accept each connection.
 * The XKS endpoint service suppresses it: KMS cannot wait for a manual acceptance
 * (acceptance_required = true fails CreateCustomKeyStore with XksProxyInvalidConfigurationException).
 */
export const vpcEndpointServiceAcceptance: ComplianceRule = {
  id: "CKV_AWS_123",
  title: "VPC endpoint service requires connection acceptance",
  documentation: "https://docs.aws.amazon.com/vpc/latest/privatelink/configure-endpoint-service.html",
  resourceTypes: ["aws_vpc_endpoint_service"],
  check: (r) => (r.attributes.acceptance_required === true ? undefined : "acceptance_required is not true"),
};
