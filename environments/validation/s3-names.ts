/** S3 general purpose bucket naming rules (S3 User Guide, "Bucket naming rules"). */
import { isString, parseIpv4 } from "./checks";

const FORBIDDEN_PREFIXES = ["xn--", "sthree-", "amzn-s3-demo-"];
const FORBIDDEN_SUFFIXES = ["-s3alias", "--ol-s3", ".mrap", "--x-s3"];

/** Describes the S3 naming rules, for messages. */
export const BUCKET_NAME_RULE = "3-63 chars of lowercase letters, digits, '.' and '-', starting and ending with a letter or digit, no '..', not an IP address, no prefix xn--/sthree-/amzn-s3-demo-, no suffix -s3alias/--ol-s3/.mrap/--x-s3";

export function isValidBucketName(v: unknown): boolean {
  if (!isString(v)) return false;
  return /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(v) && !v.includes("..") && parseIpv4(v) === undefined && !FORBIDDEN_PREFIXES.some((p) => v.startsWith(p)) && !FORBIDDEN_SUFFIXES.some((s) => v.endsWith(s));
}
