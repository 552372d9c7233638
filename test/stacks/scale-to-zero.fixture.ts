/** prod's CloudHSM setup renamed "sandbox" and made to scale to zero (FSx removed: its key is in the store). */
import { prodCloudHsmOnly } from "../modules/cloudhsm/fixtures";
import type { EnvironmentConfig } from "../../environments/types";

export type Draft = Record<string, any>;

/** prod's CloudHSM setup as a sandbox that scales to zero. */
export function sandbox(changes: (env: Draft) => void = () => undefined): EnvironmentConfig {
  return prodCloudHsmOnly((env: Draft) => {
    env.name = "sandbox";
    env.tags = { CostCentre: "platform-sandbox" };
    delete env.data.fsx;
    env.cloudHsm.scaleToZero = { downAt: "19:00", upAt: "07:00", timezone: "Europe/Berlin" };
    changes(env);
  });
}
