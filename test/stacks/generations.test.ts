/**
 * A shipped environment whose XKS and CloudHSM keys move to generation 2, then retire generation 1:
 * the synthesized stacks change only by the new keys, the aliases' targets, the old keys' policy and
 * tags and the data stack's references, never an existing resource's address (a changed address
 * would be a destroy and a create).
 */
import { environments } from "../../environments";
import { synthEnvs, variant, type StackJson } from "../helpers/synth";

type Res = Record<string, Record<string, unknown>>;
const addresses = (s: StackJson): string[] =>
  Object.entries((s.resource ?? {}) as Record<string, Res>).flatMap(([type, rs]) =>
    Object.keys(rs).map((n) => `${type}.${n}`),
  );

const base = environments.prod;
const rotatedEnv = variant(base, {
  "data.fsx": undefined,
  "keys.records.generations": { current: 2, xksKeyIds: { "2": "northwind-prod-records-02" } },
});
const retiredEnv = variant(rotatedEnv, {
  "keys.records.generations": { current: 2, retired: [1], xksKeyIds: { "2": "northwind-prod-records-02" } },
});
const plain = synthEnvs({ prod: variant(base, { "data.fsx": undefined }) }).stacks;
const rotated = synthEnvs({ prod: rotatedEnv }).stacks;
const retired = synthEnvs({ prod: retiredEnv }).stacks;

test("generation 2 keeps every address of both stacks and adds exactly one key", () => {
  for (const stack of ["prod-keys", "prod-data"]) {
    const before = addresses(plain[stack]);
    const after = addresses(rotated[stack]);
    expect(after).toEqual(expect.arrayContaining(before));
    const added = after.filter((a) => !before.includes(a));
    if (stack === "prod-keys")
      expect(added).toEqual([expect.stringMatching(/^aws_kms_key\.key-records_key-gen2_[0-9A-F]{8}$/)]);
    else expect(added).toEqual([]);
  }
});

test("the alias moves to generation 2 in place; generation 1 stays in the same store with its external key", () => {
  const keys = rotated["prod-keys"].resource?.aws_kms_key as Res;
  const gen2 = Object.keys(keys).find((n) => n.startsWith("key-records_key-gen2_")) as string;
  const gen1 = Object.keys(keys).find((n) => /^key-records_key_[0-9A-F]{8}$/.test(n)) as string;
  expect(keys[gen1]).toMatchObject({ xks_key_id: "northwind-prod-records-01" });
  expect(keys[gen2]).toMatchObject({
    xks_key_id: "northwind-prod-records-02",
    custom_key_store_id: keys[gen1].custom_key_store_id,
  });
  const alias = Object.values(rotated["prod-keys"].resource?.aws_kms_alias as Res).find(
    (a) => a.name === "alias/prod/records",
  );
  expect(alias?.target_key_id).toBe(`\${aws_kms_key.${gen2}.key_id}`);
});

test("retiring generation 1 removes only that key", () => {
  const before = addresses(rotated["prod-keys"]);
  const after = addresses(retired["prod-keys"]);
  expect(before.filter((a) => !after.includes(a))).toEqual([
    expect.stringMatching(/^aws_kms_key\.key-records_key_[0-9A-F]{8}$/),
  ]);
  expect(after.filter((a) => !before.includes(a))).toEqual([]);
});
