import { Construct } from "constructs";
import { TerraformOutput, type ITerraformDependable } from "cdktf";
import { KmsExternalKey } from "@cdktf/provider-aws/lib/kms-external-key";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import type { KmsGrant } from "@cdktf/provider-aws/lib/kms-grant";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { IAM, inRange, KMS } from "@cmk-stacks/aws-limits";
import { EnvironmentStack } from "../core/environment-stack";
import { shown, throwIfProblems } from "../core/errors";
import type { CustomerKeyProps, GrantProps, ICustomerKey } from "./customer-key";
import { buildKeyPolicy, keyPolicyProblems, keyServiceProblems, limitedRole, type KeyPolicyProps } from "./key-policy";
import { createExtraAliases, keyBaseProblems, type KeyBaseProps } from "./key-props";
import { createGrant, ENCRYPT_DECRYPT_OPERATIONS } from "./grants";
import type { IAlarmTopic } from "../alarms/alarm-topic";

/** What importers may do: fetch a wrapping key, import (or import new material and rotate to it), and prove the key works. */
export const IMPORT_ACTIONS = [
  "kms:DescribeKey",
  "kms:ListResourceTags",
  "kms:GetParametersForImport",
  "kms:ImportKeyMaterial",
  "kms:RotateKeyOnDemand",
  "kms:ListKeyRotations",
  "kms:Encrypt",
  "kms:Decrypt",
] as const;
/** Tag carrying the configured validity in days ("0": does not expire); the import step refuses another `--valid-days`. */
export const VALIDITY_TAG = "KeyMaterialValidityDays";
/** Management actions importers are explicitly denied, whatever IAM says (as users are). */
const DENIED_TO_IMPORTERS = [
  "kms:CancelKeyDeletion",
  "kms:DisableKey",
  "kms:PutKeyPolicy",
  "kms:ScheduleKeyDeletion",
  "kms:UpdateAlias",
  "kms:DeleteAlias",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:CreateGrant",
];
const DAY_SECONDS = 86_400;

/**
 * Alias, roles, description, deletion window and policy form as every key ({@link KeyBaseProps});
 * encrypt-only and decrypt-only users and other accounts as for a CustomerKey; plus the import's own.
 */
export interface ImportedKeyProps
  extends
    KeyBaseProps,
    Pick<CustomerKeyProps, "encryptOnlyUsers" | "decryptOnlyUsers" | "externalAccounts" | "services"> {
  /** Logical name (`keys.<name>`): part of the alarm and output names. */
  readonly name: string;
  /**
   * IAM role or user ARNs that import the material (the `import-key-material` hook step, run by an
   * operator) and prove it with an Encrypt/Decrypt round trip; denied management and grants. At
   * least one, none of them an administrator (denied Encrypt/Decrypt) or a user (users need grants).
   */
  readonly importers: readonly string[];
  /**
   * Days each import stays valid (KEY_MATERIAL_EXPIRES, ValidTo = import time + this),
   * {@link KMS.KEY_MATERIAL_VALIDITY_DAYS} (KMS ImportKeyMaterial ValidTo). Creates the expiry alarm. The import step reads it from its command line.
   * @default - the material does not expire (KEY_MATERIAL_DOES_NOT_EXPIRE) and there is no alarm
   */
  readonly keyMaterialValidityDays?: number;
  /** Days before expiry the alarm fires; less than keyMaterialValidityDays. @default - KMS.DEFAULT_KEY_MATERIAL_EXPIRY_WARNING_DAYS.value ({@link KMS.DEFAULT_KEY_MATERIAL_EXPIRY_WARNING_DAYS}), or half the validity when that is shorter */
  readonly expiryWarningDays?: number;
  /**
   * Where the expiry alarm notifies (the environment's alarm topic). The alarm is then named with
   * the topic's prefix, which its topic and key policies require of every publishing alarm.
   * @default - no notification: the alarm `<name prefix>-key-<name>-material-expiry` shows in CloudWatch only
   */
  readonly alarmTopic?: IAlarmTopic;
  /** Service-linked roles the key policy lets use the key and create grants for AWS resources. @default - none */
  readonly serviceRoles?: readonly string[];
  /** Resources that must exist before the key (principals its policy names). @default - none */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * A symmetric KMS key with imported key material (BYOK), created WITHOUT material: the
 * provider's `key_material_base64` would keep the plaintext in Terraform state and in every saved
 * plan (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/kms_external_key),
 * so an operator imports it with the `import-key-material` hook step instead (docs/byok.md). The key
 * stays in PendingImport until then. Alias, separation-of-duties policy (plus an importer statement
 * and a deny of DeleteImportedKeyMaterial), 30-day deletion window and `prevent_destroy` as for
 * every customer key; no automatic rotation (KMS refuses it for imported material).
 */
export class ImportedKey extends Construct implements ICustomerKey {
  readonly name: string;
  readonly keyArn: string;
  readonly keyId: string;
  readonly aliasName: string;
  readonly store = "aws-kms" as const;
  /** The underlying resource, for escape hatches kept in one place. */
  readonly resource: KmsExternalKey;
  /** The SecondsUntilKeyMaterialExpiration alarm, when the material expires. */
  readonly expiryAlarm?: CloudwatchMetricAlarm;
  /** The operator's command that imports the material (also the stack output `key_<name>_import_command`). */
  readonly importCommand: string;

  constructor(scope: Construct, id: string, props: ImportedKeyProps) {
    super(scope, id);
    const env = EnvironmentStack.of(this);
    const at = (prop: string) => `${this.node.path}.${prop}`;
    // The checks every key shares (alias, roles, deletion window, policy form), then the import's own.
    const problems = keyBaseProblems(this.node.path, env.partition, props);
    const window = props.deletionWindowDays ?? KMS.DEFAULT_DELETION_WINDOW_DAYS.value;
    if (props.importers.length === 0)
      problems.push(
        `${at("importers")}: [] is not allowed (at least one principal to import the material, KMS ImportKeyMaterial)`,
      );
    const admins = new Set(props.administrators.map((a) => a.toLowerCase()));
    const users = new Set(props.users.map((u) => u.toLowerCase()));
    const encryptOnly = new Set((props.encryptOnlyUsers ?? []).map((u) => u.toLowerCase()));
    const decryptOnly = new Set((props.decryptOnlyUsers ?? []).map((u) => u.toLowerCase()));
    const services = new Set((props.serviceRoles ?? []).map((u) => u.toLowerCase()));
    props.importers.forEach((p, i) => {
      const id = p.toLowerCase();
      const account = IAM.accountOfArn(p);
      if (admins.has(id))
        problems.push(
          `${at(`importers.${i}`)}: ${shown(p)} is not allowed (an administrator is denied the Encrypt/Decrypt round trip that proves the import, key policy: separation of duties)`,
        );
      else if (users.has(id))
        problems.push(
          `${at(`importers.${i}`)}: ${shown(p)} is not allowed (importers are denied CreateGrant, which users need for AWS services, key policy: separation of duties)`,
        );
      else if (encryptOnly.has(id) || decryptOnly.has(id)) {
        const [list, denied] = encryptOnly.has(id) ? ["encryptOnlyUsers", "Decrypt"] : ["decryptOnlyUsers", "Encrypt"];
        problems.push(
          `${at(`importers.${i}`)}: ${shown(p)} is not allowed (also in ${list}, which are denied kms:${denied}: the Encrypt/Decrypt round trip that ends every import would fail, key policy: separation of duties)`,
        );
      } else if (services.has(id))
        problems.push(
          `${at(`importers.${i}`)}: ${shown(p)} is not allowed (also in serviceRoles: importers are denied CreateGrant, which the service needs, key policy: separation of duties)`,
        );
      if (KMS.otherAccountProblem("import", account, env.account))
        problems.push(
          `${at(`importers.${i}`)}: ${shown(p)} is not allowed (a principal of the key's account ${env.account}: GetParametersForImport and ImportKeyMaterial work only there, KMS ImportKeyMaterial)`,
        );
    });
    const validity = props.keyMaterialValidityDays;
    const validityRange = KMS.KEY_MATERIAL_VALIDITY_DAYS;
    if (validity !== undefined && !inRange(validityRange, validity))
      problems.push(
        `${at("keyMaterialValidityDays")}: ${shown(validity)} is not allowed (${validityRange.min} to ${validityRange.max} days, KMS ImportKeyMaterial ValidTo)`,
      );
    const warningSeconds =
      props.expiryWarningDays !== undefined
        ? props.expiryWarningDays * DAY_SECONDS
        : Math.min(
            KMS.DEFAULT_KEY_MATERIAL_EXPIRY_WARNING_DAYS.value * DAY_SECONDS,
            ((validity ?? 0) * DAY_SECONDS) / 2,
          );
    if (
      props.expiryWarningDays !== undefined &&
      (validity === undefined || props.expiryWarningDays <= 0 || props.expiryWarningDays >= validity)
    ) {
      problems.push(
        `${at("expiryWarningDays")}: ${shown(props.expiryWarningDays)} is not allowed (more than 0 and fewer days than keyMaterialValidityDays, which ${validity === undefined ? "is unset: the material does not expire" : `is ${validity}`})`,
      );
    }
    const policyProps: KeyPolicyProps = {
      partition: env.partition,
      account: env.account,
      administrators: props.administrators,
      users: props.users,
      form: props.policy,
      serviceRoles: props.serviceRoles,
      encryptOnlyUsers: props.encryptOnlyUsers,
      decryptOnlyUsers: props.decryptOnlyUsers,
      externalAccounts: props.externalAccounts,
      services: props.services,
      region: env.region,
    };
    problems.push(...keyPolicyProblems(this.node.path, policyProps));
    problems.push(
      ...keyServiceProblems(this.node.path, props.services, {
        partition: env.partition,
        account: env.account,
        regions: [env.region],
      }),
    );
    throwIfProblems(problems);

    this.name = props.name;
    const policy = buildKeyPolicy(policyProps);
    const importers = [...props.importers].sort();
    policy.Statement.push(
      ...limitedRole(
        importers,
        { sid: "KeyMaterialImport", actions: IMPORT_ACTIONS },
        { sid: "ImportersCannotManageKey", actions: DENIED_TO_IMPORTERS },
      ),
      // Deleting the material makes every ciphertext unreadable until the same material is
      // imported again; nobody may do it while this statement stands (removing it is a key-policy
      // change the plan guard shows). Expiry is configured, never an API call.
      // https://docs.aws.amazon.com/kms/latest/APIReference/API_DeleteImportedKeyMaterial.html
      {
        Sid: "NobodyDeletesImportedMaterial",
        Effect: "Deny",
        Principal: { AWS: "*" },
        Action: "kms:DeleteImportedKeyMaterial",
        Resource: "*",
      },
    );
    this.resource = new KmsExternalKey(this, "key", {
      description: props.description ?? `Imported customer key ${props.name} (${env.name})`,
      // Symmetric ENCRYPT_DECRYPT (the provider's only kind before 6.x, which adds key_spec and
      // key_usage arguments defaulting to exactly that; left unset so both major versions accept it).
      multiRegion: false,
      deletionWindowInDays: window,
      // Never bypassed (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-bypass-policy-lockout-safety-check).
      bypassPolicyLockoutSafetyCheck: false,
      policy: JSON.stringify(policy),
      tags: {
        Name: props.alias.replace(/^alias\//, ""),
        KeyStore: "aws-kms",
        KeyOrigin: "EXTERNAL",
        [VALIDITY_TAG]: String(validity ?? 0),
      },
      dependsOn: props.dependsOn?.length ? [...props.dependsOn] : undefined,
      // key_material_base64 is never set. The import step sets the expiry; the provider reads it back
      // into valid_to on refresh (an optional, not computed, attribute), which would otherwise be
      // planned as a change back to null on every run.
      lifecycle: { preventDestroy: true, ignoreChanges: ["valid_to"] },
    });
    const alias = new KmsAlias(this, "alias", { name: props.alias, targetKeyId: this.resource.id });
    createExtraAliases(this, props.aliases, this.resource.id);
    this.keyArn = this.resource.arn;
    this.keyId = this.resource.id;
    this.aliasName = alias.name;

    if (validity !== undefined) {
      // Minimum is the statistic AWS recommends for this metric; the alarm fires while re-importing
      // (same material, new ValidTo) still avoids an outage.
      // https://docs.aws.amazon.com/kms/latest/developerguide/monitoring-cloudwatch.html#key-material-expiration
      const alarmName = props.alarmTopic
        ? `${props.alarmTopic.alarmNamePrefix}key-${props.name}-material-expiry`
        : `${env.name}-key-${props.name}-material-expiry`;
      // The topic's policies admit this alarm by its exact ARN.
      props.alarmTopic?.admitAlarm?.(alarmName);
      this.expiryAlarm = new CloudwatchMetricAlarm(this, "material-expiry", {
        alarmName,
        alarmDescription: `Imported key material of ${props.alias} expires in less than ${Math.round((warningSeconds / DAY_SECONDS) * 10) / 10} days: re-import it (docs/byok.md)`,
        namespace: "AWS/KMS",
        metricName: "SecondsUntilKeyMaterialExpiration",
        dimensions: { KeyId: this.resource.id },
        statistic: "Minimum",
        period: 300,
        evaluationPeriods: 1,
        comparisonOperator: "LessThanThreshold",
        threshold: warningSeconds,
        // No data before the first import and after expiry: the state stays as it was (an expired
        // material also makes the key PendingImport, which every use of the key reports at once).
        treatMissingData: "missing",
        alarmActions: props.alarmTopic ? [props.alarmTopic.topicArn] : undefined,
        okActions: props.alarmTopic ? [props.alarmTopic.topicArn] : undefined,
      });
    }
    // Operator-run, never by apply: the material comes from the operator's key manager on stdin
    // (docs/byok.md). The command holds ids only; the material is never an argument.
    this.importCommand =
      `<export of the 256-bit key from your key manager> | npm run -s hook -- import-key-material --region '${env.region}' --key-id '${this.resource.id}'` +
      (validity !== undefined ? ` --valid-days ${validity}` : "");
    const out = new TerraformOutput(this, "import-command", {
      value: this.importCommand,
      description: `Imports the key material of ${props.alias} (run by an importer, material on stdin; docs/byok.md)`,
    });
    out.overrideLogicalId(`key_${props.name}_import_command`);
  }

  grant(scope: Construct, id: string, props: GrantProps): KmsGrant {
    return createGrant(scope, id, this.keyArn, props);
  }

  grantEncryptDecrypt(scope: Construct, id: string, granteePrincipal: string): KmsGrant {
    return this.grant(scope, id, { granteePrincipal, operations: ENCRYPT_DECRYPT_OPERATIONS });
  }
}
