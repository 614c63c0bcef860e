/** Every CSV exporter, registered explicitly: one file each. */
import { AuditWsError } from '../../errors.ts';
import type { Exporter } from '../exporter.ts';
import { anomaliesExporter } from './anomalies.ts';
import { custodyExporter } from './custody.ts';
import { fairnessExporter } from './fairness.ts';
import { findingsExporter } from './findings.ts';
import { oversightExporter } from './oversight.ts';
import { recordsExporter } from './records.ts';
import { searchExporter } from './search.ts';
import { timelineExporter } from './timeline.ts';

export const exporters: readonly Exporter[] = [
  searchExporter,
  timelineExporter,
  anomaliesExporter,
  oversightExporter,
  fairnessExporter,
  recordsExporter,
  findingsExporter,
  custodyExporter,
];

export function exporterNamed(name: string): Exporter {
  const e = exporters.find((x) => x.name === name);
  if (!e)
    throw new AuditWsError(
      'BAD_USAGE',
      `no exporter "${name}" (exporters: ${exporters.map((x) => x.name).join(', ')})`,
    );
  return e;
}
