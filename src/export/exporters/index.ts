/** Every CSV exporter, registered explicitly: one file each. */
import { AuditWsError } from '../../errors.ts';
import type { Exporter } from '../exporter.ts';
import { custodyExporter } from './custody.ts';
import { findingsExporter } from './findings.ts';
import { recordsExporter } from './records.ts';

export const exporters: readonly Exporter[] = [recordsExporter, findingsExporter, custodyExporter];

export function exporterNamed(name: string): Exporter {
  const e = exporters.find((x) => x.name === name);
  if (!e) throw new AuditWsError('BAD_USAGE', `no exporter "${name}" (exporters: ${exporters.map((x) => x.name).join(', ')})`);
  return e;
}
