import type { Command } from 'commander';
import { AuditWsError } from '../../errors.ts';
import {
  DEMO_DEFAULTS,
  generateDemoArchive,
  TAMPER_KINDS,
  type DemoSummary,
  type TamperKind,
} from '../../demo/generator.ts';
import { EXIT_OK, setExitCode } from '../main.ts';

function wholeNumber(flag: string): (value: string) => number {
  return (value: string) => {
    if (!/^\d+$/.test(value)) throw new AuditWsError('BAD_USAGE', `${flag} must be a whole number, not "${value}"`);
    return Number(value);
  };
}

function formatSummary(s: DemoSummary, seconds: number): string {
  const lines = [
    `demo archive written to ${s.out} in ${seconds.toFixed(1)} s (seed ${s.seed}, ${s.decisions} decisions over ${s.days} days from ${s.baseDate})`,
    ...s.streams.map(
      (st) =>
        `  ${st.name.padEnd(10)} ${String(st.records).padStart(9)} records in ${st.files} files, ${st.checkpoints} checkpoints`,
    ),
    `  ${s.explanations} explanations, ${s.manifestObjects} manifest objects, ${(s.bytes / 1e6).toFixed(1)} MB`,
    'planted findings:',
    ...s.plantedFindings.map((f) => `  ${f.id}: ${f.description}`),
  ];
  if (s.tamper) {
    const t = s.tamper;
    const where = [
      t.stream && `stream ${t.stream}`,
      t.seq !== undefined && `seq ${t.seq}`,
      t.file && `${t.file}${t.line ? `:${t.line}` : ''}`,
    ]
      .filter(Boolean)
      .join(', ');
    lines.push(`tamper ${t.kind}: ${t.description}${where ? ` (${where})` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `audit-ws demo --out DIR`: writes the deterministic demo archive, optionally with one tamper variant. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('write a realistic, deterministic demo archive with planted findings (and optionally one tamper)')
    .requiredOption('--out <dir>', 'new or empty folder to write the archive into')
    .option('--decisions <n>', `number of decisions (default ${DEMO_DEFAULTS.decisions})`, wholeNumber('--decisions'))
    .option(
      '--days <d>',
      `days the decisions span from 2026-03-01 (default ${DEMO_DEFAULTS.days})`,
      wholeNumber('--days'),
    )
    .option(
      '--seed <s>',
      `PRNG seed; the same seed gives byte-identical files (default ${DEMO_DEFAULTS.seed})`,
      wholeNumber('--seed'),
    )
    .option('--tamper <kind>', `write a tampered variant: ${TAMPER_KINDS.join(' | ')}`)
    .option('--gzip', 'write every data file as .jsonl.gz (for archives too large to keep as plain JSONL)')
    .option('--json', 'print the summary (planted findings, tamper location) as JSON')
    .action(
      async (
        opts: {
          out: string;
          decisions?: number;
          days?: number;
          seed?: number;
          tamper?: string;
          gzip?: boolean;
          json?: boolean;
        },
        command: Command,
      ) => {
        const started = performance.now();
        const summary = await generateDemoArchive({
          out: opts.out,
          decisions: opts.decisions,
          days: opts.days,
          seed: opts.seed,
          tamper: opts.tamper as TamperKind | undefined,
          gzip: opts.gzip,
        });
        const seconds = (performance.now() - started) / 1000;
        process.stdout.write(opts.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary, seconds));
        setExitCode(command, EXIT_OK);
      },
    );
}
