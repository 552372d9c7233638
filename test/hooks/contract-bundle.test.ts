/**
 * The hook contract bundles alone (esbuild's service process: an integration suite, test/helpers/projects.js).
 * The rest of the contract's tests run in-process: test/hooks/contract.test.ts.
 */
import { join } from "node:path";
import { build } from "esbuild";

const ROOT = join(__dirname, "..", "..");

test("the contract module loads no AWS SDK, cdktf or constructs module", async () => {
  const result = await build({
    entryPoints: [join(ROOT, "hooks", "contract.ts")],
    bundle: true,
    write: false,
    metafile: true,
    platform: "node",
    logLevel: "silent",
  });
  const inputs = Object.keys(result.metafile.inputs);
  expect(inputs.filter((i) => /node_modules\/(@aws-sdk|@smithy|cdktf|constructs|@cdktf)\//.test(i))).toEqual([]);
  // Besides itself and the id patterns, only the rulebook (dependency-free: its own files, nothing else).
  const rulebook = inputs.filter((i) => i.startsWith("packages/aws-limits/"));
  expect(rulebook).toContain("packages/aws-limits/index.ts");
  expect(
    inputs
      .filter((i) => !rulebook.includes(i))
      .map((i) => i.replace(/^.*?hooks\//, "hooks/"))
      .sort(),
  ).toEqual(["hooks/contract.ts", "hooks/lib/validate.ts"]);
});
