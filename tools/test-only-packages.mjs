// Packages the tests may use but no bundle may contain: `@cloud-copilot/*` (the IAM policy
// evaluator and its data) is AGPL-licensed, a devDependency for tests only. tools/build.mjs adds
// this esbuild plugin to every build, so an import of one from shipped code fails the build.
export const TEST_ONLY_PACKAGES = /^@cloud-copilot\//;

export const testOnlyPackages = {
  name: "test-only-packages",
  setup(b) {
    b.onResolve({ filter: TEST_ONLY_PACKAGES }, (a) => ({
      errors: [
        {
          text: `${a.path} is a test-only package (AGPL-licensed devDependency): it must never enter a bundle (imported by ${a.importer})`,
        },
      ],
    }));
  },
};

// CDK Terrain (`cdktn`, `@cdktn/*`): devDependencies of the compatibility build only
// (tools/cdktn/build.mjs, `npm run synth:cdktn`), which maps cdktf onto them. The shipped bundles
// run on cdktf: an import of one from shipped code fails the build.
export const COMPAT_ONLY_PACKAGES = /^(cdktn|cdktn-cli|@cdktn\/[^/]+)(\/|$)/;

export const compatOnlyPackages = {
  name: "compat-only-packages",
  setup(b) {
    b.onResolve({ filter: COMPAT_ONLY_PACKAGES }, (a) => ({
      errors: [
        {
          text: `${a.path} is CDK Terrain, a devDependency of the compatibility build only (npm run synth:cdktn, docs/toolchain.md): shipped code imports cdktf (imported by ${a.importer})`,
        },
      ],
    }));
  },
};
