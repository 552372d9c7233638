/**
 * Which resources bear keys or data, and what losing each one costs. The table is the guard's
 * memory of AWS: every entry says why a delete, replacement or forget of that type loses data or
 * makes keys unusable.
 */
import type { ResourceChange } from "./plan-json";
import type { GuardAction } from "./model";
import { actionOf, valuesOf, type PlanIndex } from "./plan-index";
import { holdsCredential } from "./secrets";
import { xksRole } from "./xks";

/** A key- or data-bearing resource: what it is and what its loss costs. */
export interface KeyBearing {
  /** Short name, e.g. "KMS key". */
  readonly what: string;
  /** The consequence of losing it. */
  readonly loss: string;
}

/** KMS key types (customer, imported, replicas). */
export const KMS_KEY_TYPES = [
  "aws_kms_key",
  "aws_kms_external_key",
  "aws_kms_replica_key",
  "aws_kms_replica_external_key",
] as const;

const KEY_LOSS =
  "KMS schedules the key for deletion, and when the window ends every byte encrypted under it (S3 objects, EBS volumes, FSx data, data keys) can never be decrypted again";

const FIXED: Record<string, KeyBearing> = {
  aws_kms_key: {
    what: "KMS key",
    loss: `${KEY_LOSS}; a key in an external key store cannot be recreated even from the same external key`,
  },
  aws_kms_external_key: {
    what: "imported (BYOK) KMS key",
    loss: `${KEY_LOSS}; re-importing needs the original key material, which must still exist outside AWS`,
  },
  aws_kms_replica_key: {
    what: "KMS replica key",
    loss: `data encrypted under the replica in its Region can no longer be decrypted there once deleted; ${KEY_LOSS}`,
  },
  aws_kms_replica_external_key: {
    what: "KMS replica of an imported key",
    loss: `data encrypted under the replica in its Region can no longer be decrypted there once deleted; ${KEY_LOSS}`,
  },
  aws_kms_custom_key_store: {
    what: "KMS custom key store",
    loss: "every KMS key in the store becomes unusable (and the provider's delete ignores errors, so a failed delete silently drops the store from state); keys in an external key store cannot be recreated",
  },
  aws_cloudhsm_v2_cluster: {
    what: "CloudHSM cluster",
    loss: "the HSMs holding the key material of the CloudHSM key store go with it; its keys become unusable",
  },
  aws_cloudhsm_v2_hsm: {
    what: "CloudHSM HSM",
    loss: "the key store needs at least 2 active HSMs in different AZs; the HSM holds a copy of the key material",
  },
  aws_s3_bucket: {
    what: "S3 bucket",
    loss: "the bucket and its objects are deleted (or the name is lost to anyone who claims it)",
  },
  aws_s3_directory_bucket: { what: "S3 directory bucket", loss: "the bucket and its objects are deleted" },
  aws_ebs_volume: { what: "EBS volume", loss: "the volume and its data are deleted" },
  aws_fsx_ontap_volume: { what: "FSx for ONTAP volume", loss: "the volume and its data are deleted" },
  aws_fsx_openzfs_volume: { what: "FSx for OpenZFS volume", loss: "the volume and its data are deleted" },
};

const FSX_FILE_SYSTEM = /^aws_fsx_[a-z0-9_]*file_system$/;

/** Key ids/ARNs of KMS keys in this plan, with what the plan does to each. */
const keyActions = new WeakMap<PlanIndex, Map<string, GuardAction>>();

function keyActionsOf(idx: PlanIndex): Map<string, GuardAction> {
  let m = keyActions.get(idx);
  if (!m) {
    m = new Map();
    for (const k of idx.ofTypes(...KMS_KEY_TYPES)) {
      const a = actionOf(k.change.actions);
      for (const v of [valuesOf(k.change.before), valuesOf(k.change.after)])
        for (const id of [v.id, v.key_id, v.arn]) if (typeof id === "string") m.set(id, a);
      m.set(k.address, a);
    }
    keyActions.set(idx, m);
  }
  return m;
}

/**
 * An alias is "in use" when the key it points to stays: applications, other stacks and encryption
 * settings reach that key by the alias name. When the key itself goes in the same plan, the key's
 * own finding covers the loss and the alias is only reported as risky.
 */
export function aliasInUse(rc: ResourceChange, idx: PlanIndex): boolean {
  const actions = keyActionsOf(idx);
  const target = valuesOf(rc.change.before).target_key_id ?? valuesOf(rc.change.after).target_key_id;
  let keyAction = typeof target === "string" ? actions.get(target) : undefined;
  if (!keyAction) {
    const ref = idx.references(rc.address).find((r) => r.via === "target_key_id" && r.target);
    keyAction = ref?.target ? actions.get(ref.target) : undefined;
  }
  return !(keyAction === "delete" || keyAction === "replace" || keyAction === "forget");
}

/** Whether a resource bears keys or data; `undefined` for everything else. */
export function keyBearing(rc: ResourceChange, idx: PlanIndex): KeyBearing | undefined {
  const fixed = FIXED[rc.type];
  if (fixed) return fixed;
  if (FSX_FILE_SYSTEM.test(rc.type))
    return {
      what: "FSx file system",
      loss: "the file system and all its data are deleted (a final backup is optional and not the default for every type)",
    };
  if (rc.type === "aws_kms_alias" && aliasInUse(rc, idx)) {
    return {
      what: "KMS alias in use",
      loss: "everything that names the key by this alias (applications, encryption settings, other stacks) fails at once",
    };
  }
  if (
    (rc.type === "aws_secretsmanager_secret" || rc.type === "aws_secretsmanager_secret_version") &&
    holdsCredential(rc, idx)
  ) {
    return {
      what: "secret holding a key-store or HSM credential",
      loss: "without the kmsuser/crypto-officer password or XKS credential the key store cannot connect again and its keys stay unusable",
    };
  }
  const xks = xksRole(rc, idx);
  const unreachable =
    "KMS can no longer reach the external key store proxy: every key in the external key store is unusable at once";
  if (xks === "service") return { what: "XKS VPC endpoint service", loss: unreachable };
  if (xks === "nlb") return { what: "network load balancer of the XKS endpoint service", loss: unreachable };
  if (xks === "listener") return { what: "listener of the XKS network load balancer", loss: unreachable };
  if (xks === "target-group") return { what: "target group of the XKS listener", loss: unreachable };
  if (xks === "principal")
    return {
      what: "KMS's allowed principal on the XKS endpoint service",
      loss: `without it KMS cannot connect to the endpoint service (XKS_VPC_ENDPOINT_SERVICE_NOT_FOUND); ${unreachable}`,
    };
  return undefined;
}

/** Types the summary watches even when nothing about them blocks: key wiring and encryption settings. */
/**
 * What carries a VPC's traffic to the data centre: an external key store's proxies sit behind it, so
 * deleting or replacing one makes KMS fail with XKS_PROXY_NOT_REACHABLE
 * (https://docs.aws.amazon.com/kms/latest/developerguide/xks-connectivity.html). Risky, not blocked:
 * the guard cannot tell from a plan alone which routes the proxies' addresses use.
 */
export const ON_PREMISES_ROUTE_TYPES = [
  "aws_ec2_transit_gateway_vpc_attachment",
  "aws_vpn_gateway_attachment",
  "aws_vpn_gateway_route_propagation",
] as const;

export const WATCHED_TYPES = new Set<string>([
  ...KMS_KEY_TYPES,
  "aws_kms_alias",
  "aws_kms_key_policy",
  "aws_kms_grant",
  "aws_kms_custom_key_store",
  "aws_cloudhsm_v2_cluster",
  "aws_cloudhsm_v2_hsm",
  "aws_ebs_default_kms_key",
  "aws_ebs_encryption_by_default",
  "aws_s3_bucket_server_side_encryption_configuration",
  "aws_vpc_endpoint_service",
  "aws_vpc_endpoint_service_allowed_principal",
  "aws_s3_bucket_versioning",
  "aws_s3_bucket_lifecycle_configuration",
  "aws_s3_bucket_public_access_block",
  "aws_s3_bucket_policy",
  ...ON_PREMISES_ROUTE_TYPES,
]);

/**
 * The warning path of docs/alarms.md: the alarms, their topic and its policy and subscriptions,
 * and the schedule of the CloudHSM health check. Removing or changing them does not lose a key,
 * but the next failure arrives unannounced: reported as risky (creating them is not).
 */
export const ALARM_TYPES = new Set<string>([
  "aws_cloudwatch_metric_alarm",
  "aws_sns_topic",
  "aws_sns_topic_policy",
  "aws_sns_topic_subscription",
  "aws_cloudwatch_event_rule",
  "aws_cloudwatch_event_target",
]);

/** Types drawn as keys in the summary's diagram (what consumers depend on). */
export function isKeyLike(type: string): boolean {
  return (
    (KMS_KEY_TYPES as readonly string[]).includes(type) ||
    type === "aws_kms_alias" ||
    type === "aws_kms_custom_key_store" ||
    type === "aws_cloudhsm_v2_cluster"
  );
}
