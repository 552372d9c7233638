import { createHash } from "node:crypto";
import { DIGEST_PATTERN, digestInput, planDigest } from "../../../packages/plan-guard/digest";

const policyChange = (principal: string, extra: Record<string, unknown> = {}) => ({
  format_version: "1.2",
  terraform_version: "1.11.4",
  timestamp: "2026-12-07T10:00:00Z",
  resource_changes: [
    {
      address: "aws_kms_key.records",
      type: "aws_kms_key",
      mode: "managed",
      name: "records",
      change: {
        actions: ["update"],
        before: { policy: "{}", description: "records" },
        after: { policy: JSON.stringify({ Principal: principal }), description: "records" },
        after_unknown: {},
        before_sensitive: {},
        after_sensitive: {},
      },
    },
    {
      address: "aws_s3_bucket.logs",
      type: "aws_s3_bucket",
      mode: "managed",
      name: "logs",
      change: { actions: ["no-op"], before: { bucket: "logs" }, after: { bucket: "logs" } },
    },
    {
      address: "aws_kms_custom_key_store.xks",
      type: "aws_kms_custom_key_store",
      mode: "managed",
      name: "xks",
      change: {
        actions: ["update"],
        before: {
          xks_proxy_authentication_credential: [
            { access_key_id: "OLDOLDOLDOLDOLDOLDOLD", raw_secret_access_key: "old-secret" },
          ],
        },
        after: {
          xks_proxy_authentication_credential: [
            { access_key_id: "NEWNEWNEWNEWNEWNEWNEW", raw_secret_access_key: "new-secret" },
          ],
          id: null,
        },
        after_unknown: { id: true },
        before_sensitive: { xks_proxy_authentication_credential: [{ raw_secret_access_key: true }] },
        after_sensitive: { xks_proxy_authentication_credential: [{ raw_secret_access_key: true }] },
      },
    },
  ],
  ...extra,
});

describe("planDigest", () => {
  test("has the documented shape and is stable", () => {
    const d = planDigest(policyChange("arn:aws:iam::111111111111:root"));
    expect(d).toMatch(DIGEST_PATTERN);
    expect(planDigest(policyChange("arn:aws:iam::111111111111:root"))).toBe(d);
  });

  test("changes when a value a reviewer would see changes", () => {
    expect(planDigest(policyChange("arn:aws:iam::111111111111:root"))).not.toBe(
      planDigest(policyChange("arn:aws:iam::555555555555:root")),
    );
  });

  test("ignores timestamps, the Terraform version, no-op changes, drift and field order", () => {
    const a = policyChange("arn:aws:iam::111111111111:root");
    const b = policyChange("arn:aws:iam::111111111111:root", {
      timestamp: "2027-01-01T00:00:00Z",
      terraform_version: "1.12.0",
      resource_drift: [{ address: "x" }],
    });
    b.resource_changes = [b.resource_changes[2], b.resource_changes[0]];
    expect(planDigest(b)).toBe(planDigest(a));
  });

  test("masks sensitive values and marks unknown ones before hashing", () => {
    const input = JSON.stringify(digestInput(policyChange("p")));
    expect(input).not.toContain("old-secret");
    expect(input).not.toContain("new-secret");
    expect(input).toContain('"raw_secret_access_key":"(sensitive)"');
    expect(input).toContain('"id":"(known after apply)"');
    // A different secret behind the same mask gives the same digest: the digest says nothing about it.
    const other = policyChange("p");
    (
      other.resource_changes[2].change.after as {
        xks_proxy_authentication_credential: { raw_secret_access_key: string }[];
      }
    ).xks_proxy_authentication_credential[0].raw_secret_access_key = "another";
    expect(planDigest(other)).toBe(planDigest(policyChange("p")));
  });

  test("covers output changes and an action that differs", () => {
    const base = policyChange("p");
    const withOutput = policyChange("p", {
      output_changes: { arn: { actions: ["create"], before: null, after: "arn:1", after_unknown: false } },
    });
    expect(planDigest(withOutput)).not.toBe(planDigest(base));
    const replaced = policyChange("p");
    replaced.resource_changes[0].change.actions = ["delete", "create"];
    expect(planDigest(replaced)).not.toBe(planDigest(base));
  });

  test("an empty or shapeless plan has a digest too (the change is nothing)", () => {
    expect(planDigest({})).toBe(planDigest({ resource_changes: [], output_changes: {} }));
    expect(planDigest(null)).toMatch(DIGEST_PATTERN);
  });
});

describe("planDigest hashes exactly the text digestInput reads", () => {
  const { syntheticPlan } = jest.requireActual<typeof import("../../../packages/plan-guard/bench")>(
    "../../../packages/plan-guard/bench",
  );
  const sha256 = (text: string) => `sha256:${createHash("sha256").update(text).digest("hex")}`;
  const tricky = {
    resource_changes: [
      {
        address: "b",
        type: "t",
        change: {
          actions: ["create"],
          before: null,
          after: { list: [], m: { constructor: 1 } },
          after_unknown: { list: [true, true], extra: true, nested: { x: true }, constructor: true },
          after_sensitive: { m: { constructor: true } },
        },
      },
      {
        address: "a",
        deposed: "d1",
        type: "t",
        change: {
          actions: ["delete"],
          before: { __proto__: "x", n: 1.5, s: 'q"uote' },
          after: null,
          before_sensitive: { n: true },
        },
      },
      {
        address: "a",
        type: "t",
        change: {
          actions: ["update"],
          before: [1, [2]],
          after: [1, [3], 4],
          after_unknown: [false, [true], false, true],
        },
      },
    ],
    output_changes: {
      z: { actions: ["create"], before: null, after: "v", after_unknown: false },
      a: { actions: ["update"], before: { k: 1 }, after: { k: 2 }, after_sensitive: true },
    },
  };
  test.each([
    [
      "a crafted plan with unknowns, sensitive marks, deposed objects and odd keys",
      JSON.parse(JSON.stringify(tricky)) as unknown,
    ],
    ["the bench's synthetic plan", syntheticPlan(300, 60)],
    ["an empty plan", {}],
  ])("%s", (_what, plan) => {
    expect(planDigest(plan)).toBe(sha256(JSON.stringify(digestInput(plan))));
  });
});
