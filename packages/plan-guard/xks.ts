/**
 * The resources that carry KMS's path to an external key store (XKS) proxy, found by their role in
 * the plan (what names or references what), never by words in their names. Losing any makes every
 * key in the store unusable at once:
 * https://docs.aws.amazon.com/kms/latest/developerguide/vpc-connectivity.html
 * - the VPC endpoint service: a custom key store names it (`xks_proxy_vpc_endpoint_service_name`
 *   equal to its `service_name`, or a reference), or it allows KMS's principal
 *   `cks.kms.<region>.amazonaws.com` (`allowed_principals`, or an
 *   aws_vpc_endpoint_service_allowed_principal naming or referencing it);
 * - that allowed-principal resource itself;
 * - the network load balancer the service lists (`network_load_balancer_arns` or a reference);
 * - the NLB's listeners (`load_balancer_arn`), the target groups they forward to, and the target
 *   group attachments (the proxies): losing all of them leaves the listener with no target.
 */
import type { JsonObject, JsonValue, ResourceChange } from "./plan-json";
import { actionOf, valuesOf, type PlanIndex } from "./plan-index";

const KMS_PRINCIPAL = /(^|:)cks\.kms\.[a-z0-9-]+\.amazonaws\.com$/;

/** Whether an endpoint service's allowed principal is KMS's (for XKS). */
export function isKmsPrincipal(p: string): boolean {
  return KMS_PRINCIPAL.test(p);
}

function bothValues(rc: ResourceChange): JsonObject[] {
  return [valuesOf(rc.change.before), valuesOf(rc.change.after)];
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : typeof v === "string" ? [v] : [];
}

/** Every string anywhere inside a value (for ARNs nested in blocks such as `default_action`). */
function allStrings(v: JsonValue | undefined, out: Set<string> = new Set()): Set<string> {
  const stack: (JsonValue | undefined)[] = [v];
  while (stack.length) {
    const x = stack.pop();
    if (typeof x === "string") out.add(x);
    else if (Array.isArray(x)) stack.push(...x);
    else if (x && typeof x === "object") stack.push(...Object.values(x));
  }
  return out;
}

/** What part of the XKS path a resource is. */
export type XksRole = "service" | "nlb" | "listener" | "target-group" | "attachment" | "principal";

interface XksPath {
  readonly roles: Map<string, XksRole>;
  /** Target group address -> its attachments. */
  readonly attachments: Map<string, ResourceChange[]>;
}

const cache = new WeakMap<PlanIndex, XksPath>();

function detect(idx: PlanIndex): XksPath {
  const roles = new Map<string, XksRole>();
  const stores = idx.ofTypes("aws_kms_custom_key_store");
  const storeNames = new Set(
    stores.flatMap((s) => bothValues(s).flatMap((v) => strings(v.xks_proxy_vpc_endpoint_service_name))),
  );
  const principals = idx
    .ofTypes("aws_vpc_endpoint_service_allowed_principal")
    .filter((p) => bothValues(p).some((v) => strings(v.principal_arn).some(isKmsPrincipal)));
  for (const p of principals) roles.set(p.address, "principal");
  const principalServiceIds = new Set(
    principals.flatMap((p) => bothValues(p).flatMap((v) => strings(v.vpc_endpoint_service_id))),
  );
  const services = idx.ofTypes("aws_vpc_endpoint_service").filter((svc) => {
    const vals = bothValues(svc);
    return (
      vals.some((v) => strings(v.service_name).some((n) => storeNames.has(n))) ||
      stores.some((s) => idx.refersTo(s.address, svc.address, "xks_proxy_vpc_endpoint_service_name")) ||
      vals.some((v) => strings(v.allowed_principals).some(isKmsPrincipal)) ||
      vals.some((v) => strings(v.id).some((id) => principalServiceIds.has(id))) ||
      principals.some((p) => idx.refersTo(p.address, svc.address))
    );
  });
  for (const s of services) roles.set(s.address, "service");
  const listed = new Set(services.flatMap((s) => bothValues(s).flatMap((v) => strings(v.network_load_balancer_arns))));
  // A load balancer the XKS service lists or references carries the path, unless it says it is an
  // application load balancer (an endpoint service cannot front one); an absent type does not exclude it.
  const nlbs = idx.ofTypes("aws_lb", "aws_alb").filter((lb) => {
    const vals = bothValues(lb);
    if (
      vals.some((v) => v.load_balancer_type === "application") &&
      !vals.some((v) => v.load_balancer_type === "network")
    )
      return false;
    return (
      vals.some((v) => strings(v.arn).some((a) => listed.has(a))) ||
      services.some((s) => idx.refersTo(s.address, lb.address))
    );
  });
  for (const lb of nlbs) roles.set(lb.address, "nlb");
  const nlbArns = new Set(nlbs.flatMap((lb) => bothValues(lb).flatMap((v) => strings(v.arn))));
  const listeners = idx
    .ofTypes("aws_lb_listener", "aws_alb_listener")
    .filter(
      (l) =>
        bothValues(l).some((v) => strings(v.load_balancer_arn).some((a) => nlbArns.has(a))) ||
        nlbs.some((lb) => idx.refersTo(l.address, lb.address, "load_balancer_arn")),
    );
  for (const l of listeners) roles.set(l.address, "listener");
  const forwarded = new Set(listeners.flatMap((l) => bothValues(l).flatMap((v) => [...allStrings(v.default_action)])));
  const groups = idx
    .ofTypes("aws_lb_target_group", "aws_alb_target_group")
    .filter(
      (g) =>
        bothValues(g).some((v) => strings(v.arn).some((a) => forwarded.has(a))) ||
        listeners.some((l) => idx.refersTo(l.address, g.address, "default_action")),
    );
  for (const g of groups) roles.set(g.address, "target-group");
  const attachments = new Map<string, ResourceChange[]>();
  for (const g of groups) {
    const arns = new Set(bothValues(g).flatMap((v) => strings(v.arn)));
    const mine = idx
      .ofTypes("aws_lb_target_group_attachment", "aws_alb_target_group_attachment")
      .filter(
        (a) =>
          bothValues(a).some((v) => strings(v.target_group_arn).some((x) => arns.has(x))) ||
          idx.refersTo(a.address, g.address, "target_group_arn"),
      );
    for (const a of mine) roles.set(a.address, "attachment");
    attachments.set(g.address, mine);
  }
  return { roles, attachments };
}

function pathOf(idx: PlanIndex): XksPath {
  let found = cache.get(idx);
  if (!found) {
    found = detect(idx);
    cache.set(idx, found);
  }
  return found;
}

/** The part of the XKS path a change is, if any. */
export function xksRole(rc: ResourceChange, idx: PlanIndex): XksRole | undefined {
  return pathOf(idx).roles.get(rc.address);
}

/** Target groups of the XKS path whose attachments all go in this plan (each with the ones leaving). */
export function emptiedTargetGroups(idx: PlanIndex): { group: string; leaving: ResourceChange[] }[] {
  const out: { group: string; leaving: ResourceChange[] }[] = [];
  for (const [group, list] of pathOf(idx).attachments) {
    const existing = list.filter((a) => actionOf(a.change.actions) !== "create" && !a.deposed);
    if (existing.length === 0) continue;
    // A delete-then-create replacement leaves the group empty meanwhile. Create-then-delete keeps a
    // target only when the new one differs from every target that leaves: registering a target that
    // is already registered changes nothing, and the old attachment's delete then deregisters it
    // (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DeregisterTargets.html).
    const target = (v: JsonObject): string | undefined =>
      typeof v.target_id === "string" ? `${v.target_id}:${typeof v.port === "number" ? v.port : ""}` : undefined;
    const leavingTargets = new Set(
      existing
        .filter((a) => actionOf(a.change.actions) !== "no-op" && actionOf(a.change.actions) !== "read")
        .map((a) => target(valuesOf(a.change.before))),
    );
    const stays = (a: ResourceChange): boolean => {
      const act = actionOf(a.change.actions);
      if (act === "replace" && a.change.actions[0] === "create") {
        const t = target(valuesOf(a.change.after));
        return t !== undefined && !leavingTargets.has(t);
      }
      return act === "create" || act === "update" || act === "no-op" || act === "read";
    };
    if (list.some((a) => !a.deposed && stays(a))) continue;
    out.push({ group, leaving: existing });
  }
  return out;
}
