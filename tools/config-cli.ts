/**
 * `npm run config -- <env>`: prints an environment's resolved configuration (every default
 * applied) as JSON. The output is a valid `ENV_CONFIG` file: `npm run -s config -- prod > p.json`
 * then `ENV_CONFIG=p.json npm run synth` goes through exactly the same types and validation.
 */
import { Command } from "commander";
import { environments } from "../environments";
import { asConfigInput, resolveEnvironment } from "../environments/resolve";
import { validationMessages } from "../environments/validation";
import { reportError } from "../environments/errors";

const program = new Command("config")
  .description("print an environment's resolved configuration as JSON")
  .argument("<env>", `environment name (${Object.keys(environments).join(", ")})`)
  .action((name: string) => {
    const env = Object.prototype.hasOwnProperty.call(environments, name) ? environments[name] : undefined;
    if (!env) {
      process.stderr.write(`config: unknown environment "${name}" (known: ${Object.keys(environments).join(", ")})\n`);
      process.exitCode = 2;
      return;
    }
    const problems = validationMessages({ [name]: env });
    if (problems.length) {
      process.stderr.write(`${problems.join("\n")}\n`);
      process.exitCode = 1;
      return;
    }
    process.stdout.write(`${JSON.stringify(asConfigInput(resolveEnvironment(env)), null, 2)}\n`);
  });

try {
  program.parse();
} catch (e) {
  reportError(e);
}
