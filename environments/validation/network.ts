/** Network: private subnets in at least 2 AZs, address plan consistent with on-premises ranges. */
import type { EnvironmentConfig } from "../types";
import type { ConstraintTable, FieldContext, Violation } from "./engine";
import { NETWORK } from "@cmk-stacks/aws-limits";
import { azInRegion, contains, duplicates, isString, matches, oneOf, overlaps, parseCidr } from "./checks";

const SRC_VPC = `Amazon VPC: IPv4 CIDR blocks /${NETWORK.VPC_CIDR_PREFIX.min}-/${NETWORK.VPC_CIDR_PREFIX.max}`;
const SRC_AZ = `CloudHSM, NLB and XKS need subnets in at least ${NETWORK.MIN_AZS.value} AZs`;
const SRC_RTB = "Amazon VPC route tables: a subnet uses its explicit association or the main route table";
const SRC_ONPREM = "Amazon VPC routing to on-premises networks (transit gateway, virtual private gateway)";

function subnets(env: EnvironmentConfig): { az: unknown; cidr: unknown; id?: unknown }[] {
  const list = (env.network as { subnets?: unknown } | undefined)?.subnets;
  return Array.isArray(list) ? (list as { az: unknown; cidr: unknown; id?: unknown }[]) : [];
}

export const networkTable: ConstraintTable = {
  domain: "network",
  fields: [
    {
      field: "network.mode",
      rule: "'new' or 'existing'",
      source: "network module",
      required: true,
      check: oneOf("new", "existing"),
    },
    {
      field: "network.cidr",
      rule: `an IPv4 CIDR between /${NETWORK.VPC_CIDR_PREFIX.min} and /${NETWORK.VPC_CIDR_PREFIX.max} (network address)`,
      source: SRC_VPC,
      required: true,
      check: NETWORK.isVpcCidr,
    },
    {
      field: "network.vpcId",
      rule: "a VPC id (vpc- and 8 or 17 hex chars)",
      source: "EC2 resource ids",
      when: (c) => c.parent.mode === "existing",
      required: true,
      check: matches(NETWORK.VPC_ID.regex),
    },
    {
      field: "network.subnets",
      rule: `a list of at least ${NETWORK.MIN_AZS.value} subnets`,
      source: SRC_AZ,
      required: true,
      check: (v) => Array.isArray(v) && v.length >= NETWORK.MIN_AZS.value,
    },
    {
      field: "network.subnets.*.az",
      rule: "an AZ of the environment's Region",
      source: "EC2 Availability Zones",
      required: true,
      when: (c) => isString(c.env.region),
      check: (v, c) => azInRegion(v, String(c.env.region)),
    },
    {
      field: "network.subnets.*.cidr",
      rule: `an IPv4 CIDR between /${NETWORK.SUBNET_CIDR_PREFIX.min} and /${NETWORK.SUBNET_CIDR_PREFIX.max} (network address)`,
      source: "Amazon VPC: subnet CIDR blocks",
      required: true,
      check: NETWORK.isSubnetCidr,
    },
    {
      field: "network.subnets.*.id",
      rule: "a subnet id (subnet- and 8 or 17 hex chars)",
      source: "EC2 resource ids",
      when: (c) => c.env.network?.mode === "existing",
      required: true,
      check: matches(NETWORK.SUBNET_ID.regex),
    },
    {
      field: "network.onPremisesCidrs.*",
      rule: "an IPv4 CIDR (network address)",
      source: "on-premises address plan",
      check: (v) => parseCidr(v) !== undefined,
    },
    {
      field: "network.natGateway",
      rule: "false (key infrastructure has no public subnets)",
      source: "network module",
      when: (c) => c.parent.mode === "new",
      check: (v) => v === false,
    },
    // Needed with xks, cloudHsm or an on-premises connection: the S3 gateway endpoint goes on it, routes are checked on it.
    ...[true, false].map((needed) => ({
      field: "network.subnets.*.routeTableId",
      rule: "the id of the route table the subnet uses (rtb- and 8 or 17 hex chars), needed with xks, cloudHsm or onPremisesConnection",
      source: SRC_RTB,
      when: (c: FieldContext) =>
        c.env.network?.mode === "existing" &&
        (c.env.xks !== undefined ||
          c.env.cloudHsm !== undefined ||
          c.env.network.onPremisesConnection !== undefined) === needed,
      required: needed,
      check: matches(NETWORK.ROUTE_TABLE_ID.regex),
    })),
    {
      field: "network.onPremisesConnection.type",
      rule: (c) =>
        c.env.network?.mode === "existing"
          ? "'existingRoutes' for an existing VPC (its routes to the data centre are checked at plan time)"
          : "'transitGateway' or 'vpnGateway' for a new VPC",
      source: SRC_ONPREM,
      required: true,
      check: (v, c) =>
        c.env.network?.mode === "existing" ? v === "existingRoutes" : v === "transitGateway" || v === "vpnGateway",
    },
    {
      field: "network.onPremisesConnection.transitGatewayId",
      rule: "a transit gateway id (tgw- and 8 or 17 hex chars)",
      source: "EC2 resource ids",
      when: (c) => c.parent.type === "transitGateway",
      required: true,
      check: matches(NETWORK.TRANSIT_GATEWAY_ID.regex),
    },
    {
      field: "network.onPremisesConnection.vpnGatewayId",
      rule: "a virtual private gateway id (vgw- and 8 or 17 hex chars)",
      source: "EC2 resource ids",
      when: (c) => c.parent.type === "vpnGateway",
      check: matches(NETWORK.VPN_GATEWAY_ID.regex),
    },
  ],
  cross: [
    {
      description: "subnets span at least 2 distinct AZs",
      source: SRC_AZ,
      check: (env) => {
        const azs = new Set(
          subnets(env)
            .map((s) => s.az)
            .filter(isString),
        );
        return subnets(env).length >= NETWORK.MIN_AZS.value && azs.size < NETWORK.MIN_AZS.value
          ? [
              {
                path: "network.subnets",
                value: [...azs],
                rule: `subnets in at least ${NETWORK.MIN_AZS.value} distinct AZs`,
                source: SRC_AZ,
              },
            ]
          : [];
      },
    },
    {
      description: "subnet CIDRs inside the VPC CIDR, not overlapping each other or on-premises ranges",
      source: "Amazon VPC subnet sizing; XKS: VPC must not overlap the key manager's network",
      check: (env) => {
        const out: Violation[] = [];
        const vpc = parseCidr(env.network?.cidr);
        const onPrem = (env.network?.onPremisesCidrs ?? []).map((c) => ({ text: c, cidr: parseCidr(c) }));
        if (vpc) {
          for (const [i, p] of onPrem.entries()) {
            if (p.cidr && overlaps(vpc, p.cidr)) {
              out.push({
                path: `network.onPremisesCidrs.${i}`,
                value: p.text,
                rule: `a range that does not overlap the VPC CIDR ${env.network.cidr}`,
                source: "XKS over PrivateLink: VPC CIDR must not overlap the data centre",
              });
            }
          }
        }
        const parsed = subnets(env).map((s) => parseCidr(s.cidr));
        parsed.forEach((c, i) => {
          const text = subnets(env)[i].cidr;
          if (!c) return;
          if (vpc && !contains(vpc, c)) {
            out.push({
              path: `network.subnets.${i}.cidr`,
              value: text,
              rule: `a range inside the VPC CIDR ${env.network.cidr}`,
              source: "Amazon VPC: subnet CIDR blocks",
            });
          }
          for (let j = 0; j < i; j++) {
            const other = parsed[j];
            if (other && overlaps(c, other)) {
              out.push({
                path: `network.subnets.${i}.cidr`,
                value: text,
                rule: `a range that does not overlap network.subnets.${j}.cidr ${String(subnets(env)[j].cidr)}`,
                source: "Amazon VPC: subnet CIDR blocks",
              });
            }
          }
          for (const p of onPrem) {
            if (p.cidr && overlaps(c, p.cidr)) {
              out.push({
                path: `network.subnets.${i}.cidr`,
                value: text,
                rule: `a range that does not overlap the on-premises range ${p.text}`,
                source: "on-premises address plan",
              });
            }
          }
        });
        return out;
      },
    },
    {
      description: "an on-premises connection routes declared on-premises ranges",
      source: SRC_ONPREM,
      check: (env) =>
        // With xks the XKS table reports the missing ranges (one line per field).
        !env.xks && env.network?.onPremisesConnection !== undefined && (env.network.onPremisesCidrs ?? []).length === 0
          ? [
              {
                path: "network.onPremisesCidrs",
                value: env.network.onPremisesCidrs,
                rule: "at least one data centre range when network.onPremisesConnection is set (the ranges routed to it)",
                source: SRC_ONPREM,
              },
            ]
          : [],
    },
    {
      description: "on-premises ranges are listed once",
      source: "VPC route tables and security group rules: one per destination",
      check: (env) => {
        const list = env.network?.onPremisesCidrs ?? [];
        const seen = new Set<string>();
        return list.flatMap((c, i) => {
          if (!seen.has(c)) {
            seen.add(c);
            return [];
          }
          return [
            {
              path: `network.onPremisesCidrs.${i}`,
              value: c,
              rule: "a range listed once",
              source: "VPC route tables and security group rules: one per destination",
            },
          ];
        });
      },
    },
    {
      description: "subnet ids are unique",
      source: "EC2 resource ids",
      check: (env) =>
        duplicates(
          subnets(env)
            .map((s) => s.id)
            .filter(isString),
        ).map((id) => ({
          path: "network.subnets",
          value: id,
          rule: "each subnet listed once",
          source: "EC2 resource ids",
        })),
    },
  ],
};
