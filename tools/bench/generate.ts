/** Builds an N-environment configuration from the shipped ones (renamed, readdressed), for scale benchmarks. */
import { environments } from "../../environments";
import type { EnvironmentConfig } from "../../environments/types";

export function generateEnvironments(count: number): EnvironmentConfig[] {
  const bases = Object.values(environments);
  return Array.from({ length: count }, (_, i) => {
    const base = bases[i % bases.length];
    const name = `env${String(i + 1).padStart(2, "0")}`;
    // Each in an account of its own (principals and account-suffixed names with it): EBS default
    // encryption is one setting per account and Region (checked at synth).
    const account = `9${String(i + 1).padStart(11, "0")}`;
    const text = JSON.stringify(base)
      .replaceAll(base.account, account)
      .replaceAll(`"name":"${base.name}"`, `"name":"${name}"`)
      .replaceAll(`alias/${base.name}/`, `alias/${name}/`)
      .replaceAll(`northwind-${base.name}-`, `northwind-${name}-`)
      // Key store names and XKS private DNS names are unique per account and Region (checked at synth).
      .replaceAll(`"${base.name}-`, `"${name}-`)
      .replaceAll(`"xks.${base.name}.`, `"xks-${name}.${base.name}.`);
    return JSON.parse(text) as EnvironmentConfig;
  });
}
