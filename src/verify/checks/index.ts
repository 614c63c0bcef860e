import type { ArchiveCheck } from '../types.ts';
import {
  checkpointContinuityCheck,
  checkpointCountCheck,
  checkpointCoverageCheck,
  checkpointFormCheck,
  checkpointHeadCheck,
  checkpointMerkleCheck,
} from './checkpoints.ts';
import { genesisCheck, linkCheck } from './link.ts';
import { manifestCheck } from './manifest.ts';
import type { RecordCheck } from './record-check.ts';
import { recordHashCheck } from './record-hash.ts';
import { sequenceCheck } from './sequence.ts';
import { signatureCheck } from './signatures.ts';
import { timestampCheck } from './timestamps.ts';

/** Record checks, in the order they see each record. Registered explicitly: one module each. */
export const recordChecks: readonly RecordCheck[] = [
  recordHashCheck,
  sequenceCheck,
  genesisCheck,
  linkCheck,
  checkpointFormCheck,
  checkpointCountCheck,
  checkpointHeadCheck,
  checkpointMerkleCheck,
  checkpointContinuityCheck,
  checkpointCoverageCheck,
];

/** Checks over whole archives. */
export const archiveChecks: ArchiveCheck[] = [signatureCheck, timestampCheck, manifestCheck];
