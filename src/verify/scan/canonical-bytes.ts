/**
 * jcs-sha256-v1 canonical bytes straight from a JSONL line's UTF-8 bytes, for the verification hot path.
 *
 * The reference path is `parseRecordLine` (JSON.parse plus the duplicate-name check) followed by
 * `fastCanonicalText` and UTF-8 encoding. This scanner does the same in one pass over the bytes, with no
 * JSON.parse, no JavaScript object per record and no intermediate string: it validates the JSON, and
 * writes the members of every object in sorted order (member names compared as bytes, which for the
 * ASCII names it accepts is RFC 8785's UTF-16 order), null members dropped, `hash` dropped at the top.
 * Strings and numbers that are already in their canonical form are copied as bytes; other numbers go
 * through `String(Number(token))`, which is the ECMAScript serialisation RFC 8785 prescribes.
 *
 * It is deliberately partial. `scan()` returns false for anything outside the common case: invalid JSON,
 * a duplicate member name, a member name with an escape or a non-ASCII character, a `\u` escape of a
 * surrogate, a number that is not finite, nesting deeper than 64, or a top-level object without a string
 * `hash`, a string `prevHash` and a plain integer `seq` (strings without escapes). The caller then takes
 * the reference path, which decides and reports exactly as before; so this scanner can only ever speed a
 * record up, never judge it. test/unit/canonical-bytes.test.ts checks it against the reference path on
 * random and mutated lines.
 *
 * The caller must have checked that the bytes are valid UTF-8 (the scanner copies bytes >= 0x80 as they
 * are) and pass a Buffer (the byte source is also read as latin1 for the rare non-canonical number).
 */

const MAX_DEPTH = 64;
/**
 * Shapes and name-trie nodes are cached; what the caches hold (name bytes, and a few bytes per member of
 * a shape) is capped, so a hostile file of ever-new member names cannot grow memory with its size.
 * Past the cap, new shapes are still worked out, just not kept.
 */
const MAX_CACHE_BYTES = 16 * 1024 * 1024;
/** children of one trie node searched one by one; more go uncached */
const MAX_KIDS = 64;

const MAX_SAFE_DIGITS = String(Number.MAX_SAFE_INTEGER); // 16 digits

const KIND_NULL = 0;
const KIND_STRING = 1;
const KIND_NUMBER = 2;
const KIND_OTHER = 3; // true, false, object, array

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

/**
 * A node of the trie of member-name sequences: the path from the root spells an object's names in text
 * order, so reading names one by one walks to the object's shape with one byte comparison per name
 * byte (objects of a stream share a few shapes, and records of several kinds alternate freely).
 */
interface NameNode {
  name: Uint8Array;
  view: DataView;
  kids: NameNode[];
  /** root of the names of objects found as this member's value (or inside an array there) */
  sub: NameNode | undefined;
  /** the shape of an object whose names end here; null when they hold a duplicate */
  shape: Shape | null | undefined;
}

/** One object's member names in text order, and the order in which RFC 8785 writes them. */
interface Shape {
  n: number;
  /** member names in text order, concatenated */
  names: Uint8Array;
  /** end offset of each name in `names` */
  ends: Int32Array;
  /** order[k] = text index of the k-th member in sorted order */
  order: Int32Array;
  /** the text order is already sorted */
  identity: boolean;
  /** text index of the members `hash`, `prevHash`, `seq` (-1 when absent), used at the top level */
  hashIdx: number;
  prevIdx: number;
  seqIdx: number;
  /** another shape with the same 32-bit name hash */
  next: Shape | undefined;
}

const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX[0x30 + c] = c;
for (let c = 0; c < 6; c++) HEX[0x61 + c] = 10 + c;
const HEX_ANY_CASE = HEX.slice();
for (let c = 0; c < 6; c++) HEX_ANY_CASE[0x41 + c] = 10 + c;

/**
 * Decodes 64 lowercase hex characters at src[start..end) into out[at..at+32); false if the span is not
 * exactly that (uppercase is not accepted: the chain compares hashes as lowercase text).
 */
export function decodeHex64(src: Uint8Array, start: number, end: number, out: Uint8Array, at: number): boolean {
  if (end - start !== 64) return false;
  for (let k = 0; k < 32; k++) {
    const hi = HEX[src[start + 2 * k]];
    const lo = HEX[src[start + 2 * k + 1]];
    if (hi < 0 || lo < 0) return false;
    out[at + k] = (hi << 4) | lo;
  }
  return true;
}

/** Whether src[start..end) is the 64 lowercase hex characters of bytes[at..at+32). */
export function matchesHex64(src: Uint8Array, start: number, end: number, bytes: Uint8Array, at: number): boolean {
  if (end - start !== 64) return false;
  for (let k = 0; k < 32; k++) {
    const hi = HEX[src[start + 2 * k]];
    const lo = HEX[src[start + 2 * k + 1]];
    if (hi < 0 || lo < 0 || ((hi << 4) | lo) !== bytes[at + k]) return false;
  }
  return true;
}

export class CanonicalScanner {
  /** @param cacheLimit bytes the shape caches may hold (tests pass a small one) */
  constructor(private readonly cacheLimit = MAX_CACHE_BYTES) {}

  /** canonical bytes of the last successful scan: out[outStart, outEnd) */
  out: Buffer = Buffer.allocUnsafe(64 * 1024);
  outStart = 0;
  outEnd = 0;
  /** chain members of the last successful scan: spans of the hash and prevHash texts in the source */
  seq = 0;
  hashStart = 0;
  hashEnd = 0;
  prevStart = 0;
  prevEnd = 0;

  private src: Buffer = Buffer.alloc(0);
  private srcView: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
  private outView: DataView<ArrayBufferLike> = new DataView(this.out.buffer, this.out.byteOffset, this.out.length);
  private i = 0;
  private end = 0;
  private o = 0;

  // the member stack: one entry per member (or array element) of every open object and array
  private cap = 256;
  private top = 0;
  private keyStart = new Int32Array(this.cap);
  private keyEnd = new Int32Array(this.cap);
  private valStart = new Int32Array(this.cap);
  private valEnd = new Int32Array(this.cap);
  /** 1 when the value's bytes are in `out`, 0 when they are the source bytes as they stand */
  private valOut = new Uint8Array(this.cap);
  private valKind = new Uint8Array(this.cap);

  // the value just parsed
  private vStart = 0;
  private vEnd = 0;
  private vOut = 0;
  private vKind = 0;

  private readonly root: NameNode = this.makeNode(new Uint8Array(0));
  /** shapes by a hash of their names, for objects whose names the trie does not hold */
  private readonly shapes = new Map<number, Shape>();
  /** bytes the trie and the shapes hold, against MAX_CACHE_BYTES */
  private cacheBytes = 0;

  /** The canonical bytes of the last successful scan, as a view (no copy). */
  canonical(): Uint8Array {
    return new Uint8Array(this.out.buffer, this.out.byteOffset + this.outStart, this.outEnd - this.outStart);
  }

  /**
   * Scans the JSON object in src[start, end). True when it is one this scanner fully understands; then
   * out[outStart, outEnd) holds its jcs-sha256-v1 canonical bytes and seq / hash / prevHash are set.
   */
  scan(src: Buffer, start: number, end: number): boolean {
    if (src !== this.src) {
      this.src = src;
      this.srcView = new DataView(src.buffer, src.byteOffset, src.length);
    }
    this.i = start;
    this.end = end;
    this.o = 0;
    this.top = 0;
    this.skipSpace();
    if (this.i >= end || src[this.i] !== 0x7b) return false;
    if (!this.parseObject(1, this.root)) return false;
    this.skipSpace();
    return this.i === end;
  }

  private skipSpace(): void {
    const src = this.src;
    const end = this.end;
    let i = this.i;
    while (i < end) {
      const c = src[i];
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      i++;
    }
    this.i = i;
  }

  private ensure(n: number): void {
    if (n <= this.out.length) return;
    let size = this.out.length * 2;
    while (size < n) size *= 2;
    const bigger = Buffer.allocUnsafe(size);
    this.out.copy(bigger, 0, 0, this.o);
    this.out = bigger;
    this.outView = new DataView(bigger.buffer, bigger.byteOffset, bigger.length);
  }

  private push(): number {
    if (this.top === this.cap) {
      const cap = this.cap * 2;
      const grow32 = (a: Int32Array) => {
        const b = new Int32Array(cap);
        b.set(a);
        return b;
      };
      const grow8 = (a: Uint8Array) => {
        const b = new Uint8Array(cap);
        b.set(a);
        return b;
      };
      this.keyStart = grow32(this.keyStart);
      this.keyEnd = grow32(this.keyEnd);
      this.valStart = grow32(this.valStart);
      this.valEnd = grow32(this.valEnd);
      this.valOut = grow8(this.valOut);
      this.valKind = grow8(this.valKind);
      this.cap = cap;
    }
    return this.top++;
  }

  /** A value; `names` is the trie root for the member names of objects in it (undefined: caches full). */
  private parseValue(depth: number, names: NameNode | undefined): boolean {
    if (this.src[this.i] <= 0x20) this.skipSpace();
    if (this.i >= this.end) return false;
    const c = this.src[this.i];
    if (c === 0x22) return this.parseString();
    if (c === 0x7b) return depth < MAX_DEPTH && this.parseObject(depth + 1, names);
    if (c === 0x5b) return depth < MAX_DEPTH && this.parseArray(depth + 1, names);
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.parseNumber();
    if (c === 0x74) return this.literal(0x74, 0x72, 0x75, 0x65, -1, KIND_OTHER); // true
    if (c === 0x66) return this.literal(0x66, 0x61, 0x6c, 0x73, 0x65, KIND_OTHER); // false
    if (c === 0x6e) return this.literal(0x6e, 0x75, 0x6c, 0x6c, -1, KIND_NULL); // null
    return false;
  }

  private literal(a: number, b: number, c: number, d: number, e: number, kind: number): boolean {
    const src = this.src;
    const i = this.i;
    const len = e < 0 ? 4 : 5;
    if (i + len > this.end) return false;
    if (src[i] !== a || src[i + 1] !== b || src[i + 2] !== c || src[i + 3] !== d) return false;
    if (e >= 0 && src[i + 4] !== e) return false;
    this.vStart = i;
    this.vEnd = i + len;
    this.vOut = 0;
    this.vKind = kind;
    this.i = i + len;
    return true;
  }

  /** A string value: kept as source bytes unless it holds an escape whose canonical form differs. */
  private parseString(): boolean {
    const start = this.i;
    const j = this.plainRun(start + 1);
    if (j >= this.end) return false;
    const c = this.src[j];
    if (c === 0x5c) return this.parseEscapedString(start, j);
    if (c !== 0x22) return false; // a control character
    this.vStart = start;
    this.vEnd = j + 1;
    this.vOut = 0;
    this.vKind = KIND_STRING;
    this.i = j + 1;
    return true;
  }

  /**
   * The index of the first byte from j on that is a quote, a backslash or below 0x20 (or, past the
   * line, any index >= end): four bytes at a time while none is (the classic "has zero byte" and "has
   * byte less than" word tests, exact for whether one exists), then byte by byte.
   */
  private plainRun(j: number): number {
    const src = this.src;
    const dv = this.srcView;
    const stop = this.end - 4;
    while (j <= stop) {
      const x = dv.getInt32(j, true);
      const q = x ^ 0x22222222;
      const b = x ^ 0x5c5c5c5c;
      if ((((q - 0x01010101) & ~q) | ((b - 0x01010101) & ~b) | ((x - 0x20202020) & ~x)) & 0x80808080) break;
      j += 4;
    }
    // a read past the buffer gives undefined, which ends the run like any byte that needs a closer look
    for (;;) {
      const c = src[j];
      if (c > 0x22) {
        if (c === 0x5c) return j;
      } else if (c !== 0x20 && c !== 0x21) return j;
      j++;
    }
  }

  /**
   * The rest of a string from its first backslash at `j`, written to `out` in JSON.stringify's form:
   * \" \\ \b \f \n \r \t as they are, other controls as lowercase \u00xx, everything else as UTF-8.
   */
  private parseEscapedString(start: number, j: number): boolean {
    const src = this.src;
    const end = this.end;
    // the canonical form is never longer than the escaped text
    this.ensure(this.o + (end - start) + 8);
    const out = this.out;
    const outStart = this.o;
    let o = outStart;
    for (let k = start; k < j; k++) out[o++] = src[k];
    for (;;) {
      if (j >= end) return false;
      const c = src[j];
      if (c === 0x22) break;
      if (c < 0x20) return false;
      if (c !== 0x5c) {
        out[o++] = c;
        j++;
        continue;
      }
      if (j + 1 >= end) return false;
      const e = src[j + 1];
      if (e === 0x22 || e === 0x5c || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
        out[o++] = 0x5c;
        out[o++] = e;
        j += 2;
        continue;
      }
      if (e === 0x2f) {
        out[o++] = 0x2f;
        j += 2;
        continue;
      }
      if (e !== 0x75 || j + 6 > end) return false;
      const h0 = HEX_ANY_CASE[src[j + 2]];
      const h1 = HEX_ANY_CASE[src[j + 3]];
      const h2 = HEX_ANY_CASE[src[j + 4]];
      const h3 = HEX_ANY_CASE[src[j + 5]];
      if ((h0 | h1 | h2 | h3) < 0) return false;
      const cp = (h0 << 12) | (h1 << 8) | (h2 << 4) | h3;
      j += 6;
      if (cp >= 0xd800 && cp <= 0xdfff) return false; // surrogates: left to the reference path
      if (cp < 0x20) {
        out[o++] = 0x5c;
        if (cp === 0x08) out[o++] = 0x62;
        else if (cp === 0x09) out[o++] = 0x74;
        else if (cp === 0x0a) out[o++] = 0x6e;
        else if (cp === 0x0c) out[o++] = 0x66;
        else if (cp === 0x0d) out[o++] = 0x72;
        else {
          out[o++] = 0x75;
          out[o++] = 0x30;
          out[o++] = 0x30;
          out[o++] = 0x30 + (cp >> 4);
          const lo = cp & 15;
          out[o++] = lo < 10 ? 0x30 + lo : 0x61 + lo - 10;
        }
      } else if (cp === 0x22 || cp === 0x5c) {
        out[o++] = 0x5c;
        out[o++] = cp;
      } else if (cp < 0x80) out[o++] = cp;
      else if (cp < 0x800) {
        out[o++] = 0xc0 | (cp >> 6);
        out[o++] = 0x80 | (cp & 0x3f);
      } else {
        out[o++] = 0xe0 | (cp >> 12);
        out[o++] = 0x80 | ((cp >> 6) & 0x3f);
        out[o++] = 0x80 | (cp & 0x3f);
      }
    }
    out[o++] = 0x22;
    this.vStart = outStart;
    this.vEnd = o;
    this.vOut = 1;
    this.vKind = KIND_STRING;
    this.o = o;
    this.i = j + 1;
    return true;
  }

  /**
   * A JSON number. Kept as source bytes when they are already what ECMAScript's Number::toString gives:
   * no exponent, not -0, no trailing fraction zero, at most 15 significant digits (which a double
   * reproduces exactly), and no more than 5 zeros after "0." (from 1e-7 down, toString uses an
   * exponent). Anything else is rewritten as String(Number(token)).
   */
  private parseNumber(): boolean {
    const src = this.src;
    const end = this.end;
    const start = this.i;
    let j = start;
    let canonical = true;
    if (src[j] === 0x2d) j++;
    if (j >= end) return false;
    const c = src[j];
    let intDigits = 0;
    let intZero = false;
    if (c === 0x30) {
      intZero = true;
      j++;
    } else if (c >= 0x31 && c <= 0x39) {
      while (j < end && src[j] >= 0x30 && src[j] <= 0x39) {
        j++;
        intDigits++;
      }
    } else return false;
    let fracDigits = 0;
    let fracLeadingZeros = 0;
    if (j < end && src[j] === 0x2e) {
      j++;
      let leading = true;
      while (j < end && src[j] >= 0x30 && src[j] <= 0x39) {
        if (leading && src[j] === 0x30) fracLeadingZeros++;
        else leading = false;
        j++;
        fracDigits++;
      }
      if (fracDigits === 0) return false;
      if (src[j - 1] === 0x30) canonical = false; // trailing zero in the fraction
    }
    if (j < end && (src[j] === 0x65 || src[j] === 0x45)) {
      j++;
      if (j < end && (src[j] === 0x2b || src[j] === 0x2d)) j++;
      let expDigits = 0;
      while (j < end && src[j] >= 0x30 && src[j] <= 0x39) {
        j++;
        expDigits++;
      }
      if (expDigits === 0) return false;
      canonical = false;
    }
    // an integer beyond 2^53-1 cannot be carried exactly: the reference path calls the record unverifiable
    if (fracDigits === 0 && canonical && intDigits >= 16) {
      if (intDigits > 16) return false;
      const digits = src[start] === 0x2d ? start + 1 : start;
      for (let k = 0; k < 16; k++) {
        const d = src[digits + k] - MAX_SAFE_DIGITS.charCodeAt(k);
        if (d > 0) return false;
        if (d < 0) break;
      }
    }
    if (canonical) {
      if (intZero) {
        if (fracDigits === 0)
          canonical = src[start] !== 0x2d; // "-0" is written "0"
        else canonical = fracLeadingZeros <= 5 && fracDigits - fracLeadingZeros <= 15;
      } else canonical = intDigits + fracDigits <= 15;
    }
    this.i = j;
    this.vKind = KIND_NUMBER;
    if (canonical) {
      this.vStart = start;
      this.vEnd = j;
      this.vOut = 0;
      return true;
    }
    const value = Number(src.toString('latin1', start, j));
    if (!Number.isFinite(value)) return false;
    const text = String(value);
    this.ensure(this.o + text.length);
    const out = this.out;
    let o = this.o;
    this.vStart = o;
    for (let k = 0; k < text.length; k++) out[o++] = text.charCodeAt(k);
    this.vEnd = o;
    this.vOut = 1;
    this.o = o;
    return true;
  }

  private parseArray(depth: number, names: NameNode | undefined): boolean {
    const src = this.src;
    const start = this.i;
    this.i++;
    if (src[this.i] <= 0x20) this.skipSpace();
    if (this.i >= this.end) return false;
    if (src[this.i] === 0x5d) {
      this.i++;
      this.emptyValue(start, 0x5b, 0x5d);
      return true;
    }
    const base = this.top;
    let allSource = true;
    let length = 1; // "[" ... "]" with commas, counted as elements are added
    for (;;) {
      if (!this.parseValue(depth, names)) return false;
      const m = this.push();
      this.valStart[m] = this.vStart;
      this.valEnd[m] = this.vEnd;
      this.valOut[m] = this.vOut;
      if (this.vOut === 1) allSource = false;
      length += this.vEnd - this.vStart + 1;
      if (src[this.i] <= 0x20) this.skipSpace();
      if (this.i >= this.end) return false;
      const c = src[this.i++];
      if (c === 0x2c) continue;
      if (c === 0x5d) break;
      return false;
    }
    const n = this.top - base;
    if (allSource && length === this.i - start) {
      // no whitespace and every element already canonical: the source bytes are the canonical bytes
      this.top = base;
      this.setSourceValue(start, this.i, KIND_OTHER);
      return true;
    }
    this.ensure(this.o + length);
    const out = this.out;
    const outStart = this.o;
    out[this.o++] = 0x5b;
    for (let k = 0; k < n; k++) {
      if (k > 0) out[this.o++] = 0x2c;
      this.o = this.copyValue(base + k, this.o);
    }
    out[this.o++] = 0x5d;
    this.top = base;
    this.vStart = outStart;
    this.vEnd = this.o;
    this.vOut = 1;
    this.vKind = KIND_OTHER;
    return true;
  }

  /**
   * An object: its names walk the name trie from `names` to its shape, then its members are written in
   * sorted order. Each name is first compared with the name most often seen at that point (the first
   * child), which for records of one stream is nearly always right; only a name that differs is
   * validated and looked up among the other children.
   */
  private parseObject(depth: number, names: NameNode | undefined): boolean {
    const src = this.src;
    const end = this.end;
    const start = this.i;
    this.i++;
    if (src[this.i] <= 0x20) this.skipSpace();
    if (this.i >= end) return false;
    if (src[this.i] === 0x7d) {
      this.i++;
      if (depth === 1) return false; // no chain members
      this.emptyValue(start, 0x7b, 0x7d);
      return true;
    }
    const base = this.top;
    let node = names;
    let allSource = true;
    let hasNull = false;
    let length = 1; // "{" ... "}" with commas
    for (;;) {
      let j = this.i;
      if (j >= end || src[j] !== 0x22) return false;
      const ks = ++j;
      let next: NameNode | undefined;
      if (node !== undefined && node.kids.length > 0) {
        const guess = node.kids[0];
        const name = guess.name;
        const len = name.length;
        const nv = guess.view;
        const sv = this.srcView;
        let p = 0;
        if (ks + len < end) {
          while (p + 4 <= len && sv.getInt32(ks + p, true) === nv.getInt32(p, true)) p += 4;
        }
        while (p < len && src[ks + p] === name[p]) p++;
        if (p === len && src[ks + p] === 0x22) {
          next = guess; // its bytes were validated when the node was made
          j = ks + p;
        }
      }
      if (next === undefined) {
        // member name: printable ASCII without escapes (anything else goes to the reference path)
        for (;;) {
          const c = src[j];
          if (c === 0x22) break;
          if (!(c >= 0x20 && c <= 0x7e) || c === 0x5c) return false; // also a read past the buffer
          j++;
        }
        if (node !== undefined) next = this.step(node, ks, j);
      }
      if (j >= end) return false;
      node = next;
      const ke = j;
      let i = j + 1;
      if (src[i] !== 0x3a) {
        this.i = i;
        this.skipSpace();
        i = this.i;
        if (i >= end || src[i] !== 0x3a) return false;
      }
      i++;
      let vs: number;
      let ve: number;
      let vo = 0;
      let vk: number;
      if (src[i] === 0x22) {
        // a string value, the common case, scanned here (see parseString)
        const q = this.plainRun(i + 1);
        if (q >= end) return false;
        const c = src[q];
        if (c === 0x22) {
          vs = i;
          ve = q + 1;
          vk = KIND_STRING;
          i = q + 1;
        } else {
          if (c !== 0x5c || !this.parseEscapedString(i, q)) return false;
          vs = this.vStart;
          ve = this.vEnd;
          vo = 1;
          vk = KIND_STRING;
          i = this.i;
        }
      } else {
        this.i = i;
        let sub: NameNode | undefined;
        if (node !== undefined) sub = node.sub ??= this.newNode();
        if (!this.parseValue(depth, sub)) return false;
        vs = this.vStart;
        ve = this.vEnd;
        vo = this.vOut;
        vk = this.vKind;
        i = this.i;
      }
      const m = this.push();
      this.keyStart[m] = ks;
      this.keyEnd[m] = ke;
      this.valStart[m] = vs;
      this.valEnd[m] = ve;
      this.valOut[m] = vo;
      this.valKind[m] = vk;
      if (vo === 1) allSource = false;
      if (vk === KIND_NULL) hasNull = true;
      length += ke - ks + 3 + (ve - vs) + 1;
      if (src[i] <= 0x20) {
        this.i = i;
        this.skipSpace();
        i = this.i;
      }
      if (i >= end) return false;
      const c = src[i++];
      if (c === 0x2c) {
        if (src[i] <= 0x20) {
          this.i = i;
          this.skipSpace();
          i = this.i;
        }
        this.i = i;
        continue;
      }
      this.i = i;
      if (c === 0x7d) break;
      return false;
    }
    const n = this.top - base;
    let shape: Shape | undefined | null;
    if (node !== undefined) {
      shape = node.shape;
      if (shape === undefined) {
        shape = this.makeShape(base, n) ?? null;
        if (this.keep(shape ? 16 * n + shape.names.length : 0)) node.shape = shape;
      }
    } else shape = this.shapeOf(base, n);
    if (!shape) return false; // a duplicate member name
    if (depth === 1) return this.finishTop(shape, base, length);
    if (allSource && !hasNull && shape.identity && length === this.i - start) {
      this.top = base;
      this.setSourceValue(start, this.i, KIND_OTHER);
    } else {
      this.writeObject(shape, base, length, -1);
      this.top = base;
    }
    return true;
  }

  private newNode(): NameNode | undefined {
    return this.keep(64) ? this.makeNode(new Uint8Array(0)) : undefined;
  }

  /** Whether the caches may take `bytes` more (and counts them if so). */
  private keep(bytes: number): boolean {
    if (this.cacheBytes + bytes > this.cacheLimit) return false;
    this.cacheBytes += bytes;
    return true;
  }

  private makeNode(name: Uint8Array<ArrayBuffer>): NameNode {
    return { name, view: new DataView(name.buffer), kids: [], sub: undefined, shape: undefined };
  }

  /** The top-level object: picks out the chain members and writes the canonical record without `hash`. */
  private finishTop(shape: Shape, base: number, length: number): boolean {
    if (shape.hashIdx < 0 || shape.prevIdx < 0 || shape.seqIdx < 0) return false;
    const hm = base + shape.hashIdx;
    const pm = base + shape.prevIdx;
    const sm = base + shape.seqIdx;
    if (this.valKind[hm] !== KIND_STRING || this.valOut[hm] !== 0) return false;
    if (this.valKind[pm] !== KIND_STRING || this.valOut[pm] !== 0) return false;
    if (this.valKind[sm] !== KIND_NUMBER || this.valOut[sm] !== 0) return false;
    const src = this.src;
    let seq = 0;
    for (let k = this.valStart[sm]; k < this.valEnd[sm]; k++) {
      const c = src[k];
      if (c < 0x30 || c > 0x39) return false; // a negative or fractional seq: the reference path reports it
      seq = seq * 10 + (c - 0x30);
    }
    this.seq = seq;
    this.hashStart = this.valStart[hm] + 1;
    this.hashEnd = this.valEnd[hm] - 1;
    this.prevStart = this.valStart[pm] + 1;
    this.prevEnd = this.valEnd[pm] - 1;
    this.writeObject(shape, base, length, shape.hashIdx);
    this.outStart = this.vStart;
    this.outEnd = this.vEnd;
    this.top = base;
    return true;
  }

  /** Writes {members in sorted order, null members and the member at text index `skip` left out}. */
  private writeObject(shape: Shape, base: number, length: number, skip: number): void {
    this.ensure(this.o + length);
    const out = this.out;
    const order = shape.order;
    const outStart = this.o;
    let o = outStart;
    out[o++] = 0x7b;
    let first = true;
    for (let k = 0; k < shape.n; k++) {
      const idx = order[k];
      const m = base + idx;
      if (idx === skip || this.valKind[m] === KIND_NULL) continue;
      if (!first) out[o++] = 0x2c;
      first = false;
      const ks = this.keyStart[m];
      const ke = this.keyEnd[m];
      if (this.valOut[m] === 0 && this.valStart[m] === ke + 2) {
        // "name":value stands as is in the source
        o = this.copy(this.srcView, ks - 1, this.valEnd[m], o);
        continue;
      }
      o = this.copy(this.srcView, ks - 1, ke + 1, o);
      out[o++] = 0x3a;
      o = this.copyValue(m, o);
    }
    out[o++] = 0x7d;
    this.o = o;
    this.vStart = outStart;
    this.vEnd = o;
    this.vOut = 1;
    this.vKind = KIND_OTHER;
  }

  /** Appends member m's value bytes to `out` at o (room already ensured); returns the new end. */
  private copyValue(m: number, o: number): number {
    return this.copy(this.valOut[m] === 1 ? this.outView : this.srcView, this.valStart[m], this.valEnd[m], o);
  }

  /**
   * Copies bytes [s, e) of `from` (a view of the source or of `out`) to out[o..], four at a time through
   * DataViews: a native copy costs more per call than these short runs are worth, and a byte loop is
   * slower. A copy within `out` always goes forward to free space, so the runs never overlap.
   */
  private copy(from: DataView<ArrayBufferLike>, s: number, e: number, o: number): number {
    const to = this.outView;
    let p = s;
    for (; p + 4 <= e; p += 4, o += 4) to.setInt32(o, from.getInt32(p, true), true);
    for (; p < e; p++, o++) to.setUint8(o, from.getUint8(p));
    return o;
  }

  /** `{}` or `[]`, with any whitespace inside dropped. */
  private emptyValue(start: number, open: number, close: number): void {
    if (this.i - start === 2) {
      this.setSourceValue(start, this.i, KIND_OTHER);
      return;
    }
    this.ensure(this.o + 2);
    this.vStart = this.o;
    this.out[this.o++] = open;
    this.out[this.o++] = close;
    this.vEnd = this.o;
    this.vOut = 1;
    this.vKind = KIND_OTHER;
  }

  private setSourceValue(start: number, end: number, kind: number): void {
    this.vStart = start;
    this.vEnd = end;
    this.vOut = 0;
    this.vKind = kind;
  }

  /** The cached shape for the member names base..base+n, or a new one; undefined on a duplicate name. */
  private shapeOf(base: number, n: number): Shape | undefined {
    const src = this.src;
    let h = FNV_OFFSET;
    for (let k = base; k < base + n; k++) {
      for (let p = this.keyStart[k], e = this.keyEnd[k]; p < e; p++) h = Math.imul(h ^ src[p], FNV_PRIME);
      h = Math.imul(h ^ 0x22, FNV_PRIME);
    }
    let s = this.shapes.get(h);
    while (s !== undefined) {
      if (this.sameNames(s, base, n)) return s;
      s = s.next;
    }
    s = this.makeShape(base, n);
    if (s && this.keep(16 * n + s.names.length)) {
      s.next = this.shapes.get(h);
      this.shapes.set(h, s);
    }
    return s;
  }

  /** The child of `node` for the name src[ks, ke), added if new; undefined once the caches are full. */
  private step(node: NameNode, ks: number, ke: number): NameNode | undefined {
    const src = this.src;
    const len = ke - ks;
    const kids = node.kids;
    for (let x = 0; x < kids.length; x++) {
      const name = kids[x].name;
      if (name.length !== len) continue;
      let y = 0;
      while (y < len && name[y] === src[ks + y]) y++;
      if (y === len) return kids[x];
    }
    if (kids.length >= MAX_KIDS || !this.keep(64 + len)) return undefined;
    const kid = this.makeNode(new Uint8Array(src.subarray(ks, ke)));
    kids.push(kid);
    return kid;
  }

  private sameNames(s: Shape, base: number, n: number): boolean {
    if (s.n !== n) return false;
    const src = this.src;
    const names = s.names;
    let p = 0;
    for (let k = 0; k < n; k++) {
      const ks = this.keyStart[base + k];
      const len = this.keyEnd[base + k] - ks;
      if (s.ends[k] - p !== len) return false;
      for (let q = 0; q < len; q++) if (names[p + q] !== src[ks + q]) return false;
      p += len;
    }
    return true;
  }

  private makeShape(base: number, n: number): Shape | undefined {
    const keys: string[] = [];
    let total = 0;
    for (let k = 0; k < n; k++) {
      keys.push(this.src.toString('latin1', this.keyStart[base + k], this.keyEnd[base + k]));
      total += keys[k].length;
    }
    // plain sort compares UTF-16 code units, RFC 8785 section 3.2.3 (these names are ASCII)
    const order = Int32Array.from(keys.keys()).sort((a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : 0));
    let identity = true;
    for (let k = 0; k < n; k++) {
      if (k > 0 && keys[order[k]] === keys[order[k - 1]]) return undefined;
      if (order[k] !== k) identity = false;
    }
    const names = new Uint8Array(total);
    const ends = new Int32Array(n);
    let p = 0;
    for (let k = 0; k < n; k++) {
      for (let q = 0; q < keys[k].length; q++) names[p++] = keys[k].charCodeAt(q);
      ends[k] = p;
    }
    const shape: Shape = {
      n,
      names,
      ends,
      order,
      identity,
      hashIdx: keys.indexOf('hash'),
      prevIdx: keys.indexOf('prevHash'),
      seqIdx: keys.indexOf('seq'),
      next: undefined,
    };
    return shape;
  }
}
