import {
  DescribeClustersCommand,
  type Cluster,
  type DescribeClustersCommandOutput,
  type Hsm,
} from "@aws-sdk/client-cloudhsm-v2";
import { errorMessage, HookError, awsErrorCode } from "./errors";
import type { Sender } from "./runtime";

export type { Cluster, Hsm };

/** DescribeClusters for one cluster; a missing cluster is a HookError (nothing to wait for). */
export async function describeCluster(cloudhsm: Sender, clusterId: string, label: string): Promise<Cluster> {
  const out = (await cloudhsm.send(
    new DescribeClustersCommand({ Filters: { clusterIds: [clusterId] } }),
  )) as DescribeClustersCommandOutput;
  const cluster = (out.Clusters ?? []).find((c) => c.ClusterId === clusterId);
  if (!cluster || cluster.State === "DELETED") {
    throw new HookError(
      label,
      "ClusterNotFound",
      `cluster ${clusterId} does not exist in this account and Region`,
      "check --cluster-id and --region (the cluster is created by Terraform)",
    );
  }
  return cluster;
}

/** HSMs of the cluster in state ACTIVE. */
export function activeHsms(cluster: Cluster): Hsm[] {
  return (cluster.Hsms ?? []).filter((h) => h.State === "ACTIVE");
}

/** `ACTIVE 1/2 HSMs (eu-west-1a)`-style summary used as the wait state for HSM waits. */
export function hsmSummary(cluster: Cluster): string {
  const hsms = cluster.Hsms ?? [];
  const active = activeHsms(cluster);
  const azs = [...new Set(active.map((h) => h.AvailabilityZone ?? "?"))].sort();
  return `${cluster.State ?? "UNKNOWN"}, ${active.length}/${hsms.length} HSMs ACTIVE${azs.length ? ` (${azs.join(", ")})` : ""}`;
}

/** Fails fast on cluster states from which no step can continue. */
export function checkClusterHealthy(cluster: Cluster, label: string): void {
  if (cluster.State === "DELETE_IN_PROGRESS" || cluster.State === "DELETED") {
    throw new HookError(
      label,
      `Cluster${cluster.State}`,
      `cluster ${cluster.ClusterId} is being deleted`,
      "check why the cluster is being deleted (plan guard, console) before re-running",
    );
  }
  const failed = (cluster.Hsms ?? []).find((h) => h.State === "DEGRADED");
  if (cluster.State === "DEGRADED" || failed) {
    const where = failed
      ? ` (HSM ${failed.HsmId} in ${failed.AvailabilityZone}: ${failed.StateMessage ?? "no message"})`
      : "";
    throw new HookError(
      label,
      "ClusterDegraded",
      `cluster ${cluster.ClusterId} is DEGRADED${where}`,
      "replace the degraded HSM (delete it and let Terraform re-create it), then re-run",
    );
  }
}

/** Maps CloudHSM API exceptions to the operator's next action. */
export function cloudHsmError(label: string, what: string, err: unknown): HookError {
  const code = awsErrorCode(err);
  const actions: Record<string, string> = {
    CloudHsmAccessDeniedException:
      "grant the hook role the cloudhsm action named above (see hooks/README.md, IAM per step)",
    CloudHsmInvalidRequestException:
      "read the message: usually the cluster is in the wrong state or the certificate does not match the CSR; fix and re-run",
    CloudHsmResourceNotFoundException: "check --cluster-id and --region",
    CloudHsmInternalFailureException: "transient AWS failure: re-run the step (it is idempotent)",
    CloudHsmServiceException: "transient AWS failure: re-run the step (it is idempotent)",
    CloudHsmTagException: "fix the cluster's tags, then re-run",
    AccessDeniedException: "grant the hook role the action named above (see hooks/README.md, IAM per step)",
  };
  return new HookError(
    label,
    code,
    `${what} failed: ${errorMessage(err)}`,
    actions[code] ?? "fix the cause above and re-run (the step is idempotent)",
  );
}
