import { Construct } from "constructs";
import { cloudHsmNames } from "./names";
import { TerraformStack, Token } from "cdktf";
import { X509Certificate } from "node:crypto";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { TlsProvider } from "@cdktf/provider-tls/lib/provider";
import { PrivateKey } from "@cdktf/provider-tls/lib/private-key";
import { SelfSignedCert } from "@cdktf/provider-tls/lib/self-signed-cert";
import { LocallySignedCert } from "@cdktf/provider-tls/lib/locally-signed-cert";
import { EnvironmentStack } from "../core/environment-stack";
import { allowProviderUpdates } from "../core/provider-requirement";
import { PropsError, shown, throwIfProblems } from "../core/errors";

const PEM_CERTIFICATE = /^-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\s*$/;
/** SSM Standard parameters hold 4 KB; longer values need the Advanced tier. */
const STANDARD_TIER_MAX = 4096;

/**
 * Where the cluster certificate and its trust anchor come from
 * (https://docs.aws.amazon.com/cloudhsm/latest/userguide/initialize-cluster.html).
 * - `generated`: a CA made by the tls provider (RSA 4096) signs the CSR in the same apply. The CA
 *   private key is then in Terraform state: fine for dev/test; use `provided` for production.
 * - `provided`: the operator signed the CSR offline; the signed certificate and the issuing CA's
 *   self-signed certificate (the trust anchor), as PEM text.
 */
export type ClusterTrustSource =
  | { readonly mode: "generated" }
  | { readonly mode: "provided"; readonly certificatePem: string; readonly trustAnchorPem: string };

export interface ClusterTrustProps {
  readonly trust: ClusterTrustSource;
  /**
   * The cluster CSR (read after the first HSM exists); `generated` signs it.
   * @default - none: required by `generated`, not read by `provided`
   */
  readonly csr?: () => string;
}

/** Why a PEM text is not one certificate: not PEM at all, or PEM that does not parse. */
export type PemProblem = "not-pem" | "not-x509";

/** The certificate in `text` (exactly one PEM CERTIFICATE block), or why there is none. */
export function parsePemCertificate(text: string): X509Certificate | PemProblem {
  if (!PEM_CERTIFICATE.test(text)) return "not-pem";
  try {
    return new X509Certificate(text);
  } catch {
    return "not-x509";
  }
}

/** Why a certificate and a trust anchor do not fit InitializeCluster (the first that applies), or undefined. */
export type TrustPairProblem = "same-certificate" | "anchor-not-self-signed" | "not-signed-by-anchor";

/** Checks what can be checked: with no (parseable) certificate, only that the anchor is self-signed. */
export function trustPairProblem(
  certificate: X509Certificate | undefined,
  anchor: X509Certificate | undefined,
): TrustPairProblem | undefined {
  if (!anchor) return undefined;
  if (certificate?.raw.equals(anchor.raw)) return "same-certificate";
  if (!anchor.verify(anchor.publicKey)) return "anchor-not-self-signed";
  if (certificate && !certificate.verify(anchor.publicKey)) return "not-signed-by-anchor";
  return undefined;
}

/**
 * What the `initialize-cluster` hook needs: the signed cluster certificate and the trust anchor,
 * as SSM parameters (String: certificates are public) named `/<stack name>/cloudhsm/...`, whose
 * NAMES go to the hooks. `provided` certificates are checked here: one PEM certificate each,
 * the anchor self-signed, the cluster certificate signed by it.
 */
export class ClusterTrust extends Construct {
  readonly certificateParameter: SsmParameter;
  readonly trustAnchorParameter: SsmParameter;
  /** The trust anchor PEM (for the key store). */
  readonly trustAnchorPem: string;

  constructor(scope: Construct, id: string, props: ClusterTrustProps) {
    super(scope, id);
    const at = (prop: string) => `${this.node.path}.${prop}`;
    let certificate: string;
    let anchor: string;
    if (props.trust.mode === "provided") {
      ({ certificatePem: certificate, trustAnchorPem: anchor } = props.trust);
      throwIfProblems(this.providedProblems(certificate, anchor));
    } else if (props.trust.mode === "generated") {
      if (!props.csr)
        throwIfProblems([
          `${at("csr")}: ${shown(undefined)} is not allowed (the generated CA signs the cluster CSR: pass csr, CloudHSM InitializeCluster SignedCert)`,
        ]);
      ({ certificate, anchor } = this.generate((props.csr as () => string)()));
    } else {
      throw new PropsError([
        `${at("trust.mode")}: ${shown((props.trust as { mode?: unknown }).mode)} is not allowed ("generated" or "provided")`,
      ]);
    }
    const prefix = EnvironmentStack.of(this).name;
    this.trustAnchorPem = anchor;
    this.certificateParameter = parameter(
      this,
      "certificate",
      cloudHsmNames(prefix).certificateParameter,
      "Cluster certificate signed from the CloudHSM CSR (public)",
      certificate,
    );
    this.trustAnchorParameter = parameter(
      this,
      "trust-anchor",
      cloudHsmNames(prefix).trustAnchorParameter,
      "Trust anchor (issuing CA certificate) of the CloudHSM cluster (public)",
      anchor,
    );
  }

  /** The `provided` certificates' problems, one line each (tokens are not checked: unknown until apply). */
  private providedProblems(certificatePem: string, trustAnchorPem: string): string[] {
    const at = (prop: string) => `${this.node.path}.trust.${prop}`;
    // The start of the text, on one line (PEM has line breaks).
    const value = (pem: string) => JSON.stringify(pem.length > 40 ? `${pem.slice(0, 37)}...` : pem);
    const problems: string[] = [];
    const parsed: Partial<Record<"certificatePem" | "trustAnchorPem", X509Certificate>> = {};
    for (const [prop, pem, source] of [
      ["certificatePem", certificatePem, "CloudHSM InitializeCluster SignedCert"],
      ["trustAnchorPem", trustAnchorPem, "CloudHSM InitializeCluster TrustAnchor"],
    ] as const) {
      if (Token.isUnresolved(pem)) continue;
      const cert = parsePemCertificate(pem);
      if (cert === "not-pem")
        problems.push(
          `${at(prop)}: ${value(pem)} is not allowed (one PEM -----BEGIN CERTIFICATE----- block, ${source})`,
        );
      else if (cert === "not-x509")
        problems.push(`${at(prop)}: ${value(pem)} is not allowed (a parseable X.509 certificate, ${source})`);
      else parsed[prop] = cert;
    }
    const pair = trustPairProblem(parsed.certificatePem, parsed.trustAnchorPem);
    if (pair === "same-certificate")
      problems.push(
        `${at("trustAnchorPem")}: ${value(trustAnchorPem)} is not allowed (the issuing CA's certificate, not the cluster certificate itself, CloudHSM InitializeCluster TrustAnchor)`,
      );
    if (pair === "anchor-not-self-signed")
      problems.push(
        `${at("trustAnchorPem")}: ${value(trustAnchorPem)} is not allowed (a self-signed root CA certificate, CloudHSM InitializeCluster TrustAnchor)`,
      );
    if (pair === "not-signed-by-anchor")
      problems.push(
        `${at("certificatePem")}: ${value(certificatePem)} is not allowed (a certificate signed by trustAnchorPem, CloudHSM InitializeCluster SignedCert)`,
      );
    return problems;
  }

  private generate(csr: string): { certificate: string; anchor: string } {
    const stack = TerraformStack.of(this);
    if (!stack.node.tryFindChild("tls")) allowProviderUpdates(stack, new TlsProvider(stack, "tls", {}), "tls");
    const caKey = new PrivateKey(this, "ca-key", { algorithm: "RSA", rsaBits: 4096 });
    const ca = new SelfSignedCert(this, "ca", {
      privateKeyPem: caKey.privateKeyPem,
      isCaCertificate: true,
      subject: [{ commonName: "CloudHSM customer CA", organization: "cmk-stacks" }],
      // 20 years, never renewed early: a new anchor would not match the initialised cluster.
      validityPeriodHours: 175_200,
      allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
    });
    const signed = new LocallySignedCert(this, "cluster-cert", {
      certRequestPem: csr,
      caPrivateKeyPem: caKey.privateKeyPem,
      caCertPem: ca.certPem,
      validityPeriodHours: 87_600,
      allowedUses: ["digital_signature", "key_encipherment", "server_auth", "client_auth"],
      // The CSR disappears after initialisation; without this every later plan would re-sign.
      lifecycle: { ignoreChanges: ["cert_request_pem"] },
    });
    return { certificate: signed.certPem, anchor: ca.certPem };
  }
}

function parameter(scope: Construct, id: string, name: string, description: string, value: string): SsmParameter {
  return new SsmParameter(scope, id, {
    name,
    description,
    type: "String",
    // Tokens (generated mode) have an unknown length: a signed certificate stays well under 4 KB.
    tier: !value.includes("${") && value.length > STANDARD_TIER_MAX ? "Advanced" : "Standard",
    value,
  });
}
