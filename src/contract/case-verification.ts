// The verification dashboard's logic lives in the core (src/verify/dashboard.ts), where the report reads it too;
// the contract's handlers and the CLI call it through this module.
export {
  DEFAULT_VERIFY_OPTIONS,
  caseArchives,
  findingRow,
  findingsForRecord,
  findingsPage,
  latestRunSummary,
  offeredKeys,
  runCaseVerification as verifyCase,
  verificationView,
  verifyOptionsView,
} from '../verify/dashboard.ts';
export type { CaseVerifyProgress } from '../verify/dashboard.ts';
