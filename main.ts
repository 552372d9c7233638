/**
 * Composes every environment into two stacks each: `<env>-keys` (network, key stores, keys) and
 * `<env>-data` (consumers), wired by CDKTF cross-stack references. Nothing else lives here.
 * `ENV_CONFIG=<file.json>` synthesizes that one environment instead of the shipped ones.
 */
import { selectEnvironments } from "./environments";
import { synthesizeOrReport } from "./stacks/compose";
import { KeysStack } from "./stacks/keys-stack";
import { DataStack } from "./stacks/data-stack";

synthesizeOrReport(selectEnvironments, (app, env) => {
  const keys = new KeysStack(app, `${env.name}-keys`, env);
  new DataStack(app, `${env.name}-data`, env, keys);
});
