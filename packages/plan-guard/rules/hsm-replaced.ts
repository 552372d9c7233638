/**
 * Names an HSM AWS replaced. AWS replaces an unhealthy HSM with a new one (new HSM id, same ENI and
 * IP, same AZ and subnet); the AWS provider then reads the old `aws_cloudhsm_v2_hsm` as gone
 * (`resource_drift`: deleted outside Terraform) and plans a new HSM at the same address
 * (https://github.com/hashicorp/terraform-provider-aws/issues/8648). Applying that adds an HSM the
 * cluster does not need (billed hourly, counted against the Region's HSM quota) while the
 * replacement stays outside Terraform. Blocked: the fix is to adopt the replacement, which the
 * verdict spells out. With the cluster's live HSMs (`plan-guard --cloudhsm-clusters`, the JSON of
 * `aws cloudhsmv2 describe-clusters`), the verdict names the replacement; without, it says how to
 * find it. An HSM deleted by a person is the same plan: re-creating it is then the fix, allowed
 * with an allowlist entry for this plan.
 */
import type { ResourceChange } from "../plan-json";
import { actionOf, valuesOf } from "../plan-index";
import { ALLOW_HOW, finding, type LiveCluster, type Rule } from "./rule";

const HSM = "aws_cloudhsm_v2_hsm";

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

/** `<az>-<n>` of an HsmCluster HSM address (`..._hsm-eu-west-1a-1_ABCD1234`), the key of `cloudHsm.adoptHsms`. */
export function hsmNameOf(address: string): string | undefined {
  return /hsm-([a-z]{2}(?:-[a-z]+)+-\d+[a-z]+-\d+)(?:_[0-9A-F]{8})?$/.exec(address)?.[1];
}

/** The HSM ids Terraform knows in this plan (state before and after, drift). */
function knownIds(changes: readonly ResourceChange[]): Set<string> {
  const ids = new Set<string>();
  for (const rc of changes) {
    if (rc.type !== HSM) continue;
    for (const v of [valuesOf(rc.change.before), valuesOf(rc.change.after)])
      for (const id of [v.hsm_id, v.id]) if (typeof id === "string") ids.add(id);
  }
  return ids;
}

/** The ACTIVE HSM of `cluster` that took `old`'s place: same AZ (and subnet), not in state; same ENI or IP first. */
export function replacementOf(
  old: { az?: string; subnet?: string; eni?: string; ip?: string },
  cluster: LiveCluster,
  known: ReadonlySet<string>,
): string | undefined {
  // Without the old HSM's AZ nothing ties a live HSM to it (two unknown AZs are not the same AZ).
  if (old.az === undefined) return undefined;
  const candidates = cluster.Hsms.filter(
    (h) =>
      h.State === "ACTIVE" &&
      !known.has(h.HsmId) &&
      h.AvailabilityZone === old.az &&
      (old.subnet === undefined || h.SubnetId === undefined || h.SubnetId === old.subnet),
  );
  const sameEni = candidates.filter(
    (h) => (old.eni !== undefined && h.EniId === old.eni) || (old.ip !== undefined && h.EniIp === old.ip),
  );
  if (sameEni.length === 1) return sameEni[0].HsmId;
  return candidates.length === 1 ? candidates[0].HsmId : undefined;
}

/** Rule `cloudhsm-hsm-replaced-by-aws`. */
export const hsmReplacedRule: Rule = (idx, ctx) => {
  const drift = (idx.plan.resource_drift ?? []).filter(
    (d) => d.type === HSM && d.mode !== "data" && actionOf(d.change.actions) === "delete",
  );
  if (drift.length === 0) return [];
  const known = knownIds([...idx.changes, ...drift]);
  const out = [];
  for (const d of drift) {
    const rc = idx.changes.find((c) => c.address === d.address && !c.deposed);
    if (!rc || actionOf(rc.change.actions) !== "create") continue;
    const b = valuesOf(d.change.before);
    const old = {
      id: str(b.hsm_id) ?? str(b.id) ?? "<old HSM id>",
      cluster: str(b.cluster_id),
      az: str(b.availability_zone),
      subnet: str(b.subnet_id),
      eni: str(b.hsm_eni_id),
      ip: str(b.ip_address),
    };
    const where = `${old.az ?? "its AZ"}${old.ip ? ` (ENI ${old.ip})` : ""}`;
    const live = ctx.cloudHsmClusters?.find((c) => c.ClusterId === old.cluster);
    const replacement = live ? replacementOf(old, live, known) : undefined;
    const name = hsmNameOf(d.address);
    const dir = `cdktf.out/stacks/${idx.stack}`;
    const adopt = (id: string) =>
      `adopt ${id}: (1) \`terraform -chdir=${dir} apply -refresh-only\` (review: the only change is ${old.id} leaving the state), (2) set cloudHsm.adoptHsms: { "${name ?? "<az>-<n>"}": "${id}" } in the environment's configuration, synth and plan: the plan imports ${id} at ${d.address} and creates nothing (docs/cloudhsm.md#an-hsm-aws-replaced)`;
    const why = replacement
      ? `AWS replaced HSM ${old.id} in ${where} with ${replacement} (ACTIVE in cluster ${old.cluster}, not in the state); this plan would create an extra HSM beside it`
      : live
        ? `HSM ${old.id} in ${where} was deleted outside Terraform and cluster ${old.cluster} has no ACTIVE HSM in that AZ that the state does not know: this plan re-creates it`
        : `HSM ${old.id} in ${where} disappeared outside Terraform and this plan creates a new one at the same address: when AWS replaces an unhealthy HSM (new id, same ENI), that is an extra HSM`;
    const fix = replacement
      ? adopt(replacement)
      : live
        ? `if the HSM was deleted on purpose or lost, re-creating it is right: allow it with ${ALLOW_HOW}`
        : `find the replacement: \`aws cloudhsmv2 describe-clusters --filters clusterIds=${old.cluster ?? "<cluster id>"}\` (an ACTIVE HSM in ${old.az ?? "the AZ"}${old.ip ? ` with EniIp ${old.ip}` : ""}), or run the guard with --cloudhsm-clusters <that output>; then ${adopt("<new HSM id>")}; no replacement (the HSM was deleted): allow the re-creation with ${ALLOW_HOW}`;
    out.push(finding(idx, rc, "create", "cloudhsm-hsm-replaced-by-aws", "block", why, fix));
  }
  return out;
};
