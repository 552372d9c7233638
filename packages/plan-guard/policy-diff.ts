/**
 * The evaluated difference between two policy documents (KMS key policies, S3 bucket policies, SNS
 * topic policies, IAM policies): which principal gained or lost which actions, on which resources,
 * under which conditions, and which Denies were added or removed. Statement order, `Sid`s, how
 * actions and principals are grouped into statements, and `111122223333` versus
 * `arn:aws:iam::111122223333:root` make no difference; a right still covered by a broader one
 * (`kms:*`, fewer conditions) is not reported as lost or gained.
 * Documents are read with the guard's own policy model (`parsePolicy` in policy.ts), so a document
 * the guard refuses to judge is reported as unreadable here too.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html
 */
import {
  globMatch,
  keySpelling,
  normalisePrincipal,
  parsePolicy,
  type ConditionEntry,
  type PolicyStatement,
} from "./policy";

/** One side of a policy attribute: its text, none at all, or known only after apply. */
export type PolicySide = string | null | undefined | { readonly unknown: true };

/** One (effect, principal, action, resources, conditions) unit of a policy. */
interface Unit {
  readonly effect: "Allow" | "Deny";
  readonly who: string;
  readonly whoKey: string;
  readonly action: string;
  /** A wildcard pattern that can cover other actions; undefined for `NotAction` units. */
  readonly pattern?: string;
  readonly resources: string;
  /** Rendered condition entries, sorted (the AND of them). */
  readonly conditions: readonly string[];
  /** Identity of the unit (effect, principal, action in lower case, resources, conditions), computed once. */
  readonly key: string;
}

const keyOf = (u: Unit): string => u.key;

/** Condition operators in words (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html). */
const OPERATORS: Record<string, string> = {
  stringequals: "=",
  stringnotequals: "≠",
  stringequalsignorecase: "= (any case)",
  stringnotequalsignorecase: "≠ (any case)",
  stringlike: "like",
  stringnotlike: "not like",
  arnequals: "=",
  arnlike: "like",
  arnnotequals: "≠",
  arnnotlike: "not like",
  numericequals: "=",
  numericnotequals: "≠",
  numericlessthan: "<",
  numericlessthanequals: "≤",
  numericgreaterthan: ">",
  numericgreaterthanequals: "≥",
  dateequals: "=",
  datenotequals: "≠",
  datelessthan: "before",
  datelessthanequals: "at or before",
  dategreaterthan: "after",
  dategreaterthanequals: "at or after",
  bool: "=",
  binaryequals: "=",
  ipaddress: "in",
  notipaddress: "not in",
};

function conditionText(c: ConditionEntry): string {
  let op = c.operator.toLowerCase();
  let set = "";
  if (op.startsWith("foranyvalue:")) {
    set = "any of ";
    op = op.slice(12);
  } else if (op.startsWith("forallvalues:")) {
    set = "all of ";
    op = op.slice(13);
  }
  const ifExists = op.endsWith("ifexists") ? " (if present)" : "";
  if (ifExists) op = op.slice(0, -8);
  const key = keySpelling(c);
  if (op === "null")
    return c.values.map((v) => (v.toLowerCase() === "true" ? `${key} is absent` : `${key} is present`)).join(" or ");
  const word = OPERATORS[op] ?? c.operator;
  return `${set}${key} ${word} ${c.values.join(" or ")}${ifExists}`;
}

function whoOf(s: PolicyStatement, identity: string | undefined): { who: string; whoKey: string }[] {
  if (s.principal === "*") return [{ who: "everyone (*)", whoKey: "*" }];
  if (s.principal) {
    return [
      ...s.principal.aws.map((p) => ({ who: p === identity ? "this identity" : p, whoKey: normalisePrincipal(p) })),
      ...s.principal.service.map((p) => ({ who: `${p} (service)`, whoKey: `service:${p.toLowerCase()}` })),
      ...s.principal.other.map((p) => ({ who: p, whoKey: `other:${p}` })),
    ];
  }
  const np = s.notPrincipal ?? { aws: [], service: [], other: [] };
  const except = [...np.aws, ...np.service, ...np.other];
  return [
    { who: `everyone except ${except.join(", ")}`, whoKey: `not:${except.map(normalisePrincipal).sort().join(",")}` },
  ];
}

function unitsOf(statements: readonly PolicyStatement[], identity?: string): Unit[] {
  const out: Unit[] = [];
  for (const s of statements) {
    const resources = s.resources
      ? s.resources.includes("*")
        ? ""
        : [...s.resources].sort().join(", ")
      : s.notResources
        ? `everything except ${[...s.notResources].sort().join(", ")}`
        : "";
    const conditions = s.conditions.map(conditionText).sort();
    const actions: { action: string; pattern?: string }[] = s.actions
      ? s.actions.map((a) => ({ action: a, pattern: a }))
      : [{ action: `every action except ${[...(s.notActions ?? [])].sort().join(", ")}` }];
    // head and tail are JSON (no raw NUL), so `head NUL action NUL tail` names one unit whatever the action holds.
    const tail = JSON.stringify([resources, conditions]);
    for (const w of whoOf(s, identity)) {
      const head = JSON.stringify([s.effect, w.whoKey]);
      for (const a of actions)
        out.push({
          effect: s.effect,
          who: w.who,
          whoKey: w.whoKey,
          action: a.action,
          pattern: a.pattern,
          resources,
          conditions,
          key: `${head}\u0000${a.action.toLowerCase()}\u0000${tail}`,
        });
    }
  }
  return out;
}

/** Whether `u` is still granted (or denied) by a unit of `others` at least as broad: same principal and resources, an action pattern covering it, and no more conditions. */
function covered(u: Unit, others: readonly Unit[]): boolean {
  return others.some(
    (o) =>
      o.effect === u.effect &&
      o.whoKey === u.whoKey &&
      o.resources === u.resources &&
      (o.pattern !== undefined && u.pattern !== undefined
        ? globMatch(o.pattern, u.pattern, true)
        : o.action.toLowerCase() === u.action.toLowerCase()) &&
      o.conditions.every((c) => u.conditions.includes(c)),
  );
}

function group(units: readonly Unit[], verb: (u: Unit) => string): string[] {
  const groups = new Map<string, { head: Unit; actions: string[] }>();
  for (const u of units) {
    // By principal identity: `111122223333` and its root ARN are one principal, shown as first written.
    const k = JSON.stringify([u.effect, u.whoKey, u.resources, u.conditions]);
    const g = groups.get(k) ?? { head: u, actions: [] };
    if (!g.actions.includes(u.action)) g.actions.push(u.action);
    groups.set(k, g);
  }
  return [...groups.values()].map(({ head, actions }) => {
    const on = head.resources ? ` on ${head.resources}` : "";
    const when = head.conditions.length ? ` (when ${head.conditions.join(" and ")})` : "";
    return `${head.who} ${verb(head)} ${actions.sort().join(", ")}${on}${when}`;
  });
}

type Read = { units: Unit[] } | { error: string } | { unknown: true };

function read(side: PolicySide, defaultPolicy: string | undefined, identity: string | undefined): Read {
  if (typeof side === "object" && side !== null) return { unknown: true };
  const text = typeof side === "string" && side.trim() !== "" ? side : defaultPolicy;
  if (text === undefined) return { units: [] };
  if (identity === undefined) {
    const parsed = parsePolicy(text);
    if ("error" in parsed)
      return {
        error:
          parsed.error === "the key policy is not valid JSON"
            ? "not valid JSON"
            : parsed.error.replace(/^the key policy (cannot be read: )?/, ""),
      };
    return { units: unitsOf(parsed.statements) };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { error: "not valid JSON" };
  }
  // An identity policy (IAM role, user, group) names no principal: it grants the identity it is attached to.
  const statements = (doc as { Statement?: unknown } | null)?.Statement;
  const list = Array.isArray(statements) ? statements : statements === undefined ? [] : [statements];
  const isIdentityPolicy =
    identity !== undefined &&
    list.length > 0 &&
    list.every((s) => s && typeof s === "object" && !("Principal" in s) && !("NotPrincipal" in s));
  const source = isIdentityPolicy
    ? JSON.stringify({
        ...(doc as object),
        Statement: list.map((s) => ({ ...(s as object), Principal: { AWS: identity } })),
      })
    : text;
  const parsed = parsePolicy(source);
  if ("error" in parsed) return { error: parsed.error.replace(/^the key policy (cannot be read: )?/, "") };
  return { units: unitsOf(parsed.statements, identity) };
}

/** Options of {@link policyDiff}. */
export interface PolicyDiffOptions {
  /** The policy in force when the attribute is empty (a KMS key's default key policy). @default - no statements */
  readonly defaultPolicy?: string;
  /** Read documents without principals as identity policies of this identity. @default - they are unreadable */
  readonly identity?: string;
}

/**
 * Most (principal, action) units compared per document. AWS caps key policies at 32 KB and bucket
 * policies at 20 KB (a few hundred units); a plan's document far beyond that is not compared
 * pairwise (the comparison is quadratic) but reported for review.
 */
export const MAX_UNITS = 5000;

/** Stands for the identity an IAM policy is attached to. */
export const IDENTITY = "(this identity)";

/**
 * The evaluated difference between two policy documents, one line per group of actions, e.g.
 * `arn:aws:iam::555555555555:root gained kms:Decrypt (when kms:ViaService = s3.eu-west-1.amazonaws.com)`.
 * Empty when neither text nor rights change; one line saying so when only the text changes.
 */
export function policyDiff(before: PolicySide, after: PolicySide, opts: PolicyDiffOptions = {}): string[] {
  const b = read(before, opts.defaultPolicy, opts.identity);
  const a = read(after, opts.defaultPolicy, opts.identity);
  if ("unknown" in a) return ["(known after apply)"];
  if ("error" in a) return [`cannot be read after the change (${a.error}): review the document itself`];
  if ("error" in b)
    return [
      `cannot be read before the change (${b.error}); after it: ${describePolicy(a.units).join("; ") || "no statements"}`,
    ];
  const was = "units" in b ? b.units : [];
  if (was.length > MAX_UNITS || a.units.length > MAX_UNITS)
    return [
      `too large to compare (${Math.max(was.length, a.units.length)} principal-action pairs): review the document itself`,
    ];
  const beforeKeys = new Set(was.map(keyOf));
  const afterKeys = new Set(a.units.map(keyOf));
  const gained = a.units.filter((u) => !beforeKeys.has(keyOf(u)) && !covered(u, was));
  const lost = "unknown" in b ? [] : was.filter((u) => !afterKeys.has(keyOf(u)) && !covered(u, a.units));
  const lines = [
    ...group(
      gained.filter((u) => u.effect === "Allow"),
      () => "gained",
    ),
    ...group(
      lost.filter((u) => u.effect === "Allow"),
      () => "lost",
    ),
    ...group(
      gained.filter((u) => u.effect === "Deny"),
      () => "is now denied",
    ),
    ...group(
      lost.filter((u) => u.effect === "Deny"),
      () => "is no longer denied",
    ),
  ];
  if ("unknown" in b) return [`before: (known after apply)`, ...lines];
  if (lines.length === 0 && normalised(before) !== normalised(after))
    return ["the document changes, the rights it gives do not (statements reordered, regrouped or renamed)"];
  return lines;
}

/** Every right a document gives, in the same words (for a new policy). */
function describePolicy(units: readonly Unit[]): string[] {
  return [
    ...group(
      units.filter((u) => u.effect === "Allow"),
      () => "may",
    ),
    ...group(
      units.filter((u) => u.effect === "Deny"),
      () => "is denied",
    ),
  ];
}

function normalised(side: PolicySide): string {
  if (typeof side !== "string") return JSON.stringify(side ?? null);
  try {
    return JSON.stringify(JSON.parse(side));
  } catch {
    return side;
  }
}

/**
 * Who may newly or no longer connect to a VPC endpoint service (`allowed_principals`, or one
 * `aws_vpc_endpoint_service_allowed_principal`): `<principal> may now connect` / `may no longer connect`.
 */
export function principalListDiff(before: readonly string[], after: readonly string[]): string[] {
  const b = new Set(before);
  const a = new Set(after);
  return [
    ...[...a].filter((p) => !b.has(p)).map((p) => `${p} may now connect`),
    ...[...b].filter((p) => !a.has(p)).map((p) => `${p} may no longer connect`),
  ];
}
