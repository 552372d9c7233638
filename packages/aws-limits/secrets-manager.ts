/** AWS Secrets Manager: secret ARNs and the deletion recovery window. Each rule once, with the AWS page that states it. */
import type { Default, Pattern, Range } from "./rule";

/**
 * A Secrets Manager secret ARN, `arn:<partition>:secretsmanager:<region>:<account>:secret:<name>`
 * (the name ends with the 6 random characters Secrets Manager adds). Groups: partition, Region,
 * account, name.
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_iam-permissions.html#iam-resources
 */
export const SECRET_ARN: Pattern = {
  regex: /^arn:(aws(?:-cn|-us-gov)?):secretsmanager:([a-z]{2}(?:-[a-z]+)+-\d+):(\d{12}):secret:([\w/+=.@-]+)$/,
  allowed: "a Secrets Manager secret ARN, arn:<partition>:secretsmanager:<region>:<account>:secret:<name>",
  doc: "https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_iam-permissions.html#iam-resources",
};

/** The partition, Region, account and name of a secret ARN ({@link SECRET_ARN}), or undefined. */
export function parseSecretArn(
  arn: unknown,
): { partition: string; region: string; account: string; name: string } | undefined {
  const m = typeof arn === "string" ? SECRET_ARN.regex.exec(arn) : null;
  return m ? { partition: m[1], region: m[2], account: m[3], name: m[4] } : undefined;
}

/** DeleteSecret RecoveryWindowInDays: the days a deleted secret stays recoverable. */
export const RECOVERY_WINDOW_DAYS: Range = {
  min: 7,
  max: 30,
  integer: true,
  unit: "days",
  doc: "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DeleteSecret.html",
};

/** The recovery window of the secrets this project creates unless configured otherwise. */
export const DEFAULT_RECOVERY_WINDOW_DAYS: Default<number> = {
  value: 30,
  why: "the longest window AWS allows: a secret deleted by mistake (a password the HSMs still hold) can be restored for a month",
  doc: "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DeleteSecret.html",
};
