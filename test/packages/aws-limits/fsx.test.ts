import { FSX } from "@cmk-stacks/aws-limits";
import { describeShape } from "./rules";

describeShape("FSX", FSX);

// The cases validation and the FsxOntap construct used to be held equal on (one predicate now serves both):
// HAPairs is 1 except for SINGLE_AZ_2 (1-12); StorageCapacity is 1024-524288 GiB per HA pair.
const cases = FSX.DEPLOYMENT_TYPES.flatMap((deploymentType) =>
  [1, 2, 12, 13].flatMap((haPairs) =>
    [1024, 2048, 524288 * 2, 524288 * 2 + 1].map((gib) => [deploymentType, haPairs, gib] as const),
  ),
);

describe("HA pairs and capacity", () => {
  test.each(cases)("%s with %s HA pair(s) and %s GiB", (deploymentType, haPairs, gib) => {
    const haPairsOk = deploymentType === "SINGLE_AZ_2" ? haPairs >= 1 && haPairs <= 12 : haPairs === 1;
    expect(FSX.haPairsAllowed(deploymentType, haPairs)).toBe(haPairsOk);
    expect(FSX.storageCapacityAllowed(haPairs, gib)).toBe(gib >= 1024 * haPairs && gib <= 524288 * haPairs);
  });

  test.each([1.5, 0, -1, Number.NaN, "1", undefined])(
    "fails when HA pairs are not a whole number in range (%p)",
    (v) => {
      expect(FSX.haPairsAllowed("SINGLE_AZ_2", v)).toBe(false);
    },
  );

  test("fails when the capacity is not a whole number", () => {
    expect(FSX.storageCapacityAllowed(1, 1024.5)).toBe(false);
  });
});

describe("throughput per HA pair", () => {
  test.each([
    ["SINGLE_AZ_1", [128, 256, 512, 1024, 2048, 4096]],
    ["MULTI_AZ_1", [128, 256, 512, 1024, 2048, 4096]],
    ["SINGLE_AZ_2", [1536, 3072, 6144]],
    ["MULTI_AZ_2", [384, 768, 1536, 3072, 6144]],
  ] as const)("%s offers %j MB/s", (deploymentType, values) => {
    expect(FSX.THROUGHPUT_PER_HA_PAIR[deploymentType]).toEqual(values);
    for (const v of values) expect(FSX.throughputAllowed(deploymentType, v)).toBe(true);
    for (const v of [100, 129, 8192, "128"]) expect(FSX.throughputAllowed(deploymentType, v)).toBe(false);
  });

  test("fails for a deployment type FSx does not have", () => {
    expect(FSX.throughputAllowed("MULTI_AZ_3", 128)).toBe(false);
  });
});

test("AZs: 2 for the multi-AZ types, 1 for the single-AZ types", () => {
  expect(FSX.DEPLOYMENT_TYPES.map((t) => [t, FSX.subnetAzCount(t)])).toEqual([
    ["MULTI_AZ_1", 2],
    ["MULTI_AZ_2", 2],
    ["SINGLE_AZ_1", 1],
    ["SINGLE_AZ_2", 1],
  ]);
});

test("defaults: MULTI_AZ_1, 1 HA pair, 30 days of backups inside 0-90, a generated password inside ONTAP's length", () => {
  expect([
    FSX.DEPLOYMENT_TYPE.value,
    FSX.HA_PAIRS_DEFAULT.value,
    FSX.AUTOMATIC_BACKUP_RETENTION_DAYS_DEFAULT.value,
  ]).toEqual(["MULTI_AZ_1", 1, 30]);
  expect([FSX.AUTOMATIC_BACKUP_RETENTION_DAYS.min, FSX.AUTOMATIC_BACKUP_RETENTION_DAYS.max]).toEqual([0, 90]);
  expect(FSX.ADMIN_PASSWORD_GENERATED_LENGTH.value).toBeGreaterThanOrEqual(FSX.ADMIN_PASSWORD_LENGTH.min);
  expect(FSX.ADMIN_PASSWORD_GENERATED_LENGTH.value).toBeLessThanOrEqual(FSX.ADMIN_PASSWORD_LENGTH.max);
  expect(FSX.defaultPreferredAz(["eu-west-1b", "eu-west-1a"])).toBe("eu-west-1b");
  expect(FSX.defaultClientCidrs("10.0.0.0/16")).toEqual(["10.0.0.0/16"]);
  expect(FSX.DEPLOYMENT_TYPE_WORDS).toBe("MULTI_AZ_1, MULTI_AZ_2, SINGLE_AZ_1 or SINGLE_AZ_2");
});
