/** Customer keys: aliases, deletion windows, rotation, separation of duties, key-store placement. */
import type { ConstraintTable, FieldContext, Violation } from "./engine";
import { duplicates, IAM_NAME_MAX, IAM_PATH_MAX, IAM_PRINCIPAL_ARN, iamNameAndPath, intIn, isObject, isString, LOGICAL_NAME, LOGICAL_NAME_RULE, matches, oneOf, partitionOfRegion } from "./checks";

const store = (c: FieldContext): unknown => c.parent.store ?? "aws-kms";
const external = (c: FieldContext): boolean => c.parent.origin === "external";

const SRC_IAM_QUOTAS = "IAM quotas: role and user names 64 chars, paths 512 chars";
const IAM_LENGTH_RULE = `a role or user name of at most ${IAM_NAME_MAX} chars and a path of at most ${IAM_PATH_MAX} chars`;
const iamLengthsOk = (v: unknown): boolean => {
  const p = iamNameAndPath(v);
  return p === undefined || (p.name.length <= IAM_NAME_MAX && p.path.length <= IAM_PATH_MAX);
};
const partitionRule = (c: FieldContext) => `an ARN in the partition of ${String(c.env.region)} (arn:${partitionOfRegion(String(c.env.region))}:...)`;
const partitionOk = (v: unknown, c: FieldContext): boolean => !IAM_PRINCIPAL_ARN.test(String(v)) || String(v).startsWith(`arn:${partitionOfRegion(String(c.env.region))}:`);
const hasRegion = (c: FieldContext) => isString(c.env.region);

export const keysTable: ConstraintTable = {
  domain: "keys",
  fields: [
    { field: "keys", rule: "an object with at least one key", source: "environment contract", required: true, check: (v) => isObject(v) && Object.keys(v).length > 0 },
    { field: "keys.*", rule: "a key object", source: "environment contract", check: isObject },
    { field: "keys.*.alias", rule: "'alias/' + letters, digits, ':', '/', '_', '-' (at most 256 chars), not 'alias/aws/...'", source: "KMS CreateAlias", required: true, check: (v) => matches(/^alias\/[a-zA-Z0-9:/_-]+$/, 7, 256)(v) && !String(v).startsWith("alias/aws/") },
    { field: "keys.*.description", rule: "at most 8192 chars", source: "KMS CreateKey Description", check: matches(/^[\s\S]*$/, 0, 8192) },
    { field: "keys.*.store", rule: "'aws-kms', 'cloudhsm' or 'xks'", source: "KMS key origins", check: oneOf("aws-kms", "cloudhsm", "xks") },
    { field: "keys.*.deletionWindowDays", rule: "7-30 days", source: "KMS ScheduleKeyDeletion", check: intIn(7, 30) },
    { field: "keys.*.rotation", rule: "true or false", source: "KMS EnableKeyRotation", check: (v) => typeof v === "boolean" },
    { field: "keys.*.rotation", rule: "false or unset for keys in a custom key store (automatic rotation is not supported there)", source: "KMS EnableKeyRotation: custom key stores", when: (c) => store(c) !== "aws-kms", check: (v) => v === false },
    { field: "keys.*.xksKeyId", rule: "1-128 chars of letters, digits, '-', '_', '.'", source: "KMS CreateKey XksKeyId", when: (c) => store(c) === "xks", required: true, check: matches(/^[a-zA-Z0-9-_.]+$/, 1, 128) },
    { field: "keys.*.xksKeyId", rule: "unset unless store is 'xks'", source: "KMS CreateKey XksKeyId", when: (c) => store(c) !== "xks", check: () => false },
    { field: "keys.*.administrators", rule: "at least one IAM role or user ARN", source: "key policy: separation of duties", required: true, check: (v) => Array.isArray(v) && v.length > 0 },
    { field: "keys.*.administrators.*", rule: "an IAM role or user ARN (arn:aws:iam::<account>:role/<name>)", source: "IAM ARNs", check: matches(IAM_PRINCIPAL_ARN) },
    { field: "keys.*.administrators.*", rule: IAM_LENGTH_RULE, source: SRC_IAM_QUOTAS, check: iamLengthsOk },
    { field: "keys.*.administrators.*", rule: partitionRule, source: "ARN partitions", when: hasRegion, check: partitionOk },
    { field: "keys.*.users", rule: "at least one IAM role or user ARN", source: "key policy: separation of duties", required: true, check: (v) => Array.isArray(v) && v.length > 0 },
    { field: "keys.*.policy", rule: "'account' (the account root keeps kms:*, IAM may grant use) or 'closed' (only the listed administrators and users)", source: "KMS key policies: default key policy", check: oneOf("account", "closed") },
    { field: "keys.*.origin", rule: "'aws-kms' (KMS generates the material) or 'external' (imported by an operator)", source: "KMS CreateKey Origin", check: oneOf("aws-kms", "external") },
    { field: "keys.*.origin", rule: "'external' only with store 'aws-kms' (keys in a custom key store cannot hold imported material)", source: "KMS ImportKeyMaterial: not for keys in a custom key store", when: (c) => store(c) !== "aws-kms", check: (v) => v !== "external" },
    { field: "keys.*.rotation", rule: "false or unset for imported key material (origin 'external': rotate on demand with new material, docs/byok.md)", source: "KMS EnableKeyRotation: not for imported key material", when: external, check: (v) => v === false },
    { field: "keys.*.importers", rule: "at least one IAM role or user ARN (who imports the material)", source: "KMS ImportKeyMaterial: key policy", when: external, required: true, check: (v) => Array.isArray(v) && v.length > 0 },
    { field: "keys.*.importers", rule: "unset unless origin is 'external'", source: "KMS ImportKeyMaterial", when: (c) => !external(c), check: () => false },
    { field: "keys.*.importers.*", rule: "an IAM role or user ARN (arn:aws:iam::<account>:role/<name>)", source: "IAM ARNs", check: matches(IAM_PRINCIPAL_ARN) },
    { field: "keys.*.importers.*", rule: IAM_LENGTH_RULE, source: SRC_IAM_QUOTAS, check: iamLengthsOk },
    { field: "keys.*.importers.*", rule: partitionRule, source: "ARN partitions", when: hasRegion, check: partitionOk },
    { field: "keys.*.keyMaterialValidityDays", rule: "1-365 days", source: "KMS ImportKeyMaterial ValidTo (at most 365 days from the request)", when: external, check: intIn(1, 365) },
    { field: "keys.*.keyMaterialValidityDays", rule: "unset unless origin is 'external'", source: "KMS ImportKeyMaterial ExpirationModel", when: (c) => !external(c), check: () => false },
    { field: "keys.*.users.*", rule: "an IAM role or user ARN (arn:aws:iam::<account>:role/<name>)", source: "IAM ARNs", check: matches(IAM_PRINCIPAL_ARN) },
    { field: "keys.*.users.*", rule: IAM_LENGTH_RULE, source: SRC_IAM_QUOTAS, check: iamLengthsOk },
    { field: "keys.*.users.*", rule: partitionRule, source: "ARN partitions", when: hasRegion, check: partitionOk },
  ],
  cross: [
    {
      description: "key logical names are identifiers",
      source: "construct ids",
      check: (env) =>
        Object.keys(isObject(env.keys) ? env.keys : {})
          .filter((name) => !LOGICAL_NAME.test(name))
          .map((name): Violation => ({ path: `keys.${name}`, value: name, rule: `a key name that is ${LOGICAL_NAME_RULE}`, source: "construct ids" })),
    },
    {
      description: "aliases are unique",
      source: "KMS CreateAlias: alias names are unique per account and Region",
      check: (env) => {
        const entries = Object.entries(isObject(env.keys) ? env.keys : {}).filter(([, k]) => isObject(k));
        const dup = new Set(duplicates(entries.map(([, k]) => k.alias)));
        return entries
          .filter(([, k]) => dup.has(k.alias))
          .map(([name, k]) => ({ path: `keys.${name}.alias`, value: k.alias, rule: "an alias no other key uses", source: "KMS CreateAlias: alias names are unique per account and Region" }));
      },
    },
    {
      description: "administrators and users are disjoint (IAM names compared case-insensitively)",
      source: "key policy: separation of duties",
      check: (env) => {
        const out: Violation[] = [];
        for (const [name, k] of Object.entries(isObject(env.keys) ? env.keys : {})) {
          if (!isObject(k) || !Array.isArray(k.users) || !Array.isArray(k.administrators)) continue;
          // IAM names are case-insensitive: .../keyadministrators is the role .../KeyAdministrators.
          const admins = new Set(k.administrators.map((a) => String(a).toLowerCase()));
          k.users.forEach((u, i) => {
            if (admins.has(String(u).toLowerCase())) {
              out.push({ path: `keys.${name}.users.${i}`, value: u, rule: "a principal that is not also an administrator of this key", source: "key policy: separation of duties" });
            }
          });
          // Importers prove the import with Encrypt/Decrypt, which administrators are denied; they are
          // denied CreateGrant, which users need for S3, EBS and FSx.
          const users = new Set(k.users.map((u) => String(u).toLowerCase()));
          (Array.isArray(k.importers) ? k.importers : []).forEach((u, i) => {
            if (admins.has(String(u).toLowerCase())) {
              out.push({ path: `keys.${name}.importers.${i}`, value: u, rule: "a principal that is not also an administrator of this key (administrators are denied the Encrypt/Decrypt round trip)", source: "key policy: separation of duties" });
            } else if (users.has(String(u).toLowerCase())) {
              out.push({ path: `keys.${name}.importers.${i}`, value: u, rule: "a principal that is not also a user of this key (importers are denied CreateGrant, which users need for AWS services)", source: "key policy: separation of duties" });
            }
          });
        }
        return out;
      },
    },
    {
      description: "keys in a custom key store need that store configured",
      source: "KMS CreateKey CustomKeyStoreId",
      check: (env) => {
        const out: Violation[] = [];
        for (const [name, k] of Object.entries(isObject(env.keys) ? env.keys : {})) {
          if (!isObject(k)) continue;
          if (k.store === "cloudhsm" && !isObject(env.cloudHsm)) {
            out.push({ path: `keys.${name}.store`, value: k.store, rule: "'cloudhsm' only when the environment has a cloudHsm section", source: "KMS CreateKey CustomKeyStoreId" });
          }
          if (k.store === "xks" && !isObject(env.xks)) {
            out.push({ path: `keys.${name}.store`, value: k.store, rule: "'xks' only when the environment has an xks section", source: "KMS CreateKey CustomKeyStoreId" });
          }
        }
        return out;
      },
    },
    {
      description: "each external key is used by one KMS key",
      source: "KMS: a KMS key in an external key store cannot be recreated, one KMS key per external key",
      check: (env) => {
        const entries = Object.entries(isObject(env.keys) ? env.keys : {}).filter(([, k]) => isObject(k) && k.store === "xks" && isString(k.xksKeyId));
        const dup = new Set(duplicates(entries.map(([, k]) => k.xksKeyId)));
        return entries
          .filter(([, k]) => dup.has(k.xksKeyId))
          .map(([name, k]): Violation => ({ path: `keys.${name}.xksKeyId`, value: k.xksKeyId, rule: "an external key id no other key uses", source: "KMS CreateKey XksKeyId" }));
      },
    },
  ],
};
