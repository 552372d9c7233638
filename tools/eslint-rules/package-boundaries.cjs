/**
 * ESLint rule `cmk/package-boundaries`: the workspace packages (packages/<name>/) are
 * self-contained, and the rest of the repository uses them only through their entry point.
 *
 * - In packages/<name>/: an import stays inside that folder (a relative path), or names a Node
 *   built-in or a package that packages/<name>/package.json declares (dependencies or
 *   devDependencies; another workspace package only by its name, `@cmk-stacks/aws-limits`). Never
 *   a relative path out of the folder, an absolute path, or a bare path naming one of the
 *   repository's top-level folders (`environments/types`).
 * - Everywhere else it is applied to (tools/, hooks/, stacks/, environments/, modules/, main.ts):
 *   a package is imported by its name (`@cmk-stacks/plan-guard`), never by a path into packages/
 *   nor a deep `@cmk-stacks/<name>/<file>`.
 *
 * Every static form is checked: import and export ... from, import(), require(), import x =
 * require() and TypeScript's import("...") types. eslint.config.mjs applies it to every file but
 * the tests, which test package internals. Its own test: test/tools/eslint-rules/package-boundaries.test.ts.
 */
const { builtinModules } = require("node:module");
const { existsSync, readFileSync, readdirSync } = require("node:fs");
const { dirname, isAbsolute, join, relative, resolve, sep } = require("node:path");

const BUILTINS = new Set(builtinModules);

/** package.json of a workspace package folder, read once per lint run. */
const manifests = new Map();
function manifest(dir) {
  if (!manifests.has(dir)) {
    const file = join(dir, "package.json");
    manifests.set(dir, existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : undefined);
  }
  return manifests.get(dir);
}

/** The repository's top-level folders (a bare `tools/...` would reach them through a base URL or path mapping). */
const folders = new Map();
function topFolders(root) {
  if (!folders.has(root)) {
    folders.set(
      root,
      new Set(
        readdirSync(root, { withFileTypes: true })
          .filter((e) => e.isDirectory() && !e.name.startsWith(".") && e.name !== "node_modules")
          .map((e) => e.name),
      ),
    );
  }
  return folders.get(root);
}

/** `@scope/name` or `name` of a bare specifier. */
function packageName(spec) {
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

const within = (dir, path) => path === dir || path.startsWith(dir + sep);

module.exports = {
  meta: {
    type: "problem",
    docs: {
      description:
        "Workspace packages import nothing outside their folder but declared packages; the rest of the repository imports a package by its name only.",
    },
    schema: [{ type: "object", properties: { root: { type: "string" } }, additionalProperties: false }],
    messages: {
      leaves:
        '"{{spec}}" leaves packages/{{pkg}}/: a package imports nothing outside its folder (take what it needs as an argument, or move the code into the package).',
      absolute:
        '"{{spec}}" is a path into the repository, not a package: packages/{{pkg}}/ imports only its own files (relative paths) and the packages its package.json declares.',
      undeclared:
        '"{{spec}}": {{name}} is not declared in packages/{{pkg}}/package.json: add it to dependencies or devDependencies (exact version), or do not import it.',
      deep: '"{{spec}}" reaches into {{name}}: import the package by its name ("{{name}}"); its entry point (packages/{{target}}/index.ts) exports what other code needs.',
      path: '"{{spec}}" is a path into packages/{{target}}/: import the package by its name ("{{name}}"); its entry point (index.ts) exports what other code needs.',
    },
  },
  create(context) {
    const root = context.options[0]?.root ?? context.cwd;
    const file = context.filename;
    const rel = relative(root, file);
    if (rel.startsWith("..") || isAbsolute(rel)) return {};
    const parts = rel.split(sep);
    const own = parts[0] === "packages" && parts.length > 2 ? parts[1] : undefined;
    const ownDir = own === undefined ? undefined : join(root, "packages", own);
    const packagesDir = join(root, "packages");

    /** The workspace package (folder name and package name) a path lies in, if any. */
    function workspaceOf(path) {
      if (!within(packagesDir, path) || path === packagesDir) return undefined;
      const folder = relative(packagesDir, path).split(sep)[0];
      const m = manifest(join(packagesDir, folder));
      return m ? { folder, name: m.name } : undefined;
    }

    function check(node, spec) {
      if (typeof spec !== "string" || spec === "") return;
      const relativeSpec = spec === "." || spec === ".." || spec.startsWith("./") || spec.startsWith("../");
      if (ownDir !== undefined) {
        if (relativeSpec) {
          if (!within(ownDir, resolve(dirname(file), spec)))
            context.report({ node, messageId: "leaves", data: { spec, pkg: own } });
          return;
        }
        if (isAbsolute(spec) || spec.startsWith("file:"))
          return context.report({ node, messageId: "absolute", data: { spec, pkg: own } });
        if (spec.startsWith("node:") || BUILTINS.has(spec.split("/")[0])) return;
        const name = packageName(spec);
        const m = manifest(ownDir) ?? {};
        const declared = [m.dependencies, m.devDependencies, m.peerDependencies, m.optionalDependencies].some(
          (d) => d && Object.prototype.hasOwnProperty.call(d, name),
        );
        if (declared) {
          if (spec !== name && name.startsWith("@cmk-stacks/"))
            context.report({
              node,
              messageId: "deep",
              data: { spec, name, target: name.slice("@cmk-stacks/".length) },
            });
          return;
        }
        if (topFolders(root).has(spec.split("/")[0]))
          return context.report({ node, messageId: "absolute", data: { spec, pkg: own } });
        return context.report({ node, messageId: "undeclared", data: { spec, name, pkg: own } });
      }
      // Outside the packages: by name, through the entry point only.
      if (relativeSpec || isAbsolute(spec)) {
        const ws = workspaceOf(resolve(dirname(file), spec));
        if (ws) context.report({ node, messageId: "path", data: { spec, name: ws.name, target: ws.folder } });
        return;
      }
      if (spec.startsWith("@cmk-stacks/") && spec.split("/").length > 2) {
        const name = packageName(spec);
        context.report({ node, messageId: "deep", data: { spec, name, target: name.slice("@cmk-stacks/".length) } });
      }
    }

    const literal = (n) => {
      if (!n) return undefined;
      if (n.type === "Literal") return n.value;
      if (n.type === "TemplateLiteral" && n.expressions.length === 0) return n.quasis[0].value.cooked;
      return undefined;
    };
    return {
      ImportDeclaration: (n) => check(n.source, n.source.value),
      ExportNamedDeclaration: (n) => n.source && check(n.source, n.source.value),
      ExportAllDeclaration: (n) => check(n.source, n.source.value),
      ImportExpression: (n) => check(n.source, literal(n.source)),
      CallExpression: (n) => {
        if (n.callee.type === "Identifier" && n.callee.name === "require" && n.arguments.length === 1)
          check(n.arguments[0], literal(n.arguments[0]));
      },
      TSImportEqualsDeclaration: (n) => {
        if (n.moduleReference.type === "TSExternalModuleReference")
          check(n.moduleReference.expression, literal(n.moduleReference.expression));
      },
      TSImportType: (n) => {
        // typescript-eslint 8 names the string `source` (older versions: `argument`, a literal type).
        const src = n.source ?? (n.argument && n.argument.type === "TSLiteralType" ? n.argument.literal : undefined);
        check(n, literal(src));
      },
    };
  },
};
