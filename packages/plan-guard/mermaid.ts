/** The key/consumer graph as a Mermaid `graph LR` block, one subgraph per stack. */
import type { GraphNode, GuardResult } from "./model";

function label(s: string): string {
  return s.replace(/"/g, "#quot;").replace(/[<>]/g, (c) => (c === "<" ? "#lt;" : "#gt;"));
}

/** The diagram, or undefined when the plans touch no key. */
export function renderMermaid(r: GuardResult): string | undefined {
  const { nodes, edges } = r.graph;
  if (nodes.length === 0) return undefined;
  const ids = new Map(nodes.map((n, i) => [n.id, `n${i}`]));
  const blocked = new Set(r.blocked.map((f) => `${f.stack}|${f.address.replace(/\[[^\]]*\]/g, "")}`));
  const allowed = new Set(r.allowed.map((a) => `${a.finding.stack}|${a.finding.address.replace(/\[[^\]]*\]/g, "")}`));
  const risky = new Set(r.risky.map((f) => `${f.stack}|${f.address.replace(/\[[^\]]*\]/g, "")}`));
  const lines = ["```mermaid", "graph LR"];
  const stacks = [...new Set(nodes.map((n) => n.stack))];
  stacks.forEach((stack, si) => {
    lines.push(`  subgraph s${si}["${label(stack)}"]`);
    for (const n of nodes.filter((x: GraphNode) => x.stack === stack)) {
      const text = `${n.address}${n.action === "no-op" ? "" : `<br/>${n.action}`}`;
      const shape = n.keyLike ? [`(["`, `"])`] : [`["`, `"]`];
      lines.push(`    ${ids.get(n.id)}${shape[0]}${label(text).replace(/#lt;br\/#gt;/g, "<br/>")}${shape[1]}`);
    }
    lines.push("  end");
  });
  for (const e of edges) lines.push(`  ${ids.get(e.from)} -->|${label(e.via)}| ${ids.get(e.to)}`);
  const cls = (set: Set<string>, name: string): void => {
    const members = nodes.filter((n) => set.has(n.id)).map((n) => ids.get(n.id));
    if (members.length) lines.push(`  class ${members.join(",")} ${name}`);
  };
  lines.push(
    "  classDef blocked fill:#fdd,stroke:#c00,stroke-width:2px",
    "  classDef allowed fill:#ffd,stroke:#a80",
    "  classDef risky fill:#ffe9cc,stroke:#d80",
  );
  cls(risky, "risky");
  cls(allowed, "allowed");
  cls(blocked, "blocked");
  lines.push("```");
  return lines.join("\n");
}
