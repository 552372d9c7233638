import type { ComplianceRule } from "./rule";

interface Statement {
  Effect?: string;
  Principal?: unknown;
}

/** checkov CKV_AWS_33: a key policy never allows a wildcard principal. */
export const kmsPolicyNoWildcard: ComplianceRule = {
  id: "CKV_AWS_33",
  title: "KMS key policy does not allow a wildcard principal",
  documentation: "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html",
  resourceTypes: ["aws_kms_key", "aws_kms_external_key", "aws_kms_key_policy"],
  check: (r) => {
    const policy = r.attributes.policy;
    if (typeof policy !== "string") return "the key has no explicit policy";
    let doc: { Statement?: Statement[] };
    try {
      doc = JSON.parse(policy) as { Statement?: Statement[] };
    } catch {
      return undefined; // a token-built policy cannot be read at synth; the plan guard checks it later
    }
    const wildcard = (doc.Statement ?? []).some((s) => {
      if (s.Effect !== "Allow") return false;
      const p = s.Principal;
      const values = p === "*" ? ["*"] : typeof p === "object" && p !== null ? Object.values(p).flat() : [];
      return values.includes("*");
    });
    return wildcard ? 'an Allow statement has Principal "*"' : undefined;
  },
};
