/**
 * Amazon S3: the general purpose bucket naming rules, once, for the environment layer (buckets and
 * the state backend's bucket) and the EncryptedBucket construct.
 */
import type { Range } from "./rule";

const NAMING_DOC = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html";

/** Length of a general purpose bucket name. */
export const BUCKET_NAME_LENGTH: Range = { min: 3, max: 63, integer: true, unit: "chars", doc: NAMING_DOC };

/** Prefixes a bucket name may not start with (reserved). https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html */
export const BUCKET_NAME_FORBIDDEN_PREFIXES = ["xn--", "sthree-", "amzn-s3-demo-"] as const;

/** Suffixes a bucket name may not end with (access point, Object Lambda, Multi-Region Access Point and directory bucket names). https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html */
export const BUCKET_NAME_FORBIDDEN_SUFFIXES = ["-s3alias", "--ol-s3", ".mrap", "--x-s3"] as const;

/** A bucket name formatted as an IPv4 address (e.g. 192.168.5.4), which S3 refuses. https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html */
export const IPV4_FORMATTED = /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.|$)){4}$/;

/** The naming rules in words, for messages that describe them all. */
export const BUCKET_NAME_RULE = `${BUCKET_NAME_LENGTH.min}-${BUCKET_NAME_LENGTH.max} chars of lowercase letters, digits, '.' and '-', starting and ending with a letter or digit, no '..', not an IP address, no prefix ${BUCKET_NAME_FORBIDDEN_PREFIXES.join("/")}, no suffix ${BUCKET_NAME_FORBIDDEN_SUFFIXES.join("/")}`;

/**
 * Which S3 general purpose bucket naming rule `name` breaks, in a few words, or undefined when it
 * follows them all. The one check behind the validation table (`data.buckets.*.bucketName`,
 * `backend.bucket`) and the EncryptedBucket construct.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < BUCKET_NAME_LENGTH.min || name.length > BUCKET_NAME_LENGTH.max)
    return `${BUCKET_NAME_LENGTH.min} to ${BUCKET_NAME_LENGTH.max} chars`;
  if (!/^[a-z0-9.-]+$/.test(name)) return "only lowercase letters, digits, '.' and '-'";
  if (!/^[a-z0-9].*[a-z0-9]$/.test(name)) return "begins and ends with a letter or digit";
  if (name.includes("..")) return "no two adjacent periods";
  if (IPV4_FORMATTED.test(name)) return "not formatted as an IP address";
  const prefix = BUCKET_NAME_FORBIDDEN_PREFIXES.find((p) => name.startsWith(p));
  if (prefix) return `no prefix ${prefix} (reserved)`;
  const suffix = BUCKET_NAME_FORBIDDEN_SUFFIXES.find((s) => name.endsWith(s));
  if (suffix) return `no suffix ${suffix} (reserved)`;
  return undefined;
}

/** Whether `v` is a string that follows every bucket naming rule ({@link bucketNameProblem}). */
export function isValidBucketName(v: unknown): boolean {
  return typeof v === "string" && bucketNameProblem(v) === undefined;
}
