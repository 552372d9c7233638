/**
 * KMS grants (`aws_kms_grant`) give a principal rights on a key without touching its policy, so they
 * are judged like a key policy: the grantee (`grantee_principal`: the operations) and the retiring
 * principal (`retiring_principal`: RetireGrant, which ends the grantee's access) of an undeclared
 * account are blocked, declared ones shown with what they gain. Grant constraints (encryption
 * context) narrow which requests, not who makes them, and `grant_creation_tokens` only make the call
 * idempotent: neither confines the principal. The key (`key_id`) is resolved to a key of the plan
 * (by id, key id, ARN or the configuration's reference) or read from its ARN; its account is the one
 * the grantee is compared with.
 * https://docs.aws.amazon.com/kms/latest/developerguide/grants.html
 * https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateGrant.html
 *
 * A grantee the guard cannot place in an account is blocked, because a regulated user must be able to
 * show where a key's users are:
 * - a service principal (`*.amazonaws.com`): CreateGrant takes only IAM principals (accounts, users,
 *   roles, federated and assumed-role users); a grant to a service would act for every account that
 *   uses that service, and a grant carries no aws:SourceAccount condition;
 * - a value that is not an ARN with an account id nor an account id;
 * - a value known only after apply, unless the configuration takes it from an IAM role or user
 *   created in this plan by the same provider configuration as the grant (hence the same
 *   credentials, the same account): then it is reported as risky, not blocked.
 */
import type { ResourceChange } from "../plan-json";
import type { Finding } from "../model";
import {
  actionOf,
  asImported,
  leavesObject,
  configAddressOf,
  isImport,
  isUnknown,
  valuesOf,
  type PlanIndex,
} from "../plan-index";
import { accountOf } from "../policy";
import { keyArnNamedBy } from "./key-policy";
import { FIX_FOREIGN, planAccounts, providerAccounts } from "./reach";
import { finding, type Rule, type RuleContext } from "./rule";

const IAM_PRINCIPAL_TYPES = new Set(["aws_iam_role", "aws_iam_user", "aws_iam_service_linked_role"]);
const FIX_UNPLACED =
  "give the grantee as the ARN of a role or user (arn:<partition>:iam::<account>:role/<name>) known at plan time, or created in this plan with the same provider as the grant";

type Who =
  | { kind: "principal"; value: string; account: string }
  | { kind: "service"; value: string }
  | { kind: "unplaced"; value: string }
  | { kind: "after-apply"; from?: string }
  | { kind: "none" };

function providerOf(idx: PlanIndex, address: string): string | undefined {
  return idx.config.get(configAddressOf(address))?.resource.provider_config_key;
}

/** Who the attribute names after the change. */
function whoIs(rc: ResourceChange, idx: PlanIndex, attr: string): Who {
  if (isUnknown(rc, attr)) {
    const grantProvider = providerOf(idx, rc.address);
    const ref = idx.references(rc.address).find((r) => r.via === attr && r.target);
    const target = ref?.target;
    const sameAccount =
      target &&
      IAM_PRINCIPAL_TYPES.has(target.replace(/^(?:module\.[^.]+\.)*/, "").split(".")[0]) &&
      idx.config.has(target) &&
      providerOf(idx, target) === grantProvider;
    return { kind: "after-apply", ...(sameAccount ? { from: target } : {}) };
  }
  const v = valuesOf(rc.change.after)[attr];
  if (v === undefined || v === null || v === "") return { kind: "none" };
  if (typeof v !== "string") return { kind: "unplaced", value: JSON.stringify(v) };
  if (/\.amazonaws\.com(\.cn)?$/.test(v) || /^[a-z0-9-]+\.amazonaws\.com/.test(v)) return { kind: "service", value: v };
  const account = accountOf(v);
  return account ? { kind: "principal", value: v, account } : { kind: "unplaced", value: v };
}

function describeGrant(rc: ResourceChange): string {
  const a = valuesOf(rc.change.after);
  const ops = Array.isArray(a.operations) ? a.operations.filter((o): o is string => typeof o === "string") : [];
  const constraints =
    Array.isArray(a.constraints) && a.constraints.length
      ? " (only with the encryption context its constraints name: that limits requests, not who makes them)"
      : "";
  const onward = ops.includes("CreateGrant") ? "; CreateGrant lets it hand the key on to further principals" : "";
  return `${ops.length ? ops.join(", ") : "the operations the grant lists"}${constraints}${onward}`;
}

function check(idx: PlanIndex, rc: ResourceChange, action: Finding["action"], ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  const keyArn = keyArnNamedBy(rc, idx, "key_id");
  const keyAccount = keyArn ? accountOf(keyArn) : undefined;
  // The key's account; when the plan does not show it, the accounts the plan's resources live in
  // (a grantee in none of them is in an account this plan does not manage).
  const pinned = providerAccounts(idx, rc.address, true);
  const fromPlan = planAccounts(idx);
  const own = new Set(
    keyAccount ? [keyAccount] : pinned.length ? pinned : fromPlan.length ? fromPlan : providerAccounts(idx, rc.address),
  );
  const keyName =
    keyArn ??
    (typeof valuesOf(rc.change.after).key_id === "string"
      ? String(valuesOf(rc.change.after).key_id)
      : "a key known only after apply");
  // An imported grant was never reviewed in a plan: nothing it gives is taken as already there.
  const before = isImport(rc) ? {} : valuesOf(rc.change.before);
  const roles: [string, string, string][] = [
    ["grantee_principal", "grantee", describeGrant(rc)],
    ["retiring_principal", "retiring principal", "RetireGrant on this grant (ending the grantee's access)"],
  ];
  for (const [attr, role, gains] of roles) {
    const w = whoIs(rc, idx, attr);
    // A replacement that keeps the principal gives nobody anything new.
    if (
      w.kind === "principal" &&
      before[attr] === w.value &&
      (attr === "retiring_principal" ||
        JSON.stringify(before.operations) === JSON.stringify(valuesOf(rc.change.after).operations))
    )
      continue;
    if (w.kind === "none") continue;
    if (w.kind === "after-apply") {
      if (w.from)
        out.push(
          finding(
            idx,
            rc,
            action,
            "key-grant-principal-after-apply",
            "risky",
            `the grant's ${role} is known only after apply: ${w.from}, created in this plan by the same provider configuration as the grant (so in the same account), gains ${gains} on ${keyName}`,
            "check the role is the intended one",
          ),
        );
      else
        out.push(
          finding(
            idx,
            rc,
            action,
            "key-grant-principal-unknown",
            "block",
            `the grant's ${role} is known only after apply and the plan does not show it is an IAM role or user of this account (created here by the same provider): the guard cannot prove who gains ${gains} on ${keyName}; a grant gives rights on the key without any change to its policy`,
            FIX_UNPLACED,
          ),
        );
      continue;
    }
    if (w.kind === "service") {
      out.push(
        finding(
          idx,
          rc,
          action,
          "key-grant-service-principal",
          "block",
          `the grant's ${role} is the service principal ${w.value}, which gains ${gains} on ${keyName}: a service acts for every account that uses it and a grant cannot carry aws:SourceAccount, so the key would be open to other accounts through that service (CreateGrant takes only IAM principals)`,
          "grant to a role of this account, or let the service use the key through a key policy statement with aws:SourceAccount and aws:SourceArn conditions",
        ),
      );
      continue;
    }
    if (w.kind === "unplaced") {
      out.push(
        finding(
          idx,
          rc,
          action,
          "key-grant-principal-unplaced",
          "block",
          `the guard cannot tell which account the grant's ${role} ${w.value} is in (not an ARN with an account id, nor an account id); it gains ${gains} on ${keyName}`,
          FIX_UNPLACED,
        ),
      );
      continue;
    }
    if (own.size === 0) {
      out.push(
        finding(
          idx,
          rc,
          action,
          "key-grant-accounts",
          "risky",
          `the guard cannot tell which account owns ${keyName}; the grant's ${role} ${w.value} (account ${w.account}) gains ${gains}`,
          "check the account is meant to use the key",
        ),
      );
      continue;
    }
    if (own.has(w.account)) continue;
    const reason = ctx.declaredAccounts.get(w.account);
    if (reason === undefined) {
      out.push(
        finding(
          idx,
          rc,
          action,
          "key-grant-cross-account",
          "block",
          `the grant gives ${w.value}, a principal of another account, as ${role}: ${gains} on ${keyName} (the key belongs to ${[...own].join(", ")}); a grant hands the key to another account without any change to the key policy, and what it encrypts or decrypts there is outside this account's control`,
          FIX_FOREIGN,
        ),
      );
    } else {
      out.push(
        finding(
          idx,
          rc,
          action,
          "key-grant-external-account-added",
          "risky",
          `the grant gives ${w.value}, of declared external account ${w.account}, as ${role}: ${gains} on ${keyName} (declared in the allowlist's externalAccounts, ${w.account}: ${reason})`,
          "check the account and what it may do",
        ),
      );
    }
  }
  return out;
}

/** Rules `key-grant-cross-account`, `key-grant-service-principal`, `key-grant-principal-unknown`, `key-grant-principal-unplaced` (block) and the risky notes. */
export const grantRule: Rule = (idx, ctx) => {
  const out: Finding[] = [];
  for (const rc of idx.ofTypes("aws_kms_grant")) {
    if (rc.deposed) continue;
    const action = actionOf(rc.change.actions);
    if (leavesObject(rc.change.actions) || isImport(rc)) out.push(...asImported(rc, check(idx, rc, action, ctx)));
  }
  return out;
};
