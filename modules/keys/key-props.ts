import { Token } from "cdktf";
import type { Construct } from "constructs";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { IAM, inRange, KMS } from "@cmk-stacks/aws-limits";
import { shown } from "../core/errors";
import type { KeyPolicyForm } from "./key-policy";

/**
 * Props every customer key shares whatever holds its material (a key in AWS KMS or a custom key
 * store, or a key with imported material): its alias, deletion window and separation-of-duties roles.
 */
export interface KeyBaseProps {
  /** The key's alias: {@link KMS.ALIAS_NAME} (`alias/...`, never `alias/aws/...`). */
  readonly alias: string;
  /**
   * More aliases of the key, each its own `aws_kms_alias` with a construct id derived from its name
   * ({@link extraAliasId}), so adding, removing or reordering one never touches another; `alias`
   * keeps its construct id `alias`. Each {@link KMS.ALIAS_NAME}, distinct from `alias` and each other,
   * at most {@link KMS.ALIASES_PER_KEY} aliases per key in all.
   * @default - none
   */
  readonly aliases?: readonly string[];
  /** Principals (IAM role or user ARNs of the stack's partition) that manage the key and are denied its cryptographic use: at least one. */
  readonly administrators: readonly string[];
  /** Principals (IAM role or user ARNs of the stack's partition) that use the key and are denied its administration: at least one. */
  readonly users: readonly string[];
  /** At most {@link KMS.DESCRIPTION_LENGTH} chars. @default - a description naming the key and the environment */
  readonly description?: string;
  /**
   * Days KMS waits between ScheduleKeyDeletion and deleting the key: {@link KMS.DELETION_WINDOW_DAYS}.
   * @default - KMS.DEFAULT_DELETION_WINDOW_DAYS.value ({@link KMS.DEFAULT_DELETION_WINDOW_DAYS}: the longest window)
   */
  readonly deletionWindowDays?: number;
  /**
   * `account`: the account root keeps `kms:*` (IAM policies may also grant use); `closed`: only the
   * listed principals (see `buildKeyPolicy`).
   * @default - KMS.DEFAULT_KEY_POLICY_FORM.value ({@link KMS.DEFAULT_KEY_POLICY_FORM})
   */
  readonly policy?: KeyPolicyForm;
}

const literal = (v: unknown): v is string => typeof v === "string" && !Token.isUnresolved(v);

/** A KMS alias name ({@link KMS.isAliasName}: KMS CreateAlias AliasName). */
export const isAliasName = (alias: string): boolean => KMS.isAliasName(alias);

/** The line refusing an alias KMS CreateAlias refuses, or undefined. */
export function aliasProblem(path: string, prop: string, alias: string): string | undefined {
  return isAliasName(alias)
    ? undefined
    : `${path}.${prop}: ${shown(alias)} is not allowed (${KMS.ALIAS_NAME.allowed}, KMS CreateAlias AliasName)`;
}

/** The line refusing a key deletion window outside {@link KMS.DELETION_WINDOW_DAYS} (KMS ScheduleKeyDeletion PendingWindowInDays), or undefined. */
export function deletionWindowProblem(path: string, prop: string, days: number): string | undefined {
  const { min, max } = KMS.DELETION_WINDOW_DAYS;
  return inRange(KMS.DELETION_WINDOW_DAYS, days)
    ? undefined
    : `${path}.${prop}: ${shown(days)} is not allowed (${min} to ${max} days, KMS ScheduleKeyDeletion PendingWindowInDays)`;
}

/**
 * What is wrong with the props every key shares, one line each in the construct format
 * (`<path>.<prop>: <value> is not allowed (<why>)`); unresolved tokens are not judged.
 */
export function keyBaseProblems(path: string, partition: string, p: KeyBaseProps): string[] {
  const problems: string[] = [];
  const refuse = (prop: string, value: unknown, why: string) =>
    problems.push(`${path}.${prop}: ${shown(value)} is not allowed (${why})`);

  const aliasLine = literal(p.alias) ? aliasProblem(path, "alias", p.alias) : undefined;
  if (aliasLine) problems.push(aliasLine);
  problems.push(...extraAliasProblems(path, p.alias, p.aliases));
  if (literal(p.description) && p.description.length > KMS.DESCRIPTION_LENGTH.max)
    refuse(
      "description",
      `${p.description.slice(0, 40)}...`,
      `at most ${KMS.DESCRIPTION_LENGTH.max} chars, KMS CreateKey Description`,
    );
  const window = p.deletionWindowDays;
  const windowProblem =
    window !== undefined && !Token.isUnresolved(window)
      ? deletionWindowProblem(path, "deletionWindowDays", window)
      : undefined;
  if (windowProblem) problems.push(windowProblem);

  const form = p.policy ?? KMS.DEFAULT_KEY_POLICY_FORM.value;
  if (form !== "account" && form !== "closed") refuse("policy", form, "'account' or 'closed'");
  // Every statement of a key policy needs a principal: KMS refuses an empty list with
  // MalformedPolicyDocumentException (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html).
  if (p.administrators.length === 0) {
    refuse(
      "administrators",
      [],
      form === "closed"
        ? "at least one administrator for a closed key policy, or nobody could manage the key"
        : "at least one administrator: a key policy statement without a principal is refused, KMS CreateKey MalformedPolicyDocumentException",
    );
  }
  if (p.users.length === 0)
    refuse(
      "users",
      [],
      "at least one user: a key policy statement without a principal is refused, KMS CreateKey MalformedPolicyDocumentException",
    );
  const principalRule = `an IAM role or user ARN of the partition ${partition} (arn:${partition}:iam::<account>:role/<name>), key policy Principal`;
  // The same predicates as the validation table (environments/validation/keys.ts): one rule, one verdict.
  const principalProblem = (prop: string, arn: string): boolean => {
    if (!IAM.isPrincipalArn(arn, partition)) refuse(prop, arn, principalRule);
    else if (!IAM.principalLengthsOk(arn)) refuse(prop, arn, `${IAM.PRINCIPAL_LENGTHS_ALLOWED}, IAM quotas`);
    else return false;
    return true;
  };
  p.administrators.forEach((a, i) => {
    if (literal(a)) principalProblem(`administrators.${i}`, a);
  });
  // IAM names are case-insensitive: .../keyadmins is the role .../KeyAdmins.
  const admins = new Set(p.administrators.filter(literal).map((a) => a.toLowerCase()));
  p.users.forEach((u, i) => {
    if (!literal(u)) return;
    if (principalProblem(`users.${i}`, u)) return;
    if (admins.has(u.toLowerCase()))
      refuse(
        `users.${i}`,
        u,
        "also an administrator of this key: administrators are denied its use and users its administration, so it could do neither",
      );
  });
  return problems;
}

/**
 * What is wrong with a key's extra aliases: each a name KMS CreateAlias accepts, none equal to the
 * key's `alias` or to another of them (both places named), at most {@link KMS.ALIASES_PER_KEY} in all.
 */
export function extraAliasProblems(path: string, alias: string, aliases: readonly string[] | undefined): string[] {
  if (aliases === undefined) return [];
  const problems: string[] = [];
  const max = KMS.ALIASES_PER_KEY.value - 1;
  if (aliases.length > max)
    problems.push(
      `${path}.aliases: ${aliases.length} aliases is not allowed (at most ${max} more aliases, ${KMS.ALIASES_PER_KEY.value} per key with alias, KMS resource quotas: aliases per KMS key)`,
    );
  aliases.forEach((a, i) => {
    if (!literal(a)) return;
    const line = aliasProblem(path, `aliases.${i}`, a);
    if (line) return void problems.push(line);
    const earlier = aliases.indexOf(a);
    const first = literal(alias) && alias === a ? "alias" : earlier < i ? `aliases.${earlier}` : undefined;
    if (first)
      problems.push(
        `${path}.aliases.${i}: ${shown(a)} is not allowed (already the key's ${first}: each alias names one key once, KMS CreateAlias)`,
      );
  });
  return problems;
}

/**
 * The construct id of an extra alias: `alias-` and its name after `alias/`, every character other
 * than a letter, digit or `-` written as `_` and its hex code, so two names never share an id and
 * the id (and the Terraform address) of an alias depends on nothing but its own name.
 */
export function extraAliasId(alias: string): string {
  const rest = alias.replace(/^alias\//, "");
  return `alias-${rest.replace(/[^A-Za-z0-9-]/g, (c) => `_${c.charCodeAt(0).toString(16).padStart(2, "0")}`)}`;
}

/** Creates one `aws_kms_alias` per extra alias in `scope`, each pointing at `targetKeyId`. */
export function createExtraAliases(
  scope: Construct,
  aliases: readonly string[] | undefined,
  targetKeyId: string,
): KmsAlias[] {
  return (aliases ?? []).map((name) => new KmsAlias(scope, extraAliasId(name), { name, targetKeyId }));
}

/**
 * The refusals every single-purpose key (signing, HMAC) shares, in this order: its alias, its deletion
 * window, at least one administrator, `noUser` when none of `users` lists anyone, and every principal in
 * the key's own account. Such keys are not shared with other accounts, and key administration works only
 * in the key's own account (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html).
 */
export function singlePurposeKeyProblems(
  path: string,
  account: string,
  p: { readonly alias: string; readonly window: number; readonly administrators: readonly string[] },
  users: readonly (readonly [prop: string, list: readonly string[] | undefined])[],
  words: { readonly noUser: string; readonly kinds: string },
): string[] {
  const problems: string[] = [];
  const aliasLine = aliasProblem(path, "alias", p.alias);
  if (aliasLine) problems.push(aliasLine);
  const windowProblem = deletionWindowProblem(path, "deletionWindowDays", p.window);
  if (windowProblem) problems.push(windowProblem);
  if (p.administrators.length === 0) {
    problems.push(
      `${path}.administrators: [] is not allowed (at least one administrator, or nobody but the account root could manage the key)`,
    );
  }
  if (users.every(([, list]) => (list ?? []).length === 0)) problems.push(`${path}.${words.noUser}`);
  for (const [prop, list] of [["administrators", p.administrators], ...users] as const) {
    (list ?? []).forEach((principal, i) => {
      if (
        KMS.otherAccountProblem(prop === "administrators" ? "administer" : "sign", IAM.accountOfArn(principal), account)
      )
        problems.push(
          `${path}.${prop}.${i}: ${shown(principal)} is not allowed (a principal of the key's account ${account}: ${words.kinds} are not shared with other accounts, KMS key policies)`,
        );
    });
  }
  return problems;
}

/**
 * The key and alias of a single-purpose key (signing, HMAC) in the AWS KMS key store: KMS-generated
 * material, no automatic rotation (the caller suppresses CKV_AWS_7 with its reason, written at the call
 * so the compliance pack's test reads it), the lockout safety check never bypassed, `prevent_destroy`.
 * Construct ids `key` and `alias` under `scope`.
 */
export function singlePurposeKey(
  scope: Construct,
  p: {
    readonly description: string;
    readonly keyUsage: string;
    readonly keySpec: string;
    readonly window: number;
    readonly policy: object;
    readonly alias: string;
  },
): { resource: KmsKey; aliasName: string } {
  const resource = new KmsKey(scope, "key", {
    description: p.description,
    keyUsage: p.keyUsage,
    customerMasterKeySpec: p.keySpec,
    multiRegion: false,
    deletionWindowInDays: p.window,
    isEnabled: true,
    enableKeyRotation: false,
    bypassPolicyLockoutSafetyCheck: false,
    policy: JSON.stringify(p.policy),
    tags: { Name: p.alias.replace(/^alias\//, ""), KeyStore: "aws-kms" },
    lifecycle: { preventDestroy: true },
  });
  const alias = new KmsAlias(scope, "alias", { name: p.alias, targetKeyId: resource.keyId });
  return { resource, aliasName: alias.name };
}
