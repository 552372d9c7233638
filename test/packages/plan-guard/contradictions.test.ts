/**
 * A plan that contradicts itself is malformed (exit 2, the contradicting field named by its path),
 * like any other unexpected shape: the guard trusts neither side. Edits of a real plan (the corpus)
 * and crafted ones: type, name, mode, module and instance key against the address, duplicate
 * addresses, resource_changes against planned_values and prior_state, configuration addresses.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { checkPlanJson } from "../../../packages/plan-guard/read";
import { parseAddress } from "../../../packages/plan-guard/address";
import { planOf, rc } from "./builders";

const problems = (plan: unknown) => checkPlanJson(plan, "p.json").problems.map((p) => p.slice("p.json: ".length));
const keyDelete = (address = "aws_kms_key.k", extra = {}) => rc(address, ["delete"], { id: "k1" }, null, extra);
const planWith = (...changes: object[]) => ({ ...planOf([]).plan, resource_changes: changes });

describe("resource addresses", () => {
  test.each([
    ["aws_kms_key.k", { module: "", mode: "managed", type: "aws_kms_key", name: "k" }],
    [
      'module.a["x.y"].module.b[2].data.aws_iam_policy_document.d',
      { module: 'module.a["x.y"].module.b[2]', mode: "data", type: "aws_iam_policy_document", name: "d" },
    ],
    ['aws_kms_grant.g["a]b"]', { module: "", mode: "managed", type: "aws_kms_grant", name: "g", index: "a]b" }],
    ["aws_kms_key.k[3]", { module: "", mode: "managed", type: "aws_kms_key", name: "k", index: 3 }],
  ])("%s reads as %j", (a, parsed) => expect(parseAddress(a)).toEqual(parsed));
  test.each(["aws_kms_key", "a.b.c", "aws_kms_key.k[x]", "module.m.aws_kms_key", 'aws_kms_key.k["x"'])(
    "%s is not an address",
    (a) => expect(parseAddress(a)).toBeUndefined(),
  );
});

describe("a plan that contradicts itself", () => {
  test("a type other than the address says: named, and left out (the guard trusts neither)", () => {
    const { plan, problems: p } = checkPlanJson(
      planWith(keyDelete("aws_kms_key.k", { type: "aws_s3_bucket" })),
      "p.json",
    );
    expect(p).toEqual([
      'p.json: resource_changes[0].type: "aws_s3_bucket" contradicts the address "aws_kms_key.k" (which says "aws_kms_key")',
    ]);
    expect(plan.resource_changes).toEqual([]);
  });

  test.each([
    [
      "name",
      keyDelete("aws_kms_key.k", { name: "other" }),
      'resource_changes[0].name: "other" contradicts the address "aws_kms_key.k" (which says "k")',
    ],
    [
      "mode: a managed key written as data",
      { ...keyDelete("data.aws_kms_key.k"), change: { actions: ["read"], before: null, after: {} } },
      'resource_changes[0].mode: "managed" contradicts the address "data.aws_kms_key.k" (which says "data")',
    ],
    [
      "mode: a data source at a managed address",
      { ...keyDelete(), mode: "data", change: { actions: ["read"], before: null, after: {} } },
      'resource_changes[0].mode: "data" contradicts the address "aws_kms_key.k" (which says "managed")',
    ],
    [
      "module_address",
      keyDelete("module.keys.aws_kms_key.k", { module_address: "module.other" }),
      'resource_changes[0].module_address: "module.other" contradicts the address "module.keys.aws_kms_key.k" (which says "module.keys")',
    ],
    [
      "module_address missing for a module resource",
      keyDelete("module.keys.aws_kms_key.k"),
      'resource_changes[0].module_address: "" contradicts the address "module.keys.aws_kms_key.k" (which says "module.keys")',
    ],
    [
      "module_address on a root resource",
      keyDelete("aws_kms_key.k", { module_address: "module.keys" }),
      'resource_changes[0].module_address: "module.keys" contradicts the address "aws_kms_key.k" (which says "")',
    ],
    [
      "index",
      keyDelete('aws_kms_key.k["a"]', { index: "b" }),
      'resource_changes[0].index: "b" contradicts the address "aws_kms_key.k[\\"a\\"]" (which says "a")',
    ],
    [
      "index as a number against a string key",
      keyDelete('aws_kms_key.k["0"]', { index: 0 }),
      'resource_changes[0].index: 0 contradicts the address "aws_kms_key.k[\\"0\\"]" (which says "0")',
    ],
    [
      "index without one in the address",
      keyDelete("aws_kms_key.k", { index: 1 }),
      'resource_changes[0].index: 1 contradicts the address "aws_kms_key.k" (which says null)',
    ],
    [
      "an address that is none",
      keyDelete("aws_kms_key", { type: "aws_kms_key", name: "k" }),
      'resource_changes[0].address: "aws_kms_key" is not a resource address',
    ],
    [
      "a previous address that is none",
      keyDelete("aws_kms_key.k", { previous_address: "aws_kms_key" }),
      'resource_changes[0].previous_address: "aws_kms_key" is not a resource address',
    ],
  ])("%s", (_n, change, problem) => {
    expect(problems(planWith(change))).toEqual([problem]);
  });

  test("the same address twice (a deposed object under its own key is not a duplicate)", () => {
    expect(problems(planWith(keyDelete(), rc("aws_kms_key.k", ["no-op"], { id: "k1" }, { id: "k1" })))).toEqual([
      'resource_changes[1].address: "aws_kms_key.k" is listed twice (also at resource_changes[0])',
    ]);
    expect(problems(planWith(keyDelete(), keyDelete("aws_kms_key.k", { deposed: "abcd1234" })))).toEqual([]);
  });

  test("resource_changes and planned_values / prior_state disagreeing on a type", () => {
    const plan = planWith(keyDelete("module.keys.aws_kms_key.k", { module_address: "module.keys" })) as Record<
      string,
      unknown
    >;
    plan.planned_values = {
      root_module: {
        child_modules: [
          {
            address: "module.keys",
            resources: [{ address: "module.keys.aws_kms_key.k", mode: "managed", type: "aws_kms_key", name: "k" }],
          },
        ],
      },
    };
    plan.prior_state = {
      values: {
        root_module: {
          child_modules: [
            {
              address: "module.keys",
              resources: [
                { address: "module.keys.aws_s3_bucket.k", mode: "managed", type: "aws_s3_bucket", name: "k" },
              ],
            },
          ],
        },
      },
    };
    expect(problems(plan)).toEqual([]);
    (
      plan.prior_state as { values: { root_module: { child_modules: { resources: { address: string }[] }[] } } }
    ).values.root_module.child_modules[0].resources[0].address = "module.keys.aws_kms_key.k";
    expect(problems(plan)).toEqual([
      'prior_state.values.root_module.child_modules[0].resources[0].type: "aws_s3_bucket" contradicts the address "module.keys.aws_kms_key.k" (which says "aws_kms_key")',
    ]);
    const agreeing = planWith(keyDelete("module.keys.aws_kms_key.k", { module_address: "module.keys" })) as Record<
      string,
      unknown
    >;
    agreeing.prior_state = {
      values: {
        root_module: {
          child_modules: [
            {
              address: "module.keys",
              resources: [{ address: "module.keys.aws_kms_key.k", mode: "managed", type: "aws_kms_key", name: "k" }],
            },
          ],
        },
      },
    };
    expect(problems(agreeing)).toEqual([]);
  });

  test("a values entry listed in the wrong module", () => {
    const plan = planWith(rc("aws_kms_key.k", ["update"], { id: "k1" }, { id: "k1" })) as Record<string, unknown>;
    plan.planned_values = {
      root_module: {
        resources: [{ address: "module.x.aws_kms_key.j", mode: "managed", type: "aws_kms_key", name: "j" }],
      },
    };
    expect(problems(plan)).toEqual([
      'planned_values.root_module.resources[0].address: "module.x.aws_kms_key.j" is listed in the root module',
    ]);
  });

  test("a configuration resource whose type contradicts its address", () => {
    const plan = planOf([keyDelete()]).plan as unknown as { configuration: { root_module: { resources: object[] } } };
    plan.configuration.root_module.resources = [
      { address: "aws_kms_key.k", mode: "managed", type: "aws_s3_bucket", name: "k" },
    ];
    expect(problems(plan)).toEqual([
      'configuration.root_module.resources[0].type: "aws_s3_bucket" contradicts the address "aws_kms_key.k"',
    ]);
  });

  const CORPUS = process.env.CMK_PLAN_CORPUS ?? "/work/shared/corpora/terraform-plans";
  const FILE = join(CORPUS, "terraform-compliance", "test_kms_key_rotation_success__plan.out.json");
  (existsSync(FILE) ? test : test.skip)(
    "an edited real plan: the key's type changed to a bucket's in resource_changes only",
    () => {
      const plan = JSON.parse(readFileSync(FILE, "utf8")) as { resource_changes: { type: string; address: string }[] };
      expect(problems(JSON.parse(JSON.stringify(plan)))).toEqual([]);
      const i = plan.resource_changes.findIndex((r) => r.type === "aws_kms_key");
      const address = plan.resource_changes[i].address;
      plan.resource_changes[i].type = "aws_s3_bucket";
      expect(problems(plan)).toEqual([
        `resource_changes[${i}].type: "aws_s3_bucket" contradicts the address "${address}" (which says "aws_kms_key")`,
      ]);
    },
  );
});
