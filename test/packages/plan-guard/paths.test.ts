/** Crafted plans: the whole XKS path, data loss without a delete, and the fsxadmin secret. */
import { classifyPlans, type JsonValue, type LoadedPlan } from "@cmk-stacks/plan-guard";
import { cfg, planOf, rc } from "./builders";

const verdicts = (p: LoadedPlan) => {
  const r = classifyPlans([p]);
  return {
    blocked: r.blocked.map((f) => [f.address, f.rule]),
    risky: r.risky.filter((f) => f.rule !== "key-resource-change").map((f) => [f.address, f.rule]),
  };
};
const whys = (p: LoadedPlan) => classifyPlans([p]).blocked.map((f) => f.why);

describe("the whole path a key store depends on", () => {
  const NLB = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/net/p/1";
  const TG = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/proxies/2";
  const svc = rc(
    "aws_vpc_endpoint_service.s",
    ["no-op"],
    { id: "vpce-svc-1", allowed_principals: ["cks.kms.eu-west-1.amazonaws.com"], network_load_balancer_arns: [NLB] },
    { id: "vpce-svc-1", allowed_principals: ["cks.kms.eu-west-1.amazonaws.com"], network_load_balancer_arns: [NLB] },
  );
  const nlb = rc(
    "aws_lb.n",
    ["no-op"],
    { arn: NLB, load_balancer_type: "network", name: "plain" },
    { arn: NLB, load_balancer_type: "network", name: "plain" },
  );
  const listener = (actions: string[]) =>
    rc(
      "aws_lb_listener.l",
      actions,
      { load_balancer_arn: NLB, default_action: [{ type: "forward", target_group_arn: TG }] },
      actions[0] === "delete"
        ? null
        : { load_balancer_arn: NLB, default_action: [{ type: "forward", target_group_arn: TG }] },
    );
  const group = (actions: string[]) =>
    rc(
      "aws_lb_target_group.g",
      actions,
      { arn: TG, name: "proxies" },
      actions[0] === "delete" ? null : { arn: TG, name: "proxies" },
    );
  const attach = (name: string, actions: string[]) =>
    rc(
      `aws_lb_target_group_attachment.${name}`,
      actions,
      actions[0] === "create" ? null : { target_group_arn: TG, target_id: `10.0.0.${name.length}` },
      actions[0] === "delete" ? null : { target_group_arn: TG, target_id: "10.0.0.9" },
    );

  test("deleting the listener is blocked: exact reason", () => {
    const p = planOf([svc, nlb, listener(["delete"]), group(["no-op"])]);
    expect(verdicts(p).blocked).toEqual([["aws_lb_listener.l", "destroy-key-bearing"]]);
    expect(whys(p)).toEqual([
      "deletes this listener of the XKS network load balancer; KMS can no longer reach the external key store proxy: every key in the external key store is unusable at once",
    ]);
  });

  test("replacing the target group is blocked", () => {
    expect(verdicts(planOf([svc, nlb, listener(["no-op"]), group(["delete", "create"])])).blocked).toEqual([
      ["aws_lb_target_group.g", "destroy-key-bearing"],
    ]);
  });

  test("removing ALL target attachments is blocked, each one; removing one of two, or swapping with a new one, is not", () => {
    expect(
      verdicts(
        planOf([svc, nlb, listener(["no-op"]), group(["no-op"]), attach("a", ["delete"]), attach("bb", ["delete"])]),
      ).blocked,
    ).toEqual([
      ["aws_lb_target_group_attachment.a", "xks-targets-removed"],
      ["aws_lb_target_group_attachment.bb", "xks-targets-removed"],
    ]);
    expect(
      verdicts(
        planOf([svc, nlb, listener(["no-op"]), group(["no-op"]), attach("a", ["delete"]), attach("bb", ["no-op"])]),
      ).blocked,
    ).toEqual([]);
    expect(
      verdicts(
        planOf([svc, nlb, listener(["no-op"]), group(["no-op"]), attach("a", ["delete"]), attach("new", ["create"])]),
      ).blocked,
    ).toEqual([]);
  });

  // create_before_destroy on an attachment whose target stays the same: RegisterTargets of a target
  // already registered changes nothing, then the old attachment's DeregisterTargets removes it.
  test("replacing every attachment create-then-delete with the SAME target is blocked; with a new target it is not", () => {
    const same = (name: string, target: string | undefined) =>
      rc(
        `aws_lb_target_group_attachment.${name}`,
        ["create", "delete"],
        { target_group_arn: TG, target_id: "10.0.0.5", port: 443 },
        { target_group_arn: TG, ...(target ? { target_id: target } : {}), port: 443 },
      );
    expect(verdicts(planOf([svc, nlb, listener(["no-op"]), group(["no-op"]), same("a", "10.0.0.5")])).blocked).toEqual([
      ["aws_lb_target_group_attachment.a", "xks-targets-removed"],
    ]);
    // The new target known only after apply: it may be the same one.
    expect(verdicts(planOf([svc, nlb, listener(["no-op"]), group(["no-op"]), same("a", undefined)])).blocked).toEqual([
      ["aws_lb_target_group_attachment.a", "xks-targets-removed"],
    ]);
    expect(verdicts(planOf([svc, nlb, listener(["no-op"]), group(["no-op"]), same("a", "10.0.0.6")])).blocked).toEqual(
      [],
    );
  });

  test("the listener, group and attachments found through configuration references alone", () => {
    const p = planOf(
      [
        svc,
        nlb,
        rc("aws_lb_listener.l", ["delete"], { id: "l" }, null),
        rc("aws_lb_target_group.g", ["no-op"], { id: "g" }, { id: "g" }),
        rc("aws_lb_target_group_attachment.a", ["delete"], { id: "a" }, null),
      ],
      {
        config: [
          cfg("aws_lb_listener.l", { load_balancer_arn: "aws_lb.n.arn", default_action: "aws_lb_target_group.g.arn" }),
          cfg("aws_lb_target_group_attachment.a", { target_group_arn: "aws_lb_target_group.g.arn" }),
        ],
      },
    );
    expect(verdicts(p).blocked).toEqual([
      ["aws_lb_listener.l", "destroy-key-bearing"],
      ["aws_lb_target_group_attachment.a", "xks-targets-removed"],
    ]);
  });

  test("removing KMS's allowed principal (separate resource, or from allowed_principals) is blocked", () => {
    const principal = rc(
      "aws_vpc_endpoint_service_allowed_principal.kms",
      ["delete"],
      { principal_arn: "cks.kms.eu-west-1.amazonaws.com", vpc_endpoint_service_id: "vpce-svc-2" },
      null,
    );
    expect(verdicts(planOf([principal])).blocked).toEqual([
      ["aws_vpc_endpoint_service_allowed_principal.kms", "destroy-key-bearing"],
    ]);
    const svcUpdate = rc(
      "aws_vpc_endpoint_service.s",
      ["update"],
      { allowed_principals: ["cks.kms.eu-west-1.amazonaws.com"] },
      { allowed_principals: [] },
    );
    expect(verdicts(planOf([svcUpdate])).blocked).toEqual([["aws_vpc_endpoint_service.s", "xks-principal-removed"]]);
  });

  test("a load balancer or endpoint service merely named xks is not on the path", () => {
    const p = planOf([
      rc("aws_lb.xks", ["delete"], { arn: "arn:x", load_balancer_type: "network", name: "xks-proxy-old" }, null),
      rc(
        "aws_vpc_endpoint_service.xks",
        ["delete"],
        { private_dns_name: "xks.example.com", tags: { Name: "xks" } },
        null,
      ),
    ]);
    expect(verdicts(p).blocked).toEqual([]);
  });
});

describe("data loss without a delete", () => {
  test("a lifecycle rule expiring current objects is blocked: exact reason; expiring only noncurrent versions is not", () => {
    const rule = (expiration: JsonValue[], noncurrent: JsonValue[] = []): JsonValue => ({
      rule: [{ id: "r", status: "Enabled", expiration, noncurrent_version_expiration: noncurrent }],
    });
    const p = planOf([
      rc(
        "aws_s3_bucket_lifecycle_configuration.l",
        ["create"],
        null,
        rule([{ days: 30, date: null, expired_object_delete_marker: false }]),
      ),
    ]);
    expect(verdicts(p).blocked).toEqual([["aws_s3_bucket_lifecycle_configuration.l", "s3-expire-current"]]);
    expect(whys(p)).toEqual([
      "a lifecycle rule expires current objects: S3 deletes them on its own days after the apply, and on an unversioned bucket (or once noncurrent versions expire) they are gone for good",
    ]);
    expect(
      verdicts(
        planOf([
          rc(
            "aws_s3_bucket_lifecycle_configuration.l",
            ["create"],
            null,
            rule([{ days: 0, date: null, expired_object_delete_marker: true }], [{ noncurrent_days: 90 }]),
          ),
        ]),
      ).blocked,
    ).toEqual([]);
  });

  test("an inline lifecycle_rule (provider v3) expiring current objects is blocked", () => {
    const p = planOf([
      rc(
        "aws_s3_bucket.b",
        ["update"],
        { bucket: "b", lifecycle_rule: [] },
        { bucket: "b", lifecycle_rule: [{ enabled: true, expiration: [{ days: 7 }] }] },
      ),
    ]);
    expect(verdicts(p).blocked).toEqual([["aws_s3_bucket.b", "s3-expire-current"]]);
  });

  test.each([
    ["suspended", ["update"], { versioning_configuration: [{ status: "Suspended" }] }],
    ["the versioning resource deleted", ["delete"], null],
  ])("versioning %s is blocked", (_n, actions, after) => {
    const p = planOf([
      rc("aws_s3_bucket_versioning.v", actions, { versioning_configuration: [{ status: "Enabled" }] }, after),
    ]);
    expect(verdicts(p).blocked).toEqual([["aws_s3_bucket_versioning.v", "s3-versioning-suspended"]]);
  });

  test("the public access block removed or weakened is blocked", () => {
    const all = {
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    };
    expect(verdicts(planOf([rc("aws_s3_bucket_public_access_block.p", ["delete"], all, null)])).blocked).toEqual([
      ["aws_s3_bucket_public_access_block.p", "s3-public-access-opened"],
    ]);
    const weakened = classifyPlans([
      planOf([rc("aws_s3_bucket_public_access_block.p", ["update"], all, { ...all, block_public_policy: false })]),
    ]);
    expect(weakened.blocked.map((f) => f.why)).toEqual([
      "turns off (block_public_policy): one bucket policy or ACL mistake then makes the data public, and a read cannot be taken back",
    ]);
  });

  test("the bucket policy removed is blocked; changed in place it is only listed", () => {
    expect(verdicts(planOf([rc("aws_s3_bucket_policy.p", ["delete"], { policy: "{}" }, null)])).blocked).toEqual([
      ["aws_s3_bucket_policy.p", "s3-bucket-policy-removed"],
    ]);
    expect(
      verdicts(planOf([rc("aws_s3_bucket_policy.p", ["update"], { policy: "{}" }, { policy: "{ }" })])).blocked,
    ).toEqual([]);
  });

  // A replacement in create-then-delete order (create_before_destroy) ends with the old resource's
  // delete, which acts on the bucket: it suspends versioning, deletes the public access block or the
  // bucket policy the new resource has just put. Delete-then-create ends with the new one in place
  // (versioning is blocked in both orders: it is suspended in between).
  test.each([
    [
      "aws_s3_bucket_versioning.v",
      { bucket: "b", versioning_configuration: [{ status: "Enabled" }] },
      "s3-versioning-suspended",
      true,
    ],
    [
      "aws_s3_bucket_public_access_block.p",
      {
        bucket: "b",
        block_public_acls: true,
        block_public_policy: true,
        ignore_public_acls: true,
        restrict_public_buckets: true,
      },
      "s3-public-access-opened",
      false,
    ],
    ["aws_s3_bucket_policy.p", { bucket: "b", policy: "{}" }, "s3-bucket-policy-removed", false],
  ])(
    "%s replaced create-then-delete (the delete comes last) is blocked",
    (address, values, rule, deleteFirstBlocked) => {
      expect(verdicts(planOf([rc(address, ["create", "delete"], values, values)])).blocked).toEqual([[address, rule]]);
      expect(verdicts(planOf([rc(address, ["delete", "create"], values, values)])).blocked).toEqual(
        deleteFirstBlocked ? [[address, rule]] : [],
      );
    },
  );

  test("deleting the fsxadmin secret (found through the file system's password source) is risky, not blocked", () => {
    const p = planOf([rc("aws_secretsmanager_secret.opaque", ["delete"], { name: "team/x" }, null)], {
      config: [
        cfg("aws_fsx_ontap_file_system.fs", {
          fsx_admin_password: "data.aws_secretsmanager_random_password.gen.random_password",
        }),
        cfg("aws_secretsmanager_secret_version.v", {
          secret_id: "aws_secretsmanager_secret.opaque.id",
          secret_string: "data.aws_secretsmanager_random_password.gen.random_password",
        }),
      ],
    });
    expect(verdicts(p)).toEqual({
      blocked: [],
      risky: [["aws_secretsmanager_secret.opaque", "fsxadmin-secret-removed"]],
    });
  });
});
