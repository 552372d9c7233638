/** The configuration reference of the shipped schema and constraint tables (`npm run docs` writes it into docs/configuration.md). */
import { join } from "node:path";
import { environmentJsonSchema } from "../../environments/schema";
import { TABLES } from "../../environments/validation";
import { renderReference } from "./config-reference";

/** The configuration page, relative to the repository root. */
export const CONFIGURATION_PAGE = join("docs", "configuration.md");

/** The generated block for the shipped schema and tables; throws when a table rule names no field of the schema. */
export function configurationReference(): string {
  const { text, unmatched } = renderReference(environmentJsonSchema(), TABLES, "#/$defs/Environment");
  if (unmatched.length > 0)
    throw new Error(
      `configuration reference: constraint-table rules on fields the schema does not have: ${unmatched.join(", ")}`,
    );
  return text;
}
