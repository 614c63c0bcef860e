// The inputHash rules against values produced by CPython 3 (json.dumps(json.loads(text), sort_keys=True))
// and hashed with hashlib, written here as literals.
import { describe, expect, it } from 'vitest';
import {
  inputHashes,
  parseKeepingNumbers,
  pythonFloatRepr,
  pythonJsonDumpsSortKeys,
} from '../../src/query/input-hash.ts';

const PYTHON_VECTORS: [string, string, string][] = [
  [
    '{"b": 1.0, "a": [1, 2.5e-7, 1e16, 123456789012345678, 0.0001, -0.0, 1E400], "é": "x\u007f😀\\n", "z": {"y": null, "x": true}}',
    '{"a": [1, 2.5e-07, 1e+16, 123456789012345678, 0.0001, -0.0, Infinity], "b": 1.0, "z": {"x": true, "y": null}, "\\u00e9": "x\\u007f\\ud83d\\ude00\\n"}',
    'e0d50791b82bd08bfcb7c996d68b3e3b01082003056026c3c7d39c80b1312a3a',
  ],
  ['{"n": NaN}', '{"n": NaN}', '66243690ce523df587207a0c8dd37206d4aaac66e2f7d188f6d89b1e0c5d45c7'],
  [
    '[1e22, 100.0, 12345678.9, 5e-324, 1.7976931348623157e308]',
    '[1e+22, 100.0, 12345678.9, 5e-324, 1.7976931348623157e+308]',
    '122a7c72d584237da0aa9af1da0ca668752bb5814a73f4093af3622f062a244b',
  ],
];

describe("Python's json.dumps(sort_keys=True)", () => {
  it.each(PYTHON_VECTORS)('%s', (input, text, hash) => {
    expect(pythonJsonDumpsSortKeys(parseKeepingNumbers(input))).toBe(text);
    expect(inputHashes(Buffer.from(input))['python-json-dumps-sort-keys']).toBe(hash);
  });

  it('writes floats as repr does', () => {
    const cases: [number, string][] = [
      [1, '1.0'],
      [0.1, '0.1'],
      [1e-5, '1e-05'],
      [0.0001, '0.0001'],
      [1e16, '1e+16'],
      [9999999999999998, '9999999999999998.0'],
      [Number('123456789012345678'), '1.2345678901234568e+17'],
      [-2.5e-300, '-2.5e-300'],
      [-0, '-0.0'],
    ];
    for (const [x, repr] of cases) expect(pythonFloatRepr(x)).toBe(repr);
  });

  it('keeps the last of duplicate member names, as json.loads does', () => {
    expect(pythonJsonDumpsSortKeys(parseKeepingNumbers('{"a": 1, "a": 2.0}'))).toBe('{"a": 2.0}');
  });
});

describe('input hashes', () => {
  it('RFC 8785 of the same object, whatever its spacing and member order', () => {
    const a = inputHashes(Buffer.from('{"b":2,"a":"x"}'));
    const b = inputHashes(Buffer.from('{ "a" : "x" ,\n "b" : 2.0 }\n'));
    expect(a.rfc8785).toBe(b.rfc8785);
    // sha256 of {"a":"x","b":2}
    expect(a.rfc8785).toBe('768ca668c0f84dd39bf269e25c9a3f0af4812e41026b6fead9a2666078ef16f6');
    expect(a['file-bytes']).not.toBe(b['file-bytes']);
  });

  it('reports a file that is not JSON, with its line, and still hashes its bytes', () => {
    const h = inputHashes(Buffer.from('{"a": 1,\n "b": }'), 'input.json');
    expect(h.rfc8785).toBeNull();
    expect(h['python-json-dumps-sort-keys']).toBeNull();
    expect(h['file-bytes']).toMatch(/^[0-9a-f]{64}$/);
    expect(h.problems).toEqual(['input.json: not valid JSON at line 2 (unexpected character)']);
    expect(() => parseKeepingNumbers('[1, 2', 'x.json')).toThrow('x.json: not valid JSON at line 1');
    expect(() => parseKeepingNumbers('{"a": 1} 2', 'x.json')).toThrow(/text after the JSON value/);
  });
});
