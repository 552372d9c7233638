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
 */

/** Administrative actions (no cryptography, no grant creation). */
export const ADMIN_ACTIONS = [
  "kms:CancelKeyDeletion", "kms:CreateAlias", "kms:DeleteAlias", "kms:DescribeKey", "kms:DisableKey",
  "kms:DisableKeyRotation", "kms:EnableKey", "kms:EnableKeyRotation", "kms:GetKeyPolicy",
  "kms:GetKeyRotationStatus", "kms:ListAliases", "kms:ListGrants", "kms:ListKeyPolicies",
  "kms:ListResourceTags", "kms:PutKeyPolicy", "kms:RevokeGrant", "kms:RotateKeyOnDemand",
  "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource", "kms:UpdateAlias",
  "kms:UpdateKeyDescription",
] as const;

/** Cryptographic actions for a symmetric encryption key. */
export const USE_ACTIONS = [
  "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*",
] as const;

/** Actions administrators are explicitly denied, whatever IAM says. */
const DENIED_TO_ADMINS = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*", "kms:CreateGrant"];
/** Actions users and service roles are explicitly denied, whatever IAM says. */
const DENIED_TO_USERS = [
  "kms:CancelKeyDeletion", "kms:DisableKey", "kms:DisableKeyRotation", "kms:PutKeyPolicy",
  "kms:ScheduleKeyDeletion", "kms:UpdateAlias", "kms:DeleteAlias", "kms:TagResource", "kms:UntagResource",
];

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
  /** @default "account" */
  readonly form?: KeyPolicyForm;
  /**
   * IAM roles through which AWS services use the key on the account's behalf (service-linked
   * roles such as `AWSServiceRoleForAutoScaling`); they must exist before the key policy names them.
   * @default - none
   */
  readonly serviceRoles?: readonly string[];
}

interface Statement {
  Sid: string;
  Effect: "Allow" | "Deny";
  Principal: { AWS: string | string[] };
  Action: string | string[];
  Resource: "*";
  Condition?: Record<string, Record<string, string | boolean>>;
}

/** The key policy document as an object (stable order: it is diffed in plans). */
export function buildKeyPolicy(p: KeyPolicyProps): { Version: "2012-10-17"; Statement: Statement[] } {
  const admins = [...p.administrators].sort();
  const users = [...p.users].sort();
  const services = [...(p.serviceRoles ?? [])].sort();
  const forAwsResources = { Bool: { "kms:GrantIsForAWSResource": true } };
  const statements: Statement[] = [];
  if ((p.form ?? "account") === "account") {
    statements.push({ Sid: "AccountRootKeepsAccess", Effect: "Allow", Principal: { AWS: `arn:${p.partition}:iam::${p.account}:root` }, Action: "kms:*", Resource: "*" });
  }
  statements.push(
    { Sid: "KeyAdministration", Effect: "Allow", Principal: { AWS: admins }, Action: [...ADMIN_ACTIONS], Resource: "*" },
    { Sid: "AdministratorsCannotUseKey", Effect: "Deny", Principal: { AWS: admins }, Action: DENIED_TO_ADMINS, Resource: "*" },
    { Sid: "KeyUse", Effect: "Allow", Principal: { AWS: users }, Action: [...USE_ACTIONS], Resource: "*" },
    {
      Sid: "KeyUseByAwsServicesThroughGrants",
      Effect: "Allow",
      Principal: { AWS: users },
      Action: ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
      Resource: "*",
      Condition: forAwsResources,
    },
  );
  if (services.length) {
    // As AWS documents for the EC2 Auto Scaling service-linked role and EBS encryption.
    statements.push(
      { Sid: "ServiceLinkedRoleUse", Effect: "Allow", Principal: { AWS: services }, Action: [...USE_ACTIONS], Resource: "*" },
      { Sid: "ServiceLinkedRoleGrantsForAwsResources", Effect: "Allow", Principal: { AWS: services }, Action: "kms:CreateGrant", Resource: "*", Condition: forAwsResources },
    );
  }
  statements.push({ Sid: "UsersCannotManageKey", Effect: "Deny", Principal: { AWS: [...users, ...services] }, Action: DENIED_TO_USERS, Resource: "*" });
  return { Version: "2012-10-17", Statement: statements };
}
