import { App, TerraformStack } from "cdktf";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { checkCompliance } from "../../../modules/compliance";
import { installCliScript } from "../../../modules/cloudhsm/admin-host";

function findings(build: (s: TerraformStack) => void): string[] {
  const stack = new TerraformStack(new App(), "s");
  new AwsProvider(stack, "aws", { region: "eu-west-1" });
  build(stack);
  return checkCompliance([stack])
    .findings.filter((f) => f.ruleId === "CKV_AWS_79")
    .map((f) => `${f.ruleId} ${f.path}: ${f.message}`);
}

describe("CKV_AWS_79 (IMDSv2)", () => {
  test("an instance requiring session tokens is compliant", () => {
    expect(
      findings(
        (s) =>
          new Instance(s, "i", {
            ami: "ami-12345678",
            instanceType: "t3.micro",
            metadataOptions: { httpTokens: "required" },
          }),
      ),
    ).toEqual([]);
  });
  test("fails when an instance allows IMDSv1", () => {
    expect(findings((s) => new Instance(s, "i", { ami: "ami-12345678", instanceType: "t3.micro" }))).toEqual([
      'CKV_AWS_79 s/i: metadata_options.http_tokens is not "required"',
    ]);
  });
});

test("the boot script retries the CLI package and says plainly when it could not install it", () => {
  const script = installCliScript("https://example.invalid/cli.rpm", "eu-west-1");
  expect(script.split("\n")[0]).toBe("#!/bin/bash");
  expect(script).toContain("for attempt in 1 2 3 4 5; do");
  expect(script).toContain("  if dnf install -y 'https://example.invalid/cli.rpm'; then");
  expect(script).toContain(
    "cmk: CloudHSM CLI NOT installed: https://example.invalid/cli.rpm unreachable (no NAT: mirror the RPM in a bucket in this Region and set cloudHsm.adminHost.cliPackage to its s3:// URI, or use cloudHsm.adminHost.amiId with cliPreinstalled: true)",
  );
});

test("from an s3:// mirror the boot script copies with the host's role in its Region, then installs the local file", () => {
  const script = installCliScript("s3://northwind-mirror/cloudhsm/cloudhsm-cli.rpm", "eu-west-1");
  expect(script).toContain(
    "  if aws s3 cp 's3://northwind-mirror/cloudhsm/cloudhsm-cli.rpm' /tmp/cloudhsm-cli.rpm --region 'eu-west-1' && dnf install -y /tmp/cloudhsm-cli.rpm; then",
  );
  expect(script).not.toContain("dnf install -y 's3://");
  expect(script).toContain(
    "cmk: CloudHSM CLI NOT installed: s3://northwind-mirror/cloudhsm/cloudhsm-cli.rpm could not be copied or installed (the bucket must be in eu-west-1, the object present and readable by this host's role without kms:Decrypt, e.g. SSE-S3)",
  );
});
