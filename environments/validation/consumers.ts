/** Consumers: S3 buckets, EBS default encryption, FSx for NetApp ONTAP. */
import type { EnvironmentConfig, FsxDeploymentType } from "../types";
import type { ConstraintTable, FieldContext, Violation } from "./engine";
import { duplicates, intIn, isCidr, isObject, isString, LOGICAL_NAME, LOGICAL_NAME_RULE, oneOf, partitionOfRegion } from "./checks";
import { BUCKET_NAME_RULE, isValidBucketName } from "./s3-names";

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** A service-linked role's ARN (IAM puts them under `aws-service-role/<service principal>/`). */
const serviceLinkedRoleArn = (partition: string, account: string) => new RegExp(`^arn:${escape(partition)}:iam::${escape(account)}:role/aws-service-role/[a-z0-9.-]+\\.amazonaws\\.com/[\\w+=,.@-]{1,64}$`);

const SRC_FSX = "FSx for ONTAP CreateFileSystem";

const SRC_SLR_NAME = "IAM CreateServiceLinkedRole: the service sets the role name, only a custom suffix is chosen (https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html)";

/**
 * The name IAM gives the service-linked role of a service that launches EBS volumes, and whether a
 * custom suffix (`<name>_<suffix>`) is documented for it (undefined: not judged). A key policy naming
 * any other role name names a role that does not exist: KMS refuses it (MalformedPolicyDocumentException).
 * Services not listed here are not judged.
 */
export const SERVICE_LINKED_ROLE_NAMES: Readonly<Record<string, { readonly name: string; readonly customSuffix?: boolean }>> = {
  // https://docs.aws.amazon.com/autoscaling/ec2/userguide/autoscaling-service-linked-role.html (custom suffixes documented)
  "autoscaling.amazonaws.com": { name: "AWSServiceRoleForAutoScaling", customSuffix: true },
  // https://docs.aws.amazon.com/eks/latest/userguide/using-service-linked-roles-eks-nodegroups.html
  "eks-nodegroup.amazonaws.com": { name: "AWSServiceRoleForAmazonEKSNodegroup" },
  // https://docs.aws.amazon.com/eks/latest/userguide/using-service-linked-roles-eks.html
  "eks.amazonaws.com": { name: "AWSServiceRoleForAmazonEKS" },
  // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/service-linked-roles-spot-instance-requests.html
  "spot.amazonaws.com": { name: "AWSServiceRoleForEC2Spot" },
  // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/spot-fleet-prerequisites.html
  "spotfleet.amazonaws.com": { name: "AWSServiceRoleForEC2SpotFleet" },
  // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-fleet-prerequisites.html
  "ec2fleet.amazonaws.com": { name: "AWSServiceRoleForEC2Fleet" },
};

/** Service and role name of a service-linked role ARN (`.../role/aws-service-role/<service>/<name>`), or undefined. */
export function serviceLinkedRoleParts(arn: unknown): { service: string; name: string } | undefined {
  const m = isString(arn) ? /:role\/aws-service-role\/([a-z0-9.-]+\.amazonaws\.com)\/([\w+=,.@-]{1,64})$/.exec(arn) : null;
  return m ? { service: m[1], name: m[2] } : undefined;
}

/** Whether the role name is the one IAM gives the service's role (exact case: the key policy names this ARN). */
function serviceLinkedRoleNameOk(v: unknown): boolean {
  const parts = serviceLinkedRoleParts(v);
  const known = parts && SERVICE_LINKED_ROLE_NAMES[parts.service];
  if (!parts || !known) return true;
  if (parts.name === known.name) return true;
  return parts.name.startsWith(`${known.name}_`) && known.customSuffix !== false && parts.name.length > known.name.length + 1;
}

/** Throughput per HA pair (MB/s) allowed for each deployment type. */
export const FSX_THROUGHPUT: Readonly<Record<FsxDeploymentType, readonly number[]>> = {
  SINGLE_AZ_1: [128, 256, 512, 1024, 2048, 4096],
  MULTI_AZ_1: [128, 256, 512, 1024, 2048, 4096],
  SINGLE_AZ_2: [1536, 3072, 6144],
  MULTI_AZ_2: [384, 768, 1536, 3072, 6144],
};

const keyNames = (env: EnvironmentConfig): string[] => (isObject(env.keys) ? Object.keys(env.keys) : []);
const signingKeyNames = (env: EnvironmentConfig): string[] => (isObject(env.signingKeys) ? Object.keys(env.signingKeys) : []);
/** A consumer's key: a symmetric key of `keys`; a signing key is named as such (S3, EBS and FSx encrypt only with symmetric keys). */
const keyRef = (c: FieldContext) => {
  const named = c.parent[c.segments[c.segments.length - 1]];
  const why = isString(named) && signingKeyNames(c.env).includes(named) ? `; "${named}" is a signing key (SIGN_VERIFY), and S3, EBS and FSx encrypt only with symmetric encryption keys` : "";
  return `the name of a key in keys (${keyNames(c.env).join(", ") || "none defined"})${why}`;
};
const deployment = (c: FieldContext): FsxDeploymentType => (c.env.data?.fsx?.deploymentType ?? "MULTI_AZ_1") as FsxDeploymentType;
const multiAz = (c: FieldContext) => deployment(c).startsWith("MULTI_AZ");
const haPairs = (c: FieldContext) => (typeof c.env.data?.fsx?.haPairs === "number" ? c.env.data.fsx.haPairs : 1);
const subnetAzs = (env: EnvironmentConfig): string[] => (Array.isArray(env.network?.subnets) ? env.network.subnets.map((s) => s?.az).filter(isString) : []);

export const consumersTable: ConstraintTable = {
  domain: "consumers",
  fields: [
    { field: "data.buckets.*.bucketName", rule: BUCKET_NAME_RULE, source: "S3 bucket naming rules", required: true, check: isValidBucketName },
    { field: "data.buckets.*.key", rule: keyRef, source: "S3 SSE-KMS", required: true, check: (v, c) => isString(v) && keyNames(c.env).includes(v) },
    { field: "data.ebs.key", rule: keyRef, source: "EC2 ModifyEbsDefaultKmsKeyId", required: true, check: (v, c) => isString(v) && keyNames(c.env).includes(v) },
    // IAM role names are case-insensitive: .../AWSServiceRoleForAutoScaling and .../awsservicerole... are one role.
    { field: "data.ebs.serviceLinkedRoles", rule: "a list of distinct service-linked role ARNs", source: "EC2 Auto Scaling: key policy for EBS encryption", check: (v) => Array.isArray(v) && new Set(v.map((r) => String(r).toLowerCase())).size === v.length },
    {
      field: "data.ebs.serviceLinkedRoles.*",
      rule: (c) => `a service-linked role ARN of this account and partition (arn:${partitionOfRegion(String(c.env.region))}:iam::${c.env.account}:role/aws-service-role/<service>.amazonaws.com/<name>)`,
      source: "EC2 Auto Scaling: key policy for EBS encryption",
      check: (v, c) => isString(v) && serviceLinkedRoleArn(partitionOfRegion(String(c.env.region)), String(c.env.account)).test(v),
    },
    {
      field: "data.ebs.serviceLinkedRoles.*",
      rule: (c) => {
        const parts = serviceLinkedRoleParts(c.parent[c.segments[c.segments.length - 1]]);
        const known = parts ? SERVICE_LINKED_ROLE_NAMES[parts.service] : undefined;
        return known ? `the role name IAM gives the service-linked role of ${parts?.service}: ${known.name}${known.customSuffix !== false ? `, or ${known.name}_<custom suffix>` : ""}, in exactly that case` : "a service-linked role name";
      },
      source: SRC_SLR_NAME,
      check: serviceLinkedRoleNameOk,
    },
    { field: "data.fsx.key", rule: keyRef, source: SRC_FSX, required: true, check: (v, c) => isString(v) && keyNames(c.env).includes(v) },
    { field: "data.fsx.deploymentType", rule: "MULTI_AZ_1, MULTI_AZ_2, SINGLE_AZ_1 or SINGLE_AZ_2", source: SRC_FSX, check: oneOf("MULTI_AZ_1", "MULTI_AZ_2", "SINGLE_AZ_1", "SINGLE_AZ_2") },
    { field: "data.fsx.haPairs", rule: (c) => (multiAz(c) || deployment(c) === "SINGLE_AZ_1" ? `1 for ${deployment(c)}` : "1-12 HA pairs"), source: SRC_FSX, check: (v, c) => (multiAz(c) || deployment(c) === "SINGLE_AZ_1" ? v === 1 : intIn(1, 12)(v)) },
    {
      field: "data.fsx.storageCapacityGiB",
      rule: (c) => `${1024 * haPairs(c)}-${524288 * haPairs(c)} GiB for ${haPairs(c)} HA pair(s)`,
      source: SRC_FSX,
      required: true,
      check: (v, c) => intIn(1024 * haPairs(c), 524288 * haPairs(c))(v),
    },
    {
      field: "data.fsx.throughputPerHaPair",
      rule: (c) => `one of ${FSX_THROUGHPUT[deployment(c)]?.join(", ") ?? "the values for the deployment type"} MB/s for ${deployment(c)}`,
      source: SRC_FSX,
      required: true,
      check: (v, c) => (FSX_THROUGHPUT[deployment(c)] ?? []).includes(v as number),
    },
    {
      field: "data.fsx.subnetAzs",
      rule: (c) => (multiAz(c) ? "exactly 2 distinct AZs for a multi-AZ file system" : "exactly 1 AZ for a single-AZ file system"),
      source: SRC_FSX,
      required: true,
      check: (v, c) => Array.isArray(v) && new Set(v).size === v.length && v.length === (multiAz(c) ? 2 : 1),
    },
    { field: "data.fsx.subnetAzs.*", rule: (c) => `an AZ with a subnet in network.subnets (${subnetAzs(c.env).join(", ")})`, source: SRC_FSX, check: (v, c) => isString(v) && subnetAzs(c.env).includes(v) },
    { field: "data.fsx.preferredAz", rule: "one of data.fsx.subnetAzs", source: SRC_FSX, check: (v, c) => Array.isArray(c.parent.subnetAzs) && c.parent.subnetAzs.includes(v) },
    { field: "data.fsx.automaticBackupRetentionDays", rule: "0-90 days", source: SRC_FSX, check: intIn(0, 90) },
    { field: "data.fsx.clientCidrs.*", rule: "an IPv4 CIDR (network address)", source: "security group rules", check: isCidr },
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
          .map(({ c, i }): Violation => ({ path: `data.fsx.clientCidrs.${i}`, value: c, rule: "a range listed once", source: "EC2 security group rules: a duplicate rule is refused (InvalidPermission.Duplicate)" }));
      },
    },
    {
      description: "bucket logical names are identifiers",
      source: "construct ids",
      check: (env) =>
        Object.keys(isObject(env.data?.buckets) ? env.data.buckets : {})
          .filter((name) => !LOGICAL_NAME.test(name))
          .map((name): Violation => ({ path: `data.buckets.${name}`, value: name, rule: `a bucket name in this map that is ${LOGICAL_NAME_RULE}`, source: "construct ids" })),
    },
    {
      description: "bucket names are unique",
      source: "S3 bucket names are globally unique",
      check: (env) => {
        const entries = Object.entries(isObject(env.data?.buckets) ? env.data.buckets : {}).filter(([, b]) => isObject(b));
        const dup = new Set(duplicates(entries.map(([, b]) => b.bucketName)));
        return entries.filter(([, b]) => dup.has(b.bucketName)).map(([name, b]): Violation => ({ path: `data.buckets.${name}.bucketName`, value: b.bucketName, rule: "a name no other bucket uses", source: "S3 bucket names are globally unique" }));
      },
    },
  ],
};
