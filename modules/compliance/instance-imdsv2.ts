import type { ComplianceRule } from "./rule";

/** checkov CKV_AWS_79 / Security Hub EC2.8: instances require IMDSv2 (session tokens). */
export const instanceImdsv2: ComplianceRule = {
  id: "CKV_AWS_79",
  securityHub: "EC2.8",
  title: "EC2 instance metadata requires IMDSv2",
  documentation: "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html",
  resourceTypes: ["aws_instance"],
  check: (r) => {
    const options = r.attributes.metadata_options as { http_tokens?: string; http_endpoint?: string } | undefined;
    if (options?.http_endpoint === "disabled") return undefined;
    return options?.http_tokens === "required" ? undefined : 'metadata_options.http_tokens is not "required"';
  },
};
