import { classifyPlans } from "@cmk-stacks/plan-guard";
import { planOf, rc, policy } from "./builders";
const show = (n: string, p: ReturnType<typeof planOf>) => { const r = classifyPlans([p]); console.log(n + " => " + [...r.blocked.map((f) => "B " + f.rule + ": " + f.why.slice(0, 200)), ...r.risky.map((f) => "R " + f.rule + ": " + f.why.slice(0, 150))].join(" | ")); };
test("p", () => {
  const pol = policy({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::999999999999:root" }, Action: "kms:*", Resource: "*" });
  show("replica create, policy only other account root", planOf([rc("aws_kms_replica_key.r", ["create"], null, { primary_key_arn: "arn:aws:kms:eu-west-1:111122223333:key/mrk-1", policy: pol })]));
  show("key create, policy only other account root", planOf([rc("aws_kms_key.k", ["create"], null, { policy: pol })]));
  show("key create in plan with 111 resources", planOf([rc("aws_kms_key.k", ["create"], null, { policy: pol }), rc("aws_s3_bucket.b", ["no-op"], { arn: "arn:aws:s3:::b", id: "b" }, { arn: "arn:aws:s3:::b" }), rc("aws_iam_role.r", ["no-op"], { arn: "arn:aws:iam::111122223333:role/r" }, { arn: "arn:aws:iam::111122223333:role/r" })]));
});
