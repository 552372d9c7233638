import { readFileSync } from "node:fs";
import { join } from "node:path";
import { renderConnectionErrorTable } from "../../hooks/lib/connection-errors";
import { STEPS } from "../../hooks/registry";
import { permissionsFor } from "../../modules/hooks/step-permissions";

const args = { "cluster-id": "c", "instance-id": "i", "admin-secret-arn": "a", "kmsuser-secret-arn": "k", "key-store-id": "s", "certificate-parameter": "/p", "trust-anchor-parameter": "/t" };

test.each(Object.keys(STEPS))("%s: the Lambda role's statements grant exactly the actions the registry lists", (step) => {
  const granted = permissionsFor(step, { partition: "aws", region: "eu-west-1", account: "111111111111", args }).flatMap((s) => s.Action);
  expect([...new Set(granted)].sort()).toEqual([...new Set(STEPS[step as keyof typeof STEPS].iam)].sort());
});

test("hooks/README.md carries the generated connection error table", () => {
  expect(readFileSync(join(__dirname, "..", "..", "hooks", "README.md"), "utf8")).toContain(renderConnectionErrorTable());
});

test("INVALID_CREDENTIALS and USER_LOCKED_OUT on a CloudHSM store point at reset-kmsuser-password", () => {
  const table = renderConnectionErrorTable().split("\n");
  for (const code of ["INVALID_CREDENTIALS", "USER_LOCKED_OUT"]) expect(table.find((l) => l.startsWith(`| \`${code}\` | CloudHSM |`))).toContain("run reset-kmsuser-password");
});
