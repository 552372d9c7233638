import { DescribeClustersCommand, InitializeClusterCommand } from "@aws-sdk/client-cloudhsm-v2";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { initializeCluster } from "../../../hooks/steps/initialize-cluster";
import { awsError, clusterOutput, cloudhsmMock, fixture, IDS, networkError, runtime, thrown } from "../helpers";

const csr = fixture("cluster.csr");
const hsm = (state: string) => [[state, "eu-west-1a", "10.0.1.10"]] as const;
const cloudhsm = cloudhsmMock();
const ssm = mockClient(SSMClient);

function params(cert = fixture("cluster-cert.pem"), anchor = fixture("trust-anchor.pem")): void {
  ssm.on(GetParameterCommand, { Name: IDS.certificateParameter }).resolves({ Parameter: { Value: cert } });
  ssm.on(GetParameterCommand, { Name: IDS.trustAnchorParameter }).resolves({ Parameter: { Value: anchor } });
}

function input(rt = runtime()) {
  return {
    ...rt,
    clients: { cloudhsm: cloudhsm as never, ssm },
    clusterId: IDS.clusterId,
    certificateParameter: IDS.certificateParameter,
    trustAnchorParameter: IDS.trustAnchorParameter,
  };
}

beforeEach(() => {
  cloudhsm.reset();
  ssm.reset();
});

test("waits for the first HSM and the CSR, initializes, waits for INITIALIZED", async () => {
  cloudhsm
    .on(DescribeClustersCommand)
    .resolvesOnce(clusterOutput("UNINITIALIZED", hsm("CREATE_IN_PROGRESS")))
    .resolvesOnce(clusterOutput("UNINITIALIZED", hsm("CREATE_IN_PROGRESS")))
    .resolvesOnce(clusterOutput("UNINITIALIZED", hsm("ACTIVE"), csr))
    .resolvesOnce(clusterOutput("INITIALIZE_IN_PROGRESS", hsm("ACTIVE")))
    .resolves(clusterOutput("INITIALIZED", hsm("ACTIVE")));
  cloudhsm.on(InitializeClusterCommand).resolves({ State: "INITIALIZE_IN_PROGRESS" });
  params();
  const rt = runtime();
  const result = await initializeCluster(input(rt));
  expect(result.status).toBe("DONE");
  expect(result.state).toBe("INITIALIZED");
  const init = cloudhsm.commandCalls(InitializeClusterCommand);
  expect(init).toHaveLength(1);
  expect(init[0].args[0].input).toEqual({
    ClusterId: IDS.clusterId,
    SignedCert: fixture("cluster-cert.pem").trim() + "\n",
    TrustAnchor: fixture("trust-anchor.pem").trim() + "\n",
  });
  expect(rt.lines).toContain(
    "[initialize-cluster cluster-abcdefghijk] INITIALIZE_IN_PROGRESS -> INITIALIZED after 1m15s",
  );
  expect(rt.lines[0]).toBe("[initialize-cluster cluster-abcdefghijk] UNINITIALIZED, 0/1 HSMs ACTIVE at 0s");
});

test("re-run after success calls nothing but DescribeClusters", async () => {
  cloudhsm.on(DescribeClustersCommand).resolves(clusterOutput("INITIALIZED", hsm("ACTIVE")));
  const rt = runtime();
  const result = await initializeCluster(input(rt));
  expect(result.status).toBe("ALREADY_DONE");
  expect(cloudhsm.commandCalls(InitializeClusterCommand)).toHaveLength(0);
  expect(ssm.calls()).toHaveLength(0);
  expect(rt.lines).toContain("[initialize-cluster cluster-abcdefghijk] already done (cluster is INITIALIZED)");
});

test("converges through throttling and a network error on DescribeClusters", async () => {
  cloudhsm
    .on(DescribeClustersCommand)
    .rejectsOnce(awsError("ThrottlingException", "Rate exceeded"))
    .rejectsOnce(networkError("ECONNRESET"))
    .resolvesOnce(clusterOutput("UNINITIALIZED", hsm("ACTIVE"), csr))
    .rejectsOnce(awsError("ThrottlingException", "Rate exceeded"))
    .resolves(clusterOutput("INITIALIZED", hsm("ACTIVE")));
  cloudhsm.on(InitializeClusterCommand).resolves({});
  params();
  expect((await initializeCluster(input())).state).toBe("INITIALIZED");
});

test.each([
  [
    "the certificate was issued for another CSR",
    fixture("other-cluster-cert.pem"),
    fixture("trust-anchor.pem"),
    "[initialize-cluster cluster-abcdefghijk] CertificateDoesNotMatchCsr: the cluster certificate's public key is not the key of the cluster's CSR (was another cluster's CSR signed?). Next: sign the CSR of cluster cluster-abcdefghijk (DescribeClusters Certificates.ClusterCsr) with the CA whose self-signed certificate is in /cmk/trust-anchor, store the result in /cmk/cluster-certificate, then re-run",
  ],
  [
    "the trust anchor did not sign the certificate",
    fixture("cluster-cert.pem"),
    fixture("other-ca.pem"),
    "[initialize-cluster cluster-abcdefghijk] CertificateNotSignedByTrustAnchor: the cluster certificate was not signed by the trust anchor's key. Next: sign the CSR of cluster cluster-abcdefghijk (DescribeClusters Certificates.ClusterCsr) with the CA whose self-signed certificate is in /cmk/trust-anchor, store the result in /cmk/cluster-certificate, then re-run",
  ],
  [
    "the certificate is not PEM",
    "not a certificate",
    fixture("trust-anchor.pem"),
    "[initialize-cluster cluster-abcdefghijk] InvalidCertificate: /cmk/cluster-certificate does not hold a single PEM certificate. Next: sign the CSR of cluster cluster-abcdefghijk (DescribeClusters Certificates.ClusterCsr) with the CA whose self-signed certificate is in /cmk/trust-anchor, store the result in /cmk/cluster-certificate, then re-run",
  ],
])("fails when %s, before calling InitializeCluster", async (_name, cert, anchor, message) => {
  cloudhsm.on(DescribeClustersCommand).resolves(clusterOutput("UNINITIALIZED", hsm("ACTIVE"), csr));
  params(cert, anchor);
  const err = await thrown(() => initializeCluster(input()));
  expect(err.message).toBe(message);
  expect(cloudhsm.commandCalls(InitializeClusterCommand)).toHaveLength(0);
});

test("fails when the certificate parameter does not exist", async () => {
  cloudhsm.on(DescribeClustersCommand).resolves(clusterOutput("UNINITIALIZED", hsm("ACTIVE"), csr));
  ssm.on(GetParameterCommand).rejects(awsError("ParameterNotFound", "not found"));
  const err = await thrown(() => initializeCluster(input()));
  expect(err.message).toBe(
    "[initialize-cluster cluster-abcdefghijk] ParameterNotFound: reading SSM parameter /cmk/cluster-certificate (cluster certificate) failed: not found. Next: create the SSM parameter /cmk/cluster-certificate with the cluster certificate PEM (Terraform does this for generated CAs; for a provided CA, store the signed certificate there), then re-run",
  );
});

test("fails with the mapped action when InitializeCluster is rejected", async () => {
  cloudhsm.on(DescribeClustersCommand).resolves(clusterOutput("UNINITIALIZED", hsm("ACTIVE"), csr));
  cloudhsm
    .on(InitializeClusterCommand)
    .rejects(awsError("CloudHsmInvalidRequestException", "The certificate is invalid"));
  params();
  const err = await thrown(() => initializeCluster(input()));
  expect(err.message).toBe(
    "[initialize-cluster cluster-abcdefghijk] CloudHsmInvalidRequestException: InitializeCluster failed: The certificate is invalid. Next: read the message: usually the cluster is in the wrong state or the certificate does not match the CSR; fix and re-run",
  );
});

test("fails when the cluster is DEGRADED", async () => {
  cloudhsm.on(DescribeClustersCommand).resolves(clusterOutput("UNINITIALIZED", hsm("DEGRADED")));
  const err = await thrown(() => initializeCluster(input()));
  expect(err.message).toMatch(
    /^\[initialize-cluster cluster-abcdefghijk\] ClusterDegraded: cluster cluster-abcdefghijk is DEGRADED \(HSM hsm-ak1234567 in eu-west-1a/,
  );
});

test("times out naming the last state and the elapsed time", async () => {
  cloudhsm.on(DescribeClustersCommand).resolves(clusterOutput("UNINITIALIZED", hsm("CREATE_IN_PROGRESS")));
  const err = await thrown(() => initializeCluster(input(runtime(20))));
  expect(err.message).toBe(
    "[initialize-cluster cluster-abcdefghijk] TIMEOUT: still UNINITIALIZED, 0/1 HSMs ACTIVE after 20m00s waiting for an ACTIVE first HSM and the cluster CSR. Next: check that exactly one HSM was created in the cluster (aws_cloudhsm_v2_hsm) and that its creation did not fail",
  );
});
