/**
 * The names an environment's stacks give to resources that AWS (or the state backend) keeps unique
 * beyond one stack: per account and Region, per account (IAM), or everywhere (S3 buckets). Each is
 * listed with the configuration field it comes from: the user's own field (an alias, a bucket
 * name), or `name` for the names the stacks derive from the environment name (the alarm topic's
 * key alias, the load balancer...). `across.ts` refuses two uses of one name; the AWS naming rules
 * of the derived names are checked here (`derivedNameProblems`).
 *
 * The derived names mirror the constructs (modules/keystores/xks-proxy-endpoint.ts,
 * modules/alarms/alarm-topic.ts, modules/hooks/hook-runtime.ts, modules/cloudhsm/...): a test
 * compares them with the names in the synthesized stacks (test/environments/validation/names.test.ts).
 *
 * Audit of the derived names against each type's AWS rule, for the longest environment name
 * ({@link NAMES.ENVIRONMENT_NAME_LENGTH}.max of `[a-z][a-z0-9-]`). Where the rulebook has the rule:
 * load balancer `<name>-xks` and target group `<name>-xks-proxies` ({@link NAMES.ELB_NAME_LENGTH}:
 * the target group reaches it exactly, test/environments/validation/names.test.ts; a load balancer
 * may not start with {@link NAMES.ELB_RESERVED_PREFIX}: refused here); IAM role and instance profile
 * `<name>-hooks`, `<name>-cloudhsm-admin` ({@link IAM.NAME_LENGTH}); Lambda function `<name>-hooks`
 * ({@link HOOKS.LAMBDA_FUNCTION_NAME_MAX}); log group names ({@link CLOUDWATCH.LOG_GROUP_NAME}); KMS
 * alias `alias/<name>-kms-alarms` ({@link KMS.ALIAS_NAME_LENGTH}); Terraform Cloud workspace
 * `<prefix><name>-keys` ({@link STATE_BACKEND.CLOUD_WORKSPACE_PREFIX_LENGTH}). Names of types the
 * rulebook has no rule for stay far below AWS's limits: EventBridge rule `<name>-kms-cloudhsm-health`
 * (40 of 64, https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html), SNS topic
 * `<name>-kms-alarms` (31 of 256, https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html),
 * alarm, secret and SSM parameter names (limits of 255 and more). Only the `internal-` prefix can break.
 */
import { EBS, NAMES, STATE_BACKEND } from "@cmk-stacks/aws-limits";
import type { EnvironmentConfig } from "../types";
import type { Violation } from "./engine";
import { isObject, isString, partitionOfRegion } from "./checks";

/** One use of a unique name. */
export interface NameUse {
  /** What kind of name (shown in the message), e.g. `KMS alias`. */
  readonly kind: string;
  /** Where the name must be unique, as a key (`<account>/<region>`, `global`...); uses compare within one scope. */
  readonly scope: string;
  /** The scope as the message says it, e.g. `account 111111111111, Region eu-west-1`. */
  readonly scopeText: string;
  /** The name as created. */
  readonly name: string;
  /** Compared without case (IAM names). @default false */
  readonly caseInsensitive?: boolean;
  /** Configuration field, relative to the environment. */
  readonly path: string;
  /** The value at `path`. */
  readonly value: unknown;
  /** Derived by the stacks from the environment name (not written by the user). */
  readonly derived: boolean;
  /** Why the name must be unique (AWS API and documentation). */
  readonly source: string;
}

const SRC_ALIAS = "KMS CreateAlias: alias names are unique per account and Region";
const SRC_STORE = "KMS CreateCustomKeyStore: names are unique per account and Region";
const SRC_BUCKET = "S3 bucket names are globally unique";
const SRC_DNS = "VPC endpoint service private DNS names are unique";
const SRC_ELB =
  "ELB CreateLoadBalancer / CreateTargetGroup Name: unique per account and Region (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html)";
const SRC_IAM =
  "IAM CreateRole / CreateInstanceProfile: names are unique per account, whatever the Region, and compared without case (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html)";
const SRC_REGIONAL =
  "unique per account and Region: Lambda CreateFunction, CloudWatch Logs CreateLogGroup, SNS CreateTopic, CloudWatch PutMetricAlarm, EventBridge PutRule, Secrets Manager CreateSecret, SSM PutParameter";
const SRC_SLR =
  "IAM CreateServiceLinkedRole: a role that exists is refused (InvalidInput), role names compared without case (https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html)";
const SRC_EBS =
  "EC2 ModifyEbsDefaultKmsKeyId / EnableEbsEncryptionByDefault: one setting per account and Region, so each environment's apply would undo the other's (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyEbsDefaultKmsKeyId.html)";
const SRC_ENDPOINTS =
  "AWS PrivateLink: an interface endpoint's private DNS name can be enabled once per VPC, so a second endpoint for the same service with private DNS is refused (https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-access-aws-services.html)";
const SRC_WORKSPACE =
  "Terraform Cloud: workspace names are unique per organization; two stacks in one workspace overwrite each other's state";
const SRC_STATE = "S3 backend: one state object per key; two stacks on one key overwrite each other's state";

const entries = (v: unknown): [string, Record<string, unknown>][] =>
  isObject(v) ? (Object.entries(v).filter(([, x]) => isObject(x)) as [string, Record<string, unknown>][]) : [];

/** Every unique name the stacks of `env` create, with the field it comes from. */
export function namesOf(env: EnvironmentConfig): NameUse[] {
  const e = env as unknown as Record<string, unknown>;
  const account = String(env.account);
  const region = String(env.region);
  const regional = `${account}/${region}`;
  const regionalText = `account ${account}, Region ${region}`;
  const out: NameUse[] = [];
  const user = (
    kind: string,
    path: string,
    value: unknown,
    scope: string,
    scopeText: string,
    source: string,
    caseInsensitive = false,
  ) => {
    if (isString(value))
      out.push({ kind, scope, scopeText, name: value, path, value, derived: false, source, caseInsensitive });
  };
  const derived = (
    kind: string,
    name: string,
    scope: string,
    scopeText: string,
    source: string,
    caseInsensitive = false,
  ) =>
    out.push({ kind, scope, scopeText, name, path: "name", value: env.name, derived: true, source, caseInsensitive });

  for (const [k, key] of entries(e.keys)) {
    user("KMS alias", `keys.${k}.alias`, key.alias, regional, regionalText, SRC_ALIAS);
    if (Array.isArray(key.aliases))
      key.aliases.forEach((a: unknown, i: number) =>
        user("KMS alias", `keys.${k}.aliases.${i}`, a, regional, regionalText, SRC_ALIAS),
      );
    // A multi-Region key's replicas carry its aliases in their own Regions (names are per account and Region).
    if (key.multiRegion === true && Array.isArray(key.replicaRegions))
      key.replicaRegions.forEach((r: unknown, j: number) => {
        if (!isString(r) || r === region) return;
        const names = [key.alias, ...(Array.isArray(key.aliases) ? key.aliases : [])];
        for (const a of names)
          user(
            "KMS alias",
            `keys.${k}.replicaRegions.${j}`,
            a,
            `${account}/${r}`,
            `account ${account}, Region ${r}`,
            SRC_ALIAS,
          );
      });
  }
  for (const [k, key] of entries(e.signingKeys))
    user("KMS alias", `signingKeys.${k}.alias`, key.alias, regional, regionalText, SRC_ALIAS);
  for (const [k, key] of entries(e.macKeys))
    user("KMS alias", `macKeys.${k}.alias`, key.alias, regional, regionalText, SRC_ALIAS);
  for (const s of ["cloudHsm", "xks"])
    if (isObject(e[s]))
      user(
        "custom key store name",
        `${s}.keyStoreName`,
        (e[s] as Record<string, unknown>).keyStoreName,
        regional,
        regionalText,
        SRC_STORE,
      );
  for (const [b, bucket] of entries(env.data?.buckets))
    user("S3 bucket name", `data.buckets.${b}.bucketName`, bucket.bucketName, "global", "all of AWS", SRC_BUCKET);
  if (isObject(env.xks))
    user(
      "endpoint service private DNS name",
      "xks.privateDnsName",
      env.xks.privateDnsName,
      "global",
      "all of AWS",
      SRC_DNS,
    );

  const ebs = env.data?.ebs;
  if (isObject(ebs)) {
    out.push({
      kind: "EBS default key setting",
      scope: regional,
      scopeText: regionalText,
      name: "EBS encryption by default",
      path: "data.ebs",
      value: ebs.key,
      derived: false,
      source: SRC_EBS,
    });
    if (ebs.createServiceLinkedRoles === true) {
      const roles = Array.isArray(ebs.serviceLinkedRoles)
        ? ebs.serviceLinkedRoles
        : isString(env.region)
          ? EBS.defaultServiceLinkedRoleArns(partitionOfRegion(env.region), account)
          : [];
      roles.forEach((r, i) => {
        if (!isString(r)) return;
        const path = Array.isArray(ebs.serviceLinkedRoles)
          ? `data.ebs.serviceLinkedRoles.${i}`
          : "data.ebs.createServiceLinkedRoles";
        out.push({
          kind: "service-linked role",
          scope: account,
          scopeText: `account ${account}`,
          name: r.slice(r.lastIndexOf("/") + 1),
          path,
          value: Array.isArray(ebs.serviceLinkedRoles) ? r : true,
          derived: false,
          source: SRC_SLR,
          caseInsensitive: true,
        });
      });
    }
  }

  // A CloudHSM environment puts interface endpoints with private DNS (ssm, ssmmessages, ec2messages,
  // secretsmanager; kms and cloudhsmv2 with Lambda hooks) and an S3 gateway endpoint into its VPC
  // (modules/network/service-endpoints.ts). In an existing VPC shared by two environments the second
  // set is refused: a private DNS name is enabled once per VPC.
  const network = env.network as Record<string, unknown> | undefined;
  if (isObject(env.cloudHsm) && isObject(network) && network.mode === "existing" && isString(network.vpcId)) {
    out.push({
      kind: "VPC for the CloudHSM service endpoints",
      scope: regional,
      scopeText: regionalText,
      name: network.vpcId,
      path: "network.vpcId",
      value: network.vpcId,
      derived: false,
      source: SRC_ENDPOINTS,
    });
  }

  const backend = env.backend as Record<string, unknown> | undefined;
  if (isString(env.name) && isObject(backend)) {
    for (const stack of [`${env.name}-keys`, `${env.name}-data`]) {
      if (backend.type === "cloud" && isString(backend.organization)) {
        const host = isString(backend.hostname) ? backend.hostname : STATE_BACKEND.CLOUD_HOSTNAME.value;
        const workspace = `${isString(backend.workspacePrefix) ? backend.workspacePrefix : ""}${stack}`;
        // Compared without case (organization and workspace): the safe side, two names that differ only in case are one mistake away from one workspace.
        out.push({
          kind: "Terraform Cloud workspace",
          scope: `${host}/${backend.organization.toLowerCase()}`,
          scopeText: `organization ${backend.organization} on ${host}`,
          name: workspace,
          path: "backend",
          value: workspace,
          derived: false,
          source: SRC_WORKSPACE,
          caseInsensitive: true,
        });
      }
      if (backend.type === "s3" && isString(backend.bucket)) {
        const key = STATE_BACKEND.stateKey(stack, isString(backend.keyPrefix) ? backend.keyPrefix : undefined);
        out.push({
          kind: "S3 state object",
          scope: `s3://${backend.bucket}`,
          scopeText: `bucket ${backend.bucket}`,
          name: key,
          path: "backend",
          value: key,
          derived: false,
          source: SRC_STATE,
        });
      }
    }
  }

  if (!isString(env.name)) return out;
  const n = env.name;
  const lambda = isObject(env.hooks) && env.hooks.runner === "lambda";
  if (isObject(env.alarms)) {
    derived("KMS alias", `alias/${n}-kms-alarms`, regional, regionalText, SRC_ALIAS);
    derived("SNS topic", `${n}-kms-alarms`, regional, regionalText, SRC_REGIONAL);
  }
  if (isObject(env.xks)) {
    derived("load balancer name", `${n}-xks`, regional, regionalText, SRC_ELB);
    derived("target group name", `${n}-xks-proxies`, regional, regionalText, SRC_ELB);
  }
  if (lambda) {
    derived("IAM role name", `${n}-hooks`, account, `account ${account}`, SRC_IAM, true);
    derived("Lambda function name", `${n}-hooks`, regional, regionalText, SRC_REGIONAL);
    derived("log group name", `/aws/lambda/${n}-hooks`, regional, regionalText, SRC_REGIONAL);
  }
  if (isObject(env.cloudHsm)) {
    derived("IAM role name", `${n}-cloudhsm-admin`, account, `account ${account}`, SRC_IAM, true);
    derived("IAM instance profile name", `${n}-cloudhsm-admin`, account, `account ${account}`, SRC_IAM, true);
    for (const s of ["admin-password", "kmsuser-password"])
      derived("secret name", `${n}/cloudhsm/${s}`, regional, regionalText, SRC_REGIONAL);
    if (isObject(env.cloudHsm.trust) && env.cloudHsm.trust.mode === "provided")
      for (const p of ["cluster-certificate", "trust-anchor"])
        derived("SSM parameter name", `/${n}/cloudhsm/${p}`, regional, regionalText, SRC_REGIONAL);
    if (isObject(env.alarms))
      derived("EventBridge rule name", `${n}-kms-cloudhsm-health`, regional, regionalText, SRC_REGIONAL);
  }
  // The XKS certificate check runs only in the hook function (modules/alarms/xks-certificate-check.ts).
  const xksCertificateCheck = isObject(env.alarms) && isObject(env.xks) && lambda;
  if (xksCertificateCheck)
    derived("EventBridge rule name", `${n}-kms-xks-certificate`, regional, regionalText, SRC_REGIONAL);
  // CloudWatch alarms: the topic's prefix `<name>-kms-` when alarms are on (modules/alarms/).
  const alarmNames: string[] = [];
  if (isObject(env.alarms)) {
    alarmNames.push("kms-request-quota");
    if (isObject(env.xks))
      for (const a of [
        "throttled",
        "certificate-expiry",
        "credential-age",
        "latency",
        "retryable-errors",
        "non-retryable-errors",
        "key-manager-degraded",
        "key-manager-unavailable",
      ])
        alarmNames.push(`kms-xks-${a}`);
    if (xksCertificateCheck) alarmNames.push("kms-xks-certificate-checked");
    if (isObject(env.cloudHsm))
      for (const a of ["throttled", "store-not-connected", "active-hsms"]) alarmNames.push(`kms-cloudhsm-${a}`);
  }
  for (const [k, key] of entries(e.keys))
    if (key.origin === "external" && key.keyMaterialValidityDays !== undefined)
      alarmNames.push(`${isObject(env.alarms) ? "kms-" : ""}key-${k}-material-expiry`);
  for (const a of alarmNames) derived("CloudWatch alarm name", `${n}-${a}`, regional, regionalText, SRC_REGIONAL);
  if (isObject(env.data?.fsx))
    derived("secret name", `${n}/fsx-ontap/fsxadmin-password`, regional, regionalText, SRC_REGIONAL);
  return out;
}

/** AWS's name rules applied to the names derived from the environment name (reported on `name`). */
export function derivedNameProblems(env: EnvironmentConfig): Violation[] {
  const out: Violation[] = [];
  for (const use of namesOf(env).filter((u) => u.derived)) {
    const elb = use.kind === "load balancer name" || use.kind === "target group name";
    const problem = elb ? NAMES.elbNameProblem(use.name, use.kind === "load balancer name") : undefined;
    if (problem)
      out.push({
        path: "name",
        value: env.name,
        rule: `a name whose ${use.kind} "${use.name}" AWS accepts: ${problem}`,
        source: SRC_ELB,
      });
  }
  return out;
}
