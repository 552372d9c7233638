import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { DescribeClustersCommand } from "@aws-sdk/client-cloudhsm-v2";
import { ListKeysCommand } from "@aws-sdk/client-kms";
import { ListSecretsCommand } from "@aws-sdk/client-secrets-manager";
import { DescribeParametersCommand } from "@aws-sdk/client-ssm";
import { cloudHsmClient, configuredEndpoint, createClients } from "../../../hooks/lib/clients";
import { withEnv } from "../../helpers/moto";

describe("configuredEndpoint", () => {
  test.each([
    [{}, undefined],
    [{ AWS_ENDPOINT_URL: "http://127.0.0.1:1" }, "http://127.0.0.1:1"],
    [
      { AWS_ENDPOINT_URL: "http://127.0.0.1:1", AWS_ENDPOINT_URL_CLOUDHSM_V2: "http://127.0.0.1:2" },
      "http://127.0.0.1:2",
    ],
    [{ AWS_ENDPOINT_URL_KMS: "http://127.0.0.1:3" }, undefined],
    [{ AWS_ENDPOINT_URL: "http://127.0.0.1:1", AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: "true" }, undefined],
    [{ AWS_ENDPOINT_URL: "" }, undefined],
  ])("CloudHSM endpoint from %j is %s", (env, expected) => {
    expect(configuredEndpoint("CLOUDHSM_V2", env)).toBe(expected);
  });
});

describe("every hook client sends to AWS_ENDPOINT_URL", () => {
  let server: Server;
  let url: string;
  const seen: { target: string; auth: string }[] = [];
  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      req.resume();
      req.on("end", () => {
        seen.push({
          target: String(req.headers["x-amz-target"] ?? `${req.method} ${req.url}`),
          auth: String(req.headers.authorization ?? ""),
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
  beforeEach(() => (seen.length = 0));

  const dummy = { AWS_ACCESS_KEY_ID: "testing", AWS_SECRET_ACCESS_KEY: "testing", AWS_SESSION_TOKEN: undefined };

  test("KMS, CloudHSM, SSM and Secrets Manager all reach the loopback server, signed for their service", async () => {
    await withEnv({ ...dummy, AWS_ENDPOINT_URL: url }, async () => {
      const c = createClients("eu-west-1");
      await c.kms.send(new ListKeysCommand({}));
      await c.cloudhsm.send(new DescribeClustersCommand({}));
      await c.ssm.send(new DescribeParametersCommand({}));
      await c.secrets.send(new ListSecretsCommand({}));
      for (const client of Object.values(c)) (client as { destroy(): void }).destroy();
    });
    expect(seen.map((s) => s.target)).toEqual([
      "TrentService.ListKeys",
      "BaldrApiService.DescribeClusters",
      "AmazonSSM.DescribeParameters",
      "secretsmanager.ListSecrets",
    ]);
    expect(seen.map((s) => /Credential=testing\/\d{8}\/eu-west-1\/([a-z0-9-]+)\//.exec(s.auth)?.[1])).toEqual([
      "kms",
      "cloudhsm",
      "ssm",
      "secretsmanager",
    ]);
  });

  test("AWS_ENDPOINT_URL_CLOUDHSM_V2 wins over AWS_ENDPOINT_URL for CloudHSM", async () => {
    await withEnv({ ...dummy, AWS_ENDPOINT_URL: "http://127.0.0.1:9", AWS_ENDPOINT_URL_CLOUDHSM_V2: url }, async () => {
      const client = cloudHsmClient({ region: "eu-west-1", maxAttempts: 1 });
      await client.send(new DescribeClustersCommand({}));
      client.destroy();
    });
    expect(seen.map((s) => s.target)).toEqual(["BaldrApiService.DescribeClusters"]);
  });

  test("without a configured endpoint the CloudHSM client resolves the Regional AWS endpoint", async () => {
    const endpoint = await withEnv(
      { AWS_ENDPOINT_URL: undefined, AWS_ENDPOINT_URL_CLOUDHSM_V2: undefined },
      async () => {
        const client = cloudHsmClient({ region: "eu-west-1" });
        expect(client.config.endpoint).toBeUndefined();
        return client.config.isCustomEndpoint;
      },
    );
    expect(endpoint).toBe(false);
  });
});
