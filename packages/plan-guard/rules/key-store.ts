/** Blocks in-place updates of a custom key store's credential, cluster or trust anchor. */
import { XKS } from "@cmk-stacks/aws-limits";
import { actionOf, isUnknown, valuesOf } from "../plan-index";
import { ALLOW_HOW, finding, type Rule } from "./rule";

/** Why changing each attribute in place makes the store's keys unusable. */
const CRITICAL: Record<string, string> = {
  key_store_password:
    "the kmsuser password must equal the one on the HSMs: KMS accepts the update only while the store is disconnected, and a wrong password leaves it unable to connect (INVALID_CREDENTIALS)",
  xks_proxy_authentication_credential:
    "the XKS proxy must already accept the new credential, or every call fails (XKS_PROXY_ACCESS_DENIED)",
  cloud_hsm_cluster_id:
    "the store must keep pointing at the cluster (or a clone from its backups) that holds its keys; another cluster has none of them",
  trust_anchor_certificate: "a trust anchor that does not match the cluster's stops the store from connecting",
};

/**
 * What to do instead, per attribute. A credential is never changed by an apply: the stores ignore
 * both after creation (`ignore_changes`), so a plan shows a change only when that was removed, and
 * the one procedure is the operator step (no allowlisting a credential change).
 */
const INSTEAD: Record<string, string> = {
  xks_proxy_authentication_credential: `never change the XKS proxy credential through Terraform: put back ignore_changes on xks_proxy_authentication_credential and rotate it with the operator step rotate-xks-credential (checks the new credential against the proxy with xks-check, updates the store while it stays CONNECTED, waits up to ${XKS.CREDENTIAL_UPDATE_SETTLE_MINUTES.value} minutes, proves an Encrypt/Decrypt round trip, then says when the old one may be retired; docs/xks.md#rotating-the-proxy-credential-rotate-xks-credential)`,
  key_store_password:
    "never change the kmsuser password through Terraform: put back ignore_changes on key_store_password; to recover a store that cannot log in, run the operator step reset-kmsuser-password (hooks/README.md)",
  cloud_hsm_cluster_id: `never repoint a store at another cluster: point it only at a clone restored from this cluster's backups, and then allow the change with ${ALLOW_HOW}`,
  trust_anchor_certificate: `keep the trust anchor the cluster was initialized with; change it only together with a deliberate move to a restored clone, allowed with ${ALLOW_HOW}`,
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
        attrs.map((k) => INSTEAD[k]).join("; "),
      ),
    );
  }
  return out;
};
