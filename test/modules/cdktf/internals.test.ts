/**
 * The cdktf internals this project relies on (modules/cdktf/internals.ts): each test fails when
 * one assumption stops holding (a cdktf, constructs or CDK Terrain upgrade), naming which.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import {
  App,
  Aspects,
  CloudBackend,
  LocalBackend,
  NamedCloudWorkspace,
  TerraformOutput,
  TerraformStack,
  Token,
  type IAspect,
} from "cdktf";
import type { IConstruct } from "constructs";
import {
  BUNDLE_STUBS,
  invokeAspects,
  prepareWithoutResolvePass,
  resolve,
  withoutBinaryCheck,
} from "../../../modules/cdktf/internals";

const root = join(__dirname, "..", "..", "..");

test("invokeAspects runs a stack's Aspects without synthesizing it", () => {
  const app = new App({ outdir: "/nonexistent" });
  const stack = new TerraformStack(app, "s");
  new TerraformOutput(stack, "o", { value: "x" });
  const visited: string[] = [];
  const aspect: IAspect = { visit: (n: IConstruct) => void visited.push(n.node.path) };
  Aspects.of(stack).add(aspect);
  invokeAspects(stack);
  expect(visited).toEqual(["s", "s/o"]);
});

test("resolve turns a token into the value that will be synthesized", () => {
  const stack = new TerraformStack(new App({ outdir: "/nonexistent" }), "s");
  const token = Token.asString({ resolve: () => "resolved" });
  expect(resolve(stack, { a: token })).toEqual({ a: "resolved" });
});

test("CloudBackend's `terraform version` check is a ValidateTerraformVersion in node._validations, and withoutBinaryCheck removes it", () => {
  const stack = new TerraformStack(new App({ outdir: "/nonexistent" }), "s");
  const backend = new CloudBackend(stack, { organization: "o", workspaces: new NamedCloudWorkspace("w") });
  const validations = () =>
    (backend.node as unknown as { _validations: { constructor: { name: string } }[] })._validations.map(
      (v) => v.constructor.name,
    );
  expect(validations()).toContain("ValidateTerraformVersion");
  withoutBinaryCheck(backend);
  expect(validations()).not.toContain("ValidateTerraformVersion");
  // Nothing left that would start a process: validating the backend passes without Terraform.
  expect(backend.node.validate()).toEqual([]);
});

test("fails when constructs no longer keeps validations in _validations", () => {
  const fake = { node: {} } as unknown as IConstruct;
  expect(() => withoutBinaryCheck(fake)).toThrow(
    "constructs changed: Node._validations is gone (see modules/cdktf/internals.ts)",
  );
});

test("prepareStack's only job besides the preparing resolve pass is ensuring a backend", () => {
  const stack = new TerraformStack(new App({ outdir: "/nonexistent" }), "s");
  expect(typeof TerraformStack.prototype.prepareStack).toBe("function");
  prepareWithoutResolvePass(stack);
  expect(stack.node.children.some((c) => c instanceof LocalBackend)).toBe(true);
  // The full pass is compared byte for byte with the skipped one in test/stacks/main-cli.test.ts.
});

describe("bundle stubs", () => {
  test.each(BUNDLE_STUBS.filter((s) => s.file).map((s) => [s.file as string, s]))(
    "%s exists and exports what the stub replaces",
    (file, stub) => {
      const real = jest.requireActual<Record<string, unknown>>(join(root, "node_modules", file));
      const replaced: Record<string, unknown> = {};
      new Function("exports", stub.contents)(replaced);
      expect(Object.keys(replaced).sort()).toEqual(
        Object.keys(real)
          .filter((k) => k !== "__esModule")
          .sort(),
      );
    },
  );

  test.each(BUNDLE_STUBS.filter((s) => s.module).map((s) => [s.module as string]))(
    "cdktf still loads %s (else the stub is dead weight)",
    (name) => {
      const src = readFileSync(join(root, "node_modules", "cdktf", "lib", "private", "fs.js"), "utf8");
      expect(src).toMatch(new RegExp(`require\\("${name}"\\)`));
    },
  );

  test("the app bundle applies every stub", () => {
    const bundle = readFileSync(join(root, ".build", "main.js"), "utf8");
    BUNDLE_STUBS.forEach((s, i) => {
      // esbuild names a replaced module by its namespace and index, a replaced file by its path.
      const at = bundle.indexOf(s.module ? `"synth-only:${i}"` : `node_modules/${s.file}"`);
      expect(at).toBeGreaterThan(-1);
      const body = bundle.slice(at, at + 200);
      const marker = s.module ? "archive assets are made by tools/build.mjs" : "captureStackTrace=()=>[]";
      expect(body.includes(marker)).toBe(true);
    });
  });
});

test("no other source reaches into cdktf's internals", () => {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|mjs|js)$/.test(name) && p !== join(root, "modules", "cdktf", "internals.ts")) {
        const src = readFileSync(p, "utf8");
        if (/["']cdktf\/lib\/|_validations|ensureBackendExists\(|private[\\/]stack-trace/.test(src))
          found.push(p.slice(root.length + 1));
      }
    }
  };
  for (const d of ["environments", "stacks", "modules", "tools", "hooks"]) walk(join(root, d));
  expect(found).toEqual([]);
});
