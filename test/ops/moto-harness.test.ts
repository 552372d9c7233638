import { CreateClusterCommand, DescribeClustersCommand } from "@aws-sdk/client-cloudhsm-v2";
import { CreateKeyCommand, ListKeysCommand } from "@aws-sdk/client-kms";
import { createOpsClients, destroyOpsClients } from "../../tools/ops/clients";
import { motoSkipReason, startMoto, withEnv, type Moto } from "../helpers/moto";

const skip = motoSkipReason();
if (skip) console.warn(`moto harness tests skipped: ${skip}`);

(skip ? describe.skip : describe)("moto harness", () => {
  let moto: Moto;
  beforeAll(async () => {
    moto = await startMoto({ region: "eu-west-1" });
  }, 40_000);
  afterAll(() => moto?.stop());

  test("SDK clients reach moto through AWS_ENDPOINT_URL (CloudHSM included); reset forgets everything", async () => {
    await withEnv(moto.env, async () => {
      const c = createOpsClients("eu-west-1");
      try {
        await c.kms.send(new CreateKeyCommand({ Description: "harness" }));
        await c.cloudhsm.send(new CreateClusterCommand({ HsmType: "hsm2m.medium", SubnetIds: ["subnet-12345678"] }));
        expect((await c.kms.send(new ListKeysCommand({}))).Keys).toHaveLength(1);
        expect((await c.cloudhsm.send(new DescribeClustersCommand({}))).Clusters).toHaveLength(1);
        await moto.reset();
        expect((await c.kms.send(new ListKeysCommand({}))).Keys).toHaveLength(0);
        expect((await c.cloudhsm.send(new DescribeClustersCommand({}))).Clusters ?? []).toHaveLength(0);
      } finally {
        destroyOpsClients(c);
      }
    });
  });

  test("stop ends the server it started, and only it", async () => {
    const other = await startMoto();
    expect(other.port).not.toBe(moto.port);
    await other.stop();
    await expect(fetch(`${other.endpoint}/moto-api/`)).rejects.toThrow();
    expect((await fetch(`${moto.endpoint}/moto-api/`)).ok).toBe(true);
  }, 40_000);
});
