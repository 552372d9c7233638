import { X509Certificate } from "node:crypto";
import { rootCertificates } from "node:tls";
import { NAMES, XKS, inRange } from "@cmk-stacks/aws-limits";
import { describeShapes } from "../../helpers/rulebook";

describe("shapes", () => describeShapes(XKS as unknown as Record<string, unknown>));

// Read by the validation table (xks.uriPath), XksKeyStore and xks-check's --uri-path.
describe("proxy URI path (CreateCustomKeyStore XksProxyUriPath): XKS.isUriPath", () => {
  test.each([
    ["/kms/xks/v1", true],
    ["/northwind/kms/xks/v1", true],
    ["/a/b_c-d/kms/xks/v12", true],
    [`/${"p".repeat(116)}/kms/xks/v1`, true],
    [`/${"p".repeat(117)}/kms/xks/v1`, false],
    ["/t/xks/v1", false],
    ["/northwind/kms/v1", false],
    ["/p/kms/xks/v1/", false],
    ["/p/kms/xks/v1?x=1", false],
    ["/p/kms/xks/v123", false],
    ["p/kms/xks/v1", false],
    [undefined, false],
  ])("%s -> %s", (path, ok) => {
    expect(XKS.isUriPath(path)).toBe(ok);
  });
});

describe("proxy URI endpoint (CreateCustomKeyStore XksProxyUriEndpoint): XKS.isUriEndpoint", () => {
  test.each([
    ["https://xks.example.com", true],
    ["https://a.b", true],
    [`https://${"a".repeat(116)}.com`, true],
    [`https://${"a".repeat(117)}.com`, false],
    ["https://ab", true],
    ["https://a", false],
    ["https://xks.example.com:443", false],
    ["https://xks.example.com/path", false],
    ["http://xks.example.com", false],
  ])("%s -> %s", (endpoint, ok) => {
    expect(XKS.isUriEndpoint(endpoint)).toBe(ok);
  });
});

test.each([
  ["records-01", true],
  ["a.b_c-d", true],
  ["k".repeat(128), true],
  ["k".repeat(129), false],
  ["", false],
  ["key 1", false],
  ["bad/id", false],
])("external key id %s -> %s", (id, ok) => {
  expect(XKS.KEY_ID.regex.test(id)).toBe(ok);
});

describe("proxy authentication credential", () => {
  test.each([
    ["ABCDEFGHIJKLMNOPQRST", true],
    ["A".repeat(30), true],
    ["ABCDEFGHIJKLMNOPQRS", false],
    ["A".repeat(31), false],
    ["ABCDEFGHIJKLMNOPQRS0", false],
    ["abcdefghijklmnopqrst", false],
  ])("access key id %s -> %s", (id, ok) => {
    expect(XKS.ACCESS_KEY_ID.regex.test(id)).toBe(ok);
  });
  test.each([
    ["a".repeat(43), true],
    ["aZ09/+=".repeat(9).slice(0, 64), true],
    ["a".repeat(42), false],
    ["a".repeat(65), false],
    [`${"a".repeat(42)}-`, false],
  ])("secret access key %s -> %s", (secret, ok) => {
    expect(XKS.SECRET_ACCESS_KEY.regex.test(secret)).toBe(ok);
  });
});

test("the KMS principal the endpoint service allows is the Region's custom key store principal", () => {
  expect(XKS.kmsServicePrincipal("eu-west-1")).toBe("cks.kms.eu-west-1.amazonaws.com");
});

test("the default health check is within the ranges the validation table and the construct enforce", () => {
  const d = XKS.DEFAULT_HEALTH_CHECK.value;
  expect(inRange(XKS.HEALTH_CHECK_INTERVAL_SECONDS, d.intervalSeconds)).toBe(true);
  expect(inRange(XKS.HEALTH_CHECK_THRESHOLD, d.healthyThreshold)).toBe(true);
  expect(inRange(XKS.HEALTH_CHECK_THRESHOLD, d.unhealthyThreshold)).toBe(true);
  expect(XKS.HEALTH_CHECK_PATH.regex.test(d.httpsPath)).toBe(true);
  // TCP: the XKS health API is a SigV4-signed POST no load balancer health check can send.
  expect(d.protocol).toBe("TCP");
});

test.each([
  ["/kms/xks/v1/health", true],
  ["/p/kms/xks/v1", true],
  ["/p/kms/xk", false],
  ["/healthz", false],
  ["/", false],
])("health check path %s lies in the XKS proxy API -> %s", (path, inApi) => {
  expect(XKS.isProxyApiPath(path)).toBe(inApi);
});

// Read by the validation table (xks.privateDnsName, xks.publicZone.domain) and XksProxyEndpoint.
test.each([
  ["xks.example.com", true],
  ["a.b", true],
  [`${"a".repeat(63)}.com`, true],
  [`${"a".repeat(64)}.com`, false],
  [`${"a.".repeat(125)}com`, true],
  [`${"a.".repeat(125)}comx`, false],
  ["example", false],
  ["Xks.example.com", false],
  ["-xks.example.com", false],
  ["xks-.example.com", false],
  ["xks..example.com", false],
  [undefined, false],
])("DNS name %s -> %s", (name, ok) => {
  expect(NAMES.isDnsName(name)).toBe(ok);
});

test.each([
  ["Z0123456789ABCDEFGHIJ", true],
  ["Z1", true],
  ["z123", false],
  ["Z", false],
  [`Z${"A".repeat(32)}`, false],
])("hosted zone id %s -> %s", (id, ok) => {
  expect(XKS.HOSTED_ZONE_ID.regex.test(id)).toBe(ok);
});

// Read by xks-check's certificate trust row (packages/xks-check/certificate.ts) and the health step's XKS check.
describe("trusted CAs (the XKS proxy API spec's TrustedCertificateAuthorities): XKS.TRUSTED_CAS", () => {
  test("AWS's 130 roots as read on 2026-12-07, each with a unique alias and SHA-256 fingerprint in X509Certificate's form", () => {
    expect(XKS.TRUSTED_CAS).toHaveLength(130);
    expect(new Set(XKS.TRUSTED_CAS.map((c) => c.alias)).size).toBe(130);
    expect(new Set(XKS.TRUSTED_CAS.map((c) => c.sha256)).size).toBe(130);
    for (const c of XKS.TRUSTED_CAS) {
      expect([c.alias, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/.test(c.sha256)]).toEqual([c.alias, true]);
      expect([c.alias, /(^|, )(CN|OU)=/.test(c.subject)]).toEqual([c.alias, true]);
    }
    expect(XKS.TRUSTED_CAS.find((c) => c.alias === "amazonrootca1")).toEqual({
      alias: "amazonrootca1",
      subject: "CN=Amazon Root CA 1, O=Amazon, C=US",
      sha256: "8E:CD:E6:88:4F:3D:87:B1:12:5B:A3:1A:C3:FC:B1:3D:70:16:DE:7F:57:CC:90:4F:E1:CB:97:C6:AE:98:19:6E",
    });
  });

  test("the source names AWS's file, the commit and the date read, and how the list is matched", () => {
    expect(XKS.TRUSTED_CA_SOURCE).toMatchObject({
      url: "https://github.com/aws/aws-kms-xksproxy-api-spec/blob/main/TrustedCertificateAuthorities",
      commit: expect.stringMatching(/^[0-9a-f]{40}$/),
      readOn: "2026-12-07",
      matchedBy: expect.stringContaining("SHA-256 fingerprint"),
    });
  });

  test("Amazon Root CA 1 in Node's own store has the listed fingerprint (same form, same bytes)", () => {
    const amazon = rootCertificates
      .map((p) => new X509Certificate(p))
      .find((c) => /CN=Amazon Root CA 1$/m.test(c.subject));
    expect(amazon?.fingerprint256).toBe(XKS.TRUSTED_CAS.find((c) => c.alias === "amazonrootca1")?.sha256);
  });

  test("AWS's certificate alarm point is 10 days, below the project's earlier warning", () => {
    expect(XKS.CERTIFICATE_EXPIRY_AWS_ALARM_DAYS).toMatchObject({ value: 10, unit: "days" });
  });
});
