/** Mocked clients and environments for the status and doctor tests. */
import { CloudHSMV2Client } from "@aws-sdk/client-cloudhsm-v2";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { EC2Client } from "@aws-sdk/client-ec2";
import { IAMClient } from "@aws-sdk/client-iam";
import { KMSClient } from "@aws-sdk/client-kms";
import { Route53Client } from "@aws-sdk/client-route-53";
import { S3Client } from "@aws-sdk/client-s3";
import { ServiceQuotasClient } from "@aws-sdk/client-service-quotas";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { environments } from "../../environments";
import { resolveEnvironment, type ResolvedEnvironment } from "../../environments/resolve";
import type { EnvironmentConfig } from "../../environments/types";
import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { createOpsClients, type OpsClients } from "../../tools/ops/clients";
import type { CliIo } from "../../tools/ops/cli-common";

export const mocks = {
  kms: mockClient(KMSClient),
  // Typed `any` (allowed in test/ only) as in test/hooks/helpers.ts: client-cloudhsm-v2 3.332
  // predates the smithy types aws-sdk-client-mock 4 expects.
  cloudhsm: mockClient(CloudHSMV2Client as any) as any,
  cloudwatch: mockClient(CloudWatchClient),
  ec2: mockClient(EC2Client),
  iam: mockClient(IAMClient),
  route53: mockClient(Route53Client),
  s3: mockClient(S3Client),
  quotas: mockClient(ServiceQuotasClient),
  sts: mockClient(STSClient),
  scheduler: mockClient(SchedulerClient),
};

/** Resets every mock and answers GetCallerIdentity with `account`. */
export function resetMocks(account: string): void {
  for (const m of Object.values(mocks)) m.reset();
  mocks.sts
    .on(GetCallerIdentityCommand)
    .resolves({ Account: account, Arn: `arn:aws:sts::${account}:assumed-role/Operator/me`, UserId: "AROAEXAMPLE:me" });
}

/** Real client objects (their `send` is mocked above), never reaching the network. */
export function mockedClients(region = "eu-west-1"): OpsClients {
  return createOpsClients(region, {});
}

/** An AWS SDK error as the SDK throws it. */
export function awsError(name: string, message = name, status = 400): Error {
  return Object.assign(new Error(message), {
    name,
    $metadata: { httpStatusCode: status },
    $fault: status >= 500 ? "server" : "client",
  });
}

/** A shipped environment's configuration with changes, resolved. */
export function envWith(
  name: "dev" | "staging" | "prod",
  change: (e: EnvironmentConfig) => EnvironmentConfig = (e) => e,
): ResolvedEnvironment {
  return resolveEnvironment(change(structuredClone(environments[name])));
}

/** Captured CLI output with mocked clients. */
export function captureIo(now?: Date): CliIo & { out: string[]; err: string[]; text(): string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    clients: () => mockedClients(),
    now,
    text: () => out.join("") + err.join(""),
  };
}
