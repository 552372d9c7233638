/** Validation of a key's rotation period and its extra aliases: the exact line for every refusal. */
import { environments } from "../../../environments";
import type { EnvironmentConfig } from "../../../environments/types";
import { validationMessages } from "../../../environments/validation";
import { resolveEnvironment } from "../../../environments/resolve";
import { variant } from "../../helpers/synth";

const { dev, staging } = environments;
const messagesFor = (env: EnvironmentConfig) => validationMessages({ [env.name]: env });
const SCHEMA = "configuration schema (schema/environment.schema.json)";
const PERIOD = "KMS EnableKeyRotation RotationPeriodInDays";
const UNIQUE = "KMS CreateAlias: alias names are unique per account and Region";
const ALIAS_RULE =
  "'alias/' then letters, digits, ':', '/', '_', '-', at most 256 chars, not 'alias/aws/...' (reserved for AWS managed keys), KMS CreateAlias";
const many = Array.from({ length: 50 }, (_, i) => `alias/dev/n${i}`);

test.each<[string, EnvironmentConfig, Record<string, unknown>, string[]]>([
  [
    "a period shorter than 90 days",
    dev,
    { "keys.appData.rotationPeriodDays": 89 },
    [`environments.dev.keys.appData.rotationPeriodDays: 89 is not allowed (90-2560 days, ${PERIOD})`],
  ],
  [
    "a period longer than 2560 days",
    dev,
    { "keys.appData.rotationPeriodDays": 2561 },
    [`environments.dev.keys.appData.rotationPeriodDays: 2561 is not allowed (90-2560 days, ${PERIOD})`],
  ],
  [
    "a period that is not whole days",
    dev,
    { "keys.appData.rotationPeriodDays": 180.5 },
    [`environments.dev.keys.appData.rotationPeriodDays: 180.5 is not allowed (90-2560 days, ${PERIOD})`],
  ],
  [
    "a period given as a string",
    dev,
    { "keys.appData.rotationPeriodDays": "180" },
    [`environments.dev.keys.appData.rotationPeriodDays: "180" is not allowed (a number, ${SCHEMA})`],
  ],
  [
    "a period on a key whose rotation is off",
    dev,
    { "keys.appData.rotation": false },
    [
      `environments.dev.keys.appData.rotationPeriodDays: 180 is not allowed (unset when rotation is false (the key does not rotate automatically), ${PERIOD})`,
    ],
  ],
  [
    "a period on a key in an external key store",
    staging,
    { "keys.records.rotationPeriodDays": 180 },
    [
      "environments.staging.keys.records.rotationPeriodDays: 180 is not allowed (unset for keys in a custom key store (they never rotate automatically), KMS EnableKeyRotation: custom key stores)",
    ],
  ],
  [
    "a period on a key with imported material",
    staging,
    { "keys.archive.rotationPeriodDays": 180 },
    [
      "environments.staging.keys.archive.rotationPeriodDays: 180 is not allowed (unset for imported key material (origin 'external' never rotates automatically: rotate on demand, docs/byok.md), KMS EnableKeyRotation: not for imported key material)",
    ],
  ],
  [
    "an extra alias without the alias/ prefix",
    dev,
    { "keys.appData.aliases": ["uploads"] },
    [`environments.dev.keys.appData.aliases.0: "uploads" is not allowed (${ALIAS_RULE})`],
  ],
  [
    "an extra alias in the AWS namespace",
    dev,
    { "keys.appData.aliases": ["alias/dev/uploads", "alias/aws/ebs"] },
    [`environments.dev.keys.appData.aliases.1: "alias/aws/ebs" is not allowed (${ALIAS_RULE})`],
  ],
  [
    "aliases that is not a list",
    dev,
    { "keys.appData.aliases": "alias/dev/uploads" },
    [`environments.dev.keys.appData.aliases: "alias/dev/uploads" is not allowed (a list, ${SCHEMA})`],
  ],
  [
    "an extra alias that is not a string",
    dev,
    { "keys.appData.aliases": [7] },
    [`environments.dev.keys.appData.aliases.0: 7 is not allowed (a string, ${SCHEMA})`],
  ],
  [
    "more than 50 aliases on one key",
    dev,
    { "keys.appData.aliases": many },
    [
      `environments.dev.keys.appData.aliases: ["alias/dev/n0","alias/dev/n1","alias/dev/n2","alias/dev/n3","alias/dev/n4","... is not allowed (a list of at most 49 more aliases (50 per key with alias), KMS resource quotas: aliases per KMS key)`,
    ],
  ],
  [
    "an extra alias equal to the key's own alias",
    dev,
    { "keys.appData.aliases": ["alias/dev/app-data"] },
    [
      `environments.dev.keys.appData.aliases.0: "alias/dev/app-data" is not allowed (an alias no other key or alias uses (also at keys.appData.alias), ${UNIQUE})`,
    ],
  ],
  [
    "an extra alias equal to another key's alias",
    dev,
    { "keys.volumes.aliases": ["alias/dev/app-data"] },
    [
      `environments.dev.keys.volumes.aliases.0: "alias/dev/app-data" is not allowed (an alias no other key or alias uses (also at keys.appData.alias), ${UNIQUE})`,
    ],
  ],
  [
    "one extra alias on two keys: both named, each at the other",
    dev,
    { "keys.volumes.aliases": ["alias/dev/uploads"] },
    [
      `environments.dev.keys.appData.aliases.0: "alias/dev/uploads" is not allowed (an alias no other key or alias uses (also at keys.volumes.aliases.0), ${UNIQUE})`,
      `environments.dev.keys.volumes.aliases.0: "alias/dev/uploads" is not allowed (an alias no other key or alias uses (also at keys.appData.aliases.0), ${UNIQUE})`,
    ],
  ],
  [
    "one extra alias twice on one key",
    dev,
    { "keys.appData.aliases": ["alias/dev/uploads", "alias/dev/uploads"] },
    [
      `environments.dev.keys.appData.aliases.0: "alias/dev/uploads" is not allowed (an alias no other key or alias uses (also at keys.appData.aliases.1), ${UNIQUE})`,
      `environments.dev.keys.appData.aliases.1: "alias/dev/uploads" is not allowed (an alias no other key or alias uses (also at keys.appData.aliases.0), ${UNIQUE})`,
    ],
  ],
  [
    "an extra alias equal to a signing key's alias",
    staging,
    { "keys.records.aliases": ["alias/staging/releases"] },
    [
      `environments.staging.keys.records.aliases.0: "alias/staging/releases" is not allowed (an alias no other key or alias uses (also at signingKeys.releases.alias), ${UNIQUE})`,
    ],
  ],
  [
    "an extra alias equal to the alias the stacks give the alarm topic's key",
    staging,
    { "keys.records.aliases": ["alias/staging-kms-alarms"] },
    [
      `environments.staging.keys.records.aliases.0: "alias/staging-kms-alarms" is not allowed (a KMS alias the stacks do not already use: they give "alias/staging-kms-alarms" to a resource of their own (derived from environments.staging.name), ${UNIQUE})`,
    ],
  ],
])("refuses %s", (_title, base, changes, expected) => {
  expect(messagesFor(variant(base, changes))).toEqual(expected);
});

test("an extra alias used by another environment in the same account and Region is refused, naming both", () => {
  const other = variant(staging, { name: "staging2", "keys.records.aliases": ["alias/shared"] });
  const mine = variant(staging, { "keys.volumes.aliases": ["alias/shared"] });
  expect(validationMessages({ staging: mine, staging2: other })).toContain(
    `environments.staging2.keys.records.aliases.0: "alias/shared" is not allowed (an alias no other environment in the same account and Region uses (environments.staging.keys.volumes.aliases.0 has it), ${UNIQUE})`,
  );
});

test.each([90, 365, 2560])("a period of %s days on a key that rotates is valid", (days) => {
  expect(messagesFor(variant(dev, { "keys.appData.rotationPeriodDays": days }))).toEqual([]);
});

test("resolve: the configured period, AWS's 365 days for other keys that rotate, none for keys that do not", () => {
  const d = resolveEnvironment(dev);
  expect(d.keys.appData).toMatchObject({ rotation: true, rotationPeriodDays: 180, aliases: ["alias/dev/uploads"] });
  expect(d.keys.volumes).toMatchObject({ rotation: true, rotationPeriodDays: 365 });
  expect(d.keys.volumes.aliases).toBeUndefined();
  const s = resolveEnvironment(staging);
  expect(s.keys.records.rotation).toBe(false);
  expect(s.keys.records.rotationPeriodDays).toBeUndefined();
  expect(s.keys.archive.rotationPeriodDays).toBeUndefined();
});
