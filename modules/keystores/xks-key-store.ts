import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { KmsCustomKeyStore } from "@cdktf/provider-aws/lib/kms-custom-key-store";
import type { ResolvedXks } from "../../environments/resolve";
import { HookStep } from "../hooks/hook-step";
import type { IKeyStore } from "./key-store";
import { XksProxyEndpoint } from "./xks-proxy-endpoint";
import { XksCredential } from "./xks-credential";

export interface XksKeyStoreProps {
  readonly config: ResolvedXks;
  readonly region: string;
  /**
   * The keys stack's VPC: id, CIDR, one private subnet per AZ (at least 2 AZs), and what its
   * route to the data centre needs in place (`onPremisesReady`: the store waits for it, since
   * KMS calls the proxies on create). @default onPremisesReady - nothing (the routes exist already)
   */
  readonly network: {
    readonly vpcId: string;
    readonly cidr: string;
    readonly subnetIdByAz: Readonly<Record<string, string>>;
    readonly onPremisesReady?: readonly ITerraformDependable[];
  };
  /** Data centre ranges holding the proxies. */
  readonly onPremisesCidrs: readonly string[];
  /** Prefix for resource names (the environment name). */
  readonly namePrefix: string;
  /** Upper bound for the connect step's wait (about 5 minutes is typical). */
  readonly connectTimeoutMinutes: number;
}

/**
 * An external key store (XKS) reached over PrivateLink, connected and ready for keys
 * (https://docs.aws.amazon.com/kms/latest/developerguide/vpc-connectivity.html). Terraform order:
 * NLB -> endpoint service -> allowed principal + verification TXT -> verification ->
 * `aws_kms_custom_key_store` -> connect hook -> keys (through `keyStore.readyWhen`).
 * The store carries `prevent_destroy`; its credential is never ignored, so a rotation applies.
 */
export class XksKeyStore extends Construct {
  readonly endpoint: XksProxyEndpoint;
  readonly credential: XksCredential;
  readonly resource: KmsCustomKeyStore;
  readonly connect: HookStep;
  /** What keys are created in: connected before any key is. */
  readonly keyStore: IKeyStore;

  constructor(scope: Construct, id: string, props: XksKeyStoreProps) {
    super(scope, id);
    const { config } = props;
    this.endpoint = new XksProxyEndpoint(this, "endpoint", {
      config,
      region: props.region,
      vpcId: props.network.vpcId,
      vpcCidr: props.network.cidr,
      subnetIdByAz: props.network.subnetIdByAz,
      onPremisesCidrs: props.onPremisesCidrs,
      namePrefix: props.namePrefix,
    });
    this.credential = new XksCredential(this, "credential", { source: config.credential });
    this.resource = new KmsCustomKeyStore(this, "store", {
      customKeyStoreName: config.keyStoreName,
      customKeyStoreType: "EXTERNAL_KEY_STORE",
      xksProxyConnectivity: "VPC_ENDPOINT_SERVICE",
      xksProxyUriEndpoint: `https://${config.privateDnsName}`,
      xksProxyUriPath: config.uriPath,
      xksProxyVpcEndpointServiceName: this.endpoint.serviceName,
      xksProxyAuthenticationCredential: {
        accessKeyId: this.credential.accessKeyId,
        rawSecretAccessKey: this.credential.secretAccessKey,
      },
      // KMS calls the proxy's health API on create: principal allowed, name verified, listener
      // and targets in place first.
      dependsOn: [...this.endpoint.ready, ...(props.network.onPremisesReady ?? [])],
      // No ignore_changes on the credential: a rotated credential must reach KMS.
      lifecycle: { preventDestroy: true, precondition: [...this.credential.preconditions] },
    });
    this.connect = new HookStep(this, "connect", {
      step: "connect-key-store",
      region: props.region,
      args: { "key-store-id": this.resource.id },
      timeoutMinutes: props.connectTimeoutMinutes,
      dependsOn: [this.resource],
    });
    this.keyStore = { kind: "xks", keyStoreId: this.resource.id, readyWhen: [this.connect.resource] };
  }
}
