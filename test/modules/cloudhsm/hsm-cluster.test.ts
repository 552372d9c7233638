/** HsmCluster built alone: one HSM first, the others after activation, and its own invariants. */
import { TerraformData } from "../../../modules/hooks/terraform-data";
import { HsmCluster, type HsmClusterProps } from "../../../modules/cloudhsm/hsm-cluster";
import { NETWORK, all, errorLines, one, synth, testStack } from "./stack";

const build = (props: Partial<HsmClusterProps> = {}) => {
  const stack = testStack();
  const cluster = new HsmCluster(stack, "hsm", { network: NETWORK, hsmAzs: ["eu-west-1a", "eu-west-1b"], ...props });
  return { stack, cluster };
};

describe("minimal props (network and two AZs)", () => {
  const { stack, cluster } = build();
  const activation = new TerraformData(stack, "activation", {});
  const json = () => synth(stack);

  test("an hsm2m.medium FIPS cluster in the AZs' subnets, named from the stack, never destroyed", () => {
    expect(one(json(), "aws_cloudhsm_v2_cluster")).toMatchObject({
      hsm_type: "hsm2m.medium",
      mode: "FIPS",
      subnet_ids: ["subnet-0000000000000000a", "subnet-0000000000000000b"],
      tags: { Name: "t-cloudhsm" },
      lifecycle: { prevent_destroy: true },
    });
  });

  test("the HSM type is Terraform's only at creation: a later change (AWS's migration, or migrate-hsm-type) never plans a new cluster", () => {
    expect(one(json(), "aws_cloudhsm_v2_cluster").lifecycle).toEqual({
      prevent_destroy: true,
      ignore_changes: ["hsm_type"],
    });
  });

  test("exactly one HSM before addRemainingHsms; the others depend on what they are given only", () => {
    expect(Object.keys(all(json(), "aws_cloudhsm_v2_hsm"))).toHaveLength(1);
    expect(one(json(), "aws_cloudhsm_v2_hsm")).toMatchObject({
      subnet_id: "subnet-0000000000000000a",
      lifecycle: { prevent_destroy: true },
    });
    expect(one(json(), "aws_cloudhsm_v2_hsm").depends_on).toBeUndefined();
    cluster.addRemainingHsms([activation]);
    const hsms = Object.values(all(json(), "aws_cloudhsm_v2_hsm"));
    expect(hsms.map((h) => [h.subnet_id, h.depends_on])).toEqual([
      ["subnet-0000000000000000a", undefined],
      ["subnet-0000000000000000b", ["terraform_data.activation"]],
    ]);
    expect(() => cluster.addRemainingHsms([])).toThrow("addRemainingHsms was already called");
  });
});

test("hsm1.medium takes no mode; a repeated AZ gets its own stable id and one subnet", () => {
  const { stack, cluster } = build({ hsmType: "hsm1.medium", hsmAzs: ["eu-west-1a", "eu-west-1b", "eu-west-1a"] });
  cluster.addRemainingHsms([]);
  const json = synth(stack);
  expect(one(json, "aws_cloudhsm_v2_cluster").mode).toBeUndefined();
  expect(one(json, "aws_cloudhsm_v2_cluster").subnet_ids).toEqual([
    "subnet-0000000000000000a",
    "subnet-0000000000000000b",
  ]);
  expect(
    Object.keys(all(json, "aws_cloudhsm_v2_hsm"))
      .map((k) => k.replace(/_[0-9A-F]{8}$/, ""))
      .sort(),
  ).toEqual(["hsm_hsm-eu-west-1a-1", "hsm_hsm-eu-west-1a-2", "hsm_hsm-eu-west-1b-1"]);
});

test("NON_FIPS is sent for hsm2m.medium", () => {
  const { stack } = build({ mode: "NON_FIPS" });
  expect(one(synth(stack), "aws_cloudhsm_v2_cluster").mode).toBe("NON_FIPS");
});

test.each([
  [
    "fails when hsm1.medium is asked for NON_FIPS",
    { hsmType: "hsm1.medium", mode: "NON_FIPS" },
    ['test/hsm.mode: "NON_FIPS" is not allowed (hsm1.medium clusters are always FIPS, CloudHSM CreateCluster Mode)'],
  ],
  [
    "fails when an HSM AZ has no subnet in the network",
    { hsmAzs: ["eu-west-1a", "eu-west-1d"] },
    [
      'test/hsm.hsmAzs[1]: "eu-west-1d" is not allowed (an AZ with a subnet in the network: eu-west-1a, eu-west-1b, eu-west-1c; CloudHSM CreateHsm AvailabilityZone)',
    ],
  ],
  [
    "fails when there is no HSM",
    { hsmAzs: [] },
    ["test/hsm.hsmAzs: [] is not allowed (1-28 HSMs, CloudHSM quota of HSMs per cluster)"],
  ],
  [
    "fails when there are more than 28 HSMs",
    { hsmAzs: Array.from({ length: 29 }, () => "eu-west-1a") },
    [
      `test/hsm.hsmAzs: ${JSON.stringify(Array.from({ length: 29 }, () => "eu-west-1a"))} is not allowed (1-28 HSMs, CloudHSM quota of HSMs per cluster)`,
    ],
  ],
  [
    "fails with every problem at once",
    { hsmType: "hsm3.large", mode: "FAST", hsmAzs: ["us-east-1a"] },
    [
      'test/hsm.hsmType: "hsm3.large" is not allowed ("hsm1.medium" or "hsm2m.medium", CloudHSM CreateCluster HsmType)',
      'test/hsm.mode: "FAST" is not allowed ("FIPS" or "NON_FIPS", CloudHSM CreateCluster Mode)',
      'test/hsm.hsmAzs[0]: "us-east-1a" is not allowed (an AZ with a subnet in the network: eu-west-1a, eu-west-1b, eu-west-1c; CloudHSM CreateHsm AvailabilityZone)',
    ],
  ],
])("%s", (_name, props, expected) => {
  expect(errorLines(() => build(props as Partial<HsmClusterProps>))).toEqual(expected);
});

describe("adoptHsms: an HSM AWS replaced is imported at its address, not re-created", () => {
  test("each adopted HSM is one import block to that HSM's address; the others are untouched", () => {
    const { stack, cluster } = build({
      hsmAzs: ["eu-west-1a", "eu-west-1b", "eu-west-1b"],
      adoptHsms: { "eu-west-1b-2": "hsm-newnewnewnew" },
    });
    cluster.addRemainingHsms([]);
    const json = synth(stack) as unknown as { import?: { to: string; id: string }[] };
    const address = Object.keys(all(json as never, "aws_cloudhsm_v2_hsm")).find((k) => k.includes("eu-west-1b-2"));
    expect(json.import).toEqual([{ to: `aws_cloudhsm_v2_hsm.${address}`, id: "hsm-newnewnewnew" }]);
  });

  test("none adopted: no import block", () => {
    const { stack } = build();
    expect((synth(stack) as unknown as { import?: unknown }).import).toBeUndefined();
  });

  test("an HSM name not in hsmAzs and a malformed id are refused, both at once", () => {
    expect(
      errorLines(() => build({ adoptHsms: { "eu-west-1c-1": "hsm-newnewnewnew", "eu-west-1a-1": "hsm-x; rm" } })),
    ).toEqual([
      `test/hsm.adoptHsms.eu-west-1c-1: "eu-west-1c-1" is not allowed (an HSM of hsmAzs as '<az>-<n>': eu-west-1a-1, eu-west-1b-1)`,
      `test/hsm.adoptHsms.eu-west-1a-1: "hsm-x; rm" is not allowed (hsm- followed by 11-16 letters and digits 2-7, CloudHSM HsmId)`,
    ]);
  });

  test("one HSM id at two addresses (two adopted, or adopted and restored elsewhere) is refused: Terraform would manage it twice", () => {
    expect(
      errorLines(() =>
        build({
          hsmAzs: ["eu-west-1a", "eu-west-1b", "eu-west-1b"],
          adoptHsms: { "eu-west-1a-1": "hsm-newnewnewnew", "eu-west-1b-2": "hsm-newnewnewnew" },
          restored: {
            clusterId: "cluster-restoredabcd",
            backupId: "backup-newestreadya",
            hsmIds: ["hsm-restoredhsmaa", "hsm-newnewnewnew"],
          },
        }),
      ),
    ).toEqual([
      `test/hsm.restored.hsmIds.1: "hsm-newnewnewnew" is not allowed (an HSM no other address imports (adoptHsms.eu-west-1a-1 imports it), Terraform import: each remote object at one resource address)`,
      `test/hsm.adoptHsms.eu-west-1b-2: "hsm-newnewnewnew" is not allowed (an HSM no other address imports (adoptHsms.eu-west-1a-1 imports it), Terraform import: each remote object at one resource address)`,
    ]);
  });

  test("an adopted HSM in place of the restored one at the same address imports once", () => {
    const { stack, cluster } = build({
      adoptHsms: { "eu-west-1a-1": "hsm-restoredhsmaa" },
      restored: { clusterId: "cluster-restoredabcd", backupId: "backup-newestreadya", hsmIds: ["hsm-restoredhsmaa"] },
    });
    cluster.addRemainingHsms([]);
    const json = synth(stack) as unknown as { import?: { to: string; id: string }[] };
    expect(json.import?.filter((i) => i.id === "hsm-restoredhsmaa")).toHaveLength(1);
  });
});
