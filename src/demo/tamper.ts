/**
 * Tamper variants of the demo archive, one kind each, for testing verifiers. They are applied while the
 * archive is written (a line rewritten, dropped or added on its way to disk, a manifest entry left out)
 * or, for the two kinds that alter stored bytes after the manifest was made, by an in-place write of the
 * exact bytes at a known offset. Nothing is loaded back into memory. Checkpoints always describe the
 * true chain, as an independent store would.
 */
import { open, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { recordHash } from '../archive/canonical.ts';
import {
  ArchiveWriter,
  type ArchiveWriterOptions,
  type LineContext,
  type WrittenCheckpoint,
} from '../archive/writer.ts';
import { AuditWsError } from '../errors.ts';

export const TAMPER_KINDS = [
  'modified',
  'modified-rehashed',
  'deleted',
  'inserted',
  'suffix-rewritten',
  'file-altered',
  'forged-checkpoint',
  'governance-lock',
  'unlisted-file',
] as const;
export type TamperKind = (typeof TAMPER_KINDS)[number];

export const TAMPER_DESCRIPTIONS: Record<TamperKind, string> = {
  modified: 'one record changed after it was hashed; its hash member kept',
  'modified-rehashed': 'one record changed and re-hashed, so the next record no longer links to it',
  deleted: 'one record removed from its data file',
  inserted: 'one fabricated record inserted after another, claiming the next seq',
  'suffix-rewritten':
    'one record changed and every later hash and prevHash of the stream rewritten; checkpoints untouched',
  'file-altered':
    'bytes of a data file changed after the manifest was written (two members of one line swapped: same size, same record)',
  'forged-checkpoint': 'a checkpoint edited (createdAt back-dated a day) after it was signed and listed',
  'governance-lock': 'checkpoints and their signatures stored under GOVERNANCE-mode Object Lock instead of COMPLIANCE',
  'unlisted-file': 'a data file left out of the object manifest',
};

export function isTamperKind(value: string): value is TamperKind {
  return (TAMPER_KINDS as readonly string[]).includes(value);
}

/** Where the tamper is, for the demo summary and the tests that check a verifier finds exactly that. */
export interface TamperLocation {
  kind: TamperKind;
  description: string;
  stream?: string;
  seq?: number;
  label?: string;
  file?: string;
  line?: number;
  /** for record changes: the member changed, and its value before and after */
  member?: string;
  from?: unknown;
  to?: unknown;
  /** suffix-rewritten: the last seq whose line was rewritten */
  lastRewrittenSeq?: number;
  /** forged-checkpoint: the checkpoint whose prevCheckpointSha256 no longer matches */
  nextCheckpoint?: string;
  /** governance-lock: the objects stored under GOVERNANCE mode */
  files?: string[];
}

/** Which record a record-level tamper hits: the first record of `stream` at or after `seq` that `accept` takes. */
export interface TamperTarget {
  stream: string;
  seq: number;
  accept: (record: Record<string, unknown>) => boolean;
  /** the change made to the target record */
  change: (record: Record<string, unknown>) => {
    record: Record<string, unknown>;
    member: string;
    from: unknown;
    to: unknown;
  };
  /** inserted: the fabricated record placed after the target (without chain members) */
  fabricate: (after: Record<string, unknown>) => Record<string, unknown>;
}

function lineOf(record: Record<string, unknown>, hash: string): string {
  const { hash: _drop, ...rest } = record;
  void _drop;
  return JSON.stringify({ ...rest, hash });
}

/**
 * An ArchiveWriter whose lines and manifest are tampered with for one record or file. The checkpoint,
 * Merkle root and head hash keep describing the true chain because the base class feeds them before
 * the lines reach this hook.
 */
export class TamperingArchiveWriter extends ArchiveWriter {
  readonly location: TamperLocation;
  private done = false;
  private rewrittenPrev: string | undefined;
  private alteredLine: { file: string; offset: number; text: string } | undefined;

  static async createTampering(
    options: ArchiveWriterOptions,
    kind: TamperKind,
    target: TamperTarget,
  ): Promise<TamperingArchiveWriter> {
    const w = new TamperingArchiveWriter(
      kind === 'governance-lock'
        ? { ...options, objectLock: { ...(options.objectLock || {}), mode: 'GOVERNANCE' } }
        : options,
      kind,
      target,
    );
    await w.start();
    return w;
  }

  private constructor(
    options: ArchiveWriterOptions,
    private readonly kind: TamperKind,
    private readonly target: TamperTarget,
  ) {
    super(options);
    this.location = { kind, description: TAMPER_DESCRIPTIONS[kind] };
  }

  private hits(ctx: LineContext): boolean {
    return (
      !this.done && ctx.stream === this.target.stream && ctx.seq >= this.target.seq && this.target.accept(ctx.record)
    );
  }

  private locate(ctx: LineContext, line: number | undefined): void {
    Object.assign(this.location, { stream: ctx.stream, seq: ctx.seq, label: ctx.label, file: ctx.file, line });
  }

  protected override transformLine(ctx: LineContext): string[] {
    if (this.kind === 'suffix-rewritten' && this.done && ctx.stream === this.target.stream) {
      const rewritten = { ...ctx.record, prevHash: this.rewrittenPrev };
      this.rewrittenPrev = recordHash(rewritten);
      this.location.lastRewrittenSeq = ctx.seq;
      return [lineOf(rewritten, this.rewrittenPrev)];
    }
    if (!this.hits(ctx)) return [ctx.line];
    this.done = true;
    switch (this.kind) {
      case 'modified':
      case 'modified-rehashed':
      case 'suffix-rewritten': {
        const c = this.target.change(ctx.record);
        Object.assign(this.location, { member: c.member, from: c.from, to: c.to });
        this.locate(ctx, ctx.nextLine);
        const hash = this.kind === 'modified' ? ctx.hash : recordHash(c.record);
        if (this.kind === 'suffix-rewritten') {
          this.rewrittenPrev = hash;
          this.location.lastRewrittenSeq = ctx.seq;
        }
        return [lineOf(c.record, hash)];
      }
      case 'deleted':
        this.locate(ctx, ctx.nextLine);
        return [];
      case 'inserted': {
        const fake: Record<string, unknown> = {
          ...this.target.fabricate(ctx.record),
          seq: ctx.seq + 1,
          prevHash: ctx.hash,
        };
        this.locate(ctx, ctx.nextLine + 1);
        this.location.seq = ctx.seq + 1;
        return [ctx.line, lineOf(fake, recordHash(fake))];
      }
      case 'file-altered': {
        this.locate(ctx, ctx.nextLine);
        this.alteredLine = { file: ctx.file, offset: ctx.offset, text: swapFirstTwoMembers(ctx.line, ctx.file) };
        return [ctx.line];
      }
      case 'unlisted-file':
        this.locate(ctx, undefined);
        return [ctx.line];
      default:
        this.done = false;
        return [ctx.line];
    }
  }

  protected override includeInManifest(relPath: string): boolean {
    return !(this.kind === 'unlisted-file' && this.done && relPath === this.location.file);
  }

  /** The edits made after the archive (and its manifest) was complete. */
  async afterClose(checkpoints: readonly WrittenCheckpoint[]): Promise<void> {
    if (this.kind === 'file-altered') {
      const a = this.alteredLine;
      if (!a) throw new AuditWsError('INTERNAL', 'file-altered: the target record was never written');
      const handle = await open(path.join(this.root, a.file), 'r+');
      try {
        await handle.write(Buffer.from(a.text), 0, Buffer.byteLength(a.text), a.offset);
      } finally {
        await handle.close();
      }
    }
    if (this.kind === 'forged-checkpoint') {
      const own = checkpoints.filter((c) => c.stream === this.target.stream);
      if (own.length === 0)
        throw new AuditWsError('INTERNAL', `forged-checkpoint: stream ${this.target.stream} has no checkpoint`);
      const i = Math.floor((own.length - 1) / 2);
      const cp = own[i];
      const backdated = new Date(Date.parse(cp.value.createdAt) - 86_400_000).toISOString().replace(/\.000Z$/, 'Z');
      const text = `${JSON.stringify({ ...cp.value, createdAt: backdated }, null, 2)}\n`;
      await writeFile(path.join(this.root, cp.path), text);
      Object.assign(this.location, {
        stream: cp.stream,
        label: cp.label,
        file: cp.path,
        line: text.split('\n').findIndex((l) => l.includes('"createdAt"')) + 1,
        member: 'createdAt',
        from: cp.value.createdAt,
        to: backdated,
        nextCheckpoint: own[i + 1]?.path,
      });
    }
    if (this.kind === 'governance-lock') {
      this.location.files = checkpoints.flatMap((c) => [
        c.path,
        ...(c.sigPath ? [c.sigPath] : []),
        ...(c.tsrPath ? [c.tsrPath] : []),
      ]);
    }
  }
}

/**
 * Swaps the first two members of a JSONL line: the bytes (and so every checksum) change while the size
 * and the parsed record, hence its hash, stay the same. Only the manifest can tell.
 */
export function swapFirstTwoMembers(line: string, file: string): string {
  const m = /^\{("(?:[^"\\]|\\.)*":"(?:[^"\\]|\\.)*"),("(?:[^"\\]|\\.)*":"(?:[^"\\]|\\.)*"),/.exec(line);
  if (!m)
    throw new AuditWsError('INTERNAL', `file-altered: ${file}: the target line does not start with two string members`);
  return `{${m[2]},${m[1]},${line.slice(m[0].length)}`;
}
