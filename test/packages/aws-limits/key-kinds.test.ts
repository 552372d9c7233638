/**
 * The rulebook's key kinds: HMAC specs, and the signing specs KMS offers that the planning provider
 * does not accept yet. Where the offline mirror is on this machine, the claim is checked against the
 * provider binary itself: a spec its AWS SDK does not know is not in it.
 */
import { closeSync, existsSync, openSync, readSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { KMS } from "@cmk-stacks/aws-limits";
import { mirrorCandidates, platformName, scanMirror } from "../../../tools/terraform/offline";

test("HMAC specs are the four KMS offers, HMAC_256 by default", () => {
  expect([...KMS.HMAC_KEY_SPECS]).toEqual(["HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512"]);
  expect(KMS.DEFAULT_HMAC_KEY_SPEC.value).toBe("HMAC_256");
  expect(KMS.KEY_USAGE.generateVerifyMac).toBe("GENERATE_VERIFY_MAC");
});

test("every spec awaiting the provider names the release that accepts it, and is not also offered", () => {
  expect(KMS.PROVIDER_VERSION_ACCEPTING).toEqual({
    ML_DSA_44: "6.1.0",
    ML_DSA_65: "6.1.0",
    ML_DSA_87: "6.1.0",
    ECC_NIST_EDWARDS25519: "6.21.0",
  });
  for (const spec of KMS.SIGNING_KEY_SPECS_AWAITING_PROVIDER)
    expect(KMS.SIGNING_KEY_SPECS as readonly string[]).not.toContain(spec);
});

/** Which of `needles` occur in the file, read in 16 MiB chunks (the provider binary is ~700 MB). */
function stringsIn(file: string, needles: readonly string[]): Set<string> {
  const found = new Set<string>();
  const overlap = Math.max(...needles.map((n) => n.length));
  const chunk = Buffer.alloc(16 * 1024 * 1024 + overlap);
  const fd = openSync(file, "r");
  try {
    let carried = 0;
    let position = 0;
    for (;;) {
      const read = readSync(fd, chunk, carried, chunk.length - carried, position);
      if (read === 0) break;
      position += read;
      const view = chunk.subarray(0, carried + read);
      for (const n of needles) if (!found.has(n) && view.includes(n, 0, "latin1")) found.add(n);
      carried = Math.min(overlap, view.length);
      view.copy(chunk, 0, view.length - carried);
    }
  } finally {
    closeSync(fd);
  }
  return found;
}

// The provider binary in the offline mirror `npm run validate` uses (read only; no Terraform run).
const mirror = mirrorCandidates().find(
  (m) => existsSync(m) && scanMirror(m)["registry.terraform.io/hashicorp/aws"] === KMS.PLANNING_PROVIDER_VERSION,
);
const runIf = mirror ? test : test.skip;

runIf("the mirrored planning provider knows the HMAC specs but not the specs awaiting a later provider", () => {
  const dir = join(
    mirror as string,
    "registry.terraform.io/hashicorp/aws",
    KMS.PLANNING_PROVIDER_VERSION,
    platformName(),
  );
  const bin = readdirSync(dir).find((f) => f.startsWith("terraform-provider-aws")) as string;
  const found = stringsIn(join(dir, bin), [...KMS.HMAC_KEY_SPECS, ...KMS.SIGNING_KEY_SPECS_AWAITING_PROVIDER]);
  for (const spec of KMS.HMAC_KEY_SPECS) expect([spec, found.has(spec)]).toEqual([spec, true]);
  for (const spec of KMS.SIGNING_KEY_SPECS_AWAITING_PROVIDER) expect([spec, found.has(spec)]).toEqual([spec, false]);
});
