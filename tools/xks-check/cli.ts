/**
 * `npm run xks:check`: the XKS preflight (packages/xks-check) with this repository's environments
 * (`--env <name>`, `--environment-file <file>`), handed to it as targets (./environments.ts).
 * Exit 0 all checks passed, 1 a check failed, 2 bad input.
 */
import { runMain } from "@cmk-stacks/xks-check";
import { environmentTargets } from "./environments";

runMain({ environments: environmentTargets() });
