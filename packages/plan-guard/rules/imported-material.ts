/**
 * Keys with imported material (`aws_kms_external_key`, `aws_kms_replica_external_key`): what a
 * plan must never carry, and changes shaped like deleting the material
 * (https://docs.aws.amazon.com/kms/latest/APIReference/API_DeleteImportedKeyMaterial.html):
 * - `key-material-in-plan` (block, any action, even no-op): `key_material_base64` is set (in the
 *   configuration, before or after, or known only after apply). `terraform show -json` and the saved
 *   plan hold sensitive values in cleartext, and the state keeps the material
 *   (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/kms_external_key);
 * - `imported-material-changed` (block): an update that removes or changes `key_material_base64`:
 *   KMS accepts only the same material again, and a key without its material is unusable;
 * - `imported-material-expires` (block): an update that makes the material expire (valid_to set
 *   where it did not expire, moved earlier, or in the past): KMS deletes expired material and the
 *   key becomes PendingImport (ImportKeyMaterial ValidTo);
 * - `imported-material-expiry-unknown` (risky): valid_to known only after apply.
 * Deleting or replacing the key itself is `destroy-key-bearing`; disabling it, `key-disabled`.
 * Values are never shown: the material is a secret, and only the expiry date (not secret) is quoted.
 */
import { actionOf, configAddressOf, isUnknown, valuesOf } from "../plan-index";
import { finding, type Rule } from "./rule";

const EXTERNAL_KEY_TYPES = ["aws_kms_external_key", "aws_kms_replica_external_key"];
const MATERIAL = "key_material_base64";
const set = (v: unknown): boolean => v !== undefined && v !== null && v !== "";
const time = (v: unknown): number | undefined =>
  typeof v === "string" && !Number.isNaN(Date.parse(v)) ? Date.parse(v) : undefined;

export const importedMaterialRule: Rule = (idx) => {
  const out = [];
  const now = Date.now();
  for (const rc of idx.ofTypes(...EXTERNAL_KEY_TYPES)) {
    const action = actionOf(rc.change.actions);
    const before = valuesOf(rc.change.before);
    const after = valuesOf(rc.change.after);
    const configured = idx.config.get(configAddressOf(rc.address))?.resource.expressions?.[MATERIAL] !== undefined;
    // Not `after_sensitive`: the provider's schema marks the attribute sensitive, so Terraform flags
    // it true even when it is null (a real plan of this project's key shows exactly that), and
    // `show -json` writes a set value in cleartext anyway.
    if (configured || set(before[MATERIAL]) || set(after[MATERIAL]) || isUnknown(rc, MATERIAL)) {
      out.push(
        finding(
          idx,
          rc,
          action,
          "key-material-in-plan",
          "block",
          `carries ${MATERIAL}: the plaintext key material is in this plan file and its \`terraform show -json\` (sensitive values are written there in cleartext) and in the state`,
          "remove key_material_base64 and import the material with the import-key-material step (docs/byok.md); treat this plan file, its JSON and the state as copies of the key: delete the plan files and keep the state as protected as the key manager",
        ),
      );
    }
    if (action !== "update") continue;
    if (
      set(before[MATERIAL]) &&
      (isUnknown(rc, MATERIAL) || JSON.stringify(before[MATERIAL]) !== JSON.stringify(after[MATERIAL] ?? null))
    ) {
      out.push(
        finding(
          idx,
          rc,
          action,
          "imported-material-changed",
          "block",
          `${set(after[MATERIAL]) || isUnknown(rc, MATERIAL) ? "changes" : "removes"} ${MATERIAL}: KMS accepts only the material the key already had, and a key without its material is unusable (PendingImport) for every request`,
          "keep the key's material as it is; new material goes through on-demand rotation (import-key-material --rotate), never through Terraform",
        ),
      );
    }
    const b = time(before.valid_to);
    const a = time(after.valid_to);
    if (isUnknown(rc, "valid_to")) {
      out.push(
        finding(
          idx,
          rc,
          action,
          "imported-material-expiry-unknown",
          "risky",
          "valid_to is known only after apply: the material might be set to expire",
          "make the expiry known at plan time",
        ),
      );
    } else if (a !== undefined && (b === undefined || a < b || a <= now)) {
      const when = new Date(a).toISOString();
      out.push(
        finding(
          idx,
          rc,
          action,
          "imported-material-expires",
          "block",
          `${b !== undefined && a < b ? "moves valid_to earlier" : "sets valid_to"} to ${when}${a <= now ? " (in the past)" : ""}: KMS deletes the material when it expires and every request under the key fails (PendingImport) until the same material is imported again`,
          "leave the expiry to the import step (import-key-material --reimport --valid-days <n>) and keep valid_to out of the configuration (ignore_changes)",
        ),
      );
    }
  }
  return out;
};
