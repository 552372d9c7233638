import { environments } from "../../../environments";
import type { EnvironmentConfig } from "../../../environments/types";
import { validationMessages } from "../../../environments/validation";
import { generateEnvironments } from "../../../tools/bench/generate";

const byName = (envs: EnvironmentConfig[]) => Object.fromEntries(envs.map((e) => [e.name, e]));

/**
 * An environment added the README's way: dev.ts copied, its own account id and names, registered.
 * Its names follow a convention of its own (no `northwind-<env>-`, no `alias/<env>/`), and it is
 * called `env01`, the name the generator would otherwise give its first copy.
 */
function readmeCopy(name: string, account: string): EnvironmentConfig {
  const text = JSON.stringify(environments.dev)
    .replaceAll("111111111111", account)
    .replaceAll("alias/dev/", "alias/acme-")
    .replaceAll("northwind-dev-", "acme-");
  return { ...(JSON.parse(text) as EnvironmentConfig), name, tags: { CostCentre: "qa" } };
}

test("the scale benchmark's generated environments pass validation together (unique names across environments)", () => {
  const envs = generateEnvironments(12);
  expect(validationMessages(byName(envs))).toEqual([]);
});

describe("with an environment added the README's way", () => {
  const registry = { ...environments, env01: readmeCopy("env01", "444444444444") };

  test("the registry itself is valid (the copy is a correct addition)", () => {
    expect(validationMessages(registry)).toEqual([]);
  });

  test("the generated environments pass validation together and beside the registry", () => {
    const envs = generateEnvironments(12, registry);
    expect(validationMessages(byName(envs))).toEqual([]);
    expect(validationMessages({ ...registry, ...byName(envs) })).toEqual([]);
  });

  test("names and accounts are never the registry's, and never repeat", () => {
    const envs = generateEnvironments(12, registry);
    const names = envs.map((e) => e.name);
    expect(names).not.toContain("env01");
    expect(names.slice(0, 2)).toEqual(["env02", "env03"]);
    expect(new Set(names).size).toBe(12);
    const accounts = envs.map((e) => e.account);
    expect(new Set(accounts).size).toBe(12);
    for (const a of accounts) expect(JSON.stringify(registry)).not.toContain(a);
    // The copy of the README environment (every 4th) keeps nothing of its source account.
    expect(JSON.stringify(envs[3])).not.toContain("444444444444");
  });
});

test("fails when the registry is empty", () => {
  expect(() => generateEnvironments(1, {})).toThrow("generateEnvironments: the registry is empty");
});
