/**
 * The environment layer and the constructs check some of the same AWS limits independently (the
 * environment layer may not import from modules/, nor modules/ from environments/). For the
 * consumers, these tests hold the two to the same verdict on the same values, so neither can
 * drift: a value validation accepts is never refused later by a construct, and the reverse.
 */
import { Testing } from "cdktf";
import { environments } from "../../environments";
import { validationMessages } from "../../environments/validation";
import { FSX_THROUGHPUT } from "../../environments/validation/consumers";
import { isValidBucketName } from "../../environments/validation/s3-names";
import type { EnvironmentConfig } from "../../environments/types";
import { EnvironmentStack } from "../../modules/core/environment-stack";
import { PropsError } from "../../modules/core/errors";
import { bucketNameProblem } from "../../modules/consumers/encrypted-bucket";
import { FSX_ONTAP_THROUGHPUT, FsxOntap, type FsxOntapDeploymentType } from "../../modules/consumers/fsx-ontap";
import type { ICustomerKey } from "../../modules/keys/customer-key";
import { variant } from "../helpers/synth";

const ACCOUNT = "111111111111";
const testStack = (region = "eu-west-1") => new EnvironmentStack(Testing.app(), "test", { name: "dev", account: ACCOUNT, region });
/** Whether validation of dev with `changes` reports a problem on `field`. */
const validationRefuses = (changes: Record<string, unknown>, field: string, base: EnvironmentConfig = environments.dev) => validationMessages({ dev: variant(base, changes) }).some((m) => m.includes(`.${field}:`));
/** Whether building `fn` throws a PropsError naming `prop`. */
const constructRefuses = (fn: () => unknown, prop: string) => {
  try {
    fn();
    return false;
  } catch (e) {
    if (e instanceof PropsError) return e.lines.some((l) => l.includes(`.${prop}:`));
    throw e;
  }
};

describe("consumers", () => {
  const key = { name: "appData", keyArn: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/k` } as ICustomerKey;
  const names = ["abc", "ab", "a".repeat(63), "a".repeat(64), "t.reports-1", "T-reports", "t_reports", "-reports", "reports-", "t..reports", "192.168.5.4", "999.1.1.1", "1.2.3", "xn--reports", "sthree-x", "amzn-s3-demo-x", "x-s3alias", "x--ol-s3", "x.mrap", "x--x-s3"];
  test.each(names)("bucket name %s", (name) => {
    expect(bucketNameProblem(name) === undefined).toBe(isValidBucketName(name));
  });

  test("the FSx throughput table is the same on both sides", () => {
    expect(FSX_ONTAP_THROUGHPUT).toEqual(FSX_THROUGHPUT);
  });

  const network = { vpcId: "vpc-1", cidr: "10.30.0.0/16", subnetIdByAz: { "eu-west-1a": "s-a", "eu-west-1b": "s-b" }, subnetIds: ["s-a", "s-b"], routeTableIds: [], onPremisesReady: [] };
  const fsxCases = (["MULTI_AZ_1", "MULTI_AZ_2", "SINGLE_AZ_1", "SINGLE_AZ_2"] as FsxOntapDeploymentType[]).flatMap((deploymentType) => [1, 2, 12, 13].flatMap((haPairs) => [1024, 2048, 524288 * 2, 524288 * 2 + 1].map((storageCapacityGiB) => [deploymentType, haPairs, storageCapacityGiB] as const)));
  test.each(fsxCases)("FSx %s with %s HA pair(s) and %s GiB", (deploymentType, haPairs, storageCapacityGiB) => {
    const subnetAzs = deploymentType.startsWith("MULTI_AZ") ? ["eu-west-1a", "eu-west-1b"] : ["eu-west-1a"];
    const throughputPerHaPair = FSX_ONTAP_THROUGHPUT[deploymentType][0];
    const fsx = { deploymentType, haPairs, storageCapacityGiB, throughputPerHaPair, subnetAzs };
    const build = () => new FsxOntap(testStack(), "fsx", { key, network, ...fsx });
    const changes = Object.fromEntries(Object.entries(fsx).map(([k, v]) => [`data.fsx.${k}`, v]));
    const base = variant(environments.prod, { name: "dev" });
    for (const field of ["haPairs", "storageCapacityGiB"]) {
      expect([field, constructRefuses(build, field)]).toEqual([field, validationRefuses(changes, `data.fsx.${field}`, base)]);
    }
  });
});
