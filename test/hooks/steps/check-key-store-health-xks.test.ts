/**
 * check-key-store-health on an external key store: the proxy's certificate read from a loopback TLS
 * server (certificates made here), its days to expiry published for the alarm, its findings logged;
 * KMS mocked. Nothing leaves 127.0.0.1.
 */
import { X509Certificate } from "node:crypto";
import { mockClient } from "aws-sdk-client-mock";
import { DescribeCustomKeyStoresCommand, KMSClient } from "@aws-sdk/client-kms";
import { DescribeClustersCommand } from "@aws-sdk/client-cloudhsm-v2";
import { checkKeyStoreHealth, HEALTH_NAMESPACE } from "../../../hooks/steps/check-key-store-health";
import { createHandler } from "../../../hooks/lambda";
import { VirtualClock } from "../../../hooks/lib/clock";
import { KEY_STORE_HEALTH_METRICS } from "../../../hooks/contract";
import { cloudhsmMock, IDS, runtime, thrown } from "../helpers";
import { closedPort } from "../../packages/xks-check/fake-proxy";
import {
  daysFrom,
  makeCa,
  makeLeaf,
  serveCertificate,
  type CertServer,
  type KeyPair,
} from "../../packages/xks-check/test-pki";

const HOST = "xks.prod.example.com";
const LABEL = `[check-key-store-health ${IDS.keyStoreId}]`;
const kms = mockClient(KMSClient);
const cloudhsm = cloudhsmMock();
const now = Date.now();
let root: KeyPair;
let issuing: KeyPair;
let trust: { list: { alias: string; subject: string; sha256: string }[]; roots: string[] };
const servers: CertServer[] = [];

const xksStore = (state = "CONNECTED", endpoint = `https://${HOST}`) => ({
  CustomKeyStores: [
    {
      CustomKeyStoreId: IDS.keyStoreId,
      CustomKeyStoreType: "EXTERNAL_KEY_STORE" as const,
      ConnectionState: state as "CONNECTED",
      XksProxyConfiguration: { Connectivity: "VPC_ENDPOINT_SERVICE" as const, UriEndpoint: endpoint },
    },
  ],
});

/** A runtime whose clock reads the real time (the certificates are made against it). */
const rtNow = () => ({ ...runtime(), clock: new VirtualClock(now) });

const metricsLine = (lines: string[]) =>
  JSON.parse(lines.find((l) => l.startsWith("{")) as string) as Record<string, unknown> & {
    _aws: { CloudWatchMetrics: unknown[] };
  };

async function serve(leaf: KeyPair, chain: string[] = [issuing.cert]): Promise<CertServer> {
  const s = await serveCertificate(leaf, chain);
  servers.push(s);
  return s;
}

beforeAll(async () => {
  root = await makeCa("Stand-in Trusted Root");
  issuing = await makeCa("Stand-in Issuing CA", root);
  trust = {
    list: [
      { alias: "standin", subject: "CN=Stand-in Trusted Root", sha256: new X509Certificate(root.cert).fingerprint256 },
    ],
    roots: [root.cert],
  };
});

beforeEach(() => {
  kms.reset();
  cloudhsm.reset();
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const input = (rt: ReturnType<typeof rtNow>, port: number, extra: object = {}) => ({
  ...rt,
  clients: { kms: kms as never, cloudhsm: cloudhsm as never },
  keyStoreId: IDS.keyStoreId,
  connectTo: `127.0.0.1:${port}`,
  xksTrust: trust,
  ...extra,
});

test("a good certificate: its days to expiry as the metric the alarm reads, no warning, no CloudHSM call, nothing sent to the proxy", async () => {
  kms.on(DescribeCustomKeyStoresCommand).resolves(xksStore());
  const leaf = await makeLeaf(HOST, [HOST], issuing, { notAfter: daysFrom(new Date(now), 90) });
  const server = await serve(leaf);
  const rt = rtNow();
  expect(await checkKeyStoreHealth(input(rt, server.port))).toMatchObject({
    status: "ALREADY_DONE",
    state: "CONNECTED, certificate 89 days to expiry",
  });
  const line = metricsLine(rt.lines);
  expect(line).toMatchObject({ CustomKeyStoreId: IDS.keyStoreId, XksCertificateDaysToExpire: 89 });
  expect(line._aws.CloudWatchMetrics).toEqual([
    {
      Namespace: HEALTH_NAMESPACE,
      Dimensions: [["CustomKeyStoreId"]],
      Metrics: [{ Name: KEY_STORE_HEALTH_METRICS.xksCertificateDays, Unit: "None" }],
    },
  ]);
  expect(rt.lines.filter((l) => l.startsWith("WARN"))).toEqual([]);
  expect(cloudhsm.calls()).toHaveLength(0);
  expect(server.stats).toEqual({ connections: 1, bytesReceived: 0 });
});

test("a wildcard certificate (KMS's own metric stays empty for it) is covered: days published, names pass", async () => {
  kms.on(DescribeCustomKeyStoresCommand).resolves(xksStore());
  const server = await serve(
    await makeLeaf("*.prod.example.com", ["*.prod.example.com"], issuing, { notAfter: daysFrom(new Date(now), 25) }),
  );
  const rt = rtNow();
  await checkKeyStoreHealth(input(rt, server.port));
  expect(metricsLine(rt.lines)).toMatchObject({ XksCertificateDaysToExpire: 24 });
  expect(rt.lines.filter((l) => l.startsWith("WARN"))).toEqual([
    expect.stringMatching(
      new RegExp(
        `^WARN \\${LABEL} certificate expiry WARN: the proxy certificate expires in 24 days \\(\\d{4}-\\d\\d-\\d\\d\\): renew it before then \\(KMS error XKS_PROXY_INVALID_TLS_CONFIGURATION once expired\\)$`,
      ),
    ),
  ]);
});

test("an expired certificate: a negative metric (the alarm fires) and the fix in the log", async () => {
  kms.on(DescribeCustomKeyStoresCommand).resolves(xksStore());
  const leaf = await makeLeaf(HOST, [HOST], issuing, {
    notBefore: daysFrom(new Date(now), -100),
    notAfter: daysFrom(new Date(now), -3),
  });
  const server = await serve(leaf);
  const rt = rtNow();
  expect(await checkKeyStoreHealth(input(rt, server.port))).toMatchObject({
    state: "CONNECTED, certificate -4 days to expiry",
  });
  expect(metricsLine(rt.lines)).toMatchObject({ XksCertificateDaysToExpire: -4 });
  const date = new Date(new X509Certificate(leaf.cert).validTo).toISOString().slice(0, 10);
  expect(rt.lines.filter((l) => l.startsWith("WARN"))).toEqual([
    `WARN ${LABEL} certificate expiry FAIL: the proxy certificate expired on ${date}: install a current certificate and chain on the proxy (KMS error XKS_PROXY_INVALID_TLS_CONFIGURATION)`,
  ]);
});

test("a wrong name and an unlisted root are logged with their fixes; the days are still published", async () => {
  kms.on(DescribeCustomKeyStoresCommand).resolves(xksStore());
  const other = await makeCa("Some Other Root");
  const server = await serve(await makeLeaf("proxy.internal.example.net", ["proxy.internal.example.net"], other), []);
  const rt = rtNow();
  await checkKeyStoreHealth(input(rt, server.port, { xksTrust: { list: trust.list, roots: [root.cert, other.cert] } }));
  expect(metricsLine(rt.lines)).toHaveProperty("XksCertificateDaysToExpire");
  expect(rt.lines.filter((l) => l.startsWith("WARN"))).toEqual([
    `WARN ${LABEL} certificate names FAIL: certificate names do not include ${HOST}: issue the proxy certificate for the private DNS name (KMS error XKS_PROXY_INVALID_TLS_CONFIGURATION)`,
    `WARN ${LABEL} certificate trust FAIL: the certificate chains to Some Other Root, a root this host trusts but AWS's XKS trusted list does not hold (read 2026-12-07): get the proxy certificate from a CA on the list (https://github.com/aws/aws-kms-xksproxy-api-spec/blob/main/TrustedCertificateAuthorities) (KMS error XKS_PROXY_INVALID_TLS_CONFIGURATION)`,
  ]);
});

test("fails when the proxy cannot be reached: one line with the next action, and no metric (the alarm treats missing data as breaching)", async () => {
  kms.on(DescribeCustomKeyStoresCommand).resolves(xksStore());
  const port = await closedPort();
  const rt = rtNow();
  const err = await thrown(() => checkKeyStoreHealth(input(rt, port)));
  expect(err.message).toBe(
    `${LABEL} ECONNREFUSED: cannot read the proxy's TLS certificate at 127.0.0.1:${port} for ${HOST} (refused). Next: the hook function must reach 127.0.0.1:${port} on TCP: check the load balancer, its targets and the function's security group (docs/xks.md, "Certificate expiry"); the certificate alarm reports the missing check`,
  );
  expect(rt.lines.some((l) => l.startsWith("{"))).toBe(false);
});

test("fails when a CloudHSM key store comes without a cluster id", async () => {
  kms.on(DescribeCustomKeyStoresCommand).resolves({
    CustomKeyStores: [
      { CustomKeyStoreId: IDS.keyStoreId, CustomKeyStoreType: "AWS_CLOUDHSM", ConnectionState: "CONNECTED" },
    ],
  });
  const err = await thrown(() => checkKeyStoreHealth({ ...input(rtNow(), 1), connectTo: undefined }));
  expect(err.message).toBe(
    `${LABEL} InvalidInput: ${IDS.keyStoreId} is a CloudHSM key store and no cluster id was given. Next: pass --cluster-id (the schedule's clusterId) of the store's cluster`,
  );
  expect(cloudhsm.commandCalls(DescribeClustersCommand)).toHaveLength(0);
});

test("the Lambda runner accepts the XKS schedule's event (step, store id, connectTo, budget; no cluster id)", async () => {
  kms.on(DescribeCustomKeyStoresCommand).resolves(xksStore());
  const server = await serve(await makeLeaf(HOST, [HOST], issuing, { notAfter: daysFrom(new Date(now), 60) }));
  const lines: string[] = [];
  const saved = process.env.AWS_REGION;
  process.env.AWS_REGION = IDS.region;
  const handler = createHandler({
    clients: () => ({ kms, cloudhsm, ssm: kms, secrets: kms }) as never,
    clock: new VirtualClock(now),
    sink: (l) => lines.push(l),
  });
  try {
    await expect(
      handler(
        {
          step: "check-key-store-health",
          keyStoreId: IDS.keyStoreId,
          connectTo: `127.0.0.1:${server.port}`,
          timeoutMinutes: 2,
        } as never,
        { getRemainingTimeInMillis: () => 60_000 },
      ),
    ).resolves.toMatchObject({ status: "DONE", state: "CONNECTED, certificate 59 days to expiry" });
  } finally {
    if (saved === undefined) delete process.env.AWS_REGION;
    else process.env.AWS_REGION = saved;
  }
  expect(lines.some((l) => l.includes('"XksCertificateDaysToExpire":59'))).toBe(true);
});
