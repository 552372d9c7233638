/**
 * Mutation test (issue 10): every field of each shipped environment's resolved JSON (the output
 * of `npm run config`, a valid ENV_CONFIG file) is deleted, set to null, given the wrong type,
 * given an unknown sibling (also one named `__proto__`), (strings) given a Terraform template
 * (`${...}` or `%{...}`), or (numbers) set out of any range. Nothing may crash; every problem is
 * one line naming its field; the command line exits 1 with those lines and leaves cdktf.out
 * exactly as it was. Besides the shipped environments, two that hold what the shipped ones do not
 * (issue 21's day-2 fields: a restored cluster, adopted HSMs, key generations, scale to zero) go
 * through the same mutations.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { environments } from "../../environments";
import type { EnvironmentConfig } from "../../environments/types";
import { asConfigInput, resolveEnvironment } from "../../environments/resolve";
import { validationMessages } from "../../environments/validation";
import { isUserError } from "../../environments/errors";
import { composeApp, composeEnvironment, synthesizeOrReport } from "../../stacks/compose";
import { sandbox } from "./scale-to-zero.fixture";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Mutation = { kind: string; path: string[]; apply: (env: { [k: string]: Json }) => void; names: string };

const resolvedJson = (env: EnvironmentConfig): { [k: string]: Json } =>
  JSON.parse(JSON.stringify(asConfigInput(resolveEnvironment(env)))) as { [k: string]: Json };

function at(root: Json, path: string[]): Json {
  return path.reduce<Json>((n, p) => (n as { [k: string]: Json })[p], root);
}

function setAt(root: Json, path: string[], value: Json | undefined): void {
  const parent = at(root, path.slice(0, -1)) as { [k: string]: Json };
  if (value === undefined) delete parent[path[path.length - 1]];
  // An own property even when named __proto__ (as JSON.parse makes it), never the prototype.
  else
    Object.defineProperty(parent, path[path.length - 1], {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
}

const wrongType = (v: Json): Json =>
  typeof v === "string"
    ? 42
    : typeof v === "number"
      ? "7"
      : typeof v === "boolean"
        ? "yes"
        : Array.isArray(v)
          ? "x"
          : "x";

/** Every mutation of every field of `env`. */
function mutations(env: { [k: string]: Json }): Mutation[] {
  const out: Mutation[] = [];
  const walk = (node: Json, path: string[]) => {
    const inArray = path.length > 0 && Array.isArray(at(env, path.slice(0, -1)));
    if (path.length > 0) {
      const name = path.join(".");
      if (!inArray) out.push({ kind: "delete", path, apply: (e) => setAt(e, path, undefined), names: name });
      out.push({ kind: "null", path, apply: (e) => setAt(e, path, null), names: name });
      out.push({ kind: "wrong type", path, apply: (e) => setAt(e, path, wrongType(node)), names: name });
      if (typeof node === "string") {
        out.push({ kind: "template", path, apply: (e) => setAt(e, path, '${file("/etc/passwd")}'), names: name });
        out.push({ kind: "directive", path, apply: (e) => setAt(e, path, "%{ if true }x%{ endif }"), names: name });
      }
      if (typeof node === "number")
        for (const n of [-1, 2 ** 53])
          out.push({ kind: "out of range", path, apply: (e) => setAt(e, path, n), names: name });
    }
    if (node !== null && typeof node === "object") {
      if (!Array.isArray(node) && !["tags"].includes(path[path.length - 1])) {
        for (const key of ["zzUnknown", "__proto__"]) {
          const unknown = [...path, key];
          out.push({
            kind: "unknown sibling",
            path: unknown,
            apply: (e) => setAt(e, unknown, 1),
            names: unknown.join("."),
          });
        }
      }
      for (const [k, v] of Object.entries(node)) walk(v, [...path, k]);
    }
  };
  walk(env, []);
  return out;
}

/** prod with a restored cluster, an adopted HSM and a rotated XKS key; a sandbox that scales to zero. */
const day2: Record<string, EnvironmentConfig> = {
  "prod (day 2)": (() => {
    const env = JSON.parse(JSON.stringify(environments.prod)) as Record<string, any>;
    env.cloudHsm.restored = {
      clusterId: "cluster-restoredabcd",
      backupId: "backup-newestreadya",
      hsmIds: ["hsm-restoredhsmaa"],
      previousClusterId: "cluster-originalabcd",
    };
    env.cloudHsm.adoptHsms = { "eu-west-1c-1": "hsm-replacedhsmcc" };
    env.keys.records.generations = {
      current: 3,
      retired: [1],
      xksKeyIds: { "2": "northwind-prod-records-02", "3": "northwind-prod-records-03" },
    };
    return env as EnvironmentConfig;
  })(),
  "sandbox (scale to zero)": sandbox((env) => {
    env.cloudHsm.scaleToZero.weekdays = ["MON", "TUE", "WED", "THU", "FRI"];
  }),
};
const cases: [string, EnvironmentConfig][] = [
  ...Object.keys(environments).map((name): [string, EnvironmentConfig] => [name, environments[name]]),
  ...Object.entries(day2),
];

test("the day-2 environments are valid as they are, and as npm run config writes them (the mutations' base)", () => {
  for (const env of Object.values(day2)) {
    expect(validationMessages({ [env.name]: env })).toEqual([]);
    expect(validationMessages({ [env.name]: resolvedJson(env) as unknown as EnvironmentConfig })).toEqual([]);
  }
});

describe.each(cases)("every field of %s", (_label, config) => {
  const name = config.name;
  const base = resolvedJson(config);
  const all = mutations(base);
  const prefix = `environments.${name}`;

  test(`${all.length} mutations: no crash; null, wrong types, unknown fields, templates and values out of range give exactly one line naming the field`, () => {
    const wrong: string[] = [];
    for (const m of all) {
      const env = JSON.parse(JSON.stringify(base)) as { [k: string]: Json };
      m.apply(env);
      let lines: string[];
      try {
        lines = validationMessages({ [name]: env as unknown as EnvironmentConfig });
      } catch (e) {
        wrong.push(`${m.kind} ${m.names}: threw ${String(e)}`);
        continue;
      }
      if (lines.some((l) => l.includes("\n") || !l.startsWith(`${prefix}.`)))
        wrong.push(`${m.kind} ${m.names}: malformed ${JSON.stringify(lines)}`);
      // Deleting a field may be fine (a default applies) or break a rule elsewhere (a bucket's key,
      // an xks key without xks): any well-formed lines will do.
      if (m.kind === "delete") continue;
      // An entry named __proto__ in a map (keys, adoptHsms...) may break two rules, its name's and
      // its value's: every line then names it.
      const named = (l: string) => l.startsWith(`${prefix}.${m.names}:`);
      const proto = m.path[m.path.length - 1] === "__proto__";
      if (proto ? lines.length === 0 || !lines.every(named) : lines.length !== 1 || !named(lines[0]))
        wrong.push(`${m.kind} ${m.names}: ${JSON.stringify(lines)}`);
    }
    expect(wrong).toEqual([]);
  });

  test("deleting any optional field still composes (defaults apply) or is refused with lines, never a crash", () => {
    const wrong: string[] = [];
    // One composition per field of the schema (keys.*.description once, not once per key): each takes ~0.2 s.
    const general = (m: Mutation) =>
      m.path.map((p, i) => (i > 0 && ["keys", "buckets", "tags"].includes(m.path[i - 1]) ? "*" : p)).join(".");
    const seen = new Set<string>();
    for (const m of all.filter((x) => x.kind === "delete")) {
      if (seen.has(general(m))) continue;
      seen.add(general(m));
      const env = JSON.parse(JSON.stringify(base)) as { [k: string]: Json };
      m.apply(env);
      const envs = { [name]: env as unknown as EnvironmentConfig };
      if (validationMessages(envs).length > 0) continue;
      // A default equal to the deleted value resolves to the same environment: nothing new to build.
      if (JSON.stringify(resolvedJson(envs[name])) === JSON.stringify(base)) continue;
      try {
        composeApp(envs, composeEnvironment, join(tmpdir(), "cmk-unused"));
      } catch (e) {
        if (!isUserError(e)) wrong.push(`delete ${m.names}: ${String(e)}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

/** Every file under `dir`, relative, with its content and modification time. */
function snapshot(dir: string): Record<string, string> {
  const walk = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)],
    );
  return Object.fromEntries(
    walk(dir).map((f) => [f.slice(dir.length + 1), `${readFileSync(f, "latin1")}@${statSync(f).mtimeMs}`]),
  );
}

describe("the command line on mutated input", () => {
  const root = join(__dirname, "..", "..");
  const work = mkdtempSync(join(tmpdir(), "cmk-mutate-"));
  const outdir = join(work, "cdktf.out");
  let before: Record<string, string>;
  beforeAll(() => {
    // A previous synth, and what `cdktf deploy` leaves beside it: must survive any failed run.
    mkdirSync(join(outdir, "stacks", "dev-keys", ".terraform"), { recursive: true });
    writeFileSync(join(outdir, "manifest.json"), '{"stacks":{}}');
    writeFileSync(join(outdir, "stacks", "dev-keys", "cdk.tf.json"), '{"previous":true}');
    writeFileSync(join(outdir, "stacks", "dev-keys", ".terraform", "lock"), "x");
    before = snapshot(outdir);
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const run = (config: unknown) => {
    const file = join(work, `env-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(config));
    return spawnSync(process.execPath, [join(root, ".build", "main.js")], {
      cwd: root,
      env: { ...process.env, ENV_CONFIG: file, CDKTF_OUTDIR: outdir },
      encoding: "utf8",
    });
  };

  const dev = resolvedJson(environments.dev);
  const prod = resolvedJson(environments.prod);
  const change = (base: { [k: string]: Json }, f: (e: { [k: string]: Json }) => void) => {
    const e = JSON.parse(JSON.stringify(base)) as { [k: string]: Json };
    f(e);
    return e;
  };

  test.each([
    [
      "null section",
      change(dev, (e) => (e.network = null)),
      [
        "environments.dev.network: null is not allowed (an object, configuration schema (schema/environment.schema.json))",
      ],
    ],
    [
      "wrong type",
      change(dev, (e) => ((e.hooks as { [k: string]: Json }).timeoutMinutes = "45")),
      [
        'environments.dev.hooks.timeoutMinutes: "45" is not allowed (a number, configuration schema (schema/environment.schema.json))',
      ],
    ],
    [
      "unknown field",
      change(dev, (e) => ((e.keys as { [k: string]: { [k: string]: Json } }).appData.rotaton = false)),
      ['environments.dev.keys.appData.rotaton: unknown field (did you mean "rotation"?)'],
    ],
    [
      "template",
      change(dev, (e) => ((e.tags as { [k: string]: Json }).Owner = '${file("x")}')),
      [
        `environments.dev.tags.Owner: "\${file(\\"x\\")}" is not allowed (data, not a Terraform template: no '\${', '%{' or 'TfToken[' (Terraform would evaluate it at plan time), Terraform string templates)`,
      ],
    ],
    [
      "day-2 fields: a restored cluster with a template, one HSM adopted at two addresses, a retired generation as text",
      change(resolvedJson(day2["prod (day 2)"]), (e) => {
        const c = e.cloudHsm as { [k: string]: { [k: string]: Json } };
        c.restored.backupId = "${var.backup}";
        c.adoptHsms["eu-west-1a-1"] = "hsm-replacedhsmcc";
        (
          (e.keys as { [k: string]: { [k: string]: { [k: string]: Json } } }).records.generations.retired as Json[]
        ).push("2");
      }),
      [
        `environments.prod.keys.records.generations.retired.1: "2" is not allowed (a number, configuration schema (schema/environment.schema.json))`,
        `environments.prod.cloudHsm.restored.backupId: "\${var.backup}" is not allowed (data, not a Terraform template: no '\${', '%{' or 'TfToken[' (Terraform would evaluate it at plan time), Terraform string templates)`,
        'environments.prod.cloudHsm.adoptHsms.eu-west-1c-1: "hsm-replacedhsmcc" is not allowed (an HSM no other address imports (cloudHsm.adoptHsms.eu-west-1a-1 imports it), Terraform import: each remote object at one resource address (https://developer.hashicorp.com/terraform/cli/import))',
      ],
    ],
    [
      "construct-level error (a certificate file that does not exist)",
      change(
        prod,
        (e) =>
          ((e.cloudHsm as { [k: string]: { [k: string]: Json } }).trust.signedCertificateFile =
            "environments/certs/prod.crt"),
      ),
      [
        "environments.prod.cloudHsm.trust.signedCertificateFile: environments/certs/prod.crt does not exist (put the PEM file there, or remove both file fields for the first apply, which outputs the cluster CSR)",
      ],
    ],
  ])("%s: exit 1, one line per problem, no stack trace, cdktf.out untouched", (_kind, config, expected) => {
    const r = run(config);
    expect(r.stderr.trim().split("\n")).toEqual(expected);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).not.toMatch(/\bat .*\.(js|ts):\d+/);
    expect(snapshot(outdir)).toEqual(before);
  });

  test("a JSON file with null, a list of nulls or a string instead of environments: one line each, nothing written", () => {
    for (const config of [null, [null], "dev", []]) {
      const r = run(config);
      expect([config, r.status, r.stderr.trim().split("\n").length]).toEqual([config, 1, 1]);
      expect(r.stderr).not.toMatch(/\bat .*\.(js|ts):\d+/);
    }
    expect(snapshot(outdir)).toEqual(before);
  });
});

describe("errors after validation leave the output folder as it was", () => {
  const work = mkdtempSync(join(tmpdir(), "cmk-atomic-"));
  const outdir = join(work, "out");
  const saved = { outdir: process.env.CDKTF_OUTDIR, exitCode: process.exitCode };
  let errors = "";
  beforeEach(() => {
    rmSync(outdir, { recursive: true, force: true });
    mkdirSync(join(outdir, "stacks", "old"), { recursive: true });
    writeFileSync(join(outdir, "stacks", "old", "cdk.tf.json"), "{}");
    process.env.CDKTF_OUTDIR = outdir;
    errors = "";
    jest.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => {
      errors += String(s);
      return true;
    });
  });
  afterEach(() => {
    jest.restoreAllMocks();
    process.exitCode = saved.exitCode;
  });
  afterAll(() => {
    if (saved.outdir === undefined) delete process.env.CDKTF_OUTDIR;
    else process.env.CDKTF_OUTDIR = saved.outdir;
    rmSync(work, { recursive: true, force: true });
  });

  test("a compliance finding: exit 1, the finding names the configuration field, nothing written", () => {
    const before = snapshot(outdir);
    synthesizeOrReport(
      () => ({ dev: environments.dev }),
      (app, env) => {
        composeEnvironment(app, env);
        // A key the tables would never let through, in the dev keys stack.
        const stack = app.node.findChild("dev-keys") as TerraformStack;
        new KmsKey(stack.node.findChild("key-appData"), "weak", {
          enableKeyRotation: false,
          deletionWindowInDays: 30,
          policy: "{}",
        });
      },
    );
    expect(process.exitCode).toBe(1);
    expect(errors).toContain(
      "compliance CKV_AWS_7 (KMS key rotation is enabled): dev-keys/key-appData/weak: enable_key_rotation is not true (configuration field: environments.dev.keys.appData; see https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html)\n",
    );
    expect(snapshot(outdir)).toEqual(before);
    expect(readdirSync(work)).toEqual(["out"]);
  });

  test("an internal error: one line with a hint to report it, exit 2, nothing written", () => {
    const before = snapshot(outdir);
    synthesizeOrReport(
      () => ({ dev: environments.dev }),
      (app) => {
        new AwsProvider(new TerraformStack(app, "x"), "aws", { region: "eu-west-1" });
        throw new TypeError("Cannot read properties of undefined (reading 'az')");
      },
    );
    expect(process.exitCode).toBe(2);
    expect(errors).toBe(
      "internal error: TypeError: Cannot read properties of undefined (reading 'az') (a bug in cmk-stacks, not in your configuration: please report it with the command you ran; CMK_DEBUG=1 prints the stack trace)\n",
    );
    expect(snapshot(outdir)).toEqual(before);
    expect(readdirSync(work)).toEqual(["out"]);
  });

  test("a successful synth replaces the files it writes and keeps the others (.terraform, stacks no longer synthesized)", () => {
    synthesizeOrReport(() => ({ dev: environments.dev }), composeEnvironment);
    expect(errors).toBe("");
    expect(readdirSync(join(outdir, "stacks")).sort()).toEqual(["dev-data", "dev-keys", "old"]);
    expect(JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8")).stacks["dev-keys"]).toBeDefined();
    expect(readdirSync(work)).toEqual(["out"]);
  });
});
