import { readFileSync } from "node:fs";
import { join } from "node:path";
import { mockClient, type AwsClientStub } from "aws-sdk-client-mock";
import {
  ConnectCustomKeyStoreCommand,
  DescribeCustomKeyStoresCommand,
  DisconnectCustomKeyStoreCommand,
  type KMSClient,
} from "@aws-sdk/client-kms";
import type { HookClients } from "../../hooks/lib/clients";
import { CloudHSMV2Client, type Cluster } from "@aws-sdk/client-cloudhsm-v2";
import { VirtualClock } from "../../hooks/lib/clock";
import { memoryLogger } from "../../hooks/lib/logger";
import type { StepRuntime } from "../../hooks/lib/runtime";

/**
 * Mock of the old CloudHSM client. Typed `any` (allowed in test/ only): client-cloudhsm-v2 3.332
 * predates the smithy types aws-sdk-client-mock 4 expects, so its class and commands need a cast.
 */
export function cloudhsmMock(): any {
  return mockClient(CloudHSMV2Client as any);
}

export const fixture = (name: string): string => readFileSync(join(__dirname, "fixtures", name), "utf8");

export const IDS = {
  region: "eu-west-1",
  clusterId: "cluster-abcdefghijk",
  keyStoreId: "cks-1234567890abcdef0",
  instanceId: "i-0123456789abcdef0",
  adminSecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:cmk/admin-AbCdEf",
  kmsuserSecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:cmk/kmsuser-GhIjKl",
  certificateParameter: "/cmk/cluster-certificate",
  trustAnchorParameter: "/cmk/trust-anchor",
  keyId: "1234abcd-12ab-34cd-56ef-1234567890ab",
} as const;

/** Virtual clock + memory logger + budget: what every step test passes. */
export function runtime(timeoutMinutes = 45): StepRuntime & { clock: VirtualClock; lines: string[] } {
  const clock = new VirtualClock(0);
  const { log, lines } = memoryLogger();
  return { clock, log, lines, timeoutMs: timeoutMinutes * 60_000, random: () => 0 };
}

type HsmSpec = readonly [state: string, az: string, ip: string];

/** A DescribeClusters answer for one cluster. */
export function clusterOutput(state: string, hsms: readonly HsmSpec[] = [], csr?: string): { Clusters: Cluster[] } {
  return {
    Clusters: [
      {
        ClusterId: IDS.clusterId,
        State: state,
        Hsms: hsms.map(([s, az, ip], i) => ({
          HsmId: `hsm-${"abcdefghij"[i]}${"klmnopqrst"[i]}1234567`,
          State: s,
          AvailabilityZone: az,
          EniIp: ip,
          ClusterId: IDS.clusterId,
        })),
        Certificates: csr ? { ClusterCsr: csr } : {},
      },
    ],
  };
}

/** An SDK-shaped service error. */
export function awsError(name: string, message = name, status = 400): Error {
  return Object.assign(new Error(message), {
    name,
    $metadata: { httpStatusCode: status },
    $fault: status >= 500 ? "server" : "client",
  });
}

/** A Node network error as the SDK surfaces it. */
export function networkError(code = "ECONNRESET"): Error {
  return Object.assign(new Error(`read ${code}`), { code });
}

/** Runs `fn` and returns what it threw (fails the test if it did not throw). */
export async function thrown(fn: () => Promise<unknown>): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a failure, got success");
}

/** One KMS mock serving every client a runner creates (runner tests: only KMS is called). */
export function kmsOnly(kms: AwsClientStub<KMSClient>): () => HookClients {
  return () => ({ kms, cloudhsm: kms, ssm: kms, secrets: kms });
}

/** A DescribeCustomKeyStores answer for the test store. */
export const store = (state: string, code?: string) => ({
  CustomKeyStores: [
    {
      CustomKeyStoreId: IDS.keyStoreId,
      CustomKeyStoreType: "AWS_CLOUDHSM" as const,
      ConnectionState: state as "CONNECTED",
      ConnectionErrorCode: code as "USER_NOT_FOUND" | undefined,
    },
  ],
});

/** A store found FAILED(code): the step disconnects, reconnects once, and it fails again with the same code. */
export function failsAgain(kms: AwsClientStub<KMSClient>, code: string): void {
  kms.on(DescribeCustomKeyStoresCommand).callsFake(() => {
    const disconnects = kms.commandCalls(DisconnectCustomKeyStoreCommand).length;
    if (disconnects === 0) return store("FAILED", code);
    return kms.commandCalls(ConnectCustomKeyStoreCommand).length < disconnects
      ? store("DISCONNECTED")
      : store("FAILED", code);
  });
}
