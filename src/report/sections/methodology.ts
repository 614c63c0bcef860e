/** Methodology and limits: how each figure was obtained and what the report cannot show. */
import type { ReportContext } from '../context.ts';
import { html, join } from '../html-kit.ts';
import type { Html } from '../html-kit.ts';
import { REPORT_DATA_RULE } from './appendix.ts';
import type { AnomaliesData } from './anomalies.ts';

export interface MethodologyData {
  sections: { title: string; paragraphs: string[] }[];
  limits: string[];
}

export function collectMethodology(ctx: ReportContext, anomalies: AnomaliesData): MethodologyData {
  const anomalyParams = anomalies.results
    .map(
      (r) =>
        `${r.id} (${
          Object.entries(r.params)
            .map(([k, v]) => `${k} = ${String(v)}`)
            .join(', ') || 'no parameters'
        })`,
    )
    .join('; ');
  return {
    sections: [
      {
        title: 'Sources',
        paragraphs: [
          'Archives in the AI audit archive format v1 were imported into the case. Every source file was opened read-only; its SHA-256 and size were recorded when it was read (appendix) and in the custody log. Records were loaded as written: each keeps its source file and line (JSONL) or row (Parquet), and its exact text for re-hashing.',
        ],
      },
      {
        title: 'Integrity',
        paragraphs: [
          'Each record hash was re-computed with jcs-sha256-v1 (the record without `hash` and without null members, serialised by RFC 8785 JSON Canonicalization, SHA-256). Each record was checked to link to its predecessor (prevHash) and to follow it in sequence. Each checkpoint was checked for its count, its head hash, its RFC 6962 Merkle root over the records it covers, and its link to the previous checkpoint.',
          "Checkpoint signatures (Ed25519, ECDSA P-256 or RSA PKCS#1 v1.5 with SHA-256) were verified over the exact bytes of the checkpoint file; only keys the investigator pinned are trusted. RFC 3161 time-stamps were verified for their message imprint, their signature, and the TSA certificate chain to an anchor the investigator supplied, judged at the token's genTime. The S3 manifest was checked for sizes, checksums (CRC32, CRC32C, CRC64NVME, SHA-1, SHA-256, full-object and composite), ETags, Object Lock mode and retention.",
        ],
      },
      {
        title: 'Record-keeping coverage',
        paragraphs: [
          "For every decision-log member, the share of decisions in which it is present and not null. The assignment of members to the purposes of Article 12(2)(a)-(c) is this workstation's reading of the Act, which names no fields; a reader may weigh the members differently from the per-member table.",
        ],
      },
      {
        title: 'Human oversight, anomalies, fairness and timelines',
        paragraphs: [
          "These sections are the results of the workstation's investigation queries (the same code the `audit-ws oversight`, `anomalies`, `fairness` and `timeline` commands run, with the same defaults), over the records as imported, with each result's verification status. Anomaly filters and parameters: " +
            anomalyParams +
            '.',
          'Fairness: per group of the chosen attribute, the selection rate (share of the chosen positive prediction) and, where outcomes exist, TPR, FPR, FNR and precision, each with a Wilson 95% interval; the ratio to the reference group is compared with the four-fifths rule (0.8) and the 0.8-1.25 band. Groups below the minimum size are flagged and counted, not dropped; records without the attribute are counted.',
        ],
      },
      {
        title: 'This report',
        paragraphs: [
          `findings.json holds the facts of this report for machines; the PDF and HTML are rendered from the same data. Its digest in the appendix is the ${REPORT_DATA_RULE}.`,
          ctx.scope
            ? 'This report belongs to an evidence package: record-level listings are limited to the packaged decisions, and custody entries that name other records are shown without their details.'
            : 'This report covers the whole case.',
        ],
      },
    ],
    limits: [
      'Integrity is proven against the checkpoints and keys the archives carry and the investigator trusts. Records no checkpoint covers are only as trustworthy as their own chain; a signature that verifies only with a key shipped in the archive proves consistency, not origin.',
      'Certificate revocation (OCSP, CRL) is not checked: verification runs offline.',
      'Completeness is established up to the last checkpoint and the manifest; records a producer never logged cannot be detected.',
      'The custody log is a hash chain: an edit, a deletion or an insertion inside it is detected, but removing its newest entries is only detected against a head hash quoted elsewhere (this report quotes it).',
      "Times are as the records state them; the producer's clock is not verified except where RFC 3161 time-stamps bound the checkpoints.",
      'Statistical results describe the records in the case; they do not by themselves establish cause, and small groups have wide intervals.',
    ],
  };
}

export function renderMethodology(d: MethodologyData, n: number): Html {
  return html`<section id="methodology">
    <h2>${n}. Methodology and limits</h2>
    ${join(
      d.sections.map(
        (s) =>
          html`<h3>${s.title}</h3>
            ${join(s.paragraphs.map((p) => html`<p>${p}</p>`))}`,
      ),
    )}
    <h3>Limits</h3>
    <ul>
      ${join(d.limits.map((l) => html`<li>${l}</li>`))}
    </ul>
  </section>`;
}
