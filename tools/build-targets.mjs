// Node versions the bundles are compiled for (esbuild `target`). The CLI bundle runs wherever
// Terraform runs (`local-exec`): compiled for Node 20 syntax, it runs on every supported LTS line
// (package.json `engines`: 22, 24, 26) and still on Node 20, past its end of life; the Lambda bundle runs
// on the function's runtime, LAMBDA_RUNTIME in modules/hooks/hook-runtime.ts (a test keeps the
// two in step).
export const CLI_NODE_TARGET = "node20";
export const LAMBDA_NODE_TARGET = "node22";
