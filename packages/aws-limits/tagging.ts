/**
 * Resource tags: how many a resource may carry, how long keys and values may be, which characters
 * they may use. The same for every service this project tags (KMS keys, S3 buckets, CloudHSM
 * clusters, EC2, Secrets Manager...): AWS's common tag restrictions. The environment's `tags`
 * (added to every taggable resource) are checked against them.
 */
import type { Limit, Pattern, Range } from "./rule";

const TAGGING = "https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html";

/** AWS: at most 50 user-created tags per resource (tags with the `aws:` prefix do not count). */
export const TAGS_PER_RESOURCE: Limit = { value: 50, unit: "tags", doc: TAGGING };

/**
 * Tags the tool itself may add to a resource on top of the environment's `tags`: Environment,
 * ManagedBy and Stack on every resource, Name on the cluster, instances and secrets, and a
 * credential tag on the CloudHSM secrets, with room to spare for a construct that adds one.
 * Project rule (its `doc` is AWS's limit it works within), so that the environment's tags plus the
 * tool's never pass {@link TAGS_PER_RESOURCE}.
 */
export const TOOL_TAGS_RESERVED: Limit = {
  value: 10,
  unit: "tags",
  doc: TAGGING,
};

/** The environment's own `tags`: at most {@link TAGS_PER_RESOURCE} less {@link TOOL_TAGS_RESERVED} (40). Project rule. */
export const TAGS_MAX: Limit = {
  value: TAGS_PER_RESOURCE.value - TOOL_TAGS_RESERVED.value,
  unit: "tags",
  doc: TAGGING,
};

/** Tag key length: 1-128 Unicode characters. */
export const TAG_KEY_LENGTH: Range = { min: 1, max: 128, integer: true, unit: "chars", doc: TAGGING };

/** Tag value length: 0-256 Unicode characters (a value may be empty). */
export const TAG_VALUE_LENGTH: Range = { min: 0, max: 256, integer: true, unit: "chars", doc: TAGGING };

/** The characters AWS allows in tag keys and values (letters, digits and spaces of any script, and `_ . : / = + - @`). */
export const TAG_CHARS: Pattern = {
  regex: /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u,
  allowed: "letters, digits, spaces and _ . : / = + - @ only",
  doc: TAGGING,
};

/** The prefix AWS reserves for its own tag keys (`aws:`, in any case): user keys may not start with it. */
export const RESERVED_KEY_PREFIX = "aws:";

/** Whether `key` is a tag key the environment may set: {@link TAG_KEY_LENGTH} and not the {@link RESERVED_KEY_PREFIX}. */
export function isUserTagKey(key: string): boolean {
  return (
    key.length >= TAG_KEY_LENGTH.min &&
    key.length <= TAG_KEY_LENGTH.max &&
    !key.toLowerCase().startsWith(RESERVED_KEY_PREFIX)
  );
}
