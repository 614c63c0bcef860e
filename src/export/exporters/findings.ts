/** `findings`: the findings of a verification run recorded in the case (the latest run by default). */
import { AuditWsError } from '../../errors.ts';
import type { CsvValue } from '../csv.ts';
import { intParam } from '../exporter.ts';
import type { Exporter } from '../exporter.ts';

const COLUMNS = ['run', 'check', 'status', 'stream', 'seq', 'file', 'line', 'row', 'message', 'details'] as const;

export const findingsExporter: Exporter = {
  name: 'findings',
  description: 'Findings of a verification run recorded in the case',
  params: [{ name: 'run', description: 'verification run id (default: the latest)' }],
  async open(ctx, params) {
    let run = intParam('findings', params, 'run');
    if (run === undefined) {
      const latest = ctx.sqlite.prepare('SELECT max(id) AS id FROM verification_runs').get() as { id: number | null };
      if (latest.id === null)
        throw new AuditWsError('NOT_FOUND', 'export findings: the case has no verification run yet');
      run = latest.id;
    } else if (!ctx.sqlite.prepare('SELECT 1 FROM verification_runs WHERE id = ?').get(run)) {
      throw new AuditWsError('NOT_FOUND', `export findings: the case has no verification run ${run}`);
    }
    const stmt = ctx.sqlite.prepare(
      'SELECT run_id, check_id, status, stream, seq, file, line, row, message, details FROM findings WHERE run_id = ? ORDER BY id',
    );
    async function* rows(): AsyncGenerator<readonly CsvValue[]> {
      for (const r of stmt.raw().iterate(run) as Iterable<CsvValue[]>) yield r;
    }
    return { columns: [...COLUMNS], rows: rows() };
  },
};
