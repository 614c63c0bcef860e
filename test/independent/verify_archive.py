#!/usr/bin/env python3
"""Independent verifier for AI audit archive v1 (Python 3 standard library only).

Written from the format contract (spec/audit-archive-v1.md), not from the workstation's TypeScript, so
that the two implementations can disagree: the tests run both over the same archives. It checks

  records      JSON lines parse; jcs-sha256-v1 record hash; seq +1; prevHash links
  checkpoints  count, headHash, RFC 6962 merkleRoot, prevCheckpointSha256, consecutive ranges,
               coverage of every record, and that a .tsr holds the SHA-256 of the checkpoint bytes
  manifest     listed-but-missing and present-but-unlisted files, ObjectSize, MD5 ETag (plain and
               multipart), CRC32 / CRC32C / CRC64NVME / SHA1 / SHA256 full-object and composite
               checksums with their per-part values, COMPLIANCE-mode Object Lock on checkpoints
  explanations explanationRef names an explanations/<ref>.json that exists (a note: they are optional)

Ed25519 signatures cannot be checked with the standard library and are skipped (said in "notes").
Parquet data files are skipped too.

Usage: verify_archive.py ARCHIVE_DIR [--min-retention-days N]
       verify_archive.py --self-test VECTORS_JSON
Prints {"ok": bool, "findings": [{check, stream, seq, file, line, message}], "notes": [...]} and exits
0 when there are no findings, 1 when there are, 2 when the input cannot be read.
"""
import base64
import datetime
import gzip
import hashlib
import json
import os
import re
import sys
import zlib

# ---------------------------------------------------------------------------------------------------
# RFC 8785 JSON Canonicalization Scheme
# ---------------------------------------------------------------------------------------------------


class NotJson(ValueError):
    pass


def es_number(x):
    """ECMAScript Number::toString (ECMA-262 7.1.12.1), which RFC 8785 section 3.2.2.3 prescribes."""
    if isinstance(x, bool):
        raise NotJson('boolean is not a number')
    x = float(x)
    if x != x or x in (float('inf'), float('-inf')):
        raise NotJson('NaN and Infinity are not JSON')
    if x == 0:
        return '0'
    if x < 0:
        return '-' + es_number(-x)
    # repr() gives the shortest digit string that reads back as the same double, as ECMAScript does
    text = repr(x)
    mantissa, _, exponent = text.partition('e')
    whole, _, frac = mantissa.partition('.')
    all_digits = whole + frac
    # the decimal point sits after all_digits[:point]; normalise to digits d1..dk with value 0.d1..dk x 10^n
    point = len(whole) + (int(exponent) if exponent else 0)
    stripped = all_digits.lstrip('0')
    point -= len(all_digits) - len(stripped)
    digits = stripped.rstrip('0')
    n = point
    k = len(digits)
    if k <= n <= 21:
        return digits + '0' * (n - k)
    if 0 < n <= 21:
        return digits[:n] + '.' + digits[n:]
    if -6 < n <= 0:
        return '0.' + '0' * (-n) + digits
    e = n - 1
    sign = '+' if e >= 0 else '-'
    if k == 1:
        return digits + 'e' + sign + str(abs(e))
    return digits[0] + '.' + digits[1:] + 'e' + sign + str(abs(e))


_ESCAPES = {'"': '\\"', '\\': '\\\\', '\b': '\\b', '\t': '\\t', '\n': '\\n', '\f': '\\f', '\r': '\\r'}


def jcs_string(s):
    out = ['"']
    for ch in s:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20:
            out.append('\\u%04x' % ord(ch))
        elif 0xD800 <= ord(ch) <= 0xDFFF:
            raise NotJson('lone surrogate in string')
        else:
            out.append(ch)
    out.append('"')
    return ''.join(out)


def jcs(value):
    """RFC 8785 serialisation of a parsed JSON value."""
    if value is None:
        return 'null'
    if value is True:
        return 'true'
    if value is False:
        return 'false'
    if isinstance(value, (int, float)):
        return es_number(value)
    if isinstance(value, str):
        return jcs_string(value)
    if isinstance(value, list):
        return '[' + ','.join(jcs(v) for v in value) + ']'
    if isinstance(value, dict):
        # member names sorted by their UTF-16 code units (RFC 8785 section 3.2.3)
        keys = sorted(value.keys(), key=lambda k: k.encode('utf-16-be', 'surrogatepass'))
        return '{' + ','.join(jcs_string(k) + ':' + jcs(value[k]) for k in keys) + '}'
    raise NotJson('not a JSON value: %r' % (value,))


def without_nulls(value):
    """Members whose value is null are removed from objects at every depth; array elements stay."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def hash_text(record):
    """The text rule jcs-sha256-v1 hashes: the record without `hash`, null members dropped, RFC 8785."""
    rest = {k: v for k, v in record.items() if k != 'hash'}
    return jcs(without_nulls(rest))


def record_hash(record):
    return hashlib.sha256(hash_text(record).encode('utf-8')).hexdigest()


def _reject_constant(name):
    raise NotJson('%s is not JSON' % name)


def _no_duplicates(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise NotJson('duplicate member "%s"' % k)
        out[k] = v
    return out


def parse_json(text):
    return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicates)


# ---------------------------------------------------------------------------------------------------
# RFC 6962 Merkle tree hash
# ---------------------------------------------------------------------------------------------------


def merkle_root(leaves):
    """MTH over raw leaf bytes: leaf = H(0x00 || d), node = H(0x01 || l || r), split below n."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b'').digest()
    if n == 1:
        return hashlib.sha256(b'\x00' + leaves[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b'\x01' + merkle_root(leaves[:k]) + merkle_root(leaves[k:])).digest()


# ---------------------------------------------------------------------------------------------------
# S3 checksums
# ---------------------------------------------------------------------------------------------------


def _reflect(value, width):
    out = 0
    for _ in range(width):
        out = (out << 1) | (value & 1)
        value >>= 1
    return out


def _table(poly_reflected):
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly_reflected if c & 1 else c >> 1
        table.append(c)
    return table


# CRC-32C (Castagnoli): poly 0x1EDC6F41, reflected in and out, init and xorout all ones
_CRC32C_TABLE = _table(_reflect(0x1EDC6F41, 32))
# CRC-64/NVME: poly 0xAD93D23594C93659, reflected in and out, init and xorout all ones
_CRC64_TABLE = _table(_reflect(0xAD93D23594C93659, 64))
_M32 = 0xFFFFFFFF
_M64 = 0xFFFFFFFFFFFFFFFF


class Crc32c:
    def __init__(self):
        self.c = _M32

    def update(self, data):
        c, t = self.c, _CRC32C_TABLE
        for b in data:
            c = t[(c ^ b) & 0xFF] ^ (c >> 8)
        self.c = c

    def digest(self):
        return (self.c ^ _M32).to_bytes(4, 'big')


class Crc64Nvme:
    def __init__(self):
        self.c = _M64

    def update(self, data):
        c, t = self.c, _CRC64_TABLE
        for b in data:
            c = t[(c ^ b) & 0xFF] ^ (c >> 8)
        self.c = c

    def digest(self):
        return (self.c ^ _M64).to_bytes(8, 'big')


class Crc32:
    def __init__(self):
        self.c = 0

    def update(self, data):
        self.c = zlib.crc32(data, self.c)

    def digest(self):
        return (self.c & _M32).to_bytes(4, 'big')


def new_digest(alg):
    if alg == 'CRC32':
        return Crc32()
    if alg == 'CRC32C':
        return Crc32c()
    if alg == 'CRC64NVME':
        return Crc64Nvme()
    if alg == 'SHA1':
        return hashlib.sha1()
    if alg == 'SHA256':
        return hashlib.sha256()
    if alg == 'MD5':
        return hashlib.md5()
    raise ValueError(alg)


def digest_of(alg, data):
    d = new_digest(alg)
    d.update(data)
    return d.digest()


def b64(raw):
    return base64.b64encode(raw).decode('ascii')


CHECKSUM_MEMBERS = {
    'ChecksumCRC32': 'CRC32',
    'ChecksumCRC32C': 'CRC32C',
    'ChecksumCRC64NVME': 'CRC64NVME',
    'ChecksumSHA1': 'SHA1',
    'ChecksumSHA256': 'SHA256',
}


def split_parts(data, sizes):
    out, pos = [], 0
    for s in sizes:
        out.append(data[pos:pos + s])
        pos += s
    return out, pos


# ---------------------------------------------------------------------------------------------------
# The archive
# ---------------------------------------------------------------------------------------------------

GENESIS = '0' * 64
DATA_FILE = re.compile(r'.*\.(jsonl|ndjson|jsonl\.gz)$')
KIND_STREAM = {'decision': 'decisions', 'lifecycle': 'lifecycle', 'review': 'reviews', 'outcome': 'outcomes'}
LIFECYCLE_TYPES = {'training_started', 'training_completed', 'evaluation_completed', 'deployment_approved',
                   'deployed', 'rollback', 'deprecated', 'retired'}
REVIEW_TYPES = {'created', 'assigned', 'reviewed', 'escalated', 'resolved'}


def member(rec, camel):
    if camel in rec:
        return rec[camel]
    snake = re.sub(r'[A-Z]', lambda m: '_' + m.group(0).lower(), camel)
    return rec.get(snake)


def kind_of(rec):
    """Record kind from its members (spec section 3), for records whose stream nothing else names."""
    et = member(rec, 'eventType')
    if et in LIFECYCLE_TYPES:
        return 'lifecycle'
    if et in REVIEW_TYPES:
        return 'review'
    if member(rec, 'observedAt') is not None:
        return 'outcome'
    if member(rec, 'decisionId') is not None and (member(rec, 'modelId') is not None or 'prediction' in rec):
        return 'decision'
    if member(rec, 'reviewerId') is not None or member(rec, 'taskId') is not None:
        return 'review'
    if member(rec, 'eventId') is not None and member(rec, 'modelId') is not None:
        return 'lifecycle'
    return None


class Verifier:
    def __init__(self, root, min_retention_days=None):
        self.root = os.path.abspath(root)
        self.min_retention_days = min_retention_days
        self.findings = []
        self.notes = []
        self.descriptor = {}
        self.files = []

    def finding(self, check, message, stream=None, seq=None, file=None, line=None):
        self.findings.append({'check': check, 'stream': stream, 'seq': seq, 'file': file, 'line': line,
                              'message': message})

    def run(self):
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames.sort()
            for name in sorted(filenames):
                rel = os.path.relpath(os.path.join(dirpath, name), self.root).replace(os.sep, '/')
                self.files.append(rel)
        if 'archive.json' in self.files:
            with open(os.path.join(self.root, 'archive.json'), 'rb') as f:
                try:
                    self.descriptor = parse_json(f.read().decode('utf-8'))
                except (ValueError, UnicodeDecodeError) as e:
                    self.finding('descriptor', 'archive.json is not valid JSON: %s' % e, file='archive.json')
        records = self.read_records()
        for stream in sorted(records):
            self.check_chain(stream, records[stream])
        self.check_checkpoints(records)
        self.check_explanations(records)
        self.check_manifest()
        self.notes.append('signatures (.sig) are not checked: Ed25519 is not in the Python standard library')
        return {'ok': not self.findings, 'findings': self.findings, 'notes': self.notes}

    # --- records ------------------------------------------------------------------------------------

    def data_files(self):
        listed = []
        for s in self.descriptor.get('streams') or []:
            for f in s.get('files') or []:
                listed.append(f)
        rest = [f for f in self.files if DATA_FILE.match(f) and not f.startswith('manifest/') and f not in listed]
        for f in self.files:
            if f.endswith('.parquet'):
                self.notes.append('%s: Parquet is not read by this verifier' % f)
        return [f for f in listed if f in self.files] + rest

    def stream_for(self, rec, file):
        if isinstance(rec.get('stream'), str):
            return rec['stream']
        streams = self.descriptor.get('streams') or []
        for s in streams:
            if file in (s.get('files') or []):
                return s.get('name')
        kind = kind_of(rec)
        named = [s.get('name') for s in streams if s.get('kind') == kind]
        if len(named) == 1:
            return named[0]
        return KIND_STREAM.get(kind, 'unknown')

    def read_records(self):
        """stream -> [(seq, hash, prevHash, file, line, record)] in file order, then line order."""
        records = {}
        for rel in self.data_files():
            path = os.path.join(self.root, rel)
            try:
                opener = gzip.open if rel.endswith('.gz') else open
                with opener(path, 'rb') as f:
                    raw = f.read()
            except OSError as e:
                self.finding('record-json', 'cannot read: %s' % e, file=rel)
                continue
            for i, line in enumerate(raw.split(b'\n'), start=1):
                if not line.strip():
                    continue
                try:
                    rec = parse_json(line.decode('utf-8'))
                    if not isinstance(rec, dict):
                        raise NotJson('a line must hold a JSON object')
                except (ValueError, UnicodeDecodeError) as e:
                    self.finding('record-json', 'not a JSON object: %s' % e, file=rel, line=i)
                    continue
                stream = self.stream_for(rec, rel)
                records.setdefault(stream, []).append((rec.get('seq'), rec.get('hash'), rec.get('prevHash'), rel, i, rec))
        return records

    def check_chain(self, stream, recs):
        prev_hash = None
        expected = None
        for idx, (seq, h, prev, file, line, rec) in enumerate(recs):
            try:
                actual = record_hash(rec)
            except NotJson as e:
                self.finding('record-hash', 'cannot be canonicalised: %s' % e, stream, seq, file, line)
                actual = None
            if not isinstance(h, str):
                self.finding('record-hash', 'record has no hash member', stream, seq, file, line)
            elif actual is not None and actual != h:
                self.finding('record-hash', 'hash member %s but the record hashes to %s' % (h, actual), stream, seq, file, line)
            if seq is None:
                seq_now = idx if expected is None else expected
            elif not isinstance(seq, int) or isinstance(seq, bool):
                self.finding('record-seq', 'seq %r is not an integer' % (seq,), stream, None, file, line)
                seq_now = expected
            else:
                if expected is not None and seq != expected:
                    self.finding('record-seq', 'seq %d where %d was expected' % (seq, expected), stream, seq, file, line)
                seq_now = seq
            if idx == 0:
                if seq_now == 0 and prev is not None and prev != GENESIS:
                    self.finding('record-link', 'seq 0 must have prevHash of 64 zeros', stream, seq, file, line)
            elif prev is not None and prev != prev_hash:
                self.finding('record-link', 'prevHash %s does not match the previous record\'s hash %s' % (prev, prev_hash),
                             stream, seq, file, line)
            prev_hash = h
            expected = seq_now + 1 if isinstance(seq_now, int) else None

    # --- checkpoints --------------------------------------------------------------------------------

    def check_checkpoints(self, records):
        by_stream = {}
        for rel in self.files:
            m = re.match(r'^checkpoints/([^/]+)/([^/]+)\.json$', rel)
            if m:
                by_stream.setdefault(m.group(1), []).append((m.group(2), rel))
        for stream, cps in sorted(by_stream.items()):
            loaded = []
            for label, rel in cps:
                with open(os.path.join(self.root, rel), 'rb') as f:
                    raw = f.read()
                try:
                    cp = parse_json(raw.decode('utf-8'))
                except (ValueError, UnicodeDecodeError) as e:
                    self.finding('checkpoint-json', 'not valid JSON: %s' % e, stream, file=rel)
                    continue
                if cp.get('stream') != stream or cp.get('label') != label:
                    self.finding('checkpoint-name', 'names stream %r label %r but is stored as %s/%s' %
                                 (cp.get('stream'), cp.get('label'), stream, label), stream, file=rel)
                loaded.append((cp, rel, raw))
            loaded.sort(key=lambda x: (x[0].get('firstSeq') if isinstance(x[0].get('firstSeq'), int) else -1))
            recs = records.get(stream, [])
            covered = set()
            prev = None
            for cp, rel, raw in loaded:
                first, last, count = cp.get('firstSeq'), cp.get('lastSeq'), cp.get('count')
                if not all(isinstance(v, int) for v in (first, last, count)):
                    self.finding('checkpoint-count', 'firstSeq, lastSeq and count must be integers', stream, file=rel)
                    continue
                if count != last - first + 1:
                    self.finding('checkpoint-count', 'count %d but lastSeq - firstSeq + 1 = %d' % (count, last - first + 1),
                                 stream, first, rel)
                inside = [r for r in recs if isinstance(r[0], int) and first <= r[0] <= last]
                for r in inside:
                    covered.add(id(r))
                if len(inside) != count:
                    self.finding('checkpoint-count', 'covers seq %d..%d (%d records) but the archive holds %d of them' %
                                 (first, last, count, len(inside)), stream, first, rel)
                try:
                    leaves = [bytes.fromhex(r[1]) for r in inside]
                    root = merkle_root(leaves).hex()
                except (TypeError, ValueError):
                    root = None
                if root != cp.get('merkleRoot'):
                    self.finding('checkpoint-merkle', 'merkleRoot %s but the records hash to %s' % (cp.get('merkleRoot'), root),
                                 stream, first, rel)
                heads = [r for r in inside if r[0] == last]
                if not heads or heads[-1][1] != cp.get('headHash'):
                    self.finding('checkpoint-head', 'headHash %s but record %d has hash %s' %
                                 (cp.get('headHash'), last, heads[-1][1] if heads else None), stream, last, rel)
                if prev is None:
                    if first == 0 and cp.get('prevCheckpointSha256') is not None:
                        self.finding('checkpoint-prev', 'first checkpoint of the stream must have prevCheckpointSha256 null',
                                     stream, first, rel)
                else:
                    pcp, prel, praw = prev
                    expected = hashlib.sha256(praw).hexdigest()
                    if cp.get('prevCheckpointSha256') != expected:
                        self.finding('checkpoint-prev', 'prevCheckpointSha256 %s but %s hashes to %s' %
                                     (cp.get('prevCheckpointSha256'), prel, expected), stream, first, rel)
                    if first != pcp.get('lastSeq', -2) + 1:
                        self.finding('checkpoint-range', 'starts at seq %d but %s ends at %r' % (first, prel, pcp.get('lastSeq')),
                                     stream, first, rel)
                tsr = rel + '.tsr'
                if tsr in self.files:
                    with open(os.path.join(self.root, tsr), 'rb') as f:
                        token = f.read()
                    # the TimeStampResp's messageImprint carries the raw SHA-256 of the checkpoint bytes; a
                    # byte search finds it without a DER parser (a random 32-byte match is not a concern)
                    if hashlib.sha256(raw).digest() not in token:
                        self.finding('checkpoint-timestamp-imprint', 'the time-stamp token does not carry the SHA-256 of %s' % rel,
                                     stream, first, tsr)
                prev = (cp, rel, raw)
            run = None
            for r in recs + [None]:
                if r is not None and id(r) not in covered:
                    run = run or [r, r]
                    run[1] = r
                    continue
                if run:
                    self.finding('checkpoint-coverage', 'records seq %r..%r are covered by no checkpoint' % (run[0][0], run[1][0]),
                                 stream, run[0][0], run[0][3], run[0][4])
                    run = None
        for stream in records:
            if stream not in by_stream:
                self.notes.append('stream %s has no checkpoints' % stream)

    # --- explanations -------------------------------------------------------------------------------

    def check_explanations(self, records):
        # explanation artefacts are optional in an archive (spec section 1): a missing one is noted, not a finding
        missing = []
        for stream, recs in records.items():
            for seq, _h, _p, file, line, rec in recs:
                ref = member(rec, 'explanationRef')
                if isinstance(ref, str) and ('explanations/%s.json' % ref) not in self.files:
                    missing.append('%s:%d' % (file, line))
        if missing:
            self.notes.append('%d explanationRef values name no explanations/<ref>.json (first: %s)' % (len(missing), missing[0]))

    # --- manifest -----------------------------------------------------------------------------------

    def check_manifest(self):
        rel = 'manifest/objects.jsonl'
        if rel not in self.files:
            self.notes.append('no manifest/objects.jsonl: object-store checks skipped')
            return
        prefix = self.descriptor.get('keyPrefix') or ''
        listed = set()
        with open(os.path.join(self.root, rel), 'rb') as f:
            lines = f.read().split(b'\n')
        for n, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                entry = parse_json(line.decode('utf-8'))
            except (ValueError, UnicodeDecodeError) as e:
                self.finding('manifest-json', 'not valid JSON: %s' % e, file=rel, line=n)
                continue
            key = entry.get('Key')
            if not isinstance(key, str) or not key.startswith(prefix):
                self.finding('manifest-key', 'Key %r is not under keyPrefix %r' % (key, prefix), file=rel, line=n)
                continue
            path = key[len(prefix):]
            listed.add(path)
            if path not in self.files:
                self.finding('manifest-missing', 'listed in the manifest (line %d) but absent' % n, file=path, line=None)
                continue
            with open(os.path.join(self.root, path), 'rb') as f:
                data = f.read()
            self.check_object(path, entry, data, n)
        covered = [f for f in self.files if f not in ('archive.json',) and not f.startswith('manifest/')
                   and not f.startswith('keys/')
                   and (DATA_FILE.match(f) or f.endswith('.parquet') or f.startswith('checkpoints/') or f.startswith('explanations/'))]
        for f in covered:
            if f not in listed:
                self.finding('manifest-unlisted', 'present in the archive but not listed in the manifest', file=f)

    def check_object(self, path, entry, data, n):
        size = entry.get('ObjectSize')
        if size != len(data):
            self.finding('manifest-size', 'ObjectSize %r but the file has %d bytes (manifest line %d)' % (size, len(data), n), file=path)
        parts = (entry.get('ObjectParts') or {}).get('Parts')
        part_sizes = [p.get('Size') for p in parts] if isinstance(parts, list) else None
        if part_sizes is not None and (not all(isinstance(s, int) for s in part_sizes) or sum(part_sizes) != len(data)):
            self.finding('manifest-parts', 'part sizes %r do not add up to the %d bytes of the file' % (part_sizes, len(data)), file=path)
            part_sizes = None
        etag = (entry.get('ETag') or '').strip('"').lower()
        m = re.match(r'^([0-9a-f]{32})(?:-(\d+))?$', etag)
        if not m:
            self.notes.append('%s: ETag %r is not an MD5 and is not checked' % (path, entry.get('ETag')))
        elif m.group(2) is None:
            if hashlib.md5(data).hexdigest() != m.group(1):
                self.finding('manifest-etag', 'ETag %s but the file\'s MD5 is %s (manifest line %d)' %
                             (etag, hashlib.md5(data).hexdigest(), n), file=path)
        elif part_sizes is None or len(part_sizes) != int(m.group(2)):
            self.notes.append('%s: multipart ETag without matching ObjectParts sizes is not checked' % path)
        else:
            pieces, _ = split_parts(data, part_sizes)
            want = hashlib.md5(b''.join(hashlib.md5(p).digest() for p in pieces)).hexdigest() + '-' + m.group(2)
            if want != etag:
                self.finding('manifest-etag', 'multipart ETag %s but the parts give %s (manifest line %d)' % (etag, want, n), file=path)
        checksum = entry.get('Checksum') or {}
        for mem, alg in CHECKSUM_MEMBERS.items():
            value = checksum.get(mem)
            if value is None:
                continue
            ctype = checksum.get('ChecksumType', 'FULL_OBJECT')
            if ctype == 'COMPOSITE':
                cm = re.match(r'^(.*)-(\d+)$', value)
                if not cm or part_sizes is None or len(part_sizes) != int(cm.group(2)):
                    self.finding('manifest-checksum', 'COMPOSITE %s %s without matching ObjectParts (manifest line %d)' % (mem, value, n),
                                 file=path)
                    continue
                pieces, _ = split_parts(data, part_sizes)
                digests = [digest_of(alg, p) for p in pieces]
                want = b64(digest_of(alg, b''.join(digests))) + '-' + cm.group(2)
            else:
                want = b64(digest_of(alg, data))
                pieces, digests = None, None
            if want != value:
                self.finding('manifest-checksum', '%s %s but the file gives %s (manifest line %d)' % (mem, value, want, n), file=path)
            if isinstance(parts, list) and part_sizes is not None:
                if pieces is None:
                    pieces, _ = split_parts(data, part_sizes)
                    digests = [digest_of(alg, p) for p in pieces]
                for p, d in zip(parts, digests):
                    if mem in p and p[mem] != b64(d):
                        self.finding('manifest-part-checksum', 'part %r %s %s but the bytes give %s (manifest line %d)' %
                                     (p.get('PartNumber'), mem, p[mem], b64(d), n), file=path)
        if path.startswith('checkpoints/'):
            mode = entry.get('ObjectLockMode')
            if mode != 'COMPLIANCE':
                self.finding('manifest-lock', 'checkpoint object stored with ObjectLockMode %r, not COMPLIANCE (manifest line %d)' % (mode, n),
                             file=path)
            elif self.min_retention_days is not None:
                try:
                    until = datetime.datetime.fromisoformat(entry['ObjectLockRetainUntilDate'].replace('Z', '+00:00'))
                    since = datetime.datetime.fromisoformat(entry['LastModified'].replace('Z', '+00:00'))
                    days = (until - since).days
                except (KeyError, ValueError, AttributeError):
                    days = None
                if days is None or days < self.min_retention_days:
                    self.finding('manifest-retention', 'retained %r days, less than the %d required' % (days, self.min_retention_days),
                                 file=path)


# ---------------------------------------------------------------------------------------------------
# Self-test against the spec vectors
# ---------------------------------------------------------------------------------------------------


def self_test(vectors_path):
    with open(vectors_path, 'rb') as f:
        v = json.loads(f.read().decode('utf-8'))
    findings = []

    def fail(check, message):
        findings.append({'check': check, 'stream': None, 'seq': None, 'file': vectors_path, 'line': None, 'message': message})

    for i, c in enumerate(v['chain']):
        if hash_text(c['record']) != c['canonical']:
            fail('jcs', 'chain[%d] canonical text differs: %s' % (i, hash_text(c['record'])))
        if record_hash(c['record']) != c['record']['hash']:
            fail('record-hash', 'chain[%d] hash differs' % i)
    for i, m in enumerate(v['merkle']):
        if merkle_root([bytes.fromhex(x) for x in m['leaves']]).hex() != m['root']:
            fail('merkle', 'merkle[%d] root differs' % i)
    s3 = v['s3']
    for alg, want in s3['helloWorld'].items():
        if b64(digest_of(alg, b'hello world')) != want:
            fail('checksum', 'hello world %s differs' % alg)
    if '0x' + digest_of('CRC64NVME', b'123456789').hex().upper() != s3['crc64nvmeCheck123456789']:
        fail('checksum', 'CRC64NVME check value differs')
    mp = s3['multipart']
    data = b''.join(b'0' * 256 if p == 0 else b'1' * 256 for p in range(2))
    sizes = [256, 256]
    pieces, _ = split_parts(data, sizes)
    for alg, want in mp['composite'].items():
        got = b64(digest_of(alg, b''.join(digest_of(alg, p) for p in pieces))) + '-2'
        if got != want:
            fail('checksum', 'composite %s %s differs from %s' % (alg, got, want))
    for alg, want in mp['fullObject'].items():
        if b64(digest_of(alg, data)) != want:
            fail('checksum', 'multipart full-object %s differs' % alg)
    etag = hashlib.md5(b''.join(hashlib.md5(p).digest() for p in pieces)).hexdigest() + '-2'
    if etag != mp['eTag']:
        fail('etag', 'multipart ETag %s differs from %s' % (etag, mp['eTag']))
    # ECMAScript number forms RFC 8785 appendix B lists
    for x, want in [(1e21, '1e+21'), (1e-7, '1e-7'), (123456789012345680000, '123456789012345680000'), (0.000001, '0.000001'),
                    (-0.0, '0'), (5e-324, '5e-324'), (1.7976931348623157e308, '1.7976931348623157e+308'), (4.5, '4.5'),
                    (0.1 + 0.2, '0.30000000000000004'), (2 ** 53 + 1, '9007199254740992'), (100, '100'), (1e20, '100000000000000000000')]:
        if es_number(x) != want:
            fail('jcs', 'number %r serialises as %s, not %s' % (x, es_number(x), want))
    if jcs({'\u20ac': 1, '\r': 2, '\ud83d\ude00'.encode('utf-16', 'surrogatepass').decode('utf-16'): 3, 'a': '\u001f\u2028'}) != \
            '{"\\r":2,"a":"\\u001f\u2028","\u20ac":1,"\U0001F600":3}':
        fail('jcs', 'member order or string escaping differs from RFC 8785')
    return {'ok': not findings, 'findings': findings, 'notes': []}


def main(argv):
    args = argv[1:]
    try:
        if len(args) == 2 and args[0] == '--self-test':
            result = self_test(args[1])
        else:
            retention = None
            if '--min-retention-days' in args:
                i = args.index('--min-retention-days')
                retention = int(args[i + 1])
                del args[i:i + 2]
            if len(args) != 1 or not os.path.isdir(args[0]):
                sys.stderr.write(__doc__)
                return 2
            result = Verifier(args[0], retention).run()
    except (OSError, ValueError, KeyError) as e:
        sys.stderr.write('verify_archive.py: %s\n' % e)
        return 2
    sys.stdout.write(json.dumps(result, indent=1) + '\n')
    return 0 if result['ok'] else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
