import { Construct } from "constructs";
import { EbsEncryptionByDefault } from "@cdktf/provider-aws/lib/ebs-encryption-by-default";
import { EbsDefaultKmsKey } from "@cdktf/provider-aws/lib/ebs-default-kms-key";
import type { ICustomerKey } from "../keys/customer-key";

export interface EbsDefaultEncryptionProps {
  /**
   * The account's default EBS key in this Region. Its policy must let the service-linked roles that
   * launch volumes use it (CustomerKeyProps.serviceRoles, e.g. EC2 Auto Scaling's).
   */
  readonly key: ICustomerKey;
}

/**
 * EBS encryption by default for the account and Region, with the customer key as the default key:
 * every new volume and snapshot copy is encrypted under it. Users of EC2 need `key.users` rights
 * (or a grant) for the key, or launches fail with `Client.InvalidKMSKey.InvalidState`.
 */
export class EbsDefaultEncryption extends Construct {
  constructor(scope: Construct, id: string, props: EbsDefaultEncryptionProps) {
    super(scope, id);
    new EbsEncryptionByDefault(this, "by-default", { enabled: true });
    new EbsDefaultKmsKey(this, "default-key", { keyArn: props.key.keyArn });
  }
}
