// Rules for cloudwatch: filled in by the rulebook work (issue 19).
export {};
