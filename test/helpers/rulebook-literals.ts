/**
 * Finds limits and defaults of the rulebook (`@cmk-stacks/aws-limits`) written as literals outside
 * it. The values are collected from the rulebook's exports: the bounds of each Range, the value of
 * each Default, plain numeric constants, regular expressions (lists such as allowed throughputs or
 * ports are not: a list is not compared against). The sources are parsed with the TypeScript
 * compiler, and a literal counts only where it is written as a limit or a default:
 *   - a Range bound or constant compared (`< N`, `<= N`, `> N`, `>= N`, either side) or the argument
 *     of `.min(N)`, `.max(N)`, `.gte/.lte/.gt/.lt(N)`, `.length(N)`; a per-unit bound (`..._PER_...`)
 *     scaled by a count (`1024 * haPairs`);
 *   - a Default value or constant after `??` or `||`, in `.default(N)` or in a comment's `@default N`;
 *   - a Range's min and max together: call arguments (`intIn(0, 90)`) or words in a string or
 *     comment (`0-90`, `0 to 90`, `between 0 and 90`);
 *   - a regular expression literal whose source is a rulebook pattern's;
 *   - a string Default after `??` / `||` or in `.default("...")`.
 * A number does not say which rule it restates (30 is several services' default), so a numeric
 * finding also needs its context: a word of the rule's name (`AUTOMATIC_BACKUP_RETENTION_DAYS`:
 * automatic, backup, retention) on the literal's line, in the names of the declarations around it,
 * in the table entry it is in, or in the comment it is written in (a rule's only word, or two of its
 * words). Numbers up to 2 count only as defaults (`haPairs ?? 1`) or in a pair, never compared.
 * Regular expressions and string defaults need no context.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import * as RULEBOOK from "@cmk-stacks/aws-limits";
import * as ts from "typescript";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

/** The namespaces of the rulebook module `lib`: its UPPER_SNAKE_CASE exports that are objects (`KMS`, `XKS`...). */
export function namespacesOf(lib: Record<string, unknown>): string[] {
  return Object.keys(lib).filter((k) => /^[A-Z][A-Z0-9_]*$/.test(k) && isObject(lib[k]));
}

/**
 * The rulebook namespaces whose values no source outside the rulebook may restate (the test asserts
 * these clean): every namespace the rulebook exports, so a new one is checked from its first rule.
 */
export const CHECKED_NAMESPACES: readonly string[] = namespacesOf(RULEBOOK as unknown as Record<string, unknown>);

/** Where the sources that must read the rulebook live (relative to the repository root). */
export const SOURCE_ROOTS: readonly string[] = [
  "main.ts",
  "environments",
  "modules",
  "stacks",
  "hooks",
  "packages",
  "tools",
];

/** The rulebook itself, which the scan leaves out. */
export const RULEBOOK_DIR = "packages/aws-limits";

/** One value of the rulebook, with where it is written there (`FSX.HA_PAIRS.max`). */
export interface RulebookValue {
  readonly namespace: string;
  readonly path: string;
  readonly value: number | string | RegExp;
  /** bound: a Range's min or max; value: the value of a Default (or of any rule object with `value`, such as a one-sided Limit); constant: a plain exported number; pattern: a RegExp. */
  readonly kind: "bound" | "value" | "constant" | "pattern";
  /** For a Range's bounds: min and max, so the pair can be recognised. */
  readonly pair?: readonly [number, number];
  /** Words of the rule's name a numeric literal's context must share. */
  readonly words: readonly string[];
}

/** A literal outside the rulebook that restates one of its values. */
export interface Finding {
  readonly file: string;
  readonly line: number;
  /** The literal as written. */
  readonly literal: string;
  /** How it is used ("?? N", "< N", "N-M", "regex", "@default N"...). */
  readonly form: string;
  /** The rulebook values it restates (`FSX.AUTOMATIC_BACKUP_RETENTION_DAYS.max`). */
  readonly rules: readonly string[];
  /** Their namespaces. */
  readonly namespaces: readonly string[];
}

/** A literal that may stay, with the reason. */
export interface Exception {
  readonly file: string;
  readonly value: number | string;
  readonly reason: string;
}

const TRIVIAL = 2;
/** Words too common to tie a literal to a rule. */
const STOP = new Set([
  "min",
  "max",
  "default",
  "defaults",
  "value",
  "days",
  "day",
  "length",
  "chars",
  "characters",
  "per",
  "the",
  "of",
  "name",
  "names",
  "count",
  "limit",
  "size",
  "pattern",
  "rule",
  "words",
  "allowed",
  "regex",
  "doc",
  "unit",
  "integer",
  "and",
  "or",
  "to",
  "in",
  "for",
  "key",
  "generated",
  "minutes",
  "cloud",
]);

/** The lower-case words of identifiers and prose in `text` (camelCase and snake_case split). */
export function wordsOf(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length >= 2);
}

const ruleWords = (exportName: string) => [
  ...new Set(wordsOf(exportName.replace(/_/g, " ")).filter((w) => !STOP.has(w))),
];

/**
 * Whether `a` and `b` are one word, or one is the other with up to 2 more letters (pair/pairs,
 * backup/backups), 4 letters at least; a shorter word only with its plural `s` (tag/tags).
 */
const sameWord = (a: string, b: string) =>
  a === b ||
  a === `${b}s` ||
  b === `${a}s` ||
  (Math.min(a.length, b.length) >= 4 && Math.abs(a.length - b.length) <= 2 && (a.startsWith(b) || b.startsWith(a)));

/** Whether the context has the rule's words: its only word, or at least two of them (`admin password`, not just `password`). */
function shares(context: ReadonlySet<string>, words: readonly string[]): boolean {
  const found = words.filter((w) => context.has(w) || [...context].some((c) => sameWord(c, w))).length;
  return words.length > 0 && found >= Math.min(2, words.length);
}

/** Every Range bound, Default value, numeric constant and regular expression of each namespace of the rulebook module `lib`. */
export function rulebookValues(lib: Record<string, unknown>): RulebookValue[] {
  const out: RulebookValue[] = [];
  for (const ns of namespacesOf(lib)) {
    const exports = lib[ns] as Record<string, unknown>;
    for (const [name, v] of Object.entries(exports)) {
      const path = `${ns}.${name}`;
      const words = ruleWords(name);
      if (typeof v === "number") out.push({ namespace: ns, path, value: v, kind: "constant", words });
      else if (v instanceof RegExp) out.push({ namespace: ns, path, value: v, kind: "pattern", words });
      else if (isObject(v) && !Array.isArray(v)) {
        if (typeof v.min === "number" && typeof v.max === "number") {
          const pair = [v.min, v.max] as const;
          out.push({ namespace: ns, path: `${path}.min`, value: v.min, kind: "bound", pair, words });
          out.push({ namespace: ns, path: `${path}.max`, value: v.max, kind: "bound", pair, words });
        }
        if ("value" in v && (typeof v.value === "number" || typeof v.value === "string"))
          out.push({ namespace: ns, path: `${path}.value`, value: v.value, kind: "value", words });
        if (v.regex instanceof RegExp)
          out.push({ namespace: ns, path: `${path}.regex`, value: v.regex, kind: "pattern", words });
      }
    }
  }
  return out;
}

/** The TypeScript sources under `roots` (files or folders, relative to `base`), without node_modules, build output and declaration files. */
export function sourceFiles(
  base: string,
  roots: readonly string[],
  skip: (rel: string) => boolean = () => false,
): string[] {
  const out: string[] = [];
  const visit = (abs: string) => {
    const rel = relative(base, abs);
    if (skip(rel)) return;
    if (statSync(abs).isDirectory()) {
      if (/(^|\/)(node_modules|dist|\.build|cdktf\.out)$/.test(rel)) return;
      for (const e of readdirSync(abs).sort()) visit(join(abs, e));
    } else if (abs.endsWith(".ts") && !abs.endsWith(".d.ts")) out.push(rel);
  };
  for (const r of roots) visit(join(base, r));
  return out;
}

const COMPARISONS = new Set([
  ts.SyntaxKind.LessThanToken,
  ts.SyntaxKind.LessThanEqualsToken,
  ts.SyntaxKind.GreaterThanToken,
  ts.SyntaxKind.GreaterThanEqualsToken,
]);
const DEFAULTING = new Set([ts.SyntaxKind.QuestionQuestionToken, ts.SyntaxKind.BarBarToken]);
const BOUND_METHODS = new Set(["min", "max", "gte", "lte", "gt", "lt", "length"]);
const DEFAULT_METHODS = new Set(["default", "prefault"]);
const num = (text: string) => Number(text.replace(/[_,]/g, ""));
const OBJECT_CONTEXT_MAX = 800;

/** The literals in `text` (the source of `file`) that restate a value of `values`. */
export function findLiterals(file: string, text: string, values: readonly RulebookValue[]): Finding[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const lines = text.split("\n");
  const out = new Map<string, Finding>();
  const lineOf = (pos: number) => source.getLineAndCharacterOfPosition(pos).line + 1;
  const report = (pos: number, literal: string, form: string, rules: readonly RulebookValue[]) => {
    if (!rules.length) return;
    const line = lineOf(pos);
    const paths = [
      ...new Set(
        rules.map((r) => (form === "N-M" || form === "f(N, M)" ? r.path.replace(/\.(min|max)$/, "") : r.path)),
      ),
    ];
    out.set(`${line}\u0000${literal}\u0000${form}`, {
      file,
      line,
      literal,
      form,
      rules: paths,
      namespaces: [...new Set(rules.map((r) => r.namespace))].sort(),
    });
  };

  /** Words around `node`: its line, the names of its enclosing declarations, the (small) object literal it is in. */
  const contextOf = (node: ts.Node): Set<string> => {
    const words = new Set(wordsOf(lines[lineOf(node.getStart()) - 1] ?? ""));
    let objectTaken = false;
    for (let p: ts.Node | undefined = node.parent; p; p = p.parent) {
      const named = (p as { name?: ts.Node }).name;
      if (named && (ts.isIdentifier(named) || ts.isStringLiteral(named)))
        for (const w of wordsOf(named.text)) words.add(w);
      if (!objectTaken && ts.isObjectLiteralExpression(p)) {
        objectTaken = true;
        const t = p.getText();
        if (t.length <= OBJECT_CONTEXT_MAX) for (const w of wordsOf(t)) words.add(w);
      }
    }
    return words;
  };
  const matching = (candidates: readonly RulebookValue[], context: ReadonlySet<string>) =>
    candidates.filter((r) => shares(context, r.words));
  // Numbers up to TRIVIAL are everywhere: compared, they never count (a bound that small counts with its pair, `intIn(0, 90)`);
  // as a default they count with their context (`haPairs ?? 1`).
  const numbersOf = (n: number, kinds: readonly RulebookValue["kind"][]) =>
    values.filter(
      (v) => v.value === n && kinds.includes(v.kind) && (Math.abs(n) > TRIVIAL || !kinds.includes("bound")),
    );
  const DEFAULT_KINDS: readonly RulebookValue["kind"][] = ["value", "constant"];
  const BOUND_KINDS: readonly RulebookValue["kind"][] = ["bound", "value", "constant"];
  const pairsOf = (a: number, b: number) =>
    values.filter((v) => v.kind === "bound" && v.path.endsWith(".min") && v.pair?.[0] === a && v.pair[1] === b);
  const stringDefaults = (s: string) => values.filter((v) => v.kind === "value" && v.value === s);
  const patterns = (src: string) => values.filter((v) => v.kind === "pattern" && (v.value as RegExp).source === src);

  /** Paired numbers and `@default N` in prose (comments, strings, template text), judged against `context`. */
  const prose = (pos: number, s: string, context: ReadonlySet<string>) => {
    for (const m of s.matchAll(/(?:between\s+)?\b(\d[\d_,]*)\s*(?:-|to|and|–)\s*(\d[\d_,]*)\b/g))
      report(pos + (m.index ?? 0), m[0], "N-M", matching(pairsOf(num(m[1]), num(m[2])), context));
    for (const m of s.matchAll(/@default\s+(?:-\s*)?(\d[\d_]*)\b/g))
      report(pos + (m.index ?? 0), m[0], "@default N", matching(numbersOf(num(m[1]), DEFAULT_KINDS), context));
  };

  const visit = (node: ts.Node): void => {
    const single = (lit: ts.NumericLiteral, form: string, kinds: readonly RulebookValue["kind"][]) =>
      report(lit.getStart(), lit.text, form, matching(numbersOf(num(lit.text), kinds), contextOf(lit)));
    if (ts.isBinaryExpression(node)) {
      const op = node.operatorToken.kind;
      if (COMPARISONS.has(op))
        for (const side of [node.left, node.right])
          if (ts.isNumericLiteral(side)) single(side, `${ts.tokenToString(op)} N`, BOUND_KINDS);
      // A per-unit bound (a rule named `..._PER_...`) scaled by a count (`1024 * haPairs`); other products are unit conversions (`minutes * 60`).
      if (op === ts.SyntaxKind.AsteriskToken)
        for (const side of [node.left, node.right])
          if (ts.isNumericLiteral(side))
            report(
              side.getStart(),
              side.text,
              "N * x",
              matching(
                numbersOf(num(side.text), BOUND_KINDS).filter((v) => /_PER_/.test(v.path)),
                contextOf(side),
              ),
            );
      if (DEFAULTING.has(op)) {
        if (ts.isNumericLiteral(node.right)) single(node.right, `${ts.tokenToString(op)} N`, DEFAULT_KINDS);
        if (ts.isStringLiteral(node.right))
          report(
            node.right.getStart(),
            node.right.getText(),
            `${ts.tokenToString(op)} "..."`,
            stringDefaults(node.right.text),
          );
      }
    }
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const name = ts.isPropertyAccessExpression(callee) ? callee.name.text : undefined;
      const [first] = node.arguments;
      if (name && first && ts.isNumericLiteral(first) && BOUND_METHODS.has(name))
        single(first, `.${name}(N)`, BOUND_KINDS);
      if (name && first && ts.isNumericLiteral(first) && DEFAULT_METHODS.has(name))
        single(first, `.${name}(N)`, DEFAULT_KINDS);
      if (name && first && ts.isStringLiteral(first) && DEFAULT_METHODS.has(name))
        report(first.getStart(), first.getText(), `.${name}("...")`, stringDefaults(first.text));
      const args = node.arguments;
      for (let i = 0; i + 1 < args.length; i++) {
        const [a, b] = [args[i], args[i + 1]];
        if (ts.isNumericLiteral(a) && ts.isNumericLiteral(b))
          report(
            a.getStart(),
            `${a.text}, ${b.text}`,
            "f(N, M)",
            matching(pairsOf(num(a.text), num(b.text)), contextOf(a)),
          );
      }
    }
    if (node.kind === ts.SyntaxKind.RegularExpressionLiteral) {
      const literal = node.getText();
      report(node.getStart(), literal, "regex", patterns(literal.slice(1, literal.lastIndexOf("/"))));
    }
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node))
      prose(node.getStart(), node.text, contextOf(node));
    if (ts.isTemplateExpression(node)) {
      const context = contextOf(node);
      prose(node.head.getStart(), node.head.text, context);
      for (const span of node.templateSpans) prose(span.literal.getStart(), span.literal.text, context);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);

  // Comments (JSDoc included), each once, with the comment and the line after it as context.
  const seen = new Set<number>();
  const scanComments = (node: ts.Node) => {
    for (const r of ts.getLeadingCommentRanges(text, node.getFullStart()) ?? []) {
      if (seen.has(r.pos)) continue;
      seen.add(r.pos);
      const comment = text.slice(r.pos, r.end);
      prose(r.pos, comment, new Set(wordsOf(`${comment} ${lines[lineOf(r.end)] ?? ""}`)));
    }
    ts.forEachChild(node, scanComments);
  };
  scanComments(source);
  return [...out.values()].sort((a, b) => a.line - b.line);
}

/** The findings in the files, without the named exceptions. */
export function scan(
  base: string,
  files: readonly string[],
  values: readonly RulebookValue[],
  exceptions: readonly Exception[] = [],
): Finding[] {
  return files
    .flatMap((f) => findLiterals(f, readFileSync(join(base, f), "utf8"), values))
    .filter(
      (f) =>
        !exceptions.some(
          (e) => e.file === f.file && (String(e.value) === f.literal || f.literal.includes(String(e.value))),
        ),
    );
}

/**
 * The findings that count against `namespaces`: those whose every matching value is in one of them
 * (a literal 30 that is both an FSx and a KMS default counts once both are checked: until then it
 * cannot be told which it restates).
 */
export function against(findings: readonly Finding[], namespaces: readonly string[]): Finding[] {
  return findings.filter((f) => f.namespaces.every((n) => namespaces.includes(n)));
}

/** One line per finding, for messages: `file:line literal (form) restates A, B`. */
export const describeFinding = (f: Finding): string =>
  `${f.file}:${f.line} ${f.literal} (${f.form}) restates ${f.rules.join(", ")}`;
