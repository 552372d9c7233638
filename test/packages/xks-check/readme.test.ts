import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CLOUDWATCH, XKS } from "@cmk-stacks/aws-limits";

// The README is prose (markdown is not scanned for literals): the limits it states are held to the rulebook here.
const readme = readFileSync(join(__dirname, "../../../packages/xks-check/README.md"), "utf8").replace(/\s+/g, " ");
const words = (r: { min: number; max: number }) => `${r.min}-${r.max} characters`;

test.each([
  ["the access key id", `access key id ${words(XKS.ACCESS_KEY_ID_LENGTH)} \`A-Z2-7\``],
  ["the secret access key", `secret ${words(XKS.SECRET_ACCESS_KEY_LENGTH)} of letters, digits, \`/\`, \`+\`, \`=\``],
  ["the endpoint's length", `${words(XKS.URI_ENDPOINT_LENGTH)}, no port`],
  ["the URI path's length", `\`/kms/xks/v1\`), ${words(XKS.URI_PATH_LENGTH)}`],
  ["the certificate warning", `fewer than ${CLOUDWATCH.XKS_CERTIFICATE_DAYS_DEFAULT.value} days left (FAIL under`],
  [
    "AWS's certificate alarm point",
    `FAIL under ${XKS.CERTIFICATE_EXPIRY_AWS_ALARM_DAYS.value}, AWS's recommended alarm point`,
  ],
])("the README states %s as the rulebook does", (_what, text) => {
  expect(readme).toContain(text);
});
