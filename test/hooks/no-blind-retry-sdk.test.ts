/**
 * CreateHsm and CreateCluster take no client token: the SDK's own retry (hooks/lib/clients.ts, adaptive,
 * 8 attempts) must not send them again after a failure AWS may have acted on (a 5xx). `noBlindRetry`
 * (hooks/lib/retry.ts) lets the SDK retry a throttled attempt only; proven with the real CloudHSM client
 * against a loopback server.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { CreateHsmCommand } from "@aws-sdk/client-cloudhsm-v2";
import { createClients } from "../../hooks/lib/clients";
import { AmbiguousCallError, noBlindRetry } from "../../hooks/lib/retry";
import { withEnv } from "../helpers/moto";

let server: Server;
let url: string;
const targets: string[] = [];
let answers: { status: number; body: object }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      targets.push(String(req.headers["x-amz-target"]));
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
beforeEach(() => {
  targets.length = 0;
  answers = [];
});

const env = () => ({
  AWS_ACCESS_KEY_ID: "testing",
  AWS_SECRET_ACCESS_KEY: "testing",
  AWS_SESSION_TOKEN: undefined,
  AWS_ENDPOINT_URL: url,
  AWS_ENDPOINT_URL_CLOUDHSM_V2: undefined,
  AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: undefined,
});

async function createHsm(wrap: boolean): Promise<unknown> {
  return withEnv(env(), async () => {
    const clients = createClients("eu-west-1");
    try {
      const command = new CreateHsmCommand({ ClusterId: "cluster-abcdefghijk", AvailabilityZone: "eu-west-1b" });
      return await clients.cloudhsm.send(wrap ? noBlindRetry(command) : command).catch((e: unknown) => e);
    } finally {
      for (const c of Object.values(clients)) (c as { destroy(): void }).destroy();
    }
  });
}

const internal = { status: 500, body: { __type: "CloudHsmInternalFailureException", Message: "internal failure" } };

test("a CreateHsm answered 500 is sent once: the SDK does not retry it, the step gets the service's error to look first", async () => {
  answers = [internal, internal, internal];
  const err = await createHsm(true);
  expect(targets).toEqual(["BaldrApiService.CreateHsm"]);
  expect(err).toBeInstanceOf(AmbiguousCallError);
  expect((err as AmbiguousCallError).original).toMatchObject({ name: "CloudHsmInternalFailureException" });
});

test("without it the SDK sends the same CreateHsm again after a 500 (what noBlindRetry prevents)", async () => {
  answers = [internal, { status: 200, body: { Hsm: { HsmId: "hsm-abcdefghijk" } } }];
  await createHsm(false);
  expect(targets).toEqual(["BaldrApiService.CreateHsm", "BaldrApiService.CreateHsm"]);
});

test("a throttled CreateHsm is still retried by the SDK (refused, nothing created)", async () => {
  answers = [
    { status: 400, body: { __type: "ThrottlingException", message: "Rate exceeded" } },
    { status: 200, body: { Hsm: { HsmId: "hsm-abcdefghijk" } } },
  ];
  const out = await createHsm(true);
  expect(targets).toEqual(["BaldrApiService.CreateHsm", "BaldrApiService.CreateHsm"]);
  expect(out).toMatchObject({ Hsm: { HsmId: "hsm-abcdefghijk" } });
});
