/**
 * Turns a synthesized CDKTF stack (`cdk.tf.json`) into a copy Terraform can init, validate and
 * plan offline: no backend, the mirrored provider version, dummy credentials, and remote state
 * read from local files written next to it.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { findTerraform, type TerraformFound } from "./find";
import { isObject, type JsonObject, type JsonValue } from "@cmk-stacks/plan-guard";
import { outputsState } from "./state";

/** File names the harness writes into a scratch directory. */
export const SCRATCH_FILES = { config: "cdk.tf.json", cliConfig: "terraform-cli.tfrc" } as const;

/** Options of {@link prepareScratch}. */
export interface PrepareScratchOptions {
  /** Outputs each cross-stack `terraform_remote_state` reads, by origin stack name. Missing stacks read an empty state. */
  readonly remoteStates?: Record<string, Record<string, unknown>>;
  /** Terraform and mirror to use; default {@link findTerraform}(). */
  readonly terraform?: TerraformFound;
  /**
   * Defer every AWS data source that calls an API to apply (offline plans: there is no API).
   * False against an emulator, which answers the reads (a deferred read would make every plan
   * non-empty). @default true
   */
  readonly deferDataReads?: boolean;
}

/** What {@link prepareScratch} wrote. */
export interface PreparedScratch {
  readonly dir: string;
  /** The rewritten stack configuration. */
  readonly configFile: string;
  /** The CLI configuration that points Terraform at the mirror (see {@link terraformEnv}). */
  readonly cliConfigFile: string;
  /** State file written for each remote state data source, by its origin stack name. */
  readonly remoteStateFiles: Record<string, string>;
  /** Provider sources the configuration needs that the mirror does not hold (init will fail). */
  readonly missingProviders: string[];
  /** AWS data sources whose read was deferred to apply (see {@link deferAwsDataReads}). */
  readonly deferredDataSources: string[];
}

/** Provider settings that would reach AWS or pin a real account: dropped in the scratch copy. */
const NETWORK_PROVIDER_SETTINGS = [
  "profile",
  "shared_config_files",
  "shared_credentials_files",
  "token",
  "assume_role",
  "assume_role_with_web_identity",
  "allowed_account_ids",
  "forbidden_account_ids",
];

/** Full provider source address ("aws" and "hashicorp/aws" mean registry.terraform.io/hashicorp/aws). */
export function normalizeSource(source: string): string {
  const parts = source.split("/");
  if (parts.length === 1) return `registry.terraform.io/hashicorp/${parts[0]}`;
  if (parts.length === 2) return `registry.terraform.io/${parts[0]}/${parts[1]}`;
  return source;
}

/** The CLI configuration that installs providers from the mirror only, never from a registry. */
export function cliConfigText(mirror: string): string {
  return [
    "provider_installation {",
    "  filesystem_mirror {",
    `    path    = ${JSON.stringify(mirror)}`,
    '    include = ["registry.terraform.io/*/*"]',
    "  }",
    "  direct {",
    '    exclude = ["registry.terraform.io/*/*"]',
    "  }",
    "}",
    "",
  ].join("\n");
}

/** Writes the CLI configuration into `dir` and returns its path. */
export function writeCliConfig(dir: string, mirror: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, SCRATCH_FILES.cliConfig);
  writeFileSync(file, cliConfigText(mirror));
  return file;
}

/** `name -> block` or `[block]` (both are valid Terraform JSON) as a list of blocks. */
function blocks(v: JsonValue | undefined): JsonObject[] {
  if (Array.isArray(v)) return v.filter(isObject);
  return isObject(v) ? [v] : [];
}

/** Origin stack of a CDKTF cross-stack data source (`cross-stack-reference-input-<stack>`), else its own name. */
export function remoteStackName(dataSourceName: string): string {
  const m = /^cross-stack-reference-input-(.+)$/.exec(dataSourceName);
  return m ? m[1] : dataSourceName;
}

function rewriteProviders(config: JsonObject, found: TerraformFound): string[] {
  const missing: string[] = [];
  const terraform = isObject(config.terraform) ? config.terraform : {};
  delete terraform.backend;
  delete terraform.cloud;
  const required = isObject(terraform.required_providers) ? terraform.required_providers : {};
  for (const [name, req] of Object.entries(required)) {
    const source = normalizeSource(isObject(req) && typeof req.source === "string" ? req.source : name);
    const version = found.providers[source];
    if (!version) missing.push(source);
    else if (isObject(req)) req.version = version;
    else required[name] = { source, version };
  }
  const providers = isObject(config.provider) ? config.provider : {};
  for (const block of blocks(providers.aws)) {
    for (const k of NETWORK_PROVIDER_SETTINGS) delete block[k];
    Object.assign(block, {
      access_key: "AKIAOFFLINEDUMMYKEY0",
      secret_key: "offline-dummy-secret-key-not-a-credential",
      skip_credentials_validation: true,
      skip_requesting_account_id: true,
      skip_metadata_api_check: true,
      skip_region_validation: true,
      // Any data source that still calls AWS fails at once (the loopback proxy refuses it) instead of retrying for minutes.
      max_retries: 1,
    });
  }
  return missing;
}

/** AWS data sources that compute locally and never call an API: left as they are. */
const LOCAL_DATA_SOURCES = new Set([
  "aws_iam_policy_document",
  "aws_partition",
  "aws_region",
  "aws_arn",
  "aws_default_tags",
]);

/** The stand-in resource every deferred read depends on. */
export const DEFERRED_READS_RESOURCE = "offline_deferred_reads";

/**
 * An AWS data source is read during plan, which needs AWS. Offline, each one that calls an API is
 * made to depend on a stand-in `terraform_data` resource (planned for creation), so Terraform
 * defers the read to apply and plans with its values unknown: the same as a first plan where the
 * data source depends on something not yet created. Everything else is still planned and checked
 * by the real provider.
 */
function deferAwsDataReads(config: JsonObject): string[] {
  const data = isObject(config.data) ? config.data : {};
  const deferred: string[] = [];
  for (const [type, byName] of Object.entries(data)) {
    if (!type.startsWith("aws_") || LOCAL_DATA_SOURCES.has(type) || !isObject(byName)) continue;
    for (const [name, value] of Object.entries(byName)) {
      for (const block of blocks(value)) {
        const dependsOn = Array.isArray(block.depends_on) ? block.depends_on : [];
        block.depends_on = [...dependsOn, `terraform_data.${DEFERRED_READS_RESOURCE}`];
      }
      deferred.push(`data.${type}.${name}`);
    }
  }
  if (deferred.length) {
    const resource = isObject(config.resource) ? config.resource : (config.resource = {});
    const td = isObject(resource.terraform_data) ? resource.terraform_data : (resource.terraform_data = {});
    // Replaced on every plan (timestamp() is unknown until apply), so reads stay deferred even
    // when planning against a state in which the stand-in already exists.
    td[DEFERRED_READS_RESOURCE] = { triggers_replace: "${timestamp()}" };
  }
  return deferred;
}

function rewriteRemoteStates(
  config: JsonObject,
  dir: string,
  remoteStates: Record<string, Record<string, unknown>>,
): Record<string, string> {
  const files: Record<string, string> = {};
  const data = isObject(config.data) ? config.data : {};
  const remote = isObject(data.terraform_remote_state) ? data.terraform_remote_state : {};
  for (const [name, value] of Object.entries(remote)) {
    const stack = remoteStackName(name);
    const file = join(dir, `remote-state.${stack.replace(/[^A-Za-z0-9_.-]/g, "_")}.tfstate`);
    // Terraform fails with "Unable to find remote state" on a missing file: always write one.
    writeFileSync(file, JSON.stringify(outputsState(remoteStates[stack] ?? {}, stack), null, 2));
    files[stack] = file;
    for (const block of blocks(value)) {
      block.backend = "local";
      block.config = { path: file };
      delete block.workspace;
    }
  }
  return files;
}

/**
 * Writes an offline copy of a synthesized stack into `dir` (created if needed): the backend
 * (`terraform.backend`, `terraform.cloud`) removed; each required provider pinned to the mirrored
 * version; every `provider.aws` given dummy static credentials and the skip_* settings (region
 * kept; profile, assume_role, allowed_account_ids dropped); every `terraform_remote_state` read
 * from a local state file holding `opts.remoteStates[<stack>]`; every AWS data source that calls
 * an API deferred to apply (`deferAwsDataReads`). Also writes the CLI configuration.
 * Throws when no Terraform or mirror is found.
 */
export function prepareScratch(stackJson: object, dir: string, opts: PrepareScratchOptions = {}): PreparedScratch {
  const found = opts.terraform ?? findTerraform();
  if (!found.ok) throw new Error(`cannot run Terraform offline: ${found.reason}`);
  const abs = resolve(dir);
  mkdirSync(abs, { recursive: true });
  const config = structuredClone(stackJson) as JsonObject;
  const missingProviders = rewriteProviders(config, found);
  const remoteStateFiles = rewriteRemoteStates(config, abs, opts.remoteStates ?? {});
  const deferredDataSources = opts.deferDataReads === false ? [] : deferAwsDataReads(config);
  const configFile = join(abs, SCRATCH_FILES.config);
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const cliConfigFile = writeCliConfig(abs, found.mirror);
  return { dir: abs, configFile, cliConfigFile, remoteStateFiles, missingProviders, deferredDataSources };
}
