/**
 * `--cloudhsm-clusters <file>`: the JSON `aws cloudhsmv2 describe-clusters` prints, read so the
 * guard can name the HSM AWS put in place of one the plan would re-create (rule
 * `cloudhsm-hsm-replaced-by-aws`). Only ids, AZs, subnets, ENIs and states are kept.
 */
import { readFileSync, statSync } from "node:fs";
import { CLOUDHSM } from "@cmk-stacks/aws-limits";
import { InputError } from "./model";
import type { LiveCluster } from "./rules/rule";

const optional = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The clusters in a DescribeClusters answer. Throws one InputError naming every field that is wrong
 * (all at once): a cluster or HSM that is not an object, a ClusterId or HsmId that is not one (the
 * ids are printed in the guard's lines and summary, so only AWS's shapes pass).
 */
export function parseLiveClusters(text: string, file: string): LiveCluster[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new InputError(file, "not JSON (expected the output of aws cloudhsmv2 describe-clusters)");
  }
  const clusters = isObject(doc) ? doc.Clusters : undefined;
  if (!Array.isArray(clusters))
    throw new InputError(file, "no Clusters list (expected the output of aws cloudhsmv2 describe-clusters)");
  const problems: string[] = [];
  const parsed = clusters.map((c: unknown, i): LiveCluster => {
    if (!isObject(c)) {
      problems.push(`Clusters[${i}] is not an object`);
      return { ClusterId: "", Hsms: [] };
    }
    if (typeof c.ClusterId !== "string" || !CLOUDHSM.CLUSTER_ID.regex.test(c.ClusterId))
      problems.push(`Clusters[${i}].ClusterId is not ${CLOUDHSM.CLUSTER_ID.allowed}`);
    const hsms = c.Hsms ?? [];
    if (!Array.isArray(hsms)) problems.push(`Clusters[${i}].Hsms is not a list`);
    return {
      ClusterId: typeof c.ClusterId === "string" ? c.ClusterId : "",
      Hsms: (Array.isArray(hsms) ? hsms : []).map((h: unknown, j) => {
        const hsm = isObject(h) ? h : {};
        if (!isObject(h)) problems.push(`Clusters[${i}].Hsms[${j}] is not an object`);
        else if (typeof hsm.HsmId !== "string" || !CLOUDHSM.HSM_ID.regex.test(hsm.HsmId))
          problems.push(`Clusters[${i}].Hsms[${j}].HsmId is not ${CLOUDHSM.HSM_ID.allowed}`);
        // DescribeClusters names each HSM's cluster: an HSM listed under another cluster is no answer AWS gives.
        if (isObject(h) && hsm.ClusterId !== undefined && hsm.ClusterId !== c.ClusterId)
          problems.push(
            `Clusters[${i}].Hsms[${j}].ClusterId is ${JSON.stringify(hsm.ClusterId)}, not its cluster ${JSON.stringify(c.ClusterId)}`,
          );
        return {
          HsmId: typeof hsm.HsmId === "string" ? hsm.HsmId : "",
          AvailabilityZone: optional(hsm.AvailabilityZone),
          SubnetId: optional(hsm.SubnetId),
          EniId: optional(hsm.EniId),
          EniIp: optional(hsm.EniIp),
          State: optional(hsm.State),
        };
      }),
    };
  });
  if (problems.length) throw new InputError(file, problems.join("; "));
  return parsed;
}

/**
 * The largest file read: describe-clusters of every cluster a Region allows, with their HSMs and
 * certificates, is well under a megabyte.
 */
export const MAX_LIVE_CLUSTERS_BYTES = 16 * 1024 * 1024;

/** Reads and parses the file; a missing file, a device or pipe (/dev/zero never ends) or a huge one is an InputError. */
export function loadLiveClusters(file: string): LiveCluster[] {
  let text: string;
  try {
    const stat = statSync(file);
    if (!stat.isFile())
      throw new InputError(file, "not a file (expected the output of aws cloudhsmv2 describe-clusters)");
    if (stat.size > MAX_LIVE_CLUSTERS_BYTES)
      throw new InputError(
        file,
        `${stat.size} bytes, more than describe-clusters prints (at most ${MAX_LIVE_CLUSTERS_BYTES})`,
      );
    text = readFileSync(file, "utf8");
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(file, `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseLiveClusters(text, file);
}
