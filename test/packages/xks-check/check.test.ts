/** The preflight's core against a local fake XKS proxy: each failure KMS would hit, with its exact fix line. */
import { X509Certificate } from "node:crypto";
import { runXksCheck, type XksCheckDeps, type XksCheckOptions, type XksCheckReport } from "@cmk-stacks/xks-check";
import {
  AES_KEY,
  closedPort,
  CREDENTIAL,
  HOST,
  makeCerts,
  REGION,
  startFakeProxy,
  URI_PATH,
  type FakeProxy,
  type TestCerts,
} from "./fake-proxy";

let certs: TestCerts;
const proxies: FakeProxy[] = [];
beforeAll(async () => {
  certs = await makeCerts();
});
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

async function proxy(...args: Parameters<typeof startFakeProxy>): Promise<FakeProxy> {
  const p = await startFakeProxy(...args);
  proxies.push(p);
  return p;
}

const opts = (port: number, extra: Partial<XksCheckOptions> = {}): XksCheckOptions => ({
  privateDnsName: HOST,
  uriPath: URI_PATH,
  region: REGION,
  keys: [{ xksKeyId: "records-01", name: "records" }],
  credential: CREDENTIAL,
  connectTo: { host: "127.0.0.1", port },
  extraCaPem: [certs.caPem],
  samples: 3,
  ...extra,
});

/**
 * runXksCheck with a clock that advances 10 ms each time a call reads it (a call takes ~30 ms), so no
 * verdict but the latency tests' depends on how loaded the machine is; those two use the real clock.
 */
const run = (o: XksCheckOptions, deps: XksCheckDeps = {}) => {
  let t = 0;
  return runXksCheck(o, { elapsed: () => (t += 10), ...deps });
};

const verdicts = (r: XksCheckReport): Record<string, string> =>
  Object.fromEntries(r.rows.map((x) => [x.check, x.verdict]));
const fixes = (r: XksCheckReport): string[] => r.rows.filter((x) => x.verdict === "FAIL").map((x) => x.fix ?? "");

describe("a healthy proxy", () => {
  test("passes every check (the test CA is a warning: KMS trusts public CAs only) and exits 0", async () => {
    const p = await proxy(certs.good, { keys: { "records-01": AES_KEY } });
    const r = await run(opts(p.port));
    expect(r.exitCode).toBe(0);
    expect(verdicts(r)).toEqual({
      connection: "PASS",
      "tls version": "PASS",
      "certificate names": "PASS",
      "certificate trust": "WARN",
      "certificate expiry": "PASS",
      health: "PASS",
      "key records (records-01)": "PASS",
      latency: "PASS",
    });
    const row = (name: string): string => r.rows.find((x) => x.check === name)?.detail ?? "";
    expect(row("tls version")).toMatch(/^TLSv1\.3, TLS_AES_256_GCM_SHA384$/);
    expect(row("certificate names")).toBe(
      "CN xks.example.com; SAN xks.example.com: xks.example.com matches xks.example.com",
    );
    expect(row("health")).toBe(
      "ACTIVE; proxy Test XKS Proxy 1.0 (Test Vendor) x2; key manager Test HSM Vendor: hsm-1 ACTIVE, hsm-2 ACTIVE",
    );
    expect(row("key records (records-01)")).toMatch(/^AES_256, ENCRYPT DECRYPT, ENABLED \(\d+(\.\d)? ms\)$/);
    expect(r.latency?.count).toBe(4);
    expect(r.via).toBe(`127.0.0.1:${p.port}`);
    expect(r.target).toBe(`https://${HOST}${URI_PATH}`);
  });

  test("calls the proxy as KMS does: sequential signed POSTs with the spec's requestMetadata", async () => {
    const p = await proxy(certs.good, { keys: { "records-01": AES_KEY } });
    let n = 0;
    await run(opts(p.port, { samples: 2 }), { requestId: () => `req-${++n}` });
    // One untimed first call (certificate, warm-up), then the 2 timed samples, then each key.
    expect(p.requests.map((q) => `${q.method} ${q.path}`)).toEqual([
      `POST ${URI_PATH}/health`,
      `POST ${URI_PATH}/health`,
      `POST ${URI_PATH}/health`,
      `POST ${URI_PATH}/keys/records-01/metadata`,
    ]);
    expect(JSON.parse(p.requests[0].body)).toEqual({
      requestMetadata: { kmsOperation: "KmsHealthCheck", kmsRequestId: "req-1" },
    });
    expect(JSON.parse(p.requests[3].body)).toEqual({
      requestMetadata: { awsPrincipalArn: "AWS Internal", kmsOperation: "CreateKey", kmsRequestId: "req-4" },
    });
    const h = p.requests[0].headers;
    expect(h.host).toBe(HOST);
    expect(h["content-type"]).toBe("application/json");
    expect(h.authorization).toMatch(
      new RegExp(
        `^AWS4-HMAC-SHA256 Credential=${CREDENTIAL.accessKeyId}/\\d{8}/${REGION}/kms-xks-proxy/aws4_request, SignedHeaders=host;x-amz-date, Signature=[0-9a-f]{64}$`,
      ),
    );
  });

  test("DescribeKey and the principal are sent when asked for", async () => {
    const p = await proxy(certs.good, { keys: { "records-01": AES_KEY } });
    await run(
      opts(p.port, {
        samples: 1,
        metadataOperation: "DescribeKey",
        principalArn: "arn:aws:iam::222222222222:role/Ops",
      }),
    );
    expect(JSON.parse(p.requests[2].body).requestMetadata).toMatchObject({
      awsPrincipalArn: "arn:aws:iam::222222222222:role/Ops",
      kmsOperation: "DescribeKey",
    });
  });

  test("a CA standing in for one on AWS's trusted list (injected trust) makes the trust row pass, in the table order", async () => {
    const p = await proxy(certs.good, { keys: { "records-01": AES_KEY } });
    const fingerprint = new X509Certificate(certs.caPem).fingerprint256;
    const trust = {
      list: [{ alias: "testca", subject: "CN=xks-check test CA", sha256: fingerprint }],
      roots: [certs.caPem],
    };
    const r = await run(opts(p.port, { extraCaPem: [], trust, samples: 1 }));
    expect(r.exitCode).toBe(0);
    expect(r.rows.slice(0, 5).map((x) => [x.check, x.verdict])).toEqual([
      ["connection", "PASS"],
      ["tls version", "PASS"],
      ["certificate names", "PASS"],
      ["certificate trust", "PASS"],
      ["certificate expiry", "PASS"],
    ]);
    expect(r.rows[3].detail).toBe("chains to xks-check test CA, on AWS's XKS trusted list (testca, SHA-256 match)");
  });

  test("a wildcard certificate for the parent domain matches; its CN matching too keeps it a pass", async () => {
    const p = await proxy(certs.wildcard, { keys: { "records-01": AES_KEY } });
    const r = await run(opts(p.port, { samples: 1 }));
    expect(r.rows.find((x) => x.check === "certificate names")).toEqual({
      check: "certificate names",
      verdict: "PASS",
      detail:
        "CN *.example.com; SAN *.example.com: xks.example.com matches *.example.com (wildcard CN: KMS publishes no XksProxyCertificateDaysToExpire for it, so alarm on this check's expiry instead)",
    });
    expect(r.exitCode).toBe(0);
  });
});

describe("fails when", () => {
  test("the signature is rejected (wrong secret)", async () => {
    const p = await proxy(certs.good, { keys: { "records-01": AES_KEY } });
    const wrong = { ...CREDENTIAL, secretAccessKey: "WrongSecretValueForXksProxy/0123456789+abcdefgh=" };
    const r = await run(opts(p.port, { credential: wrong }));
    expect(r.exitCode).toBe(1);
    expect(verdicts(r)).toMatchObject({ health: "FAIL", "key records (records-01)": "SKIP", latency: "SKIP" });
    expect(fixes(r)).toEqual([
      "the proxy rejected the request signature (AuthenticationFailedException): check the access key id and secret configured in the proxy and in the key store (KMS error INVALID_CREDENTIALS)",
    ]);
    expect(p.requests).toHaveLength(1);
  });

  test("the certificate is for another name", async () => {
    const p = await proxy(certs.wrongName);
    const r = await run(opts(p.port));
    expect(r.exitCode).toBe(1);
    expect(r.rows.find((x) => x.check === "certificate names")?.detail).toBe(
      "CN proxy.internal.example.net; SAN proxy.internal.example.net: does not match xks.example.com",
    );
    expect(fixes(r)).toEqual([
      "certificate names do not include xks.example.com: issue the proxy certificate for the private DNS name (KMS error XKS_PROXY_INVALID_TLS_CONFIGURATION)",
    ]);
    expect(verdicts(r)).toMatchObject({ connection: "PASS", health: "SKIP" });
    expect(p.requests).toHaveLength(0);
  });

  test("the certificate chain is not trusted (no --ca-file for a private CA)", async () => {
    const p = await proxy(certs.good);
    const r = await run(opts(p.port, { extraCaPem: [] }));
    expect(fixes(r)).toEqual([
      "the certificate chain does not verify (UNABLE_TO_VERIFY_LEAF_SIGNATURE): serve a certificate from a CA on AWS's XKS trusted list (https://github.com/aws/aws-kms-xksproxy-api-spec/blob/main/TrustedCertificateAuthorities) with its full chain (for a test CA, pass --ca-file) (KMS error XKS_PROXY_INVALID_TLS_CONFIGURATION)",
    ]);
  });

  test("the proxy offers nothing newer than TLS 1.1", async () => {
    const p = await proxy(certs.good, {}, { maxVersion: "TLSv1.1" });
    const r = await run(opts(p.port));
    expect(r.exitCode).toBe(1);
    expect(fixes(r)).toEqual([
      "the proxy does not offer TLS 1.2 or later: enable TLS 1.2 or 1.3 on the proxy (KMS error XKS_PROXY_INVALID_TLS_CONFIGURATION)",
    ]);
  });

  test("the proxy is slower than KMS's 250 ms budget", async () => {
    const p = await proxy(certs.good, { delayMs: 300, keys: { "records-01": AES_KEY } });
    const r = await runXksCheck(opts(p.port, { samples: 2 }));
    expect(r.exitCode).toBe(1);
    expect(verdicts(r)).toMatchObject({ health: "PASS", "key records (records-01)": "PASS", latency: "FAIL" });
    const [fix] = fixes(r);
    expect(fix).toMatch(
      /^3 of 3 calls took over KMS's 250 ms budget \(p95 \d{3,} ms, max \d{3,} ms\): speed up the proxy and its key manager and keep the round trip under 35 ms \(KMS error XKS_PROXY_TIMED_OUT\)$/,
    );
    expect(r.latency?.p50).toBeGreaterThan(250);
  });

  test("the proxy does not answer within the call timeout", async () => {
    const p = await proxy(certs.good, { delayMs: 5000 });
    const started = Date.now();
    const r = await runXksCheck(opts(p.port, { timeoutMs: 400 }));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(fixes(r)).toEqual([
      "the proxy did not answer within 400 ms (KMS allows 250 ms): check the proxy and its key manager respond, and their logs (KMS error XKS_PROXY_TIMED_OUT)",
    ]);
  });

  test("a key is unknown to the key manager", async () => {
    const p = await proxy(certs.good, { keys: { "records-01": AES_KEY } });
    const r = await run(opts(p.port, { samples: 1, keys: [{ xksKeyId: "records-01" }, { xksKeyId: "missing-key" }] }));
    expect(r.exitCode).toBe(1);
    expect(verdicts(r)).toMatchObject({ "key records-01": "PASS", "key missing-key": "FAIL" });
    expect(fixes(r)).toEqual([
      "key missing-key is not in the key manager (KeyNotFoundException): create the key in the key manager first, or correct its xksKeyId (KMS error XksKeyNotFoundException on CreateKey)",
    ]);
  });

  test("the proxy is down (closed port)", async () => {
    const port = await closedPort();
    const r = await run(opts(port));
    expect(r.exitCode).toBe(1);
    expect(fixes(r)).toEqual([
      `nothing listens at 127.0.0.1:${port} (ECONNREFUSED): start the proxy and check it listens on TCP 443 (KMS error XKS_PROXY_NOT_REACHABLE)`,
    ]);
    expect(verdicts(r)).toEqual({
      connection: "FAIL",
      health: "SKIP",
      "key records (records-01)": "SKIP",
      latency: "SKIP",
    });
  });

  test("a key is not what CreateKey accepts (spec, usage, status)", async () => {
    const p = await proxy(certs.good, {
      keys: {
        bad: { status: 200, body: { keySpec: "RSA_2048", keyUsage: ["ENCRYPT", "SIGN"], keyStatus: "DISABLED" } },
      },
    });
    const r = await run(opts(p.port, { samples: 1, keys: [{ xksKeyId: "bad" }] }));
    expect(fixes(r)).toEqual([
      "key bad is RSA_2048, not AES_256, does not allow DECRYPT, is DISABLED: use a 256-bit AES key and allow ENCRYPT and DECRYPT on it and enable it in the key manager (KMS error XksKeyInvalidConfigurationException on CreateKey)",
    ]);
  });

  test("the URI path is not the proxy's", async () => {
    const p = await proxy(certs.good);
    const r = await run(opts(p.port, { uriPath: "/other/kms/xks/v1" }));
    expect(fixes(r)).toEqual([
      "the proxy does not serve /other/kms/xks/v1 (InvalidUriPathException): set xks.uriPath (--uri-path) to the path configured in the proxy (KMS error XKS_PROXY_INVALID_CONFIGURATION)",
    ]);
  });

  test("the proxy's authorization denies the principal", async () => {
    const p = await proxy(certs.good, {
      keys: { "records-01": { status: 403, body: { errorName: "AccessDeniedException" } } },
    });
    const r = await run(opts(p.port, { samples: 1 }));
    expect(fixes(r)).toEqual([
      "the proxy denied CreateKey on key records (records-01) for AWS Internal (AccessDeniedException): allow it in the proxy's authorization rules (KMS error XKS_PROXY_ACCESS_DENIED)",
    ]);
  });

  test.each([
    [
      "a malformed health answer",
      { status: 200, body: { xksProxyFleetSize: 0, ekmFleetDetails: [] } },
      "the proxy's health answer is not valid (missing or invalid: xksProxyFleetSize (integer > 0), xksProxyVendor, xksProxyModel, ekmVendor, ekmFleetDetails (1-10 entries)): make the proxy answer GetHealthStatus as XKS proxy API v1 specifies (KMS error XKS_PROXY_INVALID_RESPONSE)",
    ],
    [
      "every key manager UNAVAILABLE",
      {
        status: 200,
        body: {
          xksProxyFleetSize: 2,
          xksProxyVendor: "V",
          xksProxyModel: "M",
          ekmVendor: "E",
          ekmFleetDetails: [{ id: "hsm-1", model: "m", healthStatus: "UNAVAILABLE" }],
        },
      },
      "every external key manager is UNAVAILABLE (hsm-1): bring the key manager back and check the proxy reaches it (KMS error XKS_PROXY_NOT_REACHABLE)",
    ],
    [
      "a non-JSON 500",
      { status: 500, body: "<html>oops</html>" },
      "unexpected HTTP 500 for the health check: check the proxy implements XKS proxy API v1 at /test/kms/xks/v1 and read its logs (KMS error XKS_PROXY_INVALID_RESPONSE)",
    ],
  ])("the health check gets %s", async (_what, health, fix) => {
    const p = await proxy(certs.good, { health });
    const r = await run(opts(p.port));
    expect(fixes(r)).toEqual([fix]);
  });
});

describe("warnings keep exit 0", () => {
  test("one DEGRADED key manager", async () => {
    const body = {
      xksProxyFleetSize: 2,
      xksProxyVendor: "V",
      xksProxyModel: "M",
      ekmVendor: "E",
      ekmFleetDetails: [
        { id: "hsm-1", model: "m", healthStatus: "ACTIVE" },
        { id: "hsm-2", model: "m", healthStatus: "DEGRADED" },
      ],
    };
    const p = await proxy(certs.good, { health: { status: 200, body }, keys: { "records-01": AES_KEY } });
    const r = await run(opts(p.port, { samples: 1 }));
    expect(r.exitCode).toBe(0);
    expect(r.rows.find((x) => x.check === "health")?.fix).toBe(
      "external key manager hsm-2 is DEGRADED: restore it while the others still serve (availability risk)",
    );
  });

  test("a certificate expiring within 30 days", async () => {
    const p = await proxy(certs.good, { keys: { "records-01": AES_KEY } });
    // The test certificate is valid for a year: look at it from 350 days ahead.
    const later = new Date(Date.now() + 350 * 86_400_000);
    const r = await run(opts(p.port, { samples: 1 }), { now: () => later });
    const row = r.rows.find((x) => x.check === "certificate expiry");
    expect(row?.verdict).toBe("WARN");
    expect(row?.fix).toMatch(
      /^the proxy certificate expires in 1[45] days \(\d{4}-\d\d-\d\d\): renew it before then \(KMS error XKS_PROXY_INVALID_TLS_CONFIGURATION once expired\)$/,
    );
  });
});

test("rejects a timeout that would cut calls before KMS's budget", async () => {
  await expect(runXksCheck(opts(1, { timeoutMs: 200 }))).rejects.toThrow(
    "timeoutMs must be an integer over 250 (KMS's budget). Received: 200",
  );
});
