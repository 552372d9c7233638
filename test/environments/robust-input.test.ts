/**
 * Input of any shape: nesting of any depth (and reference cycles) ends in messages naming the field,
 * never an internal error; every legal tag key reaches the synthesized tags; a byte-order mark in an
 * ENV_CONFIG file is accepted (UTF-8) or named (UTF-16, UTF-32).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { environments, loadEnvironmentFile } from "../../environments";
import { resolveEnvironment } from "../../environments/resolve";
import type { EnvironmentConfig } from "../../environments/types";
import { validationMessages } from "../../environments/validation";
import { boundedCopy, MAX_DEPTH } from "../../environments/validation/shape";
import { configErrorLines, synthEnvs } from "../helpers/synth";

const { dev } = environments;
const SCHEMA = "configuration schema (schema/environment.schema.json)";
const nested = (depth: number, leaf: unknown = "x"): unknown => {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
};
const shownNested = (depth: number) => `${JSON.stringify(nested(Math.min(depth, MAX_DEPTH), null)).slice(0, 77)}...`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "cmk-robust-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("nesting of any depth", () => {
  test.each([100, 10_000, 200_000])(
    "a tag value nested %d levels is refused as a wrong type, naming the tag",
    (depth) => {
      expect(
        validationMessages({ dev: { ...dev, tags: { Team: nested(depth) } } as unknown as EnvironmentConfig }),
      ).toEqual([`environments.dev.tags.Team: ${shownNested(depth)} is not allowed (a string, ${SCHEMA})`]);
    },
  );

  test("an unknown field nested 200,000 levels is one unknown field", () => {
    const messages = validationMessages({ dev: { ...dev, extra: nested(200_000) } as unknown as EnvironmentConfig });
    expect(messages).toEqual([
      "environments.dev.extra: unknown field (known fields: name, account, region, tags, backend, network, keys, signingKeys, macKeys, cloudHsm, xks, data, hooks, alarms)",
    ]);
  });

  test("a reference cycle in a TypeScript environment is refused where it is, not followed forever", () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    const env = {
      ...dev,
      keys: { ...dev.keys, appData: { ...dev.keys.appData, users: [cycle] } },
    } as unknown as EnvironmentConfig;
    const shown = `${JSON.stringify(boundedCopy(cycle).copy).slice(0, 77)}...`;
    expect(validationMessages({ dev: env })).toEqual([
      `environments.dev.keys.appData.users.0: ${shown} is not allowed (a string, ${SCHEMA})`,
    ]);
  });

  test("an ENV_CONFIG file nested 100,000 levels is read and refused with the field named", () => {
    const file = join(dir, "deep.json");
    const text = JSON.stringify(dev).replace(
      '"CostCentre":"platform-dev"',
      `"CostCentre":${"[".repeat(100_000)}${"]".repeat(100_000)}`,
    );
    writeFileSync(file, text);
    const [env] = loadEnvironmentFile(file);
    // Values deeper than MAX_DEPTH (counted from the environment) are cut: tags.CostCentre is 2 deep.
    const shown = `${"[".repeat(MAX_DEPTH - 1)}null${"]".repeat(MAX_DEPTH - 1)}`;
    expect(validationMessages({ dev: env })).toEqual([
      `environments.dev.tags.CostCentre: ${shown} is not allowed (a string, ${SCHEMA})`,
    ]);
  });

  test("the bounded copy stops at the bound and says where", () => {
    const { copy, cut } = boundedCopy({ a: [{ b: nested(40) }] }, MAX_DEPTH);
    // Kept: everything up to MAX_DEPTH segments deep; cut: the first object deeper.
    expect(cut).toEqual([["a", 0, "b", ...Array.from({ length: MAX_DEPTH - 2 }, () => "a")]]);
    expect(JSON.stringify(copy).length).toBeLessThan(JSON.stringify(nested(40)).length);
  });
});

describe("every legal tag key", () => {
  const tags = JSON.parse('{"__proto__":"p","constructor":"c","prototype":"q","toString":"s","Team":"t"}') as Record<
    string,
    string
  >;
  const env = { ...dev, tags } as EnvironmentConfig;

  test("is accepted and resolved as an own key", () => {
    expect(validationMessages({ dev: env })).toEqual([]);
    const resolved = resolveEnvironment(env).tags;
    expect(Object.keys(resolved)).toEqual([
      "__proto__",
      "constructor",
      "prototype",
      "toString",
      "Team",
      "Environment",
      "ManagedBy",
    ]);
    expect(Object.getPrototypeOf(resolved)).toBe(Object.prototype);
  });

  test("reaches the provider's default tags (a tomap expression, which keeps __proto__)", () => {
    const { stacks } = synthEnvs({ dev: env });
    const provider = (stacks["dev-keys"].provider as { aws: { default_tags: { tags: unknown }[] }[] }).aws[0];
    expect(provider.default_tags[0].tags).toBe(
      '${tomap({"__proto__" = "p", "constructor" = "c", "prototype" = "q", "toString" = "s", "Team" = "t", "Environment" = "dev", "ManagedBy" = "cmk-stacks", "Stack" = "dev-keys"})}',
    );
  });

  test("tags without __proto__ stay a plain map", () => {
    const { stacks } = synthEnvs({ dev: { ...dev, tags: { constructor: "c", Team: "t" } } });
    const provider = (stacks["dev-data"].provider as { aws: { default_tags: { tags: unknown }[] }[] }).aws[0];
    expect(provider.default_tags[0].tags).toEqual({
      constructor: "c",
      Team: "t",
      Environment: "dev",
      ManagedBy: "cmk-stacks",
      Stack: "dev-data",
    });
  });
});

describe("byte-order marks in ENV_CONFIG", () => {
  const text = JSON.stringify(dev);
  test("a UTF-8 byte-order mark is accepted: the file reads as without it", () => {
    const file = join(dir, "bom.json");
    writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]));
    expect(loadEnvironmentFile(file)).toEqual([JSON.parse(text)]);
  });

  test.each([
    ["UTF-16 (little-endian)", [0xff, 0xfe], "utf16le", "FF FE"],
    ["UTF-16 (big-endian)", [0xfe, 0xff], "utf16le", "FE FF"],
    ["UTF-32 (little-endian)", [0xff, 0xfe, 0x00, 0x00], "utf16le", "FF FE 00 00"],
  ] as const)("a %s file is refused by name", (encoding, bom, body, hex) => {
    const file = join(dir, `bom-${hex.replace(/ /g, "")}.json`);
    writeFileSync(file, Buffer.concat([Buffer.from(bom), Buffer.from(text, body)]));
    expect(configErrorLines(() => loadEnvironmentFile(file))).toEqual([
      `ENV_CONFIG: ${file} is ${encoding} text (byte-order mark ${hex}): save it as UTF-8 (JSON text is UTF-8, RFC 8259)`,
    ]);
  });
});
