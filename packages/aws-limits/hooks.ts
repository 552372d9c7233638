/**
 * The bootstrap hooks: how long a step may wait, and the Lambda limits its runner works within.
 * Most of these are this project's own rules (the reason is in each `doc`), set against AWS's
 * limits (Lambda's 15-minute invocation) and AWS's documented durations (a CloudHSM key store
 * connects in 20-30 minutes). The schema, the validation table, the hook wiring constructs
 * (`modules/hooks/`, `modules/cloudhsm/`, `modules/keystores/`) and the hook contract read them.
 */
import type { Default, Limit, Range } from "./rule";

/** Longest Lambda invocation: 900 seconds (function timeout 1-900 s). */
export const LAMBDA_TIMEOUT_SECONDS: Range = {
  min: 1,
  max: 900,
  integer: true,
  unit: "seconds",
  doc: "https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html",
};

/**
 * Seconds each Lambda invocation keeps in reserve to return IN_PROGRESS cleanly before the
 * function times out (project rule: a step that is still waiting hands over to the next invocation).
 */
export const LAMBDA_RESERVE_SECONDS: Limit = {
  value: 30,
  unit: "seconds",
  doc: "project rule, within Lambda's invocation timeout: https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html",
};

/** Whole minutes of waiting one Lambda invocation covers (15 minutes less the reserve: 14). */
export const MINUTES_PER_INVOCATION = Math.floor((LAMBDA_TIMEOUT_SECONDS.max - LAMBDA_RESERVE_SECONDS.value) / 60);

/**
 * The wait budget of a bootstrap step in the Terraform graph (`hooks.timeoutMinutes`, `HookStep`,
 * `CloudHsm.hookTimeoutMinutes`, `CloudHsmKeyStore.timeoutMinutes`, `XksKeyStore.connectTimeoutMinutes`).
 *
 * Project rule. The floor, 5 minutes: no waiting step in the graph finishes sooner (InitializeCluster
 * typically takes 3-4 minutes, an HSM up to 10, activation up to 15, connecting a CloudHSM key store
 * 20-30), and the one-call step has a fixed budget of exactly this much
 * ({@link ONE_CALL_STEP_BUDGET_MINUTES}); a smaller budget only makes every apply fail. The ceiling,
 * 120 minutes: one apply, at most 9 chained Lambda invocations of 15 minutes (Lambda's cap), and
 * twice the longest documented wait. The command-line runner is not bound by Lambda's cap, but the
 * same budget keeps the two runners interchangeable.
 */
export const TIMEOUT_MINUTES: Range = {
  min: 5,
  max: 120,
  integer: true,
  unit: "minutes",
  doc: "project rule; CloudHSM key store connection takes 20-30 minutes (https://docs.aws.amazon.com/kms/latest/developerguide/connect-keystore.html), Lambda invocations at most 15 minutes (https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html)",
};

/** A step's wait budget when none is set: 45 minutes (the 20-30 minutes a key store connection takes, with margin). */
export const TIMEOUT_MINUTES_DEFAULT: Default<number> = {
  value: 45,
  why: "connecting a CloudHSM key store takes 20-30 minutes (30 seen), with margin",
  doc: "https://docs.aws.amazon.com/kms/latest/developerguide/connect-keystore.html",
};

/**
 * What the runners (command line, Lambda) accept as one run's budget (`--timeout-minutes` in the hook
 * contract). Project rule: at least 1 minute, because the runners also run steps outside the
 * graph's waits, such as the scheduled health check ({@link HEALTH_CHECK_TIMEOUT_MINUTES}) and an
 * operator's quick re-run; at most {@link TIMEOUT_MINUTES}'s ceiling.
 */
export const RUN_TIMEOUT_MINUTES: Range = {
  min: 1,
  max: TIMEOUT_MINUTES.max,
  integer: true,
  unit: "minutes",
  doc: "project rule, within Lambda's invocation timeout: https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html",
};

/**
 * The fixed budget of a step that makes one API call (set-backup-retention: ModifyCluster), whatever
 * the configured budget: one Lambda invocation is enough. Project rule.
 */
export const ONE_CALL_STEP_BUDGET_MINUTES: Limit = {
  value: TIMEOUT_MINUTES.min,
  unit: "minutes",
  doc: "project rule, one invocation: https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html",
};

/**
 * Budget of one scheduled health check: a check that cannot answer within 2 minutes fails (no
 * metric: the alarms fire) instead of running for the function's 15 and piling up behind the next.
 */
export const HEALTH_CHECK_TIMEOUT_MINUTES: Limit = {
  value: 2,
  unit: "minutes",
  doc: "project rule, within Lambda's invocation timeout: https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html",
};

/** Subnets of a Lambda function's VPC configuration: 1 to 16. */
export const LAMBDA_VPC_SUBNETS: Range = {
  min: 1,
  max: 16,
  integer: true,
  unit: "subnets",
  doc: "https://docs.aws.amazon.com/lambda/latest/dg/API_VpcConfig.html",
};

/** Longest Lambda function name (CreateFunction FunctionName) and IAM role name (CreateRole RoleName): 64 characters. */
export const LAMBDA_FUNCTION_NAME_MAX: Limit = {
  value: 64,
  unit: "characters",
  doc: "https://docs.aws.amazon.com/lambda/latest/dg/API_CreateFunction.html",
};

/** "whole minutes from 5 to 120: one apply, at most 9 Lambda invocations of 15 minutes": what a construct's refusal of a wait budget says is allowed. */
export function timeoutMinutesAllowed(): string {
  return `whole minutes from ${TIMEOUT_MINUTES.min} to ${TIMEOUT_MINUTES.max}: one apply, at most ${Math.ceil(TIMEOUT_MINUTES.max / MINUTES_PER_INVOCATION)} Lambda invocations of ${LAMBDA_TIMEOUT_SECONDS.max / 60} minutes`;
}

/**
 * How long AWS says each waited-for operation typically takes, in minutes: they shape the hooks'
 * poll schedules (they are not limits; a step's budget is). Creating an HSM up to 10, initialising
 * a cluster 3-4, activating it, an SSM command about 1, connecting a CloudHSM key store 20 (30
 * seen), an external key store about 5, disconnecting about 1.
 */
export const TYPICAL_MINUTES = {
  hsmCreate: 10,
  initialize: 4,
  activate: 4,
  ssmCommand: 1,
  connectCloudHsm: 20,
  connectXks: 5,
  disconnect: 1,
  doc: "https://docs.aws.amazon.com/kms/latest/developerguide/create-keystore.html",
} as const;

/**
 * How long after its ConnectCustomKeyStore call a CloudHSM key store may still be connecting, i.e. when
 * KMS may still set kmsuser's new password (it logs in and rotates it during the connection, which AWS
 * says takes up to 20 minutes; 30 have been seen). `restore-key-store` counts a backup as holding the
 * password KMS knows only when it was taken at least this long after the store's last connect call.
 */
export const CONNECT_PASSWORD_WINDOW_MINUTES: Default<number> = {
  value: 30,
  why: "a connection takes up to 20 minutes (30 seen), and KMS rotates the kmsuser password during it",
  doc: "https://docs.aws.amazon.com/kms/latest/developerguide/connect-keystore.html",
};

/** Memory of the hook function in MB (Lambda allows 128-10,240): the steps are I/O-bound waits. */
export const LAMBDA_MEMORY_MB_DEFAULT: Default<number> = {
  value: 256,
  why: "the steps mostly wait on AWS; 256 MB also buys a little more CPU than 128",
  doc: "https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html",
};

/**
 * The `executionTimeout` (seconds) a bootstrap step's SSM Run Command script (AWS-RunShellScript)
 * gets when the step sets none. Project rule, shorter than Run Command's own default of 3600
 * seconds: the scripts (cloudhsm-cli calls on the admin instance) finish in seconds, and a hung
 * one should fail within one Lambda invocation ({@link LAMBDA_TIMEOUT_SECONDS}.max) rather than
 * hold the step for an hour.
 */
export const SSM_EXECUTION_TIMEOUT_SECONDS_DEFAULT: Default<number> = {
  value: LAMBDA_TIMEOUT_SECONDS.max,
  why: "a hung admin-instance script fails within one Lambda invocation instead of Run Command's 1-hour default",
  doc: "https://docs.aws.amazon.com/systems-manager/latest/userguide/monitor-commands.html#monitor-about-status-timeouts",
};
