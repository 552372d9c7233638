/** The JSON Schema shipped for ENV_CONFIG files: generated from the zod schema, up to date, closed. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { environmentJsonSchema, environmentJsonSchemaText, EnvironmentSchema } from "../../environments/schema";
import { environments } from "../../environments";
import { asConfigInput, resolveEnvironment } from "../../environments/resolve";

const shipped = readFileSync(join(__dirname, "..", "..", "schema", "environment.schema.json"), "utf8");

test("schema/environment.schema.json is what npm run schema generates from environments/schema.ts", () => {
  expect(shipped).toBe(environmentJsonSchemaText());
});

test("every object in the JSON Schema is closed (additionalProperties false), like the zod schema", () => {
  const open: string[] = [];
  const walk = (node: unknown, path: string) => {
    if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${path}[${i}]`));
    if (node === null || typeof node !== "object") return;
    const o = node as Record<string, unknown>;
    if (o.type === "object" && o.properties && o.additionalProperties !== false) open.push(path);
    for (const [k, v] of Object.entries(o)) walk(v, `${path}.${k}`);
  };
  walk(environmentJsonSchema(), "$");
  expect(open).toEqual([]);
  expect(shipped).toContain('"additionalProperties": false');
});

test("the schema documents its defaults (deletion window 30 days, FIPS, local runner)", () => {
  const env = (
    environmentJsonSchema().$defs as Record<
      string,
      { properties: Record<string, { properties?: Record<string, { default?: unknown }>; default?: unknown }> }
    >
  ).Environment;
  expect(env.properties.hooks.default).toEqual({});
  expect(env.properties.hooks.properties?.runner.default).toBe("local");
  const key = (
    env.properties.keys as unknown as { additionalProperties: { properties: Record<string, { default?: unknown }> } }
  ).additionalProperties;
  expect(key.properties.deletionWindowDays.default).toBe(30);
  expect(key.properties.store.default).toBe("aws-kms");
});

test("each shipped environment and its resolved form (npm run config output) fit the schema", () => {
  for (const env of Object.values(environments)) {
    expect(EnvironmentSchema.safeParse(env).success).toBe(true);
    const resolved = asConfigInput(resolveEnvironment(env));
    expect(EnvironmentSchema.safeParse(JSON.parse(JSON.stringify(resolved))).error?.issues).toBeUndefined();
  }
});
