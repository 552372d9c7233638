// Rules for cloudhsm: filled in by the rulebook work (issue 19).
export {};
