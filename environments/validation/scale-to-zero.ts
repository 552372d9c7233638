/**
 * Scale to zero (`cloudHsm.scaleToZero`, docs/cloudhsm.md "Scale to zero"): a schedule that takes the
 * CloudHSM key store down every night. Refused for production-like environments; what counts as
 * production-like is decided here, from the configuration alone, and each reason names its field:
 *
 * - the name holds a production word as a `-`-separated part (`prod`, `eu-prod`, `production`, `prd`,
 *   `live`: CLOUDHSM.PROD_LIKE_WORDS);
 * - an Environment, Env, Stage or Tier tag (any case) says so;
 * - a consumer that is not an application's own request would fail on a schedule: FSx for ONTAP on a
 *   key in the CloudHSM store (the file system loses access to its key and becomes unavailable) and
 *   EBS default encryption on one (every new volume in the account and Region fails to be created
 *   while the store is down). S3 buckets are allowed: their requests fail during the window, which is
 *   what a non-production store that sleeps means.
 *
 * Not production markers on their own, on purpose: FIPS mode (a staging copy of production keeps
 * the mode it tests) and `prevent_destroy` (every cluster and HSM carries it, in every environment).
 */
import { CLOUDHSM, HOOKS, inRange } from "@cmk-stacks/aws-limits";
import { scaleTimesProblems } from "../../hooks/lib/scale-window";
import type { EnvironmentConfig } from "../types";
import { isString } from "./checks";
import type { ConstraintTable, Violation } from "./engine";

const SRC = "scale to zero (docs/cloudhsm.md): a scheduled outage of the CloudHSM key store";
const REFUSED = "an environment without cloudHsm.scaleToZero: scale to zero is for non-production only";

/** The keys in the CloudHSM key store, by logical name. */
function cloudHsmKeys(env: EnvironmentConfig): Set<string> {
  const keys = env.keys && typeof env.keys === "object" ? env.keys : {};
  return new Set(
    Object.entries(keys)
      .filter(([, k]) => k?.store === "cloudhsm")
      .map(([name]) => name),
  );
}

/** Every reason `env` is production-like (or cannot run the schedule), one violation each. */
export function scaleToZeroRefusals(env: EnvironmentConfig): Violation[] {
  if (!env.cloudHsm?.scaleToZero) return [];
  const out: Violation[] = [];
  const prod = CLOUDHSM.prodLikeBy(env.name, env.tags);
  const words = CLOUDHSM.PROD_LIKE_WORDS.join(", ");
  if (prod.name)
    out.push({
      path: "name",
      value: env.name,
      rule: `${REFUSED} (the name holds a production word: ${words})`,
      source: SRC,
    });
  for (const tag of prod.tags)
    out.push({
      path: `tags.${tag}`,
      value: (env.tags as Record<string, string>)[tag],
      rule: `${REFUSED} (the ${tag} tag marks it production: ${words})`,
      source: SRC,
    });
  const inStore = cloudHsmKeys(env);
  const fsxKey = env.data?.fsx?.key;
  if (isString(fsxKey) && inStore.has(fsxKey))
    out.push({
      path: "data.fsx.key",
      value: fsxKey,
      rule: `a key outside the CloudHSM store, or no cloudHsm.scaleToZero: FSx for ONTAP loses its key every time the store is disconnected`,
      source: SRC,
    });
  const ebsKey = env.data?.ebs?.key;
  if (isString(ebsKey) && inStore.has(ebsKey))
    out.push({
      path: "data.ebs.key",
      value: ebsKey,
      rule: `a key outside the CloudHSM store, or no cloudHsm.scaleToZero: with EBS default encryption on it, every new volume in the account and Region fails while the store is down`,
      source: SRC,
    });
  const runner = env.hooks?.runner ?? "local";
  if (runner !== "lambda")
    out.push({
      path: "hooks.runner",
      value: runner,
      rule: `"lambda" with cloudHsm.scaleToZero: the schedule invokes the hook function (the local runner has none)`,
      source: SRC,
    });
  // The times, days and zone, and the distance between the runs (one check, shared with the construct).
  const z = env.cloudHsm.scaleToZero;
  // A timeout out of its range is reported at hooks.timeoutMinutes: the distance between the runs is
  // then measured with the default, not with a bound that only restates it.
  const timeout =
    typeof env.hooks?.timeoutMinutes === "number" && inRange(HOOKS.TIMEOUT_MINUTES, env.hooks.timeoutMinutes)
      ? env.hooks.timeoutMinutes
      : HOOKS.TIMEOUT_MINUTES_DEFAULT.value;
  for (const p of scaleTimesProblems(z, timeout))
    out.push({ path: `cloudHsm.scaleToZero.${p.field}`, value: p.value, rule: p.rule, source: SRC });
  return out;
}

export const scaleToZeroTable: ConstraintTable = {
  domain: "scale-to-zero",
  fields: [],
  cross: [
    {
      description:
        "scale to zero: not for production-like environments (name, tier tag, FSx or EBS default encryption on the store's keys), the lambda runner, valid times at least one scale run apart",
      source: SRC,
      check: scaleToZeroRefusals,
    },
  ],
};
