/**
 * `npm run doctor -- <env>`: is the account ready for the environment's first deploy? Read-only
 * calls with the operator's session; every finding names its fix. What the environment will use
 * is derived from its resolved configuration (the same rules the constructs follow: one interface
 * endpoint per service the admin host needs, an S3 gateway endpoint, one HSM per entry of
 * cloudHsm.hsmAzs, ...), so doctor needs no synth.
 */
import { CLOUDHSM, KMS, NETWORK } from "@cmk-stacks/aws-limits";
import { DescribeClustersCommand, type Cluster } from "@aws-sdk/client-cloudhsm-v2";
import {
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeTransitGatewaysCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  DescribeVpnGatewaysCommand,
  type Filter,
  type Subnet,
  type VpcEndpoint,
} from "@aws-sdk/client-ec2";
import {
  GetOpenIDConnectProviderCommand,
  GetRoleCommand,
  ListOpenIDConnectProvidersCommand,
} from "@aws-sdk/client-iam";
import { DescribeCustomKeyStoresCommand, type CustomKeyStoresListEntry } from "@aws-sdk/client-kms";
import { GetHostedZoneCommand } from "@aws-sdk/client-route-53";
import {
  GetBucketEncryptionCommand,
  GetBucketLocationCommand,
  GetBucketPolicyCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import {
  GetAWSDefaultServiceQuotaCommand,
  GetServiceQuotaCommand,
  ListServiceQuotasCommand,
} from "@aws-sdk/client-service-quotas";
import { SERVICE_LINKED_ROLES, STATE_BACKEND } from "@cmk-stacks/aws-limits";
import { awsErrorCode } from "../../hooks/lib/errors";
import type { ResolvedEnvironment } from "../../environments/resolve";
import { IN_VPC_HOOK_SERVICES, SSM_HOST_SERVICES } from "../../modules/network/service-endpoints";
import { tokenVariable } from "../ci/tfc";
import type { OpsClients } from "./clients";
import { stackNames } from "./env";
import { notChecked, type Finding } from "./findings";
import { checkSession } from "./session";
import { checkScaleSchedules } from "./doctor-scale";

/** KMS: custom key stores per account and Region; not in Service Quotas: the rulebook's {@link KMS.CUSTOM_KEY_STORES_PER_REGION}. */
export const CUSTOM_KEY_STORES_PER_REGION = KMS.CUSTOM_KEY_STORES_PER_REGION.value;
/** CloudHSM quotas: the rulebook's defaults when Service Quotas has no value. */
export const CLOUDHSM_DEFAULTS = {
  clusters: CLOUDHSM.CLUSTERS_PER_REGION_QUOTA_DEFAULT.value,
  hsms: CLOUDHSM.HSMS_PER_REGION_QUOTA_DEFAULT.value,
  hsmsPerCluster: CLOUDHSM.HSMS_PER_CLUSTER.max,
} as const;
/** VPC quota codes in Service Quotas and their defaults: the rulebook's {@link NETWORK.VPC_QUOTAS}. */
export const VPC_QUOTAS = NETWORK.VPC_QUOTAS;
/** Addresses AWS reserves in every subnet: {@link NETWORK.RESERVED_ADDRESSES_PER_SUBNET}. */
const RESERVED_PER_SUBNET = NETWORK.RESERVED_ADDRESSES_PER_SUBNET.value;

export interface DoctorOptions {
  readonly progress?: (line: string) => void;
  /** The GitHub repository (`owner/name`) whose OIDC subjects the CI roles must trust. @default GITHUB_REPOSITORY */
  readonly repository?: string;
  /** ARNs of the CI roles to check. @default AWS_PLAN_ROLE_<ENV> / AWS_DEPLOY_ROLE_<ENV> from the environment */
  readonly planRole?: string;
  readonly deployRole?: string;
  /** S3 client for the state bucket's Region, when it differs from the environment's. */
  readonly stateS3?: S3Client;
  /** Terraform Cloud API access (tests: a loopback server). */
  readonly tfc?: { readonly baseUrl?: string; readonly token?: string; readonly fetch?: typeof fetch };
  /** Process environment (tokens, role variables). @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** The time the scale-to-zero window is judged at. @default now */
  readonly now?: Date;
}

/** What the environment's first deploy creates, from its configuration. */
export interface Needs {
  readonly keyStores: number;
  readonly clusters: number;
  readonly hsms: number;
  readonly interfaceEndpoints: number;
  readonly gatewayEndpoints: number;
  readonly endpointServices: number;
  readonly vpcs: number;
  /** Network interfaces per AZ, with what they are for. */
  readonly addressesByAz: Readonly<Record<string, { readonly count: number; readonly what: readonly string[] }>>;
}

export function needsOf(env: ResolvedEnvironment): Needs {
  const ch = env.cloudHsm;
  const interfaceEndpoints = ch
    ? env.hooks.runner === "lambda"
      ? SSM_HOST_SERVICES.length + IN_VPC_HOOK_SERVICES.length
      : SSM_HOST_SERVICES.length
    : 0;
  const addressesByAz: Record<string, { count: number; what: string[] }> = {};
  const add = (az: string, n: number, what: string) => {
    if (n <= 0) return;
    const e = (addressesByAz[az] ??= { count: 0, what: [] });
    e.count += n;
    e.what.push(`${n} ${what}`);
  };
  const azs = env.network.subnets.map((s) => s.az);
  for (const az of azs) {
    if (ch) {
      add(az, ch.hsmAzs.filter((a) => a === az).length, "HSM");
      // KMS puts a network interface in each of the cluster's subnets to reach it (INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET).
      add(az, 1, "KMS connection");
      add(az, interfaceEndpoints, "interface endpoints");
      // The admin host's subnet is the first one; counted in every AZ so a re-placement fits.
      add(az, 1, "admin host");
      if (env.hooks.runner === "lambda") add(az, 1, "hook Lambda");
    }
    if (env.xks) add(az, 1, "XKS load balancer");
  }
  return {
    keyStores: (ch ? 1 : 0) + (env.xks ? 1 : 0),
    clusters: ch ? 1 : 0,
    hsms: ch?.hsmAzs.length ?? 0,
    interfaceEndpoints,
    gatewayEndpoints: ch ? 1 : 0,
    endpointServices: env.xks ? 1 : 0,
    vpcs: env.network.mode === "new" ? 1 : 0,
    addressesByAz,
  };
}

async function pages<T>(
  fetchPage: (token: string | undefined) => Promise<{ items: T[] | undefined; next: string | undefined }>,
): Promise<T[]> {
  const out: T[] = [];
  let token: string | undefined;
  do {
    const p = await fetchPage(token);
    out.push(...(p.items ?? []));
    token = p.next;
  } while (token);
  return out;
}

/** A quota's applied value: GetServiceQuota, else the AWS default, else the documented default. */
async function quotaValue(
  c: OpsClients,
  serviceCode: string,
  code: string | undefined,
  name: string,
  fallback: number,
): Promise<{ value: number; source: string }> {
  try {
    let quotaCode = code;
    if (!quotaCode) {
      const all = await pages((NextToken) =>
        c.quotas
          .send(new ListServiceQuotasCommand({ ServiceCode: serviceCode, NextToken }))
          .then((r) => ({ items: r.Quotas, next: r.NextToken })),
      );
      const hit = all.find((q) => (q.QuotaName ?? "").toLowerCase() === name.toLowerCase());
      if (hit?.Value !== undefined)
        return { value: hit.Value, source: `Service Quotas ${serviceCode} ${hit.QuotaCode ?? ""}`.trim() };
      quotaCode = undefined;
    }
    if (quotaCode) {
      try {
        const r = await c.quotas.send(new GetServiceQuotaCommand({ ServiceCode: serviceCode, QuotaCode: quotaCode }));
        if (r.Quota?.Value !== undefined)
          return { value: r.Quota.Value, source: `Service Quotas ${serviceCode} ${quotaCode}` };
      } catch (e) {
        if (awsErrorCode(e) !== "NoSuchResourceException") throw e;
      }
      const d = await c.quotas.send(
        new GetAWSDefaultServiceQuotaCommand({ ServiceCode: serviceCode, QuotaCode: quotaCode }),
      );
      if (d.Quota?.Value !== undefined)
        return { value: d.Quota.Value, source: `Service Quotas ${serviceCode} ${quotaCode} (AWS default)` };
    }
  } catch {
    // Falls through to the documented default, said so in the finding.
  }
  return {
    value: fallback,
    source: `the documented default (Service Quotas gave no value for ${serviceCode} "${name}")`,
  };
}

function quotaFinding(
  subject: string,
  used: number,
  needed: number,
  quota: { value: number; source: string },
  fix: string,
): Finding {
  const detail = `${used} used + ${needed} needed of ${quota.value} (${quota.source})`;
  if (needed === 0)
    return {
      check: "quota",
      subject,
      severity: "ok",
      detail: `${used} used of ${quota.value}, none needed (${quota.source})`,
    };
  return used + needed <= quota.value
    ? { check: "quota", subject, severity: "ok", detail }
    : { check: "quota", subject, severity: "broken", detail, fix };
}

const increase = (service: string, name: string, code?: string) =>
  `request an increase in the Service Quotas console: ${service}, "${name}"${code ? ` (${code})` : ""}, or free some up`;

/** Quotas the environment will use, against what the account has left. */
export async function checkQuotas(env: ResolvedEnvironment, c: OpsClients, needs: Needs): Promise<Finding[]> {
  const out: Finding[] = [];
  const ourStores = new Set([env.cloudHsm?.keyStoreName, env.xks?.keyStoreName].filter(Boolean));
  if (needs.keyStores) {
    try {
      const stores = await pages<CustomKeyStoresListEntry>((Marker) =>
        c.kms
          .send(new DescribeCustomKeyStoresCommand({ Marker }))
          .then((r) => ({ items: r.CustomKeyStores, next: r.Truncated ? r.NextMarker : undefined })),
      );
      const others = stores.filter((s) => !ourStores.has(s.CustomKeyStoreName ?? "")).length;
      const existing = stores.length - others;
      out.push(
        quotaFinding(
          "custom key stores",
          others,
          needs.keyStores - existing,
          { value: CUSTOM_KEY_STORES_PER_REGION, source: "KMS resource quota, not in Service Quotas" },
          "delete unused custom key stores, or ask AWS Support (the quota is not in Service Quotas)",
        ),
      );
    } catch (e) {
      out.push(notChecked("quota", "custom key stores", "kms:DescribeCustomKeyStores", e));
    }
  }
  if (needs.clusters) {
    try {
      const clusters = (
        await pages<Cluster>((NextToken) =>
          c.cloudhsm
            .send(new DescribeClustersCommand({ NextToken }))
            .then((r) => ({ items: r.Clusters, next: r.NextToken })),
        )
      ).filter((cl) => cl.State !== "DELETED");
      const mine = clusters.filter((cl) =>
        (cl.TagList ?? []).some((t) => t.Key === "Environment" && t.Value === env.name),
      );
      const others = clusters.filter((cl) => !mine.includes(cl));
      const otherHsms = others.reduce((n, cl) => n + (cl.Hsms?.length ?? 0), 0);
      const myHsms = mine.reduce((n, cl) => n + (cl.Hsms?.length ?? 0), 0);
      const clusterQuota = await quotaValue(c, "cloudhsm", undefined, "Clusters", CLOUDHSM_DEFAULTS.clusters);
      const hsmQuota = await quotaValue(c, "cloudhsm", undefined, "HSMs", CLOUDHSM_DEFAULTS.hsms);
      out.push(
        quotaFinding(
          "CloudHSM clusters",
          others.length,
          Math.max(0, needs.clusters - mine.length),
          clusterQuota,
          increase("AWS CloudHSM", "Clusters"),
        ),
      );
      out.push(
        quotaFinding(
          "CloudHSM HSMs",
          otherHsms,
          Math.max(0, needs.hsms - myHsms),
          hsmQuota,
          increase("AWS CloudHSM", "HSMs"),
        ),
      );
    } catch (e) {
      out.push(notChecked("quota", "CloudHSM clusters", "cloudhsm:DescribeClusters", e));
    }
    out.push(
      quotaFinding(
        "HSMs per cluster",
        0,
        needs.hsms,
        { value: CLOUDHSM_DEFAULTS.hsmsPerCluster, source: "CloudHSM, not adjustable" },
        `configure at most ${CLOUDHSM_DEFAULTS.hsmsPerCluster} entries in cloudHsm.hsmAzs (not adjustable)`,
      ),
    );
  }
  const endpoints = async (filters: Filter[]) =>
    pages<VpcEndpoint>((NextToken) =>
      c.ec2
        .send(new DescribeVpcEndpointsCommand({ Filters: filters, NextToken }))
        .then((r) => ({ items: r.VpcEndpoints, next: r.NextToken })),
    );
  const live = (e: VpcEndpoint) =>
    !["deleted", "deleting", "rejected", "failed", "expired"].includes(String(e.State ?? "").toLowerCase());
  /** One VPC quota: what is used (and, when the environment already counts, what it still needs) against the quota. */
  const vpcQuota = async (
    what: string,
    subject: string,
    api: string,
    q: (typeof VPC_QUOTAS)[keyof typeof VPC_QUOTAS],
    count: () => Promise<{ used: number; need: number }>,
  ) => {
    try {
      const { used, need } = await count();
      out.push(
        quotaFinding(
          subject,
          used,
          need,
          await quotaValue(c, "vpc", q.code, q.name, q.default),
          increase("Amazon VPC", q.name, q.code),
        ),
      );
    } catch (e) {
      out.push(notChecked("quota", what, api, e));
    }
  };
  if (needs.interfaceEndpoints) {
    await vpcQuota(
      "interface endpoints per VPC",
      `interface endpoints per VPC${env.network.mode === "existing" ? ` (${env.network.vpcId})` : " (new VPC)"}`,
      "ec2:DescribeVpcEndpoints",
      VPC_QUOTAS.interfaceEndpointsPerVpc,
      async () => ({
        used:
          env.network.mode === "existing"
            ? (await endpoints([{ Name: "vpc-id", Values: [env.network.vpcId] }])).filter(
                (e) => live(e) && e.VpcEndpointType !== "Gateway",
              ).length
            : 0,
        need: needs.interfaceEndpoints,
      }),
    );
  }
  if (needs.gatewayEndpoints) {
    await vpcQuota(
      "gateway endpoints per Region",
      "gateway endpoints per Region",
      "ec2:DescribeVpcEndpoints",
      VPC_QUOTAS.gatewayEndpointsPerRegion,
      async () => ({
        used: (await endpoints([{ Name: "vpc-endpoint-type", Values: ["Gateway"] }])).filter(
          (e) => live(e) && e.VpcEndpointType === "Gateway",
        ).length,
        need: needs.gatewayEndpoints,
      }),
    );
  }
  if (needs.vpcs) {
    await vpcQuota("VPCs per Region", "VPCs per Region", "ec2:DescribeVpcs", VPC_QUOTAS.vpcsPerRegion, async () => {
      const vpcs = await pages((NextToken) =>
        c.ec2.send(new DescribeVpcsCommand({ NextToken })).then((r) => ({ items: r.Vpcs, next: r.NextToken })),
      );
      // The environment's own VPC (a re-run after a deploy) is already counted.
      const mine = vpcs.filter((v) =>
        (v.Tags ?? []).some((t) => t.Key === "Environment" && t.Value === env.name),
      ).length;
      return { used: vpcs.length - mine, need: Math.max(0, needs.vpcs - mine) };
    });
  }
  return out;
}

/** Service-linked roles the deploy relies on: present, or created by the stack (or by the service on first use). */
export async function checkServiceLinkedRoles(env: ResolvedEnvironment, c: OpsClients): Promise<Finding[]> {
  const wanted: { arn: string; createdBy: "stack" | "service" | "nobody"; service: string }[] = [];
  const p = env.partition;
  const byService = (r: { readonly service: string; readonly name: string }) => ({
    arn: SERVICE_LINKED_ROLES.roleArn(p, env.account, r.service, r.name),
    createdBy: "service" as const,
    service: r.service,
  });
  if (env.cloudHsm) wanted.push(byService(SERVICE_LINKED_ROLES.CLOUDHSM_ROLE));
  if (env.xks) wanted.push(byService(SERVICE_LINKED_ROLES.ELB_ROLE));
  for (const arn of env.data.ebs?.serviceLinkedRoles ?? [])
    wanted.push({
      arn,
      createdBy: env.data.ebs?.createServiceLinkedRoles ? "stack" : "nobody",
      service: arn.split("/")[2] ?? "the service",
    });
  const out: Finding[] = [];
  for (const w of wanted) {
    const name = w.arn.split("/").pop() ?? w.arn;
    try {
      await c.iam.send(new GetRoleCommand({ RoleName: name }));
      out.push(
        w.createdBy === "stack"
          ? {
              check: "service-linked-role",
              subject: name,
              severity: "broken",
              detail: "exists, and data.ebs.createServiceLinkedRoles would create it again: IAM refuses (InvalidInput)",
              fix: "set data.ebs.createServiceLinkedRoles to false",
            }
          : { check: "service-linked-role", subject: name, severity: "ok", detail: "exists" },
      );
    } catch (e) {
      if (awsErrorCode(e) !== "NoSuchEntity" && awsErrorCode(e) !== "NoSuchEntityException") {
        out.push(notChecked("service-linked-role", name, "iam:GetRole", e));
        continue;
      }
      if (w.createdBy === "stack")
        out.push({
          check: "service-linked-role",
          subject: name,
          severity: "ok",
          detail: "absent; the keys stack creates it (data.ebs.createServiceLinkedRoles)",
        });
      else if (w.createdBy === "service")
        out.push({
          check: "service-linked-role",
          subject: name,
          severity: "ok",
          detail: `absent; ${w.service} creates it on first use if the deploying role may iam:CreateServiceLinkedRole`,
          fix: `or create it first: aws iam create-service-linked-role --aws-service-name ${w.service}`,
        });
      else
        out.push({
          check: "service-linked-role",
          subject: name,
          severity: "broken",
          detail:
            "absent: the EBS key's policy names it, and KMS refuses a policy naming a principal that does not exist",
          fix: `create it (aws iam create-service-linked-role --aws-service-name ${w.service}) or set data.ebs.createServiceLinkedRoles to true`,
        });
    }
  }
  return out;
}

/** Free addresses in each subnet against the network interfaces the environment puts there. */
export async function checkFreeAddresses(env: ResolvedEnvironment, c: OpsClients, needs: Needs): Promise<Finding[]> {
  const out: Finding[] = [];
  if (env.network.mode === "new") {
    for (const s of env.network.subnets) {
      const need = needs.addressesByAz[s.az];
      if (!need) continue;
      const prefix = Number(s.cidr.split("/")[1]);
      const free = 2 ** (32 - prefix) - RESERVED_PER_SUBNET;
      const detail = `${s.cidr} (new) has ${free} usable addresses; needs ${need.count} (${need.what.join(", ")})`;
      out.push(
        free >= need.count
          ? { check: "free-ips", subject: s.az, severity: "ok", detail }
          : {
              check: "free-ips",
              subject: s.az,
              severity: "broken",
              detail,
              fix: `give network.subnets (${s.az}) a larger CIDR`,
            },
      );
    }
    return out;
  }
  const byId = new Map<string, Subnet>();
  try {
    const r = await c.ec2.send(new DescribeSubnetsCommand({ SubnetIds: env.network.subnets.map((s) => s.id) }));
    for (const s of r.Subnets ?? []) if (s.SubnetId) byId.set(s.SubnetId, s);
  } catch (e) {
    if (awsErrorCode(e) !== "InvalidSubnetID.NotFound")
      return [notChecked("free-ips", env.network.vpcId, "ec2:DescribeSubnets", e)];
  }
  for (const s of env.network.subnets) {
    const live = byId.get(s.id);
    if (!live) {
      out.push({
        check: "subnet",
        subject: s.id,
        severity: "broken",
        detail: "does not exist in this account and Region",
        fix: "correct network.subnets[].id",
      });
      continue;
    }
    const mismatch = [
      live.VpcId !== env.network.vpcId ? `VPC ${live.VpcId ?? "?"} (configured ${env.network.vpcId})` : "",
      live.AvailabilityZone !== s.az ? `AZ ${live.AvailabilityZone ?? "?"} (configured ${s.az})` : "",
      live.CidrBlock !== s.cidr ? `CIDR ${live.CidrBlock ?? "?"} (configured ${s.cidr})` : "",
    ].filter(Boolean);
    if (mismatch.length)
      out.push({
        check: "subnet",
        subject: s.id,
        severity: "broken",
        detail: `differs from the configuration: ${mismatch.join(", ")}`,
        fix: "correct network.subnets to match the subnet",
      });
    const need = needs.addressesByAz[s.az];
    if (!need) continue;
    const free = live.AvailableIpAddressCount ?? 0;
    const detail = `${free} free addresses; needs ${need.count} (${need.what.join(", ")})`;
    out.push(
      free >= need.count
        ? { check: "free-ips", subject: s.id, severity: "ok", detail }
        : {
            check: "free-ips",
            subject: s.id,
            severity: "broken",
            detail,
            fix: "free addresses in the subnet or choose a larger one",
          },
    );
  }
  return out;
}

/** The transit gateway, virtual private gateway, hosted zone and existing VPC the configuration names. */
export async function checkNamedResources(env: ResolvedEnvironment, c: OpsClients): Promise<Finding[]> {
  const out: Finding[] = [];
  const net = env.network;
  if (net.mode === "existing") {
    try {
      const r = await c.ec2.send(new DescribeVpcsCommand({ VpcIds: [net.vpcId] }));
      const vpc = r.Vpcs?.[0];
      out.push(
        !vpc
          ? {
              check: "vpc",
              subject: net.vpcId,
              severity: "broken",
              detail: "does not exist in this account and Region",
              fix: "correct network.vpcId",
            }
          : vpc.CidrBlock !== net.cidr
            ? {
                check: "vpc",
                subject: net.vpcId,
                severity: "broken",
                detail: `CIDR ${vpc.CidrBlock ?? "?"}, configured ${net.cidr}`,
                fix: "correct network.cidr",
              }
            : { check: "vpc", subject: net.vpcId, severity: "ok", detail: `exists, ${vpc.CidrBlock}` },
      );
    } catch (e) {
      out.push(
        awsErrorCode(e) === "InvalidVpcID.NotFound"
          ? {
              check: "vpc",
              subject: net.vpcId,
              severity: "broken",
              detail: "does not exist in this account and Region",
              fix: "correct network.vpcId",
            }
          : notChecked("vpc", net.vpcId, "ec2:DescribeVpcs", e),
      );
    }
  }
  const conn = net.mode === "new" ? net.onPremisesConnection : undefined;
  if (conn?.type === "transitGateway") {
    const id = conn.transitGatewayId;
    try {
      const r = await c.ec2.send(new DescribeTransitGatewaysCommand({ TransitGatewayIds: [id] }));
      const tgw = r.TransitGateways?.[0];
      out.push(
        tgw && tgw.State === "available"
          ? {
              check: "transit-gateway",
              subject: id,
              severity: "ok",
              detail: `available${tgw.OwnerId && tgw.OwnerId !== env.account ? ` (shared from ${tgw.OwnerId})` : ""}`,
            }
          : {
              check: "transit-gateway",
              subject: id,
              severity: "broken",
              detail: tgw ? `state ${tgw.State ?? "?"}` : "not visible in this account and Region",
              fix: "correct network.onPremisesConnection.transitGatewayId, or share it with this account through AWS RAM and accept the share",
            },
      );
    } catch (e) {
      out.push(
        awsErrorCode(e) === "InvalidTransitGatewayID.NotFound"
          ? {
              check: "transit-gateway",
              subject: id,
              severity: "broken",
              detail: "not visible in this account and Region",
              fix: "correct network.onPremisesConnection.transitGatewayId, or share it with this account through AWS RAM and accept the share",
            }
          : notChecked("transit-gateway", id, "ec2:DescribeTransitGateways", e),
      );
    }
  }
  if (conn?.type === "vpnGateway" && conn.vpnGatewayId) {
    const id = conn.vpnGatewayId;
    try {
      const r = await c.ec2.send(new DescribeVpnGatewaysCommand({ VpnGatewayIds: [id] }));
      const vgw = r.VpnGateways?.[0];
      const attached = (vgw?.VpcAttachments ?? []).filter((a) => a.State === "attached" || a.State === "attaching");
      out.push(
        !vgw || vgw.State !== "available"
          ? {
              check: "vpn-gateway",
              subject: id,
              severity: "broken",
              detail: vgw ? `state ${vgw.State ?? "?"}` : "does not exist",
              fix: "correct network.onPremisesConnection.vpnGatewayId",
            }
          : attached.length
            ? {
                check: "vpn-gateway",
                subject: id,
                severity: "broken",
                detail: `attached to ${attached.map((a) => a.VpcId).join(", ")}: the stack attaches it to its new VPC`,
                fix: "detach it first, or name a detached gateway (or none: the stack creates one)",
              }
            : { check: "vpn-gateway", subject: id, severity: "ok", detail: "available, detached" },
      );
    } catch (e) {
      out.push(
        awsErrorCode(e) === "InvalidVpnGatewayID.NotFound"
          ? {
              check: "vpn-gateway",
              subject: id,
              severity: "broken",
              detail: "does not exist",
              fix: "correct network.onPremisesConnection.vpnGatewayId",
            }
          : notChecked("vpn-gateway", id, "ec2:DescribeVpnGateways", e),
      );
    }
  }
  if (env.xks) {
    const { id, domain } = env.xks.publicZone;
    try {
      const r = await c.route53.send(new GetHostedZoneCommand({ Id: id }));
      const zone = r.HostedZone;
      const name = (zone?.Name ?? "").replace(/\.$/, "");
      out.push(
        zone?.Config?.PrivateZone
          ? {
              check: "hosted-zone",
              subject: id,
              severity: "broken",
              detail: `${name} is a private zone: the endpoint service's domain verification needs a public one`,
              fix: "name the public hosted zone of the domain in xks.publicZone",
            }
          : name !== domain.replace(/\.$/, "")
            ? {
                check: "hosted-zone",
                subject: id,
                severity: "broken",
                detail: `is for ${name}, configured domain ${domain}`,
                fix: "correct xks.publicZone.domain or .id",
              }
            : { check: "hosted-zone", subject: id, severity: "ok", detail: `public zone ${name}` },
      );
    } catch (e) {
      out.push(
        awsErrorCode(e) === "NoSuchHostedZone"
          ? {
              check: "hosted-zone",
              subject: id,
              severity: "broken",
              detail: "does not exist (or belongs to another account)",
              fix: "correct xks.publicZone.id",
            }
          : notChecked("hosted-zone", id, "route53:GetHostedZone", e),
      );
    }
  }
  return out;
}

/** Where the admin host installs the CloudHSM CLI from, and whether its subnet can reach it. */
export async function checkCliSource(env: ResolvedEnvironment, c: OpsClients): Promise<Finding[]> {
  const ch = env.cloudHsm;
  if (!ch) return [];
  const subject = "CloudHSM CLI";
  if (ch.adminHost.cliPreinstalled)
    return [
      { check: "cli-source", subject, severity: "ok", detail: `preinstalled in ${ch.adminHost.amiId ?? "the AMI"}` },
    ];
  const pkg = ch.adminHost.cliPackage;
  if (pkg?.startsWith("s3://")) {
    const [bucket, ...rest] = pkg.slice(5).split("/");
    const key = rest.join("/");
    try {
      const loc = await c.s3.send(new GetBucketLocationCommand({ Bucket: bucket }));
      const region = loc.LocationConstraint || "us-east-1";
      if (region !== env.region)
        return [
          {
            check: "cli-source",
            subject,
            severity: "broken",
            detail: `${pkg}: the bucket is in ${region}; the S3 gateway endpoint reaches only ${env.region}`,
            fix: `copy the RPM to a bucket in ${env.region}`,
          },
        ];
      await c.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return [
        {
          check: "cli-source",
          subject,
          severity: "ok",
          detail: `${pkg} exists in ${region}, reached through the stack's S3 gateway endpoint`,
        },
      ];
    } catch (e) {
      const code = awsErrorCode(e);
      if (code === "NotFound" || code === "NoSuchKey" || code === "NoSuchBucket")
        return [
          {
            check: "cli-source",
            subject,
            severity: "broken",
            detail: `${pkg} does not exist (${code})`,
            fix: "upload the CloudHSM CLI RPM there, or correct cloudHsm.adminHost.cliPackage",
          },
        ];
      return [notChecked("cli-source", pkg, "s3:GetBucketLocation / s3:GetObject", e)];
    }
  }
  // An https:// source (the default is the CloudHSM download URL) needs NAT from the admin host's subnet.
  const url = pkg ?? "the CloudHSM download URL";
  const net = env.network;
  if (net.mode !== "existing" || !net.natGateway) {
    return [
      {
        check: "cli-source",
        subject,
        severity: "broken",
        detail: `${url} needs internet access through NAT; this network has none`,
        fix: "set cloudHsm.adminHost.cliPackage to an s3:// object in this Region (reached through the S3 gateway endpoint), or use an AMI with the CLI (cliPreinstalled)",
      },
    ];
  }
  const first = net.subnets[0];
  if (!first?.routeTableId)
    return [
      {
        check: "cli-source",
        subject,
        severity: "unknown",
        detail: "the admin host's subnet declares no routeTableId",
        fix: "set network.subnets[0].routeTableId",
      },
    ];
  try {
    const r = await c.ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [first.routeTableId] }));
    const routes = r.RouteTables?.[0]?.Routes ?? [];
    const def = routes.find(
      (rt) =>
        rt.DestinationCidrBlock === "0.0.0.0/0" && rt.State !== "blackhole" && (rt.NatGatewayId || rt.TransitGatewayId),
    );
    return [
      def
        ? {
            check: "cli-source",
            subject,
            severity: "ok",
            detail: `${url} through ${def.NatGatewayId ?? def.TransitGatewayId} (0.0.0.0/0 on ${first.routeTableId})`,
          }
        : {
            check: "cli-source",
            subject,
            severity: "broken",
            detail: `${first.routeTableId} has no active 0.0.0.0/0 route to a NAT or transit gateway`,
            fix: "add the default route, or use an s3:// cliPackage",
          },
    ];
  } catch (e) {
    return [notChecked("cli-source", first.routeTableId, "ec2:DescribeRouteTables", e)];
  }
}

/** A statement that denies every S3 request made without TLS. */
function deniesInsecure(policy: string): boolean {
  try {
    const doc = JSON.parse(policy) as { Statement?: unknown };
    const stmts = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
    return stmts.some((s) => {
      const st = s as { Effect?: string; Action?: unknown; Condition?: Record<string, Record<string, unknown>> };
      const actions = Array.isArray(st.Action) ? st.Action : [st.Action];
      const secure = st.Condition?.Bool?.["aws:SecureTransport"];
      return (
        st.Effect === "Deny" &&
        actions.some((a) => a === "s3:*" || a === "*") &&
        (secure === false || secure === "false" || (Array.isArray(secure) && secure.map(String).includes("false")))
      );
    });
  } catch {
    return false;
  }
}

/** The state bucket's settings S3 reports as absent by an error code: each a degraded finding. */
const MISSING_BUCKET_SETTING: ReadonlyMap<string, { detail: string; fix: string }> = new Map([
  [
    "ServerSideEncryptionConfigurationNotFoundError",
    {
      detail: "no default encryption configuration (S3 then uses SSE-S3)",
      fix: "set default encryption to SSE-KMS with a customer managed key",
    },
  ],
  [
    "NoSuchBucketPolicy",
    {
      detail: "no bucket policy: requests without TLS are allowed",
      fix: 'add a Deny of s3:* when "aws:SecureTransport" is "false"',
    },
  ],
  [
    "NoSuchPublicAccessBlockConfiguration",
    {
      detail: "no public access block on the bucket",
      fix: "turn on all four Block Public Access settings",
    },
  ],
]);

/** The S3 state bucket as the README asks: versioned, KMS-encrypted, TLS only, public access blocked. */
export async function checkStateBucket(env: ResolvedEnvironment, s3: S3Client): Promise<Finding[]> {
  if (env.backend.type !== "s3") return [];
  const bucket = env.backend.bucket;
  const check = "state-bucket";
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (e) {
    const code = awsErrorCode(e);
    if (code === "NotFound" || code === "NoSuchBucket")
      return [
        {
          check,
          subject: bucket,
          severity: "broken",
          detail: "does not exist",
          fix: "create it before the first deploy (versioned, SSE-KMS, TLS-only policy, public access blocked: README, State)",
        },
      ];
    return [notChecked(check, bucket, "s3:ListBucket (HeadBucket)", e)];
  }
  const out: Finding[] = [];
  const one = async (what: string, action: string, run: () => Promise<Finding>) => {
    try {
      out.push(await run());
    } catch (e) {
      const missing = MISSING_BUCKET_SETTING.get(awsErrorCode(e));
      out.push(
        missing
          ? { check, subject: `${bucket} ${what}`, severity: "degraded", ...missing }
          : notChecked(check, `${bucket} ${what}`, action, e),
      );
    }
  };
  await one("versioning", "s3:GetBucketVersioning", async () => {
    const v = await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
    return v.Status === "Enabled"
      ? { check, subject: `${bucket} versioning`, severity: "ok", detail: "Enabled" }
      : {
          check,
          subject: `${bucket} versioning`,
          severity: "broken",
          detail: `${v.Status ?? "never enabled"}: an overwritten or deleted state file is lost`,
          fix: `aws s3api put-bucket-versioning --bucket ${bucket} --versioning-configuration Status=Enabled`,
        };
  });
  await one("encryption", "s3:GetEncryptionConfiguration", async () => {
    const r = await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
    const rule = r.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault;
    const alg = rule?.SSEAlgorithm ?? "none";
    return alg === "aws:kms" || alg === "aws:kms:dsse"
      ? {
          check,
          subject: `${bucket} encryption`,
          severity: "ok",
          detail: `${alg}${rule?.KMSMasterKeyID ? ` with ${rule.KMSMasterKeyID}` : " with the AWS managed key"}`,
        }
      : {
          check,
          subject: `${bucket} encryption`,
          severity: "degraded",
          detail: `${alg}: state (which holds secrets) is not under a KMS key you control`,
          fix: "set default encryption to SSE-KMS with a customer managed key",
        };
  });
  await one("policy", "s3:GetBucketPolicy", async () => {
    const r = await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }));
    return deniesInsecure(r.Policy ?? "")
      ? { check, subject: `${bucket} policy`, severity: "ok", detail: "denies requests without TLS" }
      : {
          check,
          subject: `${bucket} policy`,
          severity: "degraded",
          detail: "does not deny requests without TLS",
          fix: 'add a Deny of s3:* when "aws:SecureTransport" is "false"',
        };
  });
  await one("public access", "s3:GetBucketPublicAccessBlock", async () => {
    const r = await s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }));
    const p = r.PublicAccessBlockConfiguration ?? {};
    const off = (["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"] as const).filter(
      (k) => p[k] !== true,
    );
    return off.length === 0
      ? {
          check,
          subject: `${bucket} public access`,
          severity: "ok",
          detail: "all four Block Public Access settings on",
        }
      : {
          check,
          subject: `${bucket} public access`,
          severity: "degraded",
          detail: `off: ${off.join(", ")}`,
          fix: "turn on all four Block Public Access settings",
        };
  });
  return out;
}

/** The Terraform Cloud workspaces of both stacks exist; their execution mode decides what CI needs. */
export async function checkTfcWorkspaces(env: ResolvedEnvironment, opts: DoctorOptions): Promise<Finding[]> {
  if (env.backend.type !== "cloud") return [];
  const host = env.backend.hostname ?? STATE_BACKEND.CLOUD_HOSTNAME.value;
  const variable = tokenVariable(host);
  const token = opts.tfc?.token ?? (opts.env ?? process.env)[variable];
  const prefix = env.backend.workspacePrefix ?? "";
  const stacks = [stackNames(env).keys, stackNames(env).data];
  if (!token)
    return stacks.map((s) => ({
      check: "tfc-workspace",
      subject: `${prefix}${s}`,
      severity: "unknown" as const,
      detail: `not checked: ${variable} is not set`,
      fix: `set ${variable} to a token that may read the workspaces (terraform login ${host})`,
    }));
  const base = opts.tfc?.baseUrl ?? `https://${host}`;
  const doFetch = opts.tfc?.fetch ?? fetch;
  const out: Finding[] = [];
  for (const s of stacks) {
    const name = `${prefix}${s}`;
    try {
      const res = await doFetch(
        `${base}/api/v2/organizations/${encodeURIComponent(env.backend.organization)}/workspaces/${encodeURIComponent(name)}`,
        {
          headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/vnd.api+json" },
          signal: AbortSignal.timeout(20_000),
        },
      );
      if (res.status === 404) {
        out.push({
          check: "tfc-workspace",
          subject: name,
          severity: "broken",
          detail: `not found in ${env.backend.organization} (or the token may not read it)`,
          fix: `create workspace ${name} in ${env.backend.organization} (README, Terraform Cloud)`,
        });
        continue;
      }
      if (!res.ok) {
        out.push({
          check: "tfc-workspace",
          subject: name,
          severity: "unknown",
          detail: `not checked: HTTP ${res.status}`,
          fix: `check ${variable} and that it may read the workspace`,
        });
        continue;
      }
      const body = (await res.json()) as { data?: { attributes?: Record<string, unknown> } };
      const a = body.data?.attributes ?? {};
      const mode = String(a["execution-mode"] ?? "unknown");
      const problems: string[] = [];
      if (mode === "remote" && env.hooks.runner !== "lambda")
        problems.push(
          'remote execution runs Terraform in TFC, which has no Node for the local hook runner: set hooks.runner "lambda"',
        );
      if (s === stackNames(env).keys && mode !== "local" && a["global-remote-state"] !== true)
        problems.push(`the data workspace reads this one's state: allow it in remote state sharing`);
      out.push(
        problems.length
          ? {
              check: "tfc-workspace",
              subject: name,
              severity: "degraded",
              detail: `${mode} execution; ${problems.join("; ")}`,
              fix: problems.join("; "),
            }
          : { check: "tfc-workspace", subject: name, severity: "ok", detail: `${mode} execution` },
      );
    } catch (e) {
      out.push({
        check: "tfc-workspace",
        subject: name,
        severity: "unknown",
        detail: `not checked: ${host} did not answer (${awsErrorCode(e)})`,
        fix: "check the network path to Terraform Cloud",
      });
    }
  }
  return out;
}

const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";

/** The GitHub OIDC provider and the CI roles that trust it. */
export async function checkGithubOidc(
  env: ResolvedEnvironment,
  c: OpsClients,
  opts: DoctorOptions,
): Promise<Finding[]> {
  const vars = opts.env ?? process.env;
  const upper = env.name.toUpperCase().replace(/-/g, "_");
  const roles = [
    {
      kind: "plan",
      arn: opts.planRole ?? vars[`AWS_PLAN_ROLE_${upper}`],
      subject: (repo: string) => `repo:${repo}:pull_request`,
    },
    {
      kind: "deploy",
      arn: opts.deployRole ?? vars[`AWS_DEPLOY_ROLE_${upper}`],
      subject: (repo: string) => `repo:${repo}:environment:${env.name}`,
    },
  ];
  const out: Finding[] = [];
  let providerArn: string | undefined;
  try {
    const list = await c.iam.send(new ListOpenIDConnectProvidersCommand({}));
    providerArn = (list.OpenIDConnectProviderList ?? [])
      .map((p) => p.Arn ?? "")
      .find((arn) => arn.endsWith(`/${GITHUB_OIDC_HOST}`));
    if (!providerArn) {
      out.push({
        check: "github-oidc",
        subject: GITHUB_OIDC_HOST,
        severity: "broken",
        detail: "no IAM OIDC identity provider for GitHub Actions",
        fix: `create it: aws iam create-open-id-connect-provider --url https://${GITHUB_OIDC_HOST} --client-id-list sts.amazonaws.com`,
      });
    } else {
      const p = await c.iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: providerArn }));
      out.push(
        (p.ClientIDList ?? []).includes("sts.amazonaws.com")
          ? {
              check: "github-oidc",
              subject: GITHUB_OIDC_HOST,
              severity: "ok",
              detail: "provider exists, audience sts.amazonaws.com",
            }
          : {
              check: "github-oidc",
              subject: GITHUB_OIDC_HOST,
              severity: "broken",
              detail: "provider exists without the audience sts.amazonaws.com",
              fix: `aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn ${providerArn} --client-id sts.amazonaws.com`,
            },
      );
    }
  } catch (e) {
    out.push(notChecked("github-oidc", GITHUB_OIDC_HOST, "iam:ListOpenIDConnectProviders", e));
  }
  const repo = opts.repository ?? vars.GITHUB_REPOSITORY;
  for (const r of roles) {
    if (!r.arn) {
      out.push({
        check: "ci-role",
        subject: `${r.kind} role`,
        severity: "unknown",
        detail: `not checked: no role given (--${r.kind}-role, or AWS_${r.kind.toUpperCase()}_ROLE_${upper})`,
        fix: `pass --${r.kind}-role <arn> (the value of the GitHub secret AWS_${r.kind.toUpperCase()}_ROLE_${upper})`,
      });
      continue;
    }
    const name = r.arn.split("/").pop() ?? r.arn;
    try {
      const got = await c.iam.send(new GetRoleCommand({ RoleName: name }));
      const trust = decodeURIComponent(got.Role?.AssumeRolePolicyDocument ?? "");
      const problems: string[] = [];
      if (!trust.includes(GITHUB_OIDC_HOST))
        problems.push(`its trust policy does not name the ${GITHUB_OIDC_HOST} provider`);
      if (!trust.includes("sts:AssumeRoleWithWebIdentity"))
        problems.push("its trust policy does not allow sts:AssumeRoleWithWebIdentity");
      if (repo && !trust.includes(r.subject(repo)))
        problems.push(`its trust policy does not name the subject ${r.subject(repo)}`);
      out.push(
        problems.length
          ? {
              check: "ci-role",
              subject: name,
              severity: "broken",
              detail: problems.join("; "),
              fix: `trust ${GITHUB_OIDC_HOST} for aud sts.amazonaws.com and sub ${repo ? r.subject(repo) : `repo:<owner>/<repo>:${r.kind === "plan" ? "pull_request" : `environment:${env.name}`}`}`,
            }
          : {
              check: "ci-role",
              subject: name,
              severity: "ok",
              detail: `${r.kind} role trusts GitHub Actions${repo ? ` (${r.subject(repo)})` : " (subject not checked: no --repository / GITHUB_REPOSITORY)"}`,
            },
      );
    } catch (e) {
      out.push(
        awsErrorCode(e) === "NoSuchEntity" || awsErrorCode(e) === "NoSuchEntityException"
          ? {
              check: "ci-role",
              subject: name,
              severity: "broken",
              detail: "does not exist",
              fix: `create the ${r.kind} role (README, CI)`,
            }
          : notChecked("ci-role", name, "iam:GetRole", e),
      );
    }
  }
  return out;
}

/** Every doctor check, in order. */
export async function runDoctor(env: ResolvedEnvironment, c: OpsClients, opts: DoctorOptions = {}): Promise<Finding[]> {
  const progress = opts.progress ?? (() => undefined);
  progress(`doctor ${env.name}: account ${env.account}, ${env.region}`);
  const session = await checkSession(env, c);
  if (session) return [session];
  const needs = needsOf(env);
  const findings: Finding[] = [];
  progress("quotas: KMS, CloudHSM, EC2, Service Quotas");
  findings.push(...(await checkQuotas(env, c, needs)));
  progress("service-linked roles: IAM");
  findings.push(...(await checkServiceLinkedRoles(env, c)));
  progress("network: subnets, gateways, hosted zone");
  findings.push(...(await checkFreeAddresses(env, c, needs)));
  findings.push(...(await checkNamedResources(env, c)));
  findings.push(...(await checkCliSource(env, c)));
  findings.push(...(await checkScaleSchedules(env, c, opts.now ?? new Date())));
  progress("state backend");
  findings.push(...(await checkStateBucket(env, opts.stateS3 ?? c.s3)));
  findings.push(...(await checkTfcWorkspaces(env, opts)));
  progress("GitHub OIDC provider and CI roles: IAM");
  findings.push(...(await checkGithubOidc(env, c, opts)));
  return findings;
}
