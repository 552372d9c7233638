/**
 * Composes every environment into two stacks each: `<env>-keys` (network, key stores, keys) and
 * `<env>-data` (consumers), wired by CDKTF cross-stack references. Nothing else lives here.
 * `ENV_CONFIG=<file.json>` synthesizes that one environment instead of the shipped ones;
 * `CMK_REQUIRE_REMOTE_STATE=1` (set by the CI workflows) refuses environments with local state.
 */
import { selectEnvironments } from "./environments";
import { synthesizeOrReport } from "./stacks/compose";
import { KeysStack } from "./stacks/keys-stack";
import { DataStack } from "./stacks/data-stack";
import { remoteStateRequired, requireRemoteState } from "./stacks/remote-state";

const load = () => (remoteStateRequired() ? requireRemoteState(selectEnvironments()) : selectEnvironments());

synthesizeOrReport(load, (app, env) => {
  const keys = new KeysStack(app, `${env.name}-keys`, env);
  new DataStack(app, `${env.name}-data`, env, keys);
});
