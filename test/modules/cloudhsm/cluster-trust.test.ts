/** ClusterTrust built alone: the two trust modes, the parameters named from the stack, and the certificate checks. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ClusterTrust, type ClusterTrustProps } from "../../../modules/cloudhsm/cluster-trust";
import { all, errorLines, one, synth, testStack } from "./stack";

const pem = (f: string) => readFileSync(join(__dirname, "../../hooks/fixtures", f), "utf8");
const CERT = pem("cluster-cert.pem");
const ANCHOR = pem("trust-anchor.pem");
const OTHER_CA = pem("other-ca.pem");
const CSR = pem("cluster.csr");
const build = (props: ClusterTrustProps) => {
  const stack = testStack();
  return { stack, trust: new ClusterTrust(stack, "trust", props) };
};

test("provided: the two certificates as public String parameters under the stack's name; the anchor for the key store", () => {
  const { stack, trust } = build({ trust: { mode: "provided", certificatePem: CERT, trustAnchorPem: ANCHOR } });
  const params = Object.values(all(synth(stack), "aws_ssm_parameter")).map((p) => [p.name, p.type, p.tier, p.value]);
  expect(params).toEqual([
    ["/t/cloudhsm/cluster-certificate", "String", "Standard", CERT],
    ["/t/cloudhsm/trust-anchor", "String", "Standard", ANCHOR],
  ]);
  expect(trust.trustAnchorPem).toBe(ANCHOR);
  expect(synth(stack).resource.tls_private_key).toBeUndefined();
});

test("generated: a tls CA signs the CSR it is given; the parameters hold references, the anchor is the CA certificate", () => {
  const { stack } = build({ trust: { mode: "generated" }, csr: () => "${data.example.csr}" });
  const json = synth(stack);
  expect(one(json, "tls_private_key")).toMatchObject({ algorithm: "RSA", rsa_bits: 4096 });
  expect(one(json, "tls_locally_signed_cert")).toMatchObject({
    cert_request_pem: "${data.example.csr}",
    lifecycle: { ignore_changes: ["cert_request_pem"] },
  });
  const [caName] = Object.keys(all(json, "tls_self_signed_cert"));
  const [signedName] = Object.keys(all(json, "tls_locally_signed_cert"));
  expect(Object.values(all(json, "aws_ssm_parameter")).map((p) => [p.name, p.tier, p.value])).toEqual([
    ["/t/cloudhsm/cluster-certificate", "Standard", `\${tls_locally_signed_cert.${signedName}.cert_pem}`],
    ["/t/cloudhsm/trust-anchor", "Standard", `\${tls_self_signed_cert.${caName}.cert_pem}`],
  ]);
  expect(Object.keys(json.provider ?? {})).toEqual(expect.arrayContaining(["aws", "tls"]));
  // Both providers allow later releases of the binding's major version (modules/core/provider-requirement.ts).
  expect((json as unknown as { terraform: { required_providers: unknown } }).terraform.required_providers).toEqual({
    aws: { source: "aws", version: ">= 6.25.0, < 7.0.0" },
    tls: { source: "hashicorp/tls", version: ">= 4.1.0, < 5.0.0" },
  });
});

const start = (text: string) => JSON.stringify(`${text.slice(0, 37)}...`);
test.each([
  [
    "fails when the certificate is a CSR, not a certificate",
    { mode: "provided", certificatePem: CSR, trustAnchorPem: ANCHOR },
    [
      `test/trust.trust.certificatePem: ${start(CSR)} is not allowed (one PEM -----BEGIN CERTIFICATE----- block, CloudHSM InitializeCluster SignedCert)`,
    ],
  ],
  [
    "fails when the certificate was not signed by the trust anchor",
    { mode: "provided", certificatePem: CERT, trustAnchorPem: OTHER_CA },
    [
      `test/trust.trust.certificatePem: ${start(CERT)} is not allowed (a certificate signed by trustAnchorPem, CloudHSM InitializeCluster SignedCert)`,
    ],
  ],
  [
    "fails when the trust anchor is not self-signed",
    { mode: "provided", certificatePem: ANCHOR, trustAnchorPem: CERT },
    [
      `test/trust.trust.trustAnchorPem: ${start(CERT)} is not allowed (a self-signed root CA certificate, CloudHSM InitializeCluster TrustAnchor)`,
    ],
  ],
  [
    "fails when the trust anchor is the cluster certificate itself",
    { mode: "provided", certificatePem: CERT, trustAnchorPem: CERT },
    [
      `test/trust.trust.trustAnchorPem: ${start(CERT)} is not allowed (the issuing CA's certificate, not the cluster certificate itself, CloudHSM InitializeCluster TrustAnchor)`,
    ],
  ],
  [
    "fails with both problems when the certificate is not PEM and the anchor is not self-signed",
    { mode: "provided", certificatePem: "not a certificate", trustAnchorPem: CERT },
    [
      'test/trust.trust.certificatePem: "not a certificate" is not allowed (one PEM -----BEGIN CERTIFICATE----- block, CloudHSM InitializeCluster SignedCert)',
      `test/trust.trust.trustAnchorPem: ${start(CERT)} is not allowed (a self-signed root CA certificate, CloudHSM InitializeCluster TrustAnchor)`,
    ],
  ],
])("%s", (_name, trust, expected) => {
  expect(errorLines(() => build({ trust: trust as ClusterTrustProps["trust"] }))).toEqual(expected);
});

test("fails when generated has no CSR to sign", () => {
  expect(errorLines(() => build({ trust: { mode: "generated" } }))).toEqual([
    "test/trust.csr: (missing) is not allowed (the generated CA signs the cluster CSR: pass csr, CloudHSM InitializeCluster SignedCert)",
  ]);
});
