/**
 * Rules across the environments of one synth: names and settings AWS (or the state backend) keeps
 * unique beyond one environment, as `names.ts` lists them (user-written names, names the stacks
 * derive from the environment name, account-wide settings). Each finding is reported on every use
 * after the first, naming the first. Inside one environment, a name the user writes that the
 * stacks also derive (an alias equal to the alarm topic key's) is refused too; other repeats
 * inside one environment are the domain tables' (aliases of two keys, two buckets...).
 */
import type { EnvironmentConfig } from "../types";
import type { Violation } from "./engine";
import { namesOf, type NameUse } from "./names";

/** The first rules' wording, kept as it was; every other kind of name is worded from its kind. */
const WORDING: Readonly<Record<string, string>> = {
  "S3 bucket name": "a bucket name no other environment uses",
  "KMS alias": "an alias no other environment in the same account and Region uses",
  "endpoint service private DNS name": "a private DNS name no other environment uses",
  "custom key store name": "a key store name no other environment in the same account and Region uses",
  "EBS default key setting": "EBS default encryption set by one environment per account and Region",
  "service-linked role": "a service-linked role no other environment creates in this account",
  "Terraform Cloud workspace": "a workspace name no other stack uses in the same organization",
  "S3 state object": "a state object no other stack uses in the same bucket",
  "VPC for the CloudHSM service endpoints":
    "a VPC in which no other CloudHSM environment creates its service endpoints",
};

/** Reporting order: the first four as before, then the others. */
const ORDER = ["S3 bucket name", "KMS alias", "endpoint service private DNS name", "custom key store name"];

const keyOf = (u: NameUse) => `${u.kind}\u0000${u.scope}\u0000${u.caseInsensitive ? u.name.toLowerCase() : u.name}`;

function wording(u: NameUse): string {
  if (u.derived) return `a name whose ${u.kind} "${u.name}" no other environment uses in ${u.scopeText}`;
  return WORDING[u.kind] ?? `a ${u.kind} no other environment uses in ${u.scopeText}`;
}

/** Violations of the cross-environment uniqueness rules. */
export function acrossEnvironments(envs: Readonly<Record<string, EnvironmentConfig>>): Violation[] {
  const uses = Object.entries(envs).flatMap(([env, config]) => namesOf(config).map((u) => ({ env, u })));
  const kinds = [...new Set(uses.map(({ u }) => u.kind))].sort(
    (a, b) =>
      (ORDER.includes(a) ? ORDER.indexOf(a) : ORDER.length) - (ORDER.includes(b) ? ORDER.indexOf(b) : ORDER.length),
  );
  const out: Violation[] = [];
  for (const kind of kinds) {
    const first = new Map<string, { env: string; u: NameUse }>();
    for (const { env, u } of uses.filter(({ u }) => u.kind === kind)) {
      const key = keyOf(u);
      const seen = first.get(key);
      const at = (x: NameUse, e: string) => `environments.${e}.${x.path}`;
      if (!seen) {
        first.set(key, { env, u });
      } else if (seen.env !== env) {
        const holder = seen.u.derived
          ? `the stacks derive it from ${at(seen.u, seen.env)}`
          : `${at(seen.u, seen.env)} has it`;
        out.push({ path: at(u, env), value: u.value, rule: `${wording(u)} (${holder})`, source: u.source });
      } else if (seen.u.derived !== u.derived) {
        // Inside one environment: the user's name against the one the stacks derive.
        const mine = u.derived ? seen.u : u;
        const theirs = u.derived ? u : seen.u;
        out.push({
          path: at(mine, env),
          value: mine.value,
          rule: `a ${kind} the stacks do not already use: they give "${theirs.name}" to a resource of their own (derived from environments.${env}.name)`,
          source: mine.source,
        });
      }
    }
  }
  return out;
}
