import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { environments } from "../../environments";
import { providerRequirement } from "../../modules/core/provider-requirement";
import {
  constraintAllows,
  installLockFiles,
  lockFileOf,
  lockFileText,
  lockProblems,
  LOCKS_DIR,
  parseLockFile,
  requiredProviders,
} from "../../stacks/lock-files";
import { synthEnvs } from "../helpers/synth";

const root = join(__dirname, "..", "..");
const work = mkdtempSync(join(tmpdir(), "cmk-locks-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const AWS = "registry.terraform.io/hashicorp/aws";
const REQUIREMENT = ">= 6.25.0, < 7.0.0";
const lock = (version: string, constraints?: string, hashes: string[] = []) =>
  lockFileText(new Map([[AWS, { version, ...(constraints !== undefined ? { constraints } : {}), hashes }]]));
const stackRequiring = (providers: Record<string, { source: string; version: string }>) => ({
  terraform: { required_providers: providers },
});

describe("the synthesized provider requirement", () => {
  const { stacks } = synthEnvs(environments);

  test("every shipped stack requires aws >= 6.25.0, < 7.0.0: the binding's version up to the next major", () => {
    expect(Object.keys(stacks).sort()).toEqual([
      "dev-data",
      "dev-keys",
      "prod-data",
      "prod-keys",
      "staging-data",
      "staging-keys",
    ]);
    for (const s of Object.values(stacks))
      expect(s.terraform?.required_providers).toEqual({ aws: { source: "aws", version: REQUIREMENT } });
    // The floor is the version the prebuilt binding was generated from, read from the binding.
    const binding = new AwsProvider(new TerraformStack(new App(), "x"), "aws", {});
    expect(providerRequirement(binding.terraformGeneratorMetadata!.providerVersion!)).toBe(REQUIREMENT);
  });

  test.each([
    ["6.25.0", ">= 6.25.0, < 7.0.0"],
    ["4.1.0", ">= 4.1.0, < 5.0.0"],
    ["10.0.3", ">= 10.0.3, < 11.0.0"],
  ])("providerRequirement(%s) is %s", (version, expected) => {
    expect(providerRequirement(version)).toBe(expected);
    expect(constraintAllows(expected, version)).toBe(true);
  });

  test("a binding version that is no release version is refused", () => {
    expect(() => providerRequirement("6.25")).toThrow('provider binding version "6.25" is not a release version');
  });

  test("each shipped stack has a committed lock file that terraform init would use unchanged", () => {
    const locks = join(root, LOCKS_DIR);
    expect(readdirSync(locks).sort()).toEqual(
      Object.keys(stacks)
        .map((s) => `${s}.terraform.lock.hcl`)
        .sort(),
    );
    for (const [name, json] of Object.entries(stacks)) {
      const text = readFileSync(lockFileOf(locks, name), "utf8");
      expect(lockProblems(name, json, text)).toEqual([]);
      const locked = parseLockFile(text).get(AWS)!;
      expect(constraintAllows(REQUIREMENT, locked.version)).toBe(true);
      expect(locked.constraints).toBe(REQUIREMENT);
    }
  });
});

describe("constraintAllows (Terraform's version constraint syntax)", () => {
  test.each([
    [REQUIREMENT, "6.25.0", true],
    [REQUIREMENT, "6.66.0", true],
    [REQUIREMENT, "6.24.9", false],
    [REQUIREMENT, "7.0.0", false],
    [REQUIREMENT, "5.100.0", false],
    [REQUIREMENT, "7.0.0-beta1", false],
    ["~> 6.25", "6.99.1", true],
    ["~> 6.25", "7.0.0", false],
    ["~> 6.25.0", "6.25.9", true],
    ["~> 6.25.0", "6.26.0", false],
    ["~> 6", "7.2.0", true],
    ["~> 6", "5.9.0", false],
    ["6.25.0", "6.25.0", true],
    ["= 6.25.0", "6.25.1", false],
    [">= 6.0, != 6.30.0", "6.30.0", false],
    [">= 6.0, != 6.30.0", "6.31.0", true],
    ["> 6.25.0", "6.25.0", false],
    ["<= 6.25.0", "6.25.0", true],
    ["= 7.0.0-beta1", "7.0.0-beta1", true],
  ])("%s allows %s: %s", (constraint, version, expected) => {
    expect(constraintAllows(constraint, version)).toBe(expected);
  });

  test("an unreadable constraint throws", () => {
    expect(() => constraintAllows(">= six", "6.25.0")).toThrow('">= six" is not a Terraform version constraint');
  });
});

describe("lock files", () => {
  test("reads a file as terraform init writes it (hashes, comments) and writes the same format", () => {
    const text = [
      '# This file is maintained automatically by "terraform init".',
      "# Manual edits may be lost in future updates.",
      "",
      `provider "${AWS}" {`,
      '  version     = "5.100.0"',
      '  constraints = ">= 5.90.0, < 6.0.0"',
      "  hashes = [",
      '    "h1:edXOJWE4ORX8Fm+dpVpICzMZJat4AX0VRCAy/xkcOc0=",',
      "  ]",
      "}",
      "",
    ].join("\n");
    const parsed = parseLockFile(text);
    expect(parsed.get(AWS)).toEqual({
      version: "5.100.0",
      constraints: ">= 5.90.0, < 6.0.0",
      hashes: ["h1:edXOJWE4ORX8Fm+dpVpICzMZJat4AX0VRCAy/xkcOc0="],
    });
    expect(lockFileText(parsed)).toBe(text);
  });

  test("an unreadable file names the line", () => {
    expect(() => parseLockFile(`provider "${AWS}" {\n  versoin = "6.25.0"\n}\n`, "x.hcl")).toThrow(
      'x.hcl line 2: expected version, constraints or hashes: "versoin = \\"6.25.0\\""',
    );
    expect(() => parseLockFile(`provider "${AWS}" {\n}\n`, "x.hcl")).toThrow(
      `x.hcl line 2: provider "${AWS}" has no version`,
    );
    expect(() => parseLockFile(`provider "${AWS}" {\n  version = "6.25.0"\n`, "x.hcl")).toThrow(
      `x.hcl: ends inside provider "${AWS}"`,
    );
  });

  test("every problem of a lock file, and which ones terraform init would fail on", () => {
    const stack = stackRequiring({
      aws: { source: "aws", version: REQUIREMENT },
      tls: { source: "hashicorp/tls", version: ">= 4.1.0, < 5.0.0" },
    });
    const text = lockFileText(
      new Map([
        [AWS, { version: "5.100.0", constraints: REQUIREMENT, hashes: [] }],
        ["registry.terraform.io/hashicorp/random", { version: "3.0.0", hashes: [] }],
      ]),
    );
    expect(lockProblems("l.hcl", stack, text)).toEqual([
      {
        message: `l.hcl: ${AWS} is locked at 5.100.0, which the stack's requirement ">= 6.25.0, < 7.0.0" does not allow (terraform init would fail: lock a version it allows, e.g. with terraform init -upgrade, then npm run plan saves it)`,
        blocking: true,
      },
      {
        message:
          "l.hcl: no entry for registry.terraform.io/hashicorp/tls, which the stack requires (>= 4.1.0, < 5.0.0): terraform init adds one",
        blocking: false,
      },
      {
        message:
          "l.hcl: locks registry.terraform.io/hashicorp/random, which the stack does not require: terraform init drops it",
        blocking: false,
      },
    ]);
    expect(lockProblems("l.hcl", stack, lock("6.30.0", "~> 6.0"))).toContainEqual({
      message: `l.hcl: ${AWS} records the constraints "~> 6.0", the stack requires "${REQUIREMENT}": terraform init rewrites them`,
      blocking: false,
    });
    expect(requiredProviders(stack)).toEqual(
      new Map([
        [AWS, REQUIREMENT],
        ["registry.terraform.io/hashicorp/tls", ">= 4.1.0, < 5.0.0"],
      ]),
    );
  });

  test("synthesis copies a committed lock next to cdk.tf.json, and refuses all of them when one would make init fail", () => {
    const out = join(work, "out");
    const locks = join(work, "locks");
    for (const s of ["a-keys", "b-keys", "c-keys"]) {
      mkdirSync(join(out, "stacks", s), { recursive: true });
      writeFileSync(
        join(out, "stacks", s, "cdk.tf.json"),
        JSON.stringify(stackRequiring({ aws: { source: "aws", version: REQUIREMENT } })),
      );
    }
    mkdirSync(locks, { recursive: true });
    writeFileSync(lockFileOf(locks, "a-keys"), lock("6.25.0", REQUIREMENT));
    writeFileSync(lockFileOf(locks, "b-keys"), lock("6.40.0", "~> 6.0"));
    expect(installLockFiles(out, locks)).toEqual([]);
    expect(readFileSync(join(out, "stacks", "a-keys", ".terraform.lock.hcl"), "utf8")).toBe(
      lock("6.25.0", REQUIREMENT),
    );
    // Not blocking: init rewrites the recorded constraints.
    expect(existsSync(join(out, "stacks", "b-keys", ".terraform.lock.hcl"))).toBe(true);
    // No committed lock: init creates one.
    expect(existsSync(join(out, "stacks", "c-keys", ".terraform.lock.hcl"))).toBe(false);

    rmSync(join(out, "stacks", "a-keys", ".terraform.lock.hcl"));
    writeFileSync(lockFileOf(locks, "c-keys"), lock("7.1.0", REQUIREMENT));
    expect(installLockFiles(out, locks)).toEqual([
      `${LOCKS_DIR}/c-keys.terraform.lock.hcl: ${AWS} is locked at 7.1.0, which the stack's requirement ">= 6.25.0, < 7.0.0" does not allow (terraform init would fail: lock a version it allows, e.g. with terraform init -upgrade, then npm run plan saves it)`,
    ]);
    expect(existsSync(join(out, "stacks", "a-keys", ".terraform.lock.hcl"))).toBe(false);
  });
});
