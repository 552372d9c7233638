/** The plan guard's API for other tools and tests. */
export { classifyPlans, RULES } from "./classify";
export type { ClassifyOptions } from "./classify";
export { renderSummary, SUMMARY_MARKER } from "./summary";
export { renderMermaid } from "./mermaid";
export { formatResult, blockLine } from "./format";
export { parseAllowlist, loadAllowlist, applyAllowlist, expired } from "./allowlist";
export type { AllowContext } from "./allowlist";
export { describeChange, attributeChanges, changeLines } from "./changes";
export { policyDiff, principalListDiff } from "./policy-diff";
export { mdText, mdCode, oneLine } from "./markdown";
export {
  readPlanFile,
  validatePlanJson,
  checkPlanJson,
  stackNameFor,
  parsePlanArg,
  SUPPORTED_FORMATS,
  MAX_DEPTH,
} from "./read";
export { parsePolicy, decide, managers, publicStatements, grantedPrincipals } from "./policy";
export { judgePolicy } from "./rules/key-policy";
export { runCli } from "./run-cli";
export { benchPlanGuard, syntheticPlan } from "./bench";
export { keyBearing, WATCHED_TYPES, KMS_KEY_TYPES } from "./resources";
export { actionOf } from "./plan-index";
export { planDigest, digestInput, DIGEST_FORMAT, DIGEST_PATTERN } from "./digest";
export * from "./model";
export { isObject } from "./plan-json";
export type {
  JsonValue,
  JsonObject,
  PlanValuesResource,
  PlanValuesModule,
  PlanChange,
  ResourceChange,
  ConfigExpression,
  ConfigExpressions,
  ConfigResource,
  ConfigModule,
  PlanConfiguration,
  PlanJson,
} from "./plan-json";
export {
  lastUseTargets,
  checkLastUse,
  describeLastUse,
  lastUseLines,
  lastUseMarkdown,
  sdkLastUsageReader,
  whyNotChecked,
  DEFAULT_LAST_USE_TIMEOUT_MS,
} from "./last-use";
export type {
  LastUseTarget,
  LastUseEntry,
  LastUseOptions,
  LastUseClock,
  LastUsageReader,
  KeyLastUsageAnswer,
} from "./last-use";
