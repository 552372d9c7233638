/**
 * Key policy with separation of duties, built from role lists:
 * - form `account` (default): the account root keeps `kms:*`, so IAM policies in the account can
 *   also grant use of the key and the key can never become unmanageable (KMS default key policy,
 *   https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam).
 *   Any identity whose IAM policy allows kms:* (AdministratorAccess) may then use the key;
 * - form `closed`: no account-root statement, so IAM policies grant nothing on this key: only the
 *   listed administrators manage it (PutKeyPolicy included, which keeps it manageable) and only the
 *   listed users and service roles use it;
 * - administrators manage the key but cannot use it (explicit deny on cryptographic operations);
 * - users use the key but cannot manage it (explicit deny on administrative operations);
 * - users may create grants only for AWS resources (`kms:GrantIsForAWSResource`), which is how
 *   S3, EBS and FSx use a customer key on their behalf;
 * - service-linked roles (e.g. EC2 Auto Scaling's, for an EBS default key) get what the service
 *   needs: the statements AWS documents at
 *   https://docs.aws.amazon.com/autoscaling/ec2/userguide/key-policy-requirements-EBS-encryption.html
 * - encrypt-only users may encrypt and make data keys but never decrypt; decrypt-only users may
 *   decrypt but never encrypt (explicit denies, so an IAM policy in the account form cannot undo it);
 * - other accounts (by their root: the other account's own IAM policies then decide which of its
 *   principals may use the key) get use of the key and/or grants for AWS resources, never
 *   management, as AWS documents at
 *   https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html
 * - asymmetric signing keys ({@link buildSigningKeyPolicy}): signers may only sign, verifiers only
 *   verify, public-key readers only read the public key.
 * - HMAC keys ({@link buildMacKeyPolicy}): MAC generators may only generate MACs, MAC verifiers only
 *   verify them.
 * Statements for the optional inputs are added only when they are given, so a policy without them
 * is byte-for-byte what it was before they existed.
 */

import { Token } from "cdktf";
import { IAM, KMS } from "@cmk-stacks/aws-limits";

/** Administrative actions (no cryptography, no grant creation). */
export const ADMIN_ACTIONS = [
  "kms:CancelKeyDeletion",
  "kms:CreateAlias",
  "kms:DeleteAlias",
  "kms:DescribeKey",
  "kms:DisableKey",
  "kms:DisableKeyRotation",
  "kms:EnableKey",
  "kms:EnableKeyRotation",
  "kms:GetKeyLastUsage",
  "kms:GetKeyPolicy",
  "kms:GetKeyRotationStatus",
  "kms:ListAliases",
  "kms:ListGrants",
  "kms:ListKeyPolicies",
  "kms:ListResourceTags",
  "kms:PutKeyPolicy",
  "kms:RevokeGrant",
  "kms:RotateKeyOnDemand",
  "kms:ScheduleKeyDeletion",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:UpdateAlias",
  "kms:UpdateKeyDescription",
] as const;

/** Cryptographic actions for a symmetric encryption key. */
export const USE_ACTIONS = [
  "kms:Decrypt",
  "kms:DescribeKey",
  "kms:Encrypt",
  "kms:GenerateDataKey*",
  "kms:ReEncrypt*",
] as const;

/** Actions administrators are explicitly denied, whatever IAM says. */
const DENIED_TO_ADMINS = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*", "kms:CreateGrant"];
/** Actions users and service roles are explicitly denied, whatever IAM says. */
const DENIED_TO_USERS = [
  "kms:CancelKeyDeletion",
  "kms:DisableKey",
  "kms:DisableKeyRotation",
  "kms:PutKeyPolicy",
  "kms:ScheduleKeyDeletion",
  "kms:UpdateAlias",
  "kms:DeleteAlias",
  "kms:TagResource",
  "kms:UntagResource",
];

/** Also denied to users and service roles of a multi-Region key (primary or replica). */
const DENIED_TO_USERS_OF_MULTI_REGION_KEYS = ["kms:ReplicateKey", "kms:UpdatePrimaryRegion"];

/** What an encrypt-only user may do: encrypt and make data keys (under this key), never decrypt. */
export const ENCRYPT_ONLY_ACTIONS = [
  "kms:DescribeKey",
  "kms:Encrypt",
  "kms:GenerateDataKey*",
  "kms:ReEncryptTo",
] as const;
/** What a decrypt-only user may do: decrypt (and re-encrypt away from this key), never encrypt. */
export const DECRYPT_ONLY_ACTIONS = ["kms:Decrypt", "kms:DescribeKey", "kms:ReEncryptFrom"] as const;
/** Denied to encrypt-only users whatever IAM says (a grant to themselves would give them Decrypt). */
const DENIED_TO_ENCRYPT_ONLY = ["kms:CreateGrant", "kms:Decrypt", "kms:ReEncryptFrom"];
/** Denied to decrypt-only users whatever IAM says. */
const DENIED_TO_DECRYPT_ONLY = ["kms:CreateGrant", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncryptTo"];
/** Grant operations, allowed only for grants to AWS resources (`kms:GrantIsForAWSResource`). */
const GRANT_ACTIONS = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"];
const FOR_AWS_RESOURCES = { Bool: { "kms:GrantIsForAWSResource": true } };

/** Signing-key roles: what each may do on an asymmetric SIGN_VERIFY key. */
export const SIGN_ACTIONS = ["kms:DescribeKey", "kms:Sign"] as const;
export const VERIFY_ACTIONS = ["kms:DescribeKey", "kms:Verify"] as const;
export const PUBLIC_KEY_ACTIONS = ["kms:DescribeKey", "kms:GetPublicKey"] as const;
/** Administrators of a signing key are denied its cryptographic operations whatever IAM says. */
const DENIED_TO_SIGNING_ADMINS = ["kms:CreateGrant", "kms:Sign", "kms:Verify"];
/** What an HMAC key's generators and verifiers may do (https://docs.aws.amazon.com/kms/latest/developerguide/hmac.html). */
export const GENERATE_MAC_ACTIONS = ["kms:DescribeKey", "kms:GenerateMac"] as const;
export const VERIFY_MAC_ACTIONS = ["kms:DescribeKey", "kms:VerifyMac"] as const;
/** Administrators of an HMAC key are denied its cryptographic operations whatever IAM says. */
const DENIED_TO_MAC_ADMINS = ["kms:CreateGrant", "kms:GenerateMac", "kms:VerifyMac"];

/**
 * What another account may do with a key: `use` = encrypt, decrypt, re-encrypt, data keys and
 * DescribeKey; `grantsForAwsResources` = CreateGrant/ListGrants/RevokeGrant only when the grant is
 * for an AWS service acting for it (`kms:GrantIsForAWSResource`), e.g. EBS or RDS in its account.
 */
export type ExternalAccountUse = "use" | "grantsForAwsResources";

export interface ExternalAccountAccess {
  /** The other account's 12-digit id. */
  readonly account: string;
  readonly allow: readonly ExternalAccountUse[];
}

/** `account`: the account root keeps kms:* (IAM may also grant use). `closed`: only the listed principals. */
export type KeyPolicyForm = "account" | "closed";

/** A pure function of its props: constructs pass their stack's partition and account (`EnvironmentStack.of(this)`). */
export interface KeyPolicyProps {
  /** Partition of the account root principal (`aws`, `aws-cn`, `aws-us-gov`). */
  readonly partition: string;
  /** The key's account (its root keeps `kms:*` in the `account` form). */
  readonly account: string;
  readonly administrators: readonly string[];
  readonly users: readonly string[];
  /** @default - KMS.DEFAULT_KEY_POLICY_FORM.value ({@link KMS.DEFAULT_KEY_POLICY_FORM}) */
  readonly form?: KeyPolicyForm;
  /**
   * IAM roles through which AWS services use the key on the account's behalf (service-linked
   * roles such as `AWSServiceRoleForAutoScaling`); they must exist before the key policy names them.
   * @default - none
   */
  readonly serviceRoles?: readonly string[];
  /**
   * IAM role or user ARNs that may encrypt and generate data keys but never decrypt.
   * @default - none
   */
  readonly encryptOnlyUsers?: readonly string[];
  /**
   * IAM role or user ARNs that may decrypt but never encrypt.
   * @default - none
   */
  readonly decryptOnlyUsers?: readonly string[];
  /**
   * Other accounts and what each may do (never manage the key).
   * @default - none
   */
  readonly externalAccounts?: readonly ExternalAccountAccess[];
  /**
   * A superseded generation of a manually rotated key (its aliases moved to a newer key): kept only
   * to decrypt what it encrypted. Users, service roles and other accounts' `use` keep Decrypt,
   * DescribeKey and ReEncryptFrom (re-encryption to the new key) and users their grants for AWS
   * resources (an EBS volume under the old key still attaches); EVERY principal is explicitly denied
   * Encrypt, GenerateDataKey* and ReEncryptTo (in the account form an IAM policy allowing kms:* would
   * otherwise still encrypt under it) and grants naming those operations that are not for an AWS
   * resource (a grant to oneself would carry them past the key policy); encrypt-only users get nothing.
   * https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys-manually.html
   * @default false
   */
  readonly superseded?: boolean;
  /**
   * AWS services that use the key on the account's behalf, each narrowed to the listed source ARNs
   * as the service's documentation prescribes ({@link KMS.KEY_POLICY_SERVICES}).
   * @default - none
   */
  readonly services?: readonly KeyServiceAccess[];
  /** The Region of the key this policy is for (a Region-bound service principal such as CloudWatch Logs'). Required with `services`. */
  readonly region?: string;
  /**
   * A multi-Region key, its primary or a replica. The PRIMARY's administrators also get `kms:ReplicateKey`,
   * which creating a replica needs in the primary's key policy
   * (https://docs.aws.amazon.com/kms/latest/APIReference/API_ReplicateKey.html, "Required permissions"); in
   * the `closed` form no IAM policy can supply it, and the deploying principal is an administrator. On both,
   * users and service roles are also denied `kms:ReplicateKey` and `kms:UpdatePrimaryRegion`: a replica
   * made by a user would carry a key policy of the user's choosing (key management, like the other denies).
   * @default - a single-Region key
   */
  readonly multiRegion?: "primary" | "replica";
}

/** One AWS service that uses the key on the account's behalf, and the resources it may use it for. */
export interface KeyServiceAccess {
  /** One of {@link KMS.KEY_POLICY_SERVICE_NAMES}. */
  readonly service: KMS.KeyPolicyServiceName;
  /** ARNs of the account's resources the service acts for (trails, log groups, alarms, rules): at least one. */
  readonly sourceArns: readonly string[];
}

/**
 * The problems of a key's `services` (construct format, `<path>.services.<i>...: <value> is not
 * allowed (<why>)`): a known service, listed once, at least one source ARN, each one that
 * {@link KMS.serviceSourceArnProblem} accepts, none twice. Shared with the validation table.
 */
export function keyServiceProblems(
  at: string,
  services: readonly KeyServiceAccess[] | undefined,
  key: { readonly partition: string; readonly account: string; readonly regions: readonly string[] },
): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  (services ?? []).forEach((s, i) => {
    const where = `${at}.services.${i}`;
    if (!(KMS.KEY_POLICY_SERVICE_NAMES as readonly string[]).includes(s.service)) {
      out.push(
        `${where}.service: ${JSON.stringify(s.service)} is not allowed (one of ${KMS.KEY_POLICY_SERVICE_NAMES.join(", ")}: the services whose key policy statement AWS documents, docs/keys.md)`,
      );
      return;
    }
    if (seen.has(s.service))
      out.push(
        `${where}.service: ${JSON.stringify(s.service)} is not allowed (listed once per key: put every source ARN in one entry)`,
      );
    seen.add(s.service);
    if (s.sourceArns.length === 0)
      out.push(
        `${where}.sourceArns: [] is not allowed (at least one ARN: a service statement without a source would let the service use the key for any account, confused deputy)`,
      );
    const arns = new Set<string>();
    s.sourceArns.forEach((arn, j) => {
      // An ARN known only at apply (a token, e.g. a trail's arn) is not judged.
      if (Token.isUnresolved(arn)) return;
      const why = KMS.serviceSourceArnProblem(s.service, arn, key);
      if (why) out.push(`${where}.sourceArns.${j}: ${JSON.stringify(arn)} is not allowed (${why})`);
      else if (arns.has(arn))
        out.push(`${where}.sourceArns.${j}: ${JSON.stringify(arn)} is not allowed (listed twice)`);
      arns.add(arn);
    });
  });
  return out;
}

/** What nobody may do with a superseded generation any more: anything that makes new ciphertext under it. */
export const DENIED_ON_SUPERSEDED = ["kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncryptTo"] as const;
/**
 * The grant operations (kms:GrantOperations) that would make new ciphertext under a superseded generation
 * (https://docs.aws.amazon.com/kms/latest/developerguide/grants.html#terms-grant-operations).
 */
export const ENCRYPTING_GRANT_OPERATIONS = [
  "Encrypt",
  "GenerateDataKey",
  "GenerateDataKeyPair",
  "GenerateDataKeyPairWithoutPlaintext",
  "GenerateDataKeyWithoutPlaintext",
  "ReEncryptTo",
] as const;

/**
 * The invariants of the key-policy inputs a key construct guards itself (PropsError lines,
 * `<path>.<prop>: <value> is not allowed (<why>)`): other accounts are 12-digit ids, never the
 * key's own account, each listed once with at least one use; a principal holds one role only.
 */
export function keyPolicyProblems(at: string, p: KeyPolicyProps): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const [i, a] of (p.externalAccounts ?? []).entries()) {
    const where = `${at}.externalAccounts.${i}`;
    if (!IAM.ACCOUNT_ID.regex.test(a.account))
      out.push(`${where}.account: ${JSON.stringify(a.account)} is not allowed (${IAM.ACCOUNT_ID.allowed})`);
    else if (a.account === p.account)
      out.push(
        `${where}.account: "${a.account}" is not allowed (the key's own account: list its principals in users, KMS key policies)`,
      );
    else if (seen.has(a.account)) out.push(`${where}.account: "${a.account}" is not allowed (listed once per key)`);
    seen.add(a.account);
    if (a.allow.length === 0)
      out.push(`${where}.allow: [] is not allowed (at least one of use, grantsForAwsResources)`);
  }
  // Principals of another account: KMS honours a key policy's permissions for them only for use and
  // grants, never for administration ("Cross-account use: No" in each administrative operation's API
  // reference); their use is declared by their account in externalAccounts, with `use`.
  // https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html
  // The same rule as the validation table (environments/validation/keys.ts): KMS.otherAccountProblem.
  const accountOf = IAM.accountOfArn;
  p.administrators.forEach((a, i) => {
    const account = accountOf(a);
    if (KMS.otherAccountProblem("administer", account, p.account))
      out.push(
        `${at}.administrators.${i}: ${JSON.stringify(a)} is not allowed (a principal of the key's account ${p.account}: key administration works only there, and another account never manages the key, KMS key policies)`,
      );
  });
  for (const [prop, list] of [
    ["users", p.users],
    ["encryptOnlyUsers", p.encryptOnlyUsers ?? []],
    ["decryptOnlyUsers", p.decryptOnlyUsers ?? []],
  ] as const) {
    list.forEach((u, i) => {
      const account = accountOf(u);
      if (KMS.otherAccountProblem("use", account, p.account, p.externalAccounts))
        out.push(
          `${at}.${prop}.${i}: ${JSON.stringify(u)} is not allowed (a principal of the key's account ${p.account}, or of an account in externalAccounts allowed 'use' (${account} is not), KMS key policies)`,
        );
    });
  }
  // A service-linked role (EBS default key) needs Decrypt, GenerateDataKey* and CreateGrant: a role
  // denied any of them would make every launch with the key fail.
  const services = new Set((p.serviceRoles ?? []).map((r) => r.toLowerCase()));
  for (const [prop, list] of [
    ["administrators", p.administrators],
    ["encryptOnlyUsers", p.encryptOnlyUsers ?? []],
    ["decryptOnlyUsers", p.decryptOnlyUsers ?? []],
  ] as const) {
    list.forEach((r, i) => {
      if (services.has(r.toLowerCase()))
        out.push(
          `${at}.${prop}.${i}: ${JSON.stringify(r)} is not allowed (also in serviceRoles: ${prop} are denied Decrypt, GenerateDataKey* or CreateGrant, which the service needs, key policy: separation of duties)`,
        );
    });
  }
  const roles: [string, readonly string[]][] = [
    ["administrators", p.administrators],
    ["users", p.users],
    ["encryptOnlyUsers", p.encryptOnlyUsers ?? []],
    ["decryptOnlyUsers", p.decryptOnlyUsers ?? []],
  ];
  const holder = new Map<string, string>();
  for (const [prop, list] of roles) {
    for (const principal of list) {
      const first = holder.get(principal.toLowerCase());
      if (first && first !== prop && prop !== "users")
        out.push(
          `${at}.${prop}: ${JSON.stringify(principal)} is not allowed (also in ${first}: one role per principal, separation of duties)`,
        );
      if (!first) holder.set(principal.toLowerCase(), prop);
    }
  }
  return out;
}

interface Statement {
  Sid: string;
  Effect: "Allow" | "Deny";
  Principal: { AWS: string | string[] } | { Service: string };
  Action: string | string[];
  Resource: "*";
  Condition?: Record<string, Record<string, string | string[] | boolean>>;
}

/**
 * A role of principals held to exactly its actions: an Allow of `allow.actions` and an explicit Deny
 * of `deny.actions` for the same principals, in that order (so an IAM policy in the account form
 * cannot widen the role).
 */
export function limitedRole(
  principals: string[],
  allow: { sid: string; actions: readonly string[] },
  deny: { sid: string; actions: string[] },
): [Statement, Statement] {
  return [
    { Sid: allow.sid, Effect: "Allow", Principal: { AWS: principals }, Action: [...allow.actions], Resource: "*" },
    { Sid: deny.sid, Effect: "Deny", Principal: { AWS: principals }, Action: deny.actions, Resource: "*" },
  ];
}

/** The key policy document as an object (stable order: it is diffed in plans). */
export function buildKeyPolicy(p: KeyPolicyProps): { Version: "2012-10-17"; Statement: Statement[] } {
  const admins = [...p.administrators].sort();
  const users = [...p.users].sort();
  const services = [...(p.serviceRoles ?? [])].sort();
  const superseded = p.superseded === true;
  const encryptOnly = superseded ? [] : [...(p.encryptOnlyUsers ?? [])].sort();
  const decryptOnly = [...(p.decryptOnlyUsers ?? [])].sort();
  const useActions = superseded ? [...DECRYPT_ONLY_ACTIONS] : [...USE_ACTIONS];
  const statements: Statement[] = [
    ...administration(p, admins, DENIED_TO_ADMINS, p.multiRegion === "primary" ? ["kms:ReplicateKey"] : []),
  ];
  statements.push(
    { Sid: "KeyUse", Effect: "Allow", Principal: { AWS: users }, Action: useActions, Resource: "*" },
    {
      Sid: "KeyUseByAwsServicesThroughGrants",
      Effect: "Allow",
      Principal: { AWS: users },
      Action: GRANT_ACTIONS,
      Resource: "*",
      Condition: FOR_AWS_RESOURCES,
    },
  );
  if (services.length) {
    // As AWS documents for the EC2 Auto Scaling service-linked role and EBS encryption.
    statements.push(
      {
        Sid: "ServiceLinkedRoleUse",
        Effect: "Allow",
        Principal: { AWS: services },
        Action: useActions,
        Resource: "*",
      },
      {
        Sid: "ServiceLinkedRoleGrantsForAwsResources",
        Effect: "Allow",
        Principal: { AWS: services },
        Action: "kms:CreateGrant",
        Resource: "*",
        Condition: FOR_AWS_RESOURCES,
      },
    );
  }
  if (encryptOnly.length)
    statements.push(
      ...limitedRole(
        encryptOnly,
        { sid: "EncryptOnly", actions: ENCRYPT_ONLY_ACTIONS },
        { sid: "EncryptOnlyUsersCannotDecrypt", actions: DENIED_TO_ENCRYPT_ONLY },
      ),
    );
  if (decryptOnly.length)
    statements.push(
      ...limitedRole(
        decryptOnly,
        { sid: "DecryptOnly", actions: DECRYPT_ONLY_ACTIONS },
        { sid: "DecryptOnlyUsersCannotEncrypt", actions: DENIED_TO_DECRYPT_ONLY },
      ),
    );
  statements.push(...externalAccountStatements(p.partition, p.externalAccounts ?? [], useActions));
  statements.push(...serviceStatements(p));
  if (superseded)
    // Everyone, not only the listed users: in the account form the root's kms:* lets any identity whose
    // IAM policy allows kms:* encrypt, and a grant it gives itself would carry Encrypt past the key policy.
    // Grants for AWS resources stay (an EBS volume's attach grant is Decrypt only; a new volume or object
    // still needs the caller's own GenerateDataKey*, denied here).
    statements.push(
      {
        Sid: "SupersededGenerationDecryptOnly",
        Effect: "Deny",
        Principal: { AWS: "*" },
        Action: [...DENIED_ON_SUPERSEDED],
        Resource: "*",
      },
      {
        Sid: "SupersededGenerationNoEncryptingGrants",
        Effect: "Deny",
        Principal: { AWS: "*" },
        Action: "kms:CreateGrant",
        Resource: "*",
        Condition: {
          "ForAnyValue:StringEquals": { "kms:GrantOperations": [...ENCRYPTING_GRANT_OPERATIONS] },
          BoolIfExists: { "kms:GrantIsForAWSResource": false },
        },
      },
    );
  statements.push({
    Sid: "UsersCannotManageKey",
    Effect: "Deny",
    Principal: { AWS: [...users, ...services, ...encryptOnly, ...decryptOnly] },
    Action: p.multiRegion ? [...DENIED_TO_USERS, ...DENIED_TO_USERS_OF_MULTI_REGION_KEYS] : DENIED_TO_USERS,
    Resource: "*",
  });
  return { Version: "2012-10-17", Statement: statements };
}

/**
 * The statements of the AWS services that use the key on the account's behalf, each as its own
 * documentation prescribes ({@link KMS.KEY_POLICY_SERVICES}, one doc URL each), in the fixed order of
 * that list; source ARNs sorted. A Region-bound service (CloudWatch Logs) gets a statement only for
 * its ARNs in this key's Region, with that Region's principal.
 */
function serviceStatements(p: KeyPolicyProps): Statement[] {
  const out: Statement[] = [];
  if (p.services?.length && !p.region) throw new Error("buildKeyPolicy: region is required with services");
  const region = p.region ?? "";
  for (const name of KMS.KEY_POLICY_SERVICE_NAMES) {
    const entry = (p.services ?? []).find((s) => s.service === name);
    if (!entry) continue;
    const def = KMS.KEY_POLICY_SERVICES[name];
    // An ARN known only at apply cannot be placed in a Region: it goes into every policy of the key.
    const arns = [...new Set(entry.sourceArns)]
      .filter((a) => !def.sameRegion || Token.isUnresolved(a) || a.split(":")[3] === region)
      .sort();
    if (!arns.length) continue;
    const Principal = { Service: KMS.servicePrincipal(name, region) };
    const one = (v: string[]) => (v.length === 1 ? v[0] : v);
    switch (name) {
      case "cloudtrail":
        // https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html
        // (granting encrypt permissions for trails; enable CloudTrail to describe KMS key properties)
        out.push(
          {
            Sid: "CloudTrailEncryptsLogs",
            Effect: "Allow",
            Principal,
            Action: [...def.actions],
            Resource: "*",
            Condition: {
              StringEquals: { "aws:SourceArn": one(arns) },
              StringLike: {
                "kms:EncryptionContext:aws:cloudtrail:arn": `arn:${p.partition}:cloudtrail:*:${p.account}:trail/*`,
              },
            },
          },
          {
            Sid: "CloudTrailDescribesKey",
            Effect: "Allow",
            Principal,
            Action: "kms:DescribeKey",
            Resource: "*",
            Condition: { StringEquals: { "aws:SourceArn": one(arns) } },
          },
        );
        break;
      case "logs":
        // https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
        out.push({
          Sid: "CloudWatchLogsUseKey",
          Effect: "Allow",
          Principal,
          Action: [...def.actions],
          Resource: "*",
          Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": one(arns) } },
        });
        break;
      case "cloudwatch":
      case "events":
        // https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
        out.push({
          Sid: name === "cloudwatch" ? "CloudWatchAlarmsUseKey" : "EventBridgeRulesUseKey",
          Effect: "Allow",
          Principal,
          Action: [...def.actions],
          Resource: "*",
          Condition: { StringEquals: { "aws:SourceAccount": p.account }, ArnLike: { "aws:SourceArn": one(arns) } },
        });
        break;
    }
  }
  return out;
}

/** The account-root statement (account form) and the administrators' allow and deny. */
function administration(
  p: { partition: string; account: string; form?: KeyPolicyForm },
  admins: string[],
  deniedToAdmins: string[],
  extraAdminActions: readonly string[] = [],
): Statement[] {
  const out: Statement[] = [];
  if ((p.form ?? KMS.DEFAULT_KEY_POLICY_FORM.value) === "account") {
    out.push({
      Sid: "AccountRootKeepsAccess",
      Effect: "Allow",
      Principal: { AWS: `arn:${p.partition}:iam::${p.account}:root` },
      Action: "kms:*",
      Resource: "*",
    });
  }
  out.push(
    ...limitedRole(
      admins,
      { sid: "KeyAdministration", actions: [...ADMIN_ACTIONS, ...extraAdminActions].sort() },
      { sid: "AdministratorsCannotUseKey", actions: deniedToAdmins },
    ),
  );
  return out;
}

/**
 * Other accounts, named by their root: KMS then lets the other account's administrators delegate
 * use to its own principals through IAM policies (which must name this key's ARN); nothing of key
 * management is ever allowed. https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html
 */
function externalAccountStatements(
  partition: string,
  accounts: readonly ExternalAccountAccess[],
  useActions: readonly string[] = USE_ACTIONS,
): Statement[] {
  const root = (a: ExternalAccountAccess) => `arn:${partition}:iam::${a.account}:root`;
  const users = accounts
    .filter((a) => a.allow.includes("use"))
    .map(root)
    .sort();
  const granters = accounts
    .filter((a) => a.allow.includes("grantsForAwsResources"))
    .map(root)
    .sort();
  const out: Statement[] = [];
  if (users.length)
    out.push({
      Sid: "ExternalAccountsUseKey",
      Effect: "Allow",
      Principal: { AWS: users },
      Action: [...useActions],
      Resource: "*",
    });
  if (granters.length) {
    out.push({
      Sid: "ExternalAccountsGrantsForAwsResources",
      Effect: "Allow",
      Principal: { AWS: granters },
      Action: GRANT_ACTIONS,
      Resource: "*",
      Condition: FOR_AWS_RESOURCES,
    });
  }
  return out;
}

export interface SigningKeyPolicyProps {
  readonly partition: string;
  readonly account: string;
  readonly administrators: readonly string[];
  /** May call kms:Sign (and DescribeKey). @default - none */
  readonly signers?: readonly string[];
  /** May call kms:Verify (and DescribeKey). @default - none */
  readonly verifiers?: readonly string[];
  /** May call kms:GetPublicKey (and DescribeKey), e.g. to verify signatures outside AWS. @default - none */
  readonly publicKeyReaders?: readonly string[];
  /** @default - KMS.DEFAULT_KEY_POLICY_FORM.value ({@link KMS.DEFAULT_KEY_POLICY_FORM}) */
  readonly form?: KeyPolicyForm;
}

/**
 * The policy of an asymmetric SIGN_VERIFY key: administration as for encryption keys, then one
 * statement per role with exactly its operation
 * (https://docs.aws.amazon.com/kms/latest/developerguide/asymmetric-key-specs.html#key-spec-rsa-sign),
 * and the roles denied key management. No grants: no AWS service consumes a signing key here.
 */
export function buildSigningKeyPolicy(p: SigningKeyPolicyProps): { Version: "2012-10-17"; Statement: Statement[] } {
  return roleKeyPolicy(p, DENIED_TO_SIGNING_ADMINS, [
    { sid: "Signing", principals: p.signers, actions: SIGN_ACTIONS },
    { sid: "Verification", principals: p.verifiers, actions: VERIFY_ACTIONS },
    { sid: "PublicKeyReading", principals: p.publicKeyReaders, actions: PUBLIC_KEY_ACTIONS },
  ]);
}

/**
 * A key whose users each have exactly one role (signing and HMAC keys): administration, then one Allow
 * statement per role that has principals (sorted), then every user denied key management.
 */
function roleKeyPolicy(
  p: {
    readonly partition: string;
    readonly account: string;
    readonly administrators: readonly string[];
    readonly form?: KeyPolicyForm;
  },
  deniedToAdmins: readonly string[],
  roles: readonly { sid: string; principals?: readonly string[]; actions: readonly string[] }[],
): { Version: "2012-10-17"; Statement: Statement[] } {
  const statements: Statement[] = [...administration(p, [...p.administrators].sort(), [...deniedToAdmins])];
  const users = new Set<string>();
  for (const role of roles) {
    const principals = [...(role.principals ?? [])].sort();
    if (!principals.length) continue;
    principals.forEach((x) => users.add(x));
    statements.push({
      Sid: role.sid,
      Effect: "Allow",
      Principal: { AWS: principals },
      Action: [...role.actions],
      Resource: "*",
    });
  }
  if (users.size)
    statements.push({
      Sid: "UsersCannotManageKey",
      Effect: "Deny",
      Principal: { AWS: [...users].sort() },
      Action: DENIED_TO_USERS,
      Resource: "*",
    });
  return { Version: "2012-10-17", Statement: statements };
}

export interface MacKeyPolicyProps {
  readonly partition: string;
  readonly account: string;
  readonly administrators: readonly string[];
  /** May call kms:GenerateMac (and DescribeKey). @default - none */
  readonly macGenerators?: readonly string[];
  /** May call kms:VerifyMac (and DescribeKey). @default - none */
  readonly macVerifiers?: readonly string[];
  /** @default - KMS.DEFAULT_KEY_POLICY_FORM.value ({@link KMS.DEFAULT_KEY_POLICY_FORM}) */
  readonly form?: KeyPolicyForm;
}

/**
 * The policy of an HMAC (GENERATE_VERIFY_MAC) key: administration as for encryption keys, then one
 * statement per role with exactly its operation
 * (https://docs.aws.amazon.com/kms/latest/developerguide/hmac-authz.html), and the roles denied key
 * management. No grants: no AWS service consumes an HMAC key here.
 */
export function buildMacKeyPolicy(p: MacKeyPolicyProps): { Version: "2012-10-17"; Statement: Statement[] } {
  return roleKeyPolicy(p, DENIED_TO_MAC_ADMINS, [
    { sid: "MacGeneration", principals: p.macGenerators, actions: GENERATE_MAC_ACTIONS },
    { sid: "MacVerification", principals: p.macVerifiers, actions: VERIFY_MAC_ACTIONS },
  ]);
}
