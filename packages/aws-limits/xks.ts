// Rules for xks: filled in by the rulebook work (issue 19).
export {};
