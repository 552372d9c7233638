/**
 * create-kmsuser tags the kmsuser secret outside Terraform. Proven with the real Terraform CLI and
 * AWS provider (offline, one `plan -refresh=false` against a state in which the secret carries
 * that tag, as a refresh would read it): the secret as HsmCredentials builds it plans nothing,
 * while the same secret without its `ignore_changes` entry plans an update (the defect: a diff on
 * every plan, and a removed tag that made create-kmsuser verify again on every run).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Testing } from "cdktf";
import { EnvironmentStack } from "../../../modules/core/environment-stack";
import { KMSUSER_VERIFIED_TAG } from "../../../hooks/lib/markers";
import { HsmCredentials } from "../../../modules/cloudhsm/hsm-credentials";
import { findTerraform, init, prepareScratch, terraform, type TerraformState } from "../../../tools/terraform/offline";

type Json = Record<string, Record<string, Record<string, Record<string, unknown>>>>;
const found = findTerraform();
const skip = process.env.CMK_SKIP_TERRAFORM ? "CMK_SKIP_TERRAFORM is set" : found.ok ? undefined : found.reason;
const t = skip ? test.skip : test;
if (skip) console.warn(`SKIPPED the kmsuser secret tag plan test: ${skip}`);

/** The secret as AWS describes it after create-kmsuser tagged it. */
function taggedSecret(
  name: string,
  resourceName: string,
  tags: Record<string, string>,
): TerraformState["resources"][number] {
  const arn = `arn:aws:secretsmanager:eu-west-1:111122223333:secret:${name}-AbCdEf`;
  const withTag = { ...tags, [KMSUSER_VERIFIED_TAG]: "0123456789abcdef0123456789abcdef" };
  return {
    mode: "managed",
    type: "aws_secretsmanager_secret",
    name: resourceName,
    provider: 'provider["registry.terraform.io/hashicorp/aws"]',
    instances: [
      {
        schema_version: 0,
        attributes: {
          id: arn,
          arn,
          name,
          name_prefix: "",
          description: "",
          kms_key_id: "",
          policy: "",
          recovery_window_in_days: 30,
          force_overwrite_replica_secret: false,
          replica: [],
          tags: withTag,
          tags_all: { ...withTag, Stack: "t-keys" },
        },
        sensitive_attributes: [],
      },
    ],
  };
}

t(
  "a kmsuser secret carrying the create-kmsuser tag plans no change; without ignore_changes it would plan an update",
  async () => {
    const stack = new EnvironmentStack(Testing.app(), "t-keys", {
      name: "t",
      account: "111122223333",
      region: "eu-west-1",
    });
    new HsmCredentials(stack, "credentials");
    const json = JSON.parse(Testing.synth(stack)) as Json;
    const secrets = json.resource.aws_secretsmanager_secret;
    const [name, kmsuser] = Object.entries(secrets).find(([, v]) => v.name === "t/cloudhsm/kmsuser-password") ?? [];
    if (!name || !kmsuser) throw new Error("no kmsuser secret synthesized");
    // Only these two are planned; the control is the same secret as before the fix.
    json.resource.aws_secretsmanager_secret = {
      [name]: { ...kmsuser, description: "" },
      control: { ...kmsuser, description: "", name: "t/cloudhsm/control", lifecycle: { prevent_destroy: true } },
    };
    const tags = kmsuser.tags as Record<string, string>;

    const dir = mkdtempSync(join(tmpdir(), "kmsuser-tag-"));
    try {
      prepareScratch(json, dir);
      await init(dir);
      const state: TerraformState = {
        version: 4,
        terraform_version: found.ok ? found.version : "1.11.0",
        serial: 1,
        lineage: "00000000-0000-4000-8000-000000000001",
        outputs: {},
        resources: [
          taggedSecret("t/cloudhsm/kmsuser-password", name, tags),
          taggedSecret("t/cloudhsm/control", "control", tags),
        ],
        check_results: null,
      };
      writeFileSync(join(dir, "tagged.tfstate"), JSON.stringify(state));
      // One Terraform process (the machine-readable plan stream), generous time for a loaded machine.
      const run = await terraform(
        dir,
        ["plan", "-input=false", "-no-color", "-lock=false", "-refresh=false", "-json", "-state=tagged.tfstate"],
        { timeoutMs: 540_000 },
      );
      const messages = run.stdout
        .split("\n")
        .filter(Boolean)
        .map(
          (l) =>
            JSON.parse(l) as {
              type: string;
              change?: { resource: { addr: string }; action: string };
              diagnostic?: { summary: string };
            },
        );
      expect(
        messages.filter((m) => m.type === "diagnostic" && (m as { "@level"?: string })["@level"] === "error"),
      ).toEqual([]);
      const planned = messages
        .filter((m) => m.type === "planned_change")
        .map((m) => [m.change?.resource.addr, m.change?.action]);
      expect(planned).toEqual([["aws_secretsmanager_secret.control", "update"]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
  600_000,
);
