// The shared table, key-value list, headline tiles and link button of the renderer (renderer/components/),
// rendered to static markup with react-dom/server: the markup the screens wrote by hand before they shared
// these components is the independent truth, so a screen that switched to them looks and reads the same.
import { createElement as h, type ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { DataTable, type DataColumn } from '../../renderer/components/DataTable.tsx';
import { LinkButton } from '../../renderer/components/LinkButton.tsx';
import { StatGrid, StatTile } from '../../renderer/components/StatGrid.tsx';
import { SummaryList } from '../../renderer/components/SummaryList.tsx';

interface Reviewer {
  id: string | null;
  reviews: number;
  short: number;
}

const reviewers: Reviewer[] = [
  { id: 'rev-05', reviews: 9, short: 8 },
  { id: null, reviews: 2, short: 0 },
];

const reviewerColumns: DataColumn<Reviewer>[] = [
  {
    header: 'Reviewer',
    rowHeader: true,
    cell: (r) => (r.id ? h('button', { type: 'button', className: 'link-button' }, r.id) : '(none)'),
  },
  { header: 'Reviews', num: true, cell: (r) => String(r.reviews) },
  {
    header: 'Short reviews',
    num: true,
    cellClass: (r) => (r.short > r.reviews / 2 ? 'error' : undefined),
    cell: (r) => String(r.short),
  },
  { header: 'Note', cellClass: 'small', dataCol: 'note', cell: (r) => (r.id ? '' : 'no reviewer recorded') },
];

function render(node: ReactNode): string {
  return renderToStaticMarkup(node);
}

describe('DataTable', () => {
  it('writes the markup the screens wrote by hand: headings, row headers, figures, classes and row attributes', () => {
    const html = render(
      h(DataTable<Reviewer>, {
        testId: 'oversight-reviewers',
        rows: reviewers,
        rowKey: (r) => r.id ?? '-',
        rowAttributes: (r) => ({ 'data-reviewer': r.id ?? '', className: r.short > 4 ? 'flag' : undefined }),
        columns: reviewerColumns,
      }),
    );
    expect(html).toBe(
      '<div class="table-wrap"><table data-testid="oversight-reviewers"><thead><tr>' +
        '<th scope="col">Reviewer</th><th scope="col" class="num">Reviews</th>' +
        '<th scope="col" class="num">Short reviews</th><th scope="col">Note</th>' +
        '</tr></thead><tbody>' +
        '<tr data-reviewer="rev-05" class="flag"><th scope="row"><button type="button" class="link-button">rev-05</button></th>' +
        '<td class="num">9</td><td class="num error">8</td><td class="small" data-col="note"></td></tr>' +
        '<tr data-reviewer=""><th scope="row">(none)</th><td class="num">2</td><td class="num">0</td>' +
        '<td class="small" data-col="note">no reviewer recorded</td></tr>' +
        '</tbody></table></div>',
    );
  });

  it('leaves out the columns given as false, heading and cells alike', () => {
    const withOutcomes = (outcomes: boolean) =>
      render(
        h(DataTable<Reviewer>, {
          rows: reviewers,
          rowKey: (r) => r.id ?? '-',
          columns: [reviewerColumns[0], outcomes && reviewerColumns[1], null, undefined, reviewerColumns[2]],
        }),
      );
    const without = withOutcomes(false);
    expect(without).not.toContain('Reviews<');
    expect(without.match(/<th scope="col"/g)).toHaveLength(2);
    expect(without.match(/<td class="num/g)).toHaveLength(2);
    const withIt = withOutcomes(true);
    expect(withIt).toContain('<th scope="col" class="num">Reviews</th>');
    expect(withIt.match(/<td class="num/g)).toHaveLength(4);
  });

  it('puts a caption first, visible or for screen readers only, and draws only the heading for no rows', () => {
    const hidden = render(
      h(DataTable<Reviewer>, {
        caption: 'Cases in this workspace',
        captionHidden: true,
        rows: [],
        rowKey: (r) => r.id ?? '-',
        columns: reviewerColumns,
      }),
    );
    expect(hidden).toMatch(
      /^<div class="table-wrap"><table><caption class="sr-only">Cases in this workspace<\/caption><thead>/,
    );
    expect(hidden).toContain('<tbody></tbody>');
    const visible = render(
      h(DataTable<Reviewer>, { caption: 'Streams', rows: [], rowKey: (r) => r.id ?? '-', columns: reviewerColumns }),
    );
    expect(visible).toContain('<table><caption>Streams</caption><thead>');
  });

  it('adds nothing to the keyboard order: Tab reaches only the controls in its cells', () => {
    const html = render(
      h(DataTable<Reviewer>, { rows: reviewers, rowKey: (r) => r.id ?? '-', columns: reviewerColumns }),
    );
    expect(html).not.toMatch(/tabindex|role=/);
    expect(html.match(/<button/g)).toHaveLength(1);
  });
});

describe('StatGrid', () => {
  it('writes each tile as a link, a button or a plain box, as the overview and oversight screens did', () => {
    const html = render(
      h(
        StatGrid,
        null,
        h(StatTile, {
          href: '#/case/demo/explorer',
          label: 'Records',
          value: '1,234',
          valueTestId: 'total-records',
          note: '240 decision',
        }),
        h(StatTile, { label: 'Override rate', value: '3.7%', note: '1 overrides', onClick: () => undefined }),
        h(StatTile, { label: 'Period', value: '2026-03-01 – 2026-03-03', valueClass: 'small', note: 'UTC' }),
      ),
    );
    expect(html).toBe(
      '<div class="tiles">' +
        '<a class="tile" href="#/case/demo/explorer"><span class="tile-label">Records</span>' +
        '<span class="tile-value" data-testid="total-records">1,234</span><span class="tile-note">240 decision</span></a>' +
        '<button type="button" class="tile"><span class="tile-label">Override rate</span>' +
        '<span class="tile-value">3.7%</span><span class="tile-note">1 overrides</span></button>' +
        '<div class="tile"><span class="tile-label">Period</span>' +
        '<span class="tile-value small">2026-03-01 – 2026-03-03</span><span class="tile-note">UTC</span></div>' +
        '</div>',
    );
  });
});

describe('SummaryList and LinkButton', () => {
  it('writes the key-value table the record drawer, timeline and inspection wrote, leaving out false items', () => {
    const html = render(
      h(SummaryList, {
        className: 'fields',
        items: [
          { label: 'prediction', value: h('strong', null, 'approve') },
          false,
          { key: 'alternative 0', label: 'alternative', value: 'deny' },
          { key: 'alternative 1', label: 'alternative', value: 'refer' },
        ],
      }),
    );
    expect(html).toBe(
      '<table class="key-value fields"><tbody>' +
        '<tr><th scope="row">prediction</th><td><strong>approve</strong></td></tr>' +
        '<tr><th scope="row">alternative</th><td>deny</td></tr>' +
        '<tr><th scope="row">alternative</th><td>refer</td></tr>' +
        '</tbody></table>',
    );
    expect(
      render(h(SummaryList, { wrap: true, caption: 'Archive', items: [{ label: 'Container', value: 'zip' }] })),
    ).toBe(
      '<div class="table-wrap"><table class="key-value"><caption>Archive</caption><tbody>' +
        '<tr><th scope="row">Container</th><td>zip</td></tr></tbody></table></div>',
    );
  });

  it('writes a link button as the screens did', () => {
    expect(render(h(LinkButton, { onClick: () => undefined, children: 'Open the record' }))).toBe(
      '<button type="button" class="link-button">Open the record</button>',
    );
  });
});
