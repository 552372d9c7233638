// Node versions the bundles are compiled for (esbuild `target`). The CLI bundle runs wherever
// Terraform runs (`local-exec`), so it keeps the project's minimum, Node 20; the Lambda bundle runs
// on the function's runtime, LAMBDA_RUNTIME in modules/hooks/hook-runtime.ts (a test keeps the
// two in step).
export const CLI_NODE_TARGET = "node20";
export const LAMBDA_NODE_TARGET = "node22";
