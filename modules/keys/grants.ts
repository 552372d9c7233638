import type { Construct } from "constructs";
import { KmsGrant } from "@cdktf/provider-aws/lib/kms-grant";
import type { KMS } from "@cmk-stacks/aws-limits";

/** The operations `grantEncryptDecrypt` gives: what S3, EBS and FSx need to use a symmetric key. */
export const ENCRYPT_DECRYPT_OPERATIONS = [
  "Encrypt",
  "Decrypt",
  "ReEncryptFrom",
  "ReEncryptTo",
  "GenerateDataKey",
  "GenerateDataKeyWithoutPlaintext",
  "DescribeKey",
] as const satisfies readonly KMS.GrantOperation[];

/** A grant on `keyArn` created in `scope` (usually the consumer's stack), so the key policy never changes for a consumer. */
export function createGrant(
  scope: Construct,
  id: string,
  keyArn: string,
  props: { readonly granteePrincipal: string; readonly operations: readonly string[]; readonly name?: string },
): KmsGrant {
  return new KmsGrant(scope, id, {
    name: props.name ?? id,
    keyId: keyArn,
    granteePrincipal: props.granteePrincipal,
    operations: [...props.operations],
  });
}
