import { Construct } from "constructs";
import type { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { KMS } from "@cmk-stacks/aws-limits";
import { EnvironmentStack } from "../core/environment-stack";
import { shown, throwIfProblems } from "../core/errors";
import { suppress } from "../compliance/rule";
import { buildSigningKeyPolicy, type KeyPolicyForm } from "./key-policy";
import { singlePurposeKey, singlePurposeKeyProblems } from "./key-props";

/**
 * Key specs KMS offers for SIGN_VERIFY keys, RSA and ECC: the rulebook's {@link KMS.SIGNING_KEY_SPECS}.
 * ML-DSA and Ed25519 are refused with the provider release that accepts them
 * ({@link KMS.SIGNING_KEY_SPECS_AWAITING_PROVIDER}).
 */
export const SIGNING_KEY_SPECS = KMS.SIGNING_KEY_SPECS;
export type SigningKeySpec = KMS.SigningKeySpec;

export interface SigningKeyProps {
  /** Alias name, `alias/...` (never `alias/aws/...`). */
  readonly alias: string;
  /** Asymmetric key spec (RSA or ECC). */
  readonly keySpec: SigningKeySpec;
  /** IAM role or user ARNs that manage the key; they are denied kms:Sign and kms:Verify. At least one. */
  readonly administrators: readonly string[];
  /** IAM role or user ARNs that may call kms:Sign. @default - none */
  readonly signers?: readonly string[];
  /** IAM role or user ARNs that may call kms:Verify. @default - none */
  readonly verifiers?: readonly string[];
  /** IAM role or user ARNs that may call kms:GetPublicKey (to verify outside AWS). @default - none */
  readonly publicKeyReaders?: readonly string[];
  /** @default - "Signing key <construct id>" */
  readonly description?: string;
  /** Waiting period before deletion (KMS ScheduleKeyDeletion PendingWindowInDays), {@link KMS.DELETION_WINDOW_DAYS}. @default - KMS.DEFAULT_DELETION_WINDOW_DAYS.value ({@link KMS.DEFAULT_DELETION_WINDOW_DAYS}) */
  readonly deletionWindowDays?: number;
  /** `account`: the account root keeps kms:*; `closed`: only the listed principals. @default - KMS.DEFAULT_KEY_POLICY_FORM.value ({@link KMS.DEFAULT_KEY_POLICY_FORM}) */
  readonly policy?: KeyPolicyForm;
}

/**
 * An asymmetric SIGN_VERIFY key in AWS KMS, with an alias and a policy that gives each role exactly
 * its operation. Always in the AWS KMS key store: custom key stores (CloudHSM, external) hold only
 * symmetric encryption keys (https://docs.aws.amazon.com/kms/latest/developerguide/symm-asymm-compare.html).
 * Deliberately not an `ICustomerKey`: S3, EBS and FSx encrypt with symmetric keys only, so no
 * consumer construct can be given a signing key. Secure by default: 30-day deletion window,
 * `prevent_destroy`, the lockout safety check never bypassed.
 */
export class SigningKey extends Construct {
  readonly keyArn: string;
  readonly keyId: string;
  readonly aliasName: string;
  /** The underlying resource, for escape hatches kept in one place. */
  readonly resource: KmsKey;

  constructor(scope: Construct, id: string, props: SigningKeyProps) {
    super(scope, id);
    const env = EnvironmentStack.of(this);
    const at = this.node.path;
    const problems: string[] = [];
    const window = props.deletionWindowDays ?? KMS.DEFAULT_DELETION_WINDOW_DAYS.value;
    if (!(SIGNING_KEY_SPECS as readonly string[]).includes(props.keySpec)) {
      const awaiting = (KMS.SIGNING_KEY_SPECS_AWAITING_PROVIDER as readonly string[]).includes(props.keySpec)
        ? (props.keySpec as unknown as KMS.SigningKeySpecAwaitingProvider)
        : undefined;
      const why = awaiting
        ? `; KMS offers ${awaiting} but the AWS provider ${KMS.PLANNING_PROVIDER_VERSION} that npm run validate plans with rejects it (the provider accepts it from ${KMS.PROVIDER_VERSION_ACCEPTING[awaiting]})`
        : "";
      problems.push(
        `${at}.keySpec: ${shown(props.keySpec)} is not allowed (${SIGNING_KEY_SPECS.join(", ")}${why}, KMS CreateKey KeySpec for SIGN_VERIFY)`,
      );
    }
    problems.push(
      ...singlePurposeKeyProblems(
        at,
        env.account,
        { alias: props.alias, window, administrators: props.administrators },
        [
          ["signers", props.signers],
          ["verifiers", props.verifiers],
          ["publicKeyReaders", props.publicKeyReaders],
        ],
        {
          noUser:
            "signers: (missing) is not allowed (at least one signer, verifier or public-key reader: a signing key nobody may use)",
          kinds: "signing keys",
        },
      ),
    );
    throwIfProblems(problems);

    const { resource, aliasName } = singlePurposeKey(this, {
      description: props.description ?? `Signing key ${id}`,
      keyUsage: KMS.KEY_USAGE.signVerify,
      keySpec: props.keySpec,
      window,
      policy: buildSigningKeyPolicy({
        partition: env.partition,
        account: env.account,
        administrators: props.administrators,
        signers: props.signers,
        verifiers: props.verifiers,
        publicKeyReaders: props.publicKeyReaders,
        form: props.policy,
      }),
      alias: props.alias,
    });
    suppress(
      resource,
      "CKV_AWS_7",
      "asymmetric (SIGN_VERIFY) keys cannot rotate automatically: KMS supports automatic rotation only for symmetric encryption keys (https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html)",
    );
    this.resource = resource;
    this.keyArn = resource.arn;
    this.keyId = resource.keyId;
    this.aliasName = aliasName;
  }
}
