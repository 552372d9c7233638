import { Construct } from "constructs";
import { TerraformStack } from "cdktf";
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import { X509Certificate } from "node:crypto";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { TlsProvider } from "@cdktf/provider-tls/lib/provider";
import { PrivateKey } from "@cdktf/provider-tls/lib/private-key";
import { SelfSignedCert } from "@cdktf/provider-tls/lib/self-signed-cert";
import { LocallySignedCert } from "@cdktf/provider-tls/lib/locally-signed-cert";
import type { CloudHsmTrustConfig } from "../../environments/types";
import { ConfigError } from "../../environments/errors";
import { HOOK_BUNDLE_DIR } from "../hooks/hook-step";

/** The repository root (where relative certificate paths start): the folder above `.build`. */
export const REPO_ROOT = join(HOOK_BUNDLE_DIR, "..", "..");

const PEM_CERTIFICATE = /^-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\s*$/;
/** SSM Standard parameters hold 4 KB; longer values need the Advanced tier. */
const STANDARD_TIER_MAX = 4096;

export interface ClusterTrustProps {
  readonly trust: CloudHsmTrustConfig;
  /** Prefix of the SSM parameter names (`/<env>/cloudhsm/...`). */
  readonly environment: string;
  /** The cluster CSR (read after the first HSM exists); used by `generated` only. */
  readonly csr: () => string;
  /** Folder relative paths are resolved from. @default REPO_ROOT */
  readonly root?: string;
}

/**
 * What the `initialize-cluster` hook needs: the signed cluster certificate and the trust anchor,
 * as SSM parameters (String: certificates are public) whose NAMES go to the hooks.
 *
 * - `provided`: the operator signs the CSR offline; the two PEM files are read at synth and
 *   checked (PEM, the certificate verifies against the self-signed anchor). Without the files
 *   (first apply) `ready` is false: the caller stops after the first HSM and outputs the CSR.
 * - `generated`: a CA made by the tls provider (RSA 4096) signs the CSR in the same apply. The CA
 *   private key is then in Terraform state: fine for dev/test; use `provided` for production.
 */
export class ClusterTrust extends Construct {
  /** False when `provided` files are not set yet (first apply). */
  readonly ready: boolean;
  readonly certificateParameter?: SsmParameter;
  readonly trustAnchorParameter?: SsmParameter;
  /** The trust anchor PEM (for the key store). */
  readonly trustAnchorPem?: string;

  constructor(scope: Construct, id: string, props: ClusterTrustProps) {
    super(scope, id);
    let certificate: string;
    let anchor: string;
    if (props.trust.mode === "provided") {
      const { signedCertificateFile, trustAnchorFile } = props.trust;
      if (signedCertificateFile === undefined || trustAnchorFile === undefined) {
        this.ready = false;
        return;
      }
      const root = props.root ?? REPO_ROOT;
      const files = readPemFiles(root, { signedCertificateFile, trustAnchorFile });
      certificate = files.signedCertificateFile;
      anchor = files.trustAnchorFile;
    } else {
      ({ certificate, anchor } = this.generate(props.csr()));
    }
    this.ready = true;
    this.trustAnchorPem = anchor;
    this.certificateParameter = parameter(this, "certificate", `/${props.environment}/cloudhsm/cluster-certificate`, "Cluster certificate signed from the CloudHSM CSR (public)", certificate);
    this.trustAnchorParameter = parameter(this, "trust-anchor", `/${props.environment}/cloudhsm/trust-anchor`, "Trust anchor (issuing CA certificate) of the CloudHSM cluster (public)", anchor);
  }

  private generate(csr: string): { certificate: string; anchor: string } {
    const stack = TerraformStack.of(this);
    if (!stack.node.tryFindChild("tls")) new TlsProvider(stack, "tls", {});
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

/**
 * Reads and checks the `provided` files: each must exist and hold one PEM certificate; the
 * trust anchor must be self-signed and must have signed the cluster certificate. One line per
 * problem, naming the field and the path.
 */
export function readPemFiles(root: string, files: { signedCertificateFile: string; trustAnchorFile: string }): { signedCertificateFile: string; trustAnchorFile: string } {
  const problems: string[] = [];
  const out: Record<string, string> = {};
  const parsed: Record<string, X509Certificate> = {};
  for (const [field, path] of Object.entries(files)) {
    const where = `cloudHsm.trust.${field}`;
    const full = isAbsolute(path) ? path : join(root, path);
    if (!existsSync(full)) {
      problems.push(`${where}: ${path} does not exist (put the PEM file there, or remove both file fields for the first apply, which outputs the cluster CSR)`);
      continue;
    }
    if (!statSync(full).isFile()) {
      problems.push(`${where}: ${path} is not a file (a PEM certificate file expected)`);
      continue;
    }
    // A relative path stays inside the root even through symbolic links.
    const escape = relative(realpathSync(root), realpathSync(full));
    if (!isAbsolute(path) && (escape.startsWith("..") || isAbsolute(escape))) {
      problems.push(`${where}: ${path} leads outside the repository (through a symbolic link or '..'); keep certificate files inside it`);
      continue;
    }
    let text: string;
    try {
      text = readFileSync(full, "utf8");
    } catch (e) {
      problems.push(`${where}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? "error"})`);
      continue;
    }
    if (!PEM_CERTIFICATE.test(text)) {
      problems.push(`${where}: ${path} is not a PEM certificate (one -----BEGIN CERTIFICATE----- block expected)`);
      continue;
    }
    try {
      parsed[field] = new X509Certificate(text);
      out[field] = text;
    } catch {
      problems.push(`${where}: ${path} is not a parseable X.509 certificate`);
    }
  }
  const cert = parsed.signedCertificateFile;
  const anchor = parsed.trustAnchorFile;
  if (cert && anchor && cert.raw.equals(anchor.raw)) {
    problems.push(`cloudHsm.trust.trustAnchorFile: ${files.trustAnchorFile} holds the same certificate as ${files.signedCertificateFile} (the trust anchor is the issuing CA's certificate, not the cluster's)`);
  } else if (anchor && !anchor.verify(anchor.publicKey)) {
    problems.push(`cloudHsm.trust.trustAnchorFile: ${files.trustAnchorFile} is not self-signed (InitializeCluster needs the root CA certificate as trust anchor)`);
  } else if (cert && anchor && !cert.verify(anchor.publicKey)) {
    problems.push(`cloudHsm.trust.signedCertificateFile: ${files.signedCertificateFile} was not signed by the trust anchor in ${files.trustAnchorFile}`);
  }
  if (problems.length) throw new ConfigError(problems);
  return { signedCertificateFile: out.signedCertificateFile, trustAnchorFile: out.trustAnchorFile };
}
