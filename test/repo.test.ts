/** Repository files a user or an auditor reads first: the licence matches package.json; the changelog is kept. */
import { readFileSync } from "node:fs";
import { join } from "node:path";

const root = join(__dirname, "..");

test("LICENSE is the licence package.json declares (Apache-2.0)", () => {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { license: string };
  expect(pkg.license).toBe("Apache-2.0");
  const text = readFileSync(join(root, "LICENSE"), "utf8");
  expect(text).toMatch(
    /^\s*Apache License\s+Version 2\.0, January 2004\s+http:\/\/www\.apache\.org\/licenses\/\s+TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION/,
  );
  expect(text.trim().endsWith("END OF TERMS AND CONDITIONS")).toBe(true);
});

test("CHANGELOG.md has an Unreleased section at the top", () => {
  const text = readFileSync(join(root, "CHANGELOG.md"), "utf8");
  expect(text.split("\n").find((l) => l.startsWith("## "))).toBe("## Unreleased");
});
