/** Blocks in-place updates of a custom key store's credential, cluster or trust anchor. */
import { actionOf, isUnknown, valuesOf } from "../plan-index";
import { finding, type Rule } from "./rule";

/** Why changing each attribute in place makes the store's keys unusable. */
const CRITICAL: Record<string, string> = {
  key_store_password: "the kmsuser password must equal the one on the HSMs: KMS accepts the update only while the store is disconnected, and a wrong password leaves it unable to connect (INVALID_CREDENTIALS)",
  xks_proxy_authentication_credential: "the XKS proxy must already accept the new credential, or every call fails (XKS_PROXY_ACCESS_DENIED)",
  cloud_hsm_cluster_id: "the store must keep pointing at the cluster (or a clone from its backups) that holds its keys; another cluster has none of them",
  trust_anchor_certificate: "a trust anchor that does not match the cluster's stops the store from connecting",
};

function changed(before: unknown, after: unknown): boolean {
  return JSON.stringify(before ?? null) !== JSON.stringify(after ?? null);
}

/** Rule `key-store-critical-update`. */
export const keyStoreRule: Rule = (idx) => {
  const out = [];
  for (const rc of idx.ofTypes("aws_kms_custom_key_store")) {
    if (actionOf(rc.change.actions) !== "update") continue;
    const b = valuesOf(rc.change.before);
    const a = valuesOf(rc.change.after);
    // Values are compared, never printed: two of these attributes are secrets.
    const attrs = Object.keys(CRITICAL).filter((k) => isUnknown(rc, k) || changed(b[k], a[k]));
    if (attrs.length === 0) continue;
    out.push(
      finding(
        idx,
        rc,
        "update",
        "key-store-critical-update",
        "block",
        `changes ${attrs.join(", ")} of this custom key store: ${attrs.map((k) => CRITICAL[k]).join("; ")}; meanwhile every key in the store is unusable`,
        "rotate the credential on the HSMs (kmsuser, on every HSM) or the XKS proxy (new credential accepted alongside the old) first, disconnect the store, apply, reconnect and wait for CONNECTED; never repoint a store at another cluster or trust anchor; then allowlist this change with the reason",
      ),
    );
  }
  return out;
};
