import { App, TerraformStack } from "cdktf";
import { FsxOntapFileSystem } from "@cdktf/provider-aws/lib/fsx-ontap-file-system";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { checkCompliance } from "../../../modules/compliance";
import { FsxOntap } from "../../../modules/consumers/fsx-ontap";
import type { ICustomerKey } from "../../../modules/keys/customer-key";

function findings(build: (s: TerraformStack) => void): string[] {
  const stack = new TerraformStack(new App(), "s");
  new AwsProvider(stack, "aws", { region: "eu-west-1" });
  build(stack);
  return checkCompliance([stack]).findings.filter((f) => f.ruleId === "CKV_AWS_178").map((f) => `${f.ruleId} ${f.path}: ${f.message}`);
}

const fs = { deploymentType: "SINGLE_AZ_1", storageCapacity: 1024, subnetIds: ["subnet-1"], preferredSubnetId: "subnet-1", throughputCapacity: 128, lifecycle: { preventDestroy: true } };

describe("CKV_AWS_178 (FSx ONTAP customer key)", () => {
  test("a file system with a customer key is compliant", () => {
    expect(findings((s) => new FsxOntapFileSystem(s, "fs", { ...fs, kmsKeyId: "arn:aws:kms:eu-west-1:1:key/x" }))).toEqual([]);
  });
  test("fails when the file system has no kms_key_id", () => {
    expect(findings((s) => new FsxOntapFileSystem(s, "fs", fs))).toEqual(["CKV_AWS_178 s/fs: kms_key_id is not set (the AWS managed key would be used)"]);
  });
});

describe("FsxOntap construct", () => {
  const key = { name: "shares", keyArn: "arn:aws:kms:eu-west-1:1:key/k" } as ICustomerKey;
  const build = (deploymentType: "SINGLE_AZ_1" | "MULTI_AZ_1", clientCidrs = ["10.0.0.0/16"]) => {
    const stack = new TerraformStack(new App(), "s");
    new AwsProvider(stack, "aws", { region: "eu-west-1" });
    const f = new FsxOntap(stack, "fsx", {
      config: { key: "shares", deploymentType, storageCapacityGiB: 1024, throughputPerHaPair: 128, haPairs: 1, subnetAzs: deploymentType === "MULTI_AZ_1" ? ["a", "b"] : ["a"], preferredAz: "a", automaticBackupRetentionDays: 7, clientCidrs },
      key,
      vpcId: "vpc-1",
      vpcCidr: "10.0.0.0/16",
      subnetIdByAz: { a: "subnet-a", b: "subnet-b" },
      routeTableIds: ["rtb-1"],
      namePrefix: "t",
    });
    return { stack, f, json: JSON.parse(JSON.stringify(f.fileSystem.toTerraform())).resource.aws_fsx_ontap_file_system };
  };
  test("single-AZ: one subnet, no route tables", () => {
    const fsJson = Object.values(build("SINGLE_AZ_1").json)[0] as Record<string, unknown>;
    expect(fsJson).toMatchObject({ subnet_ids: ["subnet-a"], preferred_subnet_id: "subnet-a", kms_key_id: key.keyArn });
    expect(fsJson.route_table_ids).toBeUndefined();
  });
  test("multi-AZ: two subnets, preferred subnet and the route tables for the floating IPs", () => {
    expect(Object.values(build("MULTI_AZ_1").json)[0]).toMatchObject({ subnet_ids: ["subnet-a", "subnet-b"], preferred_subnet_id: "subnet-a", route_table_ids: ["rtb-1"] });
  });
  test("one ingress rule per ONTAP port and client range", () => {
    const { stack } = build("SINGLE_AZ_1", ["10.0.0.0/16", "192.168.0.0/24"]);
    const rules = stack.node.findAll().filter((c) => c.node.id.startsWith("in-"));
    expect(rules).toHaveLength(28);
  });
});
