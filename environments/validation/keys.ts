/** Customer keys: aliases, deletion windows, rotation, separation of duties, key-store placement. */
import { IAM, inRange, KMS, XKS, type Range } from "@cmk-stacks/aws-limits";
import type { EnvironmentConfig } from "../types";
import type { ConstraintTable, CrossRule, FieldContext, FieldRule, Violation } from "./engine";
import { autoScalingServiceLinkedRole } from "../resolve";
import {
  accountOfArn,
  duplicates,
  isObject,
  isString,
  LOGICAL_NAME,
  LOGICAL_NAME_RULE,
  matches,
  nonEmptyArray,
  oneOf,
  partitionOfRegion,
} from "./checks";

const store = (c: FieldContext): unknown => c.parent.store ?? KMS.DEFAULT_KEY_STORE.value;
/** A whole number in the rulebook's `range`, and its words (`7-30 days`). */
const within =
  (range: Range) =>
  (v: unknown): boolean =>
    typeof v === "number" && inRange(range, v);
const span = (range: Range): string => `${range.min}-${range.max}${range.unit ? ` ${range.unit}` : ""}`;
const aliasRule = {
  rule: KMS.ALIAS_NAME.allowed,
  source: "KMS CreateAlias",
  required: true,
  check: KMS.isAliasName,
} as const;
const descriptionRule = {
  rule: `at most ${KMS.DESCRIPTION_LENGTH.max} chars`,
  source: "KMS CreateKey Description",
  check: (v: unknown) => isString(v) && v.length <= KMS.DESCRIPTION_LENGTH.max,
} as const;
const deletionWindowRule = {
  rule: span(KMS.DELETION_WINDOW_DAYS),
  source: "KMS ScheduleKeyDeletion",
  check: within(KMS.DELETION_WINDOW_DAYS),
} as const;
const external = (c: FieldContext): boolean => c.parent.origin === "external";

const SRC_IAM_QUOTAS = `IAM quotas: role and user names ${IAM.NAME_LENGTH.max} chars, paths ${IAM.PATH_LENGTH.max} chars`;
const IAM_LENGTH_RULE = IAM.PRINCIPAL_LENGTHS_ALLOWED;
const iamLengthsOk = IAM.principalLengthsOk;
/** The same predicate as the key constructs (modules/keys/key-props.ts). */
const isPrincipal = (v: unknown): boolean => IAM.isPrincipalArn(v);
const partitionRule = (c: FieldContext) =>
  `an ARN in the partition of ${String(c.env.region)} (arn:${partitionOfRegion(String(c.env.region))}:...)`;
const partitionOk = (v: unknown, c: FieldContext): boolean =>
  !IAM.isPrincipalArn(v) || IAM.isPrincipalArn(v, partitionOfRegion(String(c.env.region)));
const hasRegion = (c: FieldContext) => isString(c.env.region);
const SRC_ACCOUNTS = "AWS account ids: 12 digits";
const SRC_CROSS_ACCOUNT =
  "KMS: allowing users in other accounts to use a KMS key (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html)";

/** The rules of a list of IAM principals (`<field>.*`): an IAM role or user ARN, IAM lengths, the Region's partition. */
function principalList(field: string): FieldRule[] {
  return [
    { field: `${field}.*`, rule: IAM.PRINCIPAL_ARN.allowed, source: "IAM ARNs", check: isPrincipal },
    { field: `${field}.*`, rule: IAM_LENGTH_RULE, source: SRC_IAM_QUOTAS, check: iamLengthsOk },
    { field: `${field}.*`, rule: partitionRule, source: "ARN partitions", when: hasRegion, check: partitionOk },
  ];
}

/** Lists of principals of one key that must not share a principal (IAM names compared case-insensitively). */
function disjointRoles(
  section: "keys" | "signingKeys" | "macKeys",
  lists: readonly string[],
  source: string,
  reportedLists: readonly string[] = lists,
): CrossRule["check"] {
  return (env) => {
    const out: Violation[] = [];
    const all = (env as unknown as Record<string, unknown>)[section];
    for (const [name, k] of Object.entries(isObject(all) ? all : {})) {
      if (!isObject(k)) continue;
      const seen = new Map<string, string>();
      for (const list of lists) {
        const values = k[list];
        if (!Array.isArray(values)) continue;
        values.forEach((v, i) => {
          const id = String(v).toLowerCase();
          const first = seen.get(id);
          if (first !== undefined && first !== list && reportedLists.includes(list)) {
            out.push({
              path: `${section}.${name}.${list}.${i}`,
              value: v,
              rule: `a principal not also in ${first} of this key (one role per principal)`,
              source,
            });
          } else if (first === undefined) seen.set(id, list);
        });
      }
    }
    return out;
  };
}

const SRC_DUTIES = "key policy: separation of duties";

/** The service-linked roles the key policy of key `name` names (only the EBS default key has them; Auto Scaling's by default). */
function serviceRolesOf(env: EnvironmentConfig, name: string): unknown[] {
  const ebs = env.data?.ebs;
  if (!isObject(ebs) || ebs.key !== name) return [];
  if (Array.isArray(ebs.serviceLinkedRoles)) return ebs.serviceLinkedRoles;
  return isString(env.region) && isString(env.account)
    ? [autoScalingServiceLinkedRole(partitionOfRegion(env.region), env.account)]
    : [];
}

/**
 * Pairs of roles on one encryption key that the synthesized key policy (modules/keys/key-policy.ts,
 * modules/keys/imported-key.ts) makes contradictory: a principal in `list` that is also in `other`
 * is denied by one of the two statements what the other role needs. Pairs checked by the older
 * rules (administrators against users, importers against administrators and users,
 * encrypt-only/decrypt-only users against administrators, users and each other) are not repeated.
 * Pairs not listed are compatible: users and service-linked roles get the same allows and denies.
 */
const CONTRADICTIONS: readonly { list: string; other: string; why: string }[] = [
  {
    list: "importers",
    other: "encryptOnlyUsers",
    why: "encrypt-only users are denied kms:Decrypt, which the Encrypt/Decrypt round trip that ends import-key-material needs: every import would report failure",
  },
  {
    list: "importers",
    other: "decryptOnlyUsers",
    why: "decrypt-only users are denied kms:Encrypt, which the Encrypt/Decrypt round trip that ends import-key-material needs: every import would report failure",
  },
  {
    list: "administrators",
    other: "data.ebs.serviceLinkedRoles",
    why: "administrators are denied Decrypt, GenerateDataKey* and CreateGrant, which the service needs to launch encrypted volumes",
  },
  {
    list: "encryptOnlyUsers",
    other: "data.ebs.serviceLinkedRoles",
    why: "encrypt-only users are denied Decrypt and CreateGrant, which the service needs to launch encrypted volumes",
  },
  {
    list: "decryptOnlyUsers",
    other: "data.ebs.serviceLinkedRoles",
    why: "decrypt-only users are denied GenerateDataKey* and CreateGrant, which the service needs to launch encrypted volumes",
  },
  {
    list: "importers",
    other: "data.ebs.serviceLinkedRoles",
    why: "importers are denied CreateGrant, which the service needs to launch encrypted volumes",
  },
];

/** The roles of one key that contradict each other in its policy ({@link CONTRADICTIONS}), IAM names compared case-insensitively. */
function contradictoryRoles(env: EnvironmentConfig): Violation[] {
  const out: Violation[] = [];
  for (const [name, k] of Object.entries(isObject(env.keys) ? env.keys : {})) {
    if (!isObject(k)) continue;
    const key = k as Record<string, unknown>;
    const listOf = (field: string): unknown[] =>
      field === "data.ebs.serviceLinkedRoles"
        ? serviceRolesOf(env, name)
        : Array.isArray(key[field])
          ? (key[field] as unknown[])
          : [];
    for (const { list, other, why } of CONTRADICTIONS) {
      const others = new Set(listOf(other).map((v) => String(v).toLowerCase()));
      listOf(list).forEach((v, i) => {
        if (!others.has(String(v).toLowerCase())) return;
        const where = other.startsWith("data.") ? `${other} (this key is data.ebs.key)` : `${other} of this key`;
        out.push({
          path: `keys.${name}.${list}.${i}`,
          value: v,
          rule: `a principal not also in ${where}: ${why}`,
          source: SRC_DUTIES,
        });
      });
    }
  }
  return out;
}

/**
 * Principals of another account than the environment's. KMS honours a key policy's permissions for
 * a principal of another account only for the cryptographic and grant operations; administration
 * (PutKeyPolicy, ScheduleKeyDeletion...) and the import (GetParametersForImport, ImportKeyMaterial)
 * work only in the key's own account ("Cross-account use: No" in each operation's API reference).
 * Use by another account's principal must be declared in the key's externalAccounts (with 'use').
 */
function crossAccountPrincipals(section: "keys" | "signingKeys" | "macKeys", env: EnvironmentConfig): Violation[] {
  const out: Violation[] = [];
  const own = env.account;
  if (!isString(own) || !IAM.ACCOUNT_ID.regex.test(own)) return out;
  const all = (env as unknown as Record<string, unknown>)[section];
  const ownOnly: Record<string, string> = {
    administrators:
      "key administration works only in the key's own account, and another account never manages a key here",
    importers: "GetParametersForImport and ImportKeyMaterial work only in the key's own account",
  };
  const shared =
    section === "keys"
      ? ["users", "encryptOnlyUsers", "decryptOnlyUsers"]
      : section === "macKeys"
        ? ["macGenerators", "macVerifiers"]
        : ["signers", "verifiers", "publicKeyReaders"];
  for (const [name, k] of Object.entries(isObject(all) ? all : {})) {
    if (!isObject(k)) continue;
    const externalAccounts = Array.isArray(k.externalAccounts) ? k.externalAccounts.filter(isObject) : [];
    for (const list of [...Object.keys(ownOnly), ...shared]) {
      const values = k[list];
      if (!Array.isArray(values)) continue;
      values.forEach((v, i) => {
        const account = accountOfArn(v);
        const path = `${section}.${name}.${list}.${i}`;
        // The same rule as the key constructs (modules/keys/key-policy.ts, imported-key.ts, signing-key.ts).
        const role =
          list === "administrators"
            ? "administer"
            : list === "importers"
              ? "import"
              : section === "keys"
                ? "use"
                : "sign";
        const problem = KMS.otherAccountProblem(role, account, own, externalAccounts);
        if (problem === undefined) return;
        if (list in ownOnly) {
          out.push({
            path,
            value: v,
            rule: `a principal of this environment's account (${own}): ${ownOnly[list]}`,
            source: SRC_CROSS_ACCOUNT,
          });
        } else if (section !== "keys") {
          out.push({
            path,
            value: v,
            rule: `a principal of this environment's account (${own}): ${section === "macKeys" ? "HMAC" : "signing"} keys are not shared with other accounts (they have no externalAccounts)`,
            source: SRC_CROSS_ACCOUNT,
          });
        } else if (problem === "account-not-declared") {
          out.push({
            path,
            value: v,
            rule: `a principal of this environment's account (${own}) or of an account declared in keys.${name}.externalAccounts (${account} is not)`,
            source: SRC_CROSS_ACCOUNT,
          });
        } else {
          const allows = externalAccounts
            .filter((a) => a.account === account)
            .flatMap((a) => (Array.isArray(a.allow) ? a.allow : []));
          out.push({
            path,
            value: v,
            rule: `a principal of an account whose keys.${name}.externalAccounts entry allows 'use' (${account} allows only ${allows.join(", ")})`,
            source: SRC_CROSS_ACCOUNT,
          });
        }
      });
    }
  }
  return out;
}

/**
 * IAM role and user names are unique per account whatever their path, and compared without case
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-friendly-names):
 * `role/Ops` and `role/team/Ops` cannot both exist, so one of the two ARNs names a role that does not,
 * and KMS refuses a key policy naming it (MalformedPolicyDocumentException). Every principal of the
 * environment (keys, signing keys, the EBS key's service-linked roles) is compared; the first
 * spelling is kept, each other path reported.
 */
function samePrincipalOtherPath(env: EnvironmentConfig): Violation[] {
  const out: Violation[] = [];
  const first = new Map<string, { path: string; field: string }>();
  const visit = (field: string, v: unknown) => {
    const m = isString(v) ? /^arn:[^:]+:iam::(\d{12}):(role|user)\/(?:(.*)\/)?([^/]+)$/.exec(v) : null;
    if (!m) return;
    const id = `${m[1]}:${m[2]}:${m[4].toLowerCase()}`;
    const iamPath = (m[3] ?? "").toLowerCase();
    const seen = first.get(id);
    if (!seen) first.set(id, { path: iamPath, field });
    else if (seen.path !== iamPath)
      out.push({
        path: field,
        value: v,
        rule: `the same path as ${seen.field} (/${seen.path ? `${seen.path}/` : ""}): IAM ${m[2]} names are unique per account whatever the path, so one of the two ARNs names a ${m[2]} that does not exist`,
        source: SRC_IAM_NAMES,
      });
  };
  for (const section of ["keys", "signingKeys", "macKeys"] as const) {
    const all = (env as unknown as Record<string, unknown>)[section];
    for (const [name, k] of Object.entries(isObject(all) ? all : {})) {
      if (!isObject(k)) continue;
      for (const list of [
        "administrators",
        "users",
        "encryptOnlyUsers",
        "decryptOnlyUsers",
        "importers",
        "signers",
        "verifiers",
        "publicKeyReaders",
        "macGenerators",
        "macVerifiers",
      ]) {
        const values = (k as Record<string, unknown>)[list];
        if (Array.isArray(values)) values.forEach((v, i) => visit(`${section}.${name}.${list}.${i}`, v));
      }
    }
  }
  const roles = env.data?.ebs?.serviceLinkedRoles;
  if (Array.isArray(roles)) roles.forEach((v, i) => visit(`data.ebs.serviceLinkedRoles.${i}`, v));
  return out;
}

/** The key config a rule on `keys.<name>.<...>` belongs to. */
const keyOf = (c: FieldContext): Record<string, unknown> => {
  const keys = isObject(c.env.keys) ? c.env.keys : {};
  const k = keys[c.segments[1]];
  return isObject(k) ? k : {};
};
const index = (c: FieldContext): number => Number(c.segments[c.segments.length - 1]);
const SRC_MULTI_REGION = `KMS multi-Region keys (${KMS.MULTI_REGION_DOC})`;
const SRC_REPLICATE = "KMS ReplicateKey ReplicaRegion";

/** Multi-Region primary keys and their replicas: the same rules as the construct's multiRegionProblems. */
const multiRegionRules: FieldRule[] = [
  {
    field: "keys.*.multiRegion",
    rule: "true or false",
    source: "KMS CreateKey MultiRegion",
    check: (v) => typeof v === "boolean",
  },
  {
    field: "keys.*.multiRegion",
    rule: "false or unset for keys in a custom key store (a multi-Region key lives in the AWS KMS key store only)",
    source: "KMS CreateKey MultiRegion: not in a custom key store",
    when: (c) => !(KMS.MULTI_REGION_STORES as readonly unknown[]).includes(store(c)),
    check: (v) => v !== true,
  },
  {
    field: "keys.*.multiRegion",
    rule: "false or unset for imported key material (origin 'external'): the same material would have to be imported into the primary and every replica, and the import-key-material step imports into one key (docs/byok.md)",
    source: `${SRC_MULTI_REGION}: imported key material`,
    when: external,
    check: (v) => v !== true,
  },
  {
    field: "keys.*.replicaRegions",
    rule: "unset unless multiRegion is true (only a multi-Region primary key has replicas)",
    source: SRC_REPLICATE,
    when: (c) => c.parent.multiRegion !== true,
    check: () => false,
  },
  {
    field: "keys.*.replicaRegions.*",
    rule: IAM.REGION.allowed,
    source: SRC_REPLICATE,
    check: matches(IAM.REGION.regex),
  },
  {
    field: "keys.*.replicaRegions.*",
    rule: (c) => `another Region than the environment's own (${String(c.env.region)}), where the primary key is`,
    source: SRC_REPLICATE,
    when: hasRegion,
    check: (v, c) => v !== c.env.region,
  },
  {
    field: "keys.*.replicaRegions.*",
    rule: (c) => `a Region of the environment's partition ${partitionOfRegion(String(c.env.region))}`,
    source: `${SRC_REPLICATE}: same partition`,
    when: hasRegion,
    check: (v, c) => !isString(v) || partitionOfRegion(v) === partitionOfRegion(String(c.env.region)),
  },
  {
    field: "keys.*.replicaRegions.*",
    rule: `each Region once (${KMS.REPLICAS_PER_REGION.value} replica per Region)`,
    source: SRC_REPLICATE,
    check: (v, c) => (c.parent as unknown as unknown[]).indexOf(v) === index(c),
  },
];

/** The Regions of a key: the environment's, then its replicas'. */
const regionsOf = (c: FieldContext): string[] => {
  const replicas = keyOf(c).replicaRegions;
  return [String(c.env.region), ...(Array.isArray(replicas) ? replicas.filter(isString) : [])];
};
const serviceOf = (c: FieldContext): unknown => {
  const list = keyOf(c).services;
  const entry = Array.isArray(list) ? list[Number(c.segments[3])] : undefined;
  return isObject(entry) ? entry.service : undefined;
};
const knownService = (v: unknown): v is KMS.KeyPolicyServiceName =>
  (KMS.KEY_POLICY_SERVICE_NAMES as readonly unknown[]).includes(v);
const sourceArnProblem = (v: unknown, c: FieldContext): string | undefined => {
  const service = serviceOf(c);
  if (!knownService(service) || !isString(v)) return undefined;
  return KMS.serviceSourceArnProblem(service, v, {
    partition: partitionOfRegion(String(c.env.region)),
    account: String(c.env.account),
    regions: regionsOf(c),
  });
};
const SRC_SERVICES = "key policy statements for AWS services (docs/keys.md)";

/** AWS services that use a key on the account's behalf: the same rules as the construct's keyServiceProblems. */
const serviceRules: FieldRule[] = [
  {
    field: "keys.*.services.*",
    rule: "an object { service, sourceArns }",
    source: "environment contract",
    check: isObject,
  },
  {
    field: "keys.*.services.*.service",
    rule: `one of ${KMS.KEY_POLICY_SERVICE_NAMES.join(", ")} (the services whose key policy statement AWS documents)`,
    source: SRC_SERVICES,
    required: true,
    check: knownService,
  },
  {
    field: "keys.*.services.*.service",
    rule: "each service once per key (every source ARN in one entry)",
    source: SRC_SERVICES,
    check: (v, c) => {
      const list = keyOf(c).services as unknown[];
      return list.findIndex((e) => isObject(e) && e.service === v) === Number(c.segments[3]);
    },
  },
  {
    field: "keys.*.services.*.sourceArns",
    rule: "at least one ARN (a service statement without a source would let the service use the key for any account: confused deputy)",
    source: "IAM: the confused deputy problem (https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html)",
    required: true,
    check: nonEmptyArray,
  },
  {
    field: "keys.*.services.*.sourceArns.*",
    rule: (c) => sourceArnProblem(c.parent[Number(c.segments[5])], c) ?? "",
    source: "the service's key policy statement (docs/keys.md)",
    when: hasRegion,
    check: (v, c) => sourceArnProblem(v, c) === undefined,
  },
  {
    field: "keys.*.services.*.sourceArns.*",
    rule: "each ARN once",
    source: SRC_SERVICES,
    check: (v, c) => (c.parent as unknown as unknown[]).indexOf(v) === index(c),
  },
];

const SRC_IAM_NAMES =
  "IAM identifiers: names are unique per account regardless of path (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html)";

const SRC_MANUAL_ROTATION = `KMS: rotate keys manually (${KMS.MANUAL_ROTATION_DOC})`;

export const keysTable: ConstraintTable = {
  domain: "keys",
  fields: [
    {
      field: "keys",
      rule: "an object with at least one key",
      source: "environment contract",
      required: true,
      check: (v) => isObject(v) && Object.keys(v).length > 0,
    },
    { field: "keys.*", rule: "a key object", source: "environment contract", check: isObject },
    { field: "keys.*.alias", ...aliasRule },
    {
      field: "keys.*.aliases",
      rule: `a list of at most ${KMS.ALIASES_PER_KEY.value - 1} more aliases (${KMS.ALIASES_PER_KEY.value} per key with alias)`,
      source: "KMS resource quotas: aliases per KMS key",
      check: (v) => Array.isArray(v) && v.length <= KMS.ALIASES_PER_KEY.value - 1,
    },
    { field: "keys.*.aliases.*", ...aliasRule, required: false },
    { field: "keys.*.description", ...descriptionRule },
    {
      field: "keys.*.store",
      rule: "'aws-kms', 'cloudhsm' or 'xks'",
      source: "KMS key origins",
      check: oneOf("aws-kms", "cloudhsm", "xks"),
    },
    { field: "keys.*.deletionWindowDays", ...deletionWindowRule },
    {
      field: "keys.*.rotation",
      rule: "true or false",
      source: "KMS EnableKeyRotation",
      check: (v) => typeof v === "boolean",
    },
    {
      field: "keys.*.rotation",
      rule: "false or unset for keys in a custom key store (automatic rotation is not supported there)",
      source: "KMS EnableKeyRotation: custom key stores",
      when: (c) => store(c) !== "aws-kms",
      check: (v) => v === false,
    },
    {
      field: "keys.*.rotationPeriodDays",
      rule: span(KMS.ROTATION_PERIOD_DAYS),
      source: "KMS EnableKeyRotation RotationPeriodInDays",
      check: within(KMS.ROTATION_PERIOD_DAYS),
    },
    {
      field: "keys.*.rotationPeriodDays",
      rule: "unset for keys in a custom key store (they never rotate automatically)",
      source: "KMS EnableKeyRotation: custom key stores",
      when: (c) => store(c) !== "aws-kms",
      check: () => false,
    },
    {
      field: "keys.*.rotationPeriodDays",
      rule: "unset for imported key material (origin 'external' never rotates automatically: rotate on demand, docs/byok.md)",
      source: "KMS EnableKeyRotation: not for imported key material",
      when: (c) => store(c) === "aws-kms" && external(c),
      check: () => false,
    },
    {
      field: "keys.*.rotationPeriodDays",
      rule: "unset when rotation is false (the key does not rotate automatically)",
      source: "KMS EnableKeyRotation RotationPeriodInDays",
      when: (c) => store(c) === "aws-kms" && !external(c) && c.parent.rotation === false,
      check: () => false,
    },
    {
      field: "keys.*.xksKeyId",
      rule: XKS.KEY_ID.allowed,
      source: "KMS CreateKey XksKeyId",
      when: (c) => store(c) === "xks",
      required: true,
      check: matches(XKS.KEY_ID.regex),
    },
    {
      field: "keys.*.xksKeyId",
      rule: "unset unless store is 'xks'",
      source: "KMS CreateKey XksKeyId",
      when: (c) => store(c) !== "xks",
      check: () => false,
    },
    {
      field: "keys.*.administrators",
      rule: "at least one IAM role or user ARN",
      source: "key policy: separation of duties",
      required: true,
      check: (v) => Array.isArray(v) && v.length > 0,
    },
    { field: "keys.*.administrators.*", rule: IAM.PRINCIPAL_ARN.allowed, source: "IAM ARNs", check: isPrincipal },
    { field: "keys.*.administrators.*", rule: IAM_LENGTH_RULE, source: SRC_IAM_QUOTAS, check: iamLengthsOk },
    {
      field: "keys.*.administrators.*",
      rule: partitionRule,
      source: "ARN partitions",
      when: hasRegion,
      check: partitionOk,
    },
    {
      field: "keys.*.users",
      rule: "at least one IAM role or user ARN",
      source: "key policy: separation of duties",
      required: true,
      check: (v) => Array.isArray(v) && v.length > 0,
    },
    {
      field: "keys.*.policy",
      rule: "'account' (the account root keeps kms:*, IAM may grant use) or 'closed' (only the listed administrators and users)",
      source: "KMS key policies: default key policy",
      check: oneOf("account", "closed"),
    },
    {
      field: "keys.*.origin",
      rule: "'aws-kms' (KMS generates the material) or 'external' (imported by an operator)",
      source: "KMS CreateKey Origin",
      check: oneOf("aws-kms", "external"),
    },
    {
      field: "keys.*.origin",
      rule: "'external' only with store 'aws-kms' (keys in a custom key store cannot hold imported material)",
      source: "KMS ImportKeyMaterial: not for keys in a custom key store",
      when: (c) => store(c) !== "aws-kms",
      check: (v) => v !== "external",
    },
    {
      field: "keys.*.rotation",
      rule: "false or unset for imported key material (origin 'external': rotate on demand with new material, docs/byok.md)",
      source: "KMS EnableKeyRotation: not for imported key material",
      when: external,
      check: (v) => v === false,
    },
    {
      field: "keys.*.importers",
      rule: "at least one IAM role or user ARN (who imports the material)",
      source: "KMS ImportKeyMaterial: key policy",
      when: external,
      required: true,
      check: (v) => Array.isArray(v) && v.length > 0,
    },
    {
      field: "keys.*.importers",
      rule: "unset unless origin is 'external'",
      source: "KMS ImportKeyMaterial",
      when: (c) => !external(c),
      check: () => false,
    },
    { field: "keys.*.importers.*", rule: IAM.PRINCIPAL_ARN.allowed, source: "IAM ARNs", check: isPrincipal },
    { field: "keys.*.importers.*", rule: IAM_LENGTH_RULE, source: SRC_IAM_QUOTAS, check: iamLengthsOk },
    { field: "keys.*.importers.*", rule: partitionRule, source: "ARN partitions", when: hasRegion, check: partitionOk },
    {
      field: "keys.*.keyMaterialValidityDays",
      rule: span(KMS.KEY_MATERIAL_VALIDITY_DAYS),
      source: `KMS ImportKeyMaterial ValidTo (at most ${KMS.KEY_MATERIAL_VALIDITY_DAYS.max} days from the request)`,
      when: external,
      check: within(KMS.KEY_MATERIAL_VALIDITY_DAYS),
    },
    {
      field: "keys.*.keyMaterialValidityDays",
      rule: "unset unless origin is 'external'",
      source: "KMS ImportKeyMaterial ExpirationModel",
      when: (c) => !external(c),
      check: () => false,
    },
    { field: "keys.*.users.*", rule: IAM.PRINCIPAL_ARN.allowed, source: "IAM ARNs", check: isPrincipal },
    { field: "keys.*.users.*", rule: IAM_LENGTH_RULE, source: SRC_IAM_QUOTAS, check: iamLengthsOk },
    { field: "keys.*.users.*", rule: partitionRule, source: "ARN partitions", when: hasRegion, check: partitionOk },
    ...principalList("keys.*.encryptOnlyUsers"),
    ...principalList("keys.*.decryptOnlyUsers"),
    // Keys in every store may be shared: key policies and grants work for keys in a CloudHSM key
    // store and an external key store as for any KMS key (only the key store itself cannot be
    // shared): https://docs.aws.amazon.com/kms/latest/developerguide/authorize-key-store.html,
    // https://docs.aws.amazon.com/kms/latest/developerguide/authorize-xks-key-store.html
    {
      field: "keys.*.externalAccounts.*",
      rule: "an object { account, allow }",
      source: "environment contract",
      check: isObject,
    },
    {
      field: "keys.*.externalAccounts.*.account",
      rule: IAM.ACCOUNT_ID.allowed,
      source: SRC_ACCOUNTS,
      required: true,
      check: matches(IAM.ACCOUNT_ID.regex),
    },
    {
      field: "keys.*.externalAccounts.*.account",
      rule: (c) =>
        `another account than this environment's (${String(c.env.account)}), whose own principals are listed in users`,
      source: SRC_CROSS_ACCOUNT,
      check: (v, c) => v !== c.env.account,
    },
    {
      field: "keys.*.externalAccounts.*.allow",
      rule: "a non-empty list of distinct 'use', 'grantsForAwsResources'",
      source: SRC_CROSS_ACCOUNT,
      check: (v) => Array.isArray(v) && v.length > 0 && new Set(v).size === v.length,
    },
    {
      field: "keys.*.externalAccounts.*.allow.*",
      rule: "'use' or 'grantsForAwsResources'",
      source: SRC_CROSS_ACCOUNT,
      check: oneOf("use", "grantsForAwsResources"),
    },
    ...multiRegionRules,
    ...serviceRules,
  ],
  cross: [
    {
      description: "key logical names are identifiers",
      source: "construct ids",
      check: (env) =>
        Object.keys(isObject(env.keys) ? env.keys : {})
          .filter((name) => !LOGICAL_NAME.test(name))
          .map((name): Violation => ({
            path: `keys.${name}`,
            value: name,
            rule: `a key name that is ${LOGICAL_NAME_RULE}`,
            source: "construct ids",
          })),
    },
    {
      description: "aliases are unique",
      source: "KMS CreateAlias: alias names are unique per account and Region",
      check: (env) => {
        const entries = Object.entries(isObject(env.keys) ? env.keys : {}).filter(([, k]) => isObject(k));
        const dup = new Set(duplicates(entries.map(([, k]) => k.alias)));
        return entries
          .filter(([, k]) => dup.has(k.alias))
          .map(([name, k]) => ({
            path: `keys.${name}.alias`,
            value: k.alias,
            rule: "an alias no other key uses",
            source: "KMS CreateAlias: alias names are unique per account and Region",
          }));
      },
    },
    {
      description:
        "every alias of a key (aliases) is unique: against its own alias, its other aliases, other keys and signing keys",
      source: "KMS CreateAlias: alias names are unique per account and Region",
      check: (env) => {
        const uses: { path: string; value: string }[] = [];
        const sections: [string, unknown][] = [
          ["keys", env.keys],
          ["signingKeys", (env as unknown as Record<string, unknown>).signingKeys],
          ["macKeys", (env as unknown as Record<string, unknown>).macKeys],
        ];
        for (const [section, all] of sections)
          for (const [name, k] of Object.entries(isObject(all) ? all : {})) {
            if (!isObject(k)) continue;
            if (isString(k.alias)) uses.push({ path: `${section}.${name}.alias`, value: k.alias });
            const more = (k as Record<string, unknown>).aliases;
            if (section === "keys" && Array.isArray(more))
              more.forEach((v, i) => {
                if (isString(v)) uses.push({ path: `${section}.${name}.aliases.${i}`, value: v });
              });
          }
        // Only the extra aliases are reported here: two primary aliases are the rules above.
        return uses
          .filter((u) => u.path.includes(".aliases."))
          .flatMap((u): Violation[] => {
            const others = uses.filter((o) => o.value === u.value && o.path !== u.path).map((o) => o.path);
            return others.length
              ? [
                  {
                    path: u.path,
                    value: u.value,
                    rule: `an alias no other key or alias uses (also at ${others.join(", ")})`,
                    source: "KMS CreateAlias: alias names are unique per account and Region",
                  },
                ]
              : [];
          });
      },
    },
    {
      description: "administrators and users are disjoint (IAM names compared case-insensitively)",
      source: "key policy: separation of duties",
      check: (env) => {
        const out: Violation[] = [];
        for (const [name, k] of Object.entries(isObject(env.keys) ? env.keys : {})) {
          if (!isObject(k) || !Array.isArray(k.users) || !Array.isArray(k.administrators)) continue;
          // IAM names are case-insensitive: .../keyadministrators is the role .../KeyAdministrators.
          const admins = new Set(k.administrators.map((a) => String(a).toLowerCase()));
          k.users.forEach((u, i) => {
            if (admins.has(String(u).toLowerCase())) {
              out.push({
                path: `keys.${name}.users.${i}`,
                value: u,
                rule: "a principal that is not also an administrator of this key",
                source: "key policy: separation of duties",
              });
            }
          });
          // Importers prove the import with Encrypt/Decrypt, which administrators are denied; they are
          // denied CreateGrant, which users need for S3, EBS and FSx.
          const users = new Set(k.users.map((u) => String(u).toLowerCase()));
          (Array.isArray(k.importers) ? k.importers : []).forEach((u, i) => {
            if (admins.has(String(u).toLowerCase())) {
              out.push({
                path: `keys.${name}.importers.${i}`,
                value: u,
                rule: "a principal that is not also an administrator of this key (administrators are denied the Encrypt/Decrypt round trip)",
                source: "key policy: separation of duties",
              });
            } else if (users.has(String(u).toLowerCase())) {
              out.push({
                path: `keys.${name}.importers.${i}`,
                value: u,
                rule: "a principal that is not also a user of this key (importers are denied CreateGrant, which users need for AWS services)",
                source: "key policy: separation of duties",
              });
            }
          });
        }
        return out;
      },
    },
    {
      description: "encrypt-only and decrypt-only users are neither administrators, full users nor in the other list",
      source: "key policy: separation of duties",
      // administrators against users has its own rule above.
      check: disjointRoles(
        "keys",
        ["administrators", "users", "encryptOnlyUsers", "decryptOnlyUsers"],
        "key policy: separation of duties",
        ["encryptOnlyUsers", "decryptOnlyUsers"],
      ),
    },
    {
      description:
        "importers are neither encrypt-only nor decrypt-only users; the EBS key's service-linked roles hold no role that is denied what the service needs",
      source: SRC_DUTIES,
      check: contradictoryRoles,
    },
    {
      description: "one IAM role or user is written with one path (names are unique per account whatever the path)",
      source: SRC_IAM_NAMES,
      check: samePrincipalOtherPath,
    },
    {
      description:
        "principals of other accounts: never administrators or importers; users only from an account declared in externalAccounts with 'use'",
      source: SRC_CROSS_ACCOUNT,
      check: (env) => crossAccountPrincipals("keys", env),
    },
    {
      description: "an external account is listed once per key",
      source: SRC_CROSS_ACCOUNT,
      check: (env) => {
        const out: Violation[] = [];
        for (const [name, k] of Object.entries(isObject(env.keys) ? env.keys : {})) {
          const list = isObject(k) && Array.isArray(k.externalAccounts) ? k.externalAccounts : [];
          const accounts = list.map((a) => (isObject(a) ? a.account : undefined));
          accounts.forEach((a, i) => {
            if (isString(a) && accounts.indexOf(a) !== i)
              out.push({
                path: `keys.${name}.externalAccounts.${i}.account`,
                value: a,
                rule: "an account listed once for this key",
                source: SRC_CROSS_ACCOUNT,
              });
          });
        }
        return out;
      },
    },
    {
      description: "keys in a custom key store need that store configured",
      source: "KMS CreateKey CustomKeyStoreId",
      check: (env) => {
        const out: Violation[] = [];
        for (const [name, k] of Object.entries(isObject(env.keys) ? env.keys : {})) {
          if (!isObject(k)) continue;
          if (k.store === "cloudhsm" && !isObject(env.cloudHsm)) {
            out.push({
              path: `keys.${name}.store`,
              value: k.store,
              rule: "'cloudhsm' only when the environment has a cloudHsm section",
              source: "KMS CreateKey CustomKeyStoreId",
            });
          }
          if (k.store === "xks" && !isObject(env.xks)) {
            out.push({
              path: `keys.${name}.store`,
              value: k.store,
              rule: "'xks' only when the environment has an xks section",
              source: "KMS CreateKey CustomKeyStoreId",
            });
          }
        }
        return out;
      },
    },
    {
      description: "each external key is used by one KMS key",
      source: "KMS: a KMS key in an external key store cannot be recreated, one KMS key per external key",
      check: (env) => {
        const entries = Object.entries(isObject(env.keys) ? env.keys : {}).filter(
          ([, k]) => isObject(k) && k.store === "xks" && isString(k.xksKeyId),
        );
        const dup = new Set(duplicates(entries.map(([, k]) => k.xksKeyId)));
        return entries
          .filter(([, k]) => dup.has(k.xksKeyId))
          .map(([name, k]): Violation => ({
            path: `keys.${name}.xksKeyId`,
            value: k.xksKeyId,
            rule: "an external key id no other key uses",
            source: "KMS CreateKey XksKeyId",
          }));
      },
    },
    {
      description:
        "generations (manual rotation): only for keys in a custom key store; retired generations are earlier ones, each once; in an external key store every later generation has its own external key",
      source: SRC_MANUAL_ROTATION,
      check: keyGenerations,
    },
  ],
};

/**
 * The rules of `keys.<name>.generations`, from the rulebook's one check ({@link KMS.keyGenerationsProblems},
 * which the CustomerKey construct calls too), plus what only the whole environment shows: an FSx
 * file system's key never changes (its kms_key_id forces a new file system), and an external key
 * serves one KMS key across all keys and generations.
 */
function keyGenerations(env: EnvironmentConfig): Violation[] {
  const out: Violation[] = [];
  const keys = Object.entries(isObject(env.keys) ? env.keys : {});
  const fsxKey = isObject(env.data) && isObject(env.data.fsx) ? env.data.fsx.key : undefined;
  const external = new Map<string, string>();
  for (const [name, k] of keys) if (isObject(k) && isString(k.xksKeyId)) external.set(k.xksKeyId, name);
  for (const [name, k] of keys) {
    if (!isObject(k) || k.generations === undefined) continue;
    const at = `keys.${name}.generations`;
    const g = k.generations;
    if (!isObject(g)) {
      out.push({
        path: at,
        value: g,
        rule: "an object { current, retired?, xksKeyIds? }",
        source: SRC_MANUAL_ROTATION,
      });
      continue;
    }
    for (const p of KMS.keyGenerationsProblems({
      store: isString(k.store) ? k.store : KMS.DEFAULT_KEY_STORE.value,
      origin: isString(k.origin) ? k.origin : undefined,
      current: g.current,
      retired: g.retired,
      xksKeyIds: g.xksKeyIds,
      xksKeyId: k.xksKeyId,
      xksKeyIdPattern: XKS.KEY_ID.regex,
    }))
      out.push({ path: `${at}.${p.field}`, value: p.value, rule: p.why, source: SRC_MANUAL_ROTATION });
    if (name === fsxKey && typeof g.current === "number" && g.current > KMS.FIRST_KEY_GENERATION.value)
      out.push({
        path: `${at}.current`,
        value: g.current,
        rule: `${KMS.FIRST_KEY_GENERATION.value} while data.fsx uses this key: an FSx file system keeps the key it was created with (kms_key_id forces a new file system, which loses its data); create a new file system under another key and migrate (docs/keys.md)`,
        source: "FSx CreateFileSystem KmsKeyId",
      });
    if (isObject(g.xksKeyIds))
      for (const [n, id] of Object.entries(g.xksKeyIds)) {
        if (!isString(id)) continue;
        const owner = external.get(id);
        if (owner !== undefined && owner !== name)
          out.push({
            path: `${at}.xksKeyIds.${n}`,
            value: id,
            rule: `an external key id no other key uses (keys.${owner} uses it)`,
            source: "KMS CreateKey XksKeyId",
          });
        else if (owner === undefined) external.set(id, name);
      }
  }
  return out;
}

const SRC_ASYMMETRIC =
  "KMS: only symmetric encryption keys can be created in a custom key store (https://docs.aws.amazon.com/kms/latest/developerguide/symm-asymm-compare.html)";

/**
 * What a signing key spec may be; for a spec KMS offers but the AWS provider this project plans with
 * does not accept yet (ML-DSA, Ed25519), why it is refused and which provider release accepts it.
 */
function signingSpecRule(spec: unknown): string {
  const awaiting = (KMS.SIGNING_KEY_SPECS_AWAITING_PROVIDER as readonly unknown[]).includes(spec)
    ? (spec as KMS.SigningKeySpecAwaitingProvider)
    : undefined;
  if (!awaiting) return KMS.SIGNING_KEY_SPECS.join(", ");
  return `${KMS.SIGNING_KEY_SPECS.join(", ")}; KMS offers ${awaiting} but the AWS provider ${KMS.PLANNING_PROVIDER_VERSION} that npm run validate plans with rejects it (the provider accepts it from ${KMS.PROVIDER_VERSION_ACCEPTING[awaiting]})`;
}

/** Asymmetric signing keys: spec, store, roles. */
export const signingKeysTable: ConstraintTable = {
  domain: "signingKeys",
  fields: [
    { field: "signingKeys.*", rule: "a signing key object", source: "environment contract", check: isObject },
    { field: "signingKeys.*.alias", ...aliasRule },
    { field: "signingKeys.*.description", ...descriptionRule },
    {
      field: "signingKeys.*.keySpec",
      rule: (ctx) => signingSpecRule(ctx.parent.keySpec),
      source:
        "KMS CreateKey KeySpec for SIGN_VERIFY keys (https://docs.aws.amazon.com/kms/latest/developerguide/asymmetric-key-specs.html)",
      required: true,
      check: oneOf(...KMS.SIGNING_KEY_SPECS),
    },
    {
      field: "signingKeys.*.store",
      rule: "'aws-kms' (custom key stores hold only symmetric encryption keys)",
      source: SRC_ASYMMETRIC,
      check: oneOf("aws-kms"),
    },
    { field: "signingKeys.*.deletionWindowDays", ...deletionWindowRule },
    {
      field: "signingKeys.*.administrators",
      rule: "at least one IAM role or user ARN",
      source: "key policy: separation of duties",
      required: true,
      check: (v) => Array.isArray(v) && v.length > 0,
    },
    ...principalList("signingKeys.*.administrators"),
    ...principalList("signingKeys.*.signers"),
    ...principalList("signingKeys.*.verifiers"),
    ...principalList("signingKeys.*.publicKeyReaders"),
    {
      field: "signingKeys.*.policy",
      rule: "'account' or 'closed'",
      source: "KMS key policies: default key policy",
      check: oneOf("account", "closed"),
    },
  ],
  cross: [
    {
      description: "signing key logical names are identifiers, not also names of keys",
      source: "construct ids; consumers name keys by these names",
      check: (env) => {
        const keys = new Set(Object.keys(isObject(env.keys) ? env.keys : {}));
        return Object.keys(isObject(env.signingKeys) ? env.signingKeys : {}).flatMap((name): Violation[] => [
          ...(LOGICAL_NAME.test(name)
            ? []
            : [
                {
                  path: `signingKeys.${name}`,
                  value: name,
                  rule: `a signing key name that is ${LOGICAL_NAME_RULE}`,
                  source: "construct ids",
                },
              ]),
          ...(keys.has(name)
            ? [
                {
                  path: `signingKeys.${name}`,
                  value: name,
                  rule: "a name no key in keys uses",
                  source: "consumers name keys by these names",
                },
              ]
            : []),
        ]);
      },
    },
    {
      description: "signing key aliases are unique, also against keys",
      source: "KMS CreateAlias: alias names are unique per account and Region",
      check: (env) => {
        const taken = new Set(
          Object.values(isObject(env.keys) ? env.keys : {}).map((k) => (isObject(k) ? k.alias : undefined)),
        );
        const entries = Object.entries(isObject(env.signingKeys) ? env.signingKeys : {}).filter(
          ([, k]) => isObject(k) && isString(k.alias),
        );
        const dup = new Set(duplicates(entries.map(([, k]) => k.alias)));
        return entries
          .filter(([, k]) => dup.has(k.alias) || taken.has(k.alias))
          .map(([name, k]): Violation => ({
            path: `signingKeys.${name}.alias`,
            value: k.alias,
            rule: "an alias no other key or signing key uses",
            source: "KMS CreateAlias: alias names are unique per account and Region",
          }));
      },
    },
    {
      description: "a signing key has at least one signer, verifier or public-key reader",
      source: "key policy: a key nobody may use",
      check: (env) =>
        Object.entries(isObject(env.signingKeys) ? env.signingKeys : {})
          .filter(
            ([, k]) =>
              isObject(k) &&
              !["signers", "verifiers", "publicKeyReaders"].some((l) =>
                nonEmptyArray((k as Record<string, unknown>)[l]),
              ),
          )
          .map(([name]): Violation => ({
            path: `signingKeys.${name}.signers`,
            value: undefined,
            rule: "at least one principal in signers, verifiers or publicKeyReaders",
            source: "key policy: a key nobody may use",
          })),
    },
    {
      description: "administrators of a signing key do not sign, verify or read its public key",
      source: "key policy: separation of duties",
      check: disjointRoles(
        "signingKeys",
        ["administrators", "signers", "verifiers", "publicKeyReaders"],
        "key policy: separation of duties",
      ),
    },
    {
      description:
        "principals of signing keys are of the environment's account (signing keys have no externalAccounts)",
      source: SRC_CROSS_ACCOUNT,
      check: (env) => crossAccountPrincipals("signingKeys", env),
    },
  ],
};

/** Every alias of the keys and signing keys (primary and extra), to keep HMAC key aliases apart. */
function aliasesOfOtherKeys(env: EnvironmentConfig): Set<unknown> {
  const taken = new Set<unknown>();
  for (const section of ["keys", "signingKeys"] as const) {
    const all = (env as unknown as Record<string, unknown>)[section];
    for (const k of Object.values(isObject(all) ? all : {})) {
      if (!isObject(k)) continue;
      taken.add(k.alias);
      const more = (k as Record<string, unknown>).aliases;
      if (Array.isArray(more)) more.forEach((a) => taken.add(a));
    }
  }
  return taken;
}

/** HMAC keys (GENERATE_VERIFY_MAC): spec, store, roles. */
export const macKeysTable: ConstraintTable = {
  domain: "macKeys",
  fields: [
    { field: "macKeys.*", rule: "an HMAC key object", source: "environment contract", check: isObject },
    { field: "macKeys.*.alias", ...aliasRule },
    { field: "macKeys.*.description", ...descriptionRule },
    {
      field: "macKeys.*.keySpec",
      rule: KMS.HMAC_KEY_SPECS.join(", "),
      source:
        "KMS CreateKey KeySpec for GENERATE_VERIFY_MAC keys (https://docs.aws.amazon.com/kms/latest/developerguide/hmac.html)",
      check: oneOf(...KMS.HMAC_KEY_SPECS),
    },
    {
      field: "macKeys.*.store",
      rule: "'aws-kms' (custom key stores hold only symmetric encryption keys)",
      source: SRC_ASYMMETRIC,
      check: oneOf("aws-kms"),
    },
    { field: "macKeys.*.deletionWindowDays", ...deletionWindowRule },
    {
      field: "macKeys.*.administrators",
      rule: "at least one IAM role or user ARN",
      source: "key policy: separation of duties",
      required: true,
      check: (v) => Array.isArray(v) && v.length > 0,
    },
    ...principalList("macKeys.*.administrators"),
    ...principalList("macKeys.*.macGenerators"),
    ...principalList("macKeys.*.macVerifiers"),
    {
      field: "macKeys.*.policy",
      rule: "'account' or 'closed'",
      source: "KMS key policies: default key policy",
      check: oneOf("account", "closed"),
    },
  ],
  cross: [
    {
      description: "HMAC key logical names are identifiers, not also names of keys or signing keys",
      source: "construct ids; consumers name keys by these names",
      check: (env) => {
        const taken = new Set([
          ...Object.keys(isObject(env.keys) ? env.keys : {}),
          ...Object.keys(isObject(env.signingKeys) ? env.signingKeys : {}),
        ]);
        return Object.keys(isObject(env.macKeys) ? env.macKeys : {}).flatMap((name): Violation[] => [
          ...(LOGICAL_NAME.test(name)
            ? []
            : [
                {
                  path: `macKeys.${name}`,
                  value: name,
                  rule: `an HMAC key name that is ${LOGICAL_NAME_RULE}`,
                  source: "construct ids",
                },
              ]),
          ...(taken.has(name)
            ? [
                {
                  path: `macKeys.${name}`,
                  value: name,
                  rule: "a name no key in keys or signingKeys uses",
                  source: "consumers name keys by these names",
                },
              ]
            : []),
        ]);
      },
    },
    {
      description: "HMAC key aliases are unique, also against keys and signing keys",
      source: "KMS CreateAlias: alias names are unique per account and Region",
      check: (env) => {
        const taken = aliasesOfOtherKeys(env);
        const entries = Object.entries(isObject(env.macKeys) ? env.macKeys : {}).filter(
          ([, k]) => isObject(k) && isString(k.alias),
        );
        const dup = new Set(duplicates(entries.map(([, k]) => k.alias)));
        return entries
          .filter(([, k]) => dup.has(k.alias) || taken.has(k.alias))
          .map(([name, k]): Violation => ({
            path: `macKeys.${name}.alias`,
            value: k.alias,
            rule: "an alias no other key, signing key or HMAC key uses",
            source: "KMS CreateAlias: alias names are unique per account and Region",
          }));
      },
    },
    {
      description: "an HMAC key has at least one MAC generator or verifier",
      source: "key policy: a key nobody may use",
      check: (env) =>
        Object.entries(isObject(env.macKeys) ? env.macKeys : {})
          .filter(
            ([, k]) =>
              isObject(k) &&
              !["macGenerators", "macVerifiers"].some((l) => nonEmptyArray((k as Record<string, unknown>)[l])),
          )
          .map(([name]): Violation => ({
            path: `macKeys.${name}.macGenerators`,
            value: undefined,
            rule: "at least one principal in macGenerators or macVerifiers",
            source: "key policy: a key nobody may use",
          })),
    },
    {
      description: "administrators of an HMAC key do not generate or verify MACs with it",
      source: "key policy: separation of duties",
      check: disjointRoles(
        "macKeys",
        ["administrators", "macGenerators", "macVerifiers"],
        "key policy: separation of duties",
      ),
    },
    {
      description: "principals of HMAC keys are of the environment's account (HMAC keys have no externalAccounts)",
      source: SRC_CROSS_ACCOUNT,
      check: (env) => crossAccountPrincipals("macKeys", env),
    },
  ],
};
