// Rules for secrets-manager: filled in by the rulebook work (issue 19).
export {};
