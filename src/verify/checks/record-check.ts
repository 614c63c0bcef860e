import type { ChainState } from '../chain-state.ts';
import type { FindingCategory, FindingSink } from '../findings.ts';
import type { ScannedRecord } from '../types.ts';

/** A check over one stream's records, called in seq order by the chain walk. */
export interface RecordCheck {
  id: string;
  title: string;
  category: FindingCategory;
  onRecord?(rec: ScannedRecord, state: ChainState, sink: FindingSink): void;
  onEnd?(state: ChainState, sink: FindingSink): void;
}
