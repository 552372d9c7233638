/** The plan guard's API for other tools and tests. */
export { classifyPlans, RULES } from "./classify";
export type { ClassifyOptions } from "./classify";
export { renderSummary, SUMMARY_MARKER } from "./summary";
export { renderMermaid } from "./mermaid";
export { formatResult, blockLine } from "./format";
export { parseAllowlist, loadAllowlist, applyAllowlist } from "./allowlist";
export { readPlanFile, validatePlanJson, stackNameFor, parsePlanArg, SUPPORTED_FORMATS } from "./read";
export { runCli } from "./run-cli";
export { benchPlanGuard, syntheticPlan } from "./bench";
export { keyBearing, WATCHED_TYPES, KMS_KEY_TYPES } from "./resources";
export { actionOf } from "./plan-index";
export * from "./model";
