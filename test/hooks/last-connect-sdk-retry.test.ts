/**
 * The CloudTrail client the hooks build (hooks/lib/clients.ts, the SDK's adaptive retry) absorbs
 * LookupEvents throttling by itself, before the step's own retry: proven against a loopback server
 * that throttles the first request (HTTP 400 ThrottlingException, as CloudTrail answers over its limit).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createClients } from "../../hooks/lib/clients";
import { realClock } from "../../hooks/lib/clock";
import { lastConnectFromCloudTrail } from "../../hooks/lib/last-connect";
import type { Sender } from "../../hooks/lib/runtime";
import { withEnv } from "../helpers/moto";

const STORE = "cks-0123456789abcdef0";
let server: Server;
let url: string;
const targets: string[] = [];
let answers: { status: number; body: object }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      targets.push(`${String(req.headers["x-amz-target"])} ${body}`);
      const a = answers.shift() ?? { status: 200, body: {} };
      res.writeHead(a.status, { "content-type": "application/x-amz-json-1.1" });
      res.end(JSON.stringify(a.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((r) => server.close(() => r()));
});

test("a throttled LookupEvents is retried by the SDK: the step's own retry is not needed", async () => {
  answers = [
    { status: 400, body: { __type: "ThrottlingException", message: "Rate exceeded" } },
    {
      status: 200,
      body: {
        Events: [
          {
            EventId: "ev-1",
            EventName: "ConnectCustomKeyStore",
            EventTime: 1790812800, // 2026-10-01T00:00:00Z, epoch seconds as the JSON protocol sends it
            CloudTrailEvent: JSON.stringify({ requestParameters: { customKeyStoreId: STORE } }),
          },
        ],
      },
    },
  ];
  const found = await withEnv(
    {
      AWS_ACCESS_KEY_ID: "testing",
      AWS_SECRET_ACCESS_KEY: "testing",
      AWS_SESSION_TOKEN: undefined,
      AWS_ENDPOINT_URL: url,
      AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: undefined,
    },
    async () => {
      const clients = createClients("eu-west-1");
      try {
        return await lastConnectFromCloudTrail({
          cloudtrail: clients.cloudtrail as Sender,
          keyStoreId: STORE,
          clock: realClock,
          // No retry here: only the SDK's.
          retrying: <T>(_what: string, fn: () => Promise<unknown>) => fn() as Promise<T>,
        });
      } finally {
        for (const c of Object.values(clients)) (c as { destroy(): void }).destroy();
      }
    },
  );
  expect(found.at?.toISOString()).toBe("2026-10-01T00:00:00.000Z");
  expect(targets).toHaveLength(2);
  for (const t of targets)
    expect(t).toBe(
      'CloudTrail_20131101.LookupEvents {"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"ConnectCustomKeyStore"}],"MaxResults":50}',
    );
});
