/**
 * The plan guard on plans produced by the REAL Terraform CLI and AWS provider, offline, for the
 * shipped `prod` environment: its first plans (made once by the jest global setup) are turned into
 * a state ("as if applied"), the configuration is changed, and Terraform plans again with
 * `-refresh=false`. Skipped, with the reason in the test names, where Terraform is missing.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  findTerraform,
  modulePlan,
  plan,
  providerSchemas,
  showJson,
  stateFromPlan,
  writeCombinedRoot,
  type CombinedCase,
  type ProviderSchemasJson,
  type TerraformState,
} from "../../../tools/terraform/offline";
import {
  classifyPlans,
  describeChange,
  type GuardResult,
  type JsonObject,
  type PlanJson,
} from "@cmk-stacks/plan-guard";
import { checkPlanJson } from "../../../packages/plan-guard/read";
import { offlineRun, offlineSkipReason, type OfflineRun } from "../../helpers/offline";

const skipped = offlineSkipReason();
const t = skipped ? test.skip : test;
const why = skipped ? ` (SKIPPED: ${skipped})` : "";
let run: OfflineRun;

type Block = Record<string, unknown>;
interface Config {
  resource: Record<string, Record<string, Block>>;
  output?: Record<string, Block>;
  removed?: Block[];
}

const work = mkdtempSync(join(tmpdir(), "cmk-guard-real-"));
afterAll(() => {
  if (!process.env.CMK_KEEP_WORK) rmSync(work, { recursive: true, force: true });
});

/** The one resource of `type` whose name starts with `prefix` (construct ids carry a hash suffix). */
function named(c: Config, type: string, prefix: string): string {
  const names = Object.keys(c.resource[type] ?? {}).filter((n) => n.startsWith(prefix));
  if (names.length !== 1) throw new Error(`expected one ${type} named ${prefix}*, found ${names.join(", ") || "none"}`);
  return names[0];
}

/**
 * Removes a resource block as a user deleting it would: `depends_on` entries naming it go too, and
 * with `cascade` so does every resource or output of the stack that interpolates it (an alias,
 * a cross-stack output).
 */
function removeResource(c: Config, type: string, name: string, cascade: boolean): void {
  delete c.resource[type][name];
  const address = `${type}.${name}`;
  for (const byName of Object.values(c.resource)) {
    for (const block of Object.values(byName)) {
      if (Array.isArray(block.depends_on))
        block.depends_on = (block.depends_on as string[]).filter((d) => d !== address);
    }
  }
  if (!cascade) return;
  for (const [t2, byName] of Object.entries(c.resource)) {
    for (const [n2, block] of Object.entries(byName))
      if (JSON.stringify(block).includes(`\${${address}.`)) removeResource(c, t2, n2, true);
  }
  for (const [o, block] of Object.entries(c.output ?? {}))
    if (JSON.stringify(block).includes(`\${${address}.`)) delete c.output?.[o];
}

/**
 * The key-bearing core of prod-keys: network, CloudHSM cluster and HSMs, the CloudHSM key store,
 * keys and aliases (bootstrap hooks, Lambda and XKS plumbing dropped, with anything that refers to
 * them). Their unknown-at-plan values (maps of hook triggers, nested subnet mappings) cannot be
 * rebuilt into a faithful state from a plan, and they are not what the guard is about.
 */
const CORE_TYPES = new Set([
  "aws_vpc",
  "aws_subnet",
  "aws_cloudhsm_v2_cluster",
  "aws_cloudhsm_v2_hsm",
  "aws_kms_custom_key_store",
  "aws_kms_key",
  "aws_kms_alias",
  "aws_secretsmanager_secret",
]);
function keysCore(c: Config): void {
  // Offline, the kmsuser password's data source read is deferred, so every plan would show the
  // store's password as "known after apply". Online it reads the same secret each time: model
  // that with one fixed stand-in value (not a credential).
  for (const store of Object.values(c.resource.aws_kms_custom_key_store ?? {})) {
    // sensitive(), as the secret version's value is: Terraform tracks the mark in state too.
    if (store.key_store_password !== undefined) store.key_store_password = '${sensitive("offlineStandIn1")}';
  }
  for (const type of Object.keys(c.resource))
    if (!CORE_TYPES.has(type) && type !== "terraform_data") delete c.resource[type];
  delete c.output;
  const kept = new Set(
    Object.entries(c.resource).flatMap(([t, byName]) => Object.keys(byName).map((n) => `${t}.${n}`)),
  );
  const data = (c as unknown as { data?: Record<string, Record<string, Block>> }).data ?? {};
  for (const byName of [...Object.values(c.resource), ...Object.values(data)]) {
    for (const block of Object.values(byName)) {
      if (Array.isArray(block.depends_on))
        block.depends_on = (block.depends_on as string[]).filter((d) => kept.has(d) || d.startsWith("terraform_data."));
    }
  }
  for (const [type, byName] of Object.entries(c.resource)) {
    for (const [name, block] of Object.entries(byName)) {
      const refs = [...JSON.stringify(block).matchAll(/\$\{(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)\./g)].map(
        (m) => `${m[1]}.${m[2]}`,
      );
      if (refs.some((r) => !kept.has(r)) && c.resource[type]?.[name]) removeResource(c, type, name, true);
    }
  }
}

/** The schemas, read once: both stacks' baselines start together and must not each read them. */
let schemas: Promise<ProviderSchemasJson> | undefined;

/** The committed subset (test/fixtures/make-aws-schemas.js), for the mirror's 5.100.0. */
const schemaFixture = (): ProviderSchemasJson =>
  JSON.parse(
    readFileSync(join(__dirname, "..", "..", "fixtures", "aws-5.100.0-schemas.json"), "utf8"),
  ) as ProviderSchemasJson;

/**
 * The resource and data source types of a plan the committed subset lacks (terraform_data is
 * Terraform's own). A data read deferred to apply is a resource change of mode "data": its type is
 * looked up among the data sources.
 */
function uncovered(fixture: ProviderSchemasJson, planJson: PlanJson): string[] {
  const aws = fixture.provider_schemas?.["registry.terraform.io/hashicorp/aws"];
  const known = (mode: string | undefined) =>
    (mode === "data" ? aws?.data_source_schemas : aws?.resource_schemas) ?? ({} as Record<string, unknown>);
  return [
    ...new Set(
      (planJson.resource_changes ?? [])
        .filter((r) => r.type !== "terraform_data" && known(r.mode)[r.type] === undefined)
        .map((r) => `${r.mode === "data" ? "data." : ""}${r.type}`),
    ),
  ].sort();
}

/**
 * The AWS provider's schemas of the plan's resource types: from the committed subset for the
 * mirror's 5.100.0 (test/fixtures/make-aws-schemas.js; reading all 13 MB from the provider costs
 * ~4 s of CPU), from the provider itself for any other version or a type the subset lacks.
 */
async function awsSchemas(dir: string, planJson: PlanJson): Promise<ProviderSchemasJson> {
  const found = findTerraform();
  const fixture = schemaFixture();
  const covered = uncovered(fixture, planJson).length === 0;
  if (found.ok && found.providers["registry.terraform.io/hashicorp/aws"] === "5.100.0" && covered) return fixture;
  return providerSchemas(dir);
}

/**
 * Plans a changed copy of a stack against the state its first plan would have applied. `core`
 * narrows prod-keys to its key-bearing core first (planned once more as the "applied" baseline).
 */
const baselines = new Map<string, Promise<{ original: Config; state: object }>>();

/** The configuration a change starts from and the state "as if applied" (memoised per stack). */
function baseline(stack: string, core: boolean): Promise<{ original: Config; state: object }> {
  const key = `${stack}:${core}`;
  let p = baselines.get(key);
  if (!p) {
    p = (async () => {
      const original = JSON.parse(readFileSync(join(run.stacks[stack].dir, "cdk.tf.json"), "utf8")) as Config;
      if (core) keysCore(original);
      // Typed placeholders for values unknown at plan time need the provider's schema.
      schemas ??= awsSchemas(run.stacks[stack].dir, run.plan(stack));
      const state = stateFromPlan(run.plan(stack), { schemas: await schemas });
      if (core) {
        // The applied state of the core: the same resources, and the stand-in password keysCore set.
        const kept = new Set(
          Object.entries(original.resource).flatMap(([t, byName]) => Object.keys(byName).map((n) => `${t}.${n}`)),
        );
        state.resources = state.resources.filter((r) => kept.has(`${r.type}.${r.name}`));
        for (const r of state.resources) {
          if (r.type === "aws_kms_custom_key_store")
            for (const i of r.instances)
              if (i.attributes.key_store_password !== undefined) i.attributes.key_store_password = "offlineStandIn1";
        }
      }
      return { original, state };
    })();
    baselines.set(key, p);
  }
  return p;
}

/** A changed copy of a stack, to plan against the state its first plan would have applied. */
async function changed(stack: string, change: (c: Config) => void, label: string, core = false): Promise<CombinedCase> {
  const { original, state } = await baseline(stack, core);
  const config = structuredClone(original);
  // Terraform itself refuses to plan the destruction of a resource that still has
  // prevent_destroy; the cases the guard exists for are those where it no longer does (block
  // removed, \`removed\` block, or the lifecycle edited away in the same change). Model the latter.
  for (const byName of Object.values(config.resource)) {
    for (const block of Object.values(byName)) {
      const lifecycle = block.lifecycle as { prevent_destroy?: boolean } | undefined;
      if (lifecycle) delete lifecycle.prevent_destroy;
    }
  }
  change(config);
  return { name: label, config: config as unknown as JsonObject, state: state as TerraformState };
}

/**
 * Plans all cases in ONE Terraform run, each as a child module of a scratch root, and returns each
 * module's part of `terraform show -json` as if planned alone (tools/terraform/combine.ts): one
 * provider-schema load instead of one per case, which is most of an offline plan's cost.
 */
async function planTogether(cases: CombinedCase[]): Promise<Record<string, PlanJson>> {
  const dir = join(work, "combined");
  const stateFile = writeCombinedRoot(dir, run.stacks["prod-keys"].dir, cases);
  await plan(dir, { out: "p.tfplan", ...(stateFile ? { stateFile } : {}) });
  const combined = await showJson(dir, "p.tfplan");
  return Object.fromEntries(cases.map((c) => [c.name, modulePlan(combined, c.name)]));
}

const decisions = (r: GuardResult) => r.blocked.map((f) => `${f.address} ${f.action} ${f.rule}`);

describe(`plan guard on real plans of the shipped prod environment${why}`, () => {
  let keys: GuardResult;
  let harmless: GuardResult;
  let harmlessPlan: PlanJson;
  let fsx: GuardResult;
  let forgetKey: GuardResult;
  let sharing: GuardResult;
  let sharingPlan: PlanJson;
  let policyPlan: PlanJson;

  beforeAll(async () => {
    if (skipped) return;
    run = await offlineRun(["prod-keys", "prod-data"]);
    // The changed configurations are planned by one Terraform run (planTogether); the guard
    // judges each change on its own, and each destructive one is asserted by address below.
    const plans = await planTogether(
      await Promise.all([
        changed(
          "prod-keys",
          (c) => {
            // remove a key (its alias goes with it)
            removeResource(c, "aws_kms_key", named(c, "aws_kms_key", "key-volumes_key"), true);
            // change a key's store: the CloudHSM-store key moved to AWS KMS
            delete c.resource.aws_kms_key[named(c, "aws_kms_key", "key-fileShares_key")].custom_key_store_id;
            // change the CloudHSM key store's trust anchor, with its ignore_changes lifted
            const store =
              c.resource.aws_kms_custom_key_store[named(c, "aws_kms_custom_key_store", "cloudhsm_key-store")];
            store.trust_anchor_certificate = "-----BEGIN CERTIFICATE-----\nMIIBnewanchor\n-----END CERTIFICATE-----\n";
            store.lifecycle = {};
            // drop an HSM (3 -> 2)
            removeResource(c, "aws_cloudhsm_v2_hsm", named(c, "aws_cloudhsm_v2_hsm", "cloudhsm_hsm-eu-west-1c"), false);
            // and stop managing another with a removed block (a forget: Terraform keeps it, no one manages it)
            const hsmB = named(c, "aws_cloudhsm_v2_hsm", "cloudhsm_hsm-eu-west-1b");
            removeResource(c, "aws_cloudhsm_v2_hsm", hsmB, false);
            c.removed = [{ from: `aws_cloudhsm_v2_hsm.${hsmB}`, lifecycle: { destroy: false } }];
            // the cluster's hsm_type differs from the state (AWS migrated it), with its ignore_changes lifted
            const cluster = c.resource.aws_cloudhsm_v2_cluster[named(c, "aws_cloudhsm_v2_cluster", "cloudhsm_cluster")];
            cluster.hsm_type = "hsm1.medium";
            delete cluster.mode;
            cluster.lifecycle = {};
          },
          "destructive",
          true,
        ),
        changed(
          "prod-keys",
          (c) => {
            // forget a key with a removed block (its alias goes with it): a module of its own, since
            // the destructive case already deletes this key
            const volumes = named(c, "aws_kms_key", "key-volumes_key");
            removeResource(c, "aws_kms_key", volumes, true);
            c.removed = [{ from: `aws_kms_key.${volumes}`, lifecycle: { destroy: false } }];
          },
          "forget-key",
          true,
        ),
        changed(
          "prod-keys",
          (c) => {
            c.resource.aws_vpc[named(c, "aws_vpc", "network_vpc")].tags = { Name: "prod-keys", Owner: "platform" };
            // as shipped, the key store ignores trust-anchor edits, which would otherwise replace it
            c.resource.aws_kms_custom_key_store[
              named(c, "aws_kms_custom_key_store", "cloudhsm_key-store")
            ].trust_anchor_certificate = "-----BEGIN CERTIFICATE-----\nMIIBother\n-----END CERTIFICATE-----\n";
            // as shipped, the cluster ignores hsm_type: a configuration still on hsm1.medium after AWS's
            // migration to hsm2m.medium (the state) plans nothing, where the provider would replace the cluster
            const cluster = c.resource.aws_cloudhsm_v2_cluster[named(c, "aws_cloudhsm_v2_cluster", "cloudhsm_cluster")];
            cluster.hsm_type = "hsm1.medium";
            delete cluster.mode;
          },
          "harmless",
          true,
        ),
        changed(
          "prod-keys",
          (c) => {
            // Rights on keys given three ways: a grant to another account's role (for_each), a key
            // policy statement open to everyone through S3 (kms:ViaService alone), one open to an
            // undeclared organization; and a grant to the key's own account (not blocked).
            const key = (prefix: string) => c.resource.aws_kms_key[named(c, "aws_kms_key", prefix)];
            const add = (prefix: string, statement: object) => {
              const doc = JSON.parse(String(key(prefix).policy)) as { Statement: object[] };
              doc.Statement.push(statement);
              key(prefix).policy = JSON.stringify(doc);
            };
            add("key-volumes_key", {
              Sid: "ThroughS3",
              Effect: "Allow",
              Principal: "*",
              Action: "kms:Decrypt",
              Resource: "*",
              Condition: { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } },
            });
            add("key-fileShares_key", {
              Sid: "Group",
              Effect: "Allow",
              Principal: { AWS: "*" },
              Action: ["kms:Decrypt"],
              Resource: "*",
              Condition: { StringEquals: { "AWS:PrincipalOrgID": "o-abc123def4" } },
            });
            const volumes = named(c, "aws_kms_key", "key-volumes_key");
            c.resource.aws_kms_grant = {
              share: {
                for_each: { reader: "arn:aws:iam::444455556666:role/reader" },
                name: "share-${each.key}",
                key_id: `\${aws_kms_key.${volumes}.key_id}`,
                grantee_principal: "${each.value}",
                operations: ["Decrypt", "DescribeKey"],
              },
              own: {
                name: "own",
                key_id: `\${aws_kms_key.${volumes}.arn}`,
                grantee_principal: "arn:aws:iam::333333333333:role/app",
                operations: ["Decrypt"],
              },
            };
          },
          "sharing",
          true,
        ),
        changed(
          "prod-data",
          (c) => {
            const fs = c.resource.aws_fsx_ontap_file_system[named(c, "aws_fsx_ontap_file_system", "fsx_fs")];
            fs.kms_key_id = String(fs.kms_key_id).replace(
              /key-fileShares_key_242034BFarn/,
              "key-volumes_key_58DAD119arn",
            );
          },
          "fsx-key",
        ),
        changed(
          "prod-keys",
          (c) => {
            // key policies gain a statement each: the volumes key for another account, the file-shares key for a role of its own
            const grant = (key: string, principal: string) => {
              const block = c.resource.aws_kms_key[named(c, "aws_kms_key", key)];
              const doc = JSON.parse(block.policy as string) as { Statement: object[] };
              doc.Statement.push({
                Sid: "ReadViaS3",
                Effect: "Allow",
                Principal: { AWS: principal },
                Action: "kms:Decrypt",
                Resource: "*",
                Condition: { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } },
              });
              block.policy = JSON.stringify(doc);
            };
            grant("key-volumes_key", "arn:aws:iam::555555555555:root");
            grant("key-fileShares_key", "arn:aws:iam::333333333333:role/Reporting");
          },
          "policy",
          true,
        ),
      ]),
    );
    policyPlan = plans.policy;
    fsx = classifyPlans([{ stack: "prod-data", plan: plans["fsx-key"] }]);
    sharingPlan = plans.sharing;
    sharing = classifyPlans([{ stack: "prod-keys", plan: sharingPlan }]);
    keys = classifyPlans([{ stack: "prod-keys", plan: plans.destructive }]);
    forgetKey = classifyPlans([{ stack: "prod-keys", plan: plans["forget-key"] }]);
    harmlessPlan = plans.harmless;
    harmless = classifyPlans([{ stack: "prod-keys", plan: harmlessPlan }]);
  }, 300_000);

  t(
    "rights given by a grant to another account, a ViaService-only statement and an undeclared organization are blocked",
    () => {
      expect(sharing.blocked.map((f) => `${f.address} ${f.action} ${f.rule}`).sort()).toEqual([
        'aws_kms_grant.share["reader"] create key-grant-cross-account',
        "aws_kms_key.key-fileShares_key_242034BF update key-policy-cross-organization",
        "aws_kms_key.key-volumes_key_58DAD119 update key-policy-public",
      ]);
      expect(sharing.blocked.find((f) => f.rule === "key-grant-cross-account")?.why).toMatch(
        /^the grant gives arn:aws:iam::444455556666:role\/reader, a principal of another account, as grantee: Decrypt, DescribeKey on arn:aws:kms:eu-west-1:333333333333:key\/\S+ \(the key belongs to 333333333333\)/,
      );
      expect(sharing.risky.map((f) => `${f.address} ${f.rule}`)).toEqual(["aws_kms_grant.own key-resource-change"]);
      // Real plans do not contradict themselves: the reader's consistency checks find nothing.
      for (const p of [sharingPlan, harmlessPlan, run.plan("prod-keys"), run.plan("prod-data")])
        expect(checkPlanJson(structuredClone(p), "p.json").problems).toEqual([]);
    },
  );

  t(
    "the committed AWS schema subset covers every resource type of prod's plans (else every run reads the provider's 13 MB schema)",
    () => {
      // A stack that gains a resource type needs the subset regenerated: `node test/fixtures/make-aws-schemas.js`
      // with the offline run's plans (its header says how). Without it the tests still pass, ~4 s of CPU slower.
      const fixture = schemaFixture();
      expect(["prod-keys", "prod-data"].map((s) => [s, uncovered(fixture, run.plan(s))])).toEqual([
        ["prod-keys", []],
        ["prod-data", []],
      ]);
    },
  );

  t("removing a key is blocked as a delete", () => {
    expect(decisions(keys)).toContain("aws_kms_key.key-volumes_key_58DAD119 delete destroy-key-bearing");
  });

  t("changing a key's store is blocked as a replacement", () => {
    expect(decisions(keys)).toContain("aws_kms_key.key-fileShares_key_242034BF replace destroy-key-bearing");
    expect(keys.blocked.find((f) => f.address.startsWith("aws_kms_key.key-fileShares"))?.why).toContain(
      "forced by custom_key_store_id",
    );
  });

  t("changing a key store's trust anchor is blocked as a replacement", () => {
    expect(decisions(keys)).toContain(
      "aws_kms_custom_key_store.cloudhsm_key-store_96BAF9D0 replace destroy-key-bearing",
    );
  });

  t("dropping an HSM is blocked", () => {
    expect(decisions(keys)).toContain(
      "aws_cloudhsm_v2_hsm.cloudhsm_hsm-eu-west-1c-1_41A9E378 delete destroy-key-bearing",
    );
    expect(keys.exitCode).toBe(1);
  });

  t("a removed block is blocked as a forget (a key, and an HSM)", () => {
    expect(decisions(forgetKey)).toContain("aws_kms_key.key-volumes_key_58DAD119 forget destroy-key-bearing");
    expect(forgetKey.exitCode).toBe(1);
    expect(decisions(keys)).toContain(
      "aws_cloudhsm_v2_hsm.cloudhsm_hsm-eu-west-1b-1_AD48B983 forget destroy-key-bearing",
    );
  });

  t(
    "a cluster whose hsm_type differs from the state, without ignore_changes, is a replacement the guard explains",
    () => {
      expect(decisions(keys)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            /^aws_cloudhsm_v2_cluster\.cloudhsm_cluster_[0-9A-F]{8} replace cloudhsm-hsm-type-replace$/,
          ),
          expect.stringMatching(/^aws_cloudhsm_v2_cluster\.cloudhsm_cluster_[0-9A-F]{8} replace destroy-key-bearing$/),
        ]),
      );
      expect(keys.blocked.find((f) => f.rule === "cloudhsm-hsm-type-replace")?.fix).toMatch(
        /^AWS already migrated this cluster to hsm2m.medium/,
      );
    },
  );

  t("a harmless tag change passes, and as shipped a trust-anchor or hsm_type edit plans nothing", () => {
    expect(decisions(harmless)).toEqual([]);
    expect(harmless.exitCode).toBe(0);
    expect(harmless.blocked).toEqual([]);
    const changes = (harmlessPlan.resource_changes ?? [])
      .filter(
        (c) =>
          c.change.actions.join() !== "no-op" &&
          c.change.actions.join() !== "read" &&
          c.address !== "terraform_data.offline_deferred_reads",
      )
      .map((c) => `${c.address} ${c.change.actions.join("+")}`);
    expect(changes).toEqual(["aws_vpc.network_vpc_4E8F0223 update"]);
  });

  t("changing the FSx file system's key is blocked as a replacement", () => {
    expect(decisions(fsx)).toEqual(["aws_fsx_ontap_file_system.fsx_fs_2424E0B6 replace destroy-key-bearing"]);
    expect(fsx.blocked[0].why).toContain("(forced by kms_key_id)");
  });

  t("a harmless tag change is shown as its value and is not RISKY", () => {
    const vpc = (harmlessPlan.resource_changes ?? []).find((c) => c.address === "aws_vpc.network_vpc_4E8F0223");
    expect(vpc && describeChange(vpc)).toEqual(['tags.Owner: null → "platform"']);
    expect(harmless.risky).toEqual([]);
  });

  t(
    "a key-policy update planned by Terraform reads as the right gained: blocked for another account, RISKY for a role of the key's own",
    () => {
      const change = (prefix: string) =>
        (policyPlan.resource_changes ?? []).find((c) => c.address.startsWith(prefix)) as NonNullable<
          PlanJson["resource_changes"]
        >[number];
      expect(change("aws_kms_key.key-volumes_key").change.actions).toEqual(["update"]);
      expect(describeChange(change("aws_kms_key.key-volumes_key"))).toEqual([
        "policy: arn:aws:iam::555555555555:root gained kms:Decrypt (when kms:ViaService = s3.eu-west-1.amazonaws.com)",
      ]);
      expect(describeChange(change("aws_kms_key.key-fileShares_key"))).toEqual([
        "policy: arn:aws:iam::333333333333:role/Reporting gained kms:Decrypt (when kms:ViaService = s3.eu-west-1.amazonaws.com)",
      ]);
      const r = classifyPlans([{ stack: "prod-keys", plan: policyPlan }], undefined, { withoutGraph: true });
      expect(r.blocked.map((f) => `${f.address} ${f.rule}`)).toEqual([
        "aws_kms_key.key-volumes_key_58DAD119 key-policy-cross-account",
      ]);
      expect(r.risky.map((f) => [f.address, f.rule, f.why])).toEqual([
        [
          "aws_kms_key.key-fileShares_key_242034BF",
          "key-resource-change",
          "policy: arn:aws:iam::333333333333:role/Reporting gained kms:Decrypt (when kms:ViaService = s3.eu-west-1.amazonaws.com)",
        ],
      ]);
    },
  );
});
