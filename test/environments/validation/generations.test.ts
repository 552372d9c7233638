/** Validation of a key's generations (manual rotation of keys in a custom key store): the exact line for every refusal, all at once. */
import { environments } from "../../../environments";
import type { EnvironmentConfig } from "../../../environments/types";
import { validationMessages } from "../../../environments/validation";
import { resolveEnvironment } from "../../../environments/resolve";
import { variant } from "../../helpers/synth";

const { dev, staging, prod } = environments;
const messagesFor = (env: EnvironmentConfig) => validationMessages({ [env.name]: env });
const MANUAL =
  "KMS: rotate keys manually (https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys-manually.html)";

test.each<[string, EnvironmentConfig, Record<string, unknown>]>([
  [
    "a CloudHSM key in generation 3 with generation 1 retired",
    prod,
    {
      "keys.fileShares.generations": undefined,
      "keys.records.generations": {
        current: 3,
        retired: [1],
        xksKeyIds: { "2": "northwind-prod-records-02", "3": "northwind-prod-records-03" },
      },
    },
  ],
  [
    "an XKS key in generation 2",
    staging,
    { "keys.records.generations": { current: 2, xksKeyIds: { "2": "records-02" } } },
  ],
  ["an AWS-KMS key stating its first generation", dev, { "keys.appData.generations": { current: 1 } }],
])("accepted: %s", (_label, base, changes) => {
  expect(messagesFor(variant(base, changes))).toEqual([]);
});

test.each<[string, EnvironmentConfig, Record<string, unknown>, string[]]>([
  [
    "an AWS-KMS key rotated by generations",
    dev,
    { "keys.appData.generations": { current: 2 } },
    [
      `environments.dev.keys.appData.generations.current: 2 is not allowed (1 for an AWS-KMS key: it rotates automatically or on demand (rotation, rotationPeriodDays), keeping its id and without re-encryption; generations are for keys in a custom key store, which cannot rotate (https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys-manually.html), ${MANUAL})`,
    ],
  ],
  [
    "imported material rotated by generations",
    staging,
    { "keys.archive.generations": { current: 2 } },
    [
      `environments.staging.keys.archive.generations.current: 2 is not allowed (1 for imported key material (store aws-kms, origin external): rotate it on demand with new material (docs/byok.md), which keeps the key id, ${MANUAL})`,
    ],
  ],
  [
    "the key of the FSx file system",
    prod,
    { "keys.fileShares.generations": { current: 2 } },
    [
      "environments.prod.keys.fileShares.generations.current: 2 is not allowed (1 while data.fsx uses this key: an FSx file system keeps the key it was created with (kms_key_id forces a new file system, which loses its data); create a new file system under another key and migrate (docs/keys.md), FSx CreateFileSystem KmsKeyId)",
    ],
  ],
  [
    "every problem of an XKS key at once",
    prod,
    {
      "keys.records.generations": {
        current: 3,
        retired: [3, 0],
        xksKeyIds: { "2": "northwind-prod-records-01", "5": "x", "3": "bad id!" },
      },
    },
    [
      `environments.prod.keys.records.generations.retired.0: 3 is not allowed (the current generation is never retired: rotate to a new generation first, ${MANUAL})`,
      `environments.prod.keys.records.generations.retired.1: 0 is not allowed (an earlier generation, 1 to 2, ${MANUAL})`,
      `environments.prod.keys.records.generations.xksKeyIds.2: "northwind-prod-records-01" is not allowed (the external key of xksKeyId: a new generation needs new key material, another external key, ${MANUAL})`,
      `environments.prod.keys.records.generations.xksKeyIds.3: "bad id!" is not allowed (an external key id (the XKS key id pattern), KMS CreateKey XksKeyId, ${MANUAL})`,
      `environments.prod.keys.records.generations.xksKeyIds.5: "x" is not allowed (only for generations 2 to 3 (generation 1 uses xksKeyId), ${MANUAL})`,
    ],
  ],
  [
    "a later generation without its external key",
    staging,
    { "keys.records.generations": { current: 2 } },
    [
      `environments.staging.keys.records.generations.xksKeyIds.2: (missing) is not allowed (required: generation 2 is a new key in the external key store and needs its own external key (new key material), KMS CreateKey XksKeyId, ${MANUAL})`,
    ],
  ],
  [
    "external key ids on a CloudHSM key",
    prod,
    { "data.fsx.key": "records", "keys.fileShares.generations": { current: 2, xksKeyIds: { "2": "a" } } },
    [
      `environments.prod.keys.fileShares.generations.xksKeyIds: {"2":"a"} is not allowed (only for keys in an external key store (store is "cloudhsm"), ${MANUAL})`,
    ],
  ],
  [
    "wrong types, caught by the schema",
    staging,
    { "keys.records.generations": { current: "2", retired: "1", extra: true } },
    [
      'environments.staging.keys.records.generations.current: "2" is not allowed (a number, configuration schema (schema/environment.schema.json))',
      'environments.staging.keys.records.generations.retired: "1" is not allowed (a list, configuration schema (schema/environment.schema.json))',
      "environments.staging.keys.records.generations.extra: unknown field (known fields: current, retired, xksKeyIds)",
    ],
  ],
])("refused: %s", (_label, base, changes, expected) => {
  expect(messagesFor(variant(base, changes))).toEqual(expected);
});

test("the resolved configuration carries generations only when configured", () => {
  const rotated = variant(staging, { "keys.records.generations": { current: 2, xksKeyIds: { "2": "records-02" } } });
  expect(resolveEnvironment(rotated).keys.records.generations).toEqual({
    current: 2,
    xksKeyIds: { "2": "records-02" },
  });
  expect(resolveEnvironment(staging).keys.records.generations).toBeUndefined();
  expect("generations" in resolveEnvironment(staging).keys.records).toBe(false);
});

test('an xksKeyIds entry written 02 (beside 2, or alone) is refused: the construct reads generation 2 as "2"', () => {
  const env = variant(prod, {
    "keys.records.generations": {
      current: 2,
      xksKeyIds: { "2": "northwind-prod-records-02", "02": "northwind-prod-records-03" },
    },
  });
  expect(messagesFor(env)).toEqual([
    `environments.prod.keys.records.generations.xksKeyIds.02: "northwind-prod-records-03" is not allowed (a generation number as written plainly (2, not 02), ${MANUAL})`,
  ]);
});
