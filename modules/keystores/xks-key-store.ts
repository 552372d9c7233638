import { Construct } from "constructs";
import { Token } from "cdktf";
import { KmsCustomKeyStore } from "@cdktf/provider-aws/lib/kms-custom-key-store";
import { HookStep } from "../hooks/hook-step";
import { KMS, XKS } from "@cmk-stacks/aws-limits";
import { shown, throwIfProblems } from "../core/errors";
import type { INetwork } from "../network/network";
import type { IKeyStore } from "./key-store";
import { XksProxyEndpoint, type XksHealthCheck, type XksPublicZone } from "./xks-proxy-endpoint";
import { XksCredential, type XksCredentialSource } from "./xks-credential";

export interface XksKeyStoreProps {
  /** KMS custom key store name, {@link KMS.CUSTOM_KEY_STORE_NAME_LENGTH} characters, unique in the account and Region. */
  readonly keyStoreName: string;
  /** Private DNS name of the endpoint service (the proxy URI endpoint is `https://<name>`). */
  readonly privateDnsName: string;
  /** Public hosted zone where the domain-verification TXT record goes. */
  readonly publicZone: XksPublicZone;
  /** Proxy URI path: `/<prefix>/kms/xks/v1` or `/kms/xks/v1` ({@link XKS.URI_PATH}). */
  readonly uriPath: string;
  /** Private IPv4 addresses of the on-premises proxies (port 443). */
  readonly proxyTargets: readonly string[];
  /** @default - TCP on 443, every 10 s, healthy and unhealthy after 3 checks */
  readonly healthCheck?: XksHealthCheck;
  /** Where the proxy authentication credential comes from (never a literal); read only when the store is created. */
  readonly credential: XksCredentialSource;
  /** CI secrets that feed the credential variables, named when a create plan lacks them. @default - none named */
  readonly credentialCiSecretNames?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /**
   * The VPC: one private subnet per AZ (at least 2 AZs), the data centre ranges holding the
   * proxies (`onPremisesCidrs`) and what the route to them needs in place (`onPremisesReady`:
   * the store waits for it, since KMS calls the proxies on create).
   */
  readonly network: INetwork;
  /** Upper bound for the connect step's wait (about 5 minutes is typical), within the rulebook's `HOOKS.TIMEOUT_MINUTES`. @default - the rulebook's `HOOKS.TIMEOUT_MINUTES_DEFAULT` (HookStep's default) */
  readonly connectTimeoutMinutes?: number;
}

/**
 * An external key store (XKS) reached over PrivateLink, connected and ready for keys
 * (https://docs.aws.amazon.com/kms/latest/developerguide/vpc-connectivity.html). Terraform order:
 * NLB -> endpoint service -> allowed principal + verification TXT -> verification ->
 * `aws_kms_custom_key_store` -> connect hook -> keys (through `keyStore.readyWhen`).
 * The store carries `prevent_destroy`. Its credential is given to Terraform only to create it and
 * ignored afterwards (`XksCredential`): the operator step `rotate-xks-credential` changes it.
 * Names start with the stack's name prefix and the KMS principal is the stack's Region's
 * (`EnvironmentStack.of`).
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
    const problems: string[] = [];
    const { keyStoreName, uriPath } = props;
    if (!Token.isUnresolved(keyStoreName) && !KMS.isCustomKeyStoreName(keyStoreName)) {
      problems.push(
        `${this.node.path}.keyStoreName: ${shown(keyStoreName)} is not allowed (${KMS.CUSTOM_KEY_STORE_NAME_LENGTH.min}-${KMS.CUSTOM_KEY_STORE_NAME_LENGTH.max} characters, KMS CreateCustomKeyStore CustomKeyStoreName)`,
      );
    }
    // The same predicate and words as the validation table (environments/validation/xks.ts) and xks-check.
    if (!Token.isUnresolved(uriPath) && !XKS.isUriPath(uriPath)) {
      problems.push(
        `${this.node.path}.uriPath: ${shown(uriPath)} is not allowed (${XKS.URI_PATH.allowed}, KMS CreateCustomKeyStore XksProxyUriPath)`,
      );
    }
    throwIfProblems(problems);
    this.endpoint = new XksProxyEndpoint(this, "endpoint", {
      network: props.network,
      privateDnsName: props.privateDnsName,
      publicZone: props.publicZone,
      proxyTargets: props.proxyTargets,
      healthCheck: props.healthCheck,
    });
    this.credential = new XksCredential(this, "credential", {
      source: props.credential,
      ciSecretNames: props.credentialCiSecretNames,
    });
    const credentialLifecycle = this.credential.lifecycle();
    this.resource = new KmsCustomKeyStore(this, "store", {
      customKeyStoreName: keyStoreName,
      customKeyStoreType: "EXTERNAL_KEY_STORE",
      xksProxyConnectivity: "VPC_ENDPOINT_SERVICE",
      xksProxyUriEndpoint: `https://${props.privateDnsName}`,
      xksProxyUriPath: uriPath,
      xksProxyVpcEndpointServiceName: this.endpoint.serviceName,
      // KMS calls the proxy's health API on create: principal allowed, name verified, listener
      // and targets in place first.
      dependsOn: [...this.endpoint.ready, ...props.network.onPremisesReady],
      // The credential block is written by XksCredential.attachTo (present only when given),
      // ignored once the store exists, required by the postcondition when it is created.
      lifecycle: { preventDestroy: true, ...credentialLifecycle },
    });
    this.credential.attachTo(this.resource);
    this.connect = new HookStep(this, "connect", {
      step: "connect-key-store",
      args: { "key-store-id": this.resource.id },
      timeoutMinutes: props.connectTimeoutMinutes,
      dependsOn: [this.resource],
    });
    this.keyStore = { kind: "xks", keyStoreId: this.resource.id, readyWhen: [this.connect.resource] };
  }
}
