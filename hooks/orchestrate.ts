import type { HookClients } from "./lib/clients";
import type { RateLimiter } from "./lib/rate-limiter";
import type { StepRuntime } from "./lib/runtime";
import { activateCluster } from "./steps/activate-cluster";
import { connectKeyStore } from "./steps/connect-key-store";
import { createKmsuser } from "./steps/create-kmsuser";
import { initializeCluster } from "./steps/initialize-cluster";
import { waitHsmsActive } from "./steps/wait-hsms-active";

/**
 * What Terraform does between the hooks (resources, not steps): the simulation implements it
 * with mocked calls; in production the provider does it and Terraform orders the graph.
 */
export interface TerraformActions {
  /** aws_cloudhsm_v2_hsm in `az` (request only: the hooks do the waiting). */
  createHsm(az: string): Promise<void>;
  /** aws_kms_custom_key_store; returns the key store id. */
  createKeyStore(): Promise<string>;
}

export interface BootstrapIds {
  readonly region: string;
  readonly clusterId: string;
  readonly instanceId: string;
  readonly adminSecretArn: string;
  readonly kmsuserSecretArn: string;
  readonly certificateParameter: string;
  readonly trustAnchorParameter: string;
  /** One HSM per AZ; the first is created alone (a second CreateHsm fails until the cluster is ACTIVE). */
  readonly hsmAzs: readonly string[];
}

/**
 * The CloudHSM key store bootstrap graph (https://docs.aws.amazon.com/kms/latest/developerguide/create-keystore.html), as Terraform runs
 * it: first HSM -> initialize -> activate -> remaining HSMs in parallel -> wait for them ->
 * kmsuser -> key store -> connect. Each step gets the full `timeoutMs` budget.
 */
export async function bootstrapCloudHsmKeyStore(
  clients: HookClients,
  runtime: StepRuntime & { readonly limiter?: RateLimiter },
  terraform: TerraformActions,
  ids: BootstrapIds,
): Promise<{ readonly keyStoreId: string }> {
  const [firstAz, ...otherAzs] = ids.hsmAzs;
  await terraform.createHsm(firstAz);
  await initializeCluster({
    ...runtime,
    clients,
    clusterId: ids.clusterId,
    certificateParameter: ids.certificateParameter,
    trustAnchorParameter: ids.trustAnchorParameter,
  });
  await activateCluster({
    ...runtime,
    clients,
    clusterId: ids.clusterId,
    region: ids.region,
    instanceId: ids.instanceId,
    adminSecretArn: ids.adminSecretArn,
    trustAnchorParameter: ids.trustAnchorParameter,
  });
  await Promise.all(otherAzs.map((az) => terraform.createHsm(az)));
  await waitHsmsActive({
    ...runtime,
    clients,
    clusterId: ids.clusterId,
    minHsms: ids.hsmAzs.length,
    minAzs: Math.min(2, new Set(ids.hsmAzs).size),
  });
  await createKmsuser({
    ...runtime,
    clients,
    clusterId: ids.clusterId,
    region: ids.region,
    instanceId: ids.instanceId,
    adminSecretArn: ids.adminSecretArn,
    kmsuserSecretArn: ids.kmsuserSecretArn,
    trustAnchorParameter: ids.trustAnchorParameter,
  });
  const keyStoreId = await terraform.createKeyStore();
  await connectKeyStore({ ...runtime, clients, keyStoreId });
  return { keyStoreId };
}
