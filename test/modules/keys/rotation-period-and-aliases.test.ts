/**
 * A key's rotation period (KMS EnableKeyRotation RotationPeriodInDays) and its extra aliases, as the
 * CustomerKey and ImportedKey constructs synthesize and refuse them.
 */
import { Testing } from "cdktf";
import { EnvironmentStack } from "../../../modules/core/environment-stack";
import { CustomerKey, type CustomerKeyProps } from "../../../modules/keys/customer-key";
import { ImportedKey } from "../../../modules/keys/imported-key";
import { extraAliasId } from "../../../modules/keys/key-props";
import type { IKeyStore } from "../../../modules/keystores/key-store";
import { propsErrorLines, type StackJson } from "../../helpers/synth";

const ACCOUNT = "111111111111";
const ADMIN = `arn:aws:iam::${ACCOUNT}:role/KeyAdmins`;
const USER = `arn:aws:iam::${ACCOUNT}:role/AppWriters`;
const minimal: CustomerKeyProps = { alias: "alias/t/app", administrators: [ADMIN], users: [USER] };
const cloudHsmStore: IKeyStore = { kind: "cloudhsm", keyStoreId: "cks-1234567890", readyWhen: [] };
const xksStore: IKeyStore = { kind: "xks", keyStoreId: "cks-0987654321", readyWhen: [] };
const ALIAS_RULE =
  "'alias/' then letters, digits, ':', '/', '_', '-', at most 256 chars, not 'alias/aws/...' (reserved for AWS managed keys), KMS CreateAlias AliasName";

const testStack = () =>
  new EnvironmentStack(Testing.app(), "test", { name: "t", account: ACCOUNT, region: "eu-west-1" });
const keyJson = (props: Partial<CustomerKeyProps>): StackJson => {
  const stack = testStack();
  new CustomerKey(stack, "appData", { ...minimal, ...props });
  return JSON.parse(Testing.synth(stack)) as StackJson;
};
const kmsKey = (json: StackJson) => Object.values(json.resource?.aws_kms_key ?? {})[0] as Record<string, unknown>;
const aliases = (json: StackJson) => json.resource?.aws_kms_alias ?? {};

describe("rotation period", () => {
  test.each<[string, Partial<CustomerKeyProps>, number | undefined]>([
    ["AWS's 365 days when not configured", {}, 365],
    ["the configured period", { rotationPeriodDays: 180 }, 180],
    ["the shortest period KMS accepts", { rotationPeriodDays: 90 }, 90],
    ["the longest period KMS accepts", { rotationPeriodDays: 2560 }, 2560],
    ["none for a key that does not rotate", { rotation: false }, undefined],
    ["none for a key in a CloudHSM key store", { keyStore: cloudHsmStore }, undefined],
    ["none for a key in an external key store", { keyStore: xksStore, xksKeyId: "ext-key-1" }, undefined],
  ])("%s", (_label, props, days) => {
    const key = kmsKey(keyJson(props));
    expect(key.rotation_period_in_days).toBe(days);
    expect(key.enable_key_rotation).toBe(days !== undefined);
  });
});

describe("extra aliases", () => {
  test("each is its own aws_kms_alias on the same key; the primary alias keeps its construct id", () => {
    const all = aliases(keyJson({ aliases: ["alias/t/reports", "alias/t/a:b"] }));
    expect(
      Object.entries(all)
        .map(([id, a]) => [id.replace(/_[0-9A-F]{8}$/, ""), a.name, a.target_key_id])
        .sort(),
    ).toEqual([
      ["appData_alias", "alias/t/app", "${aws_kms_key.appData_key_18A68D91.key_id}"],
      ["appData_alias-t_2fa_3ab", "alias/t/a:b", "${aws_kms_key.appData_key_18A68D91.key_id}"],
      ["appData_alias-t_2freports", "alias/t/reports", "${aws_kms_key.appData_key_18A68D91.key_id}"],
    ]);
  });

  test("adding, removing or reordering extra aliases never changes the address of another alias", () => {
    const ids = (more?: string[]) =>
      Object.fromEntries(Object.entries(aliases(keyJson({ aliases: more }))).map(([id, a]) => [a.name, id]));
    const before = ids();
    const two = ids(["alias/t/b", "alias/t/c"]);
    const one = ids(["alias/t/c"]);
    const reordered = ids(["alias/t/c", "alias/t/b"]);
    expect(two["alias/t/app"]).toBe(before["alias/t/app"]);
    expect(one["alias/t/c"]).toBe(two["alias/t/c"]);
    expect(reordered).toEqual(two);
  });

  test.each([
    ["alias/a:b", "alias/a_b"],
    ["alias/a/b", "alias/a_2fb"],
    ["alias/A", "alias/a"],
  ])("%s and %s get different construct ids", (a, b) => {
    expect(extraAliasId(a)).not.toBe(extraAliasId(b));
  });

  test("an imported (BYOK) key gets its extra aliases too", () => {
    const stack = testStack();
    new ImportedKey(stack, "key-archive", {
      name: "archive",
      alias: "alias/t/archive",
      aliases: ["alias/t/archive-2026"],
      administrators: [ADMIN],
      users: [USER],
      importers: [`arn:aws:iam::${ACCOUNT}:role/Custodians`],
    });
    const json = JSON.parse(Testing.synth(stack)) as StackJson;
    const names = Object.values(aliases(json)).map((a) => [a.name, a.target_key_id]);
    expect(names.sort()).toEqual([
      ["alias/t/archive", expect.stringMatching(/^\$\{aws_kms_external_key\.key-archive_key_[0-9A-F]{8}\.id\}$/)],
      ["alias/t/archive-2026", expect.stringMatching(/^\$\{aws_kms_external_key\.key-archive_key_[0-9A-F]{8}\.id\}$/)],
    ]);
  });
});

describe("CustomerKey refuses a rotation period or extra alias KMS would refuse, every problem at once", () => {
  const P = "test/appData";
  const many = Array.from({ length: 50 }, (_, i) => `alias/t/n${i}`);
  test.each<[string, Partial<CustomerKeyProps>, string[]]>([
    [
      "fails when the period is shorter than 90 days",
      { rotationPeriodDays: 89 },
      [`${P}.rotationPeriodDays: 89 is not allowed (90 to 2560 days, KMS EnableKeyRotation RotationPeriodInDays)`],
    ],
    [
      "fails when the period is longer than 2560 days",
      { rotationPeriodDays: 2561 },
      [`${P}.rotationPeriodDays: 2561 is not allowed (90 to 2560 days, KMS EnableKeyRotation RotationPeriodInDays)`],
    ],
    [
      "fails when the period is not whole days",
      { rotationPeriodDays: 180.5 },
      [`${P}.rotationPeriodDays: 180.5 is not allowed (90 to 2560 days, KMS EnableKeyRotation RotationPeriodInDays)`],
    ],
    [
      "fails when a key that does not rotate states a period",
      { rotation: false, rotationPeriodDays: 180 },
      [
        `${P}.rotationPeriodDays: 180 is not allowed (only for a key that rotates (rotation is false), KMS EnableKeyRotation RotationPeriodInDays)`,
      ],
    ],
    [
      "fails when a key in a custom key store states a period",
      { keyStore: cloudHsmStore, rotationPeriodDays: 180 },
      [
        `${P}.rotationPeriodDays: 180 is not allowed (keys in a custom key store cannot rotate automatically, KMS EnableKeyRotation RotationPeriodInDays)`,
      ],
    ],
    [
      "fails when an extra alias lacks the alias/ prefix",
      { aliases: ["alias/t/ok", "t/x"] },
      [`${P}.aliases.1: "t/x" is not allowed (${ALIAS_RULE})`],
    ],
    [
      "fails when an extra alias is in the reserved alias/aws/ namespace",
      { aliases: ["alias/aws/s3"] },
      [`${P}.aliases.0: "alias/aws/s3" is not allowed (${ALIAS_RULE})`],
    ],
    [
      "fails when an extra alias repeats the key's alias",
      { aliases: ["alias/t/app"] },
      [
        `${P}.aliases.0: "alias/t/app" is not allowed (already the key's alias: each alias names one key once, KMS CreateAlias)`,
      ],
    ],
    [
      "fails when an extra alias repeats another extra alias",
      { aliases: ["alias/t/b", "alias/t/c", "alias/t/b"] },
      [
        `${P}.aliases.2: "alias/t/b" is not allowed (already the key's aliases.0: each alias names one key once, KMS CreateAlias)`,
      ],
    ],
    [
      "fails when the key would have more than 50 aliases",
      { aliases: many },
      [
        `${P}.aliases: 50 aliases is not allowed (at most 49 more aliases, 50 per key with alias, KMS resource quotas: aliases per KMS key)`,
      ],
    ],
    [
      "reports every problem at once",
      { rotationPeriodDays: 30, aliases: ["bad", "alias/t/app"] },
      [
        `${P}.aliases.0: "bad" is not allowed (${ALIAS_RULE})`,
        `${P}.aliases.1: "alias/t/app" is not allowed (already the key's alias: each alias names one key once, KMS CreateAlias)`,
        `${P}.rotationPeriodDays: 30 is not allowed (90 to 2560 days, KMS EnableKeyRotation RotationPeriodInDays)`,
      ],
    ],
  ])("%s", (_label, change, lines) => {
    expect(propsErrorLines(() => new CustomerKey(testStack(), "appData", { ...minimal, ...change }))).toEqual(lines);
  });

  test("49 extra aliases (50 in all) are accepted", () => {
    expect(Object.keys(aliases(keyJson({ aliases: many.slice(0, 49) })))).toHaveLength(50);
  });

  test("ImportedKey refuses a bad extra alias the same way", () => {
    expect(
      propsErrorLines(
        () =>
          new ImportedKey(testStack(), "key-archive", {
            name: "archive",
            alias: "alias/t/archive",
            aliases: ["alias/t/archive"],
            administrators: [ADMIN],
            users: [USER],
            importers: [`arn:aws:iam::${ACCOUNT}:role/Custodians`],
          }),
      ),
    ).toEqual([
      `test/key-archive.aliases.0: "alias/t/archive" is not allowed (already the key's alias: each alias names one key once, KMS CreateAlias)`,
    ]);
  });
});
