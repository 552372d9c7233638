import { CloudHSMV2Client } from "@aws-sdk/client-cloudhsm-v2";
import { KMSClient } from "@aws-sdk/client-kms";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SSMClient } from "@aws-sdk/client-ssm";
import { SDK_RETRY_CONFIG } from "./retry";
import type { Sender } from "./runtime";

/** The SDK clients any step may need. Built per run by the runners; never at module level. */
export interface HookClients {
  readonly kms: Sender;
  readonly cloudhsm: Sender;
  readonly ssm: Sender;
  readonly secrets: Sender;
}

/** Real clients for `region` with the SDK's adaptive retry strategy. */
export function createClients(region: string): HookClients {
  const config = { region, ...SDK_RETRY_CONFIG };
  return {
    kms: new KMSClient(config),
    cloudhsm: new CloudHSMV2Client(config) as unknown as Sender,
    ssm: new SSMClient(config),
    secrets: new SecretsManagerClient(config),
  };
}
