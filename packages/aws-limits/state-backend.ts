/**
 * Terraform state backends (S3 and Terraform Cloud): the defaults and rules the schema, the
 * validation table (`backend.*`), the backend construct, the uniqueness check (names.ts) and
 * `npm run state-bucket` share. https://developer.hashicorp.com/terraform/language/backend/s3
 */
import type { Default, Range } from "./rule";

const S3_BACKEND_DOC = "https://developer.hashicorp.com/terraform/language/backend/s3";
const CLOUD_DOC = "https://developer.hashicorp.com/terraform/language/terraform#terraform-cloud";

/** Prefix of the state objects' keys when `backend.keyPrefix` is not set. */
export const KEY_PREFIX: Default<string> = {
  value: "cmk",
  why: "one folder for this tool's state objects in a shared bucket",
  doc: S3_BACKEND_DOC,
};

/**
 * A key prefix: S3 object key segments of safe characters, without leading or trailing `/`
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html, "Safe characters").
 */
export const KEY_PREFIX_PATTERN = /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/;

/** Length of a key prefix (S3 keys are at most 1,024 bytes: half is left for the stack's name). https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html */
export const KEY_PREFIX_LENGTH: Range = {
  min: 1,
  max: 512,
  integer: true,
  unit: "chars",
  doc: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html",
};

/** The state object of `stack` under `keyPrefix` (default {@link KEY_PREFIX}). */
export const stateKey = (stack: string, keyPrefix: string = KEY_PREFIX.value): string =>
  `${keyPrefix}/${stack}.tfstate`;

/** S3-native locking (a lock file next to the state) when `backend.useLockfile` is not set. */
export const USE_LOCKFILE: Default<boolean> = {
  value: true,
  why: "S3-native locking: no DynamoDB table",
  doc: S3_BACKEND_DOC,
};

/** The Terraform version S3-native locking (`use_lockfile`) needs. */
export const LOCKFILE_MIN_TERRAFORM = { value: "1.10.0", doc: S3_BACKEND_DOC } as const;

/** The Terraform version the S3 backend's `assume_role` block needs. */
export const ASSUME_ROLE_MIN_TERRAFORM = { value: "1.6.0", doc: S3_BACKEND_DOC } as const;

/** Terraform Cloud's host when `backend.hostname` is not set. */
export const CLOUD_HOSTNAME: Default<string> = { value: "app.terraform.io", why: "HCP Terraform", doc: CLOUD_DOC };

/** A Terraform Cloud organization name. https://developer.hashicorp.com/terraform/cloud-docs/users-teams-organizations/organizations */
export const CLOUD_ORGANIZATION = /^[A-Za-z0-9_-]{1,90}$/;

/** Length of a workspace name prefix: workspace names are at most 90 chars; the prefix leaves 30 for `<env>-keys`. https://developer.hashicorp.com/terraform/cloud-docs/workspaces/create */
export const CLOUD_WORKSPACE_PREFIX_LENGTH: Range = {
  min: 0,
  max: 60,
  integer: true,
  unit: "chars",
  doc: "https://developer.hashicorp.com/terraform/cloud-docs/workspaces/create",
};

/** A workspace name prefix: letters, digits, `_` and `-`, at most {@link CLOUD_WORKSPACE_PREFIX_LENGTH}. */
export const CLOUD_WORKSPACE_PREFIX = new RegExp(
  `^[A-Za-z0-9_-]{${CLOUD_WORKSPACE_PREFIX_LENGTH.min},${CLOUD_WORKSPACE_PREFIX_LENGTH.max}}$`,
);

/** The characters of a Terraform Enterprise host name (its length: the rulebook's NAMES.DNS_NAME_LENGTH). https://developer.hashicorp.com/terraform/language/terraform#terraform-cloud */
export const CLOUD_HOSTNAME_PATTERN = /^[a-z0-9.-]+$/;

/**
 * A customer managed KMS key ARN (`key/<uuid>` or multi-Region `key/mrk-<hex>`) or alias ARN (not an
 * AWS managed `alias/aws/...`): what `backend.kmsKeyId` may name.
 * https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#key-id
 */
export const KMS_KEY_OR_ALIAS_ARN =
  /^arn:aws(-cn|-us-gov|-iso|-iso-b)?:kms:[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d:\d{12}:(key\/(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})|alias\/(?!aws\/)[A-Za-z0-9:/_-]{1,250})$/;
