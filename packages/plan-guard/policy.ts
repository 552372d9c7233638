/**
 * A small, deliberately cautious evaluator of KMS key policies, for the guard's verdicts on the
 * policy a plan leaves behind. It answers three questions about one document:
 * - who can change the policy (`kms:PutKeyPolicy`), and is that certain or does it depend on the request;
 * - does an Allow open the key to everyone (`Principal: "*"`, `{"AWS": "*"}`, `NotPrincipal`)
 *   without a caller-narrowing condition (an account, a principal ARN, an organization: {@link CALLER_NARROWING_KEYS});
 * - which principals of which accounts does it give any right to.
 * Policy evaluation follows the IAM rules (explicit Deny wins; `NotAction`, `NotPrincipal`,
 * wildcards in actions; a condition block is the AND of its entries, one entry the OR of its values):
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 * https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html
 * Conditions are evaluated in three values: true, false, or `undefined` ("depends on the request").
 * A Deny cancels a right only when it surely applies; a Deny that may apply makes the right uncertain.
 */

import { IAM } from "@cmk-stacks/aws-limits";
import { firstRepeatedField } from "./json-keys";

/** True, false, or undefined when it depends on the request. */
export type Tri = boolean | undefined;

/** One condition entry: operator (with IfExists / ForAnyValue / ForAllValues), key, values. */
export interface ConditionEntry {
  readonly operator: string;
  readonly key: string;
  readonly values: readonly string[];
}

/** A statement, normalised. `principal` is undefined when the statement uses `NotPrincipal`. */
export interface PolicyStatement {
  readonly index: number;
  readonly effect: "Allow" | "Deny";
  /** `"*"`: everyone; otherwise the AWS principals (ARNs or account ids) and service principals. */
  readonly principal?:
    "*" | { readonly aws: readonly string[]; readonly service: readonly string[]; readonly other: readonly string[] };
  readonly notPrincipal?: {
    readonly aws: readonly string[];
    readonly service: readonly string[];
    readonly other: readonly string[];
  };
  readonly actions?: readonly string[];
  readonly notActions?: readonly string[];
  readonly resources?: readonly string[];
  readonly notResources?: readonly string[];
  readonly conditions: readonly ConditionEntry[];
}

/**
 * What the guard derives from a statement, computed once: kept on the statement under a symbol
 * (never serialised). Statements built elsewhere (the KMS default policy) have none and are simply
 * derived each time.
 */
const MEMO = Symbol("memo");
interface Memo {
  reach?: Reach;
  lowerActions?: string[];
  principals?: Set<string>;
  notPrincipals?: Set<string>;
}
function memoOf(s: PolicyStatement): Memo {
  return (s as unknown as { [MEMO]?: Memo })[MEMO] ?? {};
}

/** Reading a policy document: its statements, or why it cannot be read. */
export type ParsedPolicy = { readonly statements: readonly PolicyStatement[] } | { readonly error: string };

function strList(v: unknown, where: string): string[] {
  if (typeof v === "string") return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v as string[];
  throw new Error(`${where} must be a string or a list of strings`);
}

/**
 * The elements of a policy document, statement and principal, as AWS spells them
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html). Any other
 * name (`condition`, `aws`) is refused rather than guessed at: the guard must read the document
 * exactly as KMS does.
 */
const DOCUMENT_ELEMENTS = ["Version", "Id", "Statement"];
const STATEMENT_ELEMENTS = [
  "Sid",
  "Effect",
  "Principal",
  "NotPrincipal",
  "Action",
  "NotAction",
  "Resource",
  "NotResource",
  "Condition",
];
const PRINCIPAL_TYPES = ["AWS", "Service", "Federated", "CanonicalUser"];

function onlyElements(o: Record<string, unknown>, known: readonly string[], where: string): void {
  for (const k in o)
    if (!known.includes(k))
      throw new Error(`${where ? `${where}.` : ""}${k} is not a policy element (${known.join(", ")})`);
}

function principalOf(v: unknown, where: string): PolicyStatement["principal"] {
  if (v === "*") return "*";
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error(`${where} must be "*" or an object`);
  const o = v as Record<string, unknown>;
  const aws = o.AWS === undefined ? [] : strList(o.AWS, `${where}.AWS`);
  const service = o.Service === undefined ? [] : strList(o.Service, `${where}.Service`);
  for (const k of Object.keys(o))
    if (!PRINCIPAL_TYPES.includes(k))
      throw new Error(`${where}.${k} is not a principal type (${PRINCIPAL_TYPES.join(", ")})`);
  const other = Object.entries(o)
    .filter(([k]) => k !== "AWS" && k !== "Service")
    .flatMap(([k, x]) => strList(x, `${where}.${k}`));
  // IAM allows no partial wildcard in a principal; read one as what it would most widely mean: everyone
  // (a wildcard service principal, `*` or `*.amazonaws.com`, would act for every account too).
  if (aws.some((a) => a.includes("*")) || service.some((x) => x.includes("*"))) return "*";
  return { aws, service, other };
}

/**
 * The condition operators IAM defines, spelled as IAM spells them (operator names are
 * case-sensitive; condition keys are not):
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
 * Anything else is refused rather than guessed at.
 */
const CONDITION_OPERATOR =
  /^(?:(?:ForAnyValue:|ForAllValues:)?(?:StringEquals|StringNotEquals|StringEqualsIgnoreCase|StringNotEqualsIgnoreCase|StringLike|StringNotLike|NumericEquals|NumericNotEquals|NumericLessThan|NumericLessThanEquals|NumericGreaterThan|NumericGreaterThanEquals|DateEquals|DateNotEquals|DateLessThan|DateLessThanEquals|DateGreaterThan|DateGreaterThanEquals|Bool|BinaryEquals|IpAddress|NotIpAddress|ArnEquals|ArnLike|ArnNotEquals|ArnNotLike)(?:IfExists)?|Null)$/;

/** The condition key as the document spells it (`kms:ViaService`; the model keeps it in lower case). */
const SPELLING = new WeakMap<ConditionEntry, string>();
export function keySpelling(c: ConditionEntry): string {
  return SPELLING.get(c) ?? c.key;
}

function conditionsOf(v: unknown, where: string): ConditionEntry[] {
  if (v === undefined) return [];
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error(`${where} must be an object`);
  const out: ConditionEntry[] = [];
  for (const [operator, block] of Object.entries(v as Record<string, unknown>)) {
    if (!CONDITION_OPERATOR.test(operator))
      throw new Error(
        `${where}.${operator} is not a condition operator (operators are case-sensitive: StringEquals, ArnLike, ForAnyValue:StringLike, BoolIfExists, Null, ...)`,
      );
    if (typeof block !== "object" || block === null || Array.isArray(block))
      throw new Error(`${where}.${operator} must be an object`);
    const seen = new Set<string>();
    for (const [key, raw] of Object.entries(block as Record<string, unknown>)) {
      // Condition keys are case-insensitive: two spellings of one key in one operator are one field written twice.
      if (seen.has(key.toLowerCase()))
        throw new Error(
          `${where}.${operator}.${key} appears twice in one operator (condition keys are case-insensitive)`,
        );
      seen.add(key.toLowerCase());
      const list = Array.isArray(raw) ? raw : [raw];
      if (!list.every((x) => typeof x === "string" || typeof x === "boolean" || typeof x === "number"))
        throw new Error(`${where}.${operator}.${key} must be strings, numbers or booleans`);
      const entry: ConditionEntry = { operator, key: key.toLowerCase(), values: list.map(String) };
      SPELLING.set(entry, key);
      out.push(entry);
    }
  }
  return out;
}

/**
 * Reads a policy document (a JSON string, any whitespace and key order). The same text is read once:
 * the rules and the policy differences shown for a change read the same documents (the result is
 * never modified, only annotated with derived facts, so sharing it is safe).
 */
const readPolicies = new Map<string, ParsedPolicy>();
export function parsePolicy(text: string): ParsedPolicy {
  let p = readPolicies.get(text);
  if (p === undefined) {
    p = readPolicy(text);
    if (readPolicies.size >= 50_000) readPolicies.clear();
    readPolicies.set(text, p);
  }
  return p;
}

/** Forgets the documents read (called at the start of each classification, so one run never reuses another's work). */
export function forgetReadPolicies(): void {
  readPolicies.clear();
}

function readPolicy(text: string): ParsedPolicy {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { error: "the key policy is not valid JSON" };
  }
  try {
    if (typeof doc !== "object" || doc === null || Array.isArray(doc))
      throw new Error("the policy must be a JSON object");
    const twice = firstRepeatedField(text, doc);
    if (twice) throw new Error(`${twice} appears twice in one object (JSON parsers keep different ones)`);
    onlyElements(doc as Record<string, unknown>, DOCUMENT_ELEMENTS, "");
    const raw = (doc as Record<string, unknown>).Statement;
    const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
    const statements = list.map((s, i): PolicyStatement => {
      const where = `Statement[${i}]`;
      if (typeof s !== "object" || s === null || Array.isArray(s)) throw new Error(`${where} must be an object`);
      const o = s as Record<string, unknown>;
      onlyElements(o, STATEMENT_ELEMENTS, where);
      if (o.Effect !== "Allow" && o.Effect !== "Deny") throw new Error(`${where}.Effect must be Allow or Deny`);
      if ((o.Principal === undefined) === (o.NotPrincipal === undefined))
        throw new Error(`${where} needs exactly one of Principal and NotPrincipal`);
      if ((o.Action === undefined) === (o.NotAction === undefined))
        throw new Error(`${where} needs exactly one of Action and NotAction`);
      const np = o.NotPrincipal === undefined ? undefined : principalOf(o.NotPrincipal, `${where}.NotPrincipal`);
      const st: { -readonly [K in keyof PolicyStatement]: PolicyStatement[K] } & { [MEMO]: Memo } = {
        index: i,
        effect: o.Effect,
        conditions: conditionsOf(o.Condition, `${where}.Condition`),
        [MEMO]: {},
      };
      if (o.Principal !== undefined) st.principal = principalOf(o.Principal, `${where}.Principal`);
      // NotPrincipal "*" excludes everyone: the statement applies to nobody.
      if (np !== undefined) st.notPrincipal = np === "*" ? { aws: ["*"], service: [], other: [] } : np;
      if (o.Action !== undefined) st.actions = strList(o.Action, `${where}.Action`);
      if (o.NotAction !== undefined) st.notActions = strList(o.NotAction, `${where}.NotAction`);
      if (o.Resource !== undefined) st.resources = strList(o.Resource, `${where}.Resource`);
      if (o.NotResource !== undefined) st.notResources = strList(o.NotResource, `${where}.NotResource`);
      return st;
    });
    return { statements };
  } catch (e) {
    return { error: `the key policy cannot be read: ${(e as Error).message}` };
  }
}

/** IAM wildcard match (`*` any run, `?` one character); `caseless` for action names. */
export function globMatch(pattern: string, value: string, caseless = false): boolean {
  const p = caseless ? pattern.toLowerCase() : pattern;
  const v = caseless ? value.toLowerCase() : value;
  // Iterative two-pointer match: linear in practice, no regular expression built from input.
  let pi = 0,
    vi = 0,
    star = -1,
    mark = 0;
  while (vi < v.length) {
    if (pi < p.length && (p[pi] === "?" || p[pi] === v[vi])) {
      pi++;
      vi++;
    } else if (pi < p.length && p[pi] === "*") {
      star = pi++;
      mark = vi;
    } else if (star >= 0) {
      pi = star + 1;
      vi = ++mark;
    } else return false;
  }
  while (pi < p.length && p[pi] === "*") pi++;
  return pi === p.length;
}

const ACCOUNT = IAM.ACCOUNT_ID.regex;
/** The account field of any ARN (`arn:aws:iam::111122223333:role/x`, `arn:aws:cloudwatch:eu-west-1:111122223333:alarm:x`): the rulebook's {@link IAM.ARN_ACCOUNT}. */
const ARN_ACCOUNT = IAM.ARN_ACCOUNT;

/** Answers already computed for a string (bounded: cleared when full). */
function memoised<T>(f: (s: string) => T): (s: string) => T {
  const cache = new Map<string, T>();
  return (s) => {
    if (cache.has(s)) return cache.get(s) as T;
    const v = f(s);
    if (cache.size >= 50_000) cache.clear();
    cache.set(s, v);
    return v;
  };
}

/** The account a principal or resource (ARN or account id) belongs to. */
export const accountOf: (principal: string) => string | undefined = memoised((principal) =>
  ACCOUNT.test(principal) ? principal : ARN_ACCOUNT.exec(principal)?.[1],
);

const ROOT_ARN = /^arn:[a-z-]+:iam::(\d{12}):root$/;

/** `111122223333` and `arn:aws:iam::111122223333:root` name the same principal: the account. */
export const normalisePrincipal: (p: string) => string = memoised((p) => {
  if (ACCOUNT.test(p)) return `account:${p}`;
  const root = ROOT_ARN.exec(p);
  return root ? `account:${root[1]}` : p;
});

/** Whether `p` is an account (root) principal. */
export function isAccountPrincipal(p: string): boolean {
  return normalisePrincipal(p).startsWith("account:");
}

/** Whether a listed AWS principal covers the caller `p` (an account entry covers every principal of that account). */
function listedCovers(set: ReadonlySet<string>, p: string): boolean {
  if (set.has("*") || set.has(normalisePrincipal(p))) return true;
  const account = accountOf(p);
  return account !== undefined && set.has(`account:${account}`);
}

function normalisedSet(listed: readonly string[]): Set<string> {
  return new Set(listed.map((l) => (l === "*" ? "*" : normalisePrincipal(l))));
}

/** Whether the statement's Principal/NotPrincipal applies to the caller `p`. */
export function principalApplies(s: PolicyStatement, p: string): boolean {
  if (s.principal === "*") return true;
  const memo = memoOf(s);
  if (s.principal) return listedCovers((memo.principals ??= normalisedSet(s.principal.aws)), p);
  // NotPrincipal: everyone except those listed, and only the exact principal listed is excepted
  // (listing an account does not except the roles in it from a Deny).
  const set = (memo.notPrincipals ??= normalisedSet(s.notPrincipal?.aws ?? []));
  return !(set.has("*") || set.has(normalisePrincipal(p)));
}

/** Whether the statement covers the action. */
export function actionApplies(s: PolicyStatement, action: string): boolean {
  const a = action.toLowerCase();
  const patterns = lowerActions(s);
  const listed = patterns.some((p) => p === a || globMatch(p, a));
  return s.actions ? listed : !listed;
}

/** A statement's Action or NotAction patterns in lower case (action names are case-insensitive). */
function lowerActions(s: PolicyStatement): string[] {
  const memo = memoOf(s);
  return (memo.lowerActions ??= (s.actions ?? s.notActions ?? []).map((x) => x.toLowerCase()));
}

function resourceApplies(s: PolicyStatement, keyArn: string | undefined): Tri {
  if (s.resources) {
    if (s.resources.includes("*")) return true;
    return keyArn ? s.resources.some((r) => globMatch(r, keyArn)) : undefined;
  }
  if (s.notResources) return keyArn ? !s.notResources.some((r) => globMatch(r, keyArn)) : undefined;
  return undefined;
}

/** The request a verdict is about: who, which action, on which key (ARN when known). */
export interface RequestContext {
  readonly principal: string;
  readonly action: string;
  readonly keyArn?: string;
}

/** Keys never in a kms:PutKeyPolicy (or other key-management) request: grant, encryption-context and tag-request keys. */
const ABSENT_KEYS =
  /^(kms:grantisforawsresource|kms:grantoperations|kms:granteeprincipal|kms:retiringprincipal|kms:grantconstrainttype|kms:encryptioncontext:.*|kms:encryptioncontextkeys|kms:encryptionalgorithm|kms:signingalgorithm|kms:macalgorithm|kms:messagetype|kms:wrappingalgorithm|kms:wrappingkeyspec|kms:expirationmodel|kms:validto|kms:replicaregion|kms:primaryregion|kms:requestalias|kms:recipientattestation:.*|aws:requesttag\/.*|aws:tagkeys)$/;
/** Global keys present in every signed request (values unknown unless derived from the caller). */
const PRESENT_KEYS = new Set([
  "aws:principalarn",
  "aws:principalaccount",
  "kms:calleraccount",
  "aws:currenttime",
  "aws:epochtime",
  "aws:securetransport",
  "aws:requestedregion",
  "aws:userid",
  "aws:principaltype",
  "aws:principalisawsservice",
  "aws:viaawsservice",
]);

function knownValue(key: string, r: RequestContext, now: Date): string | undefined {
  if (key === "aws:principalarn")
    return isAccountPrincipal(r.principal) ? `arn:aws:iam::${accountOf(r.principal)}:root` : r.principal;
  if (key === "aws:principalaccount" || key === "kms:calleraccount") return accountOf(r.principal);
  // KMS endpoints accept HTTPS only.
  if (key === "aws:securetransport") return "true";
  if (key === "aws:principaltype")
    return isAccountPrincipal(r.principal)
      ? "Account"
      : /:role\//.test(r.principal)
        ? "AssumedRole"
        : /:user\//.test(r.principal)
          ? "User"
          : undefined;
  if (key === "aws:currenttime") return now.toISOString();
  if (key === "aws:epochtime") return String(Math.floor(now.getTime() / 1000));
  return undefined;
}

function dateOf(v: string): number {
  return /^\d+$/.test(v) ? Number(v) * 1000 : Date.parse(v);
}

function compare(base: string, pattern: string, value: string): Tri {
  const dates = (): [number, number] | undefined => {
    const a = dateOf(value),
      b = dateOf(pattern);
    return Number.isNaN(a) || Number.isNaN(b) ? undefined : [a, b];
  };
  switch (base) {
    case "bool":
      return pattern.toLowerCase() === value.toLowerCase();
    case "dateequals": {
      const d = dates();
      return d && d[0] === d[1];
    }
    case "datelessthan": {
      const d = dates();
      return d && d[0] < d[1];
    }
    case "datelessthanequals": {
      const d = dates();
      return d && d[0] <= d[1];
    }
    case "dategreaterthan": {
      const d = dates();
      return d && d[0] > d[1];
    }
    case "dategreaterthanequals": {
      const d = dates();
      return d && d[0] >= d[1];
    }
    case "stringequals":
      return pattern === value;
    case "stringequalsignorecase":
      return pattern.toLowerCase() === value.toLowerCase();
    case "stringlike":
    case "arnlike":
    case "arnequals":
      return globMatch(pattern, value);
    default:
      return undefined;
  }
}

const NEGATED: Record<string, string> = {
  stringnotequals: "stringequals",
  stringnotequalsignorecase: "stringequalsignorecase",
  stringnotlike: "stringlike",
  arnnotequals: "arnequals",
  arnnotlike: "arnlike",
  datenotequals: "dateequals",
};

/** Far enough ahead that every date a policy names has passed. */
const FAR_FUTURE = new Date(Date.UTC(9999, 0, 1));

/**
 * One condition entry for the request, in three values. A condition on the request time that
 * answers differently now and later (a Deny from a future date, an Allow until one) depends on
 * the request: the key is manageable today and may not be after that date.
 */
export function evalCondition(c: ConditionEntry, r: RequestContext, now: Date = new Date()): Tri {
  const today = evalAt(c, r, now);
  if (c.key !== "aws:currenttime" && c.key !== "aws:epochtime") return today;
  return today === evalAt(c, r, FAR_FUTURE) ? today : undefined;
}

function evalAt(c: ConditionEntry, r: RequestContext, now: Date): Tri {
  let op = c.operator.toLowerCase();
  let set: "any" | "all" | undefined;
  if (op.startsWith("foranyvalue:")) {
    set = "any";
    op = op.slice(12);
  } else if (op.startsWith("forallvalues:")) {
    set = "all";
    op = op.slice(13);
  }
  const ifExists = op.endsWith("ifexists");
  if (ifExists) op = op.slice(0, -8);
  const absent: Tri = ABSENT_KEYS.test(c.key) ? true : PRESENT_KEYS.has(c.key) ? false : undefined;
  if (op === "null") {
    if (absent === undefined) return undefined;
    return c.values.some((v) => (v.toLowerCase() === "true") === absent);
  }
  // What the entry says when the key is absent from the request.
  const negated = NEGATED[op];
  const whenAbsent = set === "all" || ifExists || negated !== undefined;
  if (absent === true) return set === "any" ? false : whenAbsent;
  const value = knownValue(c.key, r, now);
  if (value !== undefined) {
    const positive = (p: string): Tri => compare(negated ?? op, p, value);
    const results = c.values.map(positive);
    const any: Tri = results.some((x) => x === true) ? true : results.every((x) => x === false) ? false : undefined;
    if (any === undefined) return undefined;
    return negated ? !any : any;
  }
  // Present (or perhaps present) with a value we cannot know: only a pure wildcard decides.
  const wildcard = c.values.some((v) => /^\*+$/.test(v));
  if ((op === "stringlike" || op === "arnlike") && wildcard && !negated)
    return absent === false || whenAbsent ? true : undefined;
  if (negated && (negated === "stringlike" || negated === "arnlike") && wildcard)
    return absent === false && !set ? false : undefined;
  return undefined;
}

/** AND of three-valued results. */
function and(parts: Tri[]): Tri {
  if (parts.some((p) => p === false)) return false;
  return parts.every((p) => p === true) ? true : undefined;
}

/** Whether the statement applies to the request (principal, action, resource and conditions). */
export function statementApplies(s: PolicyStatement, r: RequestContext): Tri {
  if (!principalApplies(s, r.principal) || !actionApplies(s, r.action)) return false;
  return and([resourceApplies(s, r.keyArn), ...s.conditions.map((c) => evalCondition(c, r))]);
}

/** The decision for a request under the key policy alone: allowed surely, surely not, or depending on the request. */
export function decide(statements: readonly PolicyStatement[], r: RequestContext): Tri {
  const deny = statements.filter((s) => s.effect === "Deny").map((s) => statementApplies(s, r));
  if (deny.some((d) => d === true)) return false;
  const allow = statements.filter((s) => s.effect === "Allow").map((s) => statementApplies(s, r));
  const allowed: Tri = allow.some((a) => a === true) ? true : allow.every((a) => a === false) ? false : undefined;
  if (allowed === false) return false;
  return deny.some((d) => d === undefined) ? undefined : allowed;
}

/** Principals that can change the policy: `sure` regardless of the request, `maybe` depending on it. */
export function managers(
  statements: readonly PolicyStatement[],
  keyArn?: string,
  granted: readonly string[] = grantedPrincipals(statements),
): { sure: string[]; maybe: string[] } {
  const sure: string[] = [];
  const maybe: string[] = [];
  for (const p of candidates(statements, granted)) {
    const d = decide(statements, { principal: p, action: "kms:PutKeyPolicy", keyArn });
    if (d === true) sure.push(p);
    else if (d === undefined) maybe.push(p);
  }
  return { sure, maybe };
}

/**
 * Who to ask `decide` about: the principals an Allow names, and the role or user ARNs a Deny
 * excepts by `aws:PrincipalArn` (`StringNotEquals`/`ArnNotEquals`/`...NotLike`): under an
 * account-root Allow such a principal keeps the key manageable through its IAM policy
 * (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam).
 * `NotPrincipal` exceptions are not candidates: a role's sessions are `assumed-role` principals the
 * role ARN does not except.
 */
function candidates(statements: readonly PolicyStatement[], granted: readonly string[]): string[] {
  // Only IAM principals and accounts call PutKeyPolicy (not the resources an aws:SourceArn names).
  const out = new Set(granted.filter((p) => ACCOUNT.test(p) || /^arn:[a-z-]+:(?:iam|sts)::/.test(p)));
  for (const s of statements) {
    if (s.effect !== "Deny") continue;
    for (const c of s.conditions) {
      const op = c.operator.toLowerCase();
      if (c.key === "aws:principalarn" && NEGATED[op] !== undefined)
        for (const v of c.values) if (!/[*?]/.test(v) && accountOf(v) !== undefined) out.add(v);
    }
  }
  return [...out];
}

/** What a caller-narrowing condition key pins: an account, a principal ARN (hence its account), an organization, an organization path. */
export type CallerScope = "account" | "arn" | "organization" | "org-path";

/** A condition key that narrows WHO calls, and for which principals it does. */
export interface CallerKey {
  readonly scope: CallerScope;
  /**
   * `aws`: narrows `Principal: "*"` / `{"AWS": "*"}` / `NotPrincipal` (the key describes the calling
   * principal). `service`: narrows only a statement whose principal is a service principal (the key
   * is what the calling service says it acts for).
   */
  readonly narrows: "aws" | "service";
  /**
   * Only for these service principals (a key the named service itself sets, such as the encryption
   * context CloudWatch Logs puts on every request: the log group's ARN). @default - every service principal
   */
  readonly services?: RegExp;
  readonly doc: string;
}

const GLOBAL_KEYS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html";

/**
 * The only condition keys that narrow who may call (lower case: condition keys are case-insensitive).
 * Every other key leaves `Principal: "*"` open to every AWS account, notably:
 * - `kms:ViaService` names the service a request comes through, not the account of the caller (any
 *   account's principals use EC2 or S3); AWS's own pattern pairs it with `kms:CallerAccount`
 *   (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service);
 * - encryption context (`kms:EncryptionContext:*`, `kms:EncryptionContextKeys`), `kms:GrantIsForAWSResource`,
 *   `kms:GrantOperations`, request-shape keys (`kms:EncryptionAlgorithm`, `kms:KeySpec`, ...): the caller
 *   chooses them;
 * - `aws:SecureTransport`, `aws:SourceIp`, `aws:RequestedRegion`, `aws:CurrentTime`, `aws:MultiFactorAuthPresent`,
 *   `aws:PrincipalTag/*`, `aws:PrincipalType`, `aws:PrincipalIsAWSService`, `aws:PrincipalServiceName`,
 *   `aws:ViaAWSService`, `aws:CalledVia*`, `aws:ResourceAccount`: true of callers in any account;
 * - `aws:SourceVpce`, `aws:SourceVpc`, `aws:VpceAccount`, `aws:VpceOrgID`, `aws:VpceOrgPaths`: the network path,
 *   not the caller: principals of any account may send requests through an endpoint its policy lets
 *   through (https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html), so they
 *   narrow nothing on their own;
 * - `aws:username` (a user name exists in every account) and `aws:userid` (a unique id whose account
 *   the guard cannot read): pair them with `aws:PrincipalAccount`.
 * The `aws:Source*` keys are set by an AWS service calling on behalf of a resource; AWS documents them
 * for service principals (confused-deputy protection, https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html),
 * so they narrow a service principal, never `Principal: "*"`.
 */
export const CALLER_NARROWING_KEYS: Readonly<Record<string, CallerKey>> = {
  "kms:calleraccount": {
    scope: "account",
    narrows: "aws",
    doc: "https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account",
  },
  "aws:principalaccount": { scope: "account", narrows: "aws", doc: `${GLOBAL_KEYS}#condition-keys-principalaccount` },
  "aws:principalarn": { scope: "arn", narrows: "aws", doc: `${GLOBAL_KEYS}#condition-keys-principalarn` },
  "aws:principalorgid": { scope: "organization", narrows: "aws", doc: `${GLOBAL_KEYS}#condition-keys-principalorgid` },
  "aws:principalorgpaths": {
    scope: "org-path",
    narrows: "aws",
    doc: `${GLOBAL_KEYS}#condition-keys-principalorgpaths`,
  },
  "aws:sourceaccount": { scope: "account", narrows: "service", doc: `${GLOBAL_KEYS}#condition-keys-sourceaccount` },
  "aws:sourcearn": { scope: "arn", narrows: "service", doc: `${GLOBAL_KEYS}#condition-keys-sourcearn` },
  "aws:sourceorgid": { scope: "organization", narrows: "service", doc: `${GLOBAL_KEYS}#condition-keys-sourceorgid` },
  "aws:sourceorgpaths": { scope: "org-path", narrows: "service", doc: `${GLOBAL_KEYS}#condition-keys-sourceorgpaths` },
  // CloudWatch Logs sets this encryption context to the log group's ARN on every request it makes with
  // the key, and AWS documents it as the condition that confines logs.<region>.amazonaws.com to
  // the account's log groups (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
  // Only for that principal: for any other caller the encryption context is the caller's choice.
  "kms:encryptioncontext:aws:logs:arn": {
    scope: "arn",
    narrows: "service",
    services: /^logs\.[a-z0-9-]+\.amazonaws\.com$/,
    doc: "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html",
  },
};

/**
 * Operators under which a caller-narrowing key narrows: a positive match, which is false when the key
 * is absent. Not `...IfExists` (an absent key matches), not negated operators (everyone but the
 * value), not `Null`, not `ForAllValues:` (true for an absent key), not numeric, date, binary or IP
 * operators. `ForAnyValue:` on a single-valued key reads it as a set of one, and is false when the
 * key is absent. Exact spelling: operators are case-sensitive.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
 */
const POSITIVE_OPERATORS = new Set(["StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike"]);

function positiveOperator(operator: string): boolean {
  return POSITIVE_OPERATORS.has(operator.replace(/^ForAnyValue:/, ""));
}

/** The organization id an organization path starts with (`o-abc123def4/r-ab12/...`). */
const ORG_ID = /^o-[a-z0-9]{10,32}$/;
const ORG_PATH = /^(o-[a-z0-9]{10,32})\//;

/** The key's own account or organization, as a policy variable (resolved by IAM at request time). */
const OWN_VARIABLE: Record<CallerScope, RegExp> = {
  account: /^\$\{aws:resourceaccount\}$/i,
  arn: /^$/,
  organization: /^\$\{aws:resourceorgid\}$/i,
  "org-path": /^$/,
};

/**
 * Whether one value of a caller-narrowing key, under this operator, names one account, principal,
 * organization or path of one organization. Under a wildcard operator (`...Like`, `Arn...`) what
 * identifies the caller must come before the first wildcard: the account field of an ARN
 * (`arn:aws:iam::111122223333:role/app-*`), the organization of a path (`o-abc123def4/*`); `o-*`,
 * `arn:aws:*`, `1*` confine nobody. A policy variable narrows only as the key's own account
 * (`${aws:ResourceAccount}`) or organization (`${aws:ResourceOrgID}`); any other is unknown here.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
 */
function valueNarrows(scope: CallerScope, operator: string, v: string): boolean {
  if (OWN_VARIABLE[scope].test(v)) return true;
  if (v.includes("${")) return false;
  const wildcards = /Like$|^(?:ForAnyValue:)?Arn/.test(operator);
  const w = wildcards ? v.search(/[*?]/) : -1;
  const head = w < 0 ? v : v.slice(0, w);
  switch (scope) {
    case "account":
      return w < 0 && IAM.ACCOUNT_ID.regex.test(v);
    case "arn":
      return ARN_ACCOUNT.test(head) || (w < 0 && ARN_ACCOUNT.test(v));
    case "organization":
      return w < 0 && ORG_ID.test(v);
    case "org-path":
      return ORG_PATH.test(head);
  }
}

/** Whether one condition entry narrows the callers of this kind (`aws` for everyone-principals, `service` for service principals). */
export function narrowsCaller(c: ConditionEntry, kind: "aws" | "service"): boolean {
  const k = CALLER_NARROWING_KEYS[c.key];
  if (!k || k.narrows !== kind || !positiveOperator(c.operator) || c.values.length === 0) return false;
  return c.values.every((v) => valueNarrows(k.scope, c.operator, v));
}

/**
 * Who a statement reaches, as far as accounts and organizations go:
 * - `principals`: ARNs and account ids (named, or the values of a narrowing `kms:CallerAccount`,
 *   `aws:PrincipalAccount`, `aws:PrincipalArn`, `aws:SourceAccount` or `aws:SourceArn`);
 * - `organizations`: organization ids (of `aws:PrincipalOrgID`/`OrgPaths`, `aws:SourceOrgID`/`OrgPaths`)
 *   when no account-level condition bounds the statement more tightly;
 * - `unplaced`: principals the guard cannot place in an account (a federated identity provider, a
 *   canonical user, an AWS principal that is neither an ARN nor an account id);
 * - `open`: everyone (an everyone-principal no caller-narrowing condition confines);
 * - `servicesUnconfined`: service principals without an `aws:Source*` condition (they act for every
 *   account that uses the service).
 * The key's own account and organization written as `${aws:ResourceAccount}`/`${aws:ResourceOrgID}` reach nobody new.
 */
export interface Reach {
  readonly principals: string[];
  readonly organizations: string[];
  readonly unplaced: string[];
  readonly open: boolean;
  readonly servicesUnconfined: string[];
}

function boundOf(
  s: PolicyStatement,
  kind: "aws" | "service",
): { principals: string[]; organizations: string[] } | undefined {
  const entries = s.conditions.filter((c) => {
    const only = CALLER_NARROWING_KEYS[c.key]?.services;
    const principals = s.principal && s.principal !== "*" ? s.principal.service : [];
    return narrowsCaller(c, kind) && (!only || (principals.length > 0 && principals.every((p) => only.test(p))));
  });
  if (!entries.length) return undefined;
  const values = (c: ConditionEntry) => c.values.filter((v) => !v.includes("${"));
  const accountLevel = entries.filter((c) => {
    const scope = CALLER_NARROWING_KEYS[c.key].scope;
    return scope === "account" || scope === "arn";
  });
  // The conditions are ANDed: any one of them bounds the reach. Take the account-level one naming the fewest accounts.
  if (accountLevel.length) {
    const accounts = (c: ConditionEntry) => new Set(values(c).map((v) => ARN_ACCOUNT.exec(v)?.[1] ?? v)).size;
    const tightest = accountLevel.reduce((a, b) => (accounts(b) < accounts(a) ? b : a));
    return { principals: values(tightest), organizations: [] };
  }
  const orgs = (c: ConditionEntry) => [...new Set(values(c).map((v) => ORG_PATH.exec(v)?.[1] ?? v))];
  const tightest = entries.reduce((a, b) => (orgs(b).length < orgs(a).length ? b : a));
  return { principals: [], organizations: orgs(tightest) };
}

/** The reach of one Allow statement (see {@link Reach}); a Deny reaches nobody. */
export function reachOf(s: PolicyStatement): Reach {
  const memo = memoOf(s);
  return (memo.reach ??= computeReach(s));
}

function computeReach(s: PolicyStatement): Reach {
  const out: Reach = { principals: [], organizations: [], unplaced: [], open: false, servicesUnconfined: [] };
  if (s.effect !== "Allow") return out;
  if (s.principal === "*" || s.notPrincipal !== undefined) {
    const bound = boundOf(s, "aws");
    if (!bound) return { ...out, open: true };
    return { ...out, ...bound };
  }
  if (!s.principal) return out;
  for (const p of s.principal.aws) (accountOf(p) !== undefined ? out.principals : out.unplaced).push(p);
  // Federated identity providers by ARN (SAML/OIDC providers) live in an account; web identity providers (accounts.google.com) and canonical users do not.
  for (const p of s.principal.other) (accountOf(p) !== undefined ? out.principals : out.unplaced).push(p);
  if (s.principal.service.length) {
    const bound = boundOf(s, "service");
    if (bound) {
      out.principals.push(...bound.principals);
      out.organizations.push(...bound.organizations);
    } else out.servicesUnconfined.push(...s.principal.service);
  }
  return out;
}

/** Allow statements that open the key to everyone with nothing narrowing the caller. */
export function publicStatements(statements: readonly PolicyStatement[]): PolicyStatement[] {
  return statements.filter((s) => reachOf(s).open);
}

/**
 * Principals given any right by an Allow, as ARNs or account ids: the named ones, and for an
 * everyone-principal (or a service principal) narrowed by account or ARN, the accounts and ARNs it is narrowed to.
 */
export function grantedPrincipals(statements: readonly PolicyStatement[]): string[] {
  return [...new Set(statements.flatMap((s) => reachOf(s).principals))];
}

/** Organizations an Allow opens the key to (by `aws:PrincipalOrgID`/`OrgPaths` or `aws:SourceOrgID`/`OrgPaths`). */
export function grantedOrganizations(statements: readonly PolicyStatement[]): string[] {
  return [...new Set(statements.flatMap((s) => reachOf(s).organizations))];
}
