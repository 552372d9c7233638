/**
 * Changes that lose or expose data without deleting a data-bearing resource, and the rest of the
 * XKS path:
 * - `s3-expire-current` (block): a lifecycle rule, new or changed, that expires current objects
 *   (`expiration` with days or a date): S3 deletes them on its own schedule, days after the apply,
 *   and on an unversioned bucket nothing brings them back.
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-expire-general-considerations.html
 * - `s3-versioning-suspended` (block): versioning Enabled -> Suspended (or the versioning resource
 *   deleted, which suspends it): from then on an overwrite or delete destroys the only copy.
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html
 * - `s3-public-access-opened` (block): a public access block deleted or a setting turned off: one
 *   policy or ACL mistake then publishes the data, and a read cannot be taken back.
 * - `s3-bucket-policy-removed` (block): the bucket policy deleted: it is what refuses plain-HTTP
 *   access and writes not encrypted under the customer key (objects written meanwhile land under a
 *   key the customer does not control).
 * - `fsxadmin-secret-removed` (risky): the secret with the fsxadmin password deleted: the file
 *   system keeps working, but ONTAP administration needs the password reset (UpdateFileSystem).
 * - `xks-targets-removed` (block): every target attachment of the XKS listener's target group goes.
 * - `xks-principal-removed` (block): the endpoint service no longer allows KMS's principal.
 */
import type { JsonObject, JsonValue, ResourceChange } from "../plan-json";
import type { Finding } from "../model";
import { actionOf, valuesOf, type PlanIndex } from "../plan-index";
import { holdsFsxAdmin } from "../secrets";
import { emptiedTargetGroups, isKmsPrincipal, xksRole } from "../xks";
import { finding, type Rule } from "./rule";

const GONE = new Set(["delete", "replace", "forget", "unknown"]);

function list(v: JsonValue | undefined): JsonObject[] {
  return Array.isArray(v) ? v.filter((x): x is JsonObject => !!x && typeof x === "object" && !Array.isArray(x)) : [];
}

/** Whether a lifecycle rule (v4+ resource or the v3 inline block) expires current objects. */
function expiresCurrent(rule: JsonObject, inline: boolean): boolean {
  const on = inline ? rule.enabled === true : rule.status === "Enabled";
  if (!on) return false;
  return list(rule.expiration).some(
    (e) => (typeof e.days === "number" && e.days > 0) || (typeof e.date === "string" && e.date !== ""),
  );
}

function expiringRules(v: JsonObject, attr: string, inline: boolean): string[] {
  return list(v[attr])
    .filter((r) => expiresCurrent(r, inline))
    .map((r) => JSON.stringify(r));
}

function s3Findings(idx: PlanIndex, rc: ResourceChange, action: Finding["action"]): Finding[] {
  const b = valuesOf(rc.change.before);
  const a = valuesOf(rc.change.after);
  const out: Finding[] = [];
  const present = action !== "delete" && action !== "forget";
  // A create-then-delete replacement (create_before_destroy) ends with the old resource's delete,
  // which acts on the bucket itself: the provider suspends versioning, deletes the public access
  // block or the bucket policy that the new resource has just put.
  // https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/s3_bucket_versioning
  const deleteLast = action === "replace" && rc.change.actions[0] === "create";
  // Lifecycle expiration of current objects, new or changed.
  const lifecycle =
    rc.type === "aws_s3_bucket_lifecycle_configuration"
      ? { attr: "rule", inline: false }
      : rc.type === "aws_s3_bucket"
        ? { attr: "lifecycle_rule", inline: true }
        : undefined;
  if (lifecycle && present) {
    const had = new Set(expiringRules(b, lifecycle.attr, lifecycle.inline));
    if (expiringRules(a, lifecycle.attr, lifecycle.inline).some((r) => !had.has(r))) {
      out.push(
        finding(
          idx,
          rc,
          action,
          "s3-expire-current",
          "block",
          "a lifecycle rule expires current objects: S3 deletes them on its own days after the apply, and on an unversioned bucket (or once noncurrent versions expire) they are gone for good",
          "expire only noncurrent versions or incomplete multipart uploads; if current objects must really expire, allowlist this with the retention decision that approves it",
        ),
      );
    }
  }
  // Versioning suspended.
  const status = (v: JsonObject): string | undefined => {
    if (rc.type === "aws_s3_bucket_versioning") {
      const s = list(v.versioning_configuration)[0]?.status;
      return typeof s === "string" ? s : undefined;
    }
    const e = list(v.versioning)[0]?.enabled;
    return e === true ? "Enabled" : e === false ? "Suspended" : undefined;
  };
  if (rc.type === "aws_s3_bucket_versioning" || rc.type === "aws_s3_bucket") {
    const was = status(b) === "Enabled";
    const suspended =
      (rc.type === "aws_s3_bucket_versioning" && (action === "delete" || action === "replace")) ||
      (present && status(a) !== undefined && status(a) !== "Enabled");
    if (was && suspended) {
      out.push(
        finding(
          idx,
          rc,
          action,
          "s3-versioning-suspended",
          "block",
          `${action === "update" ? "suspends" : "removes (which suspends)"} versioning on the bucket: from then on every overwrite or delete destroys the only copy of the object`,
          "keep versioning Enabled; limit the cost of old versions with a noncurrent-version lifecycle rule instead",
        ),
      );
    }
  }
  // Public access block removed or weakened.
  if (rc.type === "aws_s3_bucket_public_access_block" || rc.type === "aws_s3_account_public_access_block") {
    const flags = ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"];
    const removed = (GONE.has(action) && action !== "replace") || deleteLast;
    const off = removed ? flags.filter((f) => b[f] === true) : flags.filter((f) => b[f] === true && a[f] === false);
    if (off.length) {
      out.push(
        finding(
          idx,
          rc,
          action,
          "s3-public-access-opened",
          "block",
          action === "forget"
            ? `forgets the public access block (${off.join(", ")}): it stays in place for now, but Terraform stops managing it, so turning it off outside Terraform shows in no plan; then one bucket policy or ACL mistake makes the data public, and a read cannot be taken back`
            : `${removed ? "removes the public access block" : "turns off"} (${off.join(", ")}): one bucket policy or ACL mistake then makes the data public, and a read cannot be taken back`,
          action === "forget"
            ? "keep the public access block in the configuration (a `moved` block for a rename, not a `removed` block)"
            : "keep all four settings true; share data through named principals or access points instead",
        ),
      );
    }
  }
  // Bucket policy removed.
  if (rc.type === "aws_s3_bucket_policy" && (action === "delete" || action === "forget" || deleteLast)) {
    out.push(
      finding(
        idx,
        rc,
        action,
        "s3-bucket-policy-removed",
        "block",
        action === "forget"
          ? "forgets the bucket policy: it stays in place for now, but Terraform stops managing it, so a change or removal outside Terraform shows in no plan; without it nothing refuses plain-HTTP access or writes not encrypted under the customer key"
          : "removes the bucket policy: nothing refuses plain-HTTP access or writes not encrypted under the customer key any more (objects written meanwhile land under a key the customer does not control)",
        action === "forget"
          ? "keep the bucket policy in the configuration (a `moved` block for a rename, not a `removed` block)"
          : "keep the policy; change its statements in place, and keep the TLS and encryption denies",
      ),
    );
  }
  return out;
}

/** Rules of this file. */
export const dataLossRule: Rule = (idx) => {
  const out: Finding[] = [];
  for (const rc of idx.changes) {
    const action = actionOf(rc.change.actions);
    if (action === "no-op" || action === "read") continue;
    if (rc.type.startsWith("aws_s3_")) out.push(...s3Findings(idx, rc, action));
    if (
      (rc.type === "aws_secretsmanager_secret" || rc.type === "aws_secretsmanager_secret_version") &&
      GONE.has(action) &&
      holdsFsxAdmin(rc, idx)
    ) {
      out.push(
        finding(
          idx,
          rc,
          action,
          "fsxadmin-secret-removed",
          "risky",
          "removes the secret holding the fsxadmin password: the file system keeps serving data, but ONTAP administration needs the password reset with UpdateFileSystem",
          "keep the secret; if it must go, reset the fsxadmin password first and store it elsewhere",
        ),
      );
    }
    if (rc.type === "aws_vpc_endpoint_service" && xksRole(rc, idx) === "service" && action === "update") {
      const had = (v: JsonObject): boolean =>
        Array.isArray(v.allowed_principals) &&
        v.allowed_principals.some((p) => typeof p === "string" && isKmsPrincipal(p));
      const after = valuesOf(rc.change.after);
      const unknown = valuesOf(rc.change.after_unknown as JsonValue).allowed_principals === true;
      if (had(valuesOf(rc.change.before)) && !unknown && !had(after)) {
        out.push(
          finding(
            idx,
            rc,
            action,
            "xks-principal-removed",
            "block",
            "the XKS endpoint service no longer allows KMS's principal (cks.kms.<region>.amazonaws.com): KMS cannot connect to the proxy (XKS_VPC_ENDPOINT_SERVICE_NOT_FOUND) and every key in the external key store is unusable",
            "keep KMS's principal allowed, in allowed_principals or an aws_vpc_endpoint_service_allowed_principal (never both)",
          ),
        );
      }
    }
  }
  for (const { group, leaving } of emptiedTargetGroups(idx)) {
    for (const a of leaving) {
      out.push(
        finding(
          idx,
          a,
          actionOf(a.change.actions),
          "xks-targets-removed",
          "block",
          `removes the last target attachment of the XKS target group ${group}: the listener has no proxy to forward KMS's calls to and every key in the external key store is unusable`,
          "register the new proxy targets in an earlier apply and wait until they are healthy, then remove the old ones",
        ),
      );
    }
  }
  return out;
};
