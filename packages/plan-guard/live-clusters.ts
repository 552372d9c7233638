/**
 * `--cloudhsm-clusters <file>`: the JSON `aws cloudhsmv2 describe-clusters` prints, read so the
 * guard can name the HSM AWS put in place of one the plan would re-create (rule
 * `cloudhsm-hsm-replaced-by-aws`). Only ids, AZs, subnets, ENIs and states are kept.
 */
import { readFileSync } from "node:fs";
import { InputError } from "./model";
import type { LiveCluster } from "./rules/rule";

const optional = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** The clusters in a DescribeClusters answer; throws InputError naming the first field that is wrong. */
export function parseLiveClusters(text: string, file: string): LiveCluster[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new InputError(file, "not JSON (expected the output of aws cloudhsmv2 describe-clusters)");
  }
  const clusters = (doc as { Clusters?: unknown })?.Clusters;
  if (!Array.isArray(clusters))
    throw new InputError(file, "no Clusters list (expected the output of aws cloudhsmv2 describe-clusters)");
  return clusters.map((c: unknown, i) => {
    const cluster = (c ?? {}) as Record<string, unknown>;
    if (typeof cluster.ClusterId !== "string") throw new InputError(file, `Clusters[${i}].ClusterId is not a string`);
    const hsms = cluster.Hsms ?? [];
    if (!Array.isArray(hsms)) throw new InputError(file, `Clusters[${i}].Hsms is not a list`);
    return {
      ClusterId: cluster.ClusterId,
      Hsms: hsms.map((h: unknown, j) => {
        const hsm = (h ?? {}) as Record<string, unknown>;
        if (typeof hsm.HsmId !== "string")
          throw new InputError(file, `Clusters[${i}].Hsms[${j}].HsmId is not a string`);
        // DescribeClusters names each HSM's cluster: an HSM listed under another cluster is no answer AWS gives.
        if (hsm.ClusterId !== undefined && hsm.ClusterId !== cluster.ClusterId)
          throw new InputError(
            file,
            `Clusters[${i}].Hsms[${j}].ClusterId is ${JSON.stringify(hsm.ClusterId)}, not its cluster ${JSON.stringify(cluster.ClusterId)}`,
          );
        return {
          HsmId: hsm.HsmId,
          AvailabilityZone: optional(hsm.AvailabilityZone),
          SubnetId: optional(hsm.SubnetId),
          EniId: optional(hsm.EniId),
          EniIp: optional(hsm.EniIp),
          State: optional(hsm.State),
        };
      }),
    };
  });
}

/** Reads and parses the file; a missing file is an InputError. */
export function loadLiveClusters(file: string): LiveCluster[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new InputError(file, `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseLiveClusters(text, file);
}
