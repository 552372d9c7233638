/**
 * What a reviewer sees of a change: attribute values before and after (secrets masked, unknowns
 * marked, long values shortened), policies as the rights gained and lost, and all of it escaped
 * so that plan text cannot break out of the PR comment's table or inject a mention, link or HTML.
 */
import { classifyPlans, renderSummary, type ResourceChange } from "@cmk-stacks/plan-guard";
import { describeChange, shorten } from "../../../packages/plan-guard/changes";
import { mdText, oneLine } from "../../../packages/plan-guard/markdown";
import { policyDiff, principalListDiff, IDENTITY } from "../../../packages/plan-guard/policy-diff";
import { formatResult } from "../../../packages/plan-guard/format";
import { renderComment } from "../../../tools/ci/report";
import { planOf, policy, rc, ROOT_STATEMENT, ADMIN_STATEMENT, USE_STATEMENT } from "./builders";

const PARTNER = "arn:aws:iam::555555555555:root";
const VIA_S3 = { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } };

describe("policyDiff: the evaluated difference of two policy documents", () => {
  test("a key-policy update reads as who gained what, under which condition", () => {
    const before = policy(ROOT_STATEMENT, ADMIN_STATEMENT);
    const after = policy(ROOT_STATEMENT, ADMIN_STATEMENT, {
      Sid: "Partner",
      Effect: "Allow",
      Principal: { AWS: PARTNER },
      Action: "kms:Decrypt",
      Resource: "*",
      Condition: VIA_S3,
    });
    expect(policyDiff(before, after)).toEqual([
      "arn:aws:iam::555555555555:root gained kms:Decrypt (when kms:ViaService = s3.eu-west-1.amazonaws.com)",
    ]);
    expect(policyDiff(after, before)).toEqual([
      "arn:aws:iam::555555555555:root lost kms:Decrypt (when kms:ViaService = s3.eu-west-1.amazonaws.com)",
    ]);
  });

  test("reordering, regrouping, renaming Sids and writing the account as an id change no right", () => {
    const before = policy(ROOT_STATEMENT, USE_STATEMENT);
    const after = policy(
      { ...USE_STATEMENT, Sid: "Renamed", Action: ["kms:Encrypt"] },
      { ...USE_STATEMENT, Sid: "Other", Action: "kms:Decrypt" },
      { ...ROOT_STATEMENT, Principal: { AWS: "111122223333" } },
    );
    expect(policyDiff(before, after)).toEqual([
      "the document changes, the rights it gives do not (statements reordered, regrouped or renamed)",
    ]);
    expect(policyDiff(before, before)).toEqual([]);
  });

  test("an account written twice (id and root ARN) is one principal", () => {
    expect(
      policyDiff(
        null,
        policy({
          Effect: "Allow",
          Principal: { AWS: ["arn:aws:iam::555555555555:root", "555555555555"] },
          Action: ["kms:Decrypt", "kms:Encrypt"],
          Resource: "*",
        }),
      ),
    ).toEqual(["arn:aws:iam::555555555555:root gained kms:Decrypt, kms:Encrypt"]);
  });

  test("a right still covered by a broader one (kms:*, fewer conditions) is neither gained nor lost", () => {
    const broad = policy({ Effect: "Allow", Principal: { AWS: PARTNER }, Action: "kms:*", Resource: "*" });
    const narrow = policy({
      Effect: "Allow",
      Principal: { AWS: PARTNER },
      Action: ["kms:*", "kms:Decrypt"],
      Resource: "*",
      Condition: VIA_S3,
    });
    expect(
      policyDiff(
        broad,
        policy({ Effect: "Allow", Principal: { AWS: PARTNER }, Action: ["kms:*", "kms:Decrypt"], Resource: "*" }),
      ),
    ).toEqual(["the document changes, the rights it gives do not (statements reordered, regrouped or renamed)"]);
    // Dropping the condition widens the right: gained without it; the conditional one is covered.
    expect(policyDiff(narrow, broad)).toEqual(["arn:aws:iam::555555555555:root gained kms:*"]);
  });

  test("Denies, NotPrincipal, NotAction, resources and condition operators are spelled out", () => {
    const after = policy(
      {
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
      {
        Effect: "Deny",
        NotPrincipal: { AWS: "arn:aws:iam::111122223333:role/admin" },
        NotAction: ["kms:Decrypt", "kms:Encrypt"],
        Resource: "*",
      },
      {
        Effect: "Allow",
        Principal: { Service: "cloudtrail.amazonaws.com" },
        Action: "s3:PutObject",
        Resource: "arn:aws:s3:::b/*",
        Condition: {
          StringLike: { "aws:SourceArn": ["arn:aws:cloudtrail:*:111122223333:trail/*"] },
          "ForAnyValue:StringNotEqualsIfExists": { "aws:TagKeys": ["a", "b"] },
          Null: { "s3:x-amz-server-side-encryption-aws-kms-key-id": "true" },
        },
      },
    );
    expect(policyDiff(null, after)).toEqual([
      "cloudtrail.amazonaws.com (service) gained s3:PutObject on arn:aws:s3:::b/* (when any of aws:TagKeys ≠ a or b (if present) and aws:SourceArn like arn:aws:cloudtrail:*:111122223333:trail/* and s3:x-amz-server-side-encryption-aws-kms-key-id is absent)",
      "everyone (*) is now denied s3:* on arn:aws:s3:::b, arn:aws:s3:::b/* (when aws:SecureTransport = false)",
      "everyone except arn:aws:iam::111122223333:role/admin is now denied every action except kms:Decrypt, kms:Encrypt",
    ]);
  });

  test("unknown, unreadable and identity policies", () => {
    expect(policyDiff(policy(ROOT_STATEMENT), { unknown: true })).toEqual(["(known after apply)"]);
    expect(policyDiff(policy(ROOT_STATEMENT), "{not json")).toEqual([
      "cannot be read after the change (not valid JSON): review the document itself",
    ]);
    expect(
      policyDiff(
        null,
        policy({
          Effect: "Allow",
          Principal: { AWS: PARTNER },
          Action: "kms:Decrypt",
          Resource: "*",
          Condition: "oops",
        }),
      )[0],
    ).toBe("cannot be read after the change (Statement[0].Condition must be an object): review the document itself");
    const identity = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: ["kms:Decrypt"], Resource: "arn:aws:kms:eu-west-1:111122223333:key/k" }],
    });
    expect(policyDiff(null, identity, { identity: IDENTITY })).toEqual([
      "this identity gained kms:Decrypt on arn:aws:kms:eu-west-1:111122223333:key/k",
    ]);
  });

  test("a document far beyond AWS's size limits is reported, not compared pair by pair", () => {
    const huge = policy(
      ...Array.from({ length: 200 }, (_, i) => ({
        Effect: "Allow",
        Principal: { AWS: Array.from({ length: 30 }, (_, j) => `arn:aws:iam::111122223333:role/r${i}-${j}`) },
        Action: "kms:Decrypt",
        Resource: "*",
      })),
    );
    // The refusal itself is the bound: no pair-by-pair comparison is attempted (speed is measured by `npm run bench`, not here).
    expect(policyDiff(null, huge)).toEqual([
      "too large to compare (6000 principal-action pairs): review the document itself",
    ]);
  });

  test("endpoint service principals", () => {
    expect(
      principalListDiff(
        ["cks.kms.eu-west-1.amazonaws.com"],
        ["arn:aws:iam::555555555555:root", "cks.kms.eu-west-1.amazonaws.com"],
      ),
    ).toEqual(["arn:aws:iam::555555555555:root may now connect"]);
    expect(principalListDiff(["cks.kms.eu-west-1.amazonaws.com"], [])).toEqual([
      "cks.kms.eu-west-1.amazonaws.com may no longer connect",
    ]);
  });
});

describe("describeChange: the values that change, secrets never shown", () => {
  const change = (
    type: string,
    actions: string[],
    before: object | null,
    after: object | null,
    extra: Partial<ResourceChange["change"]> = {},
  ): ResourceChange => {
    const r = rc(`${type}.x`, actions, before as never, after as never);
    return { ...r, change: { ...r.change, ...extra } };
  };

  test("an update lists each changed value, nested paths included; tags_all and unchanged values are left out", () => {
    const lines = describeChange(
      change(
        "aws_kms_key",
        ["update"],
        { deletion_window_in_days: 7, description: "a", tags: { Owner: "x" }, tags_all: { Owner: "x" } },
        {
          deletion_window_in_days: 30,
          description: "a",
          tags: { Owner: "y", "team:cost": "1" },
          tags_all: { Owner: "y" },
        },
      ),
    );
    expect(lines).toEqual([
      "deletion_window_in_days: 7 → 30",
      'tags.Owner: "x" → "y"',
      'tags["team:cost"]: null → "1"',
    ]);
  });

  test("Terraform's sensitive marks, secret-looking names and PEM private keys are masked, and a masked value that changes still shows", () => {
    const pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIE...\n-----END RSA PRIVATE KEY-----";
    const lines = describeChange(
      change(
        "aws_lambda_function",
        ["update"],
        {
          environment: [
            { variables: { DB_PASSWORD: "hunter2", MODE: "a", API_TOKEN: "t0k", KMSUSER_PW: "pw-a", SPIN: "x" } },
          ],
          custom: "x",
          cert_body: "plain",
          opaque: "v1",
        },
        {
          environment: [
            { variables: { DB_PASSWORD: "hunter3", MODE: "b", API_TOKEN: "t0k2", KMSUSER_PW: "pw-b", SPIN: "y" } },
          ],
          custom: pem,
          cert_body: "plain",
          opaque: "v2",
        },
        { before_sensitive: { opaque: true }, after_sensitive: { opaque: true } },
      ),
    );
    expect(lines).toEqual([
      'custom: "x" → (sensitive)',
      "environment[0].variables.API_TOKEN: (sensitive) → (sensitive)",
      "environment[0].variables.DB_PASSWORD: (sensitive) → (sensitive)",
      "environment[0].variables.KMSUSER_PW: (sensitive) → (sensitive)",
      'environment[0].variables.MODE: "a" → "b"',
      'environment[0].variables.SPIN: "x" → "y"',
      "opaque: (sensitive) → (sensitive)",
    ]);
    expect(lines.join()).not.toMatch(/hunter|t0k|MIIE|v1|v2|pw-/);
  });

  test("JSON strings with a secret-named key (a Lambda input, ECS environment) are masked whole; IMDS http_tokens is a setting, not a secret", () => {
    const lines = describeChange(
      change(
        "aws_lambda_invocation",
        ["update"],
        {
          input: '{"step":"a"}',
          other: '[{"name":"DB_PASSWORD","value":"pw1"}]',
          metadata_options: [{ http_tokens: "optional" }],
        },
        {
          input: '{"step":"a","kmsuserPassword":"pw2"}',
          other: '[{"name":"DB_PASSWORD","value":"pw3"}]',
          metadata_options: [{ http_tokens: "required" }],
        },
      ),
    );
    expect(lines).toEqual([
      'input: "{\\"step\\":\\"a\\"}" → (sensitive)',
      'metadata_options[0].http_tokens: "optional" → "required"',
      "other: (sensitive) → (sensitive)",
    ]);
    expect(lines.join()).not.toMatch(/pw\d/);
  });

  test("the XKS credential block is masked whole; a whole-object sensitive mark masks everything", () => {
    const xks = describeChange(
      change(
        "aws_kms_custom_key_store",
        ["update"],
        { xks_proxy_authentication_credential: [{ access_key_id: "AKIDOLD", raw_secret_access_key: "old" }] },
        { xks_proxy_authentication_credential: [{ access_key_id: "AKIDNEW", raw_secret_access_key: "new" }] },
      ),
    );
    expect(xks).toEqual([
      "xks_proxy_authentication_credential[0].access_key_id: (sensitive) → (sensitive)",
      "xks_proxy_authentication_credential[0].raw_secret_access_key: (sensitive) → (sensitive)",
    ]);
    expect(
      describeChange(
        change(
          "aws_ssm_parameter",
          ["update"],
          { value: "a" },
          { value: "b" },
          { before_sensitive: true, after_sensitive: true },
        ),
      ),
    ).toEqual(["(every attribute): (sensitive) → (sensitive)"]);
  });

  test("creates show known values, unknowns only where they replace a value; long values keep start and end", () => {
    const long = `arn:aws:kms:eu-west-1:111122223333:key/${"0".repeat(150)}-end`;
    expect(
      describeChange(
        change(
          "aws_s3_bucket_versioning",
          ["create"],
          null,
          { bucket: "b", id: null, versioning_configuration: [{ status: "Enabled" }] },
          { after_unknown: { id: true } },
        ),
      ),
    ).toEqual(['bucket = "b"', 'versioning_configuration[0].status = "Enabled"']);
    expect(
      describeChange(
        change(
          "aws_kms_alias",
          ["update"],
          { target_key_id: "k1" },
          { target_key_id: null },
          { after_unknown: { target_key_id: true } },
        ),
      ),
    ).toEqual(['target_key_id: "k1" → (known after apply)']);
    const shown = describeChange(change("aws_ebs_default_kms_key", ["update"], { key_arn: "a" }, { key_arn: long }))[0];
    expect(shown).toMatch(/^key_arn: "a" → "arn:aws:kms:eu-west-1:111122223333:key\/0+…0+-end" \(195 characters\)$/);
    expect([...shorten("x".repeat(500))].length).toBeLessThan(140);
    expect(shorten(`${"😀".repeat(200)}`)).toMatch(/^😀{89}…😀{30} \(200 characters\)$/u);
    expect(shorten("y".repeat(20_000_000))).toMatch(/^y{89}…y{30} \(20000000 characters\)$/);
  });

  test("a key policy update shows the evaluated difference; a new key without a policy shows none", () => {
    const key = change(
      "aws_kms_key",
      ["update"],
      { arn: "arn:aws:kms:eu-west-1:111122223333:key/k", policy: policy(ROOT_STATEMENT) },
      {
        arn: "arn:aws:kms:eu-west-1:111122223333:key/k",
        policy: policy(ROOT_STATEMENT, {
          Effect: "Allow",
          Principal: { AWS: PARTNER },
          Action: "kms:Decrypt",
          Resource: "*",
          Condition: VIA_S3,
        }),
      },
    );
    expect(describeChange(key)).toEqual([
      "policy: arn:aws:iam::555555555555:root gained kms:Decrypt (when kms:ViaService = s3.eu-west-1.amazonaws.com)",
    ]);
    // From no policy (KMS's default: the account root with kms:*) to one naming an administrator only.
    const closed = change(
      "aws_kms_key",
      ["update"],
      { arn: "arn:aws:kms:eu-west-1:111122223333:key/k", policy: null },
      { arn: "arn:aws:kms:eu-west-1:111122223333:key/k", policy: policy(ADMIN_STATEMENT) },
    );
    expect(describeChange(closed)).toEqual([
      "policy: arn:aws:iam::111122223333:role/admin gained kms:DescribeKey, kms:PutKeyPolicy",
      "policy: arn:aws:iam::111122223333:role/admin2 gained kms:DescribeKey, kms:PutKeyPolicy",
      "policy: arn:aws:iam::111122223333:root lost kms:*",
    ]);
    expect(
      describeChange(change("aws_kms_key", ["create"], null, { policy: null, deletion_window_in_days: 30 })),
    ).toEqual(["deletion_window_in_days = 30"]);
  });

  test("bucket and topic policies, and endpoint service principals", () => {
    const bucket = change(
      "aws_s3_bucket_policy",
      ["update"],
      {
        policy: policy({
          Effect: "Allow",
          Principal: { AWS: PARTNER },
          Action: "s3:GetObject",
          Resource: "arn:aws:s3:::b/*",
        }),
      },
      {
        policy: policy({
          Effect: "Allow",
          Principal: { AWS: PARTNER },
          Action: ["s3:GetObject", "s3:PutObject"],
          Resource: "arn:aws:s3:::b/*",
        }),
      },
    );
    expect(describeChange(bucket)).toEqual([
      "policy: arn:aws:iam::555555555555:root gained s3:PutObject on arn:aws:s3:::b/*",
    ]);
    const svc = change(
      "aws_vpc_endpoint_service",
      ["update"],
      { allowed_principals: ["cks.kms.eu-west-1.amazonaws.com"] },
      { allowed_principals: ["cks.kms.eu-west-1.amazonaws.com", PARTNER] },
    );
    expect(describeChange(svc)).toEqual([`allowed_principals: ${PARTNER} may now connect`]);
  });
});

describe("escaping: plan text cannot break out of the comment", () => {
  test("table cells, code, HTML, links, mentions, issue references, URLs, line breaks and direction overrides", () => {
    expect(
      mdText("a|b`c`<script>x</script>[l](https://evil.example) @org/team #12 www.evil.example *e* _u_ ~s~ \\ $x$"),
    ).toBe(
      "a&#124;b&#96;c&#96;&#60;script&#62;x&#60;/script&#62;&#91;l&#93;(https:&#8203;//evil.example) &#64;&#8203;org/team &#35;&#8203;12 www&#8203;.evil.example &#42;e&#42; &#95;u&#95; &#126;s&#126; &#92; &#36;x&#36;",
    );
    expect(mdText("line1\nline2\r\u2028x\u202Ey")).toBe("line1↵line2↵↵x&#92;u202ey");
    // Between letters or digits an underscore cannot start or end emphasis: addresses stay readable.
    expect(mdText("aws_kms_key.k _x a_ b_c")).toBe("aws_kms_key.k &#95;x a&#95; b_c");
  });

  test("a hostile value in a plan stays inside its cell of the PR comment", () => {
    const evil =
      "x | injected | cell\n## Heading <img src=x onerror=alert(1)> @admins [click](https://evil.example) `code`";
    const plan = {
      resource_changes: [
        {
          address: "aws_kms_alias.a",
          type: "aws_kms_alias",
          change: { actions: ["update"], before: { name: "alias/a" }, after: { name: evil } },
        },
      ],
    };
    const { redactedChanges } = jest.requireActual(
      "../../../tools/ci/report",
    ) as typeof import("../../../tools/ci/report");
    const text = renderComment({
      envs: ["dev"],
      synth: "success",
      reports: [
        {
          env: "dev",
          stacks: [{ stack: "dev-keys", status: "planned", changes: redactedChanges(plan) }],
          guard: { exitCode: 0, summary: "" },
        },
      ],
    });
    const row = text.split("\n").find((l) => l.startsWith("| update |")) as string;
    expect(row.split("|")).toHaveLength(5);
    expect(row).not.toMatch(/<img|@admins|\]\(|`|\n/);
    expect(text.split("\n").filter((l) => l.startsWith("## Heading"))).toEqual([]);
  });

  test("hostile text in an address, a grantee, a policy principal, a condition key and an alias stays inside its cell of the guard summary and the comment", () => {
    const EVIL =
      "</code><img src=x onerror=alert(1)> | cell | @admins #1 [x](https://e.example) `c` <script>s</script>\n## Forged\r\n" +
      "z".repeat(5000);
    const plan = planOf([
      rc(`aws_kms_key.k["${EVIL}"]`, ["delete"], { id: "k" }, null),
      rc("aws_kms_grant.g", ["create"], null, {
        grantee_principal: `arn:aws:iam::111111111111:role/${EVIL}`,
        operations: ["Decrypt", EVIL],
        key_id: EVIL,
      }),
      rc(
        "aws_kms_key.p",
        ["update"],
        { policy: policy(ROOT_STATEMENT) },
        {
          policy: policy(ROOT_STATEMENT, {
            Sid: "x",
            Effect: "Allow",
            Principal: { AWS: `arn:aws:iam::111111111111:role/${EVIL}` },
            Action: "kms:Decrypt",
            Resource: "*",
            Condition: { StringEquals: { [EVIL]: EVIL } },
          }),
        },
      ),
      rc("aws_kms_alias.a", ["update"], { name: "alias/a", target_key_id: "a" }, { name: EVIL, target_key_id: EVIL }),
    ]);
    const r = classifyPlans([plan]);
    expect(r.blocked.length + r.risky.length).toBeGreaterThanOrEqual(3);
    const { redactedChanges } = jest.requireActual(
      "../../../tools/ci/report",
    ) as typeof import("../../../tools/ci/report");
    const summary = renderSummary(r);
    const comment = renderComment({
      envs: ["dev"],
      synth: "success",
      reports: [
        {
          env: "dev",
          stacks: [{ stack: "dev-keys", status: "planned", changes: redactedChanges(plan) }],
          guard: { exitCode: r.exitCode, summary },
        },
      ],
    });
    for (const text of [summary, comment]) {
      const lines = text.split("\n");
      expect(lines.filter((l) => /<img|<script|@admins|\]\(|`c`|https:\/\//.test(l))).toEqual([]);
      expect(lines.filter((l) => l.startsWith("## Forged"))).toEqual([]);
      // Every row of the five-column tables keeps its five cells: nothing opened a new cell.
      const rows = lines.filter((l) => l.startsWith("| dev-keys | <code>aws_"));
      expect(rows.length).toBeGreaterThanOrEqual(3);
      for (const row of rows) expect(row.split("|")).toHaveLength(7);
      // The injected closing tag never closes the code element around an address.
      expect(text).not.toContain("</code><");
    }
    expect(comment.length).toBeLessThanOrEqual(65_536);
  });

  test("terminal lines stay one line: no forged verdict or workflow command", () => {
    expect(oneLine("a\n::add-mask::x\r\nplan-guard: nothing blocked")).toBe(
      "a↵::add-mask::x↵↵plan-guard: nothing blocked",
    );
    const r = classifyPlans([planOf([rc('aws_kms_key.k["a\\n::warning::forged"]', ["delete"], { id: "k" }, null)])]);
    const lines = formatResult(r);
    expect(lines.every((l) => !l.startsWith("::"))).toBe(true);
  });

  test("value lines are cut until the comment fits GitHub's limit, and the comment says so", () => {
    const changes = Array.from({ length: 150 }, (_, i) => ({
      address: `aws_ssm_parameter.p${i}`,
      action: "update",
      details: Array.from({ length: 13 }, (_, j) => `tags.k${j}: "${"v".repeat(80)}" → "${"w".repeat(80)}"`),
    }));
    const input = {
      envs: ["dev"],
      synth: "success",
      reports: [
        {
          env: "dev",
          stacks: [{ stack: "dev-keys", status: "planned" as const, changes }],
          guard: { exitCode: 0, summary: "" },
        },
      ],
    };
    const text = renderComment(input);
    expect(text.length).toBeLessThanOrEqual(60_000);
    expect(text).toMatch(
      /_Values are cut to (4 lines|1 line|none) per change to fit GitHub's size limit for this text\._/,
    );
    const full = renderComment({ ...input, maxLength: 10_000_000 });
    expect(full).not.toContain("_Values are cut");
    expect(full).toContain("… 1 more");
  });
});
