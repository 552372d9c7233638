/**
 * SDK clients for the operator commands (status, doctor, teardown): built once per run from the
 * operator's own session (the SDK's default credential chain: AWS_PROFILE, SSO, environment
 * variables, instance role) in the environment's Region from its resolved configuration, the
 * Region the synthesized provider block names. Never at module level, so tests mock them with
 * aws-sdk-client-mock (`mockClient(KMSClient)` replaces `send` on every instance).
 *
 * Every client honours `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` (an emulator such as
 * moto, a VPC endpoint): the current SDK clients by themselves
 * (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html), CloudHSM (only
 * published at 3.332.0) through `cloudHsmClient` (hooks/lib/clients.ts).
 */
import type { CloudHSMV2Client } from "@aws-sdk/client-cloudhsm-v2";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { EC2Client } from "@aws-sdk/client-ec2";
import { IAMClient } from "@aws-sdk/client-iam";
import { KMSClient } from "@aws-sdk/client-kms";
import { Route53Client } from "@aws-sdk/client-route-53";
import { S3Client } from "@aws-sdk/client-s3";
import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { ServiceQuotasClient } from "@aws-sdk/client-service-quotas";
import { STSClient } from "@aws-sdk/client-sts";
import { cloudHsmClient } from "../../hooks/lib/clients";
import { SDK_RETRY_CONFIG } from "../../hooks/lib/retry";

export interface OpsClients {
  readonly region: string;
  readonly kms: KMSClient;
  readonly cloudhsm: CloudHSMV2Client;
  readonly cloudwatch: CloudWatchClient;
  readonly ec2: EC2Client;
  readonly iam: IAMClient;
  readonly route53: Route53Client;
  readonly s3: S3Client;
  readonly quotas: ServiceQuotasClient;
  readonly sts: STSClient;
  /** EventBridge Scheduler: a scale-to-zero environment's schedules (doctor). */
  readonly scheduler: SchedulerClient;
}

/**
 * Clients for `region`. `stateRegion` is the Region of the S3 state bucket when it differs (the
 * backend's `region`). S3 uses path-style addressing only when an endpoint is configured (moto
 * serves buckets by path; AWS by virtual host). `retry` replaces SDK_RETRY_CONFIG: only the
 * emulator's teardown fixture passes one (moto answers an action it lacks with HTTP 500 at once,
 * every time; the production retries back off for seconds before reporting it).
 */
export function createOpsClients(
  region: string,
  env: NodeJS.ProcessEnv = process.env,
  retry: { readonly maxAttempts: number; readonly retryMode: "standard" | "adaptive" } = SDK_RETRY_CONFIG,
): OpsClients {
  const config = { region, ...retry };
  const custom = Boolean(env.AWS_ENDPOINT_URL || env.AWS_ENDPOINT_URL_S3);
  return {
    region,
    kms: new KMSClient(config),
    cloudhsm: cloudHsmClient(config, env),
    cloudwatch: new CloudWatchClient(config),
    ec2: new EC2Client(config),
    // IAM and Route 53 are global services; the SDK resolves their one endpoint from any Region.
    iam: new IAMClient(config),
    route53: new Route53Client(config),
    s3: new S3Client({ ...config, ...(custom ? { forcePathStyle: true } : {}) }),
    quotas: new ServiceQuotasClient(config),
    sts: new STSClient(config),
    scheduler: new SchedulerClient(config),
  };
}

/** Destroys every client's sockets (a CLI otherwise waits for keep-alive connections to close). */
export function destroyOpsClients(c: OpsClients): void {
  for (const client of [c.kms, c.cloudhsm, c.cloudwatch, c.ec2, c.iam, c.route53, c.s3, c.quotas, c.sts, c.scheduler])
    client.destroy();
}
