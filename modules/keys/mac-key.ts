import { Construct } from "constructs";
import type { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { KMS } from "@cmk-stacks/aws-limits";
import { EnvironmentStack } from "../core/environment-stack";
import { shown, throwIfProblems } from "../core/errors";
import { suppress } from "../compliance/rule";
import { buildMacKeyPolicy, type KeyPolicyForm } from "./key-policy";
import { singlePurposeKey, singlePurposeKeyProblems } from "./key-props";

export interface MacKeyProps {
  /** Alias name, `alias/...` (never `alias/aws/...`). */
  readonly alias: string;
  /** HMAC key spec. @default - KMS.DEFAULT_HMAC_KEY_SPEC.value ({@link KMS.DEFAULT_HMAC_KEY_SPEC}) */
  readonly keySpec?: KMS.HmacKeySpec;
  /** IAM role or user ARNs that manage the key; they are denied kms:GenerateMac and kms:VerifyMac. At least one. */
  readonly administrators: readonly string[];
  /** IAM role or user ARNs that may call kms:GenerateMac. @default - none */
  readonly macGenerators?: readonly string[];
  /** IAM role or user ARNs that may call kms:VerifyMac. @default - none */
  readonly macVerifiers?: readonly string[];
  /** @default - "HMAC key <construct id>" */
  readonly description?: string;
  /** Waiting period before deletion, {@link KMS.DELETION_WINDOW_DAYS}. @default - KMS.DEFAULT_DELETION_WINDOW_DAYS.value ({@link KMS.DEFAULT_DELETION_WINDOW_DAYS}) */
  readonly deletionWindowDays?: number;
  /** `account`: the account root keeps kms:*; `closed`: only the listed principals. @default - KMS.DEFAULT_KEY_POLICY_FORM.value ({@link KMS.DEFAULT_KEY_POLICY_FORM}) */
  readonly policy?: KeyPolicyForm;
}

/**
 * An HMAC key (KeyUsage GENERATE_VERIFY_MAC) in AWS KMS, with an alias and a policy that gives
 * MAC generators only kms:GenerateMac and MAC verifiers only kms:VerifyMac. Always in the AWS KMS
 * key store with KMS-generated material: HMAC keys cannot be in a custom key store and do not
 * rotate automatically (https://docs.aws.amazon.com/kms/latest/developerguide/hmac.html).
 * Deliberately not an `ICustomerKey`: no consumer construct can be given an HMAC key. Secure by
 * default: 30-day deletion window, `prevent_destroy`, the lockout safety check never bypassed.
 */
export class MacKey extends Construct {
  readonly keyArn: string;
  readonly keyId: string;
  readonly aliasName: string;
  /** The underlying resource, for escape hatches kept in one place. */
  readonly resource: KmsKey;

  constructor(scope: Construct, id: string, props: MacKeyProps) {
    super(scope, id);
    const env = EnvironmentStack.of(this);
    const at = this.node.path;
    const problems: string[] = [];
    const window = props.deletionWindowDays ?? KMS.DEFAULT_DELETION_WINDOW_DAYS.value;
    const spec = props.keySpec ?? KMS.DEFAULT_HMAC_KEY_SPEC.value;
    if (!(KMS.HMAC_KEY_SPECS as readonly string[]).includes(spec)) {
      problems.push(
        `${at}.keySpec: ${shown(spec)} is not allowed (${KMS.HMAC_KEY_SPECS.join(", ")}, KMS CreateKey KeySpec for GENERATE_VERIFY_MAC)`,
      );
    }
    problems.push(
      ...singlePurposeKeyProblems(
        at,
        env.account,
        { alias: props.alias, window, administrators: props.administrators },
        [
          ["macGenerators", props.macGenerators],
          ["macVerifiers", props.macVerifiers],
        ],
        {
          noUser:
            "macGenerators: (missing) is not allowed (at least one MAC generator or verifier: an HMAC key nobody may use)",
          kinds: "HMAC keys",
        },
      ),
    );
    throwIfProblems(problems);

    const { resource, aliasName } = singlePurposeKey(this, {
      description: props.description ?? `HMAC key ${id}`,
      keyUsage: KMS.KEY_USAGE.generateVerifyMac,
      keySpec: spec,
      window,
      policy: buildMacKeyPolicy({
        partition: env.partition,
        account: env.account,
        administrators: props.administrators,
        macGenerators: props.macGenerators,
        macVerifiers: props.macVerifiers,
        form: props.policy,
      }),
      alias: props.alias,
    });
    suppress(
      resource,
      "CKV_AWS_7",
      "HMAC (GENERATE_VERIFY_MAC) keys cannot rotate automatically: KMS supports automatic rotation only for symmetric encryption keys (https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html)",
    );
    this.resource = resource;
    this.keyArn = resource.arn;
    this.keyId = resource.keyId;
    this.aliasName = aliasName;
  }
}
