import { isIPv4 } from "node:net";
import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { LbTargetGroupAttachment } from "@cdktf/provider-aws/lib/lb-target-group-attachment";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcEndpointService } from "@cdktf/provider-aws/lib/vpc-endpoint-service";
import { VpcEndpointServiceAllowedPrincipal } from "@cdktf/provider-aws/lib/vpc-endpoint-service-allowed-principal";
import { VpcEndpointServicePrivateDnsVerification } from "@cdktf/provider-aws/lib/vpc-endpoint-service-private-dns-verification";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { inRange, NAMES, XKS, type Range } from "@cmk-stacks/aws-limits";
import { suppress } from "../compliance/rule";
import { EnvironmentStack } from "../core/environment-stack";
import { shown, throwIfProblems } from "../core/errors";
import type { INetwork } from "../network/network";
import { ipv4ToNumber, known, parseIpv4Cidr } from "../network/cidr";

/** The XKS proxy port: KMS always calls `https://<private DNS name>` on 443. */
const HTTPS = 443;

/** The reason CKV_AWS_123 does not apply to this endpoint service, as an auditor reads it. */
export const XKS_ACCEPTANCE_REASON =
  "XKS requires acceptance_required = false: KMS cannot wait for a manual acceptance of its endpoint connection, CreateCustomKeyStore fails with XksProxyInvalidConfigurationException otherwise (https://docs.aws.amazon.com/kms/latest/developerguide/vpc-connectivity.html)";

/** The public hosted zone where the private DNS name's domain-verification TXT record goes. */
export interface XksPublicZone {
  /** Route 53 hosted zone id (Z followed by letters and digits). */
  readonly id: string;
  /** The zone's domain; the private DNS name must be a subdomain of it. */
  readonly domain: string;
}

/**
 * How the load balancer checks the proxies
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/network/target-group-health-checks.html).
 */
export interface XksHealthCheck {
  /** @default - XKS.DEFAULT_HEALTH_CHECK.value.protocol ({@link XKS.DEFAULT_HEALTH_CHECK}): a TCP connection on 443 (the XKS health API is a signed POST no health check can send) */
  readonly protocol?: "TCP" | "HTTPS";
  /** HTTPS only: the proxy's own unauthenticated status path, outside `/kms/xks/`. @default - XKS.DEFAULT_HEALTH_CHECK.value.httpsPath with HTTPS */
  readonly path?: string;
  /** Seconds between checks, {@link XKS.HEALTH_CHECK_INTERVAL_SECONDS}. @default - XKS.DEFAULT_HEALTH_CHECK.value.intervalSeconds */
  readonly intervalSeconds?: number;
  /** Checks before a target is healthy, {@link XKS.HEALTH_CHECK_THRESHOLD}. @default - XKS.DEFAULT_HEALTH_CHECK.value.healthyThreshold */
  readonly healthyThreshold?: number;
  /** Checks before a target is unhealthy, {@link XKS.HEALTH_CHECK_THRESHOLD}. @default - XKS.DEFAULT_HEALTH_CHECK.value.unhealthyThreshold */
  readonly unhealthyThreshold?: number;
}

export interface XksProxyEndpointProps {
  /**
   * The VPC: the load balancer gets one subnet per AZ (at least 2 AZs), admits HTTPS from the
   * VPC CIDR and sends HTTPS only to `network.onPremisesCidrs` (which must hold every proxy).
   */
  readonly network: INetwork;
  /** Private DNS name of the endpoint service (lowercase, a subdomain of `publicZone.domain`); the proxies' TLS certificate must match it. */
  readonly privateDnsName: string;
  /** Where the domain-verification TXT record goes. */
  readonly publicZone: XksPublicZone;
  /** Private IPv4 addresses of the on-premises proxies (port 443), each once, inside `network.onPremisesCidrs`. */
  readonly proxyTargets: readonly string[];
  /** @default - TCP on 443, every 10 s, healthy and unhealthy after 3 checks */
  readonly healthCheck?: XksHealthCheck;
}

/** ELB CreateTargetGroup / CreateLoadBalancer Name: at most the rulebook's {@link NAMES.ELB_NAME_LENGTH}. */
const MAX_LB_NAME = NAMES.ELB_NAME_LENGTH.max;

/**
 * KMS's private path to the on-premises XKS proxies (https://docs.aws.amazon.com/kms/latest/developerguide/vpc-connectivity.html): an IP target
 * group of the proxies on TCP 443 (TCP health checks by default), an internal IPv4 network load balancer in every subnet AZ with
 * cross-zone on, a VPC endpoint service on it that KMS's principal may use without acceptance, and
 * the domain verification of the service's private DNS name. `ready` is what the key store must
 * wait for; the load balancer and the service carry `prevent_destroy` (losing either makes every
 * key in the store unusable at once).
 */
export class XksProxyEndpoint extends Construct {
  readonly targetGroup: LbTargetGroup;
  readonly loadBalancer: Lb;
  readonly listener: LbListener;
  readonly securityGroup: SecurityGroup;
  readonly service: VpcEndpointService;
  readonly allowedPrincipal: VpcEndpointServiceAllowedPrincipal;
  readonly verificationRecord: Route53Record;
  readonly verification: VpcEndpointServicePrivateDnsVerification;
  /** The endpoint service name, e.g. `com.amazonaws.vpce.eu-west-1.vpce-svc-...`. */
  readonly serviceName: string;
  /**
   * `<load balancer DNS name>:443`: where a client inside the VPC reaches the proxies (the private
   * DNS name resolves only through KMS's endpoint). The certificate check of `check-key-store-health` dials it.
   */
  readonly address: string;
  /** Everything KMS needs in place before CreateCustomKeyStore calls the proxy's health API. */
  readonly ready: readonly ITerraformDependable[];

  constructor(scope: Construct, id: string, props: XksProxyEndpointProps) {
    super(scope, id);
    const { network, publicZone } = props;
    const { name: namePrefix, region } = EnvironmentStack.of(this);
    const defaults = XKS.DEFAULT_HEALTH_CHECK.value;
    const hc = {
      protocol: props.healthCheck?.protocol ?? defaults.protocol,
      path: props.healthCheck?.path,
      intervalSeconds: props.healthCheck?.intervalSeconds ?? defaults.intervalSeconds,
      healthyThreshold: props.healthCheck?.healthyThreshold ?? defaults.healthyThreshold,
      unhealthyThreshold: props.healthCheck?.unhealthyThreshold ?? defaults.unhealthyThreshold,
    };
    const azs = Object.keys(network.subnetIdByAz).sort();
    const onPremisesCidrs = network.onPremisesCidrs ?? [];
    throwIfProblems(xksProxyEndpointProblems(this.node.path, props, { azs, onPremisesCidrs, namePrefix }));

    this.targetGroup = new LbTargetGroup(this, "targets", {
      name: `${namePrefix}-xks-proxies`,
      targetType: "ip",
      protocol: "TCP",
      port: HTTPS,
      ipAddressType: "ipv4",
      vpcId: network.vpcId,
      // Client IP preservation does not apply through PrivateLink; stated so a drift is visible.
      preserveClientIp: "false",
      healthCheck: {
        enabled: true,
        protocol: hc.protocol,
        port: "traffic-port",
        ...(hc.protocol === "HTTPS" ? { path: hc.path ?? defaults.httpsPath } : {}),
        interval: hc.intervalSeconds,
        healthyThreshold: hc.healthyThreshold,
        unhealthyThreshold: hc.unhealthyThreshold,
      },
    });
    // The proxies are outside the VPC (reached over Direct Connect or VPN): IP targets in AZ "all".
    const attachments = props.proxyTargets.map(
      (ip) =>
        new LbTargetGroupAttachment(this, `target-${ip.replace(/\./g, "-")}`, {
          targetGroupArn: this.targetGroup.arn,
          targetId: ip,
          port: HTTPS,
          availabilityZone: "all",
        }),
    );

    this.securityGroup = new SecurityGroup(this, "sg", {
      name: `${namePrefix}-xks-nlb`,
      description: "XKS load balancer: HTTPS in from the VPC, HTTPS out to the on-premises proxies only",
      vpcId: network.vpcId,
      tags: { Name: `${namePrefix}-xks-nlb` },
    });
    new VpcSecurityGroupIngressRule(this, "in-vpc", {
      securityGroupId: this.securityGroup.id,
      description: "HTTPS from inside the VPC (endpoint service network interfaces, operators' checks)",
      ipProtocol: "tcp",
      fromPort: HTTPS,
      toPort: HTTPS,
      cidrIpv4: network.cidr,
    });
    onPremisesCidrs.forEach((cidr) => {
      new VpcSecurityGroupEgressRule(this, `out-${cidr.replace(/[./]/g, "-")}`, {
        securityGroupId: this.securityGroup.id,
        description: "HTTPS and health checks to the XKS proxies in the data centre",
        ipProtocol: "tcp",
        fromPort: HTTPS,
        toPort: HTTPS,
        cidrIpv4: cidr,
      });
    });

    this.loadBalancer = new Lb(this, "nlb", {
      name: `${namePrefix}-xks`,
      loadBalancerType: "network",
      internal: true,
      ipAddressType: "ipv4",
      subnetMapping: azs.map((az) => ({ subnetId: network.subnetIdByAz[az] })),
      enableCrossZoneLoadBalancing: true,
      securityGroups: [this.securityGroup.id],
      // With inbound rules enforced on PrivateLink traffic the source is the consumer's own
      // address (KMS's, unknown and outside this VPC): who may connect is decided by the
      // endpoint service's allowed principal instead.
      enforceSecurityGroupInboundRulesOnPrivateLinkTraffic: "off",
      enableDeletionProtection: true,
      tags: { Name: `${namePrefix}-xks` },
      lifecycle: { preventDestroy: true },
    });
    this.address = `${this.loadBalancer.dnsName}:${HTTPS}`;
    this.listener = new LbListener(this, "listener", {
      loadBalancerArn: this.loadBalancer.arn,
      protocol: "TCP",
      port: HTTPS,
      defaultAction: [{ type: "forward", targetGroupArn: this.targetGroup.arn }],
    });

    this.service = new VpcEndpointService(this, "service", {
      networkLoadBalancerArns: [this.loadBalancer.arn],
      acceptanceRequired: false,
      privateDnsName: props.privateDnsName,
      supportedIpAddressTypes: ["ipv4"],
      tags: { Name: `${namePrefix}-xks` },
      lifecycle: { preventDestroy: true },
    });
    suppress(this.service, "CKV_AWS_123", XKS_ACCEPTANCE_REASON);
    this.serviceName = this.service.serviceName;
    // One mechanism only: the separate resource, never `allowed_principals` on the service too
    // (the two overwrite each other on every apply).
    this.allowedPrincipal = new VpcEndpointServiceAllowedPrincipal(this, "kms-principal", {
      vpcEndpointServiceId: this.service.id,
      principalArn: XKS.kmsServicePrincipal(region),
    });

    const dns = this.service.privateDnsNameConfiguration.get(0);
    this.verificationRecord = new Route53Record(this, "verification-txt", {
      zoneId: publicZone.id,
      name: `${dns.name}.${publicZone.domain}`,
      type: "TXT",
      ttl: 1800,
      records: [dns.value],
    });
    this.verification = new VpcEndpointServicePrivateDnsVerification(this, "verification", {
      serviceId: this.service.id,
      waitForVerification: true,
      dependsOn: [this.verificationRecord],
    });
    this.ready = [this.allowedPrincipal, this.verification, this.listener, ...attachments];
  }
}

/** What {@link XksProxyEndpoint} refuses, one line each (`where` is its construct path). Token values are left to AWS. */
function xksProxyEndpointProblems(
  where: string,
  props: XksProxyEndpointProps,
  derived: {
    readonly azs: readonly string[];
    readonly onPremisesCidrs: readonly string[];
    readonly namePrefix: string;
  },
): string[] {
  const { azs, onPremisesCidrs } = derived;
  const problems: string[] = [];
  const at = (prop: string, value: unknown, why: string) =>
    problems.push(`${where}.${prop}: ${shown(value)} is not allowed (${why})`);
  if (azs.length < 2)
    at(
      "network.subnetIdByAz",
      azs,
      "subnets in at least 2 distinct AZs for the XKS load balancer, https://docs.aws.amazon.com/kms/latest/developerguide/vpc-connectivity.html",
    );
  if (onPremisesCidrs.length === 0)
    at(
      "network.onPremisesCidrs",
      onPremisesCidrs,
      "the data centre ranges holding the proxies: the XKS load balancer's only egress",
    );
  const targetGroupName = `${derived.namePrefix}-xks-proxies`;
  // The ELB name rules (the rulebook's NAMES.elbNameBreaks, as validation checks the derived names).
  // The target group's name is the longer one: its length is the one to report.
  if (NAMES.elbNameBreaks(targetGroupName, false).includes("length"))
    at(
      "targetGroupName",
      targetGroupName,
      `at most ${MAX_LB_NAME} characters, ELB CreateTargetGroup Name: use a shorter EnvironmentStack name`,
    );
  for (const [prop, name, loadBalancer] of [
    ["loadBalancerName", `${derived.namePrefix}-xks`, true],
    ["targetGroupName", targetGroupName, false],
  ] as const) {
    const broken = NAMES.elbNameBreaks(name, loadBalancer);
    if (broken.includes("characters") || broken.includes("hyphen"))
      at(
        prop,
        name,
        "letters, digits and hyphens, not starting or ending with a hyphen, ELB CreateLoadBalancer / CreateTargetGroup Name: use another EnvironmentStack name",
      );
    else if (broken.includes("reserved-prefix"))
      at(
        prop,
        name,
        `not starting with "${NAMES.ELB_RESERVED_PREFIX}" (reserved for the DNS names of internal load balancers), ELB CreateLoadBalancer Name: use another EnvironmentStack name`,
      );
  }

  const dns = props.privateDnsName;
  if (known(dns)) {
    if (!NAMES.isDnsName(dns)) {
      at("privateDnsName", dns, "a lowercase DNS name such as xks.example.com, VPC endpoint service PrivateDnsName");
    } else if (!XKS.isUriEndpoint(`https://${dns}`)) {
      at(
        "privateDnsName",
        dns,
        `a name whose URI endpoint https://<name> is ${XKS.URI_ENDPOINT_LENGTH.min}-${XKS.URI_ENDPOINT_LENGTH.max} characters, KMS CreateCustomKeyStore XksProxyUriEndpoint`,
      );
    } else if (known(props.publicZone.domain) && !dns.endsWith(`.${props.publicZone.domain}`)) {
      at(
        "privateDnsName",
        dns,
        `a subdomain of publicZone.domain ${props.publicZone.domain}, where its ownership is verified with a TXT record`,
      );
    }
  }
  if (known(props.publicZone.id) && !XKS.HOSTED_ZONE_ID.regex.test(props.publicZone.id))
    at("publicZone.id", props.publicZone.id, "a Route 53 hosted zone id: Z followed by uppercase letters and digits");

  if (props.proxyTargets.length === 0)
    at("proxyTargets", props.proxyTargets, "at least one proxy address, the target group's IP targets");
  const ranges = onPremisesCidrs.filter(known).map(parseIpv4Cidr);
  props.proxyTargets.forEach((ip, i) => {
    if (!known(ip)) return;
    if (!isIPv4(ip)) at(`proxyTargets.${i}`, ip, "an IPv4 address, ELB RegisterTargets Id of an ip target");
    else if (props.proxyTargets.indexOf(ip) !== i)
      at(`proxyTargets.${i}`, ip, "listed twice: each proxy is one target");
    else if (ranges.length && !ranges.some((r) => r && ipv4ToNumber(ip) >= r.first && ipv4ToNumber(ip) <= r.last)) {
      at(
        `proxyTargets.${i}`,
        ip,
        `an address inside network.onPremisesCidrs (${onPremisesCidrs.join(", ")}), the load balancer's only egress`,
      );
    }
  });

  const hc = props.healthCheck ?? {};
  if (hc.path !== undefined && (hc.protocol ?? "TCP") !== "HTTPS")
    at(
      "healthCheck.path",
      hc.path,
      "a path with protocol HTTPS only: a TCP health check opens a connection and sends nothing",
    );
  else if (
    hc.path !== undefined &&
    (!XKS.HEALTH_CHECK_PATH.regex.test(hc.path) || !inRange(XKS.HEALTH_CHECK_PATH_LENGTH, hc.path.length))
  )
    at(
      "healthCheck.path",
      hc.path,
      `${XKS.HEALTH_CHECK_PATH.allowed}, at most ${XKS.HEALTH_CHECK_PATH_LENGTH.max} characters, ELB CreateTargetGroup HealthCheckPath`,
    );
  // The XKS health operation is a SigV4-signed POST (https://github.com/aws/aws-kms-xksproxy-api-spec);
  // an NLB HTTPS health check sends an unsigned GET, which every proxy refuses
  // (https://docs.aws.amazon.com/elasticloadbalancing/latest/network/target-group-health-checks.html).
  else if (hc.protocol === "HTTPS" && XKS.isProxyApiPath(hc.path ?? "")) {
    at(
      "healthCheck.path",
      hc.path,
      "a path outside the XKS proxy API, whose signed POST a health check cannot send: use protocol TCP",
    );
  }
  const bounded = (prop: "intervalSeconds" | "healthyThreshold" | "unhealthyThreshold", range: Range, api: string) => {
    const v = hc[prop];
    if (v !== undefined && !inRange(range, v))
      at(`healthCheck.${prop}`, v, `${range.min} to ${range.max}, ELB CreateTargetGroup ${api}`);
  };
  bounded("intervalSeconds", XKS.HEALTH_CHECK_INTERVAL_SECONDS, "HealthCheckIntervalSeconds");
  bounded("healthyThreshold", XKS.HEALTH_CHECK_THRESHOLD, "HealthyThresholdCount");
  bounded("unhealthyThreshold", XKS.HEALTH_CHECK_THRESHOLD, "UnhealthyThresholdCount");
  return problems;
}
