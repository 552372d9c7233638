/**
 * CloudHSM restore (docs/cloudhsm.md#restore): tells a restore plan from an accidental replacement.
 *
 * A restore plan is what `cloudHsm.restored` makes after `npm run restore`: the cluster that
 * restore-key-store created from a backup is imported (with its `source_backup_identifier`), the key
 * store already points at it (the step's UpdateCustomKeyStore; its `cloud_hsm_cluster_id` is
 * ignored by Terraform) and is neither replaced nor deleted, and the lost cluster and its HSMs are
 * forgotten (removed blocks, destroy = false), never destroyed. Those forgets are shown for review
 * instead of blocked (the other rules skip them through {@link restorePlanOf}).
 *
 * Anything else that would replace the store or a cluster, or forget a cluster, is blocked with
 * the one procedure that moves a store to another cluster: the restore command.
 */
import type { Finding } from "../model";
import type { ResourceChange } from "../plan-json";
import { actionOf, isUnknown, valuesOf, type PlanIndex } from "../plan-index";
import { ALLOW_HOW, finding, type Rule } from "./rule";

const CLUSTER = "aws_cloudhsm_v2_cluster";
const HSM = "aws_cloudhsm_v2_hsm";
const STORE = "aws_kms_custom_key_store";
const RUNBOOK = "docs/cloudhsm.md#restore";
const COMMAND = "npm run restore -- <env>";

/** A recognised restore: the imported cluster, the store on it, and what the plan forgets for it. */
export interface RestorePlan {
  readonly cluster: ResourceChange;
  readonly clusterId: string;
  readonly backupId: string;
  readonly store: ResourceChange;
  /** Addresses of the replaced cluster and its HSMs, forgotten (never destroyed) by the restore. */
  readonly forgotten: ReadonlySet<string>;
  /** Clusters this plan forgets that are not the one the restore replaces, with why (they stay blocked). */
  readonly notLost: ReadonlyMap<string, string>;
}

/** The id an import reads (`change.importing.id`, Terraform >= 1.5), or undefined. */
function importedId(rc: ResourceChange): string | undefined {
  const importing = (rc.change as { importing?: { id?: unknown } }).importing;
  return typeof importing?.id === "string" && importing.id ? importing.id : undefined;
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v ? v : undefined);

/** Only forgotten: `["forget"]`, not `["create", "forget"]` (a new object created at the address as well). */
const onlyForgotten = (rc: ResourceChange): boolean =>
  rc.change.actions.length === 1 && rc.change.actions[0] === "forget" && !rc.deposed;

const cache = new WeakMap<PlanIndex, RestorePlan | null>();

/** The restore this plan carries out, or undefined (memoised per plan). */
export function restorePlanOf(idx: PlanIndex): RestorePlan | undefined {
  const known = cache.get(idx);
  if (known !== undefined) return known ?? undefined;
  const found = findRestore(idx);
  cache.set(idx, found ?? null);
  return found;
}

/** The cluster ids a key store names, before and after the change (a store being created or replaced included). */
function storeClusterIds(idx: PlanIndex): Map<string, string> {
  const ids = new Map<string, string>();
  for (const s of idx.ofTypes(STORE))
    for (const v of [valuesOf(s.change.before), valuesOf(s.change.after)]) {
      const id = str(v.cloud_hsm_cluster_id);
      if (id && !ids.has(id)) ids.set(id, s.address);
    }
  return ids;
}

function findRestore(idx: PlanIndex): RestorePlan | undefined {
  for (const cluster of idx.ofTypes(CLUSTER)) {
    // Imported by this plan, or already in state from an earlier apply of the same restore.
    const id = importedId(cluster) ?? str(valuesOf(cluster.change.before).id);
    const action = actionOf(cluster.change.actions);
    const backupId = str(valuesOf(cluster.change.after).source_backup_identifier);
    if (cluster.deposed || !id || !backupId || (action !== "no-op" && action !== "update")) continue;
    // The object read by the import is the one it names (a plan saying otherwise contradicts itself).
    const readId = str(valuesOf(cluster.change.before).id);
    if (readId && readId !== id) continue;
    // The store already uses it (restore-key-store repointed it, and the refreshed state says so),
    // and keeps using it after this plan: a plan that also moves the store elsewhere is no restore.
    const store = idx.ofTypes(STORE).find((s) => {
      const a = actionOf(s.change.actions);
      return (
        !s.deposed &&
        (a === "no-op" || a === "update") &&
        valuesOf(s.change.before).cloud_hsm_cluster_id === id &&
        !isUnknown(s, "cloud_hsm_cluster_id") &&
        valuesOf(s.change.after).cloud_hsm_cluster_id === id
      );
    });
    if (!store) continue;
    // The lost cluster: the one cluster the plan forgets besides the restored one, which no key store
    // names before or after the plan (a cluster a store still uses, or one with no id the plan shows,
    // is no lost cluster: forgetting it leaves a live store's cluster unprotected). A restore replaces
    // one cluster; a plan forgetting several is not explained by it.
    const used = storeClusterIds(idx);
    const forgotten = idx
      .ofTypes(CLUSTER)
      .filter((c) => c !== cluster && actionOf(c.change.actions) === "forget" && !c.deposed);
    const notLost = new Map<string, string>();
    const candidates = forgotten.filter((c) => {
      const cid = str(valuesOf(c.change.before).id);
      const why = !onlyForgotten(c)
        ? "the plan also creates a new cluster at its address (create and forget): a restore imports its cluster, it creates none"
        : !cid
          ? "the plan does not show its cluster id, so it cannot be the cluster the restore replaced"
          : cid === id
            ? `it is the restored cluster ${id} itself`
            : used.has(cid)
              ? `key store ${used.get(cid)} still names it (cloud_hsm_cluster_id ${cid}): it is not the lost cluster`
              : undefined;
      if (why) notLost.set(c.address, why);
      return !why;
    });
    if (candidates.length > 1)
      for (const c of candidates)
        notLost.set(
          c.address,
          `the plan forgets ${candidates.length} clusters (${candidates.map((x) => x.address).join(", ")}) and a restore replaces one`,
        );
    const lost = candidates.length === 1 ? candidates : [];
    const lostIds = new Set(lost.map((c) => str(valuesOf(c.change.before).id)).filter(Boolean));
    const hsms = idx
      .ofTypes(HSM)
      .filter((h) => onlyForgotten(h) && lostIds.has(str(valuesOf(h.change.before).cluster_id) ?? ""));
    return {
      cluster,
      clusterId: id,
      backupId,
      store,
      forgotten: new Set([...lost, ...hsms].map((r) => r.address)),
      notLost,
    };
  }
  return undefined;
}

/** `(forced by a, b)` from replace_paths, or "". */
function forcedBy(rc: ResourceChange): string[] {
  const paths = rc.change.replace_paths;
  if (!Array.isArray(paths)) return [];
  return [
    ...new Set(
      paths.map((p) => (Array.isArray(p) ? p.filter((s) => typeof s === "string").join(".") : "")).filter(Boolean),
    ),
  ].sort();
}

/**
 * What `destroy-key-bearing` says instead of its general advice when a change would replace the
 * key store or a cluster, or forget a cluster outside a restore: why that is never the way, and the
 * restore command. Undefined for every other change.
 */
export function restoreAdvice(
  rc: ResourceChange,
  action: string,
  idx: PlanIndex,
): { readonly why: string; readonly fix: string } | undefined {
  const forced = forcedBy(rc);
  if (rc.type === STORE && action === "replace")
    return {
      why: `a new store gets a new id, none of the old store's keys work through it, and KMS refuses a new store on a cluster another store used (CloudHsmClusterInUseException)`,
      fix: `a key store moves to another cluster only through ${COMMAND} (restore-key-store: UpdateCustomKeyStore on the same store, ${RUNBOOK}); keep ignore_changes on cloud_hsm_cluster_id (modules/keystores/cloudhsm-key-store.ts) and revert the change; allow it only to retire the store, with ${ALLOW_HOW}`,
    };
  if (rc.type === CLUSTER && action === "replace")
    return {
      why: `the new cluster is not a clone of this one${forced.length ? ` (${forced.join(", ")}: ForceNew in the provider)` : ""}, and the key store's keys exist only in this cluster and its backups`,
      fix: `never replace a cluster: to move the key store to a cluster restored from a backup, run ${COMMAND} and set cloudHsm.restored to what it prints (Terraform imports it, nothing is replaced, ${RUNBOOK}); otherwise revert ${forced.length ? forced.join(", ") : "the argument that forces it"}`,
    };
  const restore = rc.type === CLUSTER && action === "forget" ? restorePlanOf(idx) : undefined;
  if (rc.type === CLUSTER && action === "forget" && !restore?.forgotten.has(rc.address))
    return {
      why: restore
        ? `this is not the cluster the restore to ${restore.clusterId} replaces: ${restore.notLost.get(rc.address) ?? "it is not the one cluster the restore forgets"}`
        : "this is not a restore: no cluster restored from a backup that the key store already uses is imported in this plan",
      fix: `a cluster is forgotten only by a restore, in the plan that imports the cluster restore-key-store made: run ${COMMAND}, then set cloudHsm.restored (${RUNBOOK})`,
    };
  return undefined;
}

/** Rule `cloudhsm-restore`: explains a recognised restore, and flags a new empty cluster beside an existing store (both for review). */
export const restoreRule: Rule = (idx) => {
  const out: Finding[] = [];
  const restore = restorePlanOf(idx);
  // Every plan after a restore keeps the restored cluster with the store on it: only the plan that
  // imports the cluster or forgets the lost one is the restore a reviewer must read.
  if (restore && (importedId(restore.cluster) || restore.forgotten.size)) {
    const forgotten = [...restore.forgotten];
    out.push(
      finding(
        idx,
        restore.cluster,
        actionOf(restore.cluster.change.actions),
        "cloudhsm-restore",
        "risky",
        `a restore: ${importedId(restore.cluster) ? "imports" : "keeps"} CloudHSM cluster ${restore.clusterId}, created from backup ${restore.backupId} by restore-key-store, which key store ${restore.store.address} already uses (its cloud_hsm_cluster_id belongs to the step, not to Terraform)${forgotten.length ? `; forgets the lost cluster's ${forgotten.length} resource${forgotten.length > 1 ? "s" : ""} (removed blocks, never destroyed)` : ""}; nothing is replaced`,
        `expected after ${COMMAND} and cloudHsm.restored (${RUNBOOK}): apply it; delete the lost cluster and HSMs in AWS, if any remain, only after restore-key-store proved every key`,
      ),
    );
    for (const address of forgotten) {
      const rc = idx.byAddress.get(address);
      if (!rc) continue;
      out.push(
        finding(
          idx,
          rc,
          "forget",
          "cloudhsm-restore",
          "risky",
          `forgotten by the restore to ${restore.clusterId}: Terraform stops managing it and does not destroy it; it no longer serves the key store`,
          `nothing to do in Terraform; remove it in AWS once the restored cluster is proven (${RUNBOOK})`,
        ),
      );
    }
  }

  for (const rc of idx.ofTypes(CLUSTER)) {
    if (rc.deposed || actionOf(rc.change.actions) !== "create") continue;
    if (str(valuesOf(rc.change.after).source_backup_identifier)) continue;
    const stores = idx
      .ofTypes(STORE)
      .filter(
        (s) =>
          actionOf(s.change.actions) !== "create" &&
          valuesOf(s.change.before).custom_key_store_type !== "EXTERNAL_KEY_STORE",
      );
    if (stores.length)
      out.push(
        finding(
          idx,
          rc,
          "create",
          "cloudhsm-restore",
          "risky",
          `creates a new, empty CloudHSM cluster while key store ${stores.map((s) => s.address).join(", ")} exists: it holds none of the store's keys`,
          `if the store's cluster was lost (CLUSTER_NOT_FOUND), do not apply this: run ${COMMAND} and set cloudHsm.restored (${RUNBOOK})`,
        ),
      );
  }
  return out;
};
