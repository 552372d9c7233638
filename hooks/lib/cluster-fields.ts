/**
 * What `@aws-sdk/client-cloudhsm-v2` 3.332.0 (the newest the npm registry serves; the service's SDK
 * was not released again) lacks for the HSM type migration, supplied through the SDK's own
 * middleware stack, never a hand-built or hand-signed request:
 *
 * - ModifyCluster `HsmType`: the 3.332 model has no such member, but its serializer passes the input
 *   through as JSON (`_json`), so the SDK's own ModifyClusterCommand sends it and the SDK signs the
 *   request as usual. {@link modifyClusterHsmType} builds that command; its type widens the input.
 * - DescribeClusters / ModifyCluster `HsmTypeRollbackExpiration` and `Mode`: the 3.332 deserializer
 *   keeps only the members it models (`take`) and drops these. {@link keepUnmodelledClusterFields}
 *   adds two middlewares: one reads the JSON body the service sent (before the deserializer, with the
 *   client's own stream collector) and one copies these two fields onto the parsed clusters.
 *
 * API: https://docs.aws.amazon.com/cloudhsm/latest/APIReference/API_ModifyCluster.html and
 * https://docs.aws.amazon.com/cloudhsm/latest/APIReference/API_Cluster.html
 */
import { ModifyClusterCommand, type Cluster, type Hsm, type ModifyClusterRequest } from "@aws-sdk/client-cloudhsm-v2";

/** An HSM with its type (3.332 does not model it; the deserializer passes the HSM list through as JSON). */
export type HsmWithType = Hsm & { readonly HsmType?: string };

/** A cluster with the members 3.332 does not model. */
export type ClusterWithType = Omit<Cluster, "Hsms"> & {
  readonly Hsms?: HsmWithType[];
  /** Until when the cluster can be rolled back to its original HSM type (a migration started less than 24 h ago). */
  readonly HsmTypeRollbackExpiration?: Date;
  readonly Mode?: string;
};

/** ModifyCluster changing only the HSM type (the 3.332 model makes BackupRetentionPolicy required; the API does not). */
export function modifyClusterHsmType(clusterId: string, hsmType: string): ModifyClusterCommand {
  const input = { ClusterId: clusterId, HsmType: hsmType };
  return new ModifyClusterCommand(input as unknown as ModifyClusterRequest);
}

const STASH = Symbol("cmk-unmodelled-cluster-fields");
const COMMANDS = new Set(["DescribeClustersCommand", "ModifyClusterCommand"]);

type Extra = { HsmTypeRollbackExpiration?: Date; Mode?: string };
type Context = { commandName?: string; [STASH]?: Map<string, Extra> };
type Handler = (args: unknown) => Promise<{ output?: unknown; response?: unknown }>;
type Middleware = (next: Handler, context: Context) => Handler;
interface MiddlewareHost {
  readonly middlewareStack: {
    add(mw: Middleware, options: { step: string; name: string }): void;
    addRelativeTo(mw: Middleware, options: { relation: "before" | "after"; toMiddleware: string; name: string }): void;
  };
  readonly config: { readonly streamCollector: (body: unknown) => Promise<Uint8Array> };
}

function extras(raw: unknown): Map<string, Extra> {
  const out = new Map<string, Extra>();
  const doc = raw && typeof raw === "object" ? (raw as Record<string, unknown>) : {};
  const clusters = [...(Array.isArray(doc.Clusters) ? doc.Clusters : []), ...(doc.Cluster ? [doc.Cluster] : [])];
  for (const c of clusters) {
    if (!c || typeof c !== "object") continue;
    const { ClusterId, HsmTypeRollbackExpiration, Mode } = c as Record<string, unknown>;
    if (typeof ClusterId !== "string") continue;
    const extra: Extra = {};
    // The JSON protocol sends timestamps as epoch seconds.
    if (typeof HsmTypeRollbackExpiration === "number")
      extra.HsmTypeRollbackExpiration = new Date(HsmTypeRollbackExpiration * 1000);
    if (typeof Mode === "string") extra.Mode = Mode;
    out.set(ClusterId, extra);
  }
  return out;
}

function merge(cluster: unknown, stash: Map<string, Extra>): void {
  if (!cluster || typeof cluster !== "object") return;
  const extra = stash.get(String((cluster as Cluster).ClusterId));
  if (extra) Object.assign(cluster, extra);
}

/** Installs the two middlewares on a CloudHSM v2 client (idempotent per client). */
export function keepUnmodelledClusterFields(client: object): void {
  const host = client as MiddlewareHost;
  const name = "cmkUnmodelledClusterFields";
  const read: Middleware = (next, context) => async (args) => {
    const result = await next(args);
    const response = result.response as { statusCode?: number; body?: unknown } | undefined;
    if (!COMMANDS.has(String(context.commandName)) || !response?.body || (response.statusCode ?? 500) >= 300)
      return result;
    const bytes = await host.config.streamCollector(response.body);
    // The deserializer collects a Uint8Array body as it is.
    response.body = bytes;
    try {
      context[STASH] = extras(JSON.parse(new TextDecoder().decode(bytes)));
    } catch {
      // Not JSON: the deserializer reports it.
    }
    return result;
  };
  const copy: Middleware = (next, context) => async (args) => {
    const result = await next(args);
    const stash = context[STASH];
    const output = result.output as { Clusters?: unknown[]; Cluster?: unknown } | undefined;
    if (stash && output) {
      for (const c of output.Clusters ?? []) merge(c, stash);
      merge(output.Cluster, stash);
    }
    return result;
  };
  try {
    host.middlewareStack.addRelativeTo(read, {
      relation: "after",
      toMiddleware: "deserializerMiddleware",
      name: `${name}Read`,
    });
    host.middlewareStack.add(copy, { step: "initialize", name: `${name}Copy` });
  } catch (err) {
    // Already installed on this client (the stack refuses a duplicate name).
    if (!/Duplicate middleware name/i.test(String(err))) throw err;
  }
}
