import { InitializeClusterCommand, type InitializeClusterCommandOutput } from "@aws-sdk/client-cloudhsm-v2";
import { GetParameterCommand, type GetParameterCommandOutput } from "@aws-sdk/client-ssm";
import { pollFor, TYPICAL_MS } from "../lib/backoff";
import {
  activeHsms,
  checkClusterHealthy,
  cloudHsmError,
  describeCluster,
  hsmSummary,
  type Cluster,
} from "../lib/cluster";
import { awsErrorCode, errorMessage, HookError, guarded } from "../lib/errors";
import { certificateMatchesCsr, isPemCertificate, parseCertificate } from "../lib/pem";
import { ProgressReporter } from "../lib/progress";
import { withRetry } from "../lib/retry";
import type { Sender, StepResult, StepRuntime } from "../lib/runtime";
import { waitUntil } from "../lib/wait";

/** Inputs of `initialize-cluster`: ids and parameter names only (the PEMs are public data). */
export interface InitializeClusterInput extends StepRuntime {
  readonly clients: { readonly cloudhsm: Sender; readonly ssm: Sender };
  readonly clusterId: string;
  /** SSM parameter holding the cluster certificate (the CSR signed by the customer CA), PEM. */
  readonly certificateParameter: string;
  /** SSM parameter holding the trust anchor (self-signed root CA certificate), PEM. */
  readonly trustAnchorParameter: string;
}

const DONE_STATES = new Set(["INITIALIZED", "ACTIVE", "UPDATE_IN_PROGRESS"]);

/**
 * Claims the cluster: waits for its first HSM to be ACTIVE and the CSR to exist, checks the
 * signed certificate against the CSR and the trust anchor, calls InitializeCluster and waits for
 * INITIALIZED. Already INITIALIZED or ACTIVE: reports "already done" and calls nothing else.
 */
export function initializeCluster(input: InitializeClusterInput): Promise<StepResult> {
  return guarded(input.log, () => initializeClusterBody(input));
}

async function initializeClusterBody(input: InitializeClusterInput): Promise<StepResult> {
  const { clients, clusterId, log } = input;
  const progress = new ProgressReporter(`initialize-cluster ${clusterId}`, input.clock, log);
  const label = progress.label;
  const describe = () =>
    withRetry("DescribeClusters", () => describeCluster(clients.cloudhsm, clusterId, label), { ...input, label });

  const summary = (c: Cluster) => `${hsmSummary(c)}${c.Certificates?.ClusterCsr ? ", CSR ready" : ""}`;
  let cluster = await describe();
  progress.observe(summary(cluster));
  checkClusterHealthy(cluster, label);
  if (DONE_STATES.has(cluster.State ?? "")) {
    progress.note(`already done (cluster is ${cluster.State})`);
    return { status: "ALREADY_DONE", state: cluster.State ?? "UNKNOWN", elapsedMs: progress.elapsed() };
  }

  if (cluster.State !== "INITIALIZE_IN_PROGRESS") {
    cluster = await waitUntil<Cluster>({
      runtime: input,
      progress,
      target: "an ACTIVE first HSM and the cluster CSR",
      first: cluster,
      describe,
      stateOf: summary,
      done: (c) => c.State !== "UNINITIALIZED" || (activeHsms(c).length > 0 && Boolean(c.Certificates?.ClusterCsr)),
      check: (c) => checkClusterHealthy(c, label),
      policy: pollFor(TYPICAL_MS.hsmCreate),
      timeoutAction:
        "check that exactly one HSM was created in the cluster (aws_cloudhsm_v2_hsm) and that its creation did not fail",
    });
  }

  // After InitializeCluster the known state is its answer: the wait sleeps before describing again.
  let first: Cluster | undefined = cluster.State === "INITIALIZE_IN_PROGRESS" ? cluster : undefined;
  if (cluster.State === "UNINITIALIZED") {
    const csr = cluster.Certificates?.ClusterCsr ?? "";
    const signedCert = await readPem(input, input.certificateParameter, "cluster certificate", label);
    const trustAnchor = await readPem(input, input.trustAnchorParameter, "trust anchor", label);
    checkCertificates(label, signedCert, trustAnchor, csr, input);
    try {
      const out = (await withRetry(
        "InitializeCluster",
        () =>
          clients.cloudhsm.send(
            new InitializeClusterCommand({ ClusterId: clusterId, SignedCert: signedCert, TrustAnchor: trustAnchor }),
          ),
        {
          ...input,
          label,
        },
      )) as InitializeClusterCommandOutput;
      progress.note("InitializeCluster accepted");
      first = { ...cluster, State: out.State ?? "INITIALIZE_IN_PROGRESS", StateMessage: undefined };
    } catch (err) {
      // A concurrent run may have won the race: if the cluster moved on, just wait for it.
      const now = await describe();
      if (now.State === "UNINITIALIZED") throw cloudHsmError(label, "InitializeCluster", err);
      log.warn(
        `[${label}] InitializeCluster answered ${awsErrorCode(err)} but the cluster is ${now.State}: continuing`,
      );
      first = now;
    }
  }

  const final = await waitUntil<Cluster>({
    runtime: input,
    progress,
    target: "INITIALIZED",
    describe,
    first,
    stateOf: (c) => c.State ?? "UNKNOWN",
    done: (c) => DONE_STATES.has(c.State ?? ""),
    check: (c) => {
      checkClusterHealthy(c, label);
      if (c.State === "UNINITIALIZED" && c.StateMessage) {
        throw new HookError(
          label,
          "InitializeFailed",
          `cluster went back to UNINITIALIZED: ${c.StateMessage}`,
          "check the certificate and trust anchor parameters, then re-run",
        );
      }
    },
    policy: pollFor(TYPICAL_MS.initialize),
    timeoutAction:
      "check the cluster's StateMessage in the CloudHSM console; re-run once it is INITIALIZED or UNINITIALIZED",
  });
  return { status: "DONE", state: final.State ?? "UNKNOWN", elapsedMs: progress.elapsed() };
}

async function readPem(input: InitializeClusterInput, name: string, what: string, label: string): Promise<string> {
  try {
    const out = (await withRetry(
      "GetParameter",
      () => input.clients.ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true })),
      { ...input, label },
    )) as GetParameterCommandOutput;
    const value = out.Parameter?.Value ?? "";
    if (!value)
      throw new HookError(
        label,
        "ParameterEmpty",
        `SSM parameter ${name} (${what}) is empty`,
        `store the ${what} PEM in ${name}, then re-run`,
      );
    return value.trim() + "\n";
  } catch (err) {
    if (err instanceof HookError) throw err;
    const code = awsErrorCode(err);
    const action =
      code === "ParameterNotFound"
        ? `create the SSM parameter ${name} with the ${what} PEM (Terraform does this for generated CAs; for a provided CA, store the signed certificate there), then re-run`
        : code === "AccessDeniedException"
          ? `grant the hook role ssm:GetParameter on ${name}`
          : "fix the cause above and re-run (the step is idempotent)";
    throw new HookError(label, code, `reading SSM parameter ${name} (${what}) failed: ${errorMessage(err)}`, action);
  }
}

/** Catches the mismatches InitializeCluster would reject (or worse, accept) before calling it. */
function checkCertificates(
  label: string,
  signedPem: string,
  anchorPem: string,
  csr: string,
  input: InitializeClusterInput,
): void {
  const fix = `sign the CSR of cluster ${input.clusterId} (DescribeClusters Certificates.ClusterCsr) with the CA whose self-signed certificate is in ${input.trustAnchorParameter}, store the result in ${input.certificateParameter}, then re-run`;
  if (!isPemCertificate(signedPem))
    throw new HookError(
      label,
      "InvalidCertificate",
      `${input.certificateParameter} does not hold a single PEM certificate`,
      fix,
    );
  if (!isPemCertificate(anchorPem))
    throw new HookError(
      label,
      "InvalidTrustAnchor",
      `${input.trustAnchorParameter} does not hold a single PEM certificate`,
      `store the self-signed root CA certificate (PEM) in ${input.trustAnchorParameter}, then re-run`,
    );
  const signed = parseCertificate(signedPem);
  const anchor = parseCertificate(anchorPem);
  if (!signed)
    throw new HookError(
      label,
      "InvalidCertificate",
      `${input.certificateParameter} is not a parseable X.509 certificate`,
      fix,
    );
  if (!anchor)
    throw new HookError(
      label,
      "InvalidTrustAnchor",
      `${input.trustAnchorParameter} is not a parseable X.509 certificate`,
      `store the self-signed root CA certificate (PEM) in ${input.trustAnchorParameter}, then re-run`,
    );
  if (!anchor.verify(anchor.publicKey)) {
    throw new HookError(
      label,
      "InvalidTrustAnchor",
      `the trust anchor in ${input.trustAnchorParameter} is not self-signed`,
      "InitializeCluster needs the root CA certificate itself as trust anchor: store the root, then re-run",
    );
  }
  if (!signed.verify(anchor.publicKey))
    throw new HookError(
      label,
      "CertificateNotSignedByTrustAnchor",
      `the cluster certificate was not signed by the trust anchor's key`,
      fix,
    );
  const matches = certificateMatchesCsr(signed, csr);
  if (matches === false)
    throw new HookError(
      label,
      "CertificateDoesNotMatchCsr",
      `the cluster certificate's public key is not the key of the cluster's CSR (was another cluster's CSR signed?)`,
      fix,
    );
  if (matches === undefined)
    input.log.warn(
      `[${label}] could not parse the cluster CSR to compare public keys; relying on InitializeCluster's own check`,
    );
}
