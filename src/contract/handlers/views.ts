import { AuditWsError } from '../../errors.ts';
import type { JsonValue } from '../plain-json.ts';
import { sessionFor } from '../session.ts';
import type { HandlerTable } from '../types.ts';
import { expectParams, requireInteger, requireString } from '../validate.ts';
import type { SavedView } from '../workstation-types.ts';
import { caseParam } from './cases.ts';

interface ViewRow {
  id: number;
  name: string;
  created_at: string;
  actor: string;
  definition: string;
}

const MAX_DEFINITION_CHARS = 64 * 1024;

function fromRow(r: ViewRow): SavedView {
  return {
    id: r.id,
    name: r.name,
    createdAt: r.created_at,
    actor: r.actor,
    definition: JSON.parse(r.definition) as JsonValue,
  };
}

/** Saved explorer views (columns, sort, filters, search) in case.sqlite's saved_views; saving a name again replaces it. */
export const viewsHandlers = {
  'views.list': {
    parse: (params) => ({ case: caseParam('views.list', expectParams('views.list', params, ['case'])) }),
    run: async (params, context) =>
      sessionFor(context).cases.use(params.case, (h) =>
        (h.sqlite.prepare('SELECT * FROM saved_views ORDER BY name').all() as ViewRow[]).map(fromRow),
      ),
  },
  'views.save': {
    parse: (params) => {
      const p = expectParams('views.save', params, ['case', 'name', 'definition']);
      const definition = p.definition;
      if (definition === null || typeof definition !== 'object' || Array.isArray(definition)) {
        throw new AuditWsError('BAD_USAGE', 'views.save: "definition" must be a JSON object', { member: 'definition' });
      }
      if (JSON.stringify(definition).length > MAX_DEFINITION_CHARS) {
        throw new AuditWsError('BAD_USAGE', 'views.save: the view definition is too large', { member: 'definition' });
      }
      return {
        case: caseParam('views.save', p),
        name: requireString('views.save', p, 'name', 200).trim(),
        definition: definition as JsonValue,
      };
    },
    run: async ({ case: c, name, definition }, context) =>
      sessionFor(context).cases.use(c, (h) => {
        h.assertWritable();
        const db = h.sqlite;
        db.transaction(() => {
          db.prepare(
            `INSERT INTO saved_views (name, created_at, actor, definition) VALUES (?, ?, ?, ?)
             ON CONFLICT(name) DO UPDATE SET created_at = excluded.created_at, actor = excluded.actor, definition = excluded.definition`,
          ).run(name, new Date().toISOString(), h.actor, JSON.stringify(definition));
          h.custody('view.saved', { name, definition });
        })();
        return fromRow(db.prepare('SELECT * FROM saved_views WHERE name = ?').get(name) as ViewRow);
      }),
  },
  'views.delete': {
    parse: (params) => {
      const p = expectParams('views.delete', params, ['case', 'id']);
      return { case: caseParam('views.delete', p), id: requireInteger('views.delete', p, 'id', { min: 1 }) };
    },
    run: async ({ case: c, id }, context) =>
      sessionFor(context).cases.use(c, (h) => {
        h.assertWritable();
        const row = h.sqlite.prepare('SELECT * FROM saved_views WHERE id = ?').get(id) as ViewRow | undefined;
        if (!row) throw new AuditWsError('NOT_FOUND', `there is no saved view #${id} in this case`);
        h.sqlite.transaction(() => {
          h.sqlite.prepare('DELETE FROM saved_views WHERE id = ?').run(id);
          h.custody('view.deleted', { name: row.name });
        })();
        return { id };
      }),
  },
} satisfies Partial<HandlerTable>;
