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
import type { ResolvedXks } from "../../environments/resolve";
import { ConfigError } from "../../environments/errors";
import { suppress } from "../compliance/rule";

/** The XKS proxy port: KMS always calls `https://<private DNS name>` on 443. */
const HTTPS = 443;

/** The reason CKV_AWS_123 does not apply to this endpoint service, as an auditor reads it. */
export const XKS_ACCEPTANCE_REASON =
  "XKS requires acceptance_required = false: KMS cannot wait for a manual acceptance of its endpoint connection, CreateCustomKeyStore fails with XksProxyInvalidConfigurationException otherwise (https://docs.aws.amazon.com/kms/latest/developerguide/vpc-connectivity.html)";

export interface XksProxyEndpointProps {
  readonly config: ResolvedXks;
  readonly region: string;
  readonly vpcId: string;
  /** The VPC CIDR: the only source allowed to reach the load balancer outside PrivateLink. */
  readonly vpcCidr: string;
  /** One private subnet per AZ; at least 2 AZs. */
  readonly subnetIdByAz: Readonly<Record<string, string>>;
  /** Data centre ranges holding the proxies: the only egress destinations. */
  readonly onPremisesCidrs: readonly string[];
  /** Prefix for resource names (load balancer and target group names: at most 32 chars). */
  readonly namePrefix: string;
}

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
  /** Everything KMS needs in place before CreateCustomKeyStore calls the proxy's health API. */
  readonly ready: readonly ITerraformDependable[];

  constructor(scope: Construct, id: string, props: XksProxyEndpointProps) {
    super(scope, id);
    const { config, namePrefix } = props;
    const azs = Object.keys(props.subnetIdByAz).sort();
    const problems: string[] = [];
    if (azs.length < 2) problems.push(`network.subnets: ${JSON.stringify(azs)} is not allowed (the XKS load balancer needs subnets in at least 2 distinct AZs)`);
    if (props.onPremisesCidrs.length === 0) problems.push("network.onPremisesCidrs: [] is not allowed (the XKS load balancer's only egress is to the data centre ranges holding the proxies)");
    const hc = config.healthCheck;
    // The XKS health operation is a SigV4-signed POST (https://github.com/aws/aws-kms-xksproxy-api-spec);
    // an NLB HTTPS health check sends an unsigned GET, which every proxy refuses
    // (https://docs.aws.amazon.com/elasticloadbalancing/latest/network/target-group-health-checks.html).
    if (hc.protocol === "HTTPS" && /\/kms\/xks\//.test(hc.path ?? "")) {
      problems.push(`xks.healthCheck.path: ${JSON.stringify(hc.path)} is not allowed (a path outside the XKS proxy API, whose signed POST a health check cannot send: use protocol TCP)`);
    }
    if (problems.length) throw new ConfigError(problems);

    this.targetGroup = new LbTargetGroup(this, "targets", {
      name: `${namePrefix}-xks-proxies`,
      targetType: "ip",
      protocol: "TCP",
      port: HTTPS,
      ipAddressType: "ipv4",
      vpcId: props.vpcId,
      // Client IP preservation does not apply through PrivateLink; stated so a drift is visible.
      preserveClientIp: "false",
      healthCheck: {
        enabled: true,
        protocol: hc.protocol,
        port: "traffic-port",
        ...(hc.protocol === "HTTPS" ? { path: hc.path } : {}),
        interval: hc.intervalSeconds,
        healthyThreshold: hc.healthyThreshold,
        unhealthyThreshold: hc.unhealthyThreshold,
      },
    });
    // The proxies are outside the VPC (reached over Direct Connect or VPN): IP targets in AZ "all".
    const attachments = config.proxyTargets.map(
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
      vpcId: props.vpcId,
      tags: { Name: `${namePrefix}-xks-nlb` },
    });
    new VpcSecurityGroupIngressRule(this, "in-vpc", {
      securityGroupId: this.securityGroup.id,
      description: "HTTPS from inside the VPC (endpoint service network interfaces, operators' checks)",
      ipProtocol: "tcp",
      fromPort: HTTPS,
      toPort: HTTPS,
      cidrIpv4: props.vpcCidr,
    });
    props.onPremisesCidrs.forEach((cidr) => {
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
      subnetMapping: azs.map((az) => ({ subnetId: props.subnetIdByAz[az] })),
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
    this.listener = new LbListener(this, "listener", {
      loadBalancerArn: this.loadBalancer.arn,
      protocol: "TCP",
      port: HTTPS,
      defaultAction: [{ type: "forward", targetGroupArn: this.targetGroup.arn }],
    });

    this.service = new VpcEndpointService(this, "service", {
      networkLoadBalancerArns: [this.loadBalancer.arn],
      acceptanceRequired: false,
      privateDnsName: config.privateDnsName,
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
      principalArn: `cks.kms.${props.region}.amazonaws.com`,
    });

    const dns = this.service.privateDnsNameConfiguration.get(0);
    this.verificationRecord = new Route53Record(this, "verification-txt", {
      zoneId: config.publicZone.id,
      name: `${dns.name}.${config.publicZone.domain}`,
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
