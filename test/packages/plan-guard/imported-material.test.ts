/**
 * Keys with imported material (BYOK) in the guard. Plans are derived from a real one in the corpus
 * (terraform-compliance `test_kms_key_rotation_success`, a Terraform-written plan with one
 * aws_kms_key): its key turned into an aws_kms_external_key as Terraform would write it, then
 * changed the way each case needs. Falls back to the same shape built by hand when the corpus is
 * missing, so the verdicts are always checked.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Testing } from "cdktf";
import { EnvironmentStack } from "../../../modules/core/environment-stack";
import { ImportedKey } from "../../../modules/keys/imported-key";
import {
  blockLine,
  classifyPlans,
  judgePolicy,
  type JsonObject,
  type LoadedPlan,
  type PlanJson,
} from "@cmk-stacks/plan-guard";
import { valuesOf } from "../../../packages/plan-guard/plan-index";
import { planOf, policy, rc, ROOT_STATEMENT, ADMIN_STATEMENT, USE_STATEMENT } from "./builders";

const CORPUS_PLAN =
  "/work/shared/corpora/terraform-plans/terraform-compliance/test_kms_key_rotation_success__plan.out.json";
const MATERIAL = "q83vASNFZ4mrze8BI0VniavN7wEjRWeJq83vASNFZ4k="; // base64 of a made-up 256-bit key
const ARN = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const POLICY = policy(ROOT_STATEMENT, ADMIN_STATEMENT, USE_STATEMENT);

/** The external key's attributes as the provider reports them (no material unless given). */
const keyValues = (extra: JsonObject = {}): JsonObject => ({
  arn: ARN,
  id: "1234abcd-12ab-34cd-56ef-1234567890ab",
  deletion_window_in_days: 30,
  description: "Imported customer key archive (staging)",
  enabled: true,
  expiration_model: "KEY_MATERIAL_DOES_NOT_EXPIRE",
  key_state: "Enabled",
  key_usage: "ENCRYPT_DECRYPT",
  multi_region: false,
  policy: POLICY,
  key_material_base64: null,
  valid_to: null,
  ...extra,
});

/** The corpus plan with its aws_kms_key turned into aws_kms_external_key, then `edit`ed. */
function derived(
  actions: string[],
  before: JsonObject | null,
  after: JsonObject | null,
  change: JsonObject = {},
  configured: JsonObject = {},
): LoadedPlan {
  const base: PlanJson = existsSync(CORPUS_PLAN)
    ? (JSON.parse(readFileSync(CORPUS_PLAN, "utf8")) as PlanJson)
    : (planOf([rc("aws_kms_key.test-key", ["create"], null, {})]).plan as PlanJson);
  const key = (base.resource_changes ?? []).find((r) => r.type === "aws_kms_key");
  if (!key) throw new Error("the corpus plan has no aws_kms_key");
  Object.assign(key, { address: "aws_kms_external_key.test-key", type: "aws_kms_external_key", name: "test-key" });
  key.change = { ...key.change, actions, before, after, after_unknown: {}, ...change } as typeof key.change;
  for (const r of base.configuration?.root_module?.resources ?? []) {
    if (r.type !== "aws_kms_key") continue;
    Object.assign(r, { address: "aws_kms_external_key.test-key", type: "aws_kms_external_key" });
    r.expressions = {
      description: { constant_value: "Imported customer key archive (staging)" },
      ...configured,
    } as typeof r.expressions;
  }
  return { stack: "staging-keys", plan: base };
}

const verdict = (p: LoadedPlan) => {
  const r = classifyPlans([p]);
  return {
    exit: r.exitCode,
    blocked: r.blocked.map((f) => [f.address, f.action, f.rule]),
    risky: r.risky.map((f) => [f.address, f.rule]),
    lines: r.blocked.map(blockLine),
  };
};

describe("aws_kms_external_key is guarded like every KMS key", () => {
  test("created without material (what ImportedKey synthesizes): passes, and a plain create is nothing to review", () => {
    const v = verdict(
      derived(["create"], null, keyValues({ key_state: null, expiration_model: null, enabled: null }), {
        after_sensitive: { key_material_base64: false },
      }),
    );
    expect(v).toEqual({ exit: 0, blocked: [], risky: [], lines: [] });
  });

  test("created with an expiry: risky, with the date and what happens then", () => {
    const r = classifyPlans([
      derived(["create"], null, keyValues({ valid_to: "2099-01-01T00:00:00Z", key_state: null, enabled: null }), {
        after_sensitive: { key_material_base64: false },
      }),
    ]);
    expect(r.risky.map((f) => [f.rule, f.why])).toEqual([
      [
        "key-resource-change",
        "the imported key material expires at 2099-01-01T00:00:00Z: KMS then deletes it and every request under the key fails (PendingImport) until the same material is imported again",
      ],
    ]);
  });

  test.each([
    [["delete"], "delete"],
    [["delete", "create"], "replace"],
    [["create", "delete"], "replace"],
    [["forget"], "forget"],
  ])("action %j is blocked (destroy-key-bearing)", (actions, action) => {
    const v = verdict(derived(actions, keyValues(), actions.length === 1 ? null : keyValues()));
    expect(v.exit).toBe(1);
    expect(v.blocked).toEqual([["aws_kms_external_key.test-key", action, "destroy-key-bearing"]]);
    expect(v.lines[0]).toContain("re-importing needs the original key material, which must still exist outside AWS");
  });

  test("disabling it is blocked (key-disabled)", () => {
    expect(verdict(derived(["update"], keyValues(), keyValues({ enabled: false }))).blocked).toEqual([
      ["aws_kms_external_key.test-key", "update", "key-disabled"],
    ]);
  });

  test("a policy that drops the administrators' PutKeyPolicy is judged like any key policy", () => {
    const locked = policy({
      Sid: "KeyUse",
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::111122223333:role/app" },
      Action: ["kms:Decrypt"],
      Resource: "*",
    });
    const v = verdict(derived(["update"], keyValues(), keyValues({ policy: locked })));
    expect(v.exit).toBe(1);
    expect(v.blocked.map((b) => b[2])).toContain("key-policy-lockout");
  });
});

describe("plaintext material in the plan", () => {
  test.each([
    [
      "set on create",
      derived(
        ["create"],
        null,
        keyValues({ key_material_base64: MATERIAL }),
        { after_sensitive: { key_material_base64: true } },
        { key_material_base64: { constant_value: MATERIAL } },
      ),
      "create",
    ],
    [
      "already in state, no change (no-op)",
      derived(
        ["no-op"],
        keyValues({ key_material_base64: MATERIAL }),
        keyValues({ key_material_base64: MATERIAL }),
        {},
        { key_material_base64: { references: ["var.material"] } },
      ),
      "no-op",
    ],
    [
      "known only after apply",
      derived(["create"], null, keyValues({ key_material_base64: null }), {
        after_unknown: { key_material_base64: true },
      }),
      "create",
    ],
  ])("%s: blocked (key-material-in-plan), and the material is never quoted", (_, plan, action) => {
    const r = classifyPlans([plan]);
    expect(r.exitCode).toBe(1);
    expect(r.blocked.map((f) => [f.action, f.rule])).toEqual([[action, "key-material-in-plan"]]);
    expect(blockLine(r.blocked[0])).toBe(
      `BLOCKED [staging-keys] aws_kms_external_key.test-key (${action}): carries key_material_base64: the plaintext key material is in this plan file and its \`terraform show -json\` (sensitive values are written there in cleartext) and in the state. Avoid: remove key_material_base64 and import the material with the import-key-material step (docs/byok.md); treat this plan file, its JSON and the state as copies of the key: delete the plan files and keep the state as protected as the key manager.`,
    );
    expect(JSON.stringify(r)).not.toContain(MATERIAL);
  });
});

describe("a real plan of the shipped staging-keys (Terraform 1.11.4, AWS provider 5.100.0, offline: npm run validate -- --save-plans), its imported key only", () => {
  const real = (): PlanJson =>
    JSON.parse(
      readFileSync(join(__dirname, "..", "..", "fixtures", "staging-keys-external-key.plan.json"), "utf8"),
    ) as PlanJson;
  const keyOf = (p: PlanJson) =>
    (p.resource_changes ?? []).find((r) => r.type === "aws_kms_external_key") as NonNullable<
      PlanJson["resource_changes"]
    >[number];

  test("as synthesized (no material; the provider still flags key_material_base64 sensitive): passes, nothing to review", () => {
    const p = real();
    expect(valuesOf(keyOf(p).change.after).key_material_base64).toBeNull();
    expect((keyOf(p).change.after_sensitive as JsonObject).key_material_base64).toBe(true);
    const r = classifyPlans([{ stack: "staging-keys", plan: p }]);
    expect(r.exitCode).toBe(0);
    expect(r.risky).toEqual([]);
  });

  test("the same plan with the material set (what key_material_base64 in the configuration gives): blocked, never quoted", () => {
    const p = real();
    (keyOf(p).change.after as JsonObject).key_material_base64 = MATERIAL;
    const r = classifyPlans([{ stack: "staging-keys", plan: p }]);
    expect(r.blocked.map((f) => [f.address, f.rule])).toEqual([
      ["aws_kms_external_key.key-archive_key_99BD6519", "key-material-in-plan"],
    ]);
    expect(JSON.stringify(r)).not.toContain(MATERIAL);
  });

  test("planned by the real provider with key_material_base64 in the configuration: show -json carries it in cleartext; blocked, never quoted", () => {
    const p = JSON.parse(
      readFileSync(
        join(__dirname, "..", "..", "fixtures", "staging-keys-external-key-with-material.plan.json"),
        "utf8",
      ),
    ) as PlanJson;
    expect(valuesOf(keyOf(p).change.after).key_material_base64).toBe(MATERIAL);
    const r = classifyPlans([{ stack: "staging-keys", plan: p }]);
    expect(r.blocked.map((f) => [f.address, f.action, f.rule])).toEqual([
      ["aws_kms_external_key.key-archive_key_99BD6519", "create", "key-material-in-plan"],
    ]);
    expect(JSON.stringify(r)).not.toContain(MATERIAL);
  });

  test("the same key applied, then deleted: blocked", () => {
    const p = real();
    const k = keyOf(p);
    k.change = {
      ...k.change,
      actions: ["delete"],
      before: { ...(k.change.after as JsonObject), id: "1234abcd-12ab-34cd-56ef-1234567890ab", arn: ARN },
      after: null,
    };
    expect(classifyPlans([{ stack: "staging-keys", plan: p }]).blocked.map((f) => [f.action, f.rule])).toEqual([
      ["delete", "destroy-key-bearing"],
    ]);
  });
});

describe("changes shaped like DeleteImportedKeyMaterial", () => {
  test("removing key_material_base64 from a key that had it: material changed, and still in the plan (before)", () => {
    const v = verdict(derived(["update"], keyValues({ key_material_base64: MATERIAL }), keyValues()));
    expect(v.blocked).toEqual([
      ["aws_kms_external_key.test-key", "update", "key-material-in-plan"],
      ["aws_kms_external_key.test-key", "update", "imported-material-changed"],
    ]);
    expect(v.lines[1]).toBe(
      "BLOCKED [staging-keys] aws_kms_external_key.test-key (update): removes key_material_base64: KMS accepts only the material the key already had, and a key without its material is unusable (PendingImport) for every request. Avoid: keep the key's material as it is; new material goes through on-demand rotation (import-key-material --rotate), never through Terraform.",
    );
    expect(JSON.stringify(v)).not.toContain(MATERIAL);
  });

  test("setting an expiry on material that did not expire: blocked with the date", () => {
    const v = verdict(derived(["update"], keyValues(), keyValues({ valid_to: "2099-01-01T00:00:00Z" })));
    expect(v.blocked).toEqual([["aws_kms_external_key.test-key", "update", "imported-material-expires"]]);
    expect(v.lines[0]).toBe(
      "BLOCKED [staging-keys] aws_kms_external_key.test-key (update): sets valid_to to 2099-01-01T00:00:00.000Z: KMS deletes the material when it expires and every request under the key fails (PendingImport) until the same material is imported again. Avoid: leave the expiry to the import step (import-key-material --reimport --valid-days <n>) and keep valid_to out of the configuration (ignore_changes).",
    );
  });

  test("moving the expiry earlier, and into the past: blocked", () => {
    expect(
      verdict(
        derived(
          ["update"],
          keyValues({ valid_to: "2099-06-01T00:00:00Z" }),
          keyValues({ valid_to: "2099-01-01T00:00:00Z" }),
        ),
      ).blocked.map((b) => b[2]),
    ).toEqual(["imported-material-expires"]);
    expect(
      verdict(
        derived(
          ["update"],
          keyValues({ valid_to: "2000-06-01T00:00:00Z" }),
          keyValues({ valid_to: "2000-07-01T00:00:00Z" }),
        ),
      ).lines[0],
    ).toContain("sets valid_to to 2000-07-01T00:00:00.000Z (in the past): KMS deletes the material");
  });

  test("near misses pass: a later expiry (shown for review), an expiry removed, a description change (neither is)", () => {
    for (const [b, a] of [
      [{ valid_to: "2099-01-01T00:00:00Z" }, { valid_to: "2099-06-01T00:00:00Z" }],
      [{ valid_to: "2099-01-01T00:00:00Z" }, { valid_to: null }],
      [{}, { description: "renamed" }],
    ] as JsonObject[][]) {
      const v = verdict(derived(["update"], keyValues(b), keyValues(a)));
      expect(v.exit).toBe(0);
      expect(v.risky.map((x) => x[1])).toEqual(a.valid_to ? ["key-resource-change"] : []);
    }
  });

  test("an expiry known only after apply is risky", () => {
    const v = verdict(derived(["update"], keyValues(), keyValues(), { after_unknown: { valid_to: true } }));
    expect(v.exit).toBe(0);
    expect(v.risky).toEqual([["aws_kms_external_key.test-key", "imported-material-expiry-unknown"]]);
  });
});

test("the policy ImportedKey synthesizes (importers, a Deny of DeleteImportedKeyMaterial to everyone) is manageable, not public, in both forms", () => {
  for (const form of ["account", "closed"] as const) {
    const stack = new EnvironmentStack(Testing.app(), "t", { name: "t", account: "111122223333", region: "eu-west-1" });
    const key = new ImportedKey(stack, "k", {
      name: "k",
      alias: "alias/t/k",
      policy: form,
      administrators: ["arn:aws:iam::111122223333:role/admin"],
      users: ["arn:aws:iam::111122223333:role/app"],
      importers: ["arn:aws:iam::111122223333:role/custodian"],
    });
    expect(judgePolicy(key.resource.policyInput as string, ARN)).toMatchObject({ manageable: "sure", public: false });
  }
});
