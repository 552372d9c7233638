/**
 * Manual rotation of keys that cannot rotate (keys in a CloudHSM or external key store): a new key,
 * the alias moved to it, the previous key kept enabled for decryption, and later, in its own change,
 * the previous key retired (deleted with its deletion window).
 * https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys-manually.html
 *
 * - `key-rotation` (risky): an alias moves from a key that stays (enabled) to another key. Shown as a
 *   rotation naming both keys and their generations, instead of a bare "alias repointed".
 * - `retire-rotated-key` (blocks, as every key deletion): the deletion of a key that the
 *   configuration marks as a superseded generation (tag `KeyGenerationState = superseded`) and that
 *   no alias points at, after this plan. The finding names the key and its generation and still
 *   says what its loss costs; an unrelated key deletion stays `destroy-key-bearing`.
 */
import type { ResourceChange } from "../plan-json";
import { actionOf, configAddressOf, isUnknown, valuesOf, type PlanIndex } from "../plan-index";
import { KMS_KEY_TYPES } from "../resources";
import { ALLOW_HOW, finding, type Rule } from "./rule";
import type { Finding } from "../model";
import { actionApplies, decide, grantedPrincipals, isAccountPrincipal, parsePolicy } from "../policy";

/** Tags the key constructs put on every generation of a rotated key (modules/keys/customer-key.ts). */
export const GENERATION_TAG = "KeyGeneration";
export const GENERATION_STATE_TAG = "KeyGenerationState";

const MANUAL_ROTATION = "https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys-manually.html";
/** What the plan does to a previous key that is no rotation, in words (an action list the guard does not know included). */
const GONE: ReadonlyMap<string, string> = new Map([
  ["delete", "deleted"],
  ["replace", "replaced"],
  ["forget", "forgotten (no longer managed or protected)"],
  ["unknown", "given an action the guard does not know"],
]);

/** The tags a key has before or after the change (tags_all included: provider default tags). */
function tagsOf(v: unknown): Record<string, unknown> {
  const o = valuesOf(v as never);
  const tags = valuesOf(o.tags as never);
  const all = valuesOf(o.tags_all as never);
  return { ...all, ...tags };
}

/** `key <address> (generation n of <name>)`, with what the plan knows. */
function keyWords(rc: ResourceChange, side: "before" | "after"): string {
  const tags = tagsOf(side === "before" ? rc.change.before : rc.change.after);
  const gen = typeof tags[GENERATION_TAG] === "string" ? `generation ${tags[GENERATION_TAG] as string}` : undefined;
  const name = typeof tags.Name === "string" ? `of ${tags.Name}` : undefined;
  const extra = [gen, name].filter(Boolean).join(" ");
  return `key ${rc.address}${extra ? ` (${extra})` : ""}`;
}

/** Per plan: KMS key changes by every id they had before (key_id, id, arn), built once (linear). */
const keysBefore = new WeakMap<PlanIndex, Map<unknown, ResourceChange>>();

/** The KMS key change whose id (before) is `id`: key_id, id or arn. */
function keyById(idx: PlanIndex, id: unknown): ResourceChange | undefined {
  if (typeof id !== "string" || !id) return undefined;
  let m = keysBefore.get(idx);
  if (!m) {
    m = new Map();
    for (const rc of idx.ofTypes(...KMS_KEY_TYPES)) {
      const b = valuesOf(rc.change.before);
      for (const k of [b.key_id, b.id, b.arn]) if (typeof k === "string" && k && !m.has(k)) m.set(k, rc);
    }
    keysBefore.set(idx, m);
  }
  return m.get(id);
}

/** The key an alias points at after the change: by its id, else by the configuration's reference. */
function newTarget(idx: PlanIndex, alias: ResourceChange): ResourceChange | undefined {
  const after = valuesOf(alias.change.after).target_key_id;
  // An existing key keeps its ids, so its id before is its id after.
  if (typeof after === "string" && !isUnknown(alias, "target_key_id")) {
    const rc = keyById(idx, after);
    if (rc) return rc;
  }
  const ref = idx.references(alias.address).find((r) => r.via === "target_key_id" && r.target);
  if (!ref?.target) return undefined;
  return (
    idx.byAddress.get(ref.target) ?? idx.changes.find((rc) => !rc.deposed && configAddressOf(rc.address) === ref.target)
  );
}

/** What makes new ciphertext under a key (https://docs.aws.amazon.com/kms/latest/developerguide/kms-cryptography.html#cryptographic-operations). */
const NEW_CIPHERTEXT = ["kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptTo"];

/**
 * The principals the key policy still lets make new ciphertext (surely or depending on the request):
 * named IAM principals and service principals. Account principals are left out: the account root
 * delegates to IAM policies, which the plan does not show. Undefined when the policy cannot be read.
 */
function stillEncrypting(policyText: unknown, keyArn: unknown): string[] | undefined {
  if (typeof policyText !== "string") return undefined;
  const parsed = parsePolicy(policyText);
  if ("error" in parsed) return undefined;
  const arn = typeof keyArn === "string" ? keyArn : undefined;
  const out = new Set<string>();
  for (const p of grantedPrincipals(parsed.statements)) {
    if (isAccountPrincipal(p)) continue;
    if (NEW_CIPHERTEXT.some((action) => decide(parsed.statements, { principal: p, action, keyArn: arn }) !== false))
      out.add(p);
  }
  // The evaluator models AWS principals; a service principal's Allow of an encrypting action is listed as it stands.
  for (const st of parsed.statements)
    if (st.effect === "Allow" && st.principal && st.principal !== "*" && st.principal.service.length)
      if (NEW_CIPHERTEXT.some((action) => actionApplies(st, action)))
        for (const sp of st.principal.service) out.add(sp);
  return [...out].sort();
}

/** `; the new key is in another key store (...)` when the alias leaves the previous key's store, else "". */
function storeWords(old: ResourceChange, next: ResourceChange): string {
  const before = valuesOf(old.change.before).custom_key_store_id ?? valuesOf(old.change.after).custom_key_store_id;
  const after = valuesOf(next.change.after).custom_key_store_id;
  if (isUnknown(next, "custom_key_store_id")) return "";
  const name = (v: unknown) =>
    typeof v === "string" && v ? `key store ${v}` : "no custom key store (KMS's own key material)";
  const norm = (v: unknown) => (typeof v === "string" && v ? v : "");
  return norm(before) === norm(after)
    ? ""
    : `; the new key is not in the previous key's store: ${name(before)} -> ${name(after)}`;
}

/** Rule `key-rotation` (risky): an alias moved from a key that stays to another key. */
export const rotationRule: Rule = (idx) => {
  const out: Finding[] = [];
  for (const alias of idx.ofTypes("aws_kms_alias")) {
    if (actionOf(alias.change.actions) !== "update") continue;
    const before = valuesOf(alias.change.before).target_key_id;
    const after = valuesOf(alias.change.after).target_key_id;
    if (!isUnknown(alias, "target_key_id") && before === after) continue;
    const old = keyById(idx, before);
    if (!old) continue; // the previous key is not in this plan: the generic alias note stays
    const name = valuesOf(alias.change.before).name ?? valuesOf(alias.change.after).name;
    const next = newTarget(idx, alias);
    // Both keys in this plan (a generation added beside the previous one): otherwise the generic
    // "alias repointed" note (risky.ts) stays, as the guard cannot say what the new key is.
    if (!next || next === old) continue;
    const flag = (why: string, fix: string) =>
      out.push(finding(idx, alias, "update", "key-rotation", "risky", why, fix));
    const nextWords = `${keyWords(next, "after")}${actionOf(next.change.actions) === "create" ? ", created in this plan" : ""}`;
    const oldAction = actionOf(old.change.actions);
    const oldAfter = valuesOf(old.change.after);
    const disabled = oldAfter.is_enabled === false || oldAfter.enabled === false;
    if (GONE.has(oldAction) || disabled) {
      flag(
        `alias ${String(name)} moves from ${keyWords(old, "before")} to ${nextWords}, but the previous key is ${disabled ? "disabled" : GONE.get(oldAction)} in the same plan: this is not a rotation, data still encrypted under it becomes unreadable`,
        `keep the previous key enabled until its data is re-encrypted, and retire it in its own change (${MANUAL_ROTATION})`,
      );
      continue;
    }
    const narrowed = oldAction === "update" && valuesOf(old.change.before).policy !== oldAfter.policy;
    const state = tagsOf(old.change.after)[GENERATION_STATE_TAG];
    // "Users keep decrypt only" is said only when the previous key's new policy shows it, never from the tag alone.
    const encrypting = narrowed && state === "superseded" ? stillEncrypting(oldAfter.policy, oldAfter.arn) : undefined;
    const policyWords = !narrowed
      ? ""
      : ` (its policy changes in this plan${
          encrypting === undefined
            ? ""
            : encrypting.length
              ? `, but it still lets ${encrypting.join(", ")} make new ciphertext under it`
              : ": users keep decrypt only"
        })`;
    flag(
      `ROTATION: alias ${String(name)}: ${keyWords(old, "after")} -> ${nextWords}${storeWords(old, next)}; the previous key is kept, enabled, for decryption${policyWords}; everything that encrypts by this alias uses the new key from the next request`,
      `check every caller has rights on the new key; then re-encrypt what the previous key protects (docs/keys.md, "Rotating a key in a custom key store") and retire it in a later change (generations.retired), never in this one (${MANUAL_ROTATION})`,
    );
  }
  // A superseded generation made writable again: its policy now lets someone make new ciphertext it did not.
  for (const key of idx.ofTypes("aws_kms_key")) {
    if (key.deposed || actionOf(key.change.actions) !== "update") continue;
    const b = valuesOf(key.change.before);
    const a = valuesOf(key.change.after);
    if (tagsOf(a)[GENERATION_STATE_TAG] !== "superseded" || b.policy === a.policy || isUnknown(key, "policy")) continue;
    const was = new Set(stillEncrypting(b.policy, b.arn) ?? []);
    const now = (stillEncrypting(a.policy, a.arn) ?? []).filter((p) => !was.has(p));
    if (!now.length) continue;
    out.push(
      finding(
        idx,
        key,
        "update",
        "key-generation-writable",
        "risky",
        `${keyWords(key, "after")} is a superseded generation (${GENERATION_STATE_TAG} = superseded), kept to decrypt, and its policy now lets ${now.join(", ")} make new ciphertext under it (Encrypt, GenerateDataKey* or ReEncryptTo): new data would land under a key meant to be retired`,
        `keep the superseded generation decrypt-only (the key construct's deny of ${NEW_CIPHERTEXT.join(", ")}); encrypt under the current generation (${MANUAL_ROTATION})`,
      ),
    );
  }
  return out;
};

/**
 * The finding for the deletion of a retired generation, or `undefined` when `rc` is not one: a
 * KMS key deleted (not replaced or forgotten) whose tags mark it a superseded generation and that no
 * alias targets after this plan.
 */
export function retirementFinding(idx: PlanIndex, rc: ResourceChange, loss: string): Finding | undefined {
  if (rc.type !== "aws_kms_key" || actionOf(rc.change.actions) !== "delete") return undefined;
  const tags = tagsOf(rc.change.before);
  if (tags[GENERATION_STATE_TAG] !== "superseded") return undefined;
  const b = valuesOf(rc.change.before);
  const ids = new Set([b.key_id, b.id, b.arn].filter((x): x is string => typeof x === "string" && x !== ""));
  for (const alias of idx.ofTypes("aws_kms_alias")) {
    const action = actionOf(alias.change.actions);
    if (action === "delete" || action === "forget") continue;
    const after = action === "no-op" ? valuesOf(alias.change.before) : valuesOf(alias.change.after);
    if (typeof after.target_key_id === "string" && ids.has(after.target_key_id)) return undefined;
  }
  const days = typeof b.deletion_window_in_days === "number" ? b.deletion_window_in_days : undefined;
  const gen =
    typeof tags[GENERATION_TAG] === "string" ? `generation ${tags[GENERATION_TAG] as string}` : "a generation";
  const name = typeof tags.Name === "string" ? tags.Name : rc.address;
  const id = typeof b.key_id === "string" ? ` (${b.key_id})` : "";
  return finding(
    idx,
    rc,
    "delete",
    "retire-rotated-key",
    "block",
    `retires ${gen} of key ${name}${id}, a rotated key kept for decryption (no alias points at it): KMS schedules its deletion${days ? ` after its ${days}-day window` : ""}; ${loss}`,
    `retire it only after every object under it is re-encrypted under the current generation and --last-use shows no recent use (docs/keys.md, "Retiring a generation"); within the window CancelKeyDeletion still saves it; to retire it, allow this with ${ALLOW_HOW}`,
  );
}
