/**
 * Deliverable 2 of issue 19: no limit or default of the rulebook is written as a literal outside it
 * (test/helpers/rulebook-literals.ts says which forms count). Asserted for CHECKED_NAMESPACES: every
 * namespace the rulebook exports.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as RULEBOOK from "@cmk-stacks/aws-limits";
import {
  against,
  CHECKED_NAMESPACES,
  describeFinding,
  findLiterals,
  RULEBOOK_DIR,
  rulebookValues,
  scan,
  SOURCE_ROOTS,
  sourceFiles,
  type Exception,
} from "../../helpers/rulebook-literals";

const ROOT = join(__dirname, "../../..");
const values = rulebookValues(RULEBOOK as unknown as Record<string, unknown>);

/** Literals that may stay, each with its reason. */
const EXCEPTIONS: readonly Exception[] = [];

describe("the scan", () => {
  const files = sourceFiles(ROOT, SOURCE_ROOTS, (rel) => rel === RULEBOOK_DIR);

  test("reads the sources outside the rulebook, never the rulebook or the tests", () => {
    expect(files).toEqual(
      expect.arrayContaining([
        "main.ts",
        "environments/schema.ts",
        "modules/consumers/fsx-ontap.ts",
        "tools/state-bucket/setup.ts",
        "hooks/contract.ts",
      ]),
    );
    expect(files.filter((f) => f.startsWith(`${RULEBOOK_DIR}/`) || f.startsWith("test/"))).toEqual([]);
  });

  test("every namespace of the rulebook is checked, and its values are collected", () => {
    // The namespaces index.ts re-exports (`export * as KMS from "./kms"`), read from its text: a new one is checked without a list to extend.
    const exported = [
      ...readFileSync(join(ROOT, RULEBOOK_DIR, "index.ts"), "utf8").matchAll(/^export \* as ([A-Z][A-Z0-9_]*) from /gm),
    ].map((m) => m[1]);
    expect(exported.length).toBeGreaterThanOrEqual(14);
    expect([...CHECKED_NAMESPACES].sort()).toEqual([...exported].sort());
    // EBS holds one rule, a list default (lists are not compared): no value to collect.
    const namespaces = new Set(values.map((v) => v.namespace));
    for (const ns of exported) expect([ns, namespaces.has(ns)]).toEqual([ns, ns !== "EBS"]);
  });

  test("no source restates a value of the checked namespaces", () => {
    expect(against(scan(ROOT, files, values, EXCEPTIONS), CHECKED_NAMESPACES).map(describeFinding)).toEqual([]);
  });

  test("every exception is still needed", () => {
    const all = scan(ROOT, files, values);
    for (const e of EXCEPTIONS)
      expect([e.file, e.value, all.some((f) => f.file === e.file && f.literal.includes(String(e.value)))]).toEqual([
        e.file,
        e.value,
        true,
      ]);
  });
});

describe("the checker finds a literal limit or default", () => {
  const found = (text: string) =>
    against(findLiterals("crafted.ts", text, values), CHECKED_NAMESPACES).map((f) => [f.line, f.literal, f.form]);

  test.each([
    ["a comparison", "if (backupRetentionDays > 90) throw new Error();", [[1, "90", "> N"]]],
    ["a comparison, the number first", "const ok = 524288 >= storageCapacity;", [[1, "524288", ">= N"]]],
    ["a ?? default", "const r = p.automaticBackupRetentionDays ?? 30;", [[1, "30", "?? N"]]],
    ["a trivial default with its context", "const pairs = p.haPairs ?? 1;", [[1, "1", "?? N"]]],
    ["a || default", 'const h = p.host || "app.terraform.io";', [[1, '"app.terraform.io"', '|| "..."']]],
    ["a per-unit bound scaled", "const min = 1024 * haPairs;", [[1, "1024", "N * x"]]],
    ["a zod bound", "storageCapacityGiB: z.number().max(524288)", [[1, "524288", ".max(N)"]]],
    ["a zod default", 'z.enum(T).default("MULTI_AZ_1")', [[1, '"MULTI_AZ_1"', '.default("...")']]],
    [
      "a range check",
      '{ field: "data.fsx.automaticBackupRetentionDays", check: intIn(0, 90) }',
      [[1, "0, 90", "f(N, M)"]],
    ],
    ["a range in words", 'backupRetention: "0-90 days"', [[1, "0-90", "N-M"]]],
    ["a range between words", "// HA pairs between 1 and 12\nconst x = 1;", [[1, "between 1 and 12", "N-M"]]],
    [
      "a JSDoc default",
      "/** Days of automatic backups. @default 30 */\nreadonly automaticBackupRetentionDays?: number;",
      [[1, "@default 30", "@default N"]],
    ],
    [
      "a regex inside a longer file",
      "const a = 1;\nconst ok = /^[A-Za-z0-9-]+$/.test(loadBalancerName);",
      [[2, "/^[A-Za-z0-9-]+$/", "regex"]],
    ],
    ["a KMS default", "const window = p.deletionWindowDays ?? 30;", [[1, "30", "?? N"]]],
    ["an account id pattern", "if (!/^\\d{12}$/.test(account)) return;", [[1, "/^\\d{12}$/", "regex"]]],
    ["an XKS credential pattern", "const ok = /^[A-Z2-7]{20,30}$/.test(id);", [[1, "/^[A-Z2-7]{20,30}$/", "regex"]]],
    [
      "a rulebook pattern",
      "const ok = /^[A-Za-z0-9!_.*'()-]+(\\/[A-Za-z0-9!_.*'()-]+)*$/.test(v);",
      [[1, "/^[A-Za-z0-9!_.*'()-]+(\\/[A-Za-z0-9!_.*'()-]+)*$/", "regex"]],
    ],
    [
      "a short rule word in its plural (tag: tags)",
      "const ok = tagKeys.every((k) => k.length <= 128);",
      [[1, "128", "<= N"]],
    ],
    ["a tag count", "const ok = Object.keys(tags).length <= 40;", [[1, "40", "<= N"]]],
    ["a tag value range", "const tagValue = matches(/^[\\s\\S]*$/, 0, 256);", [[1, "0, 256", "f(N, M)"]]],
    [
      "an SSM execution timeout default",
      "const t = String(input.executionTimeoutSeconds ?? 900);",
      [[1, "900", "?? N"]],
    ],
    [
      "a log group name pattern",
      "if (!/^[\\w./#-]{1,512}$/.test(logGroup)) x();",
      [[1, "/^[\\w./#-]{1,512}$/", "regex"]],
    ],
    [
      "the ARN account prefix",
      "const a = /^arn:[a-z-]+:[a-z0-9-]+:[a-z0-9-]*:(\\d{12}):/.exec(arn)?.[1];",
      [[1, "/^arn:[a-z-]+:[a-z0-9-]+:[a-z0-9-]*:(\\d{12}):/", "regex"]],
    ],
    [
      "a Region pattern in an object",
      "const P = { region: /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\\d$/ };",
      [[1, "/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\\d$/", "regex"]],
    ],
  ])("%s", (_what, text, expected) => {
    expect(found(text)).toEqual(expected);
  });

  test.each([
    ["a value the rulebook does not have", "if (backupRetentionDays > 91) throw new Error();"],
    ["a trivial bound compared", "if (haPairs < 1) return;"],
    ["a number that is no limit's use", "const port = { from: 4096 }; f(4096);"],
    ["a number of the rulebook in another rule's context", "const attempts = p.maxAttempts ?? 30;"],
    [
      "the rulebook read by name",
      "const r = p.automaticBackupRetentionDays ?? FSX.AUTOMATIC_BACKUP_RETENTION_DAYS_DEFAULT.value;",
    ],
    ["a pair that is no range", 'backupRetention: "0-91 days"'],
    ["a short word that is not the rule's, nor its plural", "const ok = tagline.length <= 128;"],
  ])("not %s", (_what, text) => {
    expect(found(text)).toEqual([]);
  });

  test("a value shared with a namespace not yet checked counts only once that one is checked too", () => {
    const shared = [
      ...values,
      { namespace: "OTHER", path: "OTHER.X", value: 90, kind: "constant" as const, words: ["backup"] },
    ];
    const findings = findLiterals("crafted.ts", "if (backupRetentionDays > 90) return;", shared);
    expect(against(findings, CHECKED_NAMESPACES)).toEqual([]);
    expect(against(findings, [...CHECKED_NAMESPACES, "OTHER"]).map((f) => f.rules)).toEqual([
      ["CLOUDHSM.BACKUP_RETENTION_DAYS_DEFAULT.value", "FSX.AUTOMATIC_BACKUP_RETENTION_DAYS.max", "OTHER.X"],
    ]);
  });
});
