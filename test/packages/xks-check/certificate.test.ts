/**
 * The certificate rows (names, AWS's trusted list, expiry) against loopback TLS servers presenting
 * certificates made here. A root made here stands in for a CA on AWS's list through the injectable
 * trust list; the handshake sends no request (the servers count the bytes).
 */
import { X509Certificate } from "node:crypto";
import {
  certificateRows,
  judgeChain,
  readProxyCertificate,
  sameName,
  type CertificateTrust,
  type ProxyCertificate,
} from "@cmk-stacks/xks-check";
import { XKS } from "@cmk-stacks/aws-limits";
import { closedPort } from "./fake-proxy";
import { daysFrom, makeCa, makeLeaf, serveCertificate, type CertServer, type KeyPair } from "./test-pki";

const HOST = "xks.example.com";
const LIST_URL = "https://github.com/aws/aws-kms-xksproxy-api-spec/blob/main/TrustedCertificateAuthorities";
const TLS = "(KMS error XKS_PROXY_INVALID_TLS_CONFIGURATION)";
const DAY = 86_400_000;
const now = new Date();

let root: KeyPair;
let issuing: KeyPair;
let unlisted: KeyPair;
let trust: CertificateTrust;
const servers: CertServer[] = [];

const fp = (pem: string) => new X509Certificate(pem).fingerprint256;
const date = (pem: string) => new Date(new X509Certificate(pem).validTo).toISOString().slice(0, 10);
const left = (pem: string) => Math.floor((new Date(new X509Certificate(pem).validTo).getTime() - now.getTime()) / DAY);

beforeAll(async () => {
  root = await makeCa("Stand-in Trusted Root");
  issuing = await makeCa("Stand-in Issuing CA", root);
  unlisted = await makeCa("Unlisted Public Root");
  trust = {
    list: [{ alias: "standintrustedroot", subject: "CN=Stand-in Trusted Root", sha256: fp(root.cert) }],
    roots: [root.cert, unlisted.cert],
  };
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** Serves `leaf` (+ chain) on 127.0.0.1 and reads it as the preflight does. */
async function read(leaf: KeyPair, chain: readonly string[] = [issuing.cert], host = HOST): Promise<ProxyCertificate> {
  const server = await serveCertificate(leaf, chain);
  servers.push(server);
  const r = await readProxyCertificate({
    host,
    connectHost: "127.0.0.1",
    connectPort: server.port,
    timeoutMs: 2000,
    roots: trust.roots,
  });
  if (!r.ok) throw new Error(`handshake failed: ${r.failure.code}`);
  return r.certificate;
}

const rows = (cert: ProxyCertificate, host = HOST, options: Parameters<typeof certificateRows>[3] = { trust }) =>
  Object.fromEntries(certificateRows(cert, host, now, options).map((r) => [r.check, r]));

describe("a certificate KMS accepts", () => {
  test("names, chain to a CA on the (stand-in) trusted list and expiry pass; the handshake sends nothing", async () => {
    const leaf = await makeLeaf(HOST, [HOST], issuing, { notAfter: daysFrom(now, 200) });
    const cert = await read(leaf);
    expect(certificateRows(cert, HOST, now, { trust })).toEqual([
      {
        check: "certificate names",
        verdict: "PASS",
        detail: "CN xks.example.com; SAN xks.example.com: xks.example.com matches xks.example.com",
      },
      {
        check: "certificate trust",
        verdict: "PASS",
        detail: "chains to Stand-in Trusted Root, on AWS's XKS trusted list (standintrustedroot, SHA-256 match)",
      },
      { check: "certificate expiry", verdict: "PASS", detail: `${date(leaf.cert)} (${left(leaf.cert)} days left)` },
    ]);
    expect(left(leaf.cert)).toBe(199);
    expect(cert.chain.map((c) => c.subject)).toEqual([
      "CN=xks.example.com",
      "CN=Stand-in Issuing CA",
      "CN=Stand-in Trusted Root",
    ]);
    expect(servers[0].stats).toEqual({ connections: 1, bytesReceived: 0 });
  });

  test("a wildcard for the parent domain matches, and the row says KMS's own metric stays empty for it", async () => {
    const cert = await read(await makeLeaf("*.example.com", ["*.example.com"], issuing));
    expect(rows(cert)["certificate names"]).toEqual({
      check: "certificate names",
      verdict: "PASS",
      detail:
        "CN *.example.com; SAN *.example.com: xks.example.com matches *.example.com (wildcard CN: KMS publishes no XksProxyCertificateDaysToExpire for it, so alarm on this check's expiry instead)",
    });
  });
});

describe("fails when", () => {
  test("the certificate has expired (the chain itself still counts as trusted)", async () => {
    const leaf = await makeLeaf(HOST, [HOST], issuing, { notBefore: daysFrom(now, -400), notAfter: daysFrom(now, -2) });
    const cert = await read(leaf);
    expect(cert.verifyError).toBe("CERT_HAS_EXPIRED");
    const r = rows(cert);
    expect(r["certificate trust"].verdict).toBe("PASS");
    expect(r["certificate expiry"]).toEqual({
      check: "certificate expiry",
      verdict: "FAIL",
      detail: `expired ${date(leaf.cert)}`,
      fix: `the proxy certificate expired on ${date(leaf.cert)}: install a current certificate and chain on the proxy ${TLS}`,
    });
  });

  test("it expires inside AWS's 10-day alarm point", async () => {
    const leaf = await makeLeaf(HOST, [HOST], issuing, { notAfter: daysFrom(now, 5) });
    expect(rows(await read(leaf))["certificate expiry"]).toEqual({
      check: "certificate expiry",
      verdict: "FAIL",
      detail: `${date(leaf.cert)} (4 days left)`,
      fix: `the proxy certificate expires in 4 days (${date(leaf.cert)}), inside AWS's 10-day alarm point: renew it and install it on every proxy now (KMS error XKS_PROXY_INVALID_TLS_CONFIGURATION once expired)`,
    });
  });

  test("the intermediate expires before the leaf: the row names it", async () => {
    const shortIssuer = await makeCa("Short-lived Issuing CA", root, { notAfter: daysFrom(now, 8) });
    const leaf = await makeLeaf(HOST, [HOST], shortIssuer, { notAfter: daysFrom(now, 200) });
    const r = rows(await read(leaf, [shortIssuer.cert]));
    expect(r["certificate expiry"]).toEqual({
      check: "certificate expiry",
      verdict: "FAIL",
      detail: `${date(shortIssuer.cert)} (7 days left, intermediate Short-lived Issuing CA)`,
      fix: `the intermediate CA certificate Short-lived Issuing CA expires in 7 days (${date(shortIssuer.cert)}), inside AWS's 10-day alarm point: renew it and install it on every proxy now (KMS error XKS_PROXY_INVALID_TLS_CONFIGURATION once expired)`,
    });
  });

  test("the root this host trusts expires first: the row names the root", async () => {
    const shortRoot = await makeCa("Short-lived Root", undefined, { notAfter: daysFrom(now, 6) });
    const leaf = await makeLeaf(HOST, [HOST], shortRoot, { notAfter: daysFrom(now, 200) });
    const server = await serveCertificate(leaf);
    servers.push(server);
    const r = await readProxyCertificate({
      host: HOST,
      connectHost: "127.0.0.1",
      connectPort: server.port,
      timeoutMs: 2000,
      roots: [shortRoot.cert],
    });
    if (!r.ok) throw new Error(r.failure.code);
    const row = certificateRows(r.certificate, HOST, now, { trust: { list: trust.list, roots: [shortRoot.cert] } })[2];
    expect(row).toEqual({
      check: "certificate expiry",
      verdict: "FAIL",
      detail: `${date(shortRoot.cert)} (5 days left, root Short-lived Root)`,
      fix: `the root CA certificate Short-lived Root expires in 5 days (${date(shortRoot.cert)}), inside AWS's 10-day alarm point: get the proxy certificate issued under a root that stays valid and install it on every proxy now (KMS error XKS_PROXY_INVALID_TLS_CONFIGURATION once expired)`,
    });
  });

  test("it is not valid yet", async () => {
    const leaf = await makeLeaf(HOST, [HOST], issuing, { notBefore: daysFrom(now, 2), notAfter: daysFrom(now, 300) });
    const from = new Date(new X509Certificate(leaf.cert).validFrom).toISOString().slice(0, 10);
    expect(rows(await read(leaf))["certificate expiry"]).toEqual({
      check: "certificate expiry",
      verdict: "FAIL",
      detail: `xks.example.com not valid before ${from}`,
      fix: `the certificate xks.example.com is not yet valid (from ${from}): install a current certificate on the proxy, and check the proxy's clock ${TLS}`,
    });
  });

  test("it is for another host", async () => {
    const cert = await read(await makeLeaf("proxy.internal.example.net", ["proxy.internal.example.net"], issuing));
    expect(rows(cert)["certificate names"]).toEqual({
      check: "certificate names",
      verdict: "FAIL",
      detail: "CN proxy.internal.example.net; SAN proxy.internal.example.net: does not match xks.example.com",
      fix: `certificate names do not include xks.example.com: issue the proxy certificate for the private DNS name ${TLS}`,
    });
  });

  test("a wildcard does not cover the host (one label only)", async () => {
    const cert = await read(
      await makeLeaf("*.example.com", ["*.example.com"], issuing),
      [issuing.cert],
      "xks.eu.example.com",
    );
    expect(rows(cert, "xks.eu.example.com")["certificate names"]).toEqual({
      check: "certificate names",
      verdict: "FAIL",
      detail: "CN *.example.com; SAN *.example.com: does not match xks.eu.example.com",
      fix: `certificate names do not include xks.eu.example.com: issue the proxy certificate for the private DNS name ${TLS}`,
    });
  });

  test("it is self-signed", async () => {
    const cert = await read(await makeLeaf(HOST, [HOST], undefined), []);
    expect(rows(cert)["certificate trust"]).toEqual({
      check: "certificate trust",
      verdict: "FAIL",
      detail: "self-signed (DEPTH_ZERO_SELF_SIGNED_CERT)",
      fix: `the certificate is self-signed: serve a certificate from a CA on AWS's XKS trusted list (${LIST_URL}) with its full chain (for a test CA, pass --ca-file) ${TLS}`,
    });
  });

  test("its root is unknown here (a private CA)", async () => {
    const privateRoot = await makeCa("Private Root");
    const privateIssuing = await makeCa("Private Issuing CA", privateRoot);
    const cert = await read(await makeLeaf(HOST, [HOST], privateIssuing), [privateIssuing.cert]);
    expect(rows(cert)["certificate trust"]).toEqual({
      check: "certificate trust",
      verdict: "FAIL",
      detail: "chain not trusted (UNABLE_TO_GET_ISSUER_CERT_LOCALLY)",
      fix: `the certificate chain does not verify (UNABLE_TO_GET_ISSUER_CERT_LOCALLY): serve a certificate from a CA on AWS's XKS trusted list (${LIST_URL}) with its full chain (for a test CA, pass --ca-file) ${TLS}`,
    });
  });

  test("the proxy leaves out the intermediate", async () => {
    const cert = await read(await makeLeaf(HOST, [HOST], issuing), []);
    expect(rows(cert)["certificate trust"]).toMatchObject({
      verdict: "FAIL",
      detail: "chain not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE)",
    });
  });

  test("it chains to a root this host trusts that is not on AWS's list", async () => {
    const cert = await read(await makeLeaf(HOST, [HOST], unlisted), []);
    expect(rows(cert)["certificate trust"]).toEqual({
      check: "certificate trust",
      verdict: "FAIL",
      detail: "chains to Unlisted Public Root, not on AWS's XKS trusted list",
      fix: `the certificate chains to Unlisted Public Root, a root this host trusts but AWS's XKS trusted list does not hold (read 2026-12-07): get the proxy certificate from a CA on the list (${LIST_URL}) ${TLS}`,
    });
  });

  test("with AWS's own list, the stand-in root is not on it", async () => {
    const cert = await read(await makeLeaf(HOST, [HOST], issuing));
    expect(rows(cert, HOST, { trust: { roots: trust.roots } })["certificate trust"]).toMatchObject({
      verdict: "FAIL",
      detail: "chains to Stand-in Trusted Root, not on AWS's XKS trusted list",
    });
  });
});

describe("warns when", () => {
  test("it expires within the project's 30 days but after AWS's 10", async () => {
    const leaf = await makeLeaf(HOST, [HOST], issuing, { notAfter: daysFrom(now, 20) });
    expect(rows(await read(leaf))["certificate expiry"]).toEqual({
      check: "certificate expiry",
      verdict: "WARN",
      detail: `${date(leaf.cert)} (19 days left)`,
      fix: `the proxy certificate expires in 19 days (${date(leaf.cert)}): renew it before then (KMS error XKS_PROXY_INVALID_TLS_CONFIGURATION once expired)`,
    });
  });

  test("thresholds are options (the rulebook's by default)", async () => {
    const leaf = await makeLeaf(HOST, [HOST], issuing, { notAfter: daysFrom(now, 20) });
    const cert = await read(leaf);
    expect(rows(cert, HOST, { trust, warnDays: 10, failDays: 5 })["certificate expiry"].verdict).toBe("PASS");
    expect(rows(cert, HOST, { trust, warnDays: 60, failDays: 30 })["certificate expiry"].verdict).toBe("FAIL");
  });

  test("the root only has the name of a listed CA (another fingerprint, e.g. a re-issued root)", async () => {
    const cert = await read(await makeLeaf(HOST, [HOST], unlisted), []);
    const renamed = {
      list: [{ alias: "unlistedpublicroot", subject: "CN=Unlisted Public Root", sha256: fp(root.cert) }],
    };
    expect(rows(cert, HOST, { trust: { ...trust, ...renamed } })["certificate trust"]).toEqual({
      check: "certificate trust",
      verdict: "WARN",
      detail:
        "chains to Unlisted Public Root: named like unlistedpublicroot on AWS's XKS trusted list, but another certificate (SHA-256 differs)",
      fix: `the chain ends at a copy of Unlisted Public Root that is not the certificate AWS lists as unlistedpublicroot (a re-issued root?): KMS matches its own copy, so confirm with the CA that the chain also builds to the listed certificate (${LIST_URL}) (else KMS error XKS_PROXY_INVALID_TLS_CONFIGURATION)`,
    });
  });

  test("it is trusted only through --ca-file", async () => {
    const testCa = await makeCa("Test CA");
    const server = await serveCertificate(await makeLeaf(HOST, [HOST], testCa));
    servers.push(server);
    const r = await readProxyCertificate({
      host: HOST,
      connectHost: "127.0.0.1",
      connectPort: server.port,
      timeoutMs: 2000,
      extraCaPem: [testCa.cert],
    });
    if (!r.ok) throw new Error(r.failure.code);
    expect(certificateRows(r.certificate, HOST, now, { extraCaPem: [testCa.cert] })[1]).toEqual({
      check: "certificate trust",
      verdict: "WARN",
      detail: "trusted only through --ca-file",
      fix: "the certificate is trusted only through --ca-file: KMS trusts public CAs only, so serve a public-CA certificate before connecting the key store (else KMS error XKS_PROXY_INVALID_TLS_CONFIGURATION)",
    });
  });
});

describe("reading and matching", () => {
  test("a closed port is a connection failure, not a certificate", async () => {
    const port = await closedPort();
    expect(
      await readProxyCertificate({ host: HOST, connectHost: "127.0.0.1", connectPort: port, timeoutMs: 2000 }),
    ).toEqual({
      ok: false,
      failure: { kind: "refused", code: "ECONNREFUSED" },
    });
  });

  test("Amazon Root CA 1 from Node's store matches AWS's list by fingerprint", () => {
    const { rootCertificates } = jest.requireActual<typeof import("node:tls")>("node:tls");
    const amazon = rootCertificates.find((p) => /CN=Amazon Root CA 1$/m.test(new X509Certificate(p).subject)) as string;
    const v = judgeChain({ chain: [new X509Certificate(amazon)], names: { commonNames: [], dnsSans: [] } });
    expect(v.listed).toEqual({ ca: XKS.TRUSTED_CAS.find((c) => c.alias === "amazonrootca1"), by: "fingerprint" });
    expect(v.viaExtraCa).toBe(false);
  });

  test.each([
    ["C=US\nO=Amazon\nCN=Amazon Root CA 1", "CN=Amazon Root CA 1, O=Amazon, C=US", true],
    ["C=US\nO=Amazon\nCN=Amazon Root CA 2", "CN=Amazon Root CA 1, O=Amazon, C=US", false],
    [
      "C=IT\nL=Milan\nO=Actalis S.p.A./03358520967\nCN=Actalis Authentication Root CA",
      "CN=Actalis Authentication Root CA, O=Actalis S.p.A./03358520967, L=Milan, C=IT",
      true,
    ],
  ])("sameName(%j, %j) is %s", (node, keytool, same) => {
    expect(sameName(node, keytool)).toBe(same);
  });
});
