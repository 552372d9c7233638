/**
 * Key policy with separation of duties, built from role lists:
 * - the account root keeps `kms:*` so the key can never become unmanageable (KMS default policy);
 * - administrators manage the key but cannot use it (explicit deny on cryptographic operations);
 * - users use the key but cannot manage it (explicit deny on administrative operations);
 * - users may create grants only for AWS resources (`kms:GrantIsForAWSResource`), which is how
 *   S3, EBS and FSx use a customer key on their behalf.
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
/** Actions users are explicitly denied, whatever IAM says. */
const DENIED_TO_USERS = [
  "kms:CancelKeyDeletion", "kms:DisableKey", "kms:DisableKeyRotation", "kms:PutKeyPolicy",
  "kms:ScheduleKeyDeletion", "kms:UpdateAlias", "kms:DeleteAlias", "kms:TagResource", "kms:UntagResource",
];

export interface KeyPolicyProps {
  readonly partition: string;
  readonly account: string;
  readonly administrators: readonly string[];
  readonly users: readonly string[];
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
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "AccountRootKeepsAccess", Effect: "Allow", Principal: { AWS: `arn:${p.partition}:iam::${p.account}:root` }, Action: "kms:*", Resource: "*" },
      { Sid: "KeyAdministration", Effect: "Allow", Principal: { AWS: admins }, Action: [...ADMIN_ACTIONS], Resource: "*" },
      { Sid: "AdministratorsCannotUseKey", Effect: "Deny", Principal: { AWS: admins }, Action: DENIED_TO_ADMINS, Resource: "*" },
      { Sid: "KeyUse", Effect: "Allow", Principal: { AWS: users }, Action: [...USE_ACTIONS], Resource: "*" },
      {
        Sid: "KeyUseByAwsServicesThroughGrants",
        Effect: "Allow",
        Principal: { AWS: users },
        Action: ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
        Resource: "*",
        Condition: { Bool: { "kms:GrantIsForAWSResource": true } },
      },
      { Sid: "UsersCannotManageKey", Effect: "Deny", Principal: { AWS: users }, Action: DENIED_TO_USERS, Resource: "*" },
    ],
  };
}
