import { TerraformResource, TerraformStack } from "cdktf";
import type { IConstruct } from "constructs";
import { refersTo, type ComplianceRule } from "./rule";

interface SseRule {
  apply_server_side_encryption_by_default?: { kms_master_key_id?: string };
  bucket_key_enabled?: boolean;
}

/** KMS keys anywhere in the app that live in a custom key store (CloudHSM or XKS), found once per app. */
const storeKeysByRoot = new WeakMap<IConstruct, TerraformResource[]>();
function customStoreKeys(scope: IConstruct): TerraformResource[] {
  const root = scope.node.root;
  let keys = storeKeysByRoot.get(root);
  if (!keys) {
    keys = root.node
      .findAll()
      .filter(
        (c): c is TerraformResource =>
          TerraformResource.isTerraformResource(c) && (c as TerraformResource).terraformResourceType === "aws_kms_key",
      )
      .filter((k) => {
        const byName =
          (k.toTerraform() as { resource?: { aws_kms_key?: Record<string, { custom_key_store_id?: unknown }> } })
            .resource?.aws_kms_key ?? {};
        return Object.values(byName).some((a) => a.custom_key_store_id !== undefined);
      });
    storeKeysByRoot.set(root, keys);
  }
  return keys;
}

/**
 * True when `value` names `key`. In the key's own stack the reference is resolved and compared;
 * from another stack (the consumers') it is compared with the token the key's construct hands out
 * (`keyArn` / `keyId` of CustomerKey), because resolving a foreign token in the wrong stack would
 * add a cross-stack reference as a side effect.
 */
function names(value: string, key: TerraformResource, from: IConstruct): boolean {
  if (TerraformStack.of(key) === TerraformStack.of(from))
    return ["arn", "key_id", "id"].some((a) => refersTo(value, key, a));
  const owner = key.node.scope as { keyArn?: unknown; keyId?: unknown } | undefined;
  return owner !== undefined && (value === owner.keyArn || value === owner.keyId);
}

/**
 * CMK_3 (no checkov equivalent): a bucket encrypted under a custom-key-store key uses an S3 bucket
 * key. Without it every object request is a KMS call, each a proxy round trip (XKS) or an HSM
 * operation, against the store's shared 1,800 requests/s.
 */
export const s3BucketKeyCustomStore: ComplianceRule = {
  id: "CMK_3",
  title: "Buckets under a custom-key-store key use an S3 bucket key",
  documentation: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html",
  resourceTypes: ["aws_s3_bucket_server_side_encryption_configuration"],
  check: (r) => {
    const keys = customStoreKeys(r.construct);
    const underStore = ((r.attributes.rule ?? []) as SseRule[]).filter((x) => {
      const keyId = x.apply_server_side_encryption_by_default?.kms_master_key_id;
      return typeof keyId === "string" && keys.some((k) => names(keyId, k, r.construct));
    });
    return underStore.every((x) => x.bucket_key_enabled === true)
      ? undefined
      : "bucket_key_enabled is not true for a bucket encrypted under a custom-key-store key";
  },
};
