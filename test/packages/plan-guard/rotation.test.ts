/**
 * The plan guard on manual rotation (keys in a custom key store): the plan that raises a key's
 * generation is shown as a ROTATION (alias moved, previous key kept for decryption), not a deletion;
 * the later plan that retires the previous generation is the retirement of a rotated key (blocked,
 * with the key named and its loss stated); an unrelated key deletion stays `destroy-key-bearing`.
 * The before/after values come from the synthesized CustomerKey, so the plans are the ones a real
 * rotation makes.
 */
import { Testing } from "cdktf";
import { blockLine, classifyPlans, type JsonValue, type LoadedPlan } from "@cmk-stacks/plan-guard";
import { EnvironmentStack } from "../../../modules/core/environment-stack";
import { CustomerKey, type CustomerKeyProps } from "../../../modules/keys/customer-key";
import type { StackJson } from "../../helpers/synth";
import { cfg, planOf, rc } from "./builders";

const ACCOUNT = "111111111111";
const props: CustomerKeyProps = {
  alias: "alias/t/app",
  administrators: [`arn:aws:iam::${ACCOUNT}:role/KeyAdmins`],
  users: [`arn:aws:iam::${ACCOUNT}:role/AppWriters`],
  keyStore: { kind: "cloudhsm", keyStoreId: "cks-1234567890", readyWhen: [] },
};
type Res = Record<string, Record<string, JsonValue>>;
const synth = (extra: Partial<CustomerKeyProps>): Res => {
  const stack = new EnvironmentStack(Testing.app(), "test", { name: "t", account: ACCOUNT, region: "eu-west-1" });
  new CustomerKey(stack, "appData", { ...props, ...extra });
  return ((JSON.parse(Testing.synth(stack)) as StackJson).resource?.aws_kms_key ?? {}) as Res;
};
/** What the provider records for a synthesized key (the attributes the guard reads). */
const state = (k: Record<string, JsonValue>, id: string): Record<string, JsonValue> => ({
  key_id: id,
  id,
  arn: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/${id}`,
  description: k.description,
  policy: k.policy,
  is_enabled: true,
  deletion_window_in_days: k.deletion_window_in_days,
  custom_key_store_id: k.custom_key_store_id,
  tags: k.tags,
});

const GEN1 = "aws_kms_key.appData_key_18A68D91";
const plain = synth({});
const rotated = synth({ generations: { current: 2 } });
const gen2Name = Object.keys(rotated).find((n) => n.startsWith("appData_key-gen2_")) as string;
const GEN2 = `aws_kms_key.${gen2Name}`;
const ALIAS = "aws_kms_alias.appData_alias_A1B2C3D4";

/** The plan of raising generations.current from (nothing) to 2. */
function rotationPlan(): LoadedPlan {
  const gen2After = state(rotated[gen2Name], "k2");
  return planOf(
    [
      rc(GEN1, ["update"], state(plain.appData_key_18A68D91, "k1"), state(rotated.appData_key_18A68D91, "k1")),
      rc(
        GEN2,
        ["create"],
        null,
        { ...gen2After, key_id: null, id: null, arn: null },
        {
          change: {
            actions: ["create"],
            before: null,
            after: { ...gen2After, key_id: null, id: null, arn: null },
            after_unknown: { key_id: true, id: true, arn: true },
          },
        },
      ),
      rc(
        ALIAS,
        ["update"],
        { name: "alias/t/app", target_key_id: "k1" },
        { name: "alias/t/app", target_key_id: null },
        {
          change: {
            actions: ["update"],
            before: { name: "alias/t/app", target_key_id: "k1" },
            after: { name: "alias/t/app", target_key_id: null },
            after_unknown: { target_key_id: true },
          },
        },
      ),
    ],
    { config: [cfg(ALIAS, { target_key_id: `${GEN2}.key_id` }), cfg(GEN1), cfg(GEN2)] },
  );
}

/** The later plan that retires generation 1 (generations: { current: 2, retired: [1] }). */
function retirementPlan(aliasTarget = "k2"): LoadedPlan {
  return planOf([
    rc(GEN1, ["delete"], state(rotated.appData_key_18A68D91, "k1"), null),
    rc(GEN2, ["no-op"], state(rotated[gen2Name], "k2"), state(rotated[gen2Name], "k2")),
    rc(
      ALIAS,
      ["no-op"],
      { name: "alias/t/app", target_key_id: aliasTarget },
      { name: "alias/t/app", target_key_id: aliasTarget },
    ),
  ]);
}

describe("a rotation plan", () => {
  const result = classifyPlans([rotationPlan()]);

  test("blocks nothing: no key is deleted, replaced or disabled", () => {
    expect(result.blocked.map(blockLine)).toEqual([]);
    expect(result.exitCode).toBe(0);
  });

  test("shows the alias move as a ROTATION naming both generations, the previous one kept for decryption", () => {
    const rotation = result.risky.filter((f) => f.rule === "key-rotation");
    expect(rotation.map((f) => [f.address, f.why])).toEqual([
      [
        ALIAS,
        `ROTATION: alias alias/t/app: key ${GEN1} (generation 1 of t/app) -> key ${GEN2} (generation 2 of t/app), created in this plan; the previous key is kept, enabled, for decryption (its policy changes in this plan: users keep decrypt only); everything that encrypts by this alias uses the new key from the next request`,
      ],
    ]);
    // The generic "alias repointed" note is not repeated for the same alias.
    expect(result.risky.filter((f) => f.address === ALIAS)).toHaveLength(1);
  });

  test("the previous key's narrowed policy is reported for review, not blocked", () => {
    const gen1 = result.risky.filter((f) => f.address === GEN1);
    expect(gen1.length).toBeGreaterThan(0);
    expect(gen1.map((f) => f.why).join(" ")).toMatch(/kms:Encrypt/);
  });

  test("a previous key tagged superseded whose new policy still lets users encrypt is not called decrypt-only", () => {
    const p = rotationPlan();
    const gen1 = p.plan.resource_changes!.find((c) => c.address === GEN1)!;
    // The tags say superseded, but the policy is the old one's with its statement id changed: users may still Encrypt.
    const writable = (plain.appData_key_18A68D91.policy as string).replace('"Sid":"KeyUse"', '"Sid":"KeyUseKept"');
    (gen1.change.after as Record<string, JsonValue>).policy = writable;
    const why = classifyPlans([p]).risky.find((f) => f.rule === "key-rotation")?.why;
    expect(why).toContain(
      `the previous key is kept, enabled, for decryption (its policy changes in this plan, but it still lets arn:aws:iam::${ACCOUNT}:role/AppWriters make new ciphertext under it)`,
    );
    expect(why).not.toContain("users keep decrypt only");
  });

  test("an alias moved to a key outside the previous key's store is said to leave it", () => {
    const p = rotationPlan();
    const gen2 = p.plan.resource_changes!.find((c) => c.address === GEN2)!;
    delete (gen2.change.after as Record<string, JsonValue>).custom_key_store_id;
    expect(classifyPlans([p]).risky.find((f) => f.rule === "key-rotation")?.why).toContain(
      `created in this plan; the new key is not in the previous key's store: key store cks-1234567890 -> no custom key store (KMS's own key material); the previous key`,
    );
    (gen2.change.after as Record<string, JsonValue>).custom_key_store_id = "cks-0987654321";
    expect(classifyPlans([p]).risky.find((f) => f.rule === "key-rotation")?.why).toContain(
      "the new key is not in the previous key's store: key store cks-1234567890 -> key store cks-0987654321",
    );
  });

  test("moving the alias while deleting the previous key in the same plan is not a rotation", () => {
    const p = rotationPlan();
    const changes = p.plan.resource_changes!.map((c) =>
      c.address === GEN1 ? rc(GEN1, ["delete"], c.change.before ?? null, null) : c,
    );
    const r = classifyPlans([{ ...p, plan: { ...p.plan, resource_changes: changes } }]);
    expect(r.blocked.map((f) => [f.address, f.rule])).toEqual([[GEN1, "destroy-key-bearing"]]);
    expect(r.risky.find((f) => f.rule === "key-rotation")?.why).toBe(
      `alias alias/t/app moves from key ${GEN1} (of t/app) to key ${GEN2} (generation 2 of t/app), created in this plan, but the previous key is deleted in the same plan: this is not a rotation, data still encrypted under it becomes unreadable`,
    );
  });

  test.each([
    [["forget"], "forgotten (no longer managed or protected)"],
    [["delete", "update"], "given an action the guard does not know"],
  ])("moving the alias while the previous key is %j is not a rotation either", (actions, words) => {
    const p = rotationPlan();
    const changes = p.plan.resource_changes!.map((c) =>
      c.address === GEN1 ? rc(GEN1, actions, c.change.before ?? null, null) : c,
    );
    const r = classifyPlans([{ ...p, plan: { ...p.plan, resource_changes: changes } }]);
    expect(r.blocked.map((f) => [f.address, f.rule])).toContainEqual([GEN1, "destroy-key-bearing"]);
    expect(r.risky.find((f) => f.rule === "key-rotation")?.why).toContain(
      `, but the previous key is ${words} in the same plan: this is not a rotation`,
    );
  });
});

describe("a retirement plan", () => {
  test("is the retirement of a rotated key: blocked, the key and its window named, the loss stated", () => {
    const r = classifyPlans([retirementPlan()]);
    expect(r.blocked.map((f) => [f.address, f.action, f.rule])).toEqual([[GEN1, "delete", "retire-rotated-key"]]);
    expect(r.blocked[0].why).toBe(
      "retires generation 1 of key t/app (k1), a rotated key kept for decryption (no alias points at it): KMS schedules its deletion after its 30-day window; KMS schedules the key for deletion, and when the window ends every byte encrypted under it (S3 objects, EBS volumes, FSx data, data keys) can never be decrypted again; a key in an external key store cannot be recreated even from the same external key",
    );
    expect(r.blocked[0].fix).toMatch(/^retire it only after every object under it is re-encrypted .* --last-use /);
    expect(r.exitCode).toBe(1);
  });

  test("a superseded key that an alias still points at is an ordinary key deletion", () => {
    const r = classifyPlans([retirementPlan("k1")]);
    expect(r.blocked.map((f) => [f.address, f.rule])).toContainEqual([GEN1, "destroy-key-bearing"]);
    expect(r.blocked.some((f) => f.rule === "retire-rotated-key")).toBe(false);
  });

  test("an unrelated key deletion stays destroy-key-bearing", () => {
    const r = classifyPlans([
      planOf([rc("aws_kms_key.other", ["delete"], state(plain.appData_key_18A68D91, "k9"), null)]),
    ]);
    expect(r.blocked.map((f) => [f.address, f.rule])).toEqual([["aws_kms_key.other", "destroy-key-bearing"]]);
  });

  test("a current generation deleted (tag says current) stays destroy-key-bearing", () => {
    const r = classifyPlans([planOf([rc(GEN2, ["delete"], state(rotated[gen2Name], "k2"), null)])]);
    expect(r.blocked.map((f) => [f.address, f.rule])).toEqual([[GEN2, "destroy-key-bearing"]]);
  });

  test("a replaced superseded key is a replacement, never a retirement", () => {
    const before = state(rotated.appData_key_18A68D91, "k1");
    const r = classifyPlans([planOf([rc(GEN1, ["delete", "create"], before, { ...before, key_id: null })])]);
    expect(r.blocked.map((f) => [f.address, f.rule])).toEqual([[GEN1, "destroy-key-bearing"]]);
  });
});

describe("a superseded generation's policy", () => {
  const superseded = state(rotated.appData_key_18A68D91, "k1");
  test("made writable again (its deny of Encrypt removed) is shown, naming who regains it", () => {
    const writable = { ...superseded, policy: plain.appData_key_18A68D91.policy };
    const r = classifyPlans([planOf([rc(GEN1, ["update"], superseded, writable)])]);
    expect(r.blocked).toEqual([]);
    expect(r.risky.filter((f) => f.rule === "key-generation-writable").map((f) => f.why)).toEqual([
      `key ${GEN1} (generation 1 of t/app) is a superseded generation (KeyGenerationState = superseded), kept to decrypt, and its policy now lets arn:aws:iam::${ACCOUNT}:role/AppWriters make new ciphertext under it (Encrypt, GenerateDataKey* or ReEncryptTo): new data would land under a key meant to be retired`,
    ]);
  });

  test("narrowed to decrypt-only (the rotation plan), or a current generation made writable: nothing of this rule", () => {
    expect(classifyPlans([rotationPlan()]).risky.filter((f) => f.rule === "key-generation-writable")).toEqual([]);
    const current = state(rotated[gen2Name], "k2");
    const r = classifyPlans([
      planOf([rc(GEN2, ["update"], current, { ...current, policy: plain.appData_key_18A68D91.policy })]),
    ]);
    expect(r.risky.filter((f) => f.rule === "key-generation-writable")).toEqual([]);
  });
});
