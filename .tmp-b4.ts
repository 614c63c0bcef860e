import { readFileSync, rmSync } from 'node:fs';
import { ArchiveWriter } from './src/archive/writer.ts';
import { fastCanonicalText } from './src/archive/fast-canonical.ts';
import { MerkleBuilder } from './src/archive/merkle.ts';
import { hash } from 'node:crypto';
const line = readFileSync('/tmp/writer-sample.json','utf8').split('\n')[0];
const parsed = JSON.parse(line); const base = Object.fromEntries(Object.entries(parsed).filter(([k]) => !['seq','prevHash','hash'].includes(k)));
const n = 200000;
const recs = Array.from({length: 1000}, (_, i) => JSON.parse(JSON.stringify({...base, decisionId: 'd-'+i})));
const z = '0'.repeat(64);
let t = performance.now();
for (let i=0;i<n;i++){ const r = {...recs[i%1000], seq: i, prevHash: z}; }
console.log('spread', ((performance.now()-t)/n*1000).toFixed(2),'us');
t = performance.now();
for (let i=0;i<n;i++){ fastCanonicalText({...recs[i%1000], seq: i, prevHash: z}); }
console.log('spread+fastCanonical', ((performance.now()-t)/n*1000).toFixed(2),'us');
t = performance.now();
for (let i=0;i<n;i++){ JSON.stringify({...recs[i%1000], seq: i, prevHash: z}); }
console.log('spread+stringify', ((performance.now()-t)/n*1000).toFixed(2),'us');
const mb = new MerkleBuilder(); const hb = Buffer.alloc(32,1);
t = performance.now(); for (let i=0;i<n;i++) mb.add(hb); console.log('merkle add', ((performance.now()-t)/n*1000).toFixed(2),'us');
t = performance.now(); for (let i=0;i<n;i++) Buffer.from(hash('sha256', line, 'hex'),'hex'); console.log('hash+hexbuf', ((performance.now()-t)/n*1000).toFixed(2),'us');
for (const manifest of [false, undefined] as const) {
  rmSync('/tmp/writer-b4', {recursive:true, force:true});
  const w = await ArchiveWriter.create({ dir: '/tmp/writer-b4', streams: [{name:'decisions', kind:'decision'}], manifest, validateRecords: false });
  t = performance.now();
  for (let i=0;i<n;i++) await w.append('decisions', recs[i%1000]);
  await w.close();
  console.log('append manifest=', manifest, ((performance.now()-t)/n*1000).toFixed(2),'us/record');
}
