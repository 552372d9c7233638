/**
 * IAM identifiers the key policies name: account ids, role and user ARNs, their name and path
 * lengths, and the ARN partition of a Region. Each rule once, with the AWS page that states it.
 */
import type { Pattern, Range } from "./rule";

const IDENTIFIERS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html";
const QUOTAS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html";

/** A 12-digit AWS account id. */
export const ACCOUNT_ID: Pattern = {
  regex: /^\d{12}$/,
  allowed: "a 12-digit AWS account id",
  doc: "https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-identifiers.html",
};

/**
 * An IAM role or user ARN (the principals a key policy names), in the partitions this project
 * deploys to: `arn:<aws|aws-cn|aws-us-gov>:iam::<account>:<role|user>/<path/><name>`.
 */
export const PRINCIPAL_ARN: Pattern = {
  regex: /^arn:aws(-cn|-us-gov)?:iam::\d{12}:(role|user)\/[\w+=,.@/-]{1,512}$/,
  allowed: "an IAM role or user ARN (arn:aws:iam::<account>:role/<name>)",
  doc: `${IDENTIFIERS}#identifiers-arns`,
};

/** Whether `arn` is an IAM role or user ARN ({@link PRINCIPAL_ARN}), and of `partition` when one is given. */
export function isPrincipalArn(arn: unknown, partition?: string): boolean {
  return (
    typeof arn === "string" &&
    PRINCIPAL_ARN.regex.test(arn) &&
    (partition === undefined || arn.startsWith(`arn:${partition}:`))
  );
}

/** IAM role and user names. */
export const NAME_LENGTH: Range = { min: 1, max: 64, integer: true, unit: "characters", doc: QUOTAS };
/** IAM paths (`/` ... `/`). */
export const PATH_LENGTH: Range = { min: 1, max: 512, integer: true, unit: "characters", doc: QUOTAS };

/** Name and path of an IAM role or user ARN (`.../role/<path>/<name>`), or undefined for anything else. */
export function nameAndPath(arn: unknown): { name: string; path: string } | undefined {
  if (typeof arn !== "string" || !PRINCIPAL_ARN.regex.test(arn)) return undefined;
  const rest = arn.replace(/^[^/]*\//, "");
  const cut = rest.lastIndexOf("/");
  return { name: rest.slice(cut + 1), path: `/${rest.slice(0, cut + 1)}` };
}

/** {@link NAME_LENGTH} and {@link PATH_LENGTH} of a role or user ARN, in words. */
export const PRINCIPAL_LENGTHS_ALLOWED = `a role or user name of at most ${NAME_LENGTH.max} chars and a path of at most ${PATH_LENGTH.max} chars`;

/** Whether the name and path of a role or user ARN are within {@link NAME_LENGTH} and {@link PATH_LENGTH} (true for anything that is not one: other rules judge it). */
export function principalLengthsOk(arn: unknown): boolean {
  const p = nameAndPath(arn);
  return p === undefined || (p.name.length <= NAME_LENGTH.max && p.path.length <= PATH_LENGTH.max);
}

/** The account id of an IAM ARN (`arn:<partition>:iam::<account>:...`), or undefined. */
export function accountOfArn(arn: unknown): string | undefined {
  if (typeof arn !== "string") return undefined;
  return /^arn:[^:]+:iam::(\d{12}):/.exec(arn)?.[1];
}

/** The ARN partition of a Region (`aws`, `aws-cn`, `aws-us-gov`). https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html */
export function partitionOfRegion(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

/**
 * An IAM role ARN, paths allowed (the state backend's `assume_role.role_arn`), in the partitions
 * this project deploys to: the same as {@link PRINCIPAL_ARN} (aws, aws-cn, aws-us-gov), roles only.
 * The role must also be in the partition of the state bucket's Region ({@link partitionOfRegion}),
 * which is one of these three: an ARN of the ISO partitions (aws-iso, aws-iso-b), which an older
 * copy of this pattern let through, could never be in it, so this rule does not name them.
 */
export const ROLE_ARN: Pattern = {
  regex: /^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/,
  allowed: "an IAM role ARN (arn:aws:iam::<account>:role/<name>)",
  doc: `${IDENTIFIERS}#identifiers-arns`,
};

/**
 * An AWS Region code (`eu-west-1`, `us-gov-west-1`, `cn-north-1`, and the ISO Regions' shape
 * `us-iso-east-1`, `us-isob-east-1`): what the environment's `region` and the hook runners' `--region`
 * accept. https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html
 */
export const REGION: Pattern = {
  regex: /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/,
  allowed: "an AWS Region code such as eu-west-1",
  doc: "https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html",
};

/**
 * The start of any ARN that names an account (`arn:<partition>:<service>:<region>:<account>:...`),
 * the account captured; an ARN without one (an S3 bucket's) does not match. A prefix, not a whole
 * value: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
 */
export const ARN_ACCOUNT = /^arn:[a-z-]+:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):/;

/** The account id of any ARN ({@link ARN_ACCOUNT}), of `service` when one is given (`kms`), or undefined. */
export function accountOfAnyArn(arn: unknown, service?: string): string | undefined {
  if (typeof arn !== "string") return undefined;
  const m = ARN_ACCOUNT.exec(arn);
  return m && (service === undefined || arn.split(":")[2] === service) ? m[1] : undefined;
}
