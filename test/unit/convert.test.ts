import { describe, expect, it } from 'vitest';
import type { PlainIndex, PlainTable } from '../../src/catalog/plain-table.js';
import type { RangePolicy } from '../../src/config/types.js';
import { convertNames, fitName, PARENT_MARKER } from '../../src/planner/convert-names.js';
import { planConvert, type ConvertInputs } from '../../src/planner/convert-plan.js';
import {
  addForeignKeyNotValidSql, carrySequenceSql, constraintUsingIndexSql, createIndexConcurrentlySql, createParentSql, createPolicySql, lockTablesSql, replaceViewSql,
  copyRowsSql, rowsArrivedSql, triggerStateSql, withinBoundsSql,
} from '../../src/sql/convert-ddl.js';
import { keyStatsSql } from '../../src/sql/convert-catalog.js';
import { parseCalendarInterval } from '../../src/time/duration.js';

const ev = { schema: 'public', name: 'Events' };

describe('convert SQL', () => {
  it('quotes every name and escapes every value', () => {
    expect(createIndexConcurrentlySql('ev_pkey_pw_wide', ev, ['id', 'ts'])).toBe('CREATE UNIQUE INDEX CONCURRENTLY "ev_pkey_pw_wide" ON "public"."Events" USING btree ("id", "ts")');
    expect(withinBoundsSql('Created At', "'2026-11-01 00:00:00+00'::timestamptz", "'2026-12-03 00:00:00+00'::timestamptz")).toBe(
      `"Created At" IS NOT NULL AND "Created At" >= '2026-11-01 00:00:00+00'::timestamptz AND "Created At" < '2026-12-03 00:00:00+00'::timestamptz`,
    );
    expect(createParentSql({ schema: 'public', name: 'Events_pw_new' }, ev, 'ts')).toBe(
      'CREATE TABLE "public"."Events_pw_new" (LIKE "public"."Events" INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING IDENTITY INCLUDING STORAGE INCLUDING COMPRESSION INCLUDING COMMENTS) PARTITION BY RANGE ("ts")',
    );
    expect(carrySequenceSql({ schema: 'public', name: 'Events_pw_new' }, 'id', { schema: 'public', name: "Events_id_seq" })).toBe(
      `SELECT setval(pg_get_serial_sequence('"public"."Events_pw_new"', 'id'), coalesce(pg_sequence_last_value('"public"."Events_id_seq"'::regclass), s.seqstart), pg_sequence_last_value('"public"."Events_id_seq"'::regclass) IS NOT NULL) FROM pg_sequence s WHERE s.seqrelid = '"public"."Events_id_seq"'::regclass`,
    );
    expect(lockTablesSql([ev, { schema: 'app', name: 'notes' }])).toBe('LOCK TABLE "public"."Events", "app"."notes" IN ACCESS EXCLUSIVE MODE');
    expect(constraintUsingIndexSql(ev, 'Events_history_pkey', true, 'Events_pkey_pw_wide', true, false)).toBe(
      'ALTER TABLE "public"."Events" ADD CONSTRAINT "Events_history_pkey" PRIMARY KEY USING INDEX "Events_pkey_pw_wide" DEFERRABLE INITIALLY IMMEDIATE',
    );
    expect(replaceViewSql({ schema: 'public', name: 'recent' }, ['security_barrier=true', 'check_option=local'], ' SELECT id\n   FROM "Events";')).toBe(
      `CREATE OR REPLACE VIEW "public"."recent" WITH (security_barrier = 'true', check_option = 'local') AS SELECT id\n   FROM "Events"`,
    );
    expect(createPolicySql(ev, { name: "it's mine", permissive: 'RESTRICTIVE', cmd: 'SELECT', roles: ['public', 'Reader'], qual: '(account < 5)', withCheck: null })).toBe(
      `CREATE POLICY "it's mine" ON "public"."Events" AS RESTRICTIVE FOR SELECT TO PUBLIC, "Reader" USING ((account < 5))`,
    );
    expect(addForeignKeyNotValidSql(ev, 'fk', 'FOREIGN KEY (a) REFERENCES x(a) NOT VALID')).toBe('ALTER TABLE "public"."Events" ADD CONSTRAINT "fk" FOREIGN KEY (a) REFERENCES x(a) NOT VALID');
    expect(triggerStateSql(ev, 't', 'D')).toBe('ALTER TABLE "public"."Events" DISABLE TRIGGER "t"');
    expect(triggerStateSql(ev, 't', 'O')).toBeUndefined();
    // undo after the swap: the rows written since, copied with their identity values, then the proof they all arrived
    const hist = { schema: 'public', name: 'Events_history' };
    expect(copyRowsSql(ev, hist, ['id', 'Created At'])).toBe('INSERT INTO "public"."Events_history" ("id", "Created At") OVERRIDING SYSTEM VALUE SELECT "id", "Created At" FROM "public"."Events"');
    expect(rowsArrivedSql(ev, hist, '"ts" >= 1 AND "ts" < 2')).toBe(
      `DO $partwarden$ BEGIN IF (SELECT count(*) FROM "public"."Events") <> (SELECT count(*) FROM "public"."Events_history" WHERE NOT ("ts" >= 1 AND "ts" < 2)) ` +
        `THEN RAISE EXCEPTION 'not every row of % reached %; nothing is changed', '"public"."Events"', '"public"."Events_history"'; END IF; END $partwarden$`,
    );
    // the output column is not named like the key: ORDER BY sorts by the column, not by its text
    expect(keyStatsSql(ev, 'Seq No', false)).toBe(
      'SELECT (SELECT "Seq No"::text AS k FROM "public"."Events" WHERE "Seq No" IS NOT NULL ORDER BY "public"."Events"."Seq No" ASC LIMIT 1) AS lo, ' +
        '(SELECT "Seq No"::text AS k FROM "public"."Events" WHERE "Seq No" IS NOT NULL ORDER BY "public"."Events"."Seq No" DESC LIMIT 1) AS hi, ' +
        'EXISTS (SELECT 1 FROM "public"."Events" WHERE "Seq No" IS NULL) AS nulls',
    );
  });

  it('work names fit in 63 bytes, never split a character, and stay apart', () => {
    const long = 'é'.repeat(40); // 80 bytes
    const a = fitName(long, '_pw_new');
    expect(Buffer.byteLength(a)).toBeLessThanOrEqual(63);
    expect(a.endsWith('_pw_new')).toBe(true);
    expect(a).not.toMatch(/\uFFFD/);
    expect(fitName(long + 'x', '_pw_new')).not.toBe(a);
    const n = convertNames('events');
    expect([n.tempParent, n.history, n.widened('events_pkey'), n.historyIndex('events_pkey'), n.historyIndex('by_account')]).toEqual([
      'events_pw_new', 'events_history', 'events_pkey_pw_wide', 'events_history_pkey', 'events_history_by_account',
    ]);
  });
});

const policy: RangePolicy = {
  name: 'events', origin: { file: 'p.yaml', line: 1, col: 1 }, database: 'main', table: { schema: 'public', name: 'events' }, strategy: 'range',
  range: { column: 'ts', interval: { kind: 'calendar', interval: parseCalendarInterval('1 day')! }, premake: 2, timezone: 'UTC' },
  default: { create: false, maxRows: 0, relocate: false, relocateBatchRows: 100 }, health: { probes: [], maxShards: 10000 }, analyze: { parent: false, minIntervalMs: 0 }, drift: 'repair',
};

const pk: PlainIndex = {
  name: 'events_pkey', unique: true, primary: true, valid: true, replicaIdentity: false, constraint: 'events_pkey', contype: 'p', deferrable: false, deferred: false,
  columns: ['id'], partial: false, expressions: false, tail: 'btree (id)', condef: 'PRIMARY KEY (id)', simple: true,
};

function plain(extra: Partial<PlainTable> = {}): PlainTable {
  return {
    oid: 1, relkind: 'r', persistence: 'p', owner: 'app', currentRole: 'app', canManage: true, canCreateInSchema: true, serverVersionNum: 180000, comment: null,
    replicaIdentity: 'd', rls: false, rlsForced: false, grants: [],
    columns: [
      { name: 'id', type: 'bigint', notNull: true, identity: 'a', generated: '', comment: null, sequence: { schema: 'public', name: 'events_id_seq' }, grants: [] },
      { name: 'ts', type: 'timestamp with time zone', notNull: true, identity: '', generated: '', comment: null, sequence: null, grants: [] },
    ],
    indexes: [pk], checks: [], outgoing: [], incoming: [], triggers: [], policies: [], views: [], rules: [], functions: [], publications: [], subscriptions: [],
    children: [], parents: [], statistics: [], historyTaken: false, partitions: [], ...extra,
  };
}

const NOW = Date.parse('2026-12-01T16:30:00Z');
const inputs = (extra: Partial<ConvertInputs> = {}): ConvertInputs => ({
  policy, table: plain(), keyType: 'timestamptz', stats: { lo: '2026-11-01 10:00:00+00', hi: '2026-12-01 16:29:59.123456+00', nulls: false }, nowMs: NOW, names: convertNames('events'), ...extra,
});

describe('convert plan', () => {
  it('chooses a cutoff a day and an interval ahead; the historical partition spans from the oldest key', () => {
    const p = planConvert(inputs());
    expect(p.refusals).toEqual([]);
    expect(p.boundSql).toBe("FOR VALUES FROM ('2026-11-01 00:00:00+00'::timestamptz) TO ('2026-12-03 00:00:00+00'::timestamptz)");
    expect(p.steps.map((s) => s.name)).toEqual(['convert-index', 'convert-parent', 'convert-check', 'convert-validate', 'convert-swap', 'convert-finish']);
    expect(p.warnings).toEqual([expect.stringMatching(/^PRIMARY KEY events_pkey \(id\) becomes \(id, ts\)/)]);
    expect(p.summary[2]).toBe('new partitions: events_p20261203 [2026-12-03 00:00:00+00, 2026-12-04 00:00:00+00)');
  });

  it('future keys push the cutoff beyond them; --cutoff must be a boundary above every key', () => {
    expect(planConvert(inputs({ stats: { lo: null, hi: '2026-12-20 08:00:00+00', nulls: false } })).boundSql).toMatch(/TO \('2026-12-22 00:00:00\+00'::timestamptz\)$/);
    expect(planConvert(inputs({ cutoff: '2026-12-10' })).boundSql).toMatch(/TO \('2026-12-10 00:00:00\+00'::timestamptz\)$/);
    expect(planConvert(inputs({ cutoff: '2026-12-10 06:00' })).refusals).toEqual([expect.stringMatching(/not a boundary .* nearest are 2026-12-10 00:00:00\+00 and 2026-12-11/)]);
    expect(planConvert(inputs({ cutoff: '2026-11-20' })).refusals).toEqual([expect.stringMatching(/not above the largest ts/)]);
  });

  it('resumes with the bounds the conversion under way chose, and skips what the catalog shows done', () => {
    const temp = { schema: 'public', name: 'events_pw_new', partitioned: true, partitions: [], comment: `${PARENT_MARKER}FOR VALUES FROM ('2026-10-01 00:00:00+00') TO ('2026-12-02 00:00:00+00')` };
    const wide: PlainIndex = { ...pk, name: 'events_pkey_pw_wide', primary: false, constraint: null, contype: null, columns: ['id', 'ts'], condef: null };
    const t = plain({ tempParent: temp, indexes: [pk, wide], checks: [{ name: 'partwarden_convert_bound', def: 'CHECK (...)', validated: true, comment: null, noInherit: false }] });
    const p = planConvert(inputs({ table: t, nowMs: Date.parse('2026-11-30T12:00:00Z'), stats: { lo: '2026-11-01 10:00:00+00', hi: '2026-11-30 11:00:00+00', nulls: false } }));
    expect(p.refusals).toEqual([]);
    expect(p.boundSql).toBe("FOR VALUES FROM ('2026-10-01 00:00:00+00'::timestamptz) TO ('2026-12-02 00:00:00+00'::timestamptz)");
    expect(p.steps.map((s) => s.name)).toEqual(['convert-swap', 'convert-finish']);
    // a day later the chosen cutoff is less than an interval away: the CHECK would soon refuse rows
    const late = planConvert(inputs({ table: t, nowMs: Date.parse('2026-12-01T12:00:00Z') }));
    expect(late.refusals).toEqual([expect.stringMatching(/chose the cutoff 2026-12-02 00:00:00\+00, which is less than an interval away.*partwarden convert --undo starts over \(it drops events_pw_new and the constraint partwarden_convert_bound\)/)]);
  });
});
