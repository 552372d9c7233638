/**
 * All problems at once: a wrongly typed element of a list (or entry of a map) is reported, and the
 * rules still check the other elements, and the other fields beside the list, instead of dropping
 * every finding of a rule that read the list. Each case held one wrong element that used to hide
 * every other problem listed here.
 */
import { environments } from "../../environments";
import type { EnvironmentConfig } from "../../environments/types";
import { validationMessages } from "../../environments/validation";
import { prodCloudHsmOnly } from "../modules/cloudhsm/fixtures";
import { sandbox } from "../stacks/scale-to-zero.fixture";

type Draft = Record<string, any>;
const SCHEMA = "configuration schema (schema/environment.schema.json)";
const MANUAL =
  "KMS: rotate keys manually (https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys-manually.html)";
const STZ = "scale to zero (docs/cloudhsm.md): a scheduled outage of the CloudHSM key store";
const staging = (change: (key: Draft) => void): EnvironmentConfig => {
  const env = JSON.parse(JSON.stringify(environments.staging)) as Draft;
  change(env.keys.audit);
  return env as EnvironmentConfig;
};
const messages = (env: EnvironmentConfig) => validationMessages({ [env.name]: env });

test("scale to zero: a null weekday does not hide the times, the other days or the zone", () => {
  const env = sandbox((e) => {
    e.cloudHsm.scaleToZero = {
      downAt: "25:00",
      upAt: "7:00",
      weekdays: ["MON", "mon", null],
      timezone: "Mars/Olympus",
    };
  });
  const day = `one of 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN', ${SCHEMA}`;
  const time = `HH:MM on a 24-hour clock (00:00 to 23:59), EventBridge Scheduler cron, ${STZ}`;
  expect(messages(env)).toEqual([
    `environments.sandbox.cloudHsm.scaleToZero.weekdays.2: null is not allowed (${day})`,
    `environments.sandbox.cloudHsm.scaleToZero.weekdays.1: "mon" is not allowed (${day})`,
    `environments.sandbox.cloudHsm.scaleToZero.downAt: "25:00" is not allowed (${time})`,
    `environments.sandbox.cloudHsm.scaleToZero.upAt: "7:00" is not allowed (${time})`,
    `environments.sandbox.cloudHsm.scaleToZero.weekdays: ["MON","mon",null] is not allowed (a non-empty list of distinct MON, TUE, WED, THU, FRI, SAT, SUN, EventBridge Scheduler cron day-of-week, ${STZ})`,
    `environments.sandbox.cloudHsm.scaleToZero.timezone: "Mars/Olympus" is not allowed (an IANA time zone name such as UTC or Europe/Berlin, Scheduler ScheduleExpressionTimezone, ${STZ})`,
  ]);
});

test("generations: a retired generation written as a string does not hide current or the other retired ones", () => {
  const env = prodCloudHsmOnly((e: Draft) => {
    e.keys.fileShares.generations = { current: 0, retired: [0, 1.5, "2"] };
    delete e.data.fsx;
  });
  expect(messages(env)).toEqual([
    `environments.prod.keys.fileShares.generations.retired.2: "2" is not allowed (a number, ${SCHEMA})`,
    `environments.prod.keys.fileShares.generations.current: 0 is not allowed (a whole number from 1 to 100 (100 generations is a century of yearly rotations), ${MANUAL})`,
    `environments.prod.keys.fileShares.generations.retired.0: 0 is not allowed (an earlier generation than current, a whole number from 1, ${MANUAL})`,
    `environments.prod.keys.fileShares.generations.retired.1: 1.5 is not allowed (an earlier generation than current, a whole number from 1, ${MANUAL})`,
  ]);
});

test("replica Regions: a null Region does not hide the duplicate, the wrong case or the other partition", () => {
  const env = staging((k) => (k.replicaRegions = ["eu-central-1", "eu-central-1", "EU-WEST-2", null, "cn-north-1"]));
  expect(messages(env)).toEqual([
    `environments.staging.keys.audit.replicaRegions.3: null is not allowed (a string, ${SCHEMA})`,
    'environments.staging.keys.audit.replicaRegions.2: "EU-WEST-2" is not allowed (an AWS Region code such as eu-west-1, KMS ReplicateKey ReplicaRegion)',
    `environments.staging.keys.audit.replicaRegions.4: "cn-north-1" is not allowed (a Region of the environment's partition aws, KMS ReplicateKey ReplicaRegion: same partition)`,
    'environments.staging.keys.audit.replicaRegions.1: "eu-central-1" is not allowed (each Region once (1 replica per Region), KMS ReplicateKey ReplicaRegion)',
  ]);
});

test("services: a null entry does not hide an unknown service or a source ARN of another account", () => {
  const env = staging(
    (k) =>
      (k.services = [
        null,
        { service: "s3", sourceArns: ["arn:aws:s3:::b"] },
        { service: "cloudtrail", sourceArns: ["arn:aws:cloudtrail:eu-west-1:999999999999:trail/x"] },
      ]),
  );
  expect(messages(env)).toEqual([
    `environments.staging.keys.audit.services.0: null is not allowed (an object, ${SCHEMA})`,
    'environments.staging.keys.audit.services.1.service: "s3" is not allowed (one of cloudtrail, logs, cloudwatch, events (the services whose key policy statement AWS documents), key policy statements for AWS services (docs/keys.md))',
    `environments.staging.keys.audit.services.2.sourceArns.0: "arn:aws:cloudtrail:eu-west-1:999999999999:trail/x" is not allowed (an ARN of the key's account 222222222222 (arn:aws:cloudtrail:<region>:222222222222:trail/<trail name>): the service acts for that account only, the service's key policy statement (docs/keys.md))`,
  ]);
});

test("aliases: a template and a null do not hide a reserved alias or a duplicate", () => {
  const env = staging((k) => (k.aliases = ["alias/aws/x", "${x}", null, "alias/two", "alias/two"]));
  expect(messages(env)).toEqual([
    `environments.staging.keys.audit.aliases.2: null is not allowed (a string, ${SCHEMA})`,
    `environments.staging.keys.audit.aliases.1: "\${x}" is not allowed (data, not a Terraform template: no '\${', '%{' or 'TfToken[' (Terraform would evaluate it at plan time), Terraform string templates)`,
    `environments.staging.keys.audit.aliases.0: "alias/aws/x" is not allowed ('alias/' then letters, digits, ':', '/', '_', '-', at most 256 chars, not 'alias/aws/...' (reserved for AWS managed keys), KMS CreateAlias)`,
    'environments.staging.keys.audit.aliases.3: "alias/two" is not allowed (an alias no other key or alias uses (also at keys.audit.aliases.4), KMS CreateAlias: alias names are unique per account and Region)',
    'environments.staging.keys.audit.aliases.4: "alias/two" is not allowed (an alias no other key or alias uses (also at keys.audit.aliases.3), KMS CreateAlias: alias names are unique per account and Region)',
  ]);
});

test("a finding elsewhere that only follows from the missing element stays unreported (one line per problem)", () => {
  // hsmAzs' AZ has no subnet only because the subnet entry is refused: not a second problem.
  const env = prodCloudHsmOnly((e: Draft) => {
    e.network.subnets[2] = null;
  });
  expect(messages(env)).toEqual([`environments.prod.network.subnets.2: null is not allowed (an object, ${SCHEMA})`]);
});

describe("a value out of its range is reported once: no rule measures another field with it", () => {
  test("generations.current out of range: retired and xksKeyIds are not checked against it", () => {
    const env = JSON.parse(JSON.stringify(environments.prod)) as Draft;
    env.keys.records.generations = { current: -1, retired: [1], xksKeyIds: { "2": "northwind-prod-records-02" } };
    expect(messages(env as EnvironmentConfig)).toEqual([
      `environments.prod.keys.records.generations.current: -1 is not allowed (a whole number from 1 to 100 (100 generations is a century of yearly rotations), ${MANUAL})`,
    ]);
  });

  test("hooks.timeoutMinutes out of range: the scale-to-zero times are measured with the default", () => {
    const env = sandbox((e) => (e.hooks.timeoutMinutes = 2 ** 53));
    expect(messages(env)).toEqual([
      "environments.sandbox.hooks.timeoutMinutes: 9007199254740992 is not allowed (5-120 minutes, key store connection can take 20-30 min)",
    ]);
  });

  test("data.fsx.haPairs out of range: no storage capacity range is made from it", () => {
    const env = JSON.parse(JSON.stringify(environments.prod)) as Draft;
    env.data.fsx.haPairs = -1;
    expect(messages(env as EnvironmentConfig)).toEqual([
      "environments.prod.data.fsx.haPairs: -1 is not allowed (1 for MULTI_AZ_1, FSx for ONTAP CreateFileSystem)",
    ]);
  });
});
