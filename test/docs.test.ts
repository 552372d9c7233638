/**
 * Every repository path the README and docs/ name exists: links, `code` spans that start with a
 * top-level entry of the repository, and the layout tree in docs/architecture.md. (The CHANGELOG is history: it
 * names files that were renamed or removed on purpose.)
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";

const root = join(__dirname, "..");
const documents = [
  "README.md",
  "hooks/README.md",
  "packages/plan-guard/README.md",
  "packages/xks-check/README.md",
  ...readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];
const topLevel = new Set([...readdirSync(root), ".github", ".ci"]);

/** Relative link targets and `code` spans that look like paths of this repository. */
function namedPaths(doc: string): string[] {
  const text = readFileSync(join(root, doc), "utf8");
  const links = [...text.matchAll(/\]\(([^)#\s]+)/g)]
    .map((m) => m[1])
    .filter((t) => !/^[a-z]+:/.test(t))
    .map((t) => normalize(join(dirname(doc), t)));
  // cdktf.out/ is what `npm run synth` writes: a fresh clone has none until then.
  const spans = [...text.matchAll(/`([^`\s]+)`/g)]
    .map((m) => m[1].replace(/[.,:;]+$/, ""))
    .filter(
      (p) => p.includes("/") && !/[<>*$]/.test(p) && topLevel.has(p.split("/")[0]) && !p.startsWith("cdktf.out/"),
    );
  return [...new Set([...links, ...spans])];
}

test.each(documents)("every repository path %s names exists", (doc) => {
  const paths = namedPaths(doc);
  expect(paths.length).toBeGreaterThan(0);
  expect(paths.filter((p) => !existsSync(join(root, p)))).toEqual([]);
});

/** The page that holds the layout tree of the code (moved out of the README). */
const LAYOUT_PAGE = "docs/architecture.md";

test("every folder and file of the layout tree exists", () => {
  const readme = readFileSync(join(root, LAYOUT_PAGE), "utf8");
  const block = /\nLayout:\n\n```\n([\s\S]*?)```/.exec(readme);
  expect(block).not.toBeNull();
  const parents: string[] = [];
  const entries: string[] = [];
  for (const line of block![1].split("\n")) {
    const m = /^( *)(\S+)/.exec(line);
    // An entry is a folder (`name/`) or a file at an indent of 0, 2, 4...; longer indents continue a description.
    if (!m || m[1].length > 6 || m[1].length % 2 || !/\/$|\.\w+$/.test(m[2])) continue;
    const depth = m[1].length / 2;
    parents.length = depth;
    const path = [...parents, m[2]].join("");
    entries.push(path);
    if (m[2].endsWith("/")) parents[depth] = m[2];
  }
  expect(entries).toEqual(expect.arrayContaining(["main.ts", "modules/core/", "stacks/", "test/"]));
  expect(entries.filter((p) => !existsSync(join(root, p)))).toEqual([]);
});

test("the layout tree names every folder of modules/", () => {
  const readme = readFileSync(join(root, LAYOUT_PAGE), "utf8");
  const folders = readdirSync(join(root, "modules"), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name);
  expect(folders.filter((f) => !readme.includes(`\n  ${f}/ `))).toEqual([]);
});
