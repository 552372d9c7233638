/**
 * RISKY means "a reviewer should read this": a change the guard lets through but whose effect on
 * keys, data or their protection someone must judge. Creating something is not risky for being a
 * create (a new alarm, alias, log group, HSM or key is what the configuration asked for, and the
 * blocking rules and the key-policy rule already judge what a new key's policy grants); tags and
 * descriptions are never risky. What is, per resource type, each with advice that fits it:
 * - a policy (key, bucket, topic) or an endpoint service's allowed principals that changes: the
 *   evaluated difference (who gained or lost which actions, under which conditions);
 * - a new grant (a principal with rights the key policy does not show), a grant retired;
 * - a new bucket policy open to everyone, an endpoint service opened to a principal other than KMS;
 * - protection turned off or weakened: key rotation, the deletion window, EBS encryption by
 *   default and its key, a bucket's default encryption, public access block or versioning created
 *   weak, FSx backups;
 * - key wiring moved: an alias pointed at another key, a key store or cluster setting changed;
 * - the warning path changed or removed: an alarm, its topic, subscription or schedule;
 * - a route to the data centre removed (XKS proxies behind it);
 * - a security group opened to the whole internet.
 * Deletes and replacements of key- or data-bearing resources are blocked by their own rules.
 */
import { IAM } from "@cmk-stacks/aws-limits";
import type { ResourceChange } from "../plan-json";
import { policyChanges } from "../changes";
import type { Finding, GuardAction } from "../model";
import { actionOf, isUnknown, valuesOf, type PlanIndex } from "../plan-index";
import { accountOf, grantedPrincipals, parsePolicy, publicStatements } from "../policy";
import { ALARM_TYPES, KMS_KEY_TYPES, ON_PREMISES_ROUTE_TYPES, keyBearing } from "../resources";
import { isKmsPrincipal, xksRole } from "../xks";
import { changedAttributes, finding, type Rule } from "./rule";

/** What a reviewer should read about one change, and what to check. */
interface Note {
  readonly why: string;
  readonly fix: string;
}

type Check = (rc: ResourceChange, action: GuardAction, idx: PlanIndex) => Note | undefined;

/** Attributes whose change is never a reviewer's concern. */
const NOISE = new Set(["tags", "tags_all", "description", "timeouts", "alarm_description"]);

const GONE = new Set<GuardAction>(["delete", "replace", "forget", "unknown"]);

function describe(attrs: string[]): string {
  const shown = attrs.slice(0, 6).join(", ");
  return attrs.length > 6 ? `${shown} and ${attrs.length - 6} more` : shown;
}

/** Changed top-level attributes other than tags and descriptions. */
function meaningful(rc: ResourceChange): string[] {
  return changedAttributes(rc).filter((a) => !NOISE.has(a));
}

/** The evaluated policy lines of a change (`policy: X gained kms:Decrypt ...`), joined for a finding. */
function policyLines(rc: ResourceChange): string[] {
  return policyChanges(rc)
    .filter((c) => c.policy)
    .flatMap((c) => (c.policy ?? []).map((l) => `${c.path}: ${l}`));
}

const b = (rc: ResourceChange) => valuesOf(rc.change.before);
const a = (rc: ResourceChange) => valuesOf(rc.change.after);
const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);

const KEY_POLICY_DOCS = "https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html";

/** An imported key whose material is set to expire: KMS deletes the material then (ImportKeyMaterial ValidTo). */
function expiry(rc: ResourceChange, action: GuardAction): Note | undefined {
  if (rc.type !== "aws_kms_external_key" && rc.type !== "aws_kms_replica_external_key") return undefined;
  const to = a(rc).valid_to;
  if (typeof to !== "string" || to === "" || (action === "update" && b(rc).valid_to === to)) return undefined;
  return {
    why: `the imported key material expires at ${to}: KMS then deletes it and every request under the key fails (PendingImport) until the same material is imported again`,
    fix: "check the date is intended and that someone re-imports before it (the import-key-material step, docs/byok.md; https://docs.aws.amazon.com/kms/latest/APIReference/API_ImportKeyMaterial.html)",
  };
}

const kmsKey: Check = (rc, action) => {
  if (action === "create") return expiry(rc, action);
  if (action !== "update") return undefined;
  const parts: string[] = [];
  const expires = expiry(rc, action);
  if (expires) parts.push(expires.why);
  const policy = policyLines(rc);
  if (policy.length) parts.push(...policy);
  if (b(rc).enable_key_rotation === true && a(rc).enable_key_rotation === false)
    parts.push(
      "automatic key rotation turned off (https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html)",
    );
  const rb = num(b(rc).rotation_period_in_days);
  const ra = num(a(rc).rotation_period_in_days);
  if (rb !== undefined && ra !== undefined && ra > rb)
    parts.push(`rotation period lengthened from ${rb} to ${ra} days`);
  const db = num(b(rc).deletion_window_in_days);
  const da = num(a(rc).deletion_window_in_days);
  if (db !== undefined && da !== undefined && da < db)
    parts.push(
      `deletion window shortened from ${db} to ${da} days: a mistaken ScheduleKeyDeletion can be cancelled for ${da} days only (https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html)`,
    );
  if (!parts.length) return undefined;
  return {
    why: parts.join("; "),
    fix: policy.length
      ? `check every principal should gain or lose exactly these rights; one that loses kms:Decrypt can no longer read what it encrypted (${KEY_POLICY_DOCS})`
      : "check the weaker setting is intended and approved",
  };
};

const keyPolicy: Check = (rc, action) => {
  if (action === "delete") {
    return {
      why: "the aws_kms_key_policy goes: on destroy the provider puts back KMS's default key policy (the account root with kms:*), so every principal, administrator, Deny and condition the policy named is dropped",
      fix: `keep the policy resource, or set the policy on the key itself in the same change (${KEY_POLICY_DOCS})`,
    };
  }
  // `removed` with destroy = false: the policy stays on the key as it is, unmanaged.
  if (action === "forget")
    return {
      why: "the aws_kms_key_policy is forgotten, not deleted: the key keeps this policy, but Terraform stops managing it, so a change made outside Terraform (PutKeyPolicy) shows in no plan",
      fix: `keep the policy resource in the configuration (a \`moved\` block for a rename), or set the policy on the key itself in the same change (${KEY_POLICY_DOCS})`,
    };
  if (action !== "update" && action !== "replace") return undefined;
  const lines = policyLines(rc);
  return lines.length
    ? {
        why: lines.join("; "),
        fix: `check every principal should gain or lose exactly these rights (${KEY_POLICY_DOCS})`,
      }
    : undefined;
};

const alias: Check = (rc, action) => {
  if (action === "update" && changedAttributes(rc).includes("target_key_id")) {
    const to = isUnknown(rc, "target_key_id") ? "a key known only after apply" : String(a(rc).target_key_id);
    return {
      why: `the alias now points at ${to} (was ${String(b(rc).target_key_id)}): everything that encrypts by this alias uses the new key from the next request`,
      fix: "check every caller has rights on the new key, and keep the old key enabled: data encrypted under it still needs it to decrypt (https://docs.aws.amazon.com/kms/latest/developerguide/alias-update.html)",
    };
  }
  if (GONE.has(action)) {
    return {
      why: `${action} of the alias: callers naming the key by this alias fail (NotFoundException) until it exists again`,
      fix: "keep the alias while anything names it",
    };
  }
  return undefined;
};

const grant: Check = (rc, action) => {
  // A forgotten grant has no "after": it is read from its state, like a deleted one.
  const v = action === "delete" || action === "forget" ? b(rc) : a(rc);
  const who = isUnknown(rc, "grantee_principal")
    ? "a principal known only after apply"
    : String(v.grantee_principal ?? "a principal");
  const ops = Array.isArray(v.operations) ? v.operations.join(", ") : "operations";
  if (action === "create" || action === "replace") {
    return {
      why: `new grant: ${who} may ${ops} on key ${String(v.key_id ?? "(known after apply)")}; grants are not in the key policy and its review does not show them`,
      fix: "check the grantee and the operations; retire the grant when it is no longer needed (https://docs.aws.amazon.com/kms/latest/developerguide/grants.html)",
    };
  }
  // `removed` with destroy = false: Terraform stops managing the grant but does not retire it.
  if (action === "forget")
    return {
      why: `the grant is forgotten, not retired: ${who} can still ${ops} on key ${String(v.key_id ?? "(unknown)")} through it, and the configuration no longer shows it (a later removal will not retire it)`,
      fix: "retire the grant if it is no longer needed (delete it instead of forgetting it), or keep it in the configuration (https://docs.aws.amazon.com/kms/latest/developerguide/grant-delete.html)",
    };
  if (action === "delete")
    return {
      why: `the grant goes: ${who} can no longer ${ops} through it`,
      fix: "check nothing still relies on it (an AWS service using the key for this principal)",
    };
  return undefined;
};

const keyStore: Check = (rc, action) => {
  if (action !== "update") return undefined;
  const attrs = meaningful(rc);
  if (!attrs.length) return undefined;
  const xks =
    b(rc).custom_key_store_type === "EXTERNAL_KEY_STORE" || a(rc).custom_key_store_type === "EXTERNAL_KEY_STORE";
  return {
    why: `key store settings change (${describe(attrs)})${xks ? ": KMS checks the new proxy settings with GetHealthStatus first; most of them can only change while the store is disconnected, and then no key in it can be used" : ": a CloudHSM key store must be disconnected for this, and then no key in it can be used"}`,
    fix: `plan the disconnect window, check the new settings reach the same key manager or cluster (ciphertext is unrecoverable otherwise), reconnect and wait for CONNECTED (${xks ? "https://docs.aws.amazon.com/kms/latest/developerguide/update-xks-keystore.html" : "https://docs.aws.amazon.com/kms/latest/APIReference/API_UpdateCustomKeyStore.html"})`,
  };
};

const cluster: Check = (rc, action) => {
  if (action !== "update") return undefined;
  const attrs = meaningful(rc);
  return attrs.length
    ? {
        why: `CloudHSM cluster settings change (${describe(attrs)})`,
        fix: "check the key store keeps reaching the cluster and its HSMs (https://docs.aws.amazon.com/cloudhsm/latest/userguide/manage-clusters.html)",
      }
    : undefined;
};

const ebsByDefault: Check = (rc, action) => {
  if (action === "delete" || (action !== "forget" && a(rc).enabled === false)) {
    return {
      why:
        action === "delete"
          ? "EBS encryption by default goes: on destroy the provider turns it off for the account in this Region"
          : "EBS encryption by default is off: new volumes in this Region are created unencrypted unless each asks",
      fix: "keep encryption by default on (https://docs.aws.amazon.com/ebs/latest/userguide/encryption-by-default.html)",
    };
  }
  return undefined;
};

const ebsDefaultKey: Check = (rc, action) => {
  if (action === "delete") {
    return {
      why: "the default EBS key goes: on destroy the provider resets it to the AWS managed key aws/ebs, so new volumes are encrypted under a key the customer does not control",
      fix: "keep the customer key as the default (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ResetEbsDefaultKmsKeyId.html)",
    };
  }
  if (action === "replace" || (action === "update" && changedAttributes(rc).includes("key_arn"))) {
    return {
      why: `new EBS volumes are encrypted by default under ${String(a(rc).key_arn ?? "another key")} (was ${String(b(rc).key_arn)})`,
      fix: "check the new key's policy lets EBS and the instance roles use it; existing volumes keep their key",
    };
  }
  return undefined;
};

/** Every string value of `field` anywhere inside a value (the nested `rule` blocks). */
function fieldValues(v: unknown, field: string): string[] {
  const out: string[] = [];
  const stack = [v];
  while (stack.length) {
    const x = stack.pop();
    if (Array.isArray(x)) stack.push(...x);
    else if (x && typeof x === "object") {
      for (const [k, y] of Object.entries(x)) {
        if (k === field && typeof y === "string") out.push(y);
        else stack.push(y);
      }
    }
  }
  return out.sort();
}

const bucketEncryption: Check = (rc, action) => {
  const sse = (v: Record<string, unknown>) => fieldValues(v.rule, "sse_algorithm");
  if (action === "delete") {
    return {
      why: "the bucket's default encryption configuration goes: new objects are then encrypted with S3 managed keys (SSE-S3), not the customer key",
      fix: "keep SSE-KMS with the customer key (https://docs.aws.amazon.com/AmazonS3/latest/userguide/default-bucket-encryption.html)",
    };
  }
  if (action === "create" || action === "update" || action === "replace") {
    const after = sse(a(rc));
    if (after.length && after.every((x) => x === "AES256")) {
      return {
        why: "the bucket's default encryption is SSE-S3 (AES256): new objects are not encrypted under the customer key",
        fix: "use aws:kms with the customer key (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html)",
      };
    }
    if (action === "create") return undefined;
    const keys = (v: Record<string, unknown>) => fieldValues(v.rule, "kms_master_key_id");
    if (
      JSON.stringify(sse(b(rc))) !== JSON.stringify(after) ||
      JSON.stringify(keys(b(rc))) !== JSON.stringify(keys(a(rc)))
    ) {
      return {
        why: `the bucket's default encryption changes (${[...sse(b(rc)), ...keys(b(rc))].join(", ") || "none"} → ${[...after, ...keys(a(rc))].join(", ") || "none"}): new objects are encrypted under it; existing objects keep their key`,
        fix: "check the new key's policy lets the bucket's writers and readers use it, and the old key stays for existing objects (https://docs.aws.amazon.com/AmazonS3/latest/userguide/default-bucket-encryption.html)",
      };
    }
    const bucketKey = (v: Record<string, unknown>) =>
      JSON.stringify(v.rule ?? null).includes('"bucket_key_enabled":true');
    if (bucketKey(b(rc)) && !bucketKey(a(rc))) {
      return {
        why: "S3 Bucket Keys turned off: every object write and read calls KMS, against the key's request quota (a custom key store's is far lower)",
        fix: "keep bucket_key_enabled = true (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html)",
      };
    }
  }
  return undefined;
};

const publicAccessBlock: Check = (rc, action) => {
  if (action !== "create") return undefined; // turning a setting off or deleting the block is blocked (s3-public-access-opened)
  const off = ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"].filter(
    (k) => a(rc)[k] === false,
  );
  return off.length
    ? {
        why: `the bucket's public access block is created with ${off.join(", ")} off: a policy or ACL mistake can then publish the data`,
        fix: "turn all four settings on (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html)",
      }
    : undefined;
};

const versioning: Check = (rc, action) => {
  if (action !== "create") return undefined; // Enabled -> Suspended and deleting it are blocked (s3-versioning-suspended)
  const status = JSON.stringify(a(rc).versioning_configuration ?? null).match(/"status":"([^"]*)"/)?.[1];
  return status && status !== "Enabled"
    ? {
        why: `the bucket's versioning is created ${status}: an overwrite or delete destroys the only copy`,
        fix: "enable versioning (https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html)",
      }
    : undefined;
};

/** Accounts in the ARNs of the plan's resources (the accounts the stack lives in). */
function planAccounts(idx: PlanIndex): Set<string> {
  const out = new Set<string>();
  for (const rc of idx.changes)
    for (const v of [valuesOf(rc.change.before), valuesOf(rc.change.after)])
      if (typeof v.arn === "string") out.add(IAM.accountOfAnyArn(v.arn) ?? "");
  out.delete("");
  return out;
}

/** A resource policy (bucket, topic): on create, open to everyone or to other accounts; on update, the evaluated difference. */
function resourcePolicy(what: string, docs: string): Check {
  return (rc, action, idx) => {
    if (action === "update" || action === "replace") {
      const lines = policyLines(rc);
      return lines.length
        ? {
            why: `${what} changes: ${lines.join("; ")}`,
            fix: `check every principal should gain or lose exactly these rights (${docs})`,
          }
        : undefined;
    }
    if (action !== "create" || typeof a(rc).policy !== "string") return undefined;
    const parsed = parsePolicy(a(rc).policy as string);
    if ("error" in parsed)
      return {
        why: `the new ${what} cannot be read (${parsed.error.replace(/^the key policy /, "")})`,
        fix: `review the document itself (${docs})`,
      };
    const open = publicStatements(parsed.statements);
    const own = planAccounts(idx);
    const foreign = own.size
      ? [
          ...new Set(
            grantedPrincipals(parsed.statements).filter(
              (p) => accountOf(p) !== undefined && !own.has(accountOf(p) as string),
            ),
          ),
        ]
      : [];
    const parts = [
      ...(open.length
        ? [
            `statement ${open.map((s) => s.index + 1).join(", ")} allows everyone (Principal "*" with no condition confining the caller)`,
          ]
        : []),
      ...(foreign.length ? [`principals of other accounts get rights: ${foreign.join(", ")}`] : []),
    ];
    return parts.length
      ? { why: `the new ${what}: ${parts.join("; ")}`, fix: `check this access is intended (${docs})` }
      : undefined;
  };
}

const topicPolicy = resourcePolicy(
  "topic policy",
  "https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html",
);

/** A bucket that can be emptied by Terraform, or whose object lock changes. */
const bucket: Check = (rc, action) => {
  if (action !== "update" && action !== "create") return undefined;
  const parts: string[] = [];
  if (a(rc).force_destroy === true && b(rc).force_destroy !== true)
    parts.push(
      "force_destroy = true: a destroy deletes every object (and version) first instead of failing on a non-empty bucket",
    );
  if (action === "update" && changedAttributes(rc).includes("object_lock_configuration"))
    parts.push("the object lock configuration changes");
  return parts.length
    ? {
        why: parts.join("; "),
        fix: "keep force_destroy false for buckets holding data (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/s3_bucket#force_destroy)",
      }
    : undefined;
};

const endpointService: Check = (rc, action, idx) => {
  const lines = policyLines(rc);
  const xks = xksRole(rc, idx) !== undefined;
  const others = lines.filter(
    (l) => !isKmsPrincipal(l.replace(/^[a-z_]+: /, "").replace(/ may (now|no longer) connect$/, "")),
  );
  const gained = others.filter((l) => l.endsWith("may now connect"));
  const lost = lines.filter((l) => l.endsWith("may no longer connect"));
  if (action === "create") {
    return gained.length
      ? {
          why: `${gained.join("; ")}${xks ? ": the XKS endpoint service needs only KMS's principal cks.kms.<region>.amazonaws.com" : ""}`,
          fix: "check each principal should reach the proxies (https://docs.aws.amazon.com/kms/latest/developerguide/vpc-connectivity.html)",
        }
      : undefined;
  }
  if (action !== "update") return undefined;
  const attrs = meaningful(rc).filter((x) => x !== "allowed_principals" && x !== "principal_arn");
  const parts = [
    ...gained,
    ...lost,
    ...(attrs.length ? [`endpoint service settings change (${describe(attrs)})`] : []),
  ];
  return parts.length
    ? {
        why: parts.join("; "),
        fix: `check the change${xks ? ": KMS connects to the external key store proxy through this service, and a broken service makes every key in the store unusable" : ""} (https://docs.aws.amazon.com/kms/latest/developerguide/vpc-connectivity.html)`,
      }
    : undefined;
};

const xksPlumbing: Check = (rc, action, idx) => {
  if (action !== "update" || !xksRole(rc, idx)) return undefined;
  const attrs = meaningful(rc);
  return attrs.length
    ? {
        why: `${keyBearing(rc, idx)?.what ?? rc.type} changes (${describe(attrs)})`,
        fix: "check KMS still reaches the XKS proxy through it: port, protocol, certificate and targets (https://docs.aws.amazon.com/kms/latest/developerguide/vpc-connectivity.html)",
      }
    : undefined;
};

const credentialSecret: Check = (rc, action, idx) => {
  if (action !== "update" || !keyBearing(rc, idx)) return undefined;
  const attrs = meaningful(rc).filter((x) =>
    ["kms_key_id", "policy", "recovery_window_in_days", "replica"].includes(x),
  );
  return attrs.length
    ? {
        why: `the secret holding a key-store or HSM credential changes (${describe(attrs)})`,
        fix: "check the hooks and the operators who read it keep access (its key and policy) and it stays recoverable",
      }
    : undefined;
};

/** FSx settings whose lowering removes the way back after a mistake. */
const fsx: Check = (rc, action) => {
  const parts: string[] = [];
  const rb = num(b(rc).automatic_backup_retention_days);
  const ra = num(a(rc).automatic_backup_retention_days);
  if (ra === 0 && (action === "create" || (rb ?? 0) > 0))
    parts.push("automatic backups turned off (automatic_backup_retention_days = 0)");
  else if (action === "update" && rb !== undefined && ra !== undefined && ra < rb)
    parts.push(`automatic backups kept ${ra} days instead of ${rb}`);
  if (a(rc).skip_final_backup === true && (action === "create" || b(rc).skip_final_backup !== true))
    parts.push("no final backup when it is deleted (skip_final_backup = true)");
  if (action === "update" && b(rc).copy_tags_to_backups === true && a(rc).copy_tags_to_backups === false)
    parts.push("backups no longer carry the tags");
  return parts.length
    ? {
        why: `FSx backups weakened: ${parts.join("; ")}`,
        fix: "keep automatic backups and the final backup (https://docs.aws.amazon.com/fsx/latest/ONTAPGuide/using-backups.html)",
      }
    : undefined;
};

const ANYWHERE = new Set(["0.0.0.0/0", "::/0"]);

/** An inbound rule open to the whole internet (a file system, proxy or admin host reachable by anyone who finds it). */
const openIngress: Check = (rc, action) => {
  if (action !== "create" && action !== "update" && action !== "replace") return undefined;
  const v = a(rc);
  const rules: Record<string, unknown>[] =
    rc.type === "aws_security_group"
      ? Array.isArray(v.ingress)
        ? (v.ingress as Record<string, unknown>[])
        : []
      : rc.type === "aws_security_group_rule" && v.type !== "ingress"
        ? []
        : [v as Record<string, unknown>];
  const open = rules.filter((r) =>
    [
      r.cidr_ipv4,
      r.cidr_ipv6,
      ...(Array.isArray(r.cidr_blocks) ? r.cidr_blocks : []),
      ...(Array.isArray(r.ipv6_cidr_blocks) ? r.ipv6_cidr_blocks : []),
    ].some((c) => typeof c === "string" && ANYWHERE.has(c)),
  );
  if (!open.length) return undefined;
  const ports = open.map((r) =>
    r.ip_protocol === "-1" || r.protocol === "-1"
      ? "every port"
      : `${String(r.ip_protocol ?? r.protocol)} ${String(r.from_port)}-${String(r.to_port)}`,
  );
  return {
    why: `inbound traffic from anywhere (0.0.0.0/0 or ::/0) on ${[...new Set(ports)].join(", ")}`,
    fix: "allow only the client ranges that need it (https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html)",
  };
};

const alarmPath: Check = (rc, action) => {
  if (action === "create") return undefined;
  if (GONE.has(action))
    return {
      why: `${action} of ${rc.type}: an alarm that warns before keys fail (or its delivery) goes away`,
      fix: "review before applying: a key store or quota failure would then arrive unannounced (docs/alarms.md)",
    };
  const attrs = meaningful(rc);
  if (rc.type === "aws_sns_topic_policy" || rc.type === "aws_sns_topic") {
    const lines = policyLines(rc);
    const rest = attrs.filter((x) => x !== "policy");
    if (!lines.length && !rest.length) return undefined;
    return {
      why: [...lines, ...(rest.length ? [`topic settings change (${describe(rest)})`] : [])].join("; "),
      fix: "check CloudWatch can still publish to the topic and nobody else can (https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html)",
    };
  }
  if (!attrs.length) return undefined;
  const off =
    a(rc).actions_enabled === false && b(rc).actions_enabled !== false
      ? "; its actions are turned off (actions_enabled = false)"
      : "";
  return {
    why: `${rc.type} changes (${describe(attrs)})${off}: an alarm that warns before keys fail, or its delivery`,
    fix: "check it still fires and reaches the on-call (docs/alarms.md)",
  };
};

const route: Check = (rc, action) =>
  GONE.has(action)
    ? {
        why: `${action} of ${rc.type}: a route to the data centre; an external key store's proxies behind it become unreachable (XKS_PROXY_NOT_REACHABLE) and every key in the store unusable`,
        fix: "check no XKS proxy or external key manager is reached through it (https://docs.aws.amazon.com/kms/latest/developerguide/xks-connectivity.html)",
      }
    : undefined;

const CHECKS: Record<string, Check> = {
  ...Object.fromEntries(KMS_KEY_TYPES.map((t) => [t, kmsKey])),
  aws_kms_key_policy: keyPolicy,
  aws_kms_alias: alias,
  aws_kms_grant: grant,
  aws_kms_custom_key_store: keyStore,
  aws_cloudhsm_v2_cluster: cluster,
  aws_ebs_encryption_by_default: ebsByDefault,
  aws_ebs_default_kms_key: ebsDefaultKey,
  aws_s3_bucket_server_side_encryption_configuration: bucketEncryption,
  aws_s3_bucket_public_access_block: publicAccessBlock,
  aws_s3_bucket_versioning: versioning,
  aws_s3_bucket_policy: resourcePolicy(
    "bucket policy",
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-policies.html",
  ),
  aws_s3_bucket: bucket,
  aws_vpc_endpoint_service: endpointService,
  aws_vpc_endpoint_service_allowed_principal: endpointService,
  aws_lb: xksPlumbing,
  aws_lb_listener: xksPlumbing,
  aws_lb_target_group: xksPlumbing,
  aws_secretsmanager_secret: credentialSecret,
  ...Object.fromEntries([...ALARM_TYPES].map((t) => [t, alarmPath])),
  ...Object.fromEntries(ON_PREMISES_ROUTE_TYPES.map((t) => [t, route])),
  aws_vpc_security_group_ingress_rule: openIngress,
  aws_security_group: openIngress,
  aws_security_group_rule: openIngress,
  aws_sns_topic_policy: (rc, action, idx) =>
    action === "create" ? topicPolicy(rc, action, idx) : alarmPath(rc, action, idx),
};

const FSX_FILE_SYSTEM = /^aws_fsx_[a-z0-9_]*(file_system|volume)$/;

/** Rule `key-resource-change` (risky). Runs after the other rules and skips resources they already named. */
export function riskyFindings(idx: Parameters<Rule>[0], already: ReadonlySet<string>): Finding[] {
  const out: Finding[] = [];
  for (const rc of idx.changes) {
    const action = actionOf(rc.change.actions);
    if (action === "no-op" || action === "read" || already.has(rc.address)) continue;
    const check = CHECKS[rc.type] ?? (FSX_FILE_SYSTEM.test(rc.type) ? fsx : undefined);
    const note = check?.(rc, action, idx);
    if (note) out.push(finding(idx, rc, action, "key-resource-change", "risky", note.why, note.fix));
  }
  return out;
}
