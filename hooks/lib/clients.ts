import { CloudHSMV2Client } from "@aws-sdk/client-cloudhsm-v2";
import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { KMSClient } from "@aws-sdk/client-kms";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SSMClient } from "@aws-sdk/client-ssm";
import { keepUnmodelledClusterFields } from "./cluster-fields";
import { SDK_RETRY_CONFIG } from "./retry";
import type { Sender } from "./runtime";

/** The SDK clients any step may need. Built per run by the runners; never at module level. */
export interface HookClients {
  readonly kms: Sender;
  readonly cloudhsm: Sender;
  readonly ssm: Sender;
  readonly secrets: Sender;
  /** CloudTrail event history (restore-key-store's last connect); absent in runners that inject clients without it. */
  readonly cloudtrail?: Sender;
}

/**
 * The endpoint a client must be given explicitly, or undefined to let the SDK decide.
 *
 * SDK clients from 3.410 on read `AWS_ENDPOINT_URL_<SERVICE_ID>` then `AWS_ENDPOINT_URL`
 * themselves (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html), unless
 * `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` is true. `@aws-sdk/client-cloudhsm-v2` is only published
 * up to 3.332.0 (the service's SDK was not released again), which predates that feature: its
 * client gets the same resolution by hand, with the variable name the guide gives for the
 * service id "CloudHSM V2" (`AWS_ENDPOINT_URL_CLOUDHSM_V2`).
 */
export function configuredEndpoint(serviceEnvSuffix: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if ((env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ?? "").toLowerCase() === "true") return undefined;
  const specific = env[`AWS_ENDPOINT_URL_${serviceEnvSuffix}`];
  if (specific) return specific;
  return env.AWS_ENDPOINT_URL || undefined;
}

/**
 * A CloudHSM v2 client that honours `AWS_ENDPOINT_URL(_CLOUDHSM_V2)` like the newer clients and keeps
 * the cluster fields 3.332 does not model.
 */
export function cloudHsmClient(
  config: { region: string } & Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
): CloudHSMV2Client {
  const endpoint = configuredEndpoint("CLOUDHSM_V2", env);
  const client = new CloudHSMV2Client(endpoint ? { ...config, endpoint } : config);
  // HsmTypeRollbackExpiration and Mode, which the 3.332 deserializer drops (./cluster-fields.ts).
  keepUnmodelledClusterFields(client);
  return client;
}

/** Real clients for `region` with the SDK's adaptive retry strategy. */
export function createClients(region: string): HookClients {
  const config = { region, ...SDK_RETRY_CONFIG };
  return {
    kms: new KMSClient(config),
    cloudhsm: cloudHsmClient(config) as unknown as Sender,
    ssm: new SSMClient(config),
    secrets: new SecretsManagerClient(config),
    // A current client: it reads AWS_ENDPOINT_URL(_CLOUDTRAIL) itself, like kms, ssm and secrets.
    cloudtrail: new CloudTrailClient(config),
  };
}
