/**
 * Names the stacks give to resources, derived from the environment name: the environment name's own
 * rule and the AWS naming rules the derived names must follow (validation/names.ts audits each
 * derived name against them).
 */
import type { Pattern, Range } from "./rule";

const ELB_DOC = "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html";

/** Length of an ELB load balancer or target group name. */
export const ELB_NAME_LENGTH: Range = { min: 1, max: 32, integer: true, unit: "characters", doc: ELB_DOC };

/** Characters of an ELB name. */
export const ELB_NAME_CHARS = /^[A-Za-z0-9-]+$/;

/** The prefix ELB reserves for the DNS names of internal load balancers: no load balancer name starts with it. */
export const ELB_RESERVED_PREFIX = "internal-";

/** An ELB naming rule a name can break. */
export type ElbNameRule = "length" | "characters" | "hyphen" | "reserved-prefix";

/**
 * Every ELB naming rule `name` breaks (CreateLoadBalancer, CreateTargetGroup Name), in this order: at
 * most 32 characters; letters, digits and hyphens; not starting or ending with a hyphen; a load
 * balancer's not starting with `internal-` (the prefix of internal load balancers' DNS names).
 * The one check behind validation's derived-name rule and the XksProxyEndpoint construct's refusals.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html
 */
export function elbNameBreaks(name: string, loadBalancer: boolean): ElbNameRule[] {
  const broken: ElbNameRule[] = [];
  if (name.length > ELB_NAME_LENGTH.max) broken.push("length");
  if (!ELB_NAME_CHARS.test(name)) broken.push("characters");
  if (name.startsWith("-") || name.endsWith("-")) broken.push("hyphen");
  if (loadBalancer && name.toLowerCase().startsWith(ELB_RESERVED_PREFIX)) broken.push("reserved-prefix");
  return broken;
}

/** The first ELB naming rule `name` breaks ({@link elbNameBreaks}), in words, or undefined. */
export function elbNameProblem(name: string, loadBalancer: boolean): string | undefined {
  const words: Record<ElbNameRule, string> = {
    length: `at most ${ELB_NAME_LENGTH.max} characters`,
    characters: "letters, digits and hyphens only",
    hyphen: "not starting or ending with a hyphen",
    "reserved-prefix": `not starting with "${ELB_RESERVED_PREFIX}" (ELB reserves it for the DNS names of internal load balancers)`,
  };
  const [first] = elbNameBreaks(name, loadBalancer);
  return first ? words[first] : undefined;
}

/**
 * The environment name (a project rule): it prefixes every stack and derived resource name; at 20
 * characters the longest derived ELB name, the target group `<name>-xks-proxies`, is exactly
 * {@link ELB_NAME_LENGTH}'s 32.
 */
export const ENVIRONMENT_NAME_LENGTH: Range = { min: 2, max: 20, integer: true, unit: "chars", doc: ELB_DOC };

/** The environment name's pattern and its words ({@link ENVIRONMENT_NAME_LENGTH}). */
export const ENVIRONMENT_NAME: Pattern = {
  regex: new RegExp(`^[a-z][a-z0-9-]{${ENVIRONMENT_NAME_LENGTH.min - 1},${ENVIRONMENT_NAME_LENGTH.max - 1}}$`),
  allowed: `${ENVIRONMENT_NAME_LENGTH.min}-${ENVIRONMENT_NAME_LENGTH.max} chars: lowercase letters, digits, '-', starting with a letter`,
  doc: ELB_DOC,
};

const DNS_DOC = "https://datatracker.ietf.org/doc/html/rfc1035#section-2.3.4";

/** Length of a DNS host name (RFC 1035 "Size limits"), e.g. an XKS endpoint service's private DNS name or a Terraform Enterprise host. */
export const DNS_NAME_LENGTH: Range = { min: 1, max: 253, integer: true, unit: "chars", doc: DNS_DOC };

/** One label of a lowercase DNS host name: 1-63 letters, digits and hyphens, no hyphen first or last (RFC 1035, RFC 1123). */
export const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Whether `v` is a lowercase DNS host name of at least two labels within {@link DNS_NAME_LENGTH}. */
export function isDnsName(v: unknown): boolean {
  return (
    typeof v === "string" &&
    v.length <= DNS_NAME_LENGTH.max &&
    v.split(".").length >= 2 &&
    v.split(".").every((l) => DNS_LABEL.test(l))
  );
}
