/**
 * The real CloudHSM v2 client (3.332) through the SDK's whole middleware stack (serialize, sign,
 * deserialize) against a request handler that answers in memory: ModifyCluster carries HsmType and
 * DescribeClusters keeps HsmTypeRollbackExpiration and Mode, which the 3.332 model lacks.
 */
import { Readable } from "node:stream";
import { DescribeClustersCommand } from "@aws-sdk/client-cloudhsm-v2";
import { cloudHsmClient } from "../../../hooks/lib/clients";
import { modifyClusterHsmType, type ClusterWithType } from "../../../hooks/lib/cluster-fields";

interface Sent {
  headers: Record<string, string>;
  body: string;
}

function clientAnswering(answer: object, statusCode = 200) {
  const sent: Sent[] = [];
  const requestHandler = {
    handle: async (request: { headers: Record<string, string>; body: string }) => {
      sent.push({ headers: request.headers, body: request.body });
      return {
        response: {
          statusCode,
          headers: { "content-type": "application/x-amz-json-1.1" },
          body: Readable.from([Buffer.from(JSON.stringify(answer))]),
        },
      };
    },
  };
  const client = cloudHsmClient(
    {
      region: "eu-west-1",
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "not-a-secret" },
      requestHandler,
      maxAttempts: 1,
    },
    {},
  );
  return { client, sent };
}

const CLUSTER = {
  ClusterId: "cluster-abcdefghijk",
  State: "UPDATE_IN_PROGRESS",
  HsmType: "hsm2m.medium",
  Mode: "FIPS",
  HsmTypeRollbackExpiration: 1_800_000_000,
  Hsms: [{ HsmId: "hsm-abcdefghijk", HsmType: "hsm1.medium", State: "ACTIVE", AvailabilityZone: "eu-west-1a" }],
};

test("ModifyCluster sends HsmType with the SDK's own serializer and signature", async () => {
  const { client, sent } = clientAnswering({ Cluster: CLUSTER });
  const out = (await client.send(modifyClusterHsmType("cluster-abcdefghijk", "hsm2m.medium"))) as {
    Cluster: ClusterWithType;
  };
  expect(JSON.parse(sent[0].body)).toEqual({ ClusterId: "cluster-abcdefghijk", HsmType: "hsm2m.medium" });
  expect(sent[0].headers["x-amz-target"]).toBe("BaldrApiService.ModifyCluster");
  expect(sent[0].headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\//);
  expect(out.Cluster.HsmTypeRollbackExpiration).toEqual(new Date(1_800_000_000_000));
});

test("DescribeClusters keeps HsmTypeRollbackExpiration (as a Date) and Mode; modelled fields are unchanged", async () => {
  const { client } = clientAnswering({ Clusters: [CLUSTER, { ClusterId: "cluster-other234567", State: "ACTIVE" }] });
  const out = (await client.send(new DescribeClustersCommand({}))) as { Clusters: ClusterWithType[] };
  expect(out.Clusters[0]).toMatchObject({
    ClusterId: "cluster-abcdefghijk",
    State: "UPDATE_IN_PROGRESS",
    HsmType: "hsm2m.medium",
    Mode: "FIPS",
    HsmTypeRollbackExpiration: new Date(1_800_000_000_000),
    Hsms: [{ HsmId: "hsm-abcdefghijk", HsmType: "hsm1.medium" }],
  });
  expect(out.Clusters[1].HsmTypeRollbackExpiration).toBeUndefined();
});

test("service errors still reach the caller as the SDK's exceptions", async () => {
  const { client } = clientAnswering(
    { __type: "CloudHsmInvalidRequestException", Message: "The cluster is in limited-write mode" },
    400,
  );
  await expect(client.send(modifyClusterHsmType("cluster-abcdefghijk", "hsm2m.medium"))).rejects.toMatchObject({
    name: "CloudHsmInvalidRequestException",
    message: "The cluster is in limited-write mode",
  });
});
