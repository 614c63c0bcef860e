// The investigator's notes live in the core (src/case/annotations.ts); the contract's handlers use them from here.
export * from '../case/annotations.ts';
