/**
 * The certificate files of `cloudHsm.trust` (mode `provided`), read at synth from the repository
 * and checked with the configuration's field names; `ClusterTrust` takes their PEM text.
 */
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import type { X509Certificate } from "node:crypto";
import { ConfigError } from "../environments/errors";
import type { ResolvedCloudHsm } from "../environments/resolve";
import { HOOK_BUNDLE_DIR } from "../modules/hooks/hook-step";
import { parsePemCertificate, trustPairProblem, type ClusterTrustSource } from "../modules/cloudhsm/cluster-trust";

/** The repository root (where relative certificate paths start): the folder above `.build`. */
export const REPO_ROOT = join(HOOK_BUNDLE_DIR, "..", "..");

/**
 * The `ClusterTrust` source of a resolved configuration in the `ready` phase: `generated` as is,
 * `provided` with the two files read and checked (throws ConfigError, one line per problem).
 */
export function clusterTrustSource(trust: ResolvedCloudHsm["trust"], root: string = REPO_ROOT): ClusterTrustSource {
  if (trust.mode === "generated") return { mode: "generated" };
  const { signedCertificateFile, trustAnchorFile } = trust;
  if (signedCertificateFile === undefined || trustAnchorFile === undefined) {
    // resolveEnvironment decides this phase; a caller asking for the source here is a bug.
    throw new Error("cloudHsm.trust: no certificate files (phase awaiting-certificate): there is no trust source yet");
  }
  const files = readPemFiles(root, { signedCertificateFile, trustAnchorFile });
  return { mode: "provided", certificatePem: files.signedCertificateFile, trustAnchorPem: files.trustAnchorFile };
}

/**
 * Reads and checks the `provided` files: each must exist and hold one PEM certificate; the
 * trust anchor must be self-signed and must have signed the cluster certificate. One line per
 * problem, naming the field and the path.
 */
export function readPemFiles(
  root: string,
  files: { signedCertificateFile: string; trustAnchorFile: string },
): { signedCertificateFile: string; trustAnchorFile: string } {
  const problems: string[] = [];
  const out: Record<string, string> = {};
  const parsed: Record<string, X509Certificate> = {};
  for (const [field, path] of Object.entries(files)) {
    const where = `cloudHsm.trust.${field}`;
    const full = isAbsolute(path) ? path : join(root, path);
    if (!existsSync(full)) {
      problems.push(
        `${where}: ${path} does not exist (put the PEM file there, or remove both file fields for the first apply, which outputs the cluster CSR)`,
      );
      continue;
    }
    if (!statSync(full).isFile()) {
      problems.push(`${where}: ${path} is not a file (a PEM certificate file expected)`);
      continue;
    }
    // A relative path stays inside the root even through symbolic links.
    const escape = relative(realpathSync(root), realpathSync(full));
    if (!isAbsolute(path) && (escape.startsWith("..") || isAbsolute(escape))) {
      problems.push(
        `${where}: ${path} leads outside the repository (through a symbolic link or '..'); keep certificate files inside it`,
      );
      continue;
    }
    let text: string;
    try {
      text = readFileSync(full, "utf8");
    } catch (e) {
      problems.push(`${where}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? "error"})`);
      continue;
    }
    const cert = parsePemCertificate(text);
    if (cert === "not-pem")
      problems.push(`${where}: ${path} is not a PEM certificate (one -----BEGIN CERTIFICATE----- block expected)`);
    else if (cert === "not-x509") problems.push(`${where}: ${path} is not a parseable X.509 certificate`);
    else {
      parsed[field] = cert;
      out[field] = text;
    }
  }
  const cert = parsed.signedCertificateFile;
  const anchor = parsed.trustAnchorFile;
  const pair = trustPairProblem(cert, anchor);
  if (pair === "same-certificate") {
    problems.push(
      `cloudHsm.trust.trustAnchorFile: ${files.trustAnchorFile} holds the same certificate as ${files.signedCertificateFile} (the trust anchor is the issuing CA's certificate, not the cluster's)`,
    );
  } else if (pair === "anchor-not-self-signed") {
    problems.push(
      `cloudHsm.trust.trustAnchorFile: ${files.trustAnchorFile} is not self-signed (InitializeCluster needs the root CA certificate as trust anchor)`,
    );
  } else if (pair === "not-signed-by-anchor") {
    problems.push(
      `cloudHsm.trust.signedCertificateFile: ${files.signedCertificateFile} was not signed by the trust anchor in ${files.trustAnchorFile}`,
    );
  }
  if (problems.length) throw new ConfigError(problems);
  return { signedCertificateFile: out.signedCertificateFile, trustAnchorFile: out.trustAnchorFile };
}
