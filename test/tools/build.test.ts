import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LAMBDA_RUNTIME, LAMBDA_ZIP } from "../../modules/hooks/hook-runtime";

const root = join(__dirname, "..", "..");
const targets = JSON.parse(
  execFileSync(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `import * as t from ${JSON.stringify(join(root, "tools", "build-targets.mjs"))}; console.log(JSON.stringify(t));`,
    ],
    { encoding: "utf8" },
  ),
) as { CLI_NODE_TARGET: string; LAMBDA_NODE_TARGET: string };

test("the Lambda bundle is compiled for the function's runtime, the CLI bundle for Node 20", () => {
  expect(LAMBDA_RUNTIME).toBe("nodejs22.x");
  expect(`nodejs${targets.LAMBDA_NODE_TARGET.replace(/^node/, "")}.x`).toBe(LAMBDA_RUNTIME);
  expect(targets.CLI_NODE_TARGET).toBe("node20");
});

test("the Lambda zip holds one hooks.js exporting the handler (built by the jest global setup)", () => {
  const dir = mkdtempSync(join(tmpdir(), "lambda-zip-"));
  try {
    // The zip is read with Python's zipfile (no unzip dependency), then loaded as Lambda would.
    execFileSync(
      "python3",
      [
        "-c",
        "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print(z.namelist()); z.extractall(sys.argv[2])",
        LAMBDA_ZIP,
        dir,
      ],
      { encoding: "utf8" },
    );
    const mod = jest.requireActual<Record<string, unknown>>(join(dir, "hooks.js"));
    expect(typeof mod.handler).toBe("function");
    // The CLI runner is not part of the Lambda bundle.
    expect(mod.runCli).toBeUndefined();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a tool that bundles the hook runner (npm run restore) runs only itself: the runner starts only from its own entry", () => {
  // Inside a bundle `require.main === module` is true for every inlined module, so the runner's start
  // lives in hooks/main.ts, not in hooks/cli.ts (which restore imports).
  let out = "";
  let status = 0;
  try {
    execFileSync(process.execPath, [join(root, ".build", "restore.js"), "no-such-env"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    status = err.status;
    out = `${err.stdout}${err.stderr}`;
  }
  expect(status).toBe(64);
  expect(out.trim()).toBe('restore: unknown environment "no-such-env" (known: dev, staging, prod)');
});
