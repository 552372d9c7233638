import { Construct } from "constructs";
import { TerraformStack, TerraformVariable, Token } from "cdktf";
import type { Precondition } from "../cdktf/internals";
import type { KmsCustomKeyStore } from "@cdktf/provider-aws/lib/kms-custom-key-store";
import { DataAwsSecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/data-aws-secretsmanager-secret-version";
import { SECRETS_MANAGER, XKS } from "@cmk-stacks/aws-limits";
import { shown, throwIfProblems } from "../core/errors";

/** Names of the Terraform variables of the `variable` credential source (stack-level, stable). */
export const XKS_ACCESS_KEY_ID_VARIABLE = "xks_access_key_id";
export const XKS_SECRET_ACCESS_KEY_VARIABLE = "xks_secret_access_key";
/** The `secretsManager` source's switch: the secret is read only in a plan that sets it to true. */
export const XKS_READ_CREDENTIAL_SECRET_VARIABLE = "xks_read_credential_secret";

/** The formats KMS accepts (CreateCustomKeyStore XksProxyAuthenticationCredential): the rulebook's {@link XKS.ACCESS_KEY_ID} and {@link XKS.SECRET_ACCESS_KEY}, as Terraform regex text. */
export const XKS_CREDENTIAL_FORMATS = {
  accessKeyId: { pattern: XKS.ACCESS_KEY_ID.regex.source, allowed: XKS.ACCESS_KEY_ID.allowed },
  secretAccessKey: { pattern: XKS.SECRET_ACCESS_KEY.regex.source, allowed: XKS.SECRET_ACCESS_KEY.allowed },
} as const;

/** Where the proxy authentication credential comes from: never a literal. */
export type XksCredentialSource =
  /** Sensitive Terraform variables `xks_access_key_id` / `xks_secret_access_key`. */
  | { readonly source: "variable" }
  /** A Secrets Manager secret whose JSON holds `accessKeyId` and `secretAccessKey`. */
  | { readonly source: "secretsManager"; readonly secretArn: string };

export interface XksCredentialProps {
  readonly source: XksCredentialSource;
  /**
   * The CI secrets that feed the two variables (`variable` source), named in the message of a
   * plan that would create the store without them.
   * @default - none named
   */
  readonly ciSecretNames?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** The attribute of `aws_kms_custom_key_store` that carries the credential (a list block, at most one). */
const BLOCK = "xks_proxy_authentication_credential";

/**
 * The XKS proxy authentication credential of an external key store: given to Terraform only for
 * the plan and apply that CREATE the store, like the kmsuser password of a CloudHSM store.
 *
 * - `variable`: two sensitive string variables (`xks_access_key_id`, `xks_secret_access_key`),
 *   default null: a plan without them is valid.
 * - `secretsManager`: the secret's current version (JSON `accessKeyId` / `secretAccessKey`), read
 *   only when the plan sets `xks_read_credential_secret = true` (default null: not read, so a
 *   plan's role needs no `secretsmanager:GetSecretValue`).
 *
 * {@link attachTo} puts it on the store:
 * - the block is a `dynamic` block present only when the credential was given (its `for_each`
 *   is non-sensitive: only whether it was given, never the value);
 * - `ignore_changes` on the block: once the store exists, a plan with no credential or another
 *   one plans no change. The credential is changed by the operator step `rotate-xks-credential`
 *   (UpdateCustomKeyStore while CONNECTED, docs/xks.md), never by an apply: KMS checks the new
 *   value against the proxy first and takes up to {@link XKS.CREDENTIAL_UPDATE_SETTLE_MINUTES} to use it
 *   (https://docs.aws.amazon.com/kms/latest/developerguide/update-xks-keystore.html), and a plan
 *   that needed the credential would hand it to every pull-request plan.
 * - a `postcondition` that fails the plan of a store being created without the credential. It is
 *   evaluated on the planned object: on create that is the configuration (no block: fails at
 *   plan time with {@link missingMessage}); on every later plan it is the prior state, which
 *   holds the credential the store was created with (the provider's Read never clears it), so it
 *   passes. A store imported into state holds none: its plans need the credential given.
 *   (A `precondition` cannot tell a create from an update: it is evaluated on every plan.)
 * - format `precondition`s, checked only when the credential is given. They are resource
 *   preconditions rather than variable `validation` blocks because Terraform (1.11) prints the
 *   offending value of a failed variable validation even for a sensitive variable; a failed
 *   precondition shows only its message.
 */
export class XksCredential extends Construct {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Terraform expression (without `${}`), non-sensitive: true when this plan was given the credential. */
  readonly supplied: string;
  /** Format checks, true when the credential is not given (the store's `lifecycle.precondition`). */
  readonly preconditions: readonly Precondition[];
  /** What a plan that would create the store without the credential fails with. */
  readonly missingMessage: string;
  /** The two values as Terraform expressions (without `${}`). */
  private readonly idExpr: string;
  private readonly secretExpr: string;

  constructor(scope: Construct, id: string, props: XksCredentialProps) {
    super(scope, id);
    const source = props.source;
    if (
      source.source === "secretsManager" &&
      !Token.isUnresolved(source.secretArn) &&
      !SECRETS_MANAGER.SECRET_ARN.regex.test(source.secretArn)
    ) {
      throwIfProblems([
        `${this.node.path}.source.secretArn: ${shown(source.secretArn)} is not allowed (${SECRETS_MANAGER.SECRET_ARN.allowed})`,
      ]);
    }
    const stack = TerraformStack.of(this);
    let where: string;
    let idExpr: string;
    let secretExpr: string;
    const later =
      "Once the store exists, plans need no credential and ignore it; change it with the operator step rotate-xks-credential (docs/xks.md).";
    if (source.source === "secretsManager") {
      stackVariable(
        stack,
        XKS_READ_CREDENTIAL_SECRET_VARIABLE,
        "bool",
        false,
        `Set to true only for the plan and apply that create the external key store: Terraform then reads its XKS proxy credential from ${source.secretArn}. Later plans leave it unset (the store ignores its credential; rotate-xks-credential changes it).`,
      );
      const secret = new DataAwsSecretsmanagerSecretVersion(this, "secret", {
        secretId: source.secretArn,
        count: Token.asNumber(`\${var.${XKS_READ_CREDENTIAL_SECRET_VARIABLE} == true ? 1 : 0}`),
      });
      const json = `jsondecode(data.${secret.terraformResourceType}.${secret.friendlyUniqueId}[0].secret_string)`;
      idExpr = `try(${json}.accessKeyId, null)`;
      secretExpr = `try(${json}.secretAccessKey, null)`;
      this.supplied = `var.${XKS_READ_CREDENTIAL_SECRET_VARIABLE} == true`;
      where = `accessKeyId / secretAccessKey of the secret ${source.secretArn}`;
      this.missingMessage = `Creating the external key store needs its XKS proxy authentication credential and this plan reads none: plan and apply the creation with TF_VAR_${XKS_READ_CREDENTIAL_SECRET_VARIABLE}=true, so Terraform reads accessKeyId / secretAccessKey of the secret ${source.secretArn} (the plan's role needs secretsmanager:GetSecretValue on it). ${later}`;
    } else {
      stackVariable(
        stack,
        XKS_ACCESS_KEY_ID_VARIABLE,
        "string",
        true,
        `XKS proxy access key id for KMS (${XKS_CREDENTIAL_FORMATS.accessKeyId.allowed}). Needed only by the plan and apply that create the external key store; from the external key manager; set it in a tfvars file kept out of version control or in TF_VAR_${XKS_ACCESS_KEY_ID_VARIABLE}, never on the command line.`,
      );
      stackVariable(
        stack,
        XKS_SECRET_ACCESS_KEY_VARIABLE,
        "string",
        true,
        `XKS proxy secret access key for KMS (${XKS_CREDENTIAL_FORMATS.secretAccessKey.allowed}). Needed only by the plan and apply that create the external key store; from the external key manager; set it in a tfvars file kept out of version control or in TF_VAR_${XKS_SECRET_ACCESS_KEY_VARIABLE}, never on the command line.`,
      );
      idExpr = `var.${XKS_ACCESS_KEY_ID_VARIABLE}`;
      secretExpr = `var.${XKS_SECRET_ACCESS_KEY_VARIABLE}`;
      this.supplied = `nonsensitive(${idExpr} != null || ${secretExpr} != null)`;
      where = `variables ${XKS_ACCESS_KEY_ID_VARIABLE} / ${XKS_SECRET_ACCESS_KEY_VARIABLE}`;
      const ci = props.ciSecretNames
        ? `; in CI, the deploy's keys plan and apply steps set them from the GitHub secrets ${props.ciSecretNames.accessKeyId} and ${props.ciSecretNames.secretAccessKey}`
        : "";
      this.missingMessage = `Creating the external key store needs its XKS proxy authentication credential and this plan has none: set the sensitive variables ${XKS_ACCESS_KEY_ID_VARIABLE} and ${XKS_SECRET_ACCESS_KEY_VARIABLE} for the plan and apply that create it (TF_VAR_${XKS_ACCESS_KEY_ID_VARIABLE} / TF_VAR_${XKS_SECRET_ACCESS_KEY_VARIABLE}, or a tfvars file kept out of version control${ci}). ${later}`;
    }
    this.accessKeyId = Token.asString(`\${${idExpr}}`);
    this.secretAccessKey = Token.asString(`\${${secretExpr}}`);
    const check = (value: string, format: { pattern: string; allowed: string }, what: string): Precondition => ({
      condition: `\${!(${this.supplied}) || can(regex(${JSON.stringify(format.pattern)}, ${value}))}`,
      errorMessage: `The XKS proxy ${what} (${where}) must be ${format.allowed} (KMS CreateCustomKeyStore XksProxyAuthenticationCredential); give both values or neither. The value is not shown.`,
    });
    this.preconditions = [
      check(idExpr, XKS_CREDENTIAL_FORMATS.accessKeyId, "access key id"),
      check(secretExpr, XKS_CREDENTIAL_FORMATS.secretAccessKey, "secret access key"),
    ];
    this.idExpr = idExpr;
    this.secretExpr = secretExpr;
  }

  /**
   * The store's lifecycle parts for the credential: merge them into `lifecycle` of the
   * `aws_kms_custom_key_store` and call {@link attachTo} on it.
   */
  lifecycle(): { ignoreChanges: string[]; precondition: Precondition[]; postcondition: Precondition[] } {
    return {
      ignoreChanges: [BLOCK],
      precondition: [...this.preconditions],
      postcondition: [
        { condition: `\${length(self.${BLOCK}) > 0 || ${this.supplied}}`, errorMessage: this.missingMessage },
      ],
    };
  }

  /**
   * Writes the credential block as a `dynamic` block (present only when the credential is given).
   * The provider binding has no dynamic form for this single block, hence the override: the one
   * escape hatch for it, tested by synthesizing and by planning with Terraform
   * (test/modules/keystores/xks-credential*.test.ts).
   */
  attachTo(store: KmsCustomKeyStore): void {
    store.addOverride(`dynamic.${BLOCK}`, {
      for_each: `\${${this.supplied} ? [1] : []}`,
      content: { access_key_id: `\${${this.idExpr}}`, raw_secret_access_key: `\${${this.secretExpr}}` },
    });
  }
}

/** A stack-level variable named exactly `name`, nullable, default null (a plan may leave it unset). */
function stackVariable(
  stack: TerraformStack,
  name: string,
  type: "string" | "bool",
  sensitive: boolean,
  description: string,
): TerraformVariable {
  const variable = new TerraformVariable(stack, name, { type, sensitive, nullable: true, description });
  variable.overrideLogicalId(name);
  // TerraformVariable cannot take `default: null` (its synthesis drops or fails on it).
  variable.addOverride("default", null);
  return variable;
}
