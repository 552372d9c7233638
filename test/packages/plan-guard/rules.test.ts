/** Hand-built plans for every blocking rule: exact block lines, and the near misses that must pass. */
import { blockLine, classifyPlans, formatResult, type GuardResult, type LoadedPlan } from "@cmk-stacks/plan-guard";
import { ADMIN_STATEMENT, cfg, planOf, policy, rc, ROOT_STATEMENT, USE_STATEMENT } from "./builders";

const lines = (p: LoadedPlan): string[] => classifyPlans([p]).blocked.map(blockLine);
const decisions = (r: GuardResult): string[][] => r.blocked.map((f) => [f.address, f.action, f.rule]);

const KEY_WHY =
  "KMS schedules the key for deletion, and when the window ends every byte encrypted under it (S3 objects, EBS volumes, FSx data, data keys) can never be decrypted again";
const DELETE_FIX =
  "keep the resource; for a rename or refactor use a `moved` block (CDKTF: `moveTo`), not a `removed` block (that forgets it and prevent_destroy no longer protects it); if the deletion is really intended, follow the teardown procedure (npm run teardown, docs/operations.md), or allow it with an entry in plan-guard.allow.json with its address, a reason, and this plan's digest (the PLAN line) and/or the last day it applies (expires)";
const REPLACE_FIX =
  "revert the argument that forces replacement, or use a `moved` block if only the address changed; to really change it, create the new resource beside the old one, migrate, and retire the old one in its own change with an entry in plan-guard.allow.json with its address, a reason, and this plan's digest (the PLAN line) and/or the last day it applies (expires)";

describe("destroy-key-bearing: delete, replace (either order) and forget", () => {
  test("a KMS key delete: exact line", () => {
    expect(lines(planOf([rc("aws_kms_key.main", ["delete"], { id: "k1" }, null)]))).toEqual([
      `BLOCKED [dev-keys] aws_kms_key.main (delete): deletes this KMS key; ${KEY_WHY}; a key in an external key store cannot be recreated even from the same external key. Avoid: ${DELETE_FIX}.`,
    ]);
  });

  test("an S3 bucket replaced create-before-destroy, with the forcing attribute: exact line", () => {
    expect(
      lines(
        planOf([
          rc(
            "aws_s3_bucket.data",
            ["create", "delete"],
            { bucket: "a" },
            { bucket: "b" },
            {
              change: {
                actions: ["create", "delete"],
                before: { bucket: "a" },
                after: { bucket: "b" },
                replace_paths: [["bucket"]],
              },
            },
          ),
        ]),
      ),
    ).toEqual([
      `BLOCKED [dev-keys] aws_s3_bucket.data (replace): replaces this S3 bucket (forced by bucket): the old one is destroyed; the bucket and its objects are deleted (or the name is lost to anyone who claims it). Avoid: ${REPLACE_FIX}.`,
    ]);
  });

  test.each([
    ["aws_kms_external_key.byok", ["delete", "create"], "replace"],
    ["aws_kms_replica_key.eu", ["forget"], "forget"],
    ["aws_kms_replica_external_key.eu", ["delete"], "delete"],
    ["aws_kms_custom_key_store.hsm", ["delete"], "delete"],
    ["aws_cloudhsm_v2_cluster.main", ["delete", "create"], "replace"],
    ["aws_cloudhsm_v2_hsm.only", ["delete"], "delete"],
    ["aws_fsx_ontap_file_system.files", ["delete"], "delete"],
    ["aws_fsx_lustre_file_system.scratch", ["create", "delete"], "replace"],
    ["aws_ebs_volume.data", ["delete"], "delete"],
    ['aws_kms_key.k["a"]', ["forget", "create"], "forget"],
  ])("blocks %s %j", (address, actions, action) => {
    const r = classifyPlans([planOf([rc(address, actions, { id: "x" }, actions.length === 1 ? null : { id: "y" })])]);
    expect(decisions(r)).toEqual([[address, action, "destroy-key-bearing"]]);
  });

  test("a deposed key object's delete is blocked and says so", () => {
    const r = classifyPlans([planOf([rc("aws_kms_key.k", ["delete"], { id: "old" }, null, { deposed: "00a1b2c3" })])]);
    expect(decisions(r)).toEqual([["aws_kms_key.k (deposed 00a1b2c3)", "delete", "destroy-key-bearing"]]);
  });

  test("an action the guard does not know, on a key, is blocked", () => {
    const r = classifyPlans([planOf([rc("aws_kms_key.k", ["archive"], { id: "k" }, null)])]);
    expect(decisions(r)).toEqual([["aws_kms_key.k", "unknown", "destroy-key-bearing"]]);
  });

  test.each([
    ["aws_instance.web", ["delete"]],
    ["aws_security_group.sg", ["delete", "create"]],
    ["aws_kms_grant.fsx", ["delete"]],
    ["aws_s3_bucket_server_side_encryption_configuration.data", ["delete", "create"]],
    ["aws_secretsmanager_secret.app_db", ["delete"]],
    ["aws_vpc_endpoint_service.other", ["delete"]],
  ])("passes %s %j (not key- or data-bearing)", (address, actions) => {
    expect(classifyPlans([planOf([rc(address, actions, { id: "x", name: "app-db" }, null)])]).blocked).toEqual([]);
  });
});

describe("aliases in use", () => {
  test("an alias whose key stays is blocked: exact line", () => {
    const p = planOf([
      rc("aws_kms_alias.main", ["delete"], { name: "alias/main", target_key_id: "k1" }, null),
      rc("aws_kms_key.main", ["no-op"], { id: "k1", key_id: "k1" }, { id: "k1", key_id: "k1" }),
    ]);
    expect(lines(p)).toEqual([
      `BLOCKED [dev-keys] aws_kms_alias.main (delete): deletes this KMS alias in use; everything that names the key by this alias (applications, encryption settings, other stacks) fails at once. Avoid: ${DELETE_FIX}.`,
    ]);
  });

  test("an alias going with its key is only risky: the key's block covers it", () => {
    const p = planOf([
      rc("aws_kms_alias.main", ["delete"], { name: "alias/main", target_key_id: "k1" }, null),
      rc("aws_kms_key.main", ["delete"], { id: "k1", key_id: "k1" }, null),
    ]);
    const r = classifyPlans([p]);
    expect(decisions(r)).toEqual([["aws_kms_key.main", "delete", "destroy-key-bearing"]]);
    expect(r.risky.map((f) => [f.address, f.action])).toEqual([["aws_kms_alias.main", "delete"]]);
  });

  // A key with several aliases (keys.<name>.aliases): each alias is its own resource, judged alone.
  const KEY = (actions: string[]) =>
    rc(
      "aws_kms_key.main",
      actions,
      { id: "k1", key_id: "k1" },
      actions[0] === "delete" ? null : { id: "k1", key_id: "k1" },
    );
  test("a key with two aliases: deleting the extra alias is blocked although the primary alias stays", () => {
    const p = planOf([
      rc(
        "aws_kms_alias.main",
        ["no-op"],
        { name: "alias/main", target_key_id: "k1" },
        { name: "alias/main", target_key_id: "k1" },
      ),
      rc("aws_kms_alias.extra", ["delete"], { name: "alias/uploads", target_key_id: "k1" }, null),
      KEY(["no-op"]),
    ]);
    expect(lines(p)).toEqual([
      `BLOCKED [dev-keys] aws_kms_alias.extra (delete): deletes this KMS alias in use; everything that names the key by this alias (applications, encryption settings, other stacks) fails at once. Avoid: ${DELETE_FIX}.`,
    ]);
  });

  test("a key with two aliases: adding a third is not blocked, repointing the extra one is reported", () => {
    const r = classifyPlans([
      planOf([
        rc(
          "aws_kms_alias.main",
          ["no-op"],
          { name: "alias/main", target_key_id: "k1" },
          { name: "alias/main", target_key_id: "k1" },
        ),
        rc(
          "aws_kms_alias.extra",
          ["update"],
          { name: "alias/uploads", target_key_id: "k1" },
          { name: "alias/uploads", target_key_id: "k2" },
        ),
        rc("aws_kms_alias.third", ["create"], null, { name: "alias/reports", target_key_id: "k1" }),
        KEY(["no-op"]),
      ]),
    ]);
    expect(decisions(r)).toEqual([]);
    expect(r.risky.map((f) => [f.address, f.action, f.why])).toEqual([
      [
        "aws_kms_alias.extra",
        "update",
        "the alias now points at k2 (was k1): everything that encrypts by this alias uses the new key from the next request",
      ],
    ]);
  });

  test("a key with two aliases going with its key: the key is blocked, both aliases only risky", () => {
    const r = classifyPlans([
      planOf([
        rc("aws_kms_alias.main", ["delete"], { name: "alias/main", target_key_id: "k1" }, null),
        rc("aws_kms_alias.extra", ["delete"], { name: "alias/uploads", target_key_id: "k1" }, null),
        KEY(["delete"]),
      ]),
    ]);
    expect(decisions(r)).toEqual([["aws_kms_key.main", "delete", "destroy-key-bearing"]]);
    expect(r.risky.map((f) => [f.address, f.action])).toEqual([
      ["aws_kms_alias.main", "delete"],
      ["aws_kms_alias.extra", "delete"],
    ]);
  });
});

describe("secrets holding key-store or HSM credentials: by their role, never by their name", () => {
  test("a secret tagged cmk:holds = key-store-credential is blocked", () => {
    const r = classifyPlans([
      planOf([
        rc(
          "aws_secretsmanager_secret.s",
          ["delete"],
          { name: "opaque", tags: { "cmk:holds": "key-store-credential" } },
          null,
        ),
      ]),
    ]);
    expect(decisions(r)).toEqual([["aws_secretsmanager_secret.s", "delete", "destroy-key-bearing"]]);
    expect(r.blocked[0].why).toMatch(/^deletes this secret holding a key-store or HSM credential; without the kmsuser/);
  });

  test.each([
    ["key_store_password", "aws_kms_custom_key_store.hsm"],
    ["xks_proxy_authentication_credential", "aws_kms_custom_key_store.xks"],
  ])("an untagged secret read by a key store's %s (through a secret-version data source) is blocked", (attr, store) => {
    const p = planOf([rc("aws_secretsmanager_secret.opaque", ["delete"], { name: "team/a" }, null)], {
      config: [
        cfg(store, { [attr]: "data.aws_secretsmanager_secret_version.pw.secret_string" }),
        {
          ...cfg("aws_secretsmanager_secret_version.x", { secret_id: "aws_secretsmanager_secret.opaque.id" }),
          address: "data.aws_secretsmanager_secret_version.pw",
          mode: "data",
          type: "aws_secretsmanager_secret_version",
          name: "pw",
        },
      ],
    });
    expect(decisions(classifyPlans([p]))).toEqual([
      ["aws_secretsmanager_secret.opaque", "delete", "destroy-key-bearing"],
    ]);
  });

  test("a version of the secret a key store reads by a constant ARN (the secret kept elsewhere) is blocked when replaced", () => {
    const arn = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:team/opaque-AbCdEf";
    const data = {
      ...cfg("aws_secretsmanager_secret_version.x", {}, { secret_id: arn }),
      address: "data.aws_secretsmanager_secret_version.cred",
      mode: "data" as const,
      type: "aws_secretsmanager_secret_version",
      name: "cred",
    };
    const p = planOf(
      [
        rc("aws_secretsmanager_secret_version.v", ["delete", "create"], { secret_id: arn }, { secret_id: arn }),
        rc(
          "aws_secretsmanager_secret_version.other",
          ["delete"],
          { secret_id: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:xks-notes-AbCdEf" },
          null,
        ),
      ],
      {
        config: [
          cfg("aws_kms_custom_key_store.xks", {
            xks_proxy_authentication_credential: "data.aws_secretsmanager_secret_version.cred.secret_string",
          }),
          data,
        ],
      },
    );
    expect(decisions(classifyPlans([p]))).toEqual([
      ["aws_secretsmanager_secret_version.v", "replace", "destroy-key-bearing"],
    ]);
  });

  test.each([
    ["a name with xks", { name: "prod/xks-dashboard-token" }],
    ["a name with kmsuser", { name: "kmsuser-notes" }],
    ["a description with HSM", { name: "p1", description: "CloudHSM crypto officer password (old copy)" }],
    ["an xks tag", { name: "opaque", tags_all: { Purpose: "XKS proxy credential" } }],
  ])("a secret with %s that no key store reads is not a key-store credential", (_how, values) => {
    expect(classifyPlans([planOf([rc("aws_secretsmanager_secret.s", ["delete"], values, null)])]).blocked).toEqual([]);
  });

  test("a secret version is judged by the secret its configuration references", () => {
    const p = planOf(
      [
        rc(
          "aws_secretsmanager_secret_version.v",
          ["delete", "create"],
          { secret_id: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:opaque-AbC" },
          { secret_id: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:opaque-AbC" },
        ),
        rc(
          "aws_secretsmanager_secret.s",
          ["no-op"],
          { name: "opaque", tags: { "cmk:holds": "key-store-credential" } },
          { name: "opaque", tags: { "cmk:holds": "key-store-credential" } },
        ),
      ],
      { config: [cfg("aws_secretsmanager_secret_version.v", { secret_id: "aws_secretsmanager_secret.s.id" })] },
    );
    expect(decisions(classifyPlans([p]))).toEqual([
      ["aws_secretsmanager_secret_version.v", "replace", "destroy-key-bearing"],
    ]);
  });
});

describe("the XKS endpoint service and its network load balancer", () => {
  const store = rc(
    "aws_kms_custom_key_store.xks",
    ["no-op"],
    { xks_proxy_vpc_endpoint_service_name: "com.amazonaws.vpce.eu-west-1.vpce-svc-0123" },
    { xks_proxy_vpc_endpoint_service_name: "com.amazonaws.vpce.eu-west-1.vpce-svc-0123" },
  );
  const service = (actions: string[]) =>
    rc(
      "aws_vpc_endpoint_service.xks",
      actions,
      {
        service_name: "com.amazonaws.vpce.eu-west-1.vpce-svc-0123",
        network_load_balancer_arns: ["arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/net/p/1"],
      },
      null,
    );
  const nlb = (type: string) =>
    rc(
      "aws_lb.proxy",
      ["delete"],
      { arn: "arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/net/p/1", load_balancer_type: type },
      null,
    );

  test("the service a key store names, and the NLB it lists, are blocked", () => {
    const r = classifyPlans([planOf([store, service(["delete"]), nlb("network")])]);
    expect(decisions(r)).toEqual([
      ["aws_vpc_endpoint_service.xks", "delete", "destroy-key-bearing"],
      ["aws_lb.proxy", "delete", "destroy-key-bearing"],
    ]);
    expect(r.blocked[1].why).toBe(
      "deletes this network load balancer of the XKS endpoint service; KMS can no longer reach the external key store proxy: every key in the external key store is unusable at once",
    );
  });

  test("an endpoint service allowing cks.kms.<region>.amazonaws.com is XKS even without the store in the plan", () => {
    const r = classifyPlans([
      planOf([
        rc("aws_vpc_endpoint_service.x", ["delete"], { allowed_principals: ["cks.kms.eu-west-1.amazonaws.com"] }, null),
      ]),
    ]);
    expect(decisions(r)).toEqual([["aws_vpc_endpoint_service.x", "delete", "destroy-key-bearing"]]);
  });

  test("an application load balancer is not", () => {
    expect(classifyPlans([planOf([store, service(["no-op"]), nlb("application")])]).blocked).toEqual([]);
  });
});

describe("key-disabled", () => {
  test("is_enabled true -> false: exact line", () => {
    expect(
      lines(planOf([rc("aws_kms_key.k", ["update"], { is_enabled: true, id: "k1" }, { is_enabled: false, id: "k1" })])),
    ).toEqual([
      "BLOCKED [dev-keys] aws_kms_key.k (update): sets is_enabled = false: every request under this key fails at once (S3 reads, EBS attach, FSx mounts, decrypt of any data key) until it is re-enabled. Avoid: keep it enabled; to retire a key, move every consumer to another key first, then disable it alone in its own change (disable-then-re-enable is the safe test before any deletion) with an entry in plan-guard.allow.json with its address, a reason, and this plan's digest (the PLAN line) and/or the last day it applies (expires).",
    ]);
  });

  test("re-enabling, or a replica key disabled, are told apart", () => {
    expect(
      classifyPlans([planOf([rc("aws_kms_key.k", ["update"], { is_enabled: false }, { is_enabled: true })])]).blocked,
    ).toEqual([]);
    expect(
      decisions(
        classifyPlans([planOf([rc("aws_kms_replica_key.r", ["update"], { enabled: true }, { enabled: false })])]),
      ),
    ).toEqual([["aws_kms_replica_key.r", "update", "key-disabled"]]);
  });
});

describe("key-store-critical-update", () => {
  test("a new kmsuser password: exact line, and the value is never printed", () => {
    const l = lines(
      planOf([
        rc(
          "aws_kms_custom_key_store.s",
          ["update"],
          { key_store_password: "oldSecret1", custom_key_store_name: "n" },
          { key_store_password: "newSecret2", custom_key_store_name: "n" },
        ),
      ]),
    );
    expect(l).toEqual([
      "BLOCKED [dev-keys] aws_kms_custom_key_store.s (update): changes key_store_password of this custom key store: the kmsuser password must equal the one on the HSMs: KMS accepts the update only while the store is disconnected, and a wrong password leaves it unable to connect (INVALID_CREDENTIALS); meanwhile every key in the store is unusable. Avoid: never change the kmsuser password through Terraform: put back ignore_changes on key_store_password; to recover a store that cannot log in, run the operator step reset-kmsuser-password (hooks/README.md).",
    ]);
    expect(l.join()).not.toMatch(/Secret/);
  });

  test("an XKS credential change points to rotate-xks-credential only: no disconnect, no apply, no allowlisting, no value", () => {
    const r = classifyPlans([
      planOf([
        rc(
          "aws_kms_custom_key_store.s",
          ["update"],
          {
            xks_proxy_authentication_credential: [
              { access_key_id: "AKOLDOLDOLD", raw_secret_access_key: "oldSecretValue" },
            ],
          },
          {
            xks_proxy_authentication_credential: [
              { access_key_id: "AKNEWNEWNEW", raw_secret_access_key: "newSecretValue" },
            ],
          },
        ),
      ]),
    ]);
    expect(r.blocked.map((f) => f.fix)).toEqual([
      "never change the XKS proxy credential through Terraform: put back ignore_changes on xks_proxy_authentication_credential and rotate it with the operator step rotate-xks-credential (checks the new credential against the proxy with xks-check, updates the store while it stays CONNECTED, waits up to 5 minutes, proves an Encrypt/Decrypt round trip, then says when the old one may be retired; docs/xks.md#rotating-the-proxy-credential-rotate-xks-credential)",
    ]);
    expect(r.blocked[0].fix).not.toMatch(/allow|disconnect/i);
    expect(JSON.stringify(r)).not.toMatch(/SecretValue|AKOLD|AKNEW/);
    expect(r.risky).toEqual([]);
  });

  test("a cluster change is allowed only the new way: digest and/or expires", () => {
    const r = classifyPlans([
      planOf([
        rc(
          "aws_kms_custom_key_store.s",
          ["update"],
          { cloud_hsm_cluster_id: "cluster-aaaaaaaaaaa" },
          { cloud_hsm_cluster_id: "cluster-bbbbbbbbbbb" },
        ),
      ]),
    ]);
    expect(r.blocked[0].fix).toBe(
      "never repoint a store at another cluster: point it only at a clone restored from this cluster's backups, and then allow the change with " +
        "an entry in plan-guard.allow.json with its address, a reason, and this plan's digest (the PLAN line) and/or the last day it applies (expires)",
    );
  });

  test.each([
    [
      "xks_proxy_authentication_credential",
      [{ access_key_id: "A", raw_secret_access_key: "x" }],
      [{ access_key_id: "B", raw_secret_access_key: "y" }],
    ],
    ["cloud_hsm_cluster_id", "cluster-aaaaaaaaaaa", "cluster-bbbbbbbbbbb"],
    ["trust_anchor_certificate", "PEM1", "PEM2"],
  ])("an in-place change of %s is blocked", (attr, before, after) => {
    const r = classifyPlans([
      planOf([rc("aws_kms_custom_key_store.s", ["update"], { [attr]: before }, { [attr]: after })]),
    ]);
    expect(decisions(r)).toEqual([["aws_kms_custom_key_store.s", "update", "key-store-critical-update"]]);
    expect(r.blocked[0].why).toMatch(new RegExp(`^changes ${attr} of this custom key store`));
  });

  test("renaming the store is only risky, with the disconnect it needs", () => {
    const r = classifyPlans([
      planOf([
        rc("aws_kms_custom_key_store.s", ["update"], { custom_key_store_name: "a" }, { custom_key_store_name: "b" }),
      ]),
    ]);
    expect(r.blocked).toEqual([]);
    expect(r.risky.map((f) => [f.why, f.fix])).toEqual([
      [
        "key store settings change (custom_key_store_name): a CloudHSM key store must be disconnected for this, and then no key in it can be used",
        "plan the disconnect window, check the new settings reach the same key manager or cluster (ciphertext is unrecoverable otherwise), reconnect and wait for CONNECTED (https://docs.aws.amazon.com/kms/latest/APIReference/API_UpdateCustomKeyStore.html)",
      ],
    ]);
  });
});

describe("hsm-count-below-2", () => {
  const hsm = (name: string, actions: string[], cluster: string) =>
    rc(
      `aws_cloudhsm_v2_hsm.${name}`,
      actions,
      { cluster_id: cluster },
      actions[0] === "delete" ? null : { cluster_id: cluster },
    );

  test("3 -> 1: each removed HSM gets the count line", () => {
    const r = classifyPlans([
      planOf([hsm("a", ["no-op"], "cluster-x"), hsm("b", ["delete"], "cluster-x"), hsm("c", ["delete"], "cluster-x")]),
    ]);
    expect(r.blocked.filter((f) => f.rule === "hsm-count-below-2").map(blockLine)).toEqual([
      "BLOCKED [dev-keys] aws_cloudhsm_v2_hsm.b (delete): leaves CloudHSM cluster cluster-x with 1 HSM (had 3): the key store needs at least 2 active HSMs in different AZs to connect (INSUFFICIENT_CLOUDHSM_HSMS) and to create keys. Avoid: add the replacement HSM in another AZ in an earlier apply and wait until it is ACTIVE, then remove this one; allow it (only if the key store is being retired) with an entry in plan-guard.allow.json with its address, a reason, and this plan's digest (the PLAN line) and/or the last day it applies (expires).",
      "BLOCKED [dev-keys] aws_cloudhsm_v2_hsm.c (delete): leaves CloudHSM cluster cluster-x with 1 HSM (had 3): the key store needs at least 2 active HSMs in different AZs to connect (INSUFFICIENT_CLOUDHSM_HSMS) and to create keys. Avoid: add the replacement HSM in another AZ in an earlier apply and wait until it is ACTIVE, then remove this one; allow it (only if the key store is being retired) with an entry in plan-guard.allow.json with its address, a reason, and this plan's digest (the PLAN line) and/or the last day it applies (expires).",
    ]);
  });

  test("3 -> 2, and a new cluster's first HSM, do not trip the count", () => {
    const r = classifyPlans([
      planOf([
        hsm("a", ["no-op"], "cluster-x"),
        hsm("b", ["no-op"], "cluster-x"),
        hsm("c", ["delete"], "cluster-x"),
        rc("aws_cloudhsm_v2_hsm.n", ["create"], null, { cluster_id: null }),
      ]),
    ]);
    expect(r.blocked.filter((f) => f.rule === "hsm-count-below-2")).toEqual([]);
  });

  test("an allowed HSM delete is still blocked by the count", () => {
    const r = classifyPlans([planOf([hsm("a", ["no-op"], "cluster-x"), hsm("b", ["delete"], "cluster-x")])], {
      entries: [{ index: 0, address: "aws_cloudhsm_v2_hsm.b", reason: "replacing the HSM", actions: ["delete"] }],
    });
    expect(r.allowed).toHaveLength(2);
    expect(r.exitCode).toBe(0);
  });
});

describe("key-policy-lockout", () => {
  const update = (before: string, after: string) =>
    planOf([rc("aws_kms_key.k", ["update"], { policy: before }, { policy: after })]);

  test("losing the account-root and the administrator statements: exact line", () => {
    expect(lines(update(policy(ROOT_STATEMENT, ADMIN_STATEMENT, USE_STATEMENT), policy(USE_STATEMENT)))).toEqual([
      "BLOCKED [dev-keys] aws_kms_key.k (update): after this change no principal can change the key policy: no Allow of kms:PutKeyPolicy to the account or a named principal survives its Denies, so nobody can manage the key any more and only AWS Support can restore access. Avoid: keep an Allow of kms:PutKeyPolicy for the account root (arn:aws:iam::<account>:root with kms:*) or for named administrators, and no Deny that cancels it; change administrators through the role lists, one at a time.",
    ]);
  });

  test("losing the administrator statement while the account root keeps kms:* is risky, through aws_kms_key_policy", () => {
    const r = classifyPlans([
      planOf([
        rc(
          "aws_kms_key_policy.k",
          ["update"],
          { policy: policy(ROOT_STATEMENT, ADMIN_STATEMENT) },
          { policy: policy(ROOT_STATEMENT) },
        ),
      ]),
    ]);
    expect(r.blocked).toEqual([]);
    expect(r.risky.map((f) => [f.rule, f.why])).toEqual([
      [
        "key-policy-admins-removed",
        "principals who can no longer change the key policy: arn:aws:iam::111122223333:role/admin, arn:aws:iam::111122223333:role/admin2",
      ],
    ]);
  });

  test("losing the administrator statement through aws_kms_key_policy, with no root statement, is a lockout", () => {
    const r = classifyPlans([
      planOf([
        rc(
          "aws_kms_key_policy.k",
          ["update"],
          { policy: policy(ADMIN_STATEMENT, USE_STATEMENT) },
          { policy: policy(USE_STATEMENT) },
        ),
      ]),
    ]);
    expect(decisions(r)).toEqual([["aws_kms_key_policy.k", "update", "key-policy-lockout"]]);
  });

  test("a Deny of kms:PutKeyPolicy to everyone", () => {
    const deny = { Sid: "Freeze", Effect: "Deny", Principal: "*", Action: "kms:Put*", Resource: "*" };
    expect(decisions(classifyPlans([update(policy(ROOT_STATEMENT), policy(ROOT_STATEMENT, deny))]))).toEqual([
      ["aws_kms_key.k", "update", "key-policy-lockout"],
    ]);
  });

  test("removing one administrator is risky, reordering statements is nothing", () => {
    const fewer = { ...ADMIN_STATEMENT, Principal: { AWS: ["arn:aws:iam::111122223333:role/admin"] } };
    const r = classifyPlans([update(policy(ROOT_STATEMENT, ADMIN_STATEMENT), policy(ROOT_STATEMENT, fewer))]);
    expect(r.blocked).toEqual([]);
    expect(r.risky.map((f) => f.rule)).toEqual(["key-policy-admins-removed"]);
    expect(
      classifyPlans([update(policy(ROOT_STATEMENT, ADMIN_STATEMENT), policy(ADMIN_STATEMENT, ROOT_STATEMENT))]).blocked,
    ).toEqual([]);
  });
});

describe("drift-key-pending-deletion", () => {
  test("a key gone from state (pending deletion) in resource_drift: exact line", () => {
    expect(
      lines(
        planOf([rc("aws_kms_key.k", ["create"], null, { description: "k" })], {
          drift: [rc("aws_kms_key.k", ["delete"], { id: "k1" }, null)],
        }),
      ),
    ).toEqual([
      "BLOCKED [dev-keys] aws_kms_key.k (drift): the KMS key disappeared outside Terraform (a key pending deletion is dropped from state): when its window ends everything encrypted under it is lost, and this plan would put a new key in its place. Avoid: cancel the deletion now (`aws kms cancel-key-deletion --key-id <id>`; the key comes back Disabled, so enable it), re-plan and check the key is back; never apply a plan that creates a new key in its place.",
    ]);
  });

  test("an imported key whose key_state drifted to PendingDeletion", () => {
    const r = classifyPlans([
      planOf([], {
        drift: [rc("aws_kms_external_key.b", ["update"], { key_state: "Enabled" }, { key_state: "PendingDeletion" })],
      }),
    ]);
    expect(decisions(r)).toEqual([["aws_kms_external_key.b", "drift", "drift-key-pending-deletion"]]);
  });

  test("drift of a description is nothing", () => {
    expect(
      classifyPlans([
        planOf([], { drift: [rc("aws_kms_key.k", ["update"], { description: "a" }, { description: "b" })] }),
      ]).blocked,
    ).toEqual([]);
  });
});

describe("the route to the data centre (XKS proxies on premises)", () => {
  test.each([
    ["aws_ec2_transit_gateway_vpc_attachment.onprem", ["delete"], "delete"],
    ["aws_vpn_gateway_attachment.onprem", ["delete", "create"], "replace"],
    ["aws_vpn_gateway_route_propagation.main", ["delete"], "delete"],
  ])("%s (%s) is risky, with the XKS consequence", (address, actions, action) => {
    const r = classifyPlans([planOf([rc(address, actions, { id: "x" }, actions.length === 1 ? null : { id: "y" })])]);
    expect(r.blocked).toEqual([]);
    expect(r.risky.map((f) => [f.address, f.action, f.rule])).toEqual([[address, action, "key-resource-change"]]);
    expect(r.risky[0].why).toMatch(
      /a route to the data centre; an external key store's proxies behind it become unreachable \(XKS_PROXY_NOT_REACHABLE\)/,
    );
  });
});

describe("alarms that warn before keys fail (docs/alarms.md)", () => {
  test("deleting an alarm, the topic or a subscription, or changing an alarm, is risky and names what goes away", () => {
    const r = classifyPlans([
      planOf([
        rc("aws_cloudwatch_metric_alarm.quota", ["delete"], { alarm_name: "dev-kms-request-quota" }, null),
        rc("aws_sns_topic.alarms", ["delete"], { name: "dev-kms-alarms" }, null),
        rc("aws_sns_topic_subscription.oncall", ["delete"], { protocol: "email" }, null),
        rc("aws_cloudwatch_metric_alarm.latency", ["update"], { threshold: 200 }, { threshold: 250 }),
      ]),
    ]);
    expect(r.blocked).toEqual([]);
    expect(r.risky.map((f) => [f.address, f.action, f.why])).toEqual([
      [
        "aws_cloudwatch_metric_alarm.quota",
        "delete",
        "delete of aws_cloudwatch_metric_alarm: an alarm that warns before keys fail (or its delivery) goes away",
      ],
      [
        "aws_sns_topic.alarms",
        "delete",
        "delete of aws_sns_topic: an alarm that warns before keys fail (or its delivery) goes away",
      ],
      [
        "aws_sns_topic_subscription.oncall",
        "delete",
        "delete of aws_sns_topic_subscription: an alarm that warns before keys fail (or its delivery) goes away",
      ],
      [
        "aws_cloudwatch_metric_alarm.latency",
        "update",
        "aws_cloudwatch_metric_alarm changes (threshold): an alarm that warns before keys fail, or its delivery",
      ],
    ]);
  });

  test("a tag or description change on an alarm is not risky; turning its actions off is", () => {
    const r = classifyPlans([
      planOf([
        rc(
          "aws_cloudwatch_metric_alarm.quota",
          ["update"],
          { alarm_description: "a", tags: { Owner: "x" } },
          { alarm_description: "b", tags: { Owner: "y" } },
        ),
        rc("aws_cloudwatch_metric_alarm.latency", ["update"], { actions_enabled: true }, { actions_enabled: false }),
      ]),
    ]);
    expect(r.risky.map((f) => [f.address, f.why])).toEqual([
      [
        "aws_cloudwatch_metric_alarm.latency",
        "aws_cloudwatch_metric_alarm changes (actions_enabled); its actions are turned off (actions_enabled = false): an alarm that warns before keys fail, or its delivery",
      ],
    ]);
  });

  test("creating alarms is neither blocked nor risky", () => {
    const r = classifyPlans([
      planOf([rc("aws_cloudwatch_metric_alarm.quota", ["create"], null, { alarm_name: "dev-kms-request-quota" })]),
    ]);
    expect([r.blocked, r.risky]).toEqual([[], []]);
  });
});

describe("RISKY is what a reviewer must read", () => {
  test("plain creates of key resources, aliases, settings at their secure values and tags are not risky", () => {
    const r = classifyPlans([
      planOf([
        rc("aws_kms_key.k", ["create"], null, { deletion_window_in_days: 30, enable_key_rotation: true, policy: null }),
        rc("aws_kms_alias.a", ["create"], null, { name: "alias/app", target_key_id: null }),
        rc("aws_s3_bucket_public_access_block.p", ["create"], null, {
          block_public_acls: true,
          block_public_policy: true,
          ignore_public_acls: true,
          restrict_public_buckets: true,
        }),
        rc("aws_s3_bucket_versioning.v", ["create"], null, { versioning_configuration: [{ status: "Enabled" }] }),
        rc("aws_ebs_encryption_by_default.e", ["create"], null, { enabled: true }),
        rc("aws_cloudhsm_v2_hsm.h", ["create"], null, { cluster_id: null }),
        rc(
          "aws_kms_key.old",
          ["update"],
          { tags: { a: "1" }, description: "x" },
          { tags: { a: "2" }, description: "y" },
        ),
        rc("aws_vpc_security_group_ingress_rule.nfs", ["create"], null, {
          cidr_ipv4: "10.30.0.0/16",
          ip_protocol: "tcp",
          from_port: 2049,
          to_port: 2049,
        }),
      ]),
    ]);
    expect([r.blocked, r.risky]).toEqual([[], []]);
  });

  test.each([
    [
      "rotation turned off",
      rc("aws_kms_key.k", ["update"], { enable_key_rotation: true }, { enable_key_rotation: false }),
      "automatic key rotation turned off (https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html)",
    ],
    [
      "deletion window shortened",
      rc("aws_kms_key.k", ["update"], { deletion_window_in_days: 30 }, { deletion_window_in_days: 7 }),
      "deletion window shortened from 30 to 7 days: a mistaken ScheduleKeyDeletion can be cancelled for 7 days only (https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html)",
    ],
    [
      "an alias pointed at another key",
      rc("aws_kms_alias.a", ["update"], { target_key_id: "k1" }, { target_key_id: "k2" }),
      "the alias now points at k2 (was k1): everything that encrypts by this alias uses the new key from the next request",
    ],
    [
      "a new grant",
      rc("aws_kms_grant.g", ["create"], null, {
        grantee_principal: "arn:aws:iam::555555555555:role/x",
        operations: ["Decrypt"],
        key_id: "k1",
      }),
      "the guard cannot tell which account owns k1; the grant's grantee arn:aws:iam::555555555555:role/x (account 555555555555) gains Decrypt",
    ],
    [
      "EBS encryption by default deleted",
      rc("aws_ebs_encryption_by_default.e", ["delete"], { enabled: true }, null),
      "EBS encryption by default goes: on destroy the provider turns it off for the account in this Region",
    ],
    [
      "the default EBS key reset",
      rc("aws_ebs_default_kms_key.d", ["delete"], { key_arn: "k" }, null),
      "the default EBS key goes: on destroy the provider resets it to the AWS managed key aws/ebs, so new volumes are encrypted under a key the customer does not control",
    ],
    [
      "a public access block created weak",
      rc("aws_s3_bucket_public_access_block.p", ["create"], null, {
        block_public_acls: true,
        block_public_policy: false,
        ignore_public_acls: true,
        restrict_public_buckets: false,
      }),
      "the bucket's public access block is created with block_public_policy, restrict_public_buckets off: a policy or ACL mistake can then publish the data",
    ],
    [
      "versioning created suspended",
      rc("aws_s3_bucket_versioning.v", ["create"], null, { versioning_configuration: [{ status: "Suspended" }] }),
      "the bucket's versioning is created Suspended: an overwrite or delete destroys the only copy",
    ],
    [
      "SSE-S3 default encryption",
      rc("aws_s3_bucket_server_side_encryption_configuration.s", ["create"], null, {
        rule: [{ apply_server_side_encryption_by_default: [{ sse_algorithm: "AES256" }] }],
      }),
      "the bucket's default encryption is SSE-S3 (AES256): new objects are not encrypted under the customer key",
    ],
    [
      "the bucket's default key changes",
      rc(
        "aws_s3_bucket_server_side_encryption_configuration.s",
        ["update"],
        {
          rule: [{ apply_server_side_encryption_by_default: [{ sse_algorithm: "aws:kms", kms_master_key_id: "k1" }] }],
        },
        {
          rule: [{ apply_server_side_encryption_by_default: [{ sse_algorithm: "aws:kms", kms_master_key_id: "k2" }] }],
        },
      ),
      "the bucket's default encryption changes (aws:kms, k1 → aws:kms, k2): new objects are encrypted under it; existing objects keep their key",
    ],
    [
      "S3 Bucket Keys turned off",
      rc(
        "aws_s3_bucket_server_side_encryption_configuration.s",
        ["update"],
        {
          rule: [
            {
              bucket_key_enabled: true,
              apply_server_side_encryption_by_default: [{ sse_algorithm: "aws:kms", kms_master_key_id: "k1" }],
            },
          ],
        },
        {
          rule: [
            {
              bucket_key_enabled: false,
              apply_server_side_encryption_by_default: [{ sse_algorithm: "aws:kms", kms_master_key_id: "k1" }],
            },
          ],
        },
      ),
      "S3 Bucket Keys turned off: every object write and read calls KMS, against the key's request quota (a custom key store's is far lower)",
    ],
    [
      "FSx backups off",
      rc(
        "aws_fsx_ontap_file_system.f",
        ["update"],
        { automatic_backup_retention_days: 30 },
        { automatic_backup_retention_days: 0 },
      ),
      "FSx backups weakened: automatic backups turned off (automatic_backup_retention_days = 0)",
    ],
    [
      "a bucket policy open to everyone",
      rc("aws_s3_bucket_policy.p", ["create"], null, {
        policy: JSON.stringify({
          Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" }],
        }),
      }),
      'the new bucket policy: statement 1 allows everyone (Principal "*" with no condition confining the caller)',
    ],
    [
      "an endpoint service opened to another principal",
      rc("aws_vpc_endpoint_service_allowed_principal.p", ["create"], null, {
        principal_arn: "arn:aws:iam::555555555555:root",
      }),
      "principal_arn: arn:aws:iam::555555555555:root may now connect",
    ],
    [
      "a security group open to the internet",
      rc("aws_vpc_security_group_ingress_rule.i", ["create"], null, {
        cidr_ipv4: "0.0.0.0/0",
        ip_protocol: "tcp",
        from_port: 22,
        to_port: 22,
      }),
      "inbound traffic from anywhere (0.0.0.0/0 or ::/0) on tcp 22-22",
    ],
  ])("%s is risky, with advice for its type", (_what, change, why) => {
    const r = classifyPlans([planOf([change])]);
    expect(r.blocked).toEqual([]);
    expect(r.risky.map((f) => f.why)).toEqual([why]);
    expect(r.risky[0].fix).not.toMatch(/prevent_destroy|nothing to do if intended/);
  });

  test("a RISKY line carries the advice for its type", () => {
    const r = classifyPlans([
      planOf([rc("aws_kms_alias.a", ["update"], { target_key_id: "k1" }, { target_key_id: "k2" })]),
    ]);
    expect(formatResult(r).filter((l) => l.startsWith("RISKY"))).toEqual([
      "RISKY [dev-keys] aws_kms_alias.a (update): the alias now points at k2 (was k1): everything that encrypts by this alias uses the new key from the next request. Advice: check every caller has rights on the new key, and keep the old key enabled: data encrypted under it still needs it to decrypt (https://docs.aws.amazon.com/kms/latest/developerguide/alias-update.html).",
    ]);
  });

  test("the KMS service principal on an endpoint service is not risky", () => {
    const r = classifyPlans([
      planOf([
        rc("aws_vpc_endpoint_service_allowed_principal.kms", ["create"], null, {
          principal_arn: "cks.kms.eu-west-1.amazonaws.com",
        }),
      ]),
    ]);
    expect(r.risky).toEqual([]);
  });
});

describe("scale to zero (cloudHsm.scaleToZero)", () => {
  const schedule = (actions: string[], step = "scale-down") => {
    const body = {
      name: "sandbox-cloudhsm-down-1",
      target: [
        { arn: "arn:aws:lambda:eu-west-1:111111111111:function:sandbox-hooks", input: JSON.stringify({ step }) },
      ],
    };
    return rc(
      "aws_scheduler_schedule.down-1",
      actions,
      actions[0] === "create" ? null : body,
      actions[0] === "delete" ? null : body,
    );
  };
  const hsm = (name: string, actions: string[]) =>
    rc(
      `aws_cloudhsm_v2_hsm.${name}`,
      actions,
      actions[0] === "create" ? null : { cluster_id: "cluster-x" },
      actions[0] === "delete" || actions[0] === "forget" ? null : { cluster_id: "cluster-x" },
    );
  const ruled = (r: ReturnType<typeof classifyPlans>, prefix: string) =>
    [...r.blocked, ...r.risky].filter((f) => f.rule.startsWith(prefix));

  test("a scale-to-zero stack without HSM resources (scaled down or not): no finding at all, no HSM count", () => {
    const r = classifyPlans([planOf([schedule(["no-op"])])]);
    expect(r.blocked).toEqual([]);
    expect(r.risky).toEqual([]);
  });

  test("Terraform owning an HSM beside the schedule is blocked: the next plan after a scale-down would recreate it", () => {
    const r = classifyPlans([planOf([schedule(["no-op"]), hsm("a", ["create"])])]);
    expect(ruled(r, "scale-to-zero").map((f) => [f.address, f.rule, f.severity])).toEqual([
      ["aws_cloudhsm_v2_hsm.a", "scale-to-zero-terraform-hsm", "block"],
    ]);
    expect(ruled(r, "scale-to-zero")[0].why).toContain(
      "the next plan would create it again, without reconnecting the key store",
    );
  });

  test("the schedule's input still unknown (first apply): recognised by its name", () => {
    const s = schedule(["create"]);
    (s.change.after as Record<string, unknown>).target = [{}];
    const r = classifyPlans([planOf([s, hsm("a", ["create"])])]);
    expect(ruled(r, "scale-to-zero").map((f) => f.rule)).toEqual(["scale-to-zero-terraform-hsm"]);
  });

  test("handing existing HSMs over (removed, destroy = false) is explained as risky, and still needs its allow (destroy-key-bearing)", () => {
    const r = classifyPlans([planOf([schedule(["create"]), hsm("a", ["forget"]), hsm("b", ["forget"])])]);
    expect(ruled(r, "scale-to-zero").map((f) => [f.address, f.rule, f.severity])).toEqual([
      ["aws_cloudhsm_v2_hsm.a", "scale-to-zero-handover", "risky"],
      ["aws_cloudhsm_v2_hsm.b", "scale-to-zero-handover", "risky"],
    ]);
    expect(r.blocked.map((f) => f.rule)).toContain("destroy-key-bearing");
    // The HSMs stay in AWS: no "leaves the cluster with 0 HSMs" line for a hand-over.
    expect(r.blocked.filter((f) => f.rule === "hsm-count-below-2")).toEqual([]);
  });

  test("forgetting HSMs in a stack without the schedule still trips the count", () => {
    const r = classifyPlans([planOf([hsm("a", ["forget"]), hsm("b", ["forget"])])]);
    expect(r.blocked.filter((f) => f.rule === "hsm-count-below-2").map((f) => f.address)).toEqual([
      "aws_cloudhsm_v2_hsm.a",
      "aws_cloudhsm_v2_hsm.b",
    ]);
  });

  test("leaving scale to zero by creating HSMs is blocked (the hook-made HSMs stay: import them)", () => {
    const r = classifyPlans([planOf([schedule(["delete"]), hsm("a", ["create"]), hsm("b", ["create"])])]);
    expect(ruled(r, "scale-to-zero").map((f) => [f.address, f.rule])).toEqual([
      ["aws_cloudhsm_v2_hsm.a", "scale-to-zero-exit"],
      ["aws_cloudhsm_v2_hsm.b", "scale-to-zero-exit"],
    ]);
  });

  test("a scale-down schedule changed to run another step while HSMs are created is leaving scale to zero too", () => {
    const s = schedule(["update"]);
    s.change.after = {
      name: "sandbox-other",
      target: [{ input: JSON.stringify({ step: "check-key-store-health" }) }],
    };
    const r = classifyPlans([planOf([s, hsm("a", ["create"])])]);
    expect(ruled(r, "scale-to-zero").map((f) => [f.address, f.rule])).toEqual([
      ["aws_cloudhsm_v2_hsm.a", "scale-to-zero-exit"],
    ]);
  });

  test("a schedule of another step (or a stack without scale to zero) changes nothing", () => {
    const other = schedule(["no-op"], "check-key-store-health");
    (other.change.after as Record<string, unknown>).name = "sandbox-other";
    const r = classifyPlans([planOf([other, hsm("a", ["create"])])]);
    expect(ruled(r, "scale-to-zero")).toEqual([]);
  });
});

describe("scale to zero: only the HSMs of the cluster the schedule scales", () => {
  const schedule = (cluster: string) => {
    const body = {
      name: "sandbox-cloudhsm-down-1",
      target: [
        { input: JSON.stringify({ step: "scale-down", clusterId: cluster, keyStoreId: "cks-1234567890abcdef0" }) },
      ],
    };
    return rc("aws_scheduler_schedule.down-1", ["no-op"], body, body);
  };
  const hsm = (name: string, cluster: string, actions: string[]) =>
    rc(
      `aws_cloudhsm_v2_hsm.${name}`,
      actions,
      actions[0] === "create" ? null : { cluster_id: cluster },
      actions[0] === "forget" ? null : { cluster_id: cluster },
    );

  test("forgetting the HSMs of another cluster is no hand-over: not explained as one, and the count still trips", () => {
    const r = classifyPlans([
      planOf([
        schedule("cluster-scaled"),
        hsm("a", "cluster-other", ["forget"]),
        hsm("b", "cluster-other", ["forget"]),
      ]),
    ]);
    expect(r.risky.filter((f) => f.rule.startsWith("scale-to-zero"))).toEqual([]);
    expect(r.blocked.map((f) => [f.address, f.rule])).toEqual([
      ["aws_cloudhsm_v2_hsm.a", "destroy-key-bearing"],
      ["aws_cloudhsm_v2_hsm.b", "destroy-key-bearing"],
      ["aws_cloudhsm_v2_hsm.a", "hsm-count-below-2"],
      ["aws_cloudhsm_v2_hsm.b", "hsm-count-below-2"],
    ]);
  });

  test("the scaled cluster's HSMs are still handed over; another cluster's HSM is not blocked as the schedule's", () => {
    const r = classifyPlans([
      planOf([
        schedule("cluster-scaled"),
        hsm("a", "cluster-scaled", ["forget"]),
        hsm("b", "cluster-scaled", ["forget"]),
        hsm("c", "cluster-other", ["no-op"]),
      ]),
    ]);
    expect(
      [...r.blocked, ...r.risky].filter((f) => f.rule.startsWith("scale-to-zero")).map((f) => [f.address, f.rule]),
    ).toEqual([
      ["aws_cloudhsm_v2_hsm.a", "scale-to-zero-handover"],
      ["aws_cloudhsm_v2_hsm.b", "scale-to-zero-handover"],
    ]);
    expect(r.blocked.filter((f) => f.rule === "hsm-count-below-2")).toEqual([]);
  });

  test("an HSM forgotten and created anew at its address (create and forget) is no hand-over: Terraform owns the new one", () => {
    const r = classifyPlans([
      planOf([
        schedule("cluster-scaled"),
        rc(
          "aws_cloudhsm_v2_hsm.a",
          ["create", "forget"],
          { cluster_id: "cluster-scaled" },
          { cluster_id: "cluster-scaled" },
        ),
      ]),
    ]);
    expect(
      [...r.blocked, ...r.risky].filter((f) => f.rule.startsWith("scale-to-zero")).map((f) => [f.address, f.rule]),
    ).toEqual([["aws_cloudhsm_v2_hsm.a", "scale-to-zero-terraform-hsm"]]);
  });
});
