/**
 * Offline Terraform harness: runs the real Terraform CLI against a local provider mirror, with no
 * registry, no backend and no AWS credentials. Typical use (tests, plan-guard checks):
 *
 *   const found = findTerraform();             // { ok: false, reason } -> skip with the reason
 *   prepareScratch(stackJson, dir);            // offline copy of cdk.tf.json + CLI config
 *   await init(dir); await validate(dir);
 *   await plan(dir, { out: "p.bin" });
 *   const before = await showJson(dir, "p.bin");
 *   writeFileSync(join(dir, "s.tfstate"), JSON.stringify(stateFromPlan(before)));
 *   // change the configuration, prepareScratch again (no re-init needed), then:
 *   await plan(dir, { out: "p2.bin", stateFile: "s.tfstate" });   // deletes / replaces / forgets
 */
export { findTerraform, scanMirror, mirrorCandidates, platformName, compareVersions } from "./find";
export type { FindTerraformResult, TerraformFound, TerraformMissing } from "./find";
export {
  prepareScratch,
  cliConfigText,
  writeCliConfig,
  normalizeSource,
  remoteStackName,
  SCRATCH_FILES,
} from "./scratch";
export type { PrepareScratchOptions, PreparedScratch } from "./scratch";
export { terraform, terraformEnv, init, validate, plan, showJson, providerSchemas, firstError } from "./run";
export type { TerraformRun, TerraformRunOptions, PlanOptions, ProviderSchemasJson, SchemaBlock } from "./run";
export {
  placeholderOutputs,
  placeholderForOutput,
  placeholderId,
  placeholderArn,
  planLocation,
  stateFromPlan,
  sensitivePaths,
  configAddress,
} from "./placeholders";
export type { PlanLocation, StateFromPlanOptions } from "./placeholders";
export { copyProviderInstallation, writeCombinedRoot, writeModuleRoot, modulePlan } from "./combine";
export type { CombinedCase, CombinedModule } from "./combine";
export { outputsState, stableUuid, ctyType } from "./state";
export type { TerraformState, StateResource, StateInstance, StatePathStep } from "./state";
