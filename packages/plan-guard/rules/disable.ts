/** Blocks updates that disable a KMS key (`is_enabled` / `enabled` true -> false). */
import { actionOf, isUnknown, valuesOf } from "../plan-index";
import { ALLOW_HOW, finding, type Rule } from "./rule";

/** The attribute that enables each KMS key type. */
const ENABLED_ATTR: Record<string, string> = {
  aws_kms_key: "is_enabled",
  aws_kms_external_key: "enabled",
  aws_kms_replica_key: "enabled",
  aws_kms_replica_external_key: "enabled",
};

/** Rule `key-disabled` (blocks) and `key-enabled-unknown` (risky). */
export const disableRule: Rule = (idx) => {
  const out = [];
  for (const [type, attr] of Object.entries(ENABLED_ATTR)) {
    for (const rc of idx.ofTypes(type)) {
      if (actionOf(rc.change.actions) !== "update") continue;
      // Keys are enabled unless the attribute says otherwise (null means the default, true).
      const before = valuesOf(rc.change.before)[attr] !== false;
      const after = valuesOf(rc.change.after)[attr];
      if (before && after === false) {
        out.push(
          finding(
            idx,
            rc,
            "update",
            "key-disabled",
            "block",
            `sets ${attr} = false: every request under this key fails at once (S3 reads, EBS attach, FSx mounts, decrypt of any data key) until it is re-enabled`,
            `keep it enabled; to retire a key, move every consumer to another key first, then disable it alone in its own change (disable-then-re-enable is the safe test before any deletion) with ${ALLOW_HOW}`,
          ),
        );
      } else if (before && isUnknown(rc, attr)) {
        out.push(
          finding(
            idx,
            rc,
            "update",
            "key-enabled-unknown",
            "risky",
            `${attr} is known only after apply: the key might be disabled`,
            "make the value known at plan time",
          ),
        );
      }
    }
  }
  return out;
};
