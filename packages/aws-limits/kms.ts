/**
 * AWS KMS: keys, aliases, deletion windows, imported key material, custom key stores and grants.
 * Each rule once, with the AWS page that states it.
 */
import type { Default, Limit, Pattern, Range } from "./rule";
import { REGION } from "./iam";

const API = "https://docs.aws.amazon.com/kms/latest/APIReference";
const GUIDE = "https://docs.aws.amazon.com/kms/latest/developerguide";

/** ScheduleKeyDeletion PendingWindowInDays: the days KMS waits before it deletes a key. */
export const DELETION_WINDOW_DAYS: Range = {
  min: 7,
  max: 30,
  integer: true,
  unit: "days",
  doc: `${API}/API_ScheduleKeyDeletion.html`,
};

/** The deletion window every key of this project gets unless configured otherwise. */
export const DEFAULT_DELETION_WINDOW_DAYS: Default<number> = {
  value: 30,
  why: "the longest window AWS allows: the most time to notice a scheduled deletion and cancel it (a deleted key loses every byte encrypted under it)",
  doc: `${GUIDE}/deleting-keys.html`,
};

/**
 * CreateAlias AliasName: `alias/` then letters, digits, `:`, `/`, `_`, `-`, at most 256 characters
 * in all, never `alias/aws/...` (reserved for AWS managed keys).
 */
/** Length of a whole alias name, `alias/` included. */
export const ALIAS_NAME_LENGTH: Range = {
  min: 1,
  max: 256,
  integer: true,
  unit: "characters",
  doc: `${API}/API_CreateAlias.html`,
};
/** The prefix of the aliases of AWS managed keys: CreateAlias refuses it. */
export const RESERVED_ALIAS_PREFIX = "alias/aws/";
export const ALIAS_NAME: Pattern = {
  regex: /^alias\/[a-zA-Z0-9:/_-]+$/,
  allowed: `'alias/' then letters, digits, ':', '/', '_', '-', at most ${ALIAS_NAME_LENGTH.max} chars, not '${RESERVED_ALIAS_PREFIX}...' (reserved for AWS managed keys)`,
  doc: `${API}/API_CreateAlias.html`,
};

/** Whether `alias` is a name CreateAlias accepts ({@link ALIAS_NAME}, {@link ALIAS_NAME_LENGTH}, not {@link RESERVED_ALIAS_PREFIX}). */
export function isAliasName(alias: unknown): boolean {
  return (
    typeof alias === "string" &&
    ALIAS_NAME.regex.test(alias) &&
    alias.length <= ALIAS_NAME_LENGTH.max &&
    !alias.startsWith(RESERVED_ALIAS_PREFIX)
  );
}

/**
 * Aliases one key may have: the "Aliases per KMS key" resource quota (adjustable). Aliases cost
 * nothing, but each counts toward this quota.
 */
export const ALIASES_PER_KEY: Limit = {
  value: 50,
  unit: "aliases",
  doc: `${GUIDE}/resource-limits.html#aliases-per-key`,
};

/** CreateKey Description. */
export const DESCRIPTION_LENGTH: Range = {
  min: 0,
  max: 8192,
  integer: true,
  unit: "characters",
  doc: `${API}/API_CreateKey.html`,
};

/** ImportKeyMaterial ValidTo (ExpirationModel KEY_MATERIAL_EXPIRES): at most 365 days from the request. */
export const KEY_MATERIAL_VALIDITY_DAYS: Range = {
  min: 1,
  max: 365,
  integer: true,
  unit: "days",
  doc: `${API}/API_ImportKeyMaterial.html`,
};

/**
 * The wrapping key this project asks GetParametersForImport for when it imports 256-bit symmetric
 * material: an RSA_4096 public key (the strongest RSA wrapping key spec KMS offers)...
 * https://docs.aws.amazon.com/kms/latest/developerguide/importing-keys-get-public-key-and-token.html
 */
export const IMPORT_WRAPPING_KEY_SPEC = "RSA_4096";
/**
 * ...and RSAES_OAEP_SHA_256 as the wrapping algorithm: a 256-bit symmetric key fits in one RSA OAEP
 * block (RSA_AES_KEY_WRAP_SHA_256 is required only for RSA private key material).
 * https://docs.aws.amazon.com/kms/latest/developerguide/importing-keys-get-public-key-and-token.html
 */
export const IMPORT_WRAPPING_ALGORITHM = "RSAES_OAEP_SHA_256";

/**
 * Days before imported key material expires at which its alarm (SecondsUntilKeyMaterialExpiration)
 * fires unless configured otherwise, or half the validity when that is shorter (this project's default).
 */
export const DEFAULT_KEY_MATERIAL_EXPIRY_WARNING_DAYS: Default<number> = {
  value: 30,
  why: "a month to re-import the same material (a new ValidTo) through change control before the key becomes unusable",
  doc: "https://docs.aws.amazon.com/kms/latest/developerguide/monitoring-cloudwatch.html#key-material-expiration",
};

/**
 * Key specs KMS offers for asymmetric SIGN_VERIFY keys, RSA and ECC (ML-DSA and China's SM2 are not
 * offered by this project). https://docs.aws.amazon.com/kms/latest/developerguide/asymmetric-key-specs.html
 */
export const SIGNING_KEY_SPECS = [
  "RSA_2048",
  "RSA_3072",
  "RSA_4096",
  "ECC_NIST_P256",
  "ECC_NIST_P384",
  "ECC_NIST_P521",
  "ECC_SECG_P256K1",
] as const;
export type SigningKeySpec = (typeof SIGNING_KEY_SPECS)[number];

/**
 * SIGN_VERIFY key specs KMS offers that this project refuses until the AWS provider it plans with
 * accepts them: the provider validates customer_master_key_spec against its AWS SDK's KeySpec enum,
 * and the offline mirror `npm run validate` plans with is 5.100.0, which knows neither. Each entry
 * names the provider release that accepts the spec.
 * ML-DSA (FIPS 204; algorithm ML_DSA_SHAKE_256): https://docs.aws.amazon.com/kms/latest/developerguide/mldsa.html,
 * provider support https://github.com/hashicorp/terraform-provider-aws/pull/43128 (merged 2025-06-20, 6.x).
 * Ed25519 (ED25519_SHA_512, ED25519_PH_SHA_512): https://docs.aws.amazon.com/kms/latest/developerguide/symm-asymm-choose-key-spec.html,
 * provider 6.21.0 (AWS SDK for Go v2 with ECC_NIST_EDWARDS25519).
 */
export const SIGNING_KEY_SPECS_AWAITING_PROVIDER = [
  "ML_DSA_44",
  "ML_DSA_65",
  "ML_DSA_87",
  "ECC_NIST_EDWARDS25519",
] as const;
export type SigningKeySpecAwaitingProvider = (typeof SIGNING_KEY_SPECS_AWAITING_PROVIDER)[number];
/** The AWS provider release that accepts each spec of {@link SIGNING_KEY_SPECS_AWAITING_PROVIDER}. */
export const PROVIDER_VERSION_ACCEPTING: Readonly<Record<SigningKeySpecAwaitingProvider, string>> = {
  ML_DSA_44: "6.1.0",
  ML_DSA_65: "6.1.0",
  ML_DSA_87: "6.1.0",
  ECC_NIST_EDWARDS25519: "6.21.0",
};

/** The AWS provider version of the offline mirror `npm run validate` plans with. */
export const PLANNING_PROVIDER_VERSION = "5.100.0";

/**
 * Key specs of HMAC keys (KeyUsage GENERATE_VERIFY_MAC): AWS-KMS origin only, in the AWS KMS key
 * store (no custom key store), never rotated automatically; AWS also allows imported HMAC material and
 * multi-Region HMAC keys, which this project does not make.
 * https://docs.aws.amazon.com/kms/latest/developerguide/hmac.html
 */
export const HMAC_KEY_SPECS = ["HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512"] as const;
export type HmacKeySpec = (typeof HMAC_KEY_SPECS)[number];
/** Default HMAC key spec: HMAC_256 (SHA-256, a 256-bit key). */
export const DEFAULT_HMAC_KEY_SPEC: Default<HmacKeySpec> = {
  value: "HMAC_256",
  why: "HMAC with SHA-256, the spec most MAC consumers (JWT HS256, webhook signatures) expect",
  doc: "https://docs.aws.amazon.com/kms/latest/developerguide/hmac.html#hmac-key-specs",
};

/**
 * The key spec of a symmetric encryption key: the only spec a key in a custom key store (CloudHSM
 * or external) can have, and the only spec S3, EBS and FSx encrypt with.
 * https://docs.aws.amazon.com/kms/latest/developerguide/symm-asymm-choose-key-spec.html
 */
export const SYMMETRIC_KEY_SPEC = "SYMMETRIC_DEFAULT";

/** CreateKey KeyUsage of the keys this project makes. https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateKey.html */
export const KEY_USAGE = {
  encryptDecrypt: "ENCRYPT_DECRYPT",
  signVerify: "SIGN_VERIFY",
  generateVerifyMac: "GENERATE_VERIFY_MAC",
} as const;

/**
 * Automatic rotation is for symmetric encryption keys whose material KMS generates: never for keys
 * in a custom key store (CloudHSM or external) nor for imported material (origin external), which
 * rotate on demand or by a new key. It is on by default where it is supported.
 * https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html
 */
export function automaticRotationSupported(key: { readonly store: string; readonly origin?: string }): boolean {
  return key.store === "aws-kms" && (key.origin === undefined || key.origin === "aws-kms");
}

/** EnableKeyRotation RotationPeriodInDays: the days between automatic rotations of a key's material. */
export const ROTATION_PERIOD_DAYS: Range = {
  min: 90,
  max: 2560,
  integer: true,
  unit: "days",
  doc: `${API}/API_EnableKeyRotation.html`,
};

/** The rotation period KMS uses when RotationPeriodInDays is not given (this project does not change it). */
export const DEFAULT_ROTATION_PERIOD_DAYS: Default<number> = {
  value: 365,
  why: "AWS's default: yearly rotation (each rotated key version adds to the key's monthly cost for its first two rotations)",
  doc: `${API}/API_EnableKeyRotation.html`,
};

/** Largest key policy document KMS accepts: 32,768 bytes (the alarm topic key lists its alarms' ARNs while they fit). */
export const KEY_POLICY_MAX_BYTES: Limit = {
  value: 32768,
  unit: "bytes",
  doc: `${GUIDE}/key-policy-overview.html#key-policy-format`,
};

/** Where a key's material lives unless configured otherwise: AWS KMS itself (this project's default). */
export const DEFAULT_KEY_STORE: Default<"aws-kms"> = {
  value: "aws-kms",
  why: "a custom key store (CloudHSM, external) is a decision only the user can make",
  doc: `${GUIDE}/key-store-overview.html`,
};

/** The key policy form unless configured otherwise (this project's default). */
export const DEFAULT_KEY_POLICY_FORM: Default<"account"> = {
  value: "account",
  why: "the account root keeps kms:*, AWS's default key policy: the key can never become unmanageable",
  doc: `${GUIDE}/key-policy-default.html#key-policy-default-allow-root-enable-iam`,
};

/** What another account may do with a key unless configured otherwise (this project's default). */
export const DEFAULT_EXTERNAL_ACCOUNT_ALLOW: Default<readonly ["use"]> = {
  value: ["use"],
  why: "use of the key only: grants for AWS resources are asked for by name",
  doc: `${GUIDE}/key-policy-modifying-external-accounts.html`,
};

/**
 * What a key's policy may give a principal of ANOTHER account than the key's: KMS honours it only
 * for the cryptographic and grant operations; administration (PutKeyPolicy, ScheduleKeyDeletion...)
 * and the import (GetParametersForImport, ImportKeyMaterial) work only in the key's own account
 * ("Cross-account use: No" in each operation's API reference). Use by another account's principal
 * must also be declared in the key's externalAccounts with "use" (this project's rule: that account's
 * root statement is what lets it delegate). Signing keys are not shared (`sign`). `role` is what the
 * principal would do with the key. Returns undefined when allowed, otherwise the rule it breaks.
 * https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html
 */
export function otherAccountProblem(
  role: "administer" | "import" | "use" | "sign",
  principalAccount: string | undefined,
  keyAccount: string,
  externalAccounts: readonly { readonly account?: unknown; readonly allow?: unknown }[] = [],
): "own-account-only" | "account-not-declared" | "account-not-allowed-use" | undefined {
  if (principalAccount === undefined || principalAccount === keyAccount) return undefined;
  if (role !== "use") return "own-account-only";
  const declared = externalAccounts.filter((a) => a.account === principalAccount);
  if (declared.length === 0) return "account-not-declared";
  return declared.some((a) =>
    (Array.isArray(a.allow) ? (a.allow as readonly unknown[]) : DEFAULT_EXTERNAL_ACCOUNT_ALLOW.value).includes("use"),
  )
    ? undefined
    : "account-not-allowed-use";
}

/** CreateCustomKeyStore CustomKeyStoreName (CloudHSM and external key stores); unique per account and Region. */
export const CUSTOM_KEY_STORE_NAME_LENGTH: Range = {
  min: 1,
  max: 256,
  integer: true,
  unit: "characters",
  doc: `${API}/API_CreateCustomKeyStore.html`,
};
/** Whether `name` has a length CreateCustomKeyStore accepts ({@link CUSTOM_KEY_STORE_NAME_LENGTH}). */
export function isCustomKeyStoreName(name: unknown): boolean {
  return (
    typeof name === "string" &&
    name.length >= CUSTOM_KEY_STORE_NAME_LENGTH.min &&
    name.length <= CUSTOM_KEY_STORE_NAME_LENGTH.max
  );
}

/**
 * The request quota of the *CustomKeyStore APIs (Create, Connect, Disconnect, Describe, Update,
 * Delete), per account and Region, shared with anything else calling them: 5 requests per second.
 */
export const CUSTOM_KEY_STORE_API_REQUESTS_PER_SECOND: Limit = {
  value: 5,
  unit: "requests per second",
  doc: `${GUIDE}/requests-per-second.html`,
};

/** Custom key stores (CloudHSM and external) per account and Region: 10, a resource quota that is not in Service Quotas. */
export const CUSTOM_KEY_STORES_PER_REGION: Limit = { value: 10, doc: `${GUIDE}/resource-limits.html` };

/** The request quota of GetParametersForImport per account and Region: 1 request per second. */
export const GET_PARAMETERS_FOR_IMPORT_REQUESTS_PER_SECOND: Limit = {
  value: 1,
  unit: "requests per second",
  doc: `${GUIDE}/requests-per-second.html`,
};

/** CreateCustomKeyStore TrustAnchorCertificate (a CloudHSM key store's trust anchor PEM). */
export const TRUST_ANCHOR_CERTIFICATE_LENGTH: Range = {
  min: 1,
  max: 5000,
  integer: true,
  unit: "characters",
  doc: `${API}/API_CreateCustomKeyStore.html`,
};

/**
 * The operations a grant may permit (CreateGrant Operations, GrantOperation).
 * https://docs.aws.amazon.com/kms/latest/developerguide/grants.html#terms-grant-operations
 */
export const GRANT_OPERATIONS = [
  "Decrypt",
  "Encrypt",
  "GenerateDataKey",
  "GenerateDataKeyWithoutPlaintext",
  "ReEncryptFrom",
  "ReEncryptTo",
  "Sign",
  "Verify",
  "GetPublicKey",
  "CreateGrant",
  "RetireGrant",
  "DescribeKey",
  "GenerateDataKeyPair",
  "GenerateDataKeyPairWithoutPlaintext",
  "GenerateMac",
  "VerifyMac",
  "DeriveSharedSecret",
] as const;
export type GrantOperation = (typeof GRANT_OPERATIONS)[number];

/**
 * The request quota of GetKeyLastUsage per account and Region (2026-04): 5 requests per second. The
 * plan guard's `--last-use` and the teardown's last-use check stay under it.
 */
export const GET_KEY_LAST_USAGE_REQUESTS_PER_SECOND: Limit = {
  value: 5,
  unit: "requests per second",
  doc: `${GUIDE}/requests-per-second.html`,
};

/**
 * Manual rotation ("Rotate keys manually"): a new KMS key, the aliases moved to it, the previous key
 * kept enabled so KMS can still decrypt what it encrypted. The only rotation keys in a CloudHSM or
 * external key store have: they rotate neither automatically nor on demand.
 */
export const MANUAL_ROTATION_DOC = `${GUIDE}/rotate-keys-manually.html`;

/** The first generation of a key: the key created before any manual rotation (this project's numbering). */
export const FIRST_KEY_GENERATION: Default<number> = {
  value: 1,
  why: "generation 1 is the key as first created; each manual rotation adds the next number",
  doc: MANUAL_ROTATION_DOC,
};

/**
 * The generation numbers a key may have (this project's bound, not AWS's): 100 generations is a
 * century of yearly rotations; the bound keeps a typo (`current: 1e9`) from asking for millions of keys.
 */
export const KEY_GENERATIONS: Range = {
  min: 1,
  max: 100,
  integer: true,
  doc: MANUAL_ROTATION_DOC,
};

/** A key's manual-rotation settings, as a configuration or a construct states them. */
export interface KeyGenerationsInput {
  /** `store` of the key (`aws-kms`, `cloudhsm`, `xks`). */
  readonly store: string;
  /** `origin` of the key (`aws-kms` or `external`). */
  readonly origin?: string;
  readonly current: unknown;
  readonly retired?: unknown;
  readonly xksKeyIds?: unknown;
  /** The first generation's external key id (store xks). */
  readonly xksKeyId?: unknown;
  /** The pattern an external key id must match (the rulebook's XKS.KEY_ID.regex). */
  readonly xksKeyIdPattern: RegExp;
}

/** One problem of a key's `generations`: the field under `generations`, the value and why it is refused. */
export interface KeyGenerationsProblem {
  readonly field: string;
  readonly value: unknown;
  readonly why: string;
}

const isWhole = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);

/**
 * Every problem of a key's manual-rotation settings at once (shared by the validation table and the
 * CustomerKey construct, so they cannot disagree):
 * - `current` is a whole number, at least {@link FIRST_KEY_GENERATION}; above it only for keys in a
 *   custom key store (an AWS-KMS key rotates automatically or on demand without changing its id or
 *   needing re-encryption; imported material rotates on demand, docs/byok.md);
 * - `retired` lists earlier generations only (never the current one), each once;
 * - store xks: `xksKeyIds` names the external key of every generation after the first (a new
 *   generation needs new key material: another key in the external key manager), each unique and
 *   different from `xksKeyId`; other stores: no `xksKeyIds`.
 * https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys-manually.html
 */
export function keyGenerationsProblems(g: KeyGenerationsInput): KeyGenerationsProblem[] {
  const out: KeyGenerationsProblem[] = [];
  const first = FIRST_KEY_GENERATION.value;
  const current = g.current;
  const customStore = g.store === "cloudhsm" || g.store === "xks";
  const valid = isWhole(current) && current >= first && current <= KEY_GENERATIONS.max;
  if (!valid)
    out.push({
      field: "current",
      value: current,
      why: `a whole number from ${first} to ${KEY_GENERATIONS.max} (${KEY_GENERATIONS.max} generations is a century of yearly rotations)`,
    });
  else if (current > first && !customStore)
    out.push({
      field: "current",
      value: current,
      why:
        g.origin === "external"
          ? `${first} for imported key material (store aws-kms, origin external): rotate it on demand with new material (docs/byok.md), which keeps the key id`
          : `${first} for an AWS-KMS key: it rotates automatically or on demand (rotation, rotationPeriodDays), keeping its id and without re-encryption; generations are for keys in a custom key store, which cannot rotate (${MANUAL_ROTATION_DOC})`,
    });
  // The bound the other fields are checked against; an invalid current (reported above) gives none,
  // so that no finding below only restates it.
  const top = valid ? current : Infinity;
  if (g.retired !== undefined) {
    if (!Array.isArray(g.retired))
      out.push({ field: "retired", value: g.retired, why: "a list of generation numbers" });
    else {
      const seen = new Set<number>();
      g.retired.forEach((r: unknown, i) => {
        if (!isWhole(r) || r < first || r >= top)
          out.push({
            field: `retired.${i}`,
            value: r,
            why:
              isWhole(r) && r === top
                ? "the current generation is never retired: rotate to a new generation first"
                : !valid
                  ? `an earlier generation than current, a whole number from ${first}`
                  : `an earlier generation, ${first} to ${Math.max(first, top - 1)}${top === first ? " (there is none before the current one)" : ""}`,
          });
        else if (seen.has(r)) out.push({ field: `retired.${i}`, value: r, why: "listed once" });
        if (isWhole(r)) seen.add(r);
      });
    }
  }
  if (g.store === "xks") {
    const ids = g.xksKeyIds;
    const byGeneration = ids !== undefined && ids !== null && typeof ids === "object" && !Array.isArray(ids);
    if (ids !== undefined && !byGeneration)
      out.push({ field: "xksKeyIds", value: ids, why: "an object: generation number -> external key id" });
    const map = byGeneration ? (ids as Record<string, unknown>) : {};
    const used = new Map<string, string>();
    if (typeof g.xksKeyId === "string") used.set(g.xksKeyId, "xksKeyId");
    for (let n = first + 1; valid && n <= top; n++) {
      if (!(String(n) in map))
        out.push({
          field: `xksKeyIds.${n}`,
          value: undefined,
          why: `required: generation ${n} is a new key in the external key store and needs its own external key (new key material), KMS CreateKey XksKeyId`,
        });
    }
    for (const [k, v] of Object.entries(map)) {
      const n = Number(k);
      // "02" or "2.0" would name generation 2 beside "2", and the key is read by String(n): refused.
      if (/^[0-9]+$/.test(k) && String(n) !== k)
        out.push({ field: `xksKeyIds.${k}`, value: v, why: `a generation number as written plainly (${n}, not ${k})` });
      else if (!/^[0-9]+$/.test(k) || n <= first || n > top)
        out.push({
          field: `xksKeyIds.${k}`,
          value: v,
          why: !valid
            ? `only for generations after ${first}, up to current (generation ${first} uses xksKeyId)`
            : top > first
              ? `only for generations ${first + 1} to ${top} (generation ${first} uses xksKeyId)`
              : `unset while current is ${first} (generation ${first} uses xksKeyId)`,
        });
      else if (typeof v !== "string" || !g.xksKeyIdPattern.test(v))
        out.push({
          field: `xksKeyIds.${k}`,
          value: v,
          why: "an external key id (the XKS key id pattern), KMS CreateKey XksKeyId",
        });
      else if (used.has(v))
        out.push({
          field: `xksKeyIds.${k}`,
          value: v,
          why: `the external key of ${used.get(v)}: a new generation needs new key material, another external key`,
        });
      if (typeof v === "string" && !used.has(v)) used.set(v, `xksKeyIds.${k}`);
    }
  } else if (g.xksKeyIds !== undefined)
    out.push({
      field: "xksKeyIds",
      value: g.xksKeyIds,
      why: `only for keys in an external key store (store is "${g.store}")`,
    });
  return out;
}

/**
 * Multi-Region keys: a primary key (CreateKey MultiRegion, fixed at creation: changing it replaces the
 * key) and replica keys (ReplicateKey), each replica in another Region of the primary's partition, at
 * most one per Region. "You cannot create a multi-Region key in a custom key store" (CloudHSM, XKS).
 * A replica has its own key policy, aliases, deletion window and tags; it shares key material, key
 * spec, origin and automatic rotation with the primary. Each replica is billed and counted as a key
 * in its Region. https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-overview.html
 */
export const MULTI_REGION_DOC = `${GUIDE}/multi-region-keys-overview.html`;
/** Replicas of one primary key in one Region: "each must be in a different Region" (ReplicateKey ReplicaRegion). */
export const REPLICAS_PER_REGION: Limit = { value: 1, unit: "replica", doc: `${API}/API_ReplicateKey.html` };
/** The key stores a multi-Region key may live in: AWS KMS only (CreateKey MultiRegion). */
export const MULTI_REGION_STORES = ["aws-kms"] as const;
/** Keys are single-Region unless asked: a multi-Region key's material leaves the Region, a decision to make on purpose. */
export const DEFAULT_MULTI_REGION: Default<false> = {
  value: false,
  why: "a multi-Region key's material is copied to every replica Region: a data-residency decision to make on purpose, and each replica is billed as a key",
  doc: `${API}/API_CreateKey.html#KMS-CreateKey-request-MultiRegion`,
};
/**
 * Customer managed keys per Region and account (adjustable quota): every replica counts in its Region.
 * https://docs.aws.amazon.com/kms/latest/developerguide/resource-limits.html#kms-keys-limit
 */
export const CUSTOMER_MANAGED_KEYS_PER_REGION: Limit = {
  value: 100_000,
  unit: "keys",
  doc: `${GUIDE}/resource-limits.html#kms-keys-limit`,
};

/**
 * The AWS services a key policy may let use a key on the account's behalf, each with the statement its
 * own documentation prescribes (service principal, the actions it needs, the confused-deputy
 * conditions), and the shape of the source ARNs that narrow it. A fixed list: a service missing here is
 * refused, never guessed.
 * - `cloudtrail`: trails encrypting log and digest files; `aws:SourceArn` (StringEquals: exact trail
 *   ARNs) and `kms:EncryptionContext:aws:cloudtrail:arn` on GenerateDataKey*, `aws:SourceArn` on
 *   DescribeKey.
 * - `logs`: CloudWatch Logs log groups (principal `logs.<region>.amazonaws.com`); ArnLike
 *   `kms:EncryptionContext:aws:logs:arn`, which Logs sets to the log group's ARN.
 * - `cloudwatch`: CloudWatch alarms publishing to an SNS topic encrypted with the key; aws:SourceAccount
 *   and ArnLike aws:SourceArn (alarm ARNs).
 * - `events`: EventBridge rules sending to an SNS topic encrypted with the key; aws:SourceAccount and
 *   ArnLike aws:SourceArn (rule ARNs).
 */
export interface KeyPolicyService {
  /** The service principal; `{region}` stands for the key's Region. */
  readonly principal: string;
  /** The service field of its source ARNs (`arn:<partition>:<service>:...`). */
  readonly arnService: string;
  /** The resource part of a source ARN after `<account>:` (a trailing `*` is judged apart). */
  readonly resource: RegExp;
  /** The resource part in words, for messages. */
  readonly resourceShape: string;
  /** The resource type the resource part starts with (`trail/`, `log-group:`): a wildcard needs a name after it. */
  readonly resourceType: string;
  /** Whether a source ARN may end in `*` after a non-empty name prefix (the statement compares with ArnLike). */
  readonly wildcard: boolean;
  /** Whether a source ARN must be in the key's own Region (a Region-bound service principal). */
  readonly sameRegion: boolean;
  readonly actions: readonly string[];
  readonly doc: string;
}

export const KEY_POLICY_SERVICES = {
  cloudtrail: {
    principal: "cloudtrail.amazonaws.com",
    arnService: "cloudtrail",
    resource: /^trail\/[A-Za-z0-9._-]{3,128}$/,
    resourceShape: "trail/<trail name>",
    resourceType: "trail/",
    wildcard: false,
    sameRegion: false,
    actions: ["kms:GenerateDataKey*"],
    doc: "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html",
  },
  logs: {
    principal: "logs.{region}.amazonaws.com",
    arnService: "logs",
    resource: /^log-group:[A-Za-z0-9._/#-]{1,512}$/,
    resourceShape: "log-group:<log group name>",
    resourceType: "log-group:",
    wildcard: true,
    sameRegion: true,
    actions: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
    doc: "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html",
  },
  cloudwatch: {
    principal: "cloudwatch.amazonaws.com",
    arnService: "cloudwatch",
    resource: /^alarm:[^*?]{1,255}$/,
    resourceShape: "alarm:<alarm name>",
    resourceType: "alarm:",
    wildcard: true,
    sameRegion: false,
    actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
    doc: "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services",
  },
  events: {
    principal: "events.amazonaws.com",
    arnService: "events",
    resource: /^rule\/([A-Za-z0-9._/-]{1,256}\/)?[A-Za-z0-9._-]{1,64}$/,
    resourceShape: "rule/<rule name> or rule/<event bus name>/<rule name>",
    resourceType: "rule/",
    wildcard: true,
    sameRegion: false,
    actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
    doc: "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services",
  },
} as const satisfies Record<string, KeyPolicyService>;
export type KeyPolicyServiceName = keyof typeof KEY_POLICY_SERVICES;
export const KEY_POLICY_SERVICE_NAMES = Object.keys(KEY_POLICY_SERVICES) as KeyPolicyServiceName[];

/** The service principal of `service` for a key in `region`. */
export function servicePrincipal(service: KeyPolicyServiceName, region: string): string {
  return KEY_POLICY_SERVICES[service].principal.replace("{region}", region);
}

/**
 * Why `arn` cannot narrow `service`'s statement on a key of `account` in `partition` (whose Regions are
 * `regions`, the primary's first), or undefined when it can: the service's ARN shape, the key's
 * partition and account (a service acting for another account is that account's business), a literal
 * Region, and a wildcard only as a trailing `*` after a non-empty name where the statement compares
 * with ArnLike (`trail/*`, `log-group:*` would admit every resource of the account).
 */
export function serviceSourceArnProblem(
  service: KeyPolicyServiceName,
  arn: string,
  key: { readonly partition: string; readonly account: string; readonly regions: readonly string[] },
): string | undefined {
  const s: KeyPolicyService = KEY_POLICY_SERVICES[service];
  const shape = `arn:${key.partition}:${s.arnService}:<region>:${key.account}:${s.resourceShape}`;
  const parts = arn.split(":");
  if (parts.length < 6 || parts[0] !== "arn") return `an ARN ${shape}`;
  const [, partition, arnService, region, account] = parts;
  const resource = parts.slice(5).join(":");
  if (arnService !== s.arnService) return `an ARN of ${s.arnService} (${shape}), not of ${arnService}`;
  if (partition !== key.partition) return `an ARN of the key's partition ${key.partition} (${shape})`;
  if (account !== key.account)
    return `an ARN of the key's account ${key.account} (${shape}): the service acts for that account only`;
  if (!REGION.regex.test(region)) return `a literal Region in the ARN (${shape})`;
  if (s.sameRegion && !key.regions.includes(region))
    return `a ${s.arnService} ARN in the key's Region${key.regions.length > 1 ? "s" : ""} ${key.regions.join(", ")}: ${servicePrincipal(service, region)} uses only a key (or replica) of its own Region`;
  const star = resource.indexOf("*");
  const name = star >= 0 ? resource.slice(0, star) : resource;
  if (star >= 0 && (!s.wildcard || star !== resource.length - 1))
    return s.wildcard
      ? `at most one '*', at the end of the name (${shape}*)`
      : `an exact ARN without wildcards (${shape}): the statement compares aws:SourceArn with StringEquals`;
  const probe = star >= 0 ? `${name}x` : name;
  if (!s.resource.test(probe) || (star >= 0 && name.length <= s.resourceType.length))
    return star >= 0
      ? `a wildcard only after a non-empty name prefix (${shape.replace(/<[^>]+>$/, "<prefix>")}*): '*' alone matches every one of the account's resources`
      : `an ARN ${shape}`;
  return undefined;
}
