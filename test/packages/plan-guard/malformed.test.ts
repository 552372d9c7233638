/**
 * Malformed plans fail closed and still report: every unexpected shape is named with the file and
 * its path, the exit code is 2, and every blocked change that could be read is still reported.
 * The fuzz loop mutates real plans (the shared corpus) and crafted ones (wrong types, nulls,
 * missing keys, huge and deeply nested values) and asserts no crash and no silent pass.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { classifyPlans, runCli } from "@cmk-stacks/plan-guard";
import { checkPlanJson } from "../../../packages/plan-guard/read";
import { scratchDir } from "../../tools/terraform/fixtures";
import { planOf, rc } from "./builders";

const s = scratchDir("guard-malformed");
afterAll(s.cleanup);
const run = async (content: unknown, name = "plan.json") => {
  const file = join(s.dir, name);
  writeFileSync(file, JSON.stringify(content));
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli([`k=${file}`, "--allowlist", join(__dirname, "empty.allow.json")], {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  });
  return { code, out, err, file };
};

const keyDelete = () => rc("aws_kms_key.main", ["delete"], { id: "k1" }, null);

describe("malformed plans", () => {
  test("a bad entry is named by its path, exit 2, and the readable key delete is still reported", async () => {
    const plan = planOf([keyDelete(), rc("aws_s3_bucket.b", ["delete"], { bucket: "b" }, null)]).plan as unknown as {
      resource_changes: { change: { actions: unknown } }[];
    };
    plan.resource_changes[1].change.actions = [7];
    const r = await run(plan);
    expect(r.code).toBe(2);
    expect(r.err).toEqual([`plan-guard: ${r.file}: resource_changes[1].change.actions: expected an array of strings`]);
    expect(r.out.filter((l) => l.startsWith("BLOCKED"))).toEqual([
      expect.stringMatching(/^BLOCKED \[k\] aws_kms_key\.main \(delete\): /),
    ]);
    expect(r.out.at(-1)).toBe("plan-guard: input errors (exit 2); 1 blocked change(s) in what could be read");
  });

  test("every problem at once, each with its path", async () => {
    const plan = planOf([keyDelete()]).plan as unknown as Record<string, unknown>;
    plan.resource_drift = "no";
    (plan.configuration as Record<string, unknown>).root_module = {
      resources: [{ address: 3 }],
      module_calls: { m: 4 },
    };
    (plan.resource_changes as Record<string, unknown>[]).push({
      type: "aws_kms_key",
      name: "x",
      change: { actions: ["update"], before: "text", after: {} },
    });
    const r = await run(plan);
    expect(r.code).toBe(2);
    expect(r.err.map((l) => l.slice(`plan-guard: ${r.file}: `.length))).toEqual([
      "resource_changes[1].change.before: expected an object or null",
      "resource_drift: expected an array of resource changes",
      "configuration.root_module.resources[0]: expected a resource with address and type strings",
      "configuration.root_module.module_calls.m: expected an object",
    ]);
    expect(r.out.filter((l) => l.startsWith("BLOCKED"))).toHaveLength(1);
  });

  test("a key delete disguised as a data source is a problem, not a silent pass", async () => {
    const plan = planOf([{ ...keyDelete(), mode: "data" }]).plan;
    const r = await run(plan);
    expect(r.code).toBe(2);
    expect(r.err).toEqual([
      `plan-guard: ${r.file}: resource_changes[0].mode: "data" with actions [delete]: a data source is only read`,
    ]);
  });

  test("a value nested 100,000 deep is reported, not a stack overflow", async () => {
    let deep: unknown = "x";
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const plan = planOf([keyDelete(), rc("aws_instance.i", ["update"], { a: 1 }, { a: deep as never })]).plan;
    const { problems } = checkPlanJson(plan, "p.json");
    expect(problems).toEqual(["p.json: resource_changes[1].change.after: nested deeper than 64 levels"]);
    expect(classifyPlans([{ stack: "k", plan, problems }]).exitCode).toBe(2);
  });
});

/** A small deterministic generator, so a failure can be replayed. */
function prng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every [container, key, path] inside a value, down to a depth. */
function slots(v: Json, path = "", depth = 0, out: [Record<string, Json> | Json[], string | number, string][] = []) {
  if (depth > 8 || v === null || typeof v !== "object") return out;
  if (Array.isArray(v))
    v.forEach((c, i) => {
      out.push([v, i, `${path}[${i}]`]);
      slots(c, `${path}[${i}]`, depth + 1, out);
    });
  else
    for (const [k, c] of Object.entries(v)) {
      out.push([v, k, path ? `${path}.${k}` : k]);
      slots(c, path ? `${path}.${k}` : k, depth + 1, out);
    }
  return out;
}

function nested(depth: number): Json {
  let d: Json = {};
  for (let i = 0; i < depth; i++) d = { a: [d] };
  return d;
}

const MUTATIONS: [string, (r: () => number) => Json | undefined][] = [
  ["null", () => null],
  ["missing", () => undefined],
  ["number", () => 42],
  ["string", () => "x"],
  ["boolean", () => true],
  ["array", () => [1, "a", null]],
  ["object", () => ({ odd: {} })],
  ["huge string", () => "A".repeat(200_000)],
  ["huge number", () => 1e308],
  ["deep", () => nested(2_000)],
  ["long array", () => Array.from({ length: 20_000 }, (_, i) => i)],
];

const CORPUS =
  process.env.CMK_PLAN_CORPUS ??
  [
    join(__dirname, "..", "..", "..", "..", "shared", "corpora", "terraform-plans"),
    "/work/shared/corpora/terraform-plans",
  ].find((d) => existsSync(d));
const corpusPlans: [string, Json][] = CORPUS
  ? [
      "terraform-compliance/test_kms_key_rotation_success__plan.out.json",
      "terraform-compliance/test_dynamodb_kms_key_problem__plan.out.json",
      "terraform-equivalence-tests/drift_simple.json",
      "terraform-show-json/basic-delete.json",
      "terraform-json/deep_module.json",
      "terraform-json/actions.json",
    ]
      .filter((f) => existsSync(join(CORPUS, f)))
      .map((f) => [f, JSON.parse(readFileSync(join(CORPUS, f), "utf8")) as Json])
  : [];

describe("fuzz: mutated real and crafted plans", () => {
  const crafted: [string, Json][] = [
    [
      "crafted key delete",
      planOf([
        keyDelete(),
        rc("aws_s3_bucket.b", ["update"], { bucket: "b", tags: { a: "1" } }, { bucket: "b", tags: { a: "2" } }),
      ]).plan as unknown as Json,
    ],
  ];
  const bases = [...crafted, ...corpusPlans];

  test(`${bases.length} plans x 60 mutations: exit 0/1/2, never a crash; a readable key delete is never a silent pass`, () => {
    expect(bases.length).toBeGreaterThanOrEqual(CORPUS ? 5 : 1);
    const rand = prng(20261202);
    const failures: string[] = [];
    for (const [name, base] of bases) {
      for (let i = 0; i < 60; i++) {
        const plan = JSON.parse(JSON.stringify(base)) as Json;
        const all = slots(plan);
        const done: string[] = [];
        for (let m = 0; m < 1 + Math.floor(rand() * 3) && all.length; m++) {
          const [container, key, path] = all[Math.floor(rand() * all.length)];
          const [what, make] = MUTATIONS[Math.floor(rand() * MUTATIONS.length)];
          const v = make(rand);
          if (v === undefined) {
            if (Array.isArray(container)) container.splice(key as number, 1);
            else delete container[key as string];
          } else (container as Record<string | number, Json>)[key] = v;
          done.push(`${path}=${what}`);
        }
        let code: number;
        let blockedKey = false;
        try {
          const { plan: checked, problems } = checkPlanJson(plan, "fuzz.json");
          const r = classifyPlans([{ stack: "fuzz", plan: checked, problems }]);
          code = r.exitCode;
          blockedKey = r.blocked.some((f) => f.address === "aws_kms_key.main");
        } catch (e) {
          // Only a plan that is no plan at all may throw, and only as one line naming the file.
          const msg = (e as Error).message;
          if ((e as Error).name !== "InputError" || !msg.startsWith("fuzz.json: ") || msg.includes("\n"))
            failures.push(`${name} ${done.join(" ")}: crashed: ${msg}`);
          continue;
        }
        if (![0, 1, 2].includes(code)) failures.push(`${name} ${done.join(" ")}: exit ${code}`);
        const touchedKey = done.some(
          (d) =>
            d.startsWith("resource_changes[0]") ||
            d.startsWith("resource_changes=") ||
            d.startsWith("resource_changes["),
        );
        // Silent pass: something of the key's change survives the mutations, yet nothing is blocked and no error is raised.
        const keyLeft = JSON.stringify((plan as { resource_changes?: Json }).resource_changes ?? null).includes(
          '"aws_kms_key"',
        );
        if (name === "crafted key delete" && keyLeft && code === 0)
          failures.push(`${name} ${done.join(" ")}: silent pass`);
        if (name === "crafted key delete" && !touchedKey && !blockedKey)
          failures.push(`${name} ${done.join(" ")}: the key delete was not reported`);
      }
    }
    expect(failures).toEqual([]);
  });

  test("through the command line: one line per problem on stderr, no stack trace", async () => {
    const rand = prng(7);
    for (const [, base] of bases.slice(0, 3)) {
      for (let i = 0; i < 8; i++) {
        const plan = JSON.parse(JSON.stringify(base)) as Json;
        const all = slots(plan);
        const [container, key] = all[Math.floor(rand() * all.length)];
        (container as Record<string | number, Json>)[key] = MUTATIONS[Math.floor(rand() * 7)][1](rand) ?? null;
        const r = await run(plan, `f${i}.json`);
        expect([0, 1, 2]).toContain(r.code);
        expect(r.err.join("\n")).not.toMatch(/\n\s+at |TypeError|RangeError/);
      }
    }
  });
});
