/**
 * Which Secrets Manager secrets hold key-store or HSM credentials (the kmsuser password, the
 * crypto-officer password, the XKS proxy credential). Terraform cannot tell, so the guard decides
 * from what the secret says about itself:
 * - the tag `cmk:holds = key-store-credential` (what this project's modules set: decisive), or
 * - its name, name_prefix, description, or any tag key or value mentioning kmsuser, cloudhsm, hsm,
 *   xks, crypto-officer (crypto_officer, crypto officer, CO) or key store/keystore.
 * A false positive costs an allowlist entry; a false negative can lose the only copy of a password
 * that a key store needs to reconnect, so the words are broad.
 */
import { isObject, type JsonObject, type JsonValue, type ResourceChange } from "../terraform/plan-json";
import { valuesOf, type PlanIndex } from "./plan-index";

/** Tag that marks a secret as holding a key-store credential, whatever its name. */
export const CREDENTIAL_TAG = { key: "cmk:holds", value: "key-store-credential" } as const;

const CREDENTIAL_WORDS = /kmsuser|cloud-?hsm|(^|[^a-z])hsm|xks|crypto[-_ ]?officer|key[-_ ]?store/i;

function tagsOf(v: JsonObject): Record<string, JsonValue> {
  return { ...(isObject(v.tags_all) ? v.tags_all : {}), ...(isObject(v.tags) ? v.tags : {}) };
}

/** Whether the attributes of an aws_secretsmanager_secret describe a key-store or HSM credential. */
export function describesCredential(v: JsonObject): boolean {
  const tags = tagsOf(v);
  if (tags[CREDENTIAL_TAG.key] === CREDENTIAL_TAG.value) return true;
  const texts = [v.name, v.name_prefix, v.description, ...Object.keys(tags), ...Object.values(tags)];
  return texts.some((t) => typeof t === "string" && CREDENTIAL_WORDS.test(t));
}

function secretHoldsCredential(rc: ResourceChange): boolean {
  return describesCredential(valuesOf(rc.change.before)) || describesCredential(valuesOf(rc.change.after));
}

/**
 * Whether a secret or secret version (resource change) holds a key-store or HSM credential. A
 * version is judged by its secret: the secret its configuration references, or the one its
 * `secret_id` (name or ARN) names.
 */
export function holdsCredential(rc: ResourceChange, idx: PlanIndex): boolean {
  if (rc.type === "aws_secretsmanager_secret") return secretHoldsCredential(rc);
  if (rc.type !== "aws_secretsmanager_secret_version") return false;
  const ids = [valuesOf(rc.change.before).secret_id, valuesOf(rc.change.after).secret_id].filter((x): x is string => typeof x === "string");
  if (ids.some((id) => CREDENTIAL_WORDS.test(id))) return true;
  return idx.ofTypes("aws_secretsmanager_secret").some((s) => {
    if (!secretHoldsCredential(s)) return false;
    if (idx.refersTo(rc.address, s.address)) return true;
    const names = [s.change.before, s.change.after].flatMap((v) => [valuesOf(v).arn, valuesOf(v).id, valuesOf(v).name]);
    return ids.some((id) => names.includes(id));
  });
}
