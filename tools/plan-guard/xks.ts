/**
 * Which VPC endpoint services and load balancers carry KMS's path to an external key store (XKS)
 * proxy. Losing either makes every key in the store unusable at once. Evidence, any of:
 * - an aws_kms_custom_key_store names the service (`xks_proxy_vpc_endpoint_service_name` equal to
 *   its `service_name`, or a configuration reference to it);
 * - the service allows the principal `cks.kms.<region>.amazonaws.com` (in `allowed_principals` or an
 *   aws_vpc_endpoint_service_allowed_principal that references it);
 * - its private DNS name or tags mention "xks".
 * A network load balancer belongs to XKS when such a service lists it (`network_load_balancer_arns`
 * or a configuration reference), or its name or tags mention "xks".
 */
import { isObject, type JsonObject, type ResourceChange } from "../terraform/plan-json";
import { valuesOf, type PlanIndex } from "./plan-index";

const KMS_PRINCIPAL = /^(arn:aws[a-z-]*:iam::\d{12}:)?.*cks\.kms\.[a-z0-9-]+\.amazonaws\.com/;

function mentionsXks(v: JsonObject): boolean {
  const tags = { ...(isObject(v.tags_all) ? v.tags_all : {}), ...(isObject(v.tags) ? v.tags : {}) };
  return [v.name, v.private_dns_name, ...Object.keys(tags), ...Object.values(tags)].some((t) => typeof t === "string" && /xks/i.test(t));
}

function bothValues(rc: ResourceChange): JsonObject[] {
  return [valuesOf(rc.change.before), valuesOf(rc.change.after)];
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : typeof v === "string" ? [v] : [];
}

const cache = new WeakMap<PlanIndex, { services: Set<string>; nlbs: Set<string> }>();

function detect(idx: PlanIndex): { services: Set<string>; nlbs: Set<string> } {
  const services = new Set<string>();
  const stores = idx.ofTypes("aws_kms_custom_key_store");
  const storeNames = new Set(stores.flatMap((s) => bothValues(s).flatMap((v) => strings(v.xks_proxy_vpc_endpoint_service_name))));
  const principals = idx.ofTypes("aws_vpc_endpoint_service_allowed_principal").filter((p) => bothValues(p).some((v) => strings(v.principal_arn).some((a) => KMS_PRINCIPAL.test(a))));
  const principalServiceIds = new Set(principals.flatMap((p) => bothValues(p).flatMap((v) => strings(v.vpc_endpoint_service_id))));
  for (const svc of idx.ofTypes("aws_vpc_endpoint_service")) {
    const vals = bothValues(svc);
    const isXks =
      vals.some((v) => strings(v.service_name).some((n) => storeNames.has(n))) ||
      stores.some((s) => idx.refersTo(s.address, svc.address, "xks_proxy_vpc_endpoint_service_name")) ||
      vals.some((v) => strings(v.allowed_principals).some((a) => KMS_PRINCIPAL.test(a))) ||
      vals.some((v) => strings(v.id).some((id) => principalServiceIds.has(id))) ||
      principals.some((p) => idx.refersTo(p.address, svc.address)) ||
      vals.some(mentionsXks);
    if (isXks) services.add(svc.address);
  }
  const nlbs = new Set<string>();
  const xksServices = idx.ofTypes("aws_vpc_endpoint_service").filter((s) => services.has(s.address));
  const listed = new Set(xksServices.flatMap((s) => bothValues(s).flatMap((v) => strings(v.network_load_balancer_arns))));
  for (const lb of idx.ofTypes("aws_lb", "aws_alb")) {
    const vals = bothValues(lb);
    if (!vals.some((v) => v.load_balancer_type === "network")) continue;
    const isXks = vals.some((v) => strings(v.arn).some((a) => listed.has(a))) || xksServices.some((s) => idx.refersTo(s.address, lb.address)) || vals.some(mentionsXks);
    if (isXks) nlbs.add(lb.address);
  }
  return { services, nlbs };
}

/** Whether the change is to the XKS endpoint service or its network load balancer. */
export function isXksPath(rc: ResourceChange, idx: PlanIndex): "service" | "nlb" | undefined {
  let found = cache.get(idx);
  if (!found) {
    found = detect(idx);
    cache.set(idx, found);
  }
  if (found.services.has(rc.address)) return "service";
  if (found.nlbs.has(rc.address)) return "nlb";
  return undefined;
}
