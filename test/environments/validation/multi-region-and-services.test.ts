/** Validation of multi-Region keys and service statements: the exact line for every refusal, all at once. */
import { environments } from "../../../environments";
import type { EnvironmentConfig } from "../../../environments/types";
import { validationMessages } from "../../../environments/validation";
import { resolveEnvironment } from "../../../environments/resolve";
import { variant } from "../../helpers/synth";

const { dev, staging } = environments;
const messagesFor = (env: EnvironmentConfig) => validationMessages({ [env.name]: env });
const AUDIT = "environments.staging.keys.audit";
const REPLICATE = "KMS ReplicateKey ReplicaRegion";
const ACCT = "222222222222";
const TRAIL = `arn:aws:cloudtrail:eu-west-1:${ACCT}:trail/northwind-staging-audit`;
const SRC_STATEMENT = "the service's key policy statement (docs/keys.md)";

test("the shipped staging audit key is valid and resolves with its replica and services", () => {
  expect(messagesFor(staging)).toEqual([]);
  const audit = resolveEnvironment(staging).keys.audit;
  expect(audit.multiRegion).toBe(true);
  expect(audit.replicaRegions).toEqual(["eu-central-1"]);
  expect(audit.services?.map((s) => s.service)).toEqual(["cloudtrail", "logs"]);
  // A single-Region key resolves exactly as before: none of the three fields.
  const volumes = resolveEnvironment(staging).keys.volumes;
  expect(["multiRegion", "replicaRegions", "services"].filter((f) => f in volumes)).toEqual([]);
});

test.each<[string, EnvironmentConfig, Record<string, unknown>, string[]]>([
  [
    "replica Regions: own Region, another partition, not a Region, twice",
    staging,
    { "keys.audit.replicaRegions": ["eu-west-1", "cn-north-1", "Frankfurt", "eu-central-1", "eu-central-1"] },
    [
      `${AUDIT}.replicaRegions.2: "Frankfurt" is not allowed (an AWS Region code such as eu-west-1, ${REPLICATE})`,
      `${AUDIT}.replicaRegions.0: "eu-west-1" is not allowed (another Region than the environment's own (eu-west-1), where the primary key is, ${REPLICATE})`,
      `${AUDIT}.replicaRegions.1: "cn-north-1" is not allowed (a Region of the environment's partition aws, ${REPLICATE}: same partition)`,
      `${AUDIT}.replicaRegions.4: "eu-central-1" is not allowed (each Region once (1 replica per Region), ${REPLICATE})`,
    ],
  ],
  [
    "replicas of a single-Region key",
    staging,
    { "keys.audit.multiRegion": false },
    [
      `${AUDIT}.replicaRegions: ["eu-central-1"] is not allowed (unset unless multiRegion is true (only a multi-Region primary key has replicas), ${REPLICATE})`,
    ],
  ],
  [
    "a multi-Region key in an external key store",
    staging,
    { "keys.records.multiRegion": true },
    [
      "environments.staging.keys.records.multiRegion: true is not allowed (false or unset for keys in a custom key store (a multi-Region key lives in the AWS KMS key store only), KMS CreateKey MultiRegion: not in a custom key store)",
    ],
  ],
  [
    "a multi-Region key with imported material",
    staging,
    { "keys.archive.multiRegion": true },
    [
      "environments.staging.keys.archive.multiRegion: true is not allowed (false or unset for imported key material (origin 'external'): the same material would have to be imported into the primary and every replica, and the import-key-material step imports into one key (docs/byok.md), KMS multi-Region keys (https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-overview.html): imported key material)",
    ],
  ],
  [
    "an unknown service, twice the same service, no source ARN",
    staging,
    {
      "keys.audit.services": [
        { service: "s3", sourceArns: ["arn:aws:s3:::b"] },
        { service: "cloudtrail", sourceArns: [TRAIL] },
        { service: "cloudtrail", sourceArns: [] },
      ],
    },
    [
      `${AUDIT}.services.0.service: "s3" is not allowed (one of cloudtrail, logs, cloudwatch, events (the services whose key policy statement AWS documents), key policy statements for AWS services (docs/keys.md))`,
      `${AUDIT}.services.2.service: "cloudtrail" is not allowed (each service once per key (every source ARN in one entry), key policy statements for AWS services (docs/keys.md))`,
      `${AUDIT}.services.2.sourceArns: [] is not allowed (at least one ARN (a service statement without a source would let the service use the key for any account: confused deputy), IAM: the confused deputy problem (https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html))`,
    ],
  ],
  [
    "source ARNs of another service, account, partition or Region; wildcards that do not narrow; twice",
    staging,
    {
      "keys.audit.services": [
        {
          service: "cloudtrail",
          sourceArns: [
            `arn:aws:cloudtrail:eu-west-1:${ACCT}:trail/*`,
            `arn:aws:cloudtrail:eu-west-1:111111111111:trail/audit`,
            `arn:aws-us-gov:cloudtrail:us-gov-west-1:${ACCT}:trail/audit`,
            `arn:aws:sns:eu-west-1:${ACCT}:topic`,
            TRAIL,
            TRAIL,
          ],
        },
        {
          service: "logs",
          sourceArns: [
            `arn:aws:logs:eu-west-1:${ACCT}:log-group:*`,
            `arn:aws:logs:eu-central-1:${ACCT}:log-group:/dr/audit`,
            `arn:aws:logs:us-east-1:${ACCT}:log-group:/app`,
          ],
        },
      ],
    },
    [
      `${AUDIT}.services.0.sourceArns.0: "arn:aws:cloudtrail:eu-west-1:${ACCT}:trail/*" is not allowed (an exact ARN without wildcards (arn:aws:cloudtrail:<region>:${ACCT}:trail/<trail name>): the statement compares aws:SourceArn with StringEquals, ${SRC_STATEMENT})`,
      `${AUDIT}.services.0.sourceArns.1: "arn:aws:cloudtrail:eu-west-1:111111111111:trail/audit" is not allowed (an ARN of the key's account ${ACCT} (arn:aws:cloudtrail:<region>:${ACCT}:trail/<trail name>): the service acts for that account only, ${SRC_STATEMENT})`,
      `${AUDIT}.services.0.sourceArns.2: "arn:aws-us-gov:cloudtrail:us-gov-west-1:${ACCT}:trail/audit" is not allowed (an ARN of the key's partition aws (arn:aws:cloudtrail:<region>:${ACCT}:trail/<trail name>), ${SRC_STATEMENT})`,
      `${AUDIT}.services.0.sourceArns.3: "arn:aws:sns:eu-west-1:${ACCT}:topic" is not allowed (an ARN of cloudtrail (arn:aws:cloudtrail:<region>:${ACCT}:trail/<trail name>), not of sns, ${SRC_STATEMENT})`,
      `${AUDIT}.services.1.sourceArns.0: "arn:aws:logs:eu-west-1:${ACCT}:log-group:*" is not allowed (a wildcard only after a non-empty name prefix (arn:aws:logs:<region>:${ACCT}:log-group:<prefix>*): '*' alone matches every one of the account's resources, ${SRC_STATEMENT})`,
      `${AUDIT}.services.1.sourceArns.2: "arn:aws:logs:us-east-1:${ACCT}:log-group:/app" is not allowed (a logs ARN in the key's Regions eu-west-1, eu-central-1: logs.us-east-1.amazonaws.com uses only a key (or replica) of its own Region, ${SRC_STATEMENT})`,
      `${AUDIT}.services.0.sourceArns.5: "${TRAIL}" is not allowed (each ARN once, key policy statements for AWS services (docs/keys.md))`,
    ],
  ],
])("%s", (_label, env, changes, expected) => {
  expect(messagesFor(variant(env, changes))).toEqual(expected);
});

test("twice the same service and an empty source list, with a known service", () => {
  expect(
    messagesFor(
      variant(staging, {
        "keys.audit.services": [
          { service: "cloudtrail", sourceArns: [TRAIL] },
          { service: "cloudtrail", sourceArns: [] },
        ],
      }),
    ),
  ).toEqual([
    `${AUDIT}.services.1.service: "cloudtrail" is not allowed (each service once per key (every source ARN in one entry), key policy statements for AWS services (docs/keys.md))`,
    `${AUDIT}.services.1.sourceArns: [] is not allowed (at least one ARN (a service statement without a source would let the service use the key for any account: confused deputy), IAM: the confused deputy problem (https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html))`,
  ]);
});

test("dev stays single-Region and without service statements", () => {
  expect(Object.values(resolveEnvironment(dev).keys).some((k) => k.multiRegion || k.services)).toBe(false);
});

test("a replica's alias may not be an alias another environment uses in the replica's Region", () => {
  const frankfurt = variant(staging, {
    name: "frankfurt",
    region: "eu-central-1",
    "network.subnets": [
      { az: "eu-central-1a", cidr: "10.20.0.0/24" },
      { az: "eu-central-1b", cidr: "10.20.1.0/24" },
      { az: "eu-central-1c", cidr: "10.20.2.0/24" },
    ],
    keys: { audit: { ...staging.keys.audit, multiRegion: undefined, replicaRegions: undefined, services: undefined } },
    signingKeys: undefined,
    macKeys: undefined,
    xks: undefined,
    alarms: undefined,
    data: {},
    backend: { type: "local" },
  });
  const lines = validationMessages({ staging, frankfurt });
  expect(lines.filter((l) => l.includes("alias/staging/audit"))).toEqual([
    'environments.frankfurt.keys.audit.alias: "alias/staging/audit" is not allowed (an alias no other environment in the same account and Region uses (environments.staging.keys.audit.replicaRegions.0 has it), KMS CreateAlias: alias names are unique per account and Region)',
  ]);
});
