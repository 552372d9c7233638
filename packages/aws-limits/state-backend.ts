// Rules for state-backend: filled in by the rulebook work (issue 19).
export {};
