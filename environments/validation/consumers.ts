/** Consumers: S3 buckets, EBS default encryption, FSx for NetApp ONTAP. */
import { FSX, inRange, S3, SERVICE_LINKED_ROLES } from "@cmk-stacks/aws-limits";
import type { EnvironmentConfig, FsxDeploymentType } from "../types";
import type { ConstraintTable, FieldContext, Violation } from "./engine";
import {
  duplicates,
  isCidr,
  isObject,
  isString,
  LOGICAL_NAME,
  LOGICAL_NAME_RULE,
  oneOf,
  partitionOfRegion,
} from "./checks";

const SRC_FSX = "FSx for ONTAP CreateFileSystem";

const SRC_SLR_NAME =
  "IAM CreateServiceLinkedRole: the service sets the role name, only a custom suffix is chosen (https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html)";

const keyNames = (env: EnvironmentConfig): string[] => (isObject(env.keys) ? Object.keys(env.keys) : []);
const signingKeyNames = (env: EnvironmentConfig): string[] =>
  isObject(env.signingKeys) ? Object.keys(env.signingKeys) : [];
const macKeyNames = (env: EnvironmentConfig): string[] => (isObject(env.macKeys) ? Object.keys(env.macKeys) : []);
/** A consumer's key: a symmetric key of `keys`; a signing key is named as such (S3, EBS and FSx encrypt only with symmetric keys). */
const keyRef = (c: FieldContext) => {
  const named = c.parent[c.segments[c.segments.length - 1]];
  const why =
    isString(named) && signingKeyNames(c.env).includes(named)
      ? `; "${named}" is a signing key (SIGN_VERIFY), and S3, EBS and FSx encrypt only with symmetric encryption keys`
      : isString(named) && macKeyNames(c.env).includes(named)
        ? `; "${named}" is an HMAC key (GENERATE_VERIFY_MAC), and S3, EBS and FSx encrypt only with symmetric encryption keys`
        : "";
  return `the name of a key in keys (${keyNames(c.env).join(", ") || "none defined"})${why}`;
};
const deployment = (c: FieldContext): FsxDeploymentType =>
  (c.env.data?.fsx?.deploymentType ?? FSX.DEPLOYMENT_TYPE.value) as FsxDeploymentType;
const multiAz = (c: FieldContext) => FSX.isMultiAz(deployment(c));
const haPairs = (c: FieldContext) =>
  typeof c.env.data?.fsx?.haPairs === "number" ? c.env.data.fsx.haPairs : FSX.HA_PAIRS_DEFAULT.value;
const haPairsWords = (c: FieldContext) => {
  const r = FSX.haPairsRange(deployment(c));
  return r.min === r.max ? `${r.min} for ${deployment(c)}` : `${r.min}-${r.max} HA pairs`;
};
const capacityWords = (c: FieldContext) => {
  const r = FSX.storageCapacityRange(haPairs(c));
  return `${r.min}-${r.max} ${r.unit} for ${haPairs(c)} HA pair(s)`;
};
const backupDays = FSX.AUTOMATIC_BACKUP_RETENTION_DAYS;
/** A service-linked role's name, in words, as IAM gives it to the role's service. */
const serviceLinkedRoleNameWords = (c: FieldContext) => {
  const parts = SERVICE_LINKED_ROLES.arnParts(c.parent[c.segments[c.segments.length - 1]]);
  const allowed = parts ? SERVICE_LINKED_ROLES.allowedRoleNames(parts.service) : undefined;
  return allowed
    ? `the role name IAM gives the service-linked role of ${parts?.service}: ${allowed}, in exactly that case`
    : "a service-linked role name";
};
/** Whether the role name is the one IAM gives the service's role (unknown services and malformed ARNs are not judged here). */
const serviceLinkedRoleNameOk = (v: unknown): boolean => {
  const parts = SERVICE_LINKED_ROLES.arnParts(v);
  return !parts || SERVICE_LINKED_ROLES.roleNameAllowed(parts.service, parts.name);
};
const subnetAzs = (env: EnvironmentConfig): string[] =>
  Array.isArray(env.network?.subnets) ? env.network.subnets.map((s) => s?.az).filter(isString) : [];

export const consumersTable: ConstraintTable = {
  domain: "consumers",
  fields: [
    {
      field: "data.buckets.*.bucketName",
      rule: S3.BUCKET_NAME_RULE,
      source: "S3 bucket naming rules",
      required: true,
      check: S3.isValidBucketName,
    },
    {
      field: "data.buckets.*.key",
      rule: keyRef,
      source: "S3 SSE-KMS",
      required: true,
      check: (v, c) => isString(v) && keyNames(c.env).includes(v),
    },
    {
      field: "data.ebs.key",
      rule: keyRef,
      source: "EC2 ModifyEbsDefaultKmsKeyId",
      required: true,
      check: (v, c) => isString(v) && keyNames(c.env).includes(v),
    },
    // IAM role names are case-insensitive: .../AWSServiceRoleForAutoScaling and .../awsservicerole... are one role.
    {
      field: "data.ebs.serviceLinkedRoles",
      rule: "a list of distinct service-linked role ARNs",
      source: "EC2 Auto Scaling: key policy for EBS encryption",
      check: (v) => Array.isArray(v) && new Set(v.map((r) => String(r).toLowerCase())).size === v.length,
    },
    {
      field: "data.ebs.serviceLinkedRoles.*",
      rule: (c) =>
        `a service-linked role ARN of this account and partition (arn:${partitionOfRegion(String(c.env.region))}:iam::${c.env.account}:role/aws-service-role/<service>.amazonaws.com/<name>)`,
      source: "EC2 Auto Scaling: key policy for EBS encryption",
      check: (v, c) =>
        isString(v) &&
        SERVICE_LINKED_ROLES.arnOf(partitionOfRegion(String(c.env.region)), String(c.env.account)).test(v),
    },
    {
      field: "data.ebs.serviceLinkedRoles.*",
      rule: serviceLinkedRoleNameWords,
      source: SRC_SLR_NAME,
      check: serviceLinkedRoleNameOk,
    },
    {
      field: "data.fsx.key",
      rule: keyRef,
      source: SRC_FSX,
      required: true,
      check: (v, c) => isString(v) && keyNames(c.env).includes(v),
    },
    {
      field: "data.fsx.deploymentType",
      rule: FSX.DEPLOYMENT_TYPE_WORDS,
      source: SRC_FSX,
      check: oneOf(...FSX.DEPLOYMENT_TYPES),
    },
    {
      field: "data.fsx.haPairs",
      rule: haPairsWords,
      source: SRC_FSX,
      check: (v, c) => FSX.haPairsAllowed(deployment(c), v),
    },
    {
      field: "data.fsx.storageCapacityGiB",
      rule: capacityWords,
      source: SRC_FSX,
      required: true,
      // Its range follows haPairs: a refused haPairs (reported there) gives it none.
      when: (c) => FSX.haPairsAllowed(deployment(c), haPairs(c)),
      check: (v, c) => FSX.storageCapacityAllowed(haPairs(c), v),
    },
    {
      field: "data.fsx.throughputPerHaPair",
      rule: (c) =>
        `one of ${FSX.THROUGHPUT_PER_HA_PAIR[deployment(c)]?.join(", ") ?? "the values for the deployment type"} MB/s for ${deployment(c)}`,
      source: SRC_FSX,
      required: true,
      check: (v, c) => FSX.throughputAllowed(deployment(c), v),
    },
    {
      field: "data.fsx.subnetAzs",
      rule: (c) =>
        multiAz(c)
          ? `exactly ${FSX.subnetAzCount(deployment(c))} distinct AZs for a multi-AZ file system`
          : `exactly ${FSX.subnetAzCount(deployment(c))} AZ for a single-AZ file system`,
      source: SRC_FSX,
      required: true,
      check: (v, c) =>
        Array.isArray(v) && new Set(v).size === v.length && v.length === FSX.subnetAzCount(deployment(c)),
    },
    {
      field: "data.fsx.subnetAzs.*",
      rule: (c) => `an AZ with a subnet in network.subnets (${subnetAzs(c.env).join(", ")})`,
      source: SRC_FSX,
      check: (v, c) => isString(v) && subnetAzs(c.env).includes(v),
    },
    {
      field: "data.fsx.preferredAz",
      rule: "one of data.fsx.subnetAzs",
      source: SRC_FSX,
      check: (v, c) => Array.isArray(c.parent.subnetAzs) && c.parent.subnetAzs.includes(v),
    },
    {
      field: "data.fsx.automaticBackupRetentionDays",
      rule: `${backupDays.min}-${backupDays.max} ${backupDays.unit}`,
      source: SRC_FSX,
      check: (v) => typeof v === "number" && inRange(backupDays, v),
    },
    {
      field: "data.fsx.clientCidrs.*",
      rule: "an IPv4 CIDR (network address)",
      source: "security group rules",
      check: isCidr,
    },
  ],
  cross: [
    {
      description: "FSx client ranges are listed once",
      source: "EC2 security group rules: a duplicate rule is refused (InvalidPermission.Duplicate)",
      check: (env) => {
        const list = Array.isArray(env.data?.fsx?.clientCidrs) ? env.data.fsx.clientCidrs : [];
        return list
          .map((c, i) => ({ c, i }))
          .filter(({ c, i }) => list.indexOf(c) !== i)
          .map(({ c, i }): Violation => ({
            path: `data.fsx.clientCidrs.${i}`,
            value: c,
            rule: "a range listed once",
            source: "EC2 security group rules: a duplicate rule is refused (InvalidPermission.Duplicate)",
          }));
      },
    },
    {
      description: "bucket logical names are identifiers",
      source: "construct ids",
      check: (env) =>
        Object.keys(isObject(env.data?.buckets) ? env.data.buckets : {})
          .filter((name) => !LOGICAL_NAME.test(name))
          .map((name): Violation => ({
            path: `data.buckets.${name}`,
            value: name,
            rule: `a bucket name in this map that is ${LOGICAL_NAME_RULE}`,
            source: "construct ids",
          })),
    },
    {
      description: "bucket names are unique",
      source: "S3 bucket names are globally unique",
      check: (env) => {
        const entries = Object.entries(isObject(env.data?.buckets) ? env.data.buckets : {}).filter(([, b]) =>
          isObject(b),
        );
        const dup = new Set(duplicates(entries.map(([, b]) => b.bucketName)));
        return entries
          .filter(([, b]) => dup.has(b.bucketName))
          .map(([name, b]): Violation => ({
            path: `data.buckets.${name}.bucketName`,
            value: b.bucketName,
            rule: "a name no other bucket uses",
            source: "S3 bucket names are globally unique",
          }));
      },
    },
  ],
};
