/** `custody`: the case's hash-chained custody log, one row per entry. */
import { readCustody } from '../../case/custody.ts';
import type { CsvValue } from '../csv.ts';
import type { Exporter } from '../exporter.ts';

export const custodyExporter: Exporter = {
  name: 'custody',
  description: "The case's custody log: every action on the case, hash-chained (jcs-sha256-v1)",
  params: [],
  async open(ctx) {
    const entries = readCustody(ctx.sqlite);
    async function* rows(): AsyncGenerator<readonly CsvValue[]> {
      for (const e of entries) yield [e.seq, e.at, e.actor, e.action, e.details, e.prevHash, e.hash];
    }
    return { columns: ['seq', 'at', 'actor', 'action', 'details', 'prevHash', 'hash'], rows: rows() };
  },
};
