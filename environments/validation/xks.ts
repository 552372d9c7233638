/** External key store (XKS) over a VPC endpoint service: every requirement of https://docs.aws.amazon.com/kms/latest/developerguide/vpc-connectivity.html. */
import { inRange, KMS, NAMES, SECRETS_MANAGER, XKS, type Range } from "@cmk-stacks/aws-limits";
import type { ConstraintTable, Violation } from "./engine";
import {
  containsIp,
  isString,
  matches,
  oneOf,
  parseCidr,
  parseIpv4,
  partitionOfRegion,
  PRIVATE_RANGES,
} from "./checks";

const SRC_CKS = "KMS CreateCustomKeyStore";
/** A whole number in the rulebook's `range`, and its words (`5-300 seconds`). */
const within =
  (range: Range) =>
  (v: unknown): boolean =>
    typeof v === "number" && inRange(range, v);
const span = (range: Range): string => `${range.min}-${range.max}${range.unit ? ` ${range.unit}` : ""}`;

export const xksTable: ConstraintTable = {
  domain: "xks",
  fields: [
    {
      field: "xks.keyStoreName",
      rule: `${KMS.CUSTOM_KEY_STORE_NAME_LENGTH.min}-${KMS.CUSTOM_KEY_STORE_NAME_LENGTH.max} chars`,
      source: `${SRC_CKS} CustomKeyStoreName`,
      required: true,
      check: KMS.isCustomKeyStoreName,
    },
    {
      field: "xks.privateDnsName",
      rule: "a lowercase DNS name such as xks.example.com",
      source: "VPC endpoint service private DNS name",
      required: true,
      check: NAMES.isDnsName,
    },
    {
      field: "xks.privateDnsName",
      rule: `a name whose URI endpoint https://<name> is ${XKS.URI_ENDPOINT_LENGTH.min}-${XKS.URI_ENDPOINT_LENGTH.max} chars of letters, digits, '.' and '-'`,
      source: `${SRC_CKS} XksProxyUriEndpoint`,
      check: (v) => XKS.isUriEndpoint(`https://${String(v)}`),
    },
    {
      field: "xks.publicZone.id",
      rule: XKS.HOSTED_ZONE_ID.allowed,
      source: "Route 53 hosted zone ids",
      required: true,
      check: matches(XKS.HOSTED_ZONE_ID.regex),
    },
    {
      field: "xks.publicZone.domain",
      rule: "a lowercase DNS domain such as example.com",
      source: "Route 53 public hosted zone",
      required: true,
      check: NAMES.isDnsName,
    },
    {
      field: "xks.uriPath",
      rule: XKS.URI_PATH.allowed,
      source: `${SRC_CKS} XksProxyUriPath`,
      required: true,
      check: XKS.isUriPath,
    },
    {
      field: "xks.proxyTargets",
      rule: "at least 2 proxy addresses (KMS needs a redundant proxy fleet)",
      source: "XKS proxy availability; NLB target group",
      required: true,
      check: (v) => Array.isArray(v) && v.length >= 2 && new Set(v).size === v.length,
    },
    {
      field: "xks.proxyTargets.*",
      rule: "a private IPv4 address (10/8, 172.16/12, 192.168/16 or 100.64/10)",
      source: "NLB IP targets outside the VPC",
      check: (v) => {
        const ip = parseIpv4(v);
        return ip !== undefined && PRIVATE_RANGES.some((r) => containsIp(r, ip));
      },
    },
    {
      field: "xks.healthCheck.protocol",
      rule: "'TCP' or 'HTTPS'",
      source: "ELB target group health checks",
      check: oneOf("TCP", "HTTPS"),
    },
    {
      field: "xks.healthCheck.path",
      rule: `${XKS.HEALTH_CHECK_PATH.allowed} (at most ${XKS.HEALTH_CHECK_PATH_LENGTH.max} chars), HTTPS only`,
      source: "ELB target group health checks",
      check: (v, c) =>
        c.parent.protocol === "HTTPS" &&
        matches(XKS.HEALTH_CHECK_PATH.regex, XKS.HEALTH_CHECK_PATH_LENGTH.min, XKS.HEALTH_CHECK_PATH_LENGTH.max)(v),
    },
    {
      field: "xks.healthCheck.path",
      rule: "a path outside the XKS proxy API (/kms/xks/...: its health operation is a SigV4-signed POST, which a load balancer health check cannot send, so every proxy would be marked unhealthy): use protocol 'TCP', or the proxy's own unauthenticated status path",
      source: "XKS proxy API specification; ELB health checks send unsigned GET requests",
      when: (c) => c.parent.protocol === "HTTPS",
      check: (v) => isString(v) && !XKS.isProxyApiPath(v),
    },
    {
      field: "xks.healthCheck.intervalSeconds",
      rule: span(XKS.HEALTH_CHECK_INTERVAL_SECONDS),
      source: "ELB target group health checks",
      check: within(XKS.HEALTH_CHECK_INTERVAL_SECONDS),
    },
    {
      field: "xks.healthCheck.healthyThreshold",
      rule: span(XKS.HEALTH_CHECK_THRESHOLD),
      source: "ELB target group health checks",
      check: within(XKS.HEALTH_CHECK_THRESHOLD),
    },
    {
      field: "xks.healthCheck.unhealthyThreshold",
      rule: span(XKS.HEALTH_CHECK_THRESHOLD),
      source: "ELB target group health checks",
      check: within(XKS.HEALTH_CHECK_THRESHOLD),
    },
    {
      field: "xks.credential.source",
      rule: "'variable' or 'secretsManager' (never a literal in an environment module)",
      source: "XKS proxy authentication credential",
      required: true,
      check: oneOf("variable", "secretsManager"),
    },
    {
      field: "xks.credential.secretArn",
      rule: "a Secrets Manager secret ARN in the environment's account and Region",
      source: "Secrets Manager ARNs",
      when: (c) => c.parent.source === "secretsManager",
      required: true,
      check: (v, c) => {
        // The same pattern as the XksCredential construct; then this environment's partition, Region and account.
        const arn = SECRETS_MANAGER.parseSecretArn(v);
        return (
          arn !== undefined &&
          isString(c.env.region) &&
          arn.partition === partitionOfRegion(c.env.region) &&
          arn.region === c.env.region &&
          arn.account === String(c.env.account)
        );
      },
    },
  ],
  cross: [
    {
      description: "the private DNS name is a subdomain of the public zone's domain",
      source: "VPC endpoint service private DNS name verification",
      check: (env) => {
        const x = env.xks;
        if (!x || !isString(x.privateDnsName) || !isString(x.publicZone?.domain)) return [];
        return x.privateDnsName.endsWith(`.${x.publicZone.domain}`)
          ? []
          : [
              {
                path: "xks.privateDnsName",
                value: x.privateDnsName,
                rule: `a subdomain of the public zone's domain ${x.publicZone.domain} (domain ownership is verified with a TXT record there)`,
                source: "VPC endpoint service private DNS name verification",
              },
            ];
      },
    },
    {
      description: "the proxies are on premises: declared on-premises ranges, outside the VPC",
      source: "XKS over PrivateLink: NLB reaches the proxies through the VPC's routes to the data centre",
      check: (env) => {
        if (!env.xks || !Array.isArray(env.xks.proxyTargets)) return [];
        const out: Violation[] = [];
        const onPrem = (env.network?.onPremisesCidrs ?? []).map(parseCidr);
        if (onPrem.length === 0) {
          out.push({
            path: "network.onPremisesCidrs",
            value: env.network?.onPremisesCidrs,
            rule: "the data centre ranges that hold the XKS proxies (needed with xks)",
            source: "XKS: VPC CIDR must not overlap the key manager's network",
          });
        }
        const vpc = parseCidr(env.network?.cidr);
        env.xks.proxyTargets.forEach((t, i) => {
          const ip = parseIpv4(t);
          if (ip === undefined) return;
          if (vpc && containsIp(vpc, ip)) {
            out.push({
              path: `xks.proxyTargets.${i}`,
              value: t,
              rule: `an on-premises address outside the VPC CIDR ${env.network.cidr}`,
              source: "XKS over PrivateLink",
            });
          } else if (onPrem.length > 0 && !onPrem.some((c) => c && containsIp(c, ip))) {
            out.push({
              path: `xks.proxyTargets.${i}`,
              value: t,
              rule: `an address inside network.onPremisesCidrs (${(env.network.onPremisesCidrs ?? []).join(", ")})`,
              source: "XKS over PrivateLink",
            });
          }
        });
        return out;
      },
    },
    {
      description: "the VPC has a path to the data centre (onPremisesConnection)",
      source:
        "XKS over PrivateLink: the load balancer reaches the proxies through the VPC's routes (XKS_PROXY_NOT_REACHABLE without one)",
      check: (env) =>
        !env.xks || env.network?.onPremisesConnection !== undefined
          ? []
          : [
              {
                path: "network.onPremisesConnection",
                value: undefined,
                rule:
                  env.network?.mode === "existing"
                    ? `a route from the subnets to network.onPremisesCidrs for the XKS load balancer: set { type: "existingRoutes" } (checked on each subnets[].routeTableId at plan time)`
                    : `a route from the subnets to network.onPremisesCidrs for the XKS load balancer: set { type: "transitGateway", transitGatewayId: "tgw-..." } or { type: "vpnGateway" }`,
                source: "XKS over PrivateLink: without it every proxy is unreachable (XKS_PROXY_NOT_REACHABLE)",
              },
            ],
    },
    {
      description: "at least 2 subnets in distinct AZs for the NLB",
      source: "NLB and XKS over PrivateLink",
      check: (env) => {
        if (!env.xks || !Array.isArray(env.network?.subnets)) return [];
        const azs = new Set(env.network.subnets.map((s) => s?.az));
        return azs.size >= 2
          ? []
          : [
              {
                path: "network.subnets",
                value: [...azs],
                rule: "subnets in at least 2 distinct AZs for the XKS load balancer",
                source: "NLB and XKS over PrivateLink",
              },
            ];
      },
    },
  ],
};
