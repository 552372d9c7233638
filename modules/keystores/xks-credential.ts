import { Construct } from "constructs";
import { Fn, TerraformStack, TerraformVariable, Token } from "cdktf";
import type { Precondition } from "../cdktf/internals";
import { DataAwsSecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/data-aws-secretsmanager-secret-version";
import { shown, throwIfProblems } from "../core/errors";

/** Names of the Terraform variables of the `variable` credential source (stack-level, stable). */
export const XKS_ACCESS_KEY_ID_VARIABLE = "xks_access_key_id";
export const XKS_SECRET_ACCESS_KEY_VARIABLE = "xks_secret_access_key";

/** The formats KMS accepts (CreateCustomKeyStore XksProxyAuthenticationCredential), as regexes with their lengths. */
export const XKS_CREDENTIAL_FORMATS = {
  accessKeyId: { pattern: "^[A-Z2-7]{20,30}$", allowed: "20-30 characters, uppercase letters A-Z and digits 2-7" },
  secretAccessKey: { pattern: "^[a-zA-Z0-9/+=]{43,64}$", allowed: "43-64 characters, letters, digits, '/', '+' and '='" },
} as const;

/** Where the proxy authentication credential comes from: never a literal. */
export type XksCredentialSource =
  /** Sensitive Terraform variables `xks_access_key_id` / `xks_secret_access_key`. */
  | { readonly source: "variable" }
  /** A Secrets Manager secret whose JSON holds `accessKeyId` and `secretAccessKey`. */
  | { readonly source: "secretsManager"; readonly secretArn: string };

export interface XksCredentialProps {
  readonly source: XksCredentialSource;
}

/** https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_iam-permissions.html#iam-resources */
const SECRET_ARN = /^arn:aws(-cn|-us-gov)?:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+$/;

/**
 * The XKS proxy authentication credential as Terraform values, never as literals:
 * - `variable`: two sensitive, non-null string variables (`xks_access_key_id`,
 *   `xks_secret_access_key`) with no default;
 * - `secretsManager`: the current version of a secret whose JSON holds `accessKeyId` and
 *   `secretAccessKey` (read at plan time; the values stay sensitive through `jsondecode`).
 * `preconditions` check both values against the formats KMS accepts at plan time, whatever the
 * source. They are resource preconditions rather than variable `validation` blocks because
 * Terraform (1.11) prints the offending value of a failed variable validation even for a
 * sensitive variable (`var.x is "..."`); a failed precondition shows only its message.
 * Rotation is a new value here and an apply: nothing ignores changes to the credential.
 */
export class XksCredential extends Construct {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Format checks for the resource that consumes the credential (its `lifecycle.precondition`). */
  readonly preconditions: readonly Precondition[];

  constructor(scope: Construct, id: string, props: XksCredentialProps) {
    super(scope, id);
    const source = props.source;
    if (source.source === "secretsManager" && !Token.isUnresolved(source.secretArn) && !SECRET_ARN.test(source.secretArn)) {
      throwIfProblems([`${this.node.path}.source.secretArn: ${shown(source.secretArn)} is not allowed (a Secrets Manager secret ARN, arn:<partition>:secretsmanager:<region>:<account>:secret:<name>)`]);
    }
    let where: string;
    if (source.source === "secretsManager") {
      const secret = new DataAwsSecretsmanagerSecretVersion(this, "secret", { secretId: source.secretArn });
      const json = Fn.jsondecode(secret.secretString);
      this.accessKeyId = Token.asString(Fn.lookup(json, "accessKeyId"));
      this.secretAccessKey = Token.asString(Fn.lookup(json, "secretAccessKey"));
      where = `accessKeyId / secretAccessKey of the secret ${source.secretArn}`;
    } else {
      const stack = TerraformStack.of(this);
      this.accessKeyId = credentialVariable(stack, XKS_ACCESS_KEY_ID_VARIABLE, `XKS proxy access key id for KMS (${XKS_CREDENTIAL_FORMATS.accessKeyId.allowed}).`).stringValue;
      this.secretAccessKey = credentialVariable(stack, XKS_SECRET_ACCESS_KEY_VARIABLE, `XKS proxy secret access key for KMS (${XKS_CREDENTIAL_FORMATS.secretAccessKey.allowed}).`).stringValue;
      where = `variables ${XKS_ACCESS_KEY_ID_VARIABLE} / ${XKS_SECRET_ACCESS_KEY_VARIABLE}`;
    }
    const check = (value: string, format: { pattern: string; allowed: string }, what: string): Precondition => ({
      condition: Fn.can(Fn.regex(format.pattern, value)),
      errorMessage: `The XKS proxy ${what} (${where}) must be ${format.allowed} (KMS CreateCustomKeyStore XksProxyAuthenticationCredential). The value is not shown.`,
    });
    this.preconditions = [check(this.accessKeyId, XKS_CREDENTIAL_FORMATS.accessKeyId, "access key id"), check(this.secretAccessKey, XKS_CREDENTIAL_FORMATS.secretAccessKey, "secret access key")];
  }
}

/** A sensitive string variable named exactly `name` (no default: Terraform asks, or fails in automation). */
function credentialVariable(stack: TerraformStack, name: string, what: string): TerraformVariable {
  const variable = new TerraformVariable(stack, name, {
    type: "string",
    sensitive: true,
    nullable: false,
    description: `${what} From the external key manager; set it in a tfvars file kept out of version control or in TF_VAR_${name}, never on the command line.`,
  });
  variable.overrideLogicalId(name);
  return variable;
}
