import { App, TerraformStack } from "cdktf";
import { FsxOntapFileSystem } from "@cdktf/provider-aws/lib/fsx-ontap-file-system";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { checkCompliance } from "../../../modules/compliance";
import { Testing } from "cdktf";
import { FsxOntap, ONTAP_PORTS, type FsxOntapProps } from "../../../modules/consumers/fsx-ontap";
import { EnvironmentStack } from "../../../modules/core/environment-stack";
import type { INetwork } from "../../../modules/network/network";
import type { StackJson } from "../../helpers/synth";
import { propsErrorLines } from "../../helpers/synth";
import type { ICustomerKey } from "../../../modules/keys/customer-key";

function findings(build: (s: TerraformStack) => void): string[] {
  const stack = new TerraformStack(new App(), "s");
  new AwsProvider(stack, "aws", { region: "eu-west-1" });
  build(stack);
  return checkCompliance([stack])
    .findings.filter((f) => f.ruleId === "CKV_AWS_178")
    .map((f) => `${f.ruleId} ${f.path}: ${f.message}`);
}

const fs = {
  deploymentType: "SINGLE_AZ_1",
  storageCapacity: 1024,
  subnetIds: ["subnet-1"],
  preferredSubnetId: "subnet-1",
  throughputCapacity: 128,
  lifecycle: { preventDestroy: true },
};

describe("CKV_AWS_178 (FSx ONTAP customer key)", () => {
  test("a file system with a customer key is compliant", () => {
    expect(
      findings((s) => new FsxOntapFileSystem(s, "fs", { ...fs, kmsKeyId: "arn:aws:kms:eu-west-1:1:key/x" })),
    ).toEqual([]);
  });
  test("fails when the file system has no kms_key_id", () => {
    expect(findings((s) => new FsxOntapFileSystem(s, "fs", fs))).toEqual([
      "CKV_AWS_178 s/fs: kms_key_id is not set (the AWS managed key would be used)",
    ]);
  });
});

describe("FsxOntap with minimal props", () => {
  const key = { name: "shares", keyArn: "arn:aws:kms:eu-west-1:111111111111:key/k" } as ICustomerKey;
  const network: INetwork = {
    vpcId: "vpc-1",
    cidr: "10.0.0.0/16",
    subnetIdByAz: { "eu-west-1a": "subnet-a", "eu-west-1b": "subnet-b", "eu-west-1c": "subnet-c" },
    subnetIds: ["subnet-a", "subnet-b", "subnet-c"],
    routeTableIds: ["rtb-1"],
    onPremisesReady: [],
  };
  const testStack = () =>
    new EnvironmentStack(Testing.app(), "test", { name: "t", account: "111111111111", region: "eu-west-1" });
  const synthFsx = (props: Partial<FsxOntapProps> = {}) => {
    const stack = testStack();
    new FsxOntap(stack, "fsx", { key, network, ...props });
    return JSON.parse(Testing.synth(stack)) as StackJson;
  };
  const fileSystem = (json: StackJson) =>
    Object.values(json.resource?.aws_fsx_ontap_file_system ?? {})[0] as Record<string, unknown>;

  test("defaults: multi-AZ in the network's first two AZs, the smallest size and throughput, 30 days of backups, the route tables, kept on destroy", () => {
    const json = synthFsx();
    expect(fileSystem(json)).toMatchObject({
      deployment_type: "MULTI_AZ_1",
      storage_type: "SSD",
      storage_capacity: 1024,
      ha_pairs: 1,
      throughput_capacity_per_ha_pair: 128,
      subnet_ids: ["subnet-a", "subnet-b"],
      preferred_subnet_id: "subnet-a",
      route_table_ids: ["rtb-1"],
      kms_key_id: key.keyArn,
      automatic_backup_retention_days: 30,
      tags: { Name: "t-fsx-ontap", EncryptionKey: "shares" },
      timeouts: { create: "120m", update: "120m", delete: "120m" },
      lifecycle: { prevent_destroy: true, ignore_changes: ["fsx_admin_password"] },
    });
    expect(Object.values(json.resource?.aws_security_group ?? {})).toEqual([
      expect.objectContaining({ name: "t-fsx-ontap", vpc_id: "vpc-1" }),
    ]);
    expect(Object.values(json.resource?.aws_secretsmanager_secret ?? {})).toEqual([
      expect.objectContaining({
        name: "t/fsx-ontap/fsxadmin-password",
        recovery_window_in_days: 30,
        lifecycle: { prevent_destroy: true },
      }),
    ]);
  });

  test("clients default to the network's CIDR, on every ONTAP port; egress stays inside the VPC", () => {
    const json = synthFsx();
    const ingress = Object.values(json.resource?.aws_vpc_security_group_ingress_rule ?? {});
    expect(ingress).toHaveLength(ONTAP_PORTS.length);
    expect(new Set(ingress.map((r) => r.cidr_ipv4))).toEqual(new Set(["10.0.0.0/16"]));
    expect(ingress.map((r) => `${r.ip_protocol as string}/${r.from_port as number}`).sort()).toEqual(
      ONTAP_PORTS.map((p) => `${p.protocol}/${p.port}`).sort(),
    );
    expect(Object.values(json.resource?.aws_vpc_security_group_egress_rule ?? {})).toEqual([
      expect.objectContaining({ ip_protocol: "-1", cidr_ipv4: "10.0.0.0/16" }),
    ]);
  });

  test("single-AZ: one subnet, no route tables", () => {
    const fs = fileSystem(synthFsx({ deploymentType: "SINGLE_AZ_1", subnetAzs: ["eu-west-1b"] }));
    expect(fs).toMatchObject({
      deployment_type: "SINGLE_AZ_1",
      subnet_ids: ["subnet-b"],
      preferred_subnet_id: "subnet-b",
    });
    expect(fs.route_table_ids).toBeUndefined();
  });

  test("multi-AZ: the chosen AZs, the preferred subnet and explicit route tables for the floating IPs", () => {
    expect(
      fileSystem(
        synthFsx({ subnetAzs: ["eu-west-1b", "eu-west-1c"], preferredAz: "eu-west-1c", routeTableIds: ["rtb-9"] }),
      ),
    ).toMatchObject({
      subnet_ids: ["subnet-b", "subnet-c"],
      preferred_subnet_id: "subnet-c",
      route_table_ids: ["rtb-9"],
    });
  });

  test("a network without route tables: FSx uses the VPC's main route table (none set)", () => {
    const stack = testStack();
    new FsxOntap(stack, "fsx", { key, network: { ...network, routeTableIds: [] } });
    expect(fileSystem(JSON.parse(Testing.synth(stack)) as StackJson).route_table_ids).toBeUndefined();
  });

  test("scale-out: SINGLE_AZ_2 with several HA pairs, capacity and throughput per pair", () => {
    expect(fileSystem(synthFsx({ deploymentType: "SINGLE_AZ_2", haPairs: 3 }))).toMatchObject({
      ha_pairs: 3,
      storage_capacity: 3072,
      throughput_capacity_per_ha_pair: 1536,
      subnet_ids: ["subnet-a"],
    });
  });

  test("one ingress rule per ONTAP port and client range", () => {
    const json = synthFsx({ clientCidrs: ["10.0.0.0/16", "192.168.0.0/24"] });
    expect(Object.keys(json.resource?.aws_vpc_security_group_ingress_rule ?? {})).toHaveLength(28);
  });

  const P = "test/fsx";
  test.each<[string, Partial<FsxOntapProps>, string[]]>([
    [
      "fails when a multi-AZ file system asks for more than one HA pair",
      { haPairs: 2 },
      [`${P}.haPairs: 2 is not allowed (1 for MULTI_AZ_1, FSx CreateFileSystem HAPairs)`],
    ],
    [
      "fails when SINGLE_AZ_2 asks for 13 HA pairs",
      { deploymentType: "SINGLE_AZ_2", haPairs: 13 },
      [`${P}.haPairs: 13 is not allowed (1 to 12 for SINGLE_AZ_2, FSx CreateFileSystem HAPairs)`],
    ],
    [
      "fails when the capacity is below 1024 GiB per HA pair",
      { deploymentType: "SINGLE_AZ_2", haPairs: 2, storageCapacityGiB: 2047 },
      [
        `${P}.storageCapacityGiB: 2047 is not allowed (2048 to 1048576 GiB for 2 HA pair(s), FSx CreateFileSystem StorageCapacity)`,
      ],
    ],
    [
      "fails when the capacity is above 524288 GiB per HA pair",
      { storageCapacityGiB: 524289 },
      [
        `${P}.storageCapacityGiB: 524289 is not allowed (1024 to 524288 GiB for 1 HA pair(s), FSx CreateFileSystem StorageCapacity)`,
      ],
    ],
    [
      "fails when the throughput is not one the deployment type offers",
      { deploymentType: "MULTI_AZ_2", throughputPerHaPair: 128 },
      [
        `${P}.throughputPerHaPair: 128 is not allowed (one of 384, 768, 1536, 3072, 6144 MB/s for MULTI_AZ_2, FSx CreateFileSystem ThroughputCapacityPerHAPair)`,
      ],
    ],
    [
      "fails when a multi-AZ file system has one AZ",
      { subnetAzs: ["eu-west-1a"] },
      [
        `${P}.subnetAzs: ["eu-west-1a"] is not allowed (exactly 2 distinct AZs for a multi-AZ file system, FSx CreateFileSystem SubnetIds)`,
      ],
    ],
    [
      "fails when a multi-AZ file system names one AZ twice",
      { subnetAzs: ["eu-west-1a", "eu-west-1a"] },
      [
        `${P}.subnetAzs: ["eu-west-1a","eu-west-1a"] is not allowed (exactly 2 distinct AZs for a multi-AZ file system, FSx CreateFileSystem SubnetIds)`,
      ],
    ],
    [
      "fails when a single-AZ file system has two AZs",
      { deploymentType: "SINGLE_AZ_1", subnetAzs: ["eu-west-1a", "eu-west-1b"] },
      [
        `${P}.subnetAzs: ["eu-west-1a","eu-west-1b"] is not allowed (exactly 1 AZ for a single-AZ file system, FSx CreateFileSystem SubnetIds)`,
      ],
    ],
    [
      "fails when an AZ has no subnet in the network",
      { subnetAzs: ["eu-west-1a", "eu-west-1d"] },
      [
        `${P}.subnetAzs.1: "eu-west-1d" is not allowed (an AZ with a subnet in the network (eu-west-1a, eu-west-1b, eu-west-1c))`,
      ],
    ],
    [
      "fails when the preferred AZ is not one of the subnet AZs",
      { preferredAz: "eu-west-1c" },
      [
        `${P}.preferredAz: "eu-west-1c" is not allowed (one of subnetAzs (eu-west-1a, eu-west-1b), FSx CreateFileSystem PreferredSubnetId)`,
      ],
    ],
    [
      "fails when backups are kept 91 days",
      { automaticBackupRetentionDays: 91 },
      [
        `${P}.automaticBackupRetentionDays: 91 is not allowed (0 to 90 days, FSx CreateFileSystem AutomaticBackupRetentionDays)`,
      ],
    ],
    [
      "fails when a client range is listed twice",
      { clientCidrs: ["10.0.0.0/16", "10.0.0.0/16"] },
      [
        `${P}.clientCidrs.1: "10.0.0.0/16" is not allowed (a range listed once: EC2 refuses a duplicate security group rule (InvalidPermission.Duplicate))`,
      ],
    ],
    [
      "fails when the deployment type is unknown",
      { deploymentType: "MULTI_AZ_3" as FsxOntapProps["deploymentType"] },
      [
        `${P}.deploymentType: "MULTI_AZ_3" is not allowed (MULTI_AZ_1, MULTI_AZ_2, SINGLE_AZ_1 or SINGLE_AZ_2, FSx CreateFileSystem DeploymentType)`,
      ],
    ],
    [
      "reports every problem at once",
      {
        deploymentType: "SINGLE_AZ_1",
        haPairs: 2,
        throughputPerHaPair: 100,
        subnetAzs: ["eu-west-1x"],
        automaticBackupRetentionDays: -1,
      },
      [
        `${P}.haPairs: 2 is not allowed (1 for SINGLE_AZ_1, FSx CreateFileSystem HAPairs)`,
        `${P}.throughputPerHaPair: 100 is not allowed (one of 128, 256, 512, 1024, 2048, 4096 MB/s for SINGLE_AZ_1, FSx CreateFileSystem ThroughputCapacityPerHAPair)`,
        `${P}.subnetAzs.0: "eu-west-1x" is not allowed (an AZ with a subnet in the network (eu-west-1a, eu-west-1b, eu-west-1c))`,
        `${P}.automaticBackupRetentionDays: -1 is not allowed (0 to 90 days, FSx CreateFileSystem AutomaticBackupRetentionDays)`,
      ],
    ],
  ])("%s", (_label, change, lines) => {
    expect(propsErrorLines(() => new FsxOntap(testStack(), "fsx", { key, network, ...change }))).toEqual(lines);
  });
});
