/**
 * Restore with the real Terraform CLI and AWS provider (offline: `plan -refresh=false` against a
 * state as it stands after restore-key-store ran and the imports were applied): cloudHsm.restored
 * plans no replacement of the restored cluster, its HSMs or the key store (whose cluster id the
 * step changed), and forgets the lost cluster and HSMs instead of destroying them. The control, the
 * same configuration without source_backup_identifier, plans the cluster's replacement (the
 * provider's ForceNew, not Computed, argument).
 *
 * Both are child modules of one combined root (tools/terraform/combine.ts), planned by one init,
 * one plan and one show: each Terraform process pays ~1.5-2 s of CPU to load the AWS provider's
 * schema, whatever the configuration's size.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Testing } from "cdktf";
import { HsmCluster, type RestoredCluster } from "../../../modules/cloudhsm/hsm-cluster";
import { CloudHsmKeyStore } from "../../../modules/keystores/cloudhsm-key-store";
import type { JsonObject, JsonValue } from "@cmk-stacks/plan-guard";
import { classifyPlans, type GuardResult } from "@cmk-stacks/plan-guard";
import {
  findTerraform,
  init,
  modulePlan,
  prepareScratch,
  showJson,
  terraform,
  writeCombinedRoot,
  type TerraformState,
} from "../../../tools/terraform/offline";
import { fixture } from "../../hooks/helpers";
import { NETWORK, testStack } from "./stack";

type Json = {
  resource: Record<string, Record<string, Record<string, unknown>>>;
  [k: string]: unknown;
};
const found = findTerraform();
const skip = process.env.CMK_SKIP_TERRAFORM ? "CMK_SKIP_TERRAFORM is set" : found.ok ? undefined : found.reason;
const t = skip ? test.skip : test;
if (skip) console.warn(`SKIPPED the restored cluster plan test: ${skip}`);

const OLD = "cluster-originalabcd";
const RESTORED: RestoredCluster = {
  clusterId: "cluster-restoredabcd",
  backupId: "backup-newestreadya",
  hsmIds: ["hsm-restoredhsmaa", "hsm-restoredhsmbb"],
};
const AZS = ["eu-west-1a", "eu-west-1b"];

function build(restored?: RestoredCluster): Json {
  const stack = testStack("local");
  const hsm = new HsmCluster(stack, "hsm", { network: NETWORK, hsmAzs: AZS, restored });
  hsm.addRemainingHsms([]);
  new CloudHsmKeyStore(stack, "key-store", {
    name: "t-cloudhsm",
    clusterId: hsm.clusterId,
    trustAnchorPem: fixture("trust-anchor.pem"),
    kmsuserSecretArn: "arn:aws:secretsmanager:eu-west-1:111111111111:secret:t/cloudhsm/kmsuser-password-AbCdEf",
  });
  const json = JSON.parse(Testing.synth(stack)) as Json;
  // Only the cluster, its HSMs and the store are planned (the hook is a terraform_data of its own).
  delete json.resource.terraform_data;
  return json;
}

const instance = (
  type: string,
  name: string,
  attributes: Record<string, JsonValue>,
): TerraformState["resources"][number] => ({
  mode: "managed" as const,
  type,
  name,
  provider: 'provider["registry.terraform.io/hashicorp/aws"]',
  instances: [{ schema_version: 0, attributes, sensitive_attributes: [] }],
});

/** The state after the step and the imports: the lost cluster's resources still in it, the restored ones too, the store on the restored cluster. */
function stateFor(original: Json, restored: Json): TerraformState {
  const names = (json: Json, type: string) => Object.keys(json.resource[type] ?? {});
  const [oldCluster] = names(original, "aws_cloudhsm_v2_cluster");
  const [newCluster] = names(restored, "aws_cloudhsm_v2_cluster");
  const cluster = (id: string, backup: string | null): Record<string, JsonValue> => ({
    id,
    cluster_id: id,
    cluster_state: "ACTIVE",
    hsm_type: "hsm2m.medium",
    mode: "FIPS",
    source_backup_identifier: backup,
    subnet_ids: ["subnet-0000000000000000a", "subnet-0000000000000000b"],
    security_group_id: "sg-0123456789abcdef0",
    vpc_id: NETWORK.vpcId,
    tags: { Name: "t-cloudhsm" },
    tags_all: { Name: "t-cloudhsm" },
    cluster_certificates: [],
  });
  const hsm = (id: string, clusterId: string, az: string): Record<string, JsonValue> => ({
    id,
    hsm_id: id,
    cluster_id: clusterId,
    subnet_id: NETWORK.subnetIdByAz[az],
    availability_zone: az,
    ip_address: "10.30.0.10",
    hsm_eni_id: "eni-0123456789abcdef0",
    hsm_state: "ACTIVE",
  });
  const [store] = names(restored, "aws_kms_custom_key_store");
  return {
    version: 4,
    terraform_version: found.ok ? found.version : "1.11.0",
    serial: 1,
    lineage: "00000000-0000-4000-8000-000000000021",
    outputs: {},
    resources: [
      instance("aws_cloudhsm_v2_cluster", oldCluster, cluster(OLD, null)),
      ...names(original, "aws_cloudhsm_v2_hsm").map((n, i) =>
        instance("aws_cloudhsm_v2_hsm", n, hsm(`hsm-originalhsm${"ab"[i]}${"ab"[i]}`, OLD, AZS[i])),
      ),
      instance("aws_cloudhsm_v2_cluster", newCluster, cluster(RESTORED.clusterId, RESTORED.backupId)),
      ...names(restored, "aws_cloudhsm_v2_hsm").map((n, i) =>
        instance("aws_cloudhsm_v2_hsm", n, hsm(RESTORED.hsmIds[i], RESTORED.clusterId, AZS[i])),
      ),
      instance("aws_kms_custom_key_store", store, {
        id: "cks-1234567890abcdef0",
        cloud_hsm_cluster_id: RESTORED.clusterId,
        custom_key_store_name: "t-cloudhsm",
        custom_key_store_type: "AWS_CLOUDHSM",
        key_store_password: "x",
        trust_anchor_certificate: fixture("trust-anchor.pem"),
        xks_proxy_authentication_credential: [],
        xks_proxy_connectivity: "",
        xks_proxy_uri_endpoint: "",
        xks_proxy_uri_path: "",
        xks_proxy_vpc_endpoint_service_name: "",
      }),
    ],
    check_results: null,
  };
}

interface Planned {
  changes: string[][];
  errors: string[];
  guard: GuardResult;
}

/**
 * Plans each configuration against `state` in ONE Terraform run (tools/terraform/combine.ts: each
 * a child module of a scratch root, the state merged under the module addresses), so one init, one
 * plan and one show serve every case: each Terraform process pays the AWS provider's schema load.
 * Each case's planned changes, errors and plan guard result read back as if planned alone.
 */
async function planned(
  cases: Record<string, Json>,
  state: TerraformState,
): Promise<{ unattributed: unknown[]; cases: Record<string, Planned> }> {
  const dir = mkdtempSync(join(tmpdir(), "restored-plan-"));
  try {
    // Terraform takes `import` blocks in the root module only: each case's are lifted into the
    // root, their targets under the case's module address (the same imports, as a root calling
    // that configuration as a module would write them).
    const imports: JsonValue[] = [];
    const configs = Object.entries(cases).map(([name, json]) => {
      const p = prepareScratch(json, join(dir, "cases", name));
      const { import: own, ...config } = JSON.parse(readFileSync(p.configFile, "utf8")) as JsonObject;
      for (const i of (own ?? []) as { to: string; id: string }[]) imports.push({ ...i, to: `module.${name}.${i.to}` });
      return { name, config };
    });
    const initialised = join(dir, "cases", configs[0].name);
    await init(initialised);
    const root = join(dir, "root");
    const stateFile = writeCombinedRoot(
      root,
      initialised,
      configs.map((c) => ({ ...c, state })),
    );
    writeFileSync(join(root, "imports.tf.json"), JSON.stringify({ import: imports }));
    const run = await terraform(
      root,
      [
        "plan",
        "-input=false",
        "-no-color",
        "-lock=false",
        "-refresh=false",
        "-json",
        `-state=${stateFile}`,
        "-out=p.bin",
      ],
      { timeoutMs: 540_000 },
    );
    // The plan guard on the same plan, as `terraform show -json` writes it.
    const plan = await showJson(root, "p.bin");
    const messages = run.stdout
      .split("\n")
      .filter(Boolean)
      .map(
        (l) =>
          JSON.parse(l) as {
            type: string;
            "@level"?: string;
            "@message"?: string;
            diagnostic?: { address?: string; range?: { filename?: string } };
            change?: { resource: { addr: string; module: string }; action: string };
          },
      );
    // An error belongs to a case by the resource address it names or the file it points at.
    const errors = messages
      .filter((m) => m.type === "diagnostic" && m["@level"] === "error")
      .map((m) => ({
        address: m.diagnostic?.address ?? "",
        file: m.diagnostic?.range?.filename ?? "",
        message: m["@message"] ?? "",
      }));
    const inCase = (e: (typeof errors)[number], name: string) =>
      e.address.startsWith(`module.${name}.`) || e.file.startsWith(`${name}/`);
    const byCase = Object.fromEntries(
      configs.map(({ name }) => {
        const prefix = `module.${name}.`;
        return [
          name,
          {
            errors: errors.filter((e) => inCase(e, name)).map((e) => e.message),
            changes: messages
              .filter((m) => m.type === "planned_change" && m.change?.resource.addr.startsWith(prefix))
              .map((m) => [m.change?.resource.addr.slice(prefix.length) ?? "", m.change?.action ?? ""])
              .sort(),
            guard: classifyPlans([{ stack: "t-keys", plan: modulePlan(plan, name) }]),
          },
        ];
      }),
    );
    return { unattributed: errors.filter((e) => configs.every((c) => !inCase(e, c.name))), cases: byCase };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

t(
  "cloudHsm.restored: the lost cluster and HSMs forgotten, nothing replaced; without source_backup_identifier the cluster would be replaced",
  async () => {
    const original = build();
    const restored = build(RESTORED);
    const state = stateFor(original, restored);
    const control = JSON.parse(JSON.stringify(restored)) as Json;
    for (const c of Object.values(control.resource.aws_cloudhsm_v2_cluster)) delete c.source_backup_identifier;
    // The restored configuration and the control, planned together against the same state.
    const both = await planned({ restored, control }, state);
    const result = both.cases.restored;
    expect(result.errors).toEqual([]);
    expect(both.unattributed).toEqual([]);
    const forgotten = [
      ...Object.keys(original.resource.aws_cloudhsm_v2_cluster).map((n) => `aws_cloudhsm_v2_cluster.${n}`),
      ...Object.keys(original.resource.aws_cloudhsm_v2_hsm).map((n) => `aws_cloudhsm_v2_hsm.${n}`),
    ];
    const ours = result.changes.filter(([addr]) => /^aws_(cloudhsm_v2_|kms_custom_key_store)/.test(addr));
    // Forgotten (Terraform's JSON says "remove"), never destroyed; the store (its cluster id changed
    // by the step) plans nothing; the restored cluster at most an in-place tag update.
    expect(ours.filter(([, a]) => a === "remove").map(([addr]) => addr)).toEqual([...forgotten].sort());
    expect(ours.filter(([, a]) => a !== "remove")).toEqual([
      ["aws_cloudhsm_v2_cluster.hsm_cluster-cluster-restoredabcd_E3AAB3D9", "update"],
    ]);

    // The guard: nothing blocked; the forgets shown as the restore's.
    expect(result.guard.blocked.map((f) => [f.address, f.rule])).toEqual([]);
    expect(
      result.guard.risky
        .filter((f) => f.rule === "cloudhsm-restore" && f.action === "forget")
        .map((f) => f.address)
        .sort(),
    ).toEqual([...forgotten].sort());

    const replaced = both.cases.control;
    expect(
      replaced.changes.filter(([addr]) => addr.startsWith("aws_cloudhsm_v2_cluster.")).map(([, a]) => a),
    ).toContain("replace");
    // (refused by its prevent_destroy, the plan's only errors)
    expect(new Set(replaced.errors)).toEqual(new Set(["Error: Instance cannot be destroyed"]));
    // ...which the guard blocks, naming the restore command.
    const blocked = replaced.guard.blocked.find(
      (f) => f.address.includes("cluster-restoredabcd") && f.action === "replace",
    );
    expect(blocked?.fix).toMatch(/^never replace a cluster: .*npm run restore -- <env>/);
  },
  900_000,
);
