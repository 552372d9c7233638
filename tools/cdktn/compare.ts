/**
 * Compares two synthesized outputs (cdktf and the CDK Terrain compatibility build of the same
 * source, `npm run synth:cdktn`) file by file, JSON by value, and explains each difference.
 * docs/toolchain.md lists the explained kinds; anything else is `unexplained` and fails the run.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { normalizeSource } from "../terraform/scratch";

/** Why two outputs may differ and still describe the same infrastructure. */
export type DifferenceKind =
  /** `terraform.required_providers.<p>.version`: each binding's own provider version as the floor. */
  | "provider-version"
  /** `terraform.required_providers.<p>.source` spelled differently for the same registry address. */
  | "provider-source-spelling"
  /** The synthesizing library's version (`//.metadata.version`, the manifest's `version`). */
  | "library-version"
  /** Same JSON value, different bytes (cdktn writes an empty array as `[]`, cdktf on two lines). */
  | "formatting"
  /** Anything else: a real difference the compatibility build must not have. */
  | "unexplained";

export interface Difference {
  /** File relative to the output directory (`stacks/dev-keys/cdk.tf.json`, `manifest.json`). */
  readonly file: string;
  /** JSON path inside the file (`terraform.required_providers.aws.version`), "" for the whole file. */
  readonly path: string;
  readonly kind: DifferenceKind;
  /** The value in each output (JSON text, cut to 200 characters); undefined where it is missing. */
  readonly cdktf?: string;
  readonly cdktn?: string;
}

function files(dir: string, base = dir): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((e) => {
      const p = join(dir, e);
      // What Terraform writes into a stack directory is not synthesized output.
      if (e === ".terraform" || e === ".terraform.lock.hcl" || e.endsWith(".tfstate")) return [];
      return statSync(p).isDirectory() ? files(p, base) : [relative(base, p)];
    });
}

const shown = (v: unknown): string | undefined => {
  if (v === undefined) return undefined;
  const s = JSON.stringify(v);
  return s.length > 200 ? `${s.slice(0, 197)}...` : s;
};

function kindOf(file: string, path: string[], a: unknown, b: unknown): DifferenceKind {
  const at = path.join(".");
  if (file === "manifest.json" && at === "version") return "library-version";
  if (file.endsWith("cdk.tf.json")) {
    if (at === "//.metadata.version") return "library-version";
    if (path.length === 4 && path[0] === "terraform" && path[1] === "required_providers") {
      if (path[3] === "version") return "provider-version";
      if (path[3] === "source" && typeof a === "string" && typeof b === "string")
        return normalizeSource(a) === normalizeSource(b) ? "provider-source-spelling" : "unexplained";
    }
  }
  return "unexplained";
}

function diffValues(file: string, path: string[], a: unknown, b: unknown, out: Difference[]): void {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort())
      diffValues(file, [...path, k], a[k], b[k], out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((x, i) => diffValues(file, [...path, String(i)], x, b[i], out));
    return;
  }
  if (JSON.stringify(a) === JSON.stringify(b)) return;
  out.push({ file, path: path.join("."), kind: kindOf(file, path, a, b), cdktf: shown(a), cdktn: shown(b) });
}

/** Every difference between the outputs in `cdktfDir` and `cdktnDir`, in file and path order. */
export function compareOutputs(cdktfDir: string, cdktnDir: string): Difference[] {
  const out: Difference[] = [];
  const a = files(cdktfDir);
  const b = files(cdktnDir);
  for (const file of [...new Set([...a, ...b])].sort()) {
    if (!a.includes(file) || !b.includes(file)) {
      out.push({
        file,
        path: "",
        kind: "unexplained",
        ...(a.includes(file) ? { cdktf: "(file)" } : { cdktn: "(file)" }),
      });
      continue;
    }
    const x = readFileSync(join(cdktfDir, file));
    const y = readFileSync(join(cdktnDir, file));
    if (x.equals(y)) continue;
    if (file.endsWith(".json")) {
      const before = out.length;
      diffValues(file, [], JSON.parse(x.toString("utf8")), JSON.parse(y.toString("utf8")), out);
      if (out.length === before) out.push({ file, path: "", kind: "formatting" });
    } else {
      out.push({ file, path: "", kind: "unexplained", cdktf: `(${x.length} bytes)`, cdktn: `(${y.length} bytes)` });
    }
  }
  return out;
}

/** One line per difference: file, path, kind, both values. */
export function differenceLines(diffs: readonly Difference[]): string[] {
  return diffs.map(
    (d) =>
      `${d.kind === "unexplained" ? "UNEXPLAINED" : d.kind}: ${d.file}${d.path ? ` ${d.path}` : ""}${
        d.cdktf !== undefined || d.cdktn !== undefined
          ? `: cdktf ${d.cdktf ?? "(missing)"}, cdktn ${d.cdktn ?? "(missing)"}`
          : ""
      }`,
  );
}
