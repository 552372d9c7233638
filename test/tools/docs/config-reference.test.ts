/**
 * The configuration reference (docs/configuration.md) is generated from the environment schema and
 * the constraint tables: the committed page must equal what `npm run docs` writes, and the renderer
 * turns schema and table data into the rows a reader sees.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as z from "zod";
import {
  attachChecks,
  BEGIN,
  checkedRows,
  CONTEXT_RULE,
  END,
  referenceRows,
  renderReference,
  renderRows,
  replaceBetweenMarkers,
  splitDefault,
  type JsonSchema,
  type ReferenceTable,
} from "../../../tools/docs/config-reference";
import { CONFIGURATION_PAGE, configurationReference } from "../../../tools/docs/configuration";

const ROOT = join(__dirname, "..", "..", "..");
const json = (schema: z.ZodType): JsonSchema => z.toJSONSchema(schema, { io: "input" }) as JsonSchema;

describe("docs/configuration.md", () => {
  test("is up to date with the schema and the constraint tables (run npm run docs)", () => {
    const page = readFileSync(join(ROOT, CONFIGURATION_PAGE), "utf8");
    expect(replaceBetweenMarkers(page, configurationReference())).toBe(page);
  });

  test("has a row for every field of the shipped schema, with its default", () => {
    const page = readFileSync(join(ROOT, CONFIGURATION_PAGE), "utf8");
    expect(page).toContain("| `keys.<name>.deletionWindowDays` | integer | no | `30` |");
    expect(page).toContain("| `cloudHsm.backupRetentionDays` | integer | no | `90` |");
    expect(page).toContain("| `hooks.timeoutMinutes` | integer | no | `45` |");
    expect(page).toMatch(/\| `backend\.kmsKeyId` \(`type: "s3"`\) \| string \| yes \|/);
    expect(page).toMatch(/\| `network\.subnets\[\]\.routeTableId` \(`mode: "existing"`\) \|/);
  });
});

describe("rendering", () => {
  const Small = z.strictObject({
    name: z.string().describe("Short name."),
    days: z.number().int().min(7).max(30).describe("Waiting period.").default(30),
    share: z.number().gt(0).lte(1).describe("A share.").optional(),
    alias: z
      .string()
      .regex(/^alias\//)
      .describe("Alias. Default: alias/<name>.")
      .optional(),
    keys: z
      .record(
        z.string(),
        z
          .strictObject({
            users: z.array(z.string()).describe("Who uses it."),
            store: z.enum(["aws-kms", "xks"]).default("aws-kms"),
          })
          .describe("A key."),
      )
      .describe("Keys by name."),
    backend: z
      .discriminatedUnion("type", [
        z.strictObject({ type: z.literal("local") }).describe("Local files."),
        z
          .strictObject({
            type: z.literal("s3"),
            bucket: z.string().describe("Bucket."),
            region: z.string().describe("Region.").optional(),
          })
          .describe("S3."),
        z.strictObject({ type: z.literal("gcs"), region: z.string().describe("Region.").optional() }).describe("GCS."),
      ])
      .default({ type: "local" }),
  });

  test("a small schema becomes these rows: path, type, required, default, limits, description", () => {
    expect(renderRows(referenceRows(json(Small)))).toBe(
      [
        "| field | type | required | default | allowed (checked at synth) | description |",
        "|---|---|---|---|---|---|",
        "| `name` | string | yes |  |  | Short name. |",
        "| `days` | integer | no | `30` | 7 to 30 | Waiting period. |",
        "| `share` | number | no |  | > 0 and <= 1 | A share. |",
        "| `alias` | string | no | alias/<name> | matches `^alias\\/` | Alias. |",
        "| `keys` | map of name to object | yes |  |  | Keys by name. |",
        "| `keys.<name>` | object | no |  |  | A key. |",
        "| `keys.<name>.users` | list of strings | yes |  |  | Who uses it. |",
        '| `keys.<name>.store` | `"aws-kms"` \\| `"xks"` | no | `"aws-kms"` |  |  |',
        '| `backend` | object, by `type` | no | `{"type":"local"}` |  |  |',
        '| `backend.type` | `"local"` \\| `"s3"` \\| `"gcs"` | yes |  |  | `"local"`: Local files. `"s3"`: S3. `"gcs"`: GCS. |',
        '| `backend.bucket` (`type: "s3"`) | string | yes |  |  | Bucket. |',
        '| `backend.region` (`type: "s3"` or `type: "gcs"`) | string | no |  |  | Region. |',
      ].join("\n"),
    );
  });

  test("a field in every variant of a union carries no qualifier", () => {
    const U = z.strictObject({
      net: z.discriminatedUnion("mode", [
        z.strictObject({ mode: z.literal("new"), cidr: z.string() }),
        z.strictObject({ mode: z.literal("existing"), cidr: z.string() }),
      ]),
    });
    const rows = referenceRows(json(U));
    expect(rows.filter((r) => r.path === "net.cidr").map((r) => r.when)).toEqual([undefined]);
  });

  test("lists of objects, and table rules on each element of a list of strings", () => {
    const S = z.strictObject({
      subnets: z.array(z.strictObject({ az: z.string() })).describe("Subnets."),
      users: z.array(z.string()).optional(),
    });
    const table: ReferenceTable = {
      domain: "t",
      fields: [
        { field: "subnets", rule: "at least 2", source: "VPC" },
        { field: "subnets.*.az", rule: "an AZ", source: "EC2" },
        { field: "users.*", rule: "an IAM ARN", source: "IAM" },
        { field: "users.*", rule: (() => "worded per environment") as () => string, source: "partitions" },
      ],
      cross: [{ description: "users are distinct", source: "IAM | names" }],
    };
    const { rows, unmatched } = checkedRows(json(S), [table]);
    expect(unmatched).toEqual([]);
    expect(rows.map((r) => [r.path, r.checks])).toEqual([
      ["subnets", ["at least 2 (VPC)"]],
      ["subnets[].az", ["an AZ (EC2)"]],
      ["users", ["each: an IAM ARN (IAM)", `each: ${CONTEXT_RULE} (partitions)`]],
    ]);
    const text = renderReference(json(S), [table]).text;
    expect(text).toContain(
      "| `users` | list of strings | no |  | each: an IAM ARN (IAM)<br>each: depends on other fields",
    );
    expect(text).toContain("  - users are distinct (IAM \\| names)");
  });

  test("a table rule whose condition is decided by a union's tag shows only on that variant", () => {
    const B = z.strictObject({
      backend: z.discriminatedUnion("type", [
        z.strictObject({ type: z.literal("a"), flag: z.boolean().optional() }),
        z.strictObject({ type: z.literal("b"), flag: z.boolean().optional() }),
      ]),
    });
    const table: ReferenceTable = {
      domain: "t",
      fields: [{ field: "backend.flag", rule: "only false for a", source: "S", when: (c) => c.parent.type === "a" }],
    };
    const { rows } = checkedRows(json(B), [table]);
    expect(rows.filter((r) => r.path === "backend.flag").map((r) => [r.when, r.checks])).toEqual([
      ['type: "a"', ["only false for a (S)"]],
      ['type: "b"', []],
    ]);
  });

  test("a recursive schema is refused, not walked forever", () => {
    const node: JsonSchema = { type: "object", properties: { child: { $ref: "#" } } };
    expect(() => referenceRows(node)).toThrow(/nested more than 32 levels/);
  });

  test("a table rule on a field the schema does not have is reported", () => {
    expect(
      attachChecks(referenceRows(json(Small)), [
        { domain: "keys", fields: [{ field: "keys.*.rotaton", rule: "x", source: "y" }] },
      ]).unmatched,
    ).toEqual(["keys: keys.*.rotaton"]);
  });

  test("Default sentences move out of the description; pipes in cells are escaped", () => {
    expect(splitDefault("Host. Default: app.terraform.io.")).toEqual({
      description: "Host.",
      default: "app.terraform.io",
    });
    expect(splitDefault("No default here.")).toEqual({ description: "No default here." });
    const rows = referenceRows(json(z.strictObject({ a: z.string().describe("x | y") })));
    expect(renderRows(rows)).toContain("| x \\| y |");
  });

  test("the block is replaced between the markers only, and missing markers are an error", () => {
    expect(replaceBetweenMarkers(`head\n${BEGIN}\nold\n${END}\ntail\n`, "new")).toBe(
      `head\n${BEGIN}\n\nnew\n\n${END}\ntail\n`,
    );
    expect(() => replaceBetweenMarkers("no markers", "new")).toThrow(/markers/);
  });
});
