/**
 * Composes every environment into two stacks each: `<env>-keys` (network, key stores, keys) and
 * `<env>-data` (consumers), wired by CDKTF cross-stack references (`composeEnvironment` in
 * stacks/compose.ts). Nothing else lives here.
 * `ENV_CONFIG=<file.json>` synthesizes that one environment instead of the shipped ones;
 * `CMK_REQUIRE_REMOTE_STATE=1` (set by the CI workflows) refuses environments with local state.
 */
import { selectEnvironments } from "./environments";
import { composeEnvironment, synthesizeOrReport } from "./stacks/compose";
import { remoteStateRequired, requireRemoteState } from "./stacks/remote-state";

const load = () => (remoteStateRequired() ? requireRemoteState(selectEnvironments()) : selectEnvironments());

synthesizeOrReport(load, composeEnvironment);
