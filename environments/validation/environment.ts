/** Environment-wide fields: identity, tags, state backend, hook runner. */
import { HOOKS, IAM, inRange, NAMES, S3, STATE_BACKEND, TAGGING } from "@cmk-stacks/aws-limits";
import type { ConstraintTable } from "./engine";
import { isObject, isString, matches, oneOf, partitionOfRegion, REGION, TAG_CHARS } from "./checks";
import { reservedTags } from "../resolve";
import type { EnvironmentConfig } from "../types";

/** Tags the tool sets on every resource (the stack name is added per stack by the provider's default tags). */
const RESERVED = ["Environment", "ManagedBy", "Stack"];
const TAG_CHARS_RULE = TAGGING.TAG_CHARS.allowed;
import { derivedNameProblems } from "./names";

/** An IAM role ARN, paths allowed: the rulebook's {@link IAM.ROLE_ARN}. */
export const IAM_ROLE_ARN = IAM.ROLE_ARN.regex;

/** The Region of the state bucket: `backend.region`, else the environment's. */
function backendRegion(c: { env: EnvironmentConfig; parent: Record<string, unknown> }): string {
  return isString(c.parent.region) ? c.parent.region : String(c.env.region);
}

export const environmentTable: ConstraintTable = {
  domain: "environment",
  fields: [
    {
      field: "name",
      rule: NAMES.ENVIRONMENT_NAME.allowed,
      source: "stack and resource naming",
      required: true,
      check: matches(NAMES.ENVIRONMENT_NAME.regex),
    },
    {
      field: "account",
      rule: IAM.ACCOUNT_ID.allowed,
      source: "AWS account identifiers",
      required: true,
      check: matches(IAM.ACCOUNT_ID.regex),
    },
    {
      field: "region",
      rule: "an AWS Region code such as eu-west-1",
      source: "AWS Regions",
      required: true,
      check: matches(REGION),
    },
    { field: "tags", rule: "an object of string tags", source: "AWS tagging", check: isObject },
    {
      field: "tags.*",
      rule: `a string of at most ${TAGGING.TAG_VALUE_LENGTH.max} chars`,
      source: "AWS tagging: tag values",
      check: matches(/^[\s\S]*$/, TAGGING.TAG_VALUE_LENGTH.min, TAGGING.TAG_VALUE_LENGTH.max),
    },
    {
      field: "tags",
      rule: `at most ${TAGGING.TAGS_MAX.value} tags with keys of ${TAGGING.TAG_KEY_LENGTH.min}-${TAGGING.TAG_KEY_LENGTH.max} chars, not starting with '${TAGGING.RESERVED_KEY_PREFIX}'`,
      source: "AWS tagging: tag keys",
      check: (v) =>
        isObject(v) && Object.keys(v).length <= TAGGING.TAGS_MAX.value && Object.keys(v).every(TAGGING.isUserTagKey),
    },
    {
      field: "tags.*",
      rule: TAG_CHARS_RULE,
      source: "AWS tagging: allowed characters",
      check: (v) => !isString(v) || TAG_CHARS.test(v),
    },
    {
      field: "tags.*",
      rule: (c) => {
        const key = c.segments[c.segments.length - 1];
        return key === "Stack"
          ? "unset: the tool tags every resource with its stack name"
          : `unset or "${reservedTags(String(c.env.name))[key]}": the tool sets the ${key} tag`;
      },
      source: "tags set by cmk-stacks",
      when: (c) => RESERVED.includes(c.segments[c.segments.length - 1]),
      check: (v, c) => {
        const key = c.segments[c.segments.length - 1];
        return key !== "Stack" && v === reservedTags(String(c.env.name))[key];
      },
    },
    { field: "hooks.runner", rule: "'local' or 'lambda'", source: "hook runners", check: oneOf("local", "lambda") },
    {
      field: "hooks.timeoutMinutes",
      rule: `${HOOKS.TIMEOUT_MINUTES.min}-${HOOKS.TIMEOUT_MINUTES.max} minutes`,
      source: "key store connection can take 20-30 min",
      check: (v) => typeof v === "number" && inRange(HOOKS.TIMEOUT_MINUTES, v),
    },
    {
      field: "backend.type",
      rule: "'local', 'cloud' or 's3'",
      source: "Terraform backends",
      required: false,
      check: oneOf("local", "cloud", "s3"),
    },
    {
      field: "backend.organization",
      rule: "an organization name: letters, digits, '_' and '-'",
      source: "Terraform Cloud organizations",
      when: (c) => c.parent.type === "cloud",
      required: true,
      check: matches(STATE_BACKEND.CLOUD_ORGANIZATION),
    },
    {
      field: "backend.workspacePrefix",
      rule: `letters, digits, '_' and '-' (at most ${STATE_BACKEND.CLOUD_WORKSPACE_PREFIX_LENGTH.max} ${STATE_BACKEND.CLOUD_WORKSPACE_PREFIX_LENGTH.unit})`,
      source: "Terraform Cloud workspace names",
      when: (c) => c.parent.type === "cloud",
      check: matches(STATE_BACKEND.CLOUD_WORKSPACE_PREFIX),
    },
    {
      field: "backend.hostname",
      rule: "a host name",
      source: "Terraform Cloud / Enterprise",
      when: (c) => c.parent.type === "cloud",
      check: matches(STATE_BACKEND.CLOUD_HOSTNAME_PATTERN, NAMES.DNS_NAME_LENGTH.min, NAMES.DNS_NAME_LENGTH.max),
    },
    {
      field: "backend.bucket",
      rule: "an S3 bucket name",
      source: "S3 backend",
      when: (c) => c.parent.type === "s3",
      required: true,
      check: S3.isValidBucketName,
    },
    {
      field: "backend.keyPrefix",
      rule: "a key prefix without leading or trailing '/'",
      source: "S3 backend",
      when: (c) => c.parent.type === "s3",
      check: matches(
        STATE_BACKEND.KEY_PREFIX_PATTERN,
        STATE_BACKEND.KEY_PREFIX_LENGTH.min,
        STATE_BACKEND.KEY_PREFIX_LENGTH.max,
      ),
    },
    {
      field: "backend.region",
      rule: "an AWS Region code",
      source: "S3 backend",
      when: (c) => c.parent.type === "s3",
      check: matches(REGION),
    },
    {
      field: "backend.useLockfile",
      rule: "true or false",
      source: "S3 backend locking",
      when: (c) => c.parent.type === "s3",
      check: (v) => typeof v === "boolean",
    },
    // State of a keys stack holds the kmsuser password, the XKS credential and (generated trust) TLS
    // private keys in cleartext: an S3 backend must encrypt it with a KMS key the team controls.
    // https://developer.hashicorp.com/terraform/language/backend/s3 (kms_key_id, encrypt, assume_role)
    {
      field: "backend.kmsKeyId",
      rule: (c) =>
        `the ARN of a customer managed KMS key or alias in the state bucket's Region (${backendRegion(c)}); required: the state holds the kmsuser password, the XKS credential and TLS private keys in cleartext`,
      source: "S3 backend kms_key_id; S3 SSE-KMS keys must be in the bucket's Region",
      when: (c) => c.parent.type === "s3",
      required: true,
      check: (v, c) =>
        isString(v) &&
        STATE_BACKEND.KMS_KEY_OR_ALIAS_ARN.test(v) &&
        v.split(":")[3] === backendRegion(c) &&
        v.split(":")[1] === partitionOfRegion(backendRegion(c)),
    },
    {
      field: "backend.encrypt",
      rule: "true or unset: state holds the kmsuser password, the XKS credential and TLS private keys in cleartext",
      source: "S3 backend encrypt",
      when: (c) => c.parent.type === "s3",
      check: (v) => v === true,
    },
    {
      field: "backend.roleArn",
      rule: (c) => `an IAM role ARN (arn:${partitionOfRegion(backendRegion(c))}:iam::<account>:role/<name>)`,
      source: "S3 backend assume_role.role_arn",
      when: (c) => c.parent.type === "s3",
      check: (v, c) => isString(v) && IAM_ROLE_ARN.test(v) && v.split(":")[1] === partitionOfRegion(backendRegion(c)),
    },
  ],
  cross: [
    {
      description:
        "the names the stacks derive from the environment name follow AWS's naming rules (an ELB name may not start with internal-)",
      source: "ELB CreateLoadBalancer / CreateTargetGroup Name",
      check: derivedNameProblems,
    },
    {
      description: "network, keys and data sections are present",
      source: "environment contract",
      check: (env) =>
        (["network", "keys", "data"] as const)
          .filter((k) => !isObject((env as unknown as Record<string, unknown>)[k]))
          .map((k) => ({
            path: k,
            value: (env as unknown as Record<string, unknown>)[k],
            rule: "a section object",
            source: "environment contract",
          })),
    },
    {
      description: "tag keys use the characters AWS allows",
      source: "AWS tagging: allowed characters",
      check: (env) =>
        isObject(env.tags)
          ? Object.keys(env.tags)
              .filter((k) => !TAG_CHARS.test(k))
              .map((k) => ({
                path: `tags.${k}`,
                value: k,
                rule: `a tag key of ${TAG_CHARS_RULE}`,
                source: "AWS tagging: allowed characters",
              }))
          : [],
    },
    {
      description: "tag values are strings",
      source: "AWS tagging",
      check: (env) =>
        isObject(env.tags)
          ? Object.entries(env.tags)
              .filter(([, v]) => !isString(v))
              .map(([k, v]) => ({ path: `tags.${k}`, value: v, rule: "a string", source: "AWS tagging" }))
          : [],
    },
  ],
};
