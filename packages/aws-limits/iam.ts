// Rules for iam: filled in by the rulebook work (issue 19).
export {};
