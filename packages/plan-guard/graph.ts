/**
 * The keys a plan touches and the resources that depend on them, from the configuration's
 * references (`kms_master_key_id = aws_kms_key.k.arn`, `custom_key_store_id = ...`), across stacks
 * through CDKTF's cross-stack outputs (`data.terraform_remote_state.cross-stack-reference-input-<stack>
 * .outputs.<name>` resolves to what the other stack's output `<name>` references, when that plan is in
 * the run; else it is shown as the output).
 */
import type { GraphEdge, GraphNode, GuardAction } from "./model";
import { actionOf, configAddressOf, referencesOf, type PlanIndex } from "./plan-index";
import { isKeyLike } from "./resources";

/** Edges shown at most (a PR comment must stay readable). */
export const MAX_EDGES = 80;

function remoteStack(dataSource: string): string {
  return /^cross-stack-reference-input-(.+)$/.exec(dataSource)?.[1] ?? dataSource;
}

/** Builds the key/consumer graph over all plans of a run. */
export function buildGraph(indexes: readonly PlanIndex[]): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const byStack = new Map(indexes.map((i) => [i.stack, i]));
  const nodes = new Map<string, GraphNode>();
  const actionByConfig = new Map<string, GuardAction>();
  const typeOf = (address: string): string =>
    /(?:^|\.)((?:data\.)?[a-z][a-z0-9_]*)\.[A-Za-z0-9_-]+$/.exec(address)?.[1]?.replace(/^data\./, "") ?? "";
  // A configuration address's action: the first instance's that is not a no-op.
  for (const idx of indexes) {
    for (const rc of idx.changes) {
      const id = `${idx.stack}|${configAddressOf(rc.address)}`;
      const had = actionByConfig.get(id);
      if (had === undefined || had === "no-op") actionByConfig.set(id, actionOf(rc.change.actions));
    }
  }
  const node = (stack: string, address: string): string => {
    const id = `${stack}|${address}`;
    if (!nodes.has(id)) {
      const type = typeOf(address);
      nodes.set(id, { id, stack, address, type, action: actionByConfig.get(id) ?? "no-op", keyLike: isKeyLike(type) });
    }
    return id;
  };
  const resolveRemote = (dataSource: string, output: string): { stack: string; address: string } => {
    const stack = remoteStack(dataSource);
    const origin = byStack.get(stack);
    const expr = origin?.plan.configuration?.root_module?.outputs?.[output]?.expression;
    const target = expr
      ? referencesOf({
          address: "output",
          mode: "managed",
          type: "output",
          name: output,
          expressions: { value: expr },
        }).find((r) => r.target)?.target
      : undefined;
    return target ? { stack, address: target } : { stack, address: `output.${output}` };
  };
  // Keep what the plan touches: edges with a changing end (the first MAX_EDGES), and changing keys even without consumers.
  const touched = (id: string): boolean => (actionByConfig.get(id) ?? "no-op") !== "no-op";
  const edges: GraphEdge[] = [];
  for (const idx of indexes) {
    if (edges.length >= MAX_EDGES) break;
    for (const [addr, { resource }] of idx.config) {
      if (edges.length >= MAX_EDGES) break;
      if (resource.mode === "data") continue;
      for (const ref of idx.references(addr)) {
        const target = ref.remote
          ? resolveRemote(ref.remote.dataSource, ref.remote.output)
          : ref.target
            ? { stack: idx.stack, address: ref.target }
            : undefined;
        if (!target) continue;
        const keyish =
          isKeyLike(typeOf(target.address)) || (ref.remote !== undefined && /kms|key/i.test(ref.remote.output));
        if (!keyish || !(touched(`${idx.stack}|${addr}`) || touched(`${target.stack}|${target.address}`))) continue;
        edges.push({ from: node(idx.stack, addr), to: node(target.stack, target.address), via: ref.via });
        if (edges.length >= MAX_EDGES) break;
      }
    }
  }
  const keep = new Set(edges.flatMap((e) => [e.from, e.to]));
  for (const idx of indexes) {
    for (const rc of idx.changes) {
      if (isKeyLike(rc.type) && actionOf(rc.change.actions) !== "no-op")
        keep.add(node(idx.stack, configAddressOf(rc.address)));
    }
  }
  return { nodes: [...keep].map((id) => nodes.get(id)).filter((n): n is GraphNode => !!n), edges };
}
