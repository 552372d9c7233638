/**
 * The AWS SDK clients (docs/toolchain.md "AWS SDK clients"): every client the project depends on
 * sends to `AWS_ENDPOINT_URL` (an emulator, a VPC endpoint) when built the way the hooks and the
 * operator commands build it, signed for its own service, proven against a loopback server; the
 * clients are on one version except the ones the registry serves no newer release of (the table in
 * docs/toolchain.md, checked here against package.json); the SDK's core packages are installed once
 * each, except those only the CloudHSM client's 3.332 tree pins.
 */
import { ListSchedulesCommand } from "@aws-sdk/client-scheduler";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { CloudHSMV2Client, DescribeClustersCommand } from "@aws-sdk/client-cloudhsm-v2";
import { LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import { ListDashboardsCommand } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DescribeVpcsCommand } from "@aws-sdk/client-ec2";
import { DescribeFileSystemsCommand, FSxClient } from "@aws-sdk/client-fsx";
import { ListRolesCommand } from "@aws-sdk/client-iam";
import { ListKeysCommand } from "@aws-sdk/client-kms";
import { ListHostedZonesCommand } from "@aws-sdk/client-route-53";
import { ListBucketsCommand } from "@aws-sdk/client-s3";
import { ListSecretsCommand } from "@aws-sdk/client-secrets-manager";
import { ListServicesCommand } from "@aws-sdk/client-service-quotas";
import { DescribeParametersCommand } from "@aws-sdk/client-ssm";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { createClients } from "../../hooks/lib/clients";
import type { Sender } from "../../hooks/lib/runtime";
import { SDK_RETRY_CONFIG } from "../../hooks/lib/retry";
import { createOpsClients, destroyOpsClients } from "../../tools/ops/clients";
import { withEnv } from "../helpers/moto";

const root = join(__dirname, "..", "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { dependencies: Record<string, string> };
const CLIENTS = Object.entries(pkg.dependencies).filter(([n]) => n.startsWith("@aws-sdk/client-"));

describe("every AWS SDK client sends to AWS_ENDPOINT_URL", () => {
  let server: Server;
  let url: string;
  const seen: { service: string; request: string }[] = [];
  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      req.resume();
      req.on("end", () => {
        const scope = /Credential=testing\/\d{8}\/[a-z0-9-]+\/([a-z0-9-]+)\//.exec(String(req.headers.authorization));
        seen.push({
          service: scope?.[1] ?? "(unsigned)",
          request: String(req.headers["x-amz-target"] ?? `${req.method} ${req.url?.split("?")[0]}`),
        });
        res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
        res.end("{}");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });

  const env = () => ({
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
    AWS_SESSION_TOKEN: undefined,
    AWS_ENDPOINT_URL: url,
    AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: undefined,
  });
  /** Sends, ignoring the answer: the loopback server's `{}` is no valid reply in every protocol. */
  const send = async (client: { send(c: unknown): Promise<unknown> }, command: unknown) => {
    await client.send(command).catch(() => undefined);
  };

  test("as the hooks, the operator commands and the teardown build them: every client of package.json", async () => {
    const reached: Record<string, string> = {};
    await withEnv(env(), async () => {
      const hooks = createClients("eu-west-1");
      const ops = createOpsClients("eu-west-1");
      // tools/ops/teardown-run-cli.ts builds these two beside the operator clients.
      const logs = new CloudWatchLogsClient({ region: "eu-west-1", ...SDK_RETRY_CONFIG });
      const fsx = new FSxClient({ region: "eu-west-1", ...SDK_RETRY_CONFIG });
      const calls: [string, { send(c: unknown): Promise<unknown> }, unknown][] = [
        ["@aws-sdk/client-kms", hooks.kms, new ListKeysCommand({})],
        ["@aws-sdk/client-cloudhsm-v2", hooks.cloudhsm, new DescribeClustersCommand({})],
        ["@aws-sdk/client-ssm", hooks.ssm, new DescribeParametersCommand({})],
        ["@aws-sdk/client-secrets-manager", hooks.secrets, new ListSecretsCommand({})],
        ["@aws-sdk/client-cloudtrail", hooks.cloudtrail as Sender, new LookupEventsCommand({})],
        ["@aws-sdk/client-kms", ops.kms, new ListKeysCommand({})],
        ["@aws-sdk/client-cloudhsm-v2", ops.cloudhsm, new DescribeClustersCommand({})],
        ["@aws-sdk/client-cloudwatch", ops.cloudwatch, new ListDashboardsCommand({})],
        ["@aws-sdk/client-ec2", ops.ec2, new DescribeVpcsCommand({})],
        ["@aws-sdk/client-iam", ops.iam, new ListRolesCommand({})],
        ["@aws-sdk/client-route-53", ops.route53, new ListHostedZonesCommand({})],
        ["@aws-sdk/client-s3", ops.s3, new ListBucketsCommand({})],
        ["@aws-sdk/client-service-quotas", ops.quotas, new ListServicesCommand({})],
        ["@aws-sdk/client-sts", ops.sts, new GetCallerIdentityCommand({})],
        ["@aws-sdk/client-scheduler", ops.scheduler, new ListSchedulesCommand({})],
        ["@aws-sdk/client-cloudwatch-logs", logs, new DescribeLogGroupsCommand({})],
        ["@aws-sdk/client-fsx", fsx, new DescribeFileSystemsCommand({})],
      ];
      try {
        for (const [name, client, command] of calls) {
          const before = seen.length;
          await send(client, command);
          const got = seen.slice(before);
          reached[name] = got.length ? `${got[0].service} ${got[0].request}` : "(did not reach the loopback server)";
        }
      } finally {
        for (const c of Object.values(hooks)) (c as { destroy(): void }).destroy();
        destroyOpsClients(ops);
        logs.destroy();
        fsx.destroy();
      }
    });
    expect(reached).toEqual({
      "@aws-sdk/client-cloudhsm-v2": "cloudhsm BaldrApiService.DescribeClusters",
      "@aws-sdk/client-cloudtrail": "cloudtrail CloudTrail_20131101.LookupEvents",
      "@aws-sdk/client-cloudwatch": "monitoring GraniteServiceVersion20100801.ListDashboards",
      "@aws-sdk/client-cloudwatch-logs": "logs Logs_20140328.DescribeLogGroups",
      "@aws-sdk/client-ec2": "ec2 POST /",
      "@aws-sdk/client-fsx": "fsx AWSSimbaAPIService_v20180301.DescribeFileSystems",
      "@aws-sdk/client-iam": "iam POST /",
      "@aws-sdk/client-kms": "kms TrentService.ListKeys",
      "@aws-sdk/client-route-53": "route53 GET /2013-04-01/hostedzone",
      "@aws-sdk/client-s3": "s3 GET /",
      "@aws-sdk/client-scheduler": "scheduler GET /schedules",
      "@aws-sdk/client-secrets-manager": "secretsmanager secretsmanager.ListSecrets",
      "@aws-sdk/client-service-quotas": "servicequotas ServiceQuotasV20190624.ListServices",
      "@aws-sdk/client-ssm": "ssm AmazonSSM.DescribeParameters",
      "@aws-sdk/client-sts": "sts POST /",
    });
    // Every client the project depends on is covered: a new one must be added above.
    expect(Object.keys(reached).sort()).toEqual(CLIENTS.map(([n]) => n).sort());
  });

  test("the CloudHSM client at 3.332 ignores AWS_ENDPOINT_URL by itself: the explicit endpoint the tools pass is what sends it there", async () => {
    const hosts: string[] = [];
    await withEnv(env(), async () => {
      const raw = new CloudHSMV2Client({ region: "eu-west-1", maxAttempts: 1 });
      // Stop before sending: record where the request would go.
      raw.middlewareStack.add(
        () => async (args: { request: unknown }) => {
          hosts.push((args.request as { hostname: string }).hostname);
          throw new Error("stopped before sending");
        },
        { step: "finalizeRequest" },
      );
      await send(raw, new DescribeClustersCommand({}));
      raw.destroy();
    });
    expect(hosts).toEqual(["cloudhsmv2.eu-west-1.amazonaws.com"]);
  });
});

describe("one version of the SDK", () => {
  const docs = readFileSync(join(root, "docs", "toolchain.md"), "utf8");
  const common = /The common version is\s+\*\*(3\.\d+\.\d+)\*\*/.exec(docs)?.[1];
  /** `| \`@aws-sdk/client-x\` | 3.y.z | ...` rows of the table of clients that cannot reach it. */
  const exceptions = Object.fromEntries(
    [...docs.matchAll(/^\| `(@aws-sdk\/client-[a-z0-9-]+)` \| (3\.\d+\.\d+) \|/gm)].map((m) => [m[1], m[2]]),
  );

  test("every client is on the common version, or in docs/toolchain.md's table at exactly its version", () => {
    expect(common).toBeDefined();
    const off = Object.fromEntries(CLIENTS.filter(([, v]) => v !== common));
    expect(off).toEqual(exceptions);
    expect(Object.keys(exceptions).sort()).toEqual([
      "@aws-sdk/client-cloudhsm-v2",
      "@aws-sdk/client-cloudtrail",
      "@aws-sdk/client-fsx",
      "@aws-sdk/client-service-quotas",
    ]);
  });

  test("the SDK's core packages are installed once each; only the CloudHSM 3.332 tree keeps older copies", () => {
    const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as {
      packages: Record<string, { version?: string }>;
    };
    const copies: Record<string, { path: string; version: string }[]> = {};
    for (const [path, p] of Object.entries(lock.packages)) {
      const m = /node_modules\/(@(?:smithy|aws-sdk|aws-crypto)\/[^/]+)$/.exec(path);
      if (m && p.version) (copies[m[1]] ??= []).push({ path, version: p.version });
    }
    // The core every current client shares: one copy.
    for (const name of [
      "@aws-sdk/core",
      "@smithy/core",
      "@smithy/types",
      "@smithy/protocol-http",
      "@smithy/signature-v4",
      "@smithy/node-http-handler",
    ])
      expect([name, copies[name]?.length]).toEqual([name, 1]);
    // The current credential chain sits once at the top, not once per client.
    for (const name of [
      "@aws-sdk/credential-provider-node",
      "@aws-sdk/credential-provider-ini",
      "@aws-sdk/credential-provider-sso",
    ]) {
      const current = copies[name].filter((c) => !/^3\.3\d\d\./.test(c.version));
      expect([name, current.map((c) => c.path)]).toEqual([name, [`node_modules/${name}`]]);
    }
    // Any package in more than one version: the extra ones are the 3.3xx / @aws-crypto 3.x the CloudHSM client pins.
    const versions = Object.entries(copies)
      .map(([name, cs]) => [name, [...new Set(cs.map((c) => c.version))]] as const)
      .filter(([, vs]) => vs.length > 1);
    for (const [name, vs] of versions)
      expect([name, vs.filter((v) => !/^3\.(3\d\d\.\d+|0\.0)$/.test(v)).length]).toEqual([name, 1]);
  });
});
