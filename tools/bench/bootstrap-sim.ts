/**
 * Bootstrap simulation: runs the whole CloudHSM key store orchestration (hooks/orchestrate.ts)
 * against fake AWS clients that model the documented latencies on a virtual clock, then compares
 * the total with the critical path of those latencies and counts the polls against what the
 * poll schedules need. Runs in milliseconds; no network.
 */
import {
  CreateHsmCommand,
  DescribeClustersCommand,
  InitializeClusterCommand,
  type Cluster,
  type Hsm,
} from "@aws-sdk/client-cloudhsm-v2";
import {
  ConnectCustomKeyStoreCommand,
  DescribeCustomKeyStoresCommand,
  DisconnectCustomKeyStoreCommand,
} from "@aws-sdk/client-kms";
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  TagResourceCommand,
} from "@aws-sdk/client-secrets-manager";
import { HOOKS } from "@cmk-stacks/aws-limits";
import {
  GetCommandInvocationCommand,
  GetParameterCommand,
  ListCommandsCommand,
  SendCommandCommand,
} from "@aws-sdk/client-ssm";
import { COMMAND_POLL, pollFor, pollsNeeded, TYPICAL_MS, type Random } from "../../hooks/lib/backoff";
import type { HookClients } from "../../hooks/lib/clients";
import { VirtualClock } from "../../hooks/lib/clock";
import { memoryLogger } from "../../hooks/lib/logger";
import { CUSTOM_KEY_STORE_RPS, RateLimiter } from "../../hooks/lib/rate-limiter";
import type { Sender } from "../../hooks/lib/runtime";
import { bootstrapCloudHsmKeyStore, type BootstrapIds } from "../../hooks/orchestrate";

/** Modelled durations (typical values from https://docs.aws.amazon.com/kms/latest/developerguide/create-keystore.html and the CloudHSM user guide). */
export interface SimLatencies {
  readonly hsmCreateMs: number;
  readonly initializeMs: number;
  /** Run time of the `cluster activate` SSM command on the admin host. */
  readonly activateCommandMs: number;
  /** From the HSM accepting activation to the cluster reporting ACTIVE. */
  readonly activateMs: number;
  readonly kmsuserCommandMs: number;
  /** CreateCustomKeyStore call (KMS validates the cluster synchronously). */
  readonly createKeyStoreMs: number;
  readonly connectMs: number;
}

export const DEFAULT_LATENCIES: SimLatencies = {
  hsmCreateMs: 10 * 60_000,
  initializeMs: 4 * 60_000,
  activateCommandMs: 60_000,
  activateMs: 4 * 60_000,
  kmsuserCommandMs: 60_000,
  createKeyStoreMs: 30_000,
  connectMs: 20 * 60_000,
};

// A type alias (not an interface) so that it is assignable to Record<string, unknown> (the bench CLI's view).
export type SimResult = {
  /** Sum of the modelled latencies along the dependency graph (parallel HSMs count once). */
  readonly criticalPathMs: number;
  /** Virtual time the orchestration took. */
  readonly totalMs: number;
  /** (total - critical path) / critical path, in percent. */
  readonly overheadPct: number;
  /** AWS calls made, by operation. */
  readonly calls: Record<string, number>;
  /** Total calls the poll schedules and the graph need (compare with the sum of `calls`). */
  readonly expectedCalls: number;
  /** The same, by operation. */
  readonly expectedCallsByOperation: Record<string, number>;
};

/** Constant jitter so that the expected poll counts can be computed exactly. */
const SIM_RANDOM: Random = () => 0.5;

const IDS: BootstrapIds = {
  region: "eu-west-1",
  clusterId: "cluster-simsimsimsim",
  instanceId: "i-0123456789abcdef0",
  adminSecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:sim/admin-AbCdEf",
  kmsuserSecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:sim/kmsuser-GhIjKl",
  certificateParameter: "/sim/cluster-certificate",
  trustAnchorParameter: "/sim/trust-anchor",
  hsmAzs: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
};

/** Test PKI (public parts only): a CSR, the certificate a test CA issued for it, the CA. */
const PKI = {
  csr: [
    "-----BEGIN CERTIFICATE REQUEST-----",
    "MIICZzCCAU8CAQAwIjEgMB4GA1UEAwwXSFNNOmNsdXN0ZXItYWJjZGVmZ2hpamsw",
    "ggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQDHpFjiXC3Ev9zRwJX6WO/T",
    "1NocUf+Lyr7jyDTLd8gJALENONfyW3E88W/yXKZ5akzx8HUnMGN5pGTkobuGu9rH",
    "xYxNBsE6ng3JPqhI8gve+TV1QX3BBSMtH0vvfVPAiS39ppKK7+iRb+HwDqHvMrN7",
    "T3MvhVQRGf66m9TpkV5GdKiLur4clzCuaHlUxAUnCzX29Ksh92/XuwMJXctqOFtk",
    "4TX5ZunDdtTuOeVfXBmm+aRm2/8TK/WtdIk1v7vkepBFBe7E4BzlWegvdQJAnIjQ",
    "OiiwBWxBV0cx378Z9RqUimT8EsgGjYi3bFYe9XgBXTnaao4y6IB7aclcFB5Aj9nv",
    "AgMBAAGgADANBgkqhkiG9w0BAQsFAAOCAQEANBgo5hpf9V2+aPHSkmjXhTvnOgJ6",
    "o6T0MZrPiocP2zNRdaVwY8El4ydxr9s+SVQBQHZS6NX6y8hrHLmzij7Ri4lldtHx",
    "7ztLS8mL+ww4uX7YNVv6E+8CdKpuFYcmoxcsicAZtWyC3EBF3qnM/7IBayiu+FgL",
    "qvrkATD5DwDJjzzTuTju5cg/T2SOU/augZUGLlnZ+Uy/+l27f0TT7opxdju8PlzY",
    "U9OuHp5pXKze0Q+g3a6UKlocwdULajFXYGhao0rMnOBifuhT+lA503HSX8kjWnVF",
    "Fma6cbyR415IxdIVt01yiK6sLa2OA4b5fPbgOtpU932xCHgWYDIWP00dlw==",
    "-----END CERTIFICATE REQUEST-----",
  ].join("\n"),
  cert: [
    "-----BEGIN CERTIFICATE-----",
    "MIICwDCCAagCFFzYrUWMRnhG8Py8TzcPe2S2ElMbMA0GCSqGSIb3DQEBCwUAMBcx",
    "FTATBgNVBAMMDFRlc3QgUm9vdCBDQTAeFw0yNjExMjQxMTE1MTZaFw0zNjExMjEx",
    "MTE1MTZaMCIxIDAeBgNVBAMMF0hTTTpjbHVzdGVyLWFiY2RlZmdoaWprMIIBIjAN",
    "BgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAx6RY4lwtxL/c0cCV+ljv09TaHFH/",
    "i8q+48g0y3fICQCxDTjX8ltxPPFv8lymeWpM8fB1JzBjeaRk5KG7hrvax8WMTQbB",
    "Op4NyT6oSPIL3vk1dUF9wQUjLR9L731TwIkt/aaSiu/okW/h8A6h7zKze09zL4VU",
    "ERn+upvU6ZFeRnSoi7q+HJcwrmh5VMQFJws19vSrIfdv17sDCV3LajhbZOE1+Wbp",
    "w3bU7jnlX1wZpvmkZtv/Eyv1rXSJNb+75HqQRQXuxOAc5VnoL3UCQJyI0DoosAVs",
    "QVdHMd+/GfUalIpk/BLIBo2It2xWHvV4AV052mqOMuiAe2nJXBQeQI/Z7wIDAQAB",
    "MA0GCSqGSIb3DQEBCwUAA4IBAQAg+cj9gf4KJENbXa73OjQlaUwlfW1ACoqBoFC8",
    "NsXBL7GAdMX83HXlfKahENI4dULu47nEdo4+XEP4WPLZYZi4kB1/HGF73lN7KsrX",
    "N0gG0pqB0Wf3g05IZwZ4BktsgGnJKRa1QhB/FemKRb25Ylhy5myvdidx/gsoJ6Xv",
    "5CKVTje0rjX+sRIpat5gHzo2p9S+yATHoprfWbq+OTGbisyx7PQbJ02RTfop/bof",
    "6rcqQuiY8sjc6UA0K6JxwIDvsocSrPZyuAmrlAzomzFqC5y7Qu1gnbhqjX3iM85W",
    "UnJ2sTGVFvJ3dZuPwG/uExDyZh+nMTo+XLnO/BBWOetQP5Nj",
    "-----END CERTIFICATE-----",
  ].join("\n"),
  anchor: [
    "-----BEGIN CERTIFICATE-----",
    "MIIDDzCCAfegAwIBAgIUO3mt1QrzBq9bJA7gK8fJ1hn83mIwDQYJKoZIhvcNAQEL",
    "BQAwFzEVMBMGA1UEAwwMVGVzdCBSb290IENBMB4XDTI2MTEyNDExMTUxNloXDTM2",
    "MTEyMTExMTUxNlowFzEVMBMGA1UEAwwMVGVzdCBSb290IENBMIIBIjANBgkqhkiG",
    "9w0BAQEFAAOCAQ8AMIIBCgKCAQEAobPVCh8gtmOWJ8unIDAVYcm5Mbs8KLvqQS92",
    "HsxoeZ2kFhL109LKCYSlmN+0b+pqOtSJEwf+y8qpb7VqaZ53z1C0T4eEkA0qObI4",
    "l48mhhGzhGBf2ITvIHIpfeHUyHaHPKLmcF0ipEP/TmHhewwPbIPwUNzuOBqmKgbW",
    "kc/Ga3/qIW3RSKSsuAaI7o/H/qkOuVa8xBTqAzG7WCGszGlzA74Yx/aaEjWCPwjD",
    "Yz43Y+HoeGKTEY17athF/zAAV/yqzRdeQSFukvweVS8keQVEzd5GBaIoi0StSo20",
    "v8c4JpUoOAUG9jPP0yxxJkteZj4qe+VfEWhfo5ukugjLOB/qEwIDAQABo1MwUTAd",
    "BgNVHQ4EFgQUA9zvKWiy7wrKZUT2AlkXGL+G4i8wHwYDVR0jBBgwFoAUA9zvKWiy",
    "7wrKZUT2AlkXGL+G4i8wDwYDVR0TAQH/BAUwAwEB/zANBgkqhkiG9w0BAQsFAAOC",
    "AQEAgndovTXnKDv8304mNtbpXrS5317a5Xm5K0urgirzknQgtLDClLw+oxfi9gVc",
    "xX/xsGFbgu4uObsppqOUIOXX+gTRDYmOZGPs/sBELRnF9AEWIiEbuEb5BAxFz9+P",
    "/A6yhluIH7wZ2fOwpddBKN5Y0nnZ1hp5J2wvWHOEqCkeYOtwczoyp6jY6N0r4QHg",
    "SHmZFv7qqLT8TE+UjXeQ0sCCxlpz8fUP6hYEu1Fon5iowoco3o2akXqKvarDN6C4",
    "OuRYJY2jVqctaTxa1uYB1sfxREyc1Cv55JIO/tyJpe2GmecGAFLWp2lFXRYu0w0g",
    "HM5Yp4WMDyVibAO3Mb9JAMjOSA==",
    "-----END CERTIFICATE-----",
  ].join("\n"),
};

interface SimHsm {
  readonly id: string;
  readonly az: string;
  readonly ip: string;
  readonly readyAt: number;
}

/** Runs the simulation. `latencies` overrides the modelled durations (e.g. to test slower-than-typical runs). */
export function runBootstrapSimulation(latencies: Partial<SimLatencies> = {}): Promise<SimResult> {
  const lat: SimLatencies = { ...DEFAULT_LATENCIES, ...latencies };
  const clock = new VirtualClock(0);
  const calls: Record<string, number> = {};
  const count = (op: string) => (calls[op] = (calls[op] ?? 0) + 1);

  // World state, driven by the virtual clock.
  const hsms: SimHsm[] = [];
  let initializedAt: number | undefined;
  let activeAt: number | undefined;
  const secrets = new Map<string, string>();
  const tags = new Map<string, string>();
  const commands = new Map<string, { readyAt: number; stdout: string; onDone?: () => void; done: boolean }>();
  let keyStore: { id: string; connectedAt?: number } | undefined;

  const clusterState = (now: number): string => {
    if (activeAt !== undefined && now >= activeAt) return "ACTIVE";
    if (initializedAt !== undefined) return now >= initializedAt ? "INITIALIZED" : "INITIALIZE_IN_PROGRESS";
    return "UNINITIALIZED";
  };
  const describeHsm = (h: SimHsm, now: number): Hsm => ({
    HsmId: h.id,
    AvailabilityZone: h.az,
    EniIp: h.ip,
    ClusterId: IDS.clusterId,
    State: now >= h.readyAt ? "ACTIVE" : "CREATE_IN_PROGRESS",
  });
  const describeCluster = (now: number): Cluster => {
    const state = clusterState(now);
    const firstActive = hsms.some((h) => now >= h.readyAt);
    return {
      ClusterId: IDS.clusterId,
      State: state,
      Hsms: hsms.map((h) => describeHsm(h, now)),
      Certificates: state === "UNINITIALIZED" && firstActive ? { ClusterCsr: PKI.csr } : {},
    };
  };
  const commandStatus = (id: string, now: number): string => {
    const c = commands.get(id);
    if (!c) return "Pending";
    if (now < c.readyAt) return "InProgress";
    if (!c.done) {
      c.done = true;
      c.onDone?.();
    }
    return "Success";
  };
  const userList = () =>
    Buffer.from(
      JSON.stringify({
        error_code: 0,
        data: {
          users: [
            { username: "admin", role: "admin", locked: "false" },
            { username: "kmsuser", role: "crypto-user", locked: "false" },
          ],
        },
      }),
    ).toString("base64");

  const sender = (handle: (command: object, now: number) => unknown | Promise<unknown>): Sender => ({
    send: async (command: object) => handle(command, clock.now()),
  });

  const cloudhsm = sender((c, now) => {
    if (c instanceof DescribeClustersCommand) return (count("DescribeClusters"), { Clusters: [describeCluster(now)] });
    if (c instanceof InitializeClusterCommand) {
      count("InitializeCluster");
      initializedAt = now + lat.initializeMs;
      return { State: "INITIALIZE_IN_PROGRESS" };
    }
    throw new Error(`sim: unexpected CloudHSM command ${c.constructor.name}`);
  });
  const ssm = sender((c, now) => {
    if (c instanceof GetParameterCommand) {
      count("GetParameter");
      return { Parameter: { Value: c.input.Name === IDS.certificateParameter ? PKI.cert : PKI.anchor } };
    }
    if (c instanceof ListCommandsCommand) return (count("ListCommands"), { Commands: [] });
    if (c instanceof SendCommandCommand) {
      count("SendCommand");
      const id = `cmd-${commands.size + 1}`;
      const script = c.input.Parameters?.commands?.[0] ?? "";
      if (script.includes("cluster activate")) {
        const readyAt = now + lat.activateCommandMs;
        commands.set(id, {
          readyAt,
          done: false,
          stdout: "HOOK_RESULT ACTIVATED\n",
          onDone: () => (activeAt = readyAt + lat.activateMs),
        });
      } else {
        const lines = hsms.map((h) => `HOOK_HSM ${h.id} ${h.az} ${h.ip} 0 ${userList()}`);
        commands.set(id, {
          readyAt: now + lat.kmsuserCommandMs,
          done: false,
          stdout: ["HOOK_RESULT KMSUSER_CREATED", ...lines].join("\n"),
        });
      }
      return { Command: { CommandId: id } };
    }
    if (c instanceof GetCommandInvocationCommand) {
      count("GetCommandInvocation");
      const id = c.input.CommandId ?? "";
      const status = commandStatus(id, now);
      return {
        Status: status,
        ResponseCode: status === "Success" ? 0 : -1,
        StandardOutputContent: status === "Success" ? commands.get(id)?.stdout : "",
      };
    }
    throw new Error(`sim: unexpected SSM command ${c.constructor.name}`);
  });
  const secretsClient = sender((c) => {
    if (c instanceof GetSecretValueCommand) {
      count("GetSecretValue");
      const v = secrets.get(c.input.SecretId ?? "");
      if (v === undefined) throw Object.assign(new Error("no value"), { name: "ResourceNotFoundException" });
      return { SecretString: v };
    }
    if (c instanceof PutSecretValueCommand)
      return (count("PutSecretValue"), secrets.set(c.input.SecretId ?? "", c.input.SecretString ?? ""), {});
    if (c instanceof DescribeSecretCommand) {
      count("DescribeSecret");
      const arn = c.input.SecretId ?? "";
      const tag = tags.get(arn);
      return {
        ARN: arn,
        VersionIdsToStages: secrets.has(arn) ? { v1: ["AWSCURRENT"] } : {},
        Tags: tag ? [{ Key: "cmk-hooks:kmsuser-verified", Value: tag }] : [],
      };
    }
    if (c instanceof TagResourceCommand)
      return (count("TagResource"), tags.set(c.input.SecretId ?? "", c.input.Tags?.[0]?.Value ?? ""), {});
    throw new Error(`sim: unexpected Secrets Manager command ${c.constructor.name}`);
  });
  const kms = sender((c, now) => {
    if (c instanceof DescribeCustomKeyStoresCommand) {
      count("DescribeCustomKeyStores");
      if (!keyStore) return { CustomKeyStores: [] };
      const state =
        keyStore.connectedAt === undefined ? "DISCONNECTED" : now >= keyStore.connectedAt ? "CONNECTED" : "CONNECTING";
      return {
        CustomKeyStores: [
          {
            CustomKeyStoreId: keyStore.id,
            CustomKeyStoreType: "AWS_CLOUDHSM",
            CloudHsmClusterId: IDS.clusterId,
            ConnectionState: state,
          },
        ],
      };
    }
    if (c instanceof ConnectCustomKeyStoreCommand) {
      count("ConnectCustomKeyStore");
      if (keyStore) keyStore.connectedAt = now + lat.connectMs;
      return {};
    }
    if (c instanceof DisconnectCustomKeyStoreCommand) throw new Error("sim: no disconnect expected on the happy path");
    throw new Error(`sim: unexpected KMS command ${c.constructor.name}`);
  });
  const clients: HookClients = { kms, cloudhsm, ssm, secrets: secretsClient };

  const terraform = {
    createHsm: async (az: string) => {
      count("CreateHsm");
      if (hsms.length > 0 && clusterState(clock.now()) !== "ACTIVE")
        throw new Error("sim: second CreateHsm before the cluster is ACTIVE");
      const n = hsms.length;
      hsms.push({
        id: `hsm-sim${"abcdefghij"[n]}`,
        az,
        ip: `10.0.${n + 1}.10`,
        readyAt: clock.now() + lat.hsmCreateMs,
      });
      await Promise.resolve(CreateHsmCommand);
    },
    createKeyStore: async () => {
      count("CreateCustomKeyStore");
      await clock.sleep(lat.createKeyStoreMs);
      keyStore = { id: "cks-0123456789abcdef0" };
      return keyStore.id;
    },
  };

  const { log } = memoryLogger();
  const limiter = new RateLimiter(clock, CUSTOM_KEY_STORE_RPS);
  return bootstrapCloudHsmKeyStore(
    clients,
    { clock, log, timeoutMs: HOOKS.TIMEOUT_MINUTES_DEFAULT.value * 60_000, random: SIM_RANDOM, limiter },
    terraform,
    IDS,
  ).then(() => {
    const totalMs = clock.now();
    const criticalPathMs =
      lat.hsmCreateMs +
      lat.initializeMs +
      lat.activateCommandMs +
      lat.activateMs +
      lat.hsmCreateMs +
      lat.kmsuserCommandMs +
      lat.createKeyStoreMs +
      lat.connectMs;
    const p = (policy: Parameters<typeof pollsNeeded>[0], ms: number) => pollsNeeded(policy, ms, SIM_RANDOM);
    const hsmPoll = pollFor(TYPICAL_MS.hsmCreate);
    const expectedCallsByOperation: Record<string, number> = {
      // initialize: first describe + polls for HSM1 + polls for INITIALIZED; activate: first + polls for ACTIVE;
      // wait-hsms-active: first + polls for the parallel HSMs; create-kmsuser: one describe.
      DescribeClusters:
        1 +
        p(hsmPoll, lat.hsmCreateMs) +
        p(pollFor(TYPICAL_MS.initialize), lat.initializeMs) +
        1 +
        p(pollFor(TYPICAL_MS.activate), lat.activateMs) +
        1 +
        p(hsmPoll, lat.hsmCreateMs) +
        1,
      GetCommandInvocation: p(COMMAND_POLL, lat.activateCommandMs) + p(COMMAND_POLL, lat.kmsuserCommandMs),
      DescribeCustomKeyStores: 1 + p(pollFor(TYPICAL_MS.connectCloudHsm), lat.connectMs),
      CreateHsm: IDS.hsmAzs.length,
      InitializeCluster: 1,
      GetParameter: 2,
      ListCommands: 2,
      SendCommand: 2,
      GetSecretValue: 3,
      PutSecretValue: 2,
      DescribeSecret: 1,
      TagResource: 1,
      CreateCustomKeyStore: 1,
      ConnectCustomKeyStore: 1,
    };
    const expectedCalls = Object.values(expectedCallsByOperation).reduce((a, b) => a + b, 0);
    return {
      criticalPathMs,
      totalMs,
      overheadPct: ((totalMs - criticalPathMs) / criticalPathMs) * 100,
      calls,
      expectedCalls,
      expectedCallsByOperation,
    };
  });
}
