import { Construct } from "constructs";
import { CLOUDHSM, inRange } from "@cmk-stacks/aws-limits";
import { TerraformStack, type ITerraformDependable, type TerraformResource } from "cdktf";
import { CloudhsmV2Cluster } from "@cdktf/provider-aws/lib/cloudhsm-v2-cluster";
import { CloudhsmV2Hsm } from "@cdktf/provider-aws/lib/cloudhsm-v2-hsm";
import { DataAwsCloudhsmV2Cluster } from "@cdktf/provider-aws/lib/data-aws-cloudhsm-v2-cluster";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import type { INetwork } from "../network/network";
import { EnvironmentStack } from "../core/environment-stack";
import { shown, throwIfProblems } from "../core/errors";
import { HookStep } from "../hooks/hook-step";

/** TCP ports of the HSM ENIs (CloudHSM client and CLI): the rulebook's {@link CLOUDHSM.CLUSTER_PORTS}. */
export const HSM_PORTS = { from: CLOUDHSM.CLUSTER_PORTS.min, to: CLOUDHSM.CLUSTER_PORTS.max } as const;

/** HSMs per cluster: the rulebook's {@link CLOUDHSM.HSMS_PER_CLUSTER}. */
export const MAX_HSMS_PER_CLUSTER = CLOUDHSM.HSMS_PER_CLUSTER.max;

export type HsmType = CLOUDHSM.HsmType;
export type ClusterMode = CLOUDHSM.ClusterMode;

export interface HsmClusterProps {
  /** The network whose subnets (one per HSM AZ) hold the cluster's ENIs. */
  readonly network: INetwork;
  /** AZ of each HSM ({@link CLOUDHSM.HSMS_PER_CLUSTER}, each with a subnet in `network`); the first is created alone, the others after activation. */
  readonly hsmAzs: readonly string[];
  /** @default - the rulebook's {@link CLOUDHSM.HSM_TYPE_DEFAULT} */
  readonly hsmType?: HsmType;
  /**
   * Sent only for hsm2m.medium; hsm1.medium clusters are always FIPS and take no mode
   * ({@link CLOUDHSM.FIPS_ONLY_HSM_TYPES}).
   * @default - the rulebook's {@link CLOUDHSM.CLUSTER_MODE_DEFAULT}
   */
  readonly mode?: ClusterMode;
  /**
   * Who owns the HSMs. `terraform`: one `aws_cloudhsm_v2_hsm` each (with `prevent_destroy`).
   * `hook-steps` (scale to zero, `cloudHsm.scaleToZero`): the `ensure-hsms` hook step creates them
   * once, in the same order, and Terraform holds no HSM resource, so the HSMs a schedule deletes and
   * recreates are never drift a plan would "fix" (docs/cloudhsm.md "Scale to zero").
   * @default "terraform"
   */
  readonly hsmOwner?: "terraform" | "hook-steps";
  /** Budget of the `ensure-hsms` steps (`hook-steps` only). @default - the rulebook's {@link HOOKS.TIMEOUT_MINUTES_DEFAULT} */
  readonly hookTimeoutMinutes?: number;
  /**
   * HSMs AWS put in place of unhealthy ones, by `<az>-<n>` (the n-th HSM in that AZ): each becomes
   * a Terraform import block at that HSM's address, so the plan adopts the replacement instead of
   * creating an extra HSM (provider issue #8648; the plan guard's `cloudhsm-hsm-replaced-by-aws`).
   * Terraform skips an import whose address is still in the state: `terraform apply -refresh-only`
   * first, so the old HSM leaves it.
   * @default - none
   */
  readonly adoptHsms?: Readonly<Record<string, string>>;
  /**
   * The cluster `restore-key-store` created from a backup (after `npm run restore`): Terraform
   * imports it and its HSMs (import blocks) at addresses of their own and forgets the lost cluster
   * and HSMs (removed blocks, destroy = false), so nothing is replaced or destroyed.
   * @default - a cluster created by Terraform
   */
  readonly restored?: RestoredCluster;
}

/** A cluster restored from a backup by `restore-key-store` (the environment's `cloudHsm.restored`). */
export interface RestoredCluster {
  readonly clusterId: string;
  /** Its SourceBackupId: `source_backup_identifier` is ForceNew and not Computed in the provider, so it must be set. */
  readonly backupId: string;
  /** The HSMs the step created, by position in `hsmAzs` (imported); the remaining positions get new HSMs. */
  readonly hsmIds: readonly string[];
  /** The cluster replaced, when it was itself restored (its addresses carry its id). @default - the original cluster */
  readonly previousClusterId?: string;
}

/**
 * A CloudHSM cluster in the subnets of the HSM AZs, with exactly one HSM (`hsmAzs[0]`): a second
 * CreateHsm before the cluster is ACTIVE fails, so the others come from `addRemainingHsms`, which
 * the caller runs after activation. Every cluster and HSM carries `prevent_destroy`. With `hsmOwner:
 * "hook-steps"` (scale to zero) there is no HSM resource: `firstHsm` and `addRemainingHsms` are
 * `ensure-hsms` hook steps in the same places of the graph.
 *
 * Backup retention: the AWS provider 5.100 that plans offline here has no attribute for it;
 * `CloudHsm` sets it with the `set-backup-retention` hook (ModifyCluster). The HSM type is
 * Terraform's only at creation (`ignore_changes`): later changes belong to `migrate-hsm-type`.
 */
export class HsmCluster extends Construct {
  readonly cluster: CloudhsmV2Cluster;
  /** The only HSM created before initialisation (with `hook-steps`, the step that creates it). */
  readonly firstHsm: TerraformResource;
  readonly clusterId: string;
  /** The security group CloudHSM created for the cluster (members reach each other on {@link CLOUDHSM.CLUSTER_PORTS}). */
  readonly securityGroupId: string;
  /** The rules admitting clients to the HSMs (`allowHsmAccessFrom`), for `depends_on`. */
  readonly accessRules: VpcSecurityGroupIngressRule[] = [];
  private readonly props: HsmClusterProps;
  private remaining?: TerraformResource[];

  constructor(scope: Construct, id: string, props: HsmClusterProps) {
    super(scope, id);
    const hsmType = props.hsmType ?? CLOUDHSM.HSM_TYPE_DEFAULT.value;
    const mode = props.mode ?? CLOUDHSM.CLUSTER_MODE_DEFAULT.value;
    const at = (prop: string) => `${this.node.path}.${prop}`;
    const problems: string[] = [];
    const quoted = (list: readonly string[]) => list.map((v) => `"${v}"`).join(" or ");
    if (!(CLOUDHSM.HSM_TYPES as readonly string[]).includes(hsmType))
      problems.push(
        `${at("hsmType")}: ${shown(hsmType)} is not allowed (${quoted(CLOUDHSM.HSM_TYPES)}, CloudHSM CreateCluster HsmType)`,
      );
    if (!(CLOUDHSM.CLUSTER_MODES as readonly string[]).includes(mode))
      problems.push(
        `${at("mode")}: ${shown(mode)} is not allowed (${quoted(CLOUDHSM.CLUSTER_MODES)}, CloudHSM CreateCluster Mode)`,
      );
    else if (!CLOUDHSM.modeAllowedFor(hsmType, mode))
      problems.push(
        `${at("mode")}: ${shown(mode)} is not allowed (${hsmType} clusters are always FIPS, CloudHSM CreateCluster Mode)`,
      );
    if (!inRange(CLOUDHSM.HSMS_PER_CLUSTER, props.hsmAzs.length)) {
      problems.push(
        `${at("hsmAzs")}: ${shown(props.hsmAzs)} is not allowed (${CLOUDHSM.HSMS_PER_CLUSTER.min}-${CLOUDHSM.HSMS_PER_CLUSTER.max} HSMs, CloudHSM quota of HSMs per cluster)`,
      );
    }
    props.hsmAzs.forEach((az, i) => {
      if (!Object.prototype.hasOwnProperty.call(props.network.subnetIdByAz, az)) {
        problems.push(
          `${at(`hsmAzs[${i}]`)}: ${shown(az)} is not allowed (an AZ with a subnet in the network: ${Object.keys(props.network.subnetIdByAz).join(", ") || "none"}; CloudHSM CreateHsm AvailabilityZone)`,
        );
      }
    });
    const names = new Set<string>();
    const seenPerAz: Record<string, number> = {};
    for (const az of props.hsmAzs) names.add(`${az}-${(seenPerAz[az] = (seenPerAz[az] ?? 0) + 1)}`);
    if (props.hsmOwner === "hook-steps" && Object.keys(props.adoptHsms ?? {}).length > 0)
      problems.push(
        `${at("adoptHsms")}: ${shown(props.adoptHsms)} is not allowed (unset with hsmOwner "hook-steps": the hook steps own the HSMs and count the ones AWS put in place)`,
      );
    for (const [name, hsmId] of Object.entries(props.adoptHsms ?? {})) {
      if (!names.has(name))
        problems.push(
          `${at(`adoptHsms.${name}`)}: ${shown(name)} is not allowed (an HSM of hsmAzs as '<az>-<n>': ${[...names].join(", ")})`,
        );
      if (typeof hsmId !== "string" || !CLOUDHSM.HSM_ID.regex.test(hsmId))
        problems.push(
          `${at(`adoptHsms.${name}`)}: ${shown(hsmId)} is not allowed (${CLOUDHSM.HSM_ID.allowed}, CloudHSM HsmId)`,
        );
    }
    for (const t of CLOUDHSM.hsmsImportedTwice(props.hsmAzs, props.adoptHsms, props.restored?.hsmIds))
      problems.push(
        `${at(t.field)}: ${shown(t.hsmId)} is not allowed (an HSM no other address imports (${t.first} imports it), Terraform import: each remote object at one resource address)`,
      );
    const restored = props.restored;
    if (restored) problems.push(...restoredProblems(restored, props.hsmAzs.length, at));
    if (restored && props.hsmOwner === "hook-steps")
      problems.push(
        `${at("restored")}: ${shown(restored)} is not allowed (unset with hsmOwner "hook-steps": turn scale to zero off, restore, then turn it on again; docs/cloudhsm.md)`,
      );
    throwIfProblems(problems);
    this.props = props;
    const azs = [...new Set(props.hsmAzs)];
    this.cluster = new CloudhsmV2Cluster(this, `cluster${suffix(restored?.clusterId)}`, {
      hsmType,
      ...(CLOUDHSM.FIPS_ONLY_HSM_TYPES.includes(hsmType) ? {} : { mode }),
      subnetIds: azs.map((az) => props.network.subnetIdByAz[az]),
      // Read back from the cluster's SourceBackupId: unset, the imported cluster would plan a replacement.
      ...(restored ? { sourceBackupIdentifier: restored.backupId } : {}),
      tags: { Name: `${EnvironmentStack.of(this).name}-cloudhsm` },
      // `hsm_type` is ForceNew in the AWS provider (5.100 and 6.x): a cluster AWS migrated from
      // hsm1.medium to hsm2m.medium, or a configuration changed to the new type, would plan a NEW
      // cluster (every key lost). The change is ModifyCluster's, run by the `migrate-hsm-type` step:
      // https://docs.aws.amazon.com/cloudhsm/latest/userguide/hsm1-to-hsm2-migration.html
      lifecycle: { preventDestroy: true, ignoreChanges: ["hsm_type"] },
    });
    if (restored) {
      this.cluster.importFrom(restored.clusterId);
      this.forgetReplaced(restored);
    }
    this.clusterId = this.cluster.clusterId;
    this.securityGroupId = this.cluster.securityGroupId;
    if (props.hsmOwner === "hook-steps") this.forgetTerraformHsms();
    this.firstHsm =
      props.hsmOwner === "hook-steps"
        ? this.ensureHsms("ensure-first-hsm", [props.hsmAzs[0]])
        : this.hsm(props.hsmAzs[0], 1, 0);
  }

  /** The `ensure-hsms` step for `azs` (scale to zero: the HSMs belong to the hook steps). */
  private ensureHsms(id: string, azs: readonly string[], after?: readonly ITerraformDependable[]): TerraformResource {
    return new HookStep(this, id, {
      step: "ensure-hsms",
      args: { "cluster-id": this.clusterId, "hsm-azs": azs.join(",") },
      vpcId: this.props.network.vpcId,
      timeoutMinutes: this.props.hookTimeoutMinutes,
      dependsOn: after ? [...after] : undefined,
    }).resource;
  }

  /**
   * Removed blocks (destroy = false) for the cluster and HSM addresses of the cluster replaced by a
   * restore: Terraform forgets them instead of planning their destruction (refused: prevent_destroy).
   * https://developer.hashicorp.com/terraform/language/resources/syntax#removing-resources
   */
  private forgetReplaced(restored: RestoredCluster): void {
    const old = suffix(restored.previousClusterId);
    this.forget([this.formerAddress(CloudhsmV2Cluster.tfResourceType, `cluster${old}`), ...this.hsmAddresses(old)]);
  }

  /**
   * Scale to zero (`hsmOwner: "hook-steps"`): removed blocks (destroy = false) for the addresses the
   * HSMs had while Terraform owned them, so turning scale to zero on for an existing cluster hands
   * its HSMs to the hook steps (Terraform forgets them; `ensure-hsms` finds them and creates none)
   * instead of planning their destruction. A removed block for an address not in the state (a new
   * environment) does nothing.
   */
  private forgetTerraformHsms(): void {
    this.forget(this.hsmAddresses(""));
  }

  /** The addresses `hsm-<az>-<n><suffix>` of every HSM of `hsmAzs`. */
  private hsmAddresses(idSuffix: string): string[] {
    const seen: Record<string, number> = {};
    return this.props.hsmAzs.map((az) => {
      seen[az] = (seen[az] ?? 0) + 1;
      return this.formerAddress(CloudhsmV2Hsm.tfResourceType, `hsm-${az}-${seen[az]}${idSuffix}`);
    });
  }

  /** The address a resource had: the logical id of a construct at its former path (never a child after the call). */
  private formerAddress(type: string, id: string): string {
    const ghost = new Construct(this, id);
    const address = `${type}.${TerraformStack.of(this).getLogicalId(ghost.node)}`;
    this.node.tryRemoveChild(id);
    return address;
  }

  /** Removed blocks, destroy = false: https://developer.hashicorp.com/terraform/language/resources/syntax#removing-resources */
  private forget(addresses: readonly string[]): void {
    TerraformStack.of(this).addOverride(
      "removed",
      addresses.map((address) => ({ from: address, lifecycle: { destroy: false } })),
    );
  }

  /**
   * Admits `securityGroupId` (the admin host, later a hook Lambda) to the HSMs on TCP {@link CLOUDHSM.CLUSTER_PORTS}:
   * the only ingress the cluster's security group gets besides its own members.
   */
  allowHsmAccessFrom(id: string, securityGroupId: string): VpcSecurityGroupIngressRule {
    const rule = new VpcSecurityGroupIngressRule(this, `access-from-${id}`, {
      securityGroupId: this.securityGroupId,
      description: `CloudHSM client ports from ${id}`,
      ipProtocol: "tcp",
      fromPort: HSM_PORTS.from,
      toPort: HSM_PORTS.to,
      referencedSecurityGroupId: securityGroupId,
    });
    this.accessRules.push(rule);
    return rule;
  }

  /**
   * The HSMs after the first (`hsmAzs[1..]`), each depending on `after` only (the activation), so
   * Terraform creates them in parallel. Call once.
   */
  addRemainingHsms(after: readonly ITerraformDependable[]): TerraformResource[] {
    if (this.remaining) throw new Error(`${this.node.path}: addRemainingHsms was already called`);
    if (this.props.hsmOwner === "hook-steps") {
      this.remaining = [this.ensureHsms("ensure-hsms", this.props.hsmAzs, after)];
      return this.remaining;
    }
    const seen: Record<string, number> = { [this.props.hsmAzs[0]]: 1 };
    this.remaining = this.props.hsmAzs.slice(1).map((az, i) => {
      seen[az] = (seen[az] ?? 0) + 1;
      return this.hsm(az, seen[az], i + 1, after);
    });
    return this.remaining;
  }

  /**
   * The cluster as read after the first HSM exists: its CSR (`cluster_certificates[0].cluster_csr`)
   * is empty before that and gone after initialisation.
   */
  csr(): string {
    const existing = this.node.tryFindChild("after-first-hsm") as DataAwsCloudhsmV2Cluster | undefined;
    const data =
      existing ??
      new DataAwsCloudhsmV2Cluster(this, "after-first-hsm", { clusterId: this.clusterId, dependsOn: [this.firstHsm] });
    return data.clusterCertificates.get(0).clusterCsr;
  }

  /**
   * Ids stay stable when the list is reordered: `hsm-<az>-<n>` (n-th HSM in that AZ), with the
   * restored cluster's id appended for a restored cluster (position `index` imports `hsmIds[index]`).
   */
  private hsm(az: string, n: number, index: number, after?: readonly ITerraformDependable[]): CloudhsmV2Hsm {
    const restored = this.props.restored;
    const hsm = new CloudhsmV2Hsm(this, `hsm-${az}-${n}${suffix(restored?.clusterId)}`, {
      clusterId: this.clusterId,
      subnetId: this.props.network.subnetIdByAz[az],
      dependsOn: after ? [...after] : undefined,
      lifecycle: { preventDestroy: true },
    });
    // An HSM AWS put in place of this one (adoptHsms) wins over the one the restore created.
    const imported = this.props.adoptHsms?.[`${az}-${n}`] ?? restored?.hsmIds[index];
    if (imported) hsm.importFrom(imported);
    return hsm;
  }
}

/** `-<cluster id>` for a restored cluster's resources, nothing for the original ones. */
const suffix = (clusterId: string | undefined): string => (clusterId ? `-${clusterId}` : "");

/** The restored cluster's problems, each naming its property. */
export function restoredProblems(r: RestoredCluster, hsmCount: number, at: (prop: string) => string): string[] {
  const problems: string[] = [];
  const pattern = (prop: string, value: unknown, p: { regex: RegExp; allowed: string }) => {
    if (typeof value !== "string" || !p.regex.test(value))
      problems.push(`${at(prop)}: ${shown(value)} is not allowed (${p.allowed})`);
  };
  pattern("restored.clusterId", r.clusterId, CLOUDHSM.CLUSTER_ID);
  pattern("restored.backupId", r.backupId, CLOUDHSM.BACKUP_ID);
  r.hsmIds.forEach((h, i) => pattern(`restored.hsmIds[${i}]`, h, CLOUDHSM.HSM_ID));
  if (r.hsmIds.length > hsmCount || new Set(r.hsmIds).size !== r.hsmIds.length)
    problems.push(
      `${at("restored.hsmIds")}: ${shown(r.hsmIds)} is not allowed (at most ${hsmCount} HSM ids, one per hsmAzs entry, each once)`,
    );
  if (r.previousClusterId !== undefined) {
    pattern("restored.previousClusterId", r.previousClusterId, CLOUDHSM.CLUSTER_ID);
    if (r.previousClusterId === r.clusterId)
      problems.push(
        `${at("restored.previousClusterId")}: ${shown(r.previousClusterId)} is not allowed (the cluster replaced, not restored.clusterId itself)`,
      );
  }
  return problems;
}
