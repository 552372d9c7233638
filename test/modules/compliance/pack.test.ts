/**
 * The compliance rule pack is fixed: every rule file of modules/compliance is in it, nothing can add,
 * drop or change a rule at run time, and what it runs does not depend on which construct files were
 * loaded (this file imports no construct). Every rule and every suppression reason in the
 * repository's sources cites an AWS documentation page, never a file a user cannot open.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import * as ts from "typescript";
import { RULES, type ComplianceRule } from "../../../modules/compliance";

const root = join(__dirname, "..", "..", "..");
const folder = join(root, "modules", "compliance");
const AWS_DOCS = /https:\/\/docs\.aws\.amazon\.com\/\S+/;
/** Files and notes outside the repository that a user cannot open. */
const OUTSIDE = /\/work\/|shared\/design|AWS-FACTS|HOUSE-STYLE|ARCHITECTURE\.md|design notes?\b/i;

const isRule = (v: unknown): v is ComplianceRule =>
  typeof v === "object" &&
  v !== null &&
  typeof (v as ComplianceRule).id === "string" &&
  typeof (v as ComplianceRule).check === "function";

/** The rules each file of the folder exports (index.ts and rule.ts hold none). */
const rulesByFile = readdirSync(folder)
  .filter((f) => f.endsWith(".ts") && f !== "index.ts" && f !== "rule.ts")
  .sort()
  .map((f) => [f, Object.values(jest.requireActual<Record<string, unknown>>(join(folder, f))).filter(isRule)] as const);

describe("the pack", () => {
  test.each(rulesByFile)("%s exports one rule, and it is in the pack", (_file, rules) => {
    expect(rules).toHaveLength(1);
    expect(RULES).toContain(rules[0]);
  });

  test("holds exactly the rule files' rules, each id once, the XKS ones included without importing any construct", () => {
    expect(RULES).toHaveLength(rulesByFile.length);
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
    expect(RULES.map((r) => r.id)).toEqual(expect.arrayContaining(["CKV_AWS_123", "CMK_3"]));
  });

  test("fails when anything tries to change it at run time", () => {
    const extra = { ...RULES[0], id: "EXTRA" };
    expect(Object.isFrozen(RULES)).toBe(true);
    expect(() => (RULES as ComplianceRule[]).push(extra)).toThrow(TypeError);
    expect(() => (RULES as ComplianceRule[]).splice(0, 1)).toThrow(TypeError);
    for (const rule of RULES) {
      expect(Object.isFrozen(rule)).toBe(true);
      expect(() => {
        (rule as { check: ComplianceRule["check"] }).check = () => undefined;
      }).toThrow(TypeError);
    }
    expect(RULES).not.toContainEqual(extra);
  });

  test("no module registers rules at import time", async () => {
    const compliance = (await import("../../../modules/compliance")) as Record<string, unknown>;
    expect(compliance.registerRule).toBeUndefined();
    expect(
      sources()
        .filter((f) => /\bregisterRule\b/.test(readFileSync(f, "utf8")))
        .map((f) => relative(root, f)),
    ).toEqual([]);
  });

  test.each(RULES.map((r) => [r.id, r] as const))("%s cites an AWS documentation page", (_id, rule) => {
    expect(rule.documentation).toMatch(new RegExp(`^${AWS_DOCS.source}$`));
  });
});

/** Every TypeScript source of the repository outside test/ and node_modules. */
function sources(dir = root): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name.startsWith(".") || (dir === root && ["test", "cdktf.out"].includes(name)))
      continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

/** Every `suppress(scope, ruleId, reason)` call in the sources, with its reason read statically. */
function suppressions(): { where: string; reasons: string[] }[] {
  const files = sources().map((f) => ({
    f,
    sf: ts.createSourceFile(f, readFileSync(f, "utf8"), ts.ScriptTarget.Latest, true),
  }));
  const constants = new Map<string, ts.Expression>();
  for (const { sf } of files) {
    const collect = (n: ts.Node): void => {
      if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer)
        constants.set(n.name.text, n.initializer);
      ts.forEachChild(n, collect);
    };
    collect(sf);
  }
  const texts = (e: ts.Expression): string[] => {
    if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return [e.text];
    if (ts.isTemplateExpression(e)) return [e.head.text + e.templateSpans.map((s) => s.literal.text).join("")];
    if (ts.isParenthesizedExpression(e)) return texts(e.expression);
    if (ts.isConditionalExpression(e)) return [...texts(e.whenTrue), ...texts(e.whenFalse)];
    if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken)
      return [texts(e.left).join("") + texts(e.right).join("")];
    if (ts.isIdentifier(e) && constants.has(e.text)) return texts(constants.get(e.text)!);
    return [`(a reason that cannot be read statically: ${e.getText()})`];
  };
  const found: { where: string; reasons: string[] }[] = [];
  for (const { f, sf } of files) {
    const visit = (n: ts.Node): void => {
      if (ts.isCallExpression(n)) {
        const callee = n.expression;
        const name = ts.isIdentifier(callee)
          ? callee.text
          : ts.isPropertyAccessExpression(callee)
            ? callee.name.text
            : "";
        if (name === "suppress" && n.arguments.length === 3) {
          const line = sf.getLineAndCharacterOfPosition(n.getStart()).line + 1;
          found.push({ where: `${relative(root, f)}:${line}`, reasons: texts(n.arguments[2]) });
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return found;
}

describe("suppression reasons", () => {
  const all = suppressions();

  test("the scan finds the suppressions the constructs make (rotation for store keys, acceptance for XKS)", () => {
    expect(all.map((s) => s.where.split(":")[0])).toEqual(
      expect.arrayContaining(["modules/keys/customer-key.ts", "modules/keystores/xks-proxy-endpoint.ts"]),
    );
  });

  test("each cites an AWS documentation page and no file outside the repository", () => {
    const bad = all.flatMap(({ where, reasons }) =>
      reasons.filter((r) => !AWS_DOCS.test(r) || OUTSIDE.test(r)).map((r) => `${where}: ${r}`),
    );
    expect(bad).toEqual([]);
  });
});

test("no source or rule cites a design note outside the repository", () => {
  const cited = sources()
    .filter((f) => OUTSIDE.test(readFileSync(f, "utf8")))
    .map((f) => relative(root, f));
  expect(cited).toEqual([]);
});
