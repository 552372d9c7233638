// What the builds (tools/build.mjs, tools/cdktn/build.mjs) compare to decide whether to run, like make.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** Newest modification time among the files under `path` (recursively), or of the file itself; 0 when missing. */
export function newest(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let t = 0;
  // A workspace package's own build output (packages/*/dist, tools/build-package.mjs) is not a source.
  for (const e of readdirSync(path, { withFileTypes: true }))
    if (e.name !== "dist" && e.name !== "node_modules") t = Math.max(t, newest(join(path, e.name)));
  return t;
}
