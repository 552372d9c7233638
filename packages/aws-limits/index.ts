/**
 * @cmk-stacks/aws-limits: every AWS limit, pattern and default this project checks, once, with its
 * AWS documentation link, in one file per service. Everything else (the schema, the validation
 * tables, the constructs, the hook contract, xks-check) reads it from here.
 */
export * from "./rule";
export * as CLOUDHSM from "./cloudhsm";
export * as KMS from "./kms";
export * as XKS from "./xks";
export * as SECRETS_MANAGER from "./secrets-manager";
export * as S3 from "./s3";
export * as FSX from "./fsx";
export * as EBS from "./ebs";
export * as IAM from "./iam";
export * as NETWORK from "./network";
export * as CLOUDWATCH from "./cloudwatch";
export * as HOOKS from "./hooks";
export * as STATE_BACKEND from "./state-backend";
export * as NAMES from "./names";
export * as TAGGING from "./tagging";
export * as SERVICE_LINKED_ROLES from "./service-linked-roles";
export * as CLOUDTRAIL from "./cloudtrail";
