import { Token } from "cdktf";
import { shown } from "../core/errors";
import type { KeyPolicyForm } from "./key-policy";

/**
 * Props every customer key shares whatever holds its material (a key in AWS KMS or a custom key
 * store, or a key with imported material): its alias, deletion window and separation-of-duties roles.
 */
export interface KeyBaseProps {
  /** The key's alias: `alias/` then letters, digits, `:`, `/`, `_`, `-` (at most 256 chars), not `alias/aws/...`. */
  readonly alias: string;
  /** Principals (IAM role or user ARNs of the stack's partition) that manage the key and are denied its cryptographic use: at least one. */
  readonly administrators: readonly string[];
  /** Principals (IAM role or user ARNs of the stack's partition) that use the key and are denied its administration: at least one. */
  readonly users: readonly string[];
  /** At most 8192 chars. @default - a description naming the key and the environment */
  readonly description?: string;
  /**
   * Days KMS waits between ScheduleKeyDeletion and deleting the key: 7 to 30.
   * @default 30 (the longest window)
   */
  readonly deletionWindowDays?: number;
  /**
   * `account`: the account root keeps `kms:*` (IAM policies may also grant use); `closed`: only the
   * listed principals (see `buildKeyPolicy`).
   * @default "account"
   */
  readonly policy?: KeyPolicyForm;
}

const ALIAS = /^alias\/[a-zA-Z0-9:/_-]+$/;
/** An IAM role or user ARN (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns). */
const iamPrincipal = (partition: string) => new RegExp(`^arn:${partition.replace(/-/g, "\\-")}:iam::\\d{12}:(role|user)/[\\w+=,.@/-]{1,512}$`);
const literal = (v: unknown): v is string => typeof v === "string" && !Token.isUnresolved(v);

/** A KMS alias name: `alias/` then letters, digits, ':', '/', '_', '-', at most 256 chars, not `alias/aws/...` (KMS CreateAlias AliasName). */
export function isAliasName(alias: string): boolean {
  return ALIAS.test(alias) && alias.length <= 256 && !alias.startsWith("alias/aws/");
}

/** The line refusing a key deletion window outside 7-30 whole days (KMS ScheduleKeyDeletion PendingWindowInDays), or undefined. */
export function deletionWindowProblem(path: string, prop: string, days: number): string | undefined {
  return Number.isInteger(days) && days >= 7 && days <= 30 ? undefined : `${path}.${prop}: ${shown(days)} is not allowed (7 to 30 days, KMS ScheduleKeyDeletion PendingWindowInDays)`;
}

/**
 * What is wrong with the props every key shares, one line each in the construct format
 * (`<path>.<prop>: <value> is not allowed (<why>)`); unresolved tokens are not judged.
 */
export function keyBaseProblems(path: string, partition: string, p: KeyBaseProps): string[] {
  const problems: string[] = [];
  const refuse = (prop: string, value: unknown, why: string) => problems.push(`${path}.${prop}: ${shown(value)} is not allowed (${why})`);

  if (literal(p.alias) && !isAliasName(p.alias)) {
    refuse("alias", p.alias, "'alias/' then letters, digits, ':', '/', '_', '-', at most 256 chars, not 'alias/aws/...' (reserved for AWS managed keys), KMS CreateAlias AliasName");
  }
  if (literal(p.description) && p.description.length > 8192) refuse("description", `${p.description.slice(0, 40)}...`, "at most 8192 chars, KMS CreateKey Description");
  const window = p.deletionWindowDays;
  const windowProblem = window !== undefined && !Token.isUnresolved(window) ? deletionWindowProblem(path, "deletionWindowDays", window) : undefined;
  if (windowProblem) problems.push(windowProblem);

  const form = p.policy ?? "account";
  if (form !== "account" && form !== "closed") refuse("policy", form, "'account' or 'closed'");
  // Every statement of a key policy needs a principal: KMS refuses an empty list with
  // MalformedPolicyDocumentException (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html).
  if (p.administrators.length === 0) {
    refuse("administrators", [], form === "closed" ? "at least one administrator for a closed key policy, or nobody could manage the key" : "at least one administrator: a key policy statement without a principal is refused, KMS CreateKey MalformedPolicyDocumentException");
  }
  if (p.users.length === 0) refuse("users", [], "at least one user: a key policy statement without a principal is refused, KMS CreateKey MalformedPolicyDocumentException");
  const principal = iamPrincipal(partition);
  const principalRule = `an IAM role or user ARN of the partition ${partition} (arn:${partition}:iam::<account>:role/<name>), key policy Principal`;
  p.administrators.forEach((a, i) => {
    if (literal(a) && !principal.test(a)) refuse(`administrators.${i}`, a, principalRule);
  });
  // IAM names are case-insensitive: .../keyadmins is the role .../KeyAdmins.
  const admins = new Set(p.administrators.filter(literal).map((a) => a.toLowerCase()));
  p.users.forEach((u, i) => {
    if (!literal(u)) return;
    if (!principal.test(u)) refuse(`users.${i}`, u, principalRule);
    else if (admins.has(u.toLowerCase())) refuse(`users.${i}`, u, "also an administrator of this key: administrators are denied its use and users its administration, so it could do neither");
  });
  return problems;
}
