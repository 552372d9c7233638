import { stateResources } from "../../tools/ops/teardown-steps/terraform-runner";

describe("reading a stack's state for the teardown", () => {
  test("keeps managed resources with their ids only: no secret of the state survives", () => {
    const doc = {
      values: {
        root_module: {
          resources: [
            {
              address: "aws_kms_custom_key_store.s",
              mode: "managed",
              type: "aws_kms_custom_key_store",
              values: {
                id: "cks-1",
                cloud_hsm_cluster_id: "cluster-a",
                key_store_password: "kmsuser-Secret1",
                trust_anchor_certificate: "-----BEGIN CERTIFICATE-----",
              },
            },
            {
              address: "tls_private_key.ca",
              mode: "managed",
              type: "tls_private_key",
              values: { id: "x", private_key_pem: "-----BEGIN PRIVATE KEY-----" },
            },
            {
              address: "data.aws_secretsmanager_secret_version.v",
              mode: "data",
              type: "aws_secretsmanager_secret_version",
              values: { secret_string: "{}" },
            },
          ],
          child_modules: [
            {
              resources: [
                {
                  address: "module.m.aws_kms_key.k",
                  mode: "managed",
                  type: "aws_kms_key",
                  values: { key_id: "k1", deletion_window_in_days: 7, policy: "{}" },
                },
              ],
            },
          ],
        },
      },
    };
    const rs = stateResources(doc);
    expect(rs).toEqual([
      {
        address: "aws_kms_custom_key_store.s",
        type: "aws_kms_custom_key_store",
        values: { id: "cks-1", cloud_hsm_cluster_id: "cluster-a" },
      },
      { address: "tls_private_key.ca", type: "tls_private_key", values: { id: "x" } },
      { address: "module.m.aws_kms_key.k", type: "aws_kms_key", values: { key_id: "k1", deletion_window_in_days: 7 } },
    ]);
    expect(JSON.stringify(rs)).not.toMatch(/Secret1|BEGIN/);
  });

  test("reads the stored state (`terraform state pull`) the same way: instance addresses, ids only", () => {
    const doc = {
      version: 4,
      terraform_version: "1.9.8",
      resources: [
        {
          mode: "managed",
          type: "aws_kms_custom_key_store",
          name: "s",
          provider: 'provider["registry.terraform.io/hashicorp/aws"]',
          instances: [
            {
              schema_version: 0,
              attributes: { id: "cks-1", cloud_hsm_cluster_id: "cluster-a", key_store_password: "kmsuser-Secret1" },
              sensitive_attributes: [],
            },
          ],
        },
        {
          mode: "data",
          type: "aws_secretsmanager_secret_version",
          name: "v",
          instances: [{ attributes: { secret_string: "{}" } }],
        },
        {
          module: "module.m",
          mode: "managed",
          type: "aws_kms_key",
          name: "k",
          instances: [
            { index_key: "a", attributes: { key_id: "k1", deletion_window_in_days: 7, policy: "{}" } },
            { index_key: 0, attributes: { key_id: "k2", private_key_pem: "-----BEGIN PRIVATE KEY-----" } },
          ],
        },
      ],
    };
    const rs = stateResources(doc);
    expect(rs).toEqual([
      {
        address: "aws_kms_custom_key_store.s",
        type: "aws_kms_custom_key_store",
        values: { id: "cks-1", cloud_hsm_cluster_id: "cluster-a" },
      },
      {
        address: 'module.m.aws_kms_key.k["a"]',
        type: "aws_kms_key",
        values: { key_id: "k1", deletion_window_in_days: 7 },
      },
      { address: "module.m.aws_kms_key.k[0]", type: "aws_kms_key", values: { key_id: "k2" } },
    ]);
    expect(JSON.stringify(rs)).not.toMatch(/Secret1|BEGIN/);
    expect(stateResources({ version: 4, resources: [] })).toEqual([]);
  });

  test("an empty or missing state reads as no resources", () => {
    expect(stateResources({ format_version: "1.0" })).toEqual([]);
    expect(stateResources(null)).toEqual([]);
  });
});
