/**
 * Reports (never blocks) every other change to a key- or data-bearing resource or to key wiring
 * (policies, grants, aliases, key stores, clusters, encryption defaults), so a reviewer sees it.
 */
import type { Finding } from "../model";
import { actionOf } from "../plan-index";
import { ALARM_TYPES, ON_PREMISES_ROUTE_TYPES, WATCHED_TYPES, keyBearing } from "../resources";
import { changedAttributes, finding, type Rule } from "./rule";

function describe(attrs: string[]): string {
  const shown = attrs.slice(0, 6).join(", ");
  return attrs.length > 6 ? `${shown} and ${attrs.length - 6} more` : shown;
}

/** Rule `key-resource-change` (risky). Runs after the blocking rules and skips resources they already named. */
export function riskyFindings(idx: Parameters<Rule>[0], already: ReadonlySet<string>): Finding[] {
  const out: Finding[] = [];
  for (const rc of idx.changes) {
    const action = actionOf(rc.change.actions);
    if (action === "no-op" || action === "read" || already.has(rc.address)) continue;
    if (ALARM_TYPES.has(rc.type)) {
      if (action !== "create")
        out.push(
          finding(
            idx,
            rc,
            action,
            "key-resource-change",
            "risky",
            `${action} of ${rc.type}: an alarm that warns before keys fail (or its delivery) ${action === "update" ? `changes (${describe(changedAttributes(rc)) || "attributes"})` : "goes away"}`,
            "review before applying: a key store or quota failure would then arrive unannounced",
          ),
        );
      continue;
    }
    const kb = keyBearing(rc, idx);
    if (!kb && !WATCHED_TYPES.has(rc.type)) continue;
    const what = kb?.what ?? rc.type;
    const why =
      action === "create"
        ? `new ${what}: check prevent_destroy and the deletion window`
        : action === "update"
          ? `in-place update of ${what}: ${describe(changedAttributes(rc)) || "attributes"} change`
          : (ON_PREMISES_ROUTE_TYPES as readonly string[]).includes(rc.type)
            ? `${action} of ${what}: a route to the data centre; an external key store's proxies behind it become unreachable (XKS_PROXY_NOT_REACHABLE) and every key in the store unusable`
            : `${action} of ${what}: check what relies on it`;
    out.push(finding(idx, rc, action, "key-resource-change", "risky", why, action === "create" ? "nothing to do if intended" : "review before applying"));
  }
  return out;
}
