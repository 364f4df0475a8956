import { describe, expect, it } from 'vitest';
import {
  addDefaultGuardSql, attachSql, createLikeSql, createPartitionedLikeSql, detachSql, dropConstraintSql, dropSql, finalizeSql, grantSql, moveAllRowsWhereSql, moveRowsSql, ownerSql, rangeBoundSql,
  replicaIdentitySql, replicaIndexSql, validateConstraintSql,
} from '../../src/sql/ddl.js';
import { distributeColocatedSql } from '../../src/sql/citus.js';
import { dressStatements, grantStatements, ownerFix } from '../../src/planner/dress.js';
import { copyInSql, copyOptionsSql, copyOutSql, lockTableSql } from '../../src/sql/copy.js';
import { anyRowSql, boundedCountSql, holdsRowsSql, matchesSql, maxKeysSql } from '../../src/sql/catalog.js';
import {
  addAuditColumnsSql, archiveBackoffSql, createJournalIndexSql, createJournalSchemaSql, createJournalSql, journalFinishSql, journalStartSql, journalTable, openWorkSql, stepLiteral, unfinishedUploadsSql,
} from '../../src/sql/journal.js';

const parent = { schema: 'public', name: 'events' };
const child = { schema: 'public', name: 'events_p20240101' };

describe('SQL builders', () => {
  it('creates partitions with LIKE + ATTACH, never PARTITION OF', () => {
    expect(createLikeSql(child, parent)).toBe('CREATE TABLE "public"."events_p20240101" (LIKE "public"."events" INCLUDING ALL EXCLUDING IDENTITY)');
    expect(attachSql(parent, child, rangeBoundSql("'2024-01-01'::date", "'2024-01-02'::date"))).toBe(
      `ALTER TABLE "public"."events" ATTACH PARTITION "public"."events_p20240101" FOR VALUES FROM ('2024-01-01'::date) TO ('2024-01-02'::date)`,
    );
  });

  it('detaches concurrently or plainly, finalizes, drops', () => {
    expect(detachSql(parent, child, true)).toBe('ALTER TABLE "public"."events" DETACH PARTITION "public"."events_p20240101" CONCURRENTLY');
    expect(detachSql(parent, child, false)).toBe('ALTER TABLE "public"."events" DETACH PARTITION "public"."events_p20240101"');
    expect(finalizeSql(parent, child)).toBe('ALTER TABLE "public"."events" DETACH PARTITION "public"."events_p20240101" FINALIZE');
    expect(dropSql(child)).toBe('DROP TABLE "public"."events_p20240101"');
  });

  it('every builder returns exactly one statement (DETACH CONCURRENTLY refuses multi-statement strings)', () => {
    const all = [
      createLikeSql(child, parent), attachSql(parent, child, 'FOR VALUES FROM (1) TO (2)'), detachSql(parent, child, true),
      finalizeSql(parent, child), dropSql(child),
      moveRowsSql({ schema: 'public', name: 'events_default' }, child, 'ts', '1', '2', ['a', 'b'], 100),
      addDefaultGuardSql(child, 'c', '"ts" >= 1 AND "ts" < 2'), validateConstraintSql(child, 'c'), dropConstraintSql(child, 'c'),
    ];
    for (const s of all) expect(s.includes(';')).toBe(false);
  });

  it('guards a DEFAULT with a NOT VALID CHECK, validated and dropped by name (quoted)', () => {
    const def = { schema: 'Sales "EU"', name: 'events default' };
    expect(addDefaultGuardSql(def, 'partwarden_pending_1', `"ts" >= 'a' AND "ts" < 'b'`)).toBe(
      `ALTER TABLE "Sales ""EU"""."events default" ADD CONSTRAINT "partwarden_pending_1" CHECK (NOT ("ts" >= 'a' AND "ts" < 'b')) NOT VALID`,
    );
    expect(validateConstraintSql(def, 'partwarden_pending_1')).toBe('ALTER TABLE "Sales ""EU"""."events default" VALIDATE CONSTRAINT "partwarden_pending_1"');
    expect(dropConstraintSql(def, 'partwarden_pending_1')).toBe('ALTER TABLE "Sales ""EU"""."events default" DROP CONSTRAINT IF EXISTS "partwarden_pending_1"');
  });

  it('moves rows from DEFAULT with DELETE ... RETURNING feeding INSERT in one statement', () => {
    expect(moveRowsSql({ schema: 'public', name: 'events_default' }, child, 'occurred at', "'a'", "'b'", ['id', 'occurred at'], 500)).toBe(
      'WITH moved AS (DELETE FROM "public"."events_default" WHERE ctid = ANY (ARRAY(SELECT ctid FROM "public"."events_default" ' +
        `WHERE "occurred at" >= 'a' AND "occurred at" < 'b' LIMIT 500 FOR UPDATE)) RETURNING "id", "occurred at") ` +
        'INSERT INTO "public"."events_p20240101" ("id", "occurred at") OVERRIDING SYSTEM VALUE SELECT "id", "occurred at" FROM moved',
    );
  });
  it('Citus: every matching row in one statement, and the new table distributed like its parent unless it already is', () => {
    const def = { schema: 'Sales "EU"', name: 'events default' };
    expect(moveAllRowsWhereSql(def, child, `"region" IN ('EU')`, ['Tenant Id', 'region'])).toBe(
      `WITH moved AS (DELETE FROM "Sales ""EU"""."events default" WHERE "region" IN ('EU') RETURNING "Tenant Id", "region") ` +
        'INSERT INTO "public"."events_p20240101" ("Tenant Id", "region") OVERRIDING SYSTEM VALUE SELECT "Tenant Id", "region" FROM moved',
    );
    expect(distributeColocatedSql({ schema: 'Sales "EU"', name: "it's" }, 'Tenant "Id"', { schema: 'Sales "EU"', name: 'events' })).toBe(
      `SELECT create_distributed_table('"Sales ""EU"""."it''s"', 'Tenant "Id"', colocate_with => '"Sales ""EU"""."events"') ` +
        `WHERE NOT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = '"Sales ""EU"""."it''s"'::regclass)`,
    );
  });
});

describe('COPY and LOCK builders (what plan prints is what the export and the drop run)', () => {
  const odd = { schema: 'Sales "EU"', name: 'Évents 📈' };
  it('exports named columns, or through a query for a partitioned table; restores with the recorded options', () => {
    expect(copyOptionsSql('csv')).toBe('(FORMAT csv, HEADER true)');
    expect(copyOptionsSql('binary')).toBe('(FORMAT binary)');
    expect(copyOutSql(child, ['id', 'Occurred At'], 'csv', false)).toBe('COPY "public"."events_p20240101" ("id", "Occurred At") TO STDOUT (FORMAT csv, HEADER true)');
    expect(copyOutSql(odd, ['id'], 'binary', true)).toBe('COPY (SELECT "id" FROM "Sales ""EU"""."Évents 📈") TO STDOUT (FORMAT binary)');
    expect(copyInSql(odd, ['id', 'v'], '(FORMAT csv, HEADER true)')).toBe('COPY "Sales ""EU"""."Évents 📈" ("id", "v") FROM STDIN (FORMAT csv, HEADER true)');
    expect(lockTableSql(child, 'SHARE')).toBe('LOCK TABLE "public"."events_p20240101" IN SHARE MODE');
    expect(lockTableSql(child, 'ACCESS EXCLUSIVE')).toBe('LOCK TABLE "public"."events_p20240101" IN ACCESS EXCLUSIVE MODE');
  });
});

describe('catalog lookups (one UNION ALL branch per table)', () => {
  const def = { schema: 'public', name: 'events_default' };
  it('reads the current point below the newest upper bound, and the DEFAULT max apart', () => {
    expect(maxKeysSql(3, parent, 'Id', "'300000'", def)).toBe(
      `SELECT 3 AS i, (SELECT max("Id") FROM "public"."events" WHERE "Id" < '300000')::text AS m, (SELECT max("Id") FROM "public"."events_default")::text AS d`,
    );
    expect(maxKeysSql(0, parent, 'id', undefined, undefined)).toBe('SELECT 0 AS i, NULL::text AS m, NULL::text AS d');
  });
  it('asks whether partitions hold rows, counts DEFAULT rows up to a bound, matches predicates', () => {
    expect(anyRowSql({ schema: 'public', name: 'Évents' })).toBe('SELECT 1 FROM "public"."Évents" LIMIT 1');
    expect(holdsRowsSql({ schema: 'public', name: "it's" })).toBe(`SELECT 'public'::text AS s, 'it''s'::text AS n, EXISTS (SELECT 1 FROM "public"."it's") AS has`);
    expect(boundedCountSql(1, def, 100000)).toBe('SELECT 1 AS i, (SELECT count(*) FROM (SELECT 1 FROM "public"."events_default" LIMIT 100001) s)::int8 AS n');
    expect(matchesSql(def, ['"a" = 1', '"a" = 2'])).toBe(
      'SELECT 0 AS i WHERE EXISTS (SELECT 1 FROM "public"."events_default" WHERE "a" = 1) UNION ALL SELECT 1 AS i WHERE EXISTS (SELECT 1 FROM "public"."events_default" WHERE "a" = 2)',
    );
  });
});

describe('journal statements (the audit trail and the record resume reads)', () => {
  const t = journalTable('Part "Warden"');
  it('lives in the quoted state schema, created only when missing', () => {
    expect(t).toBe('"Part ""Warden""".journal');
    expect(createJournalSchemaSql('Part "Warden"')).toBe('CREATE SCHEMA IF NOT EXISTS "Part ""Warden"""');
    expect(createJournalSql(t)).toMatch(/^CREATE TABLE IF NOT EXISTS "Part ""Warden""".journal \(\n  id bigserial PRIMARY KEY,\n  action_id uuid NOT NULL,/);
    expect(createJournalIndexSql(t)).toBe(`CREATE INDEX IF NOT EXISTS journal_open_idx ON "Part ""Warden""".journal (policy, action_id) WHERE status = 'done'`);
    expect(addAuditColumnsSql(t)).toBe(
      'ALTER TABLE "Part ""Warden""".journal ADD COLUMN IF NOT EXISTS bounds text, ADD COLUMN IF NOT EXISTS reason text, ADD COLUMN IF NOT EXISTS rows_exact boolean, ADD COLUMN IF NOT EXISTS storage_key text',
    );
  });
  it('writes every value as a parameter', () => {
    expect(journalStartSql(t)).toBe(
      `INSERT INTO "Part ""Warden""".journal (action_id, run_id, policy, parent_schema, parent_table, partition_schema, partition_name, relid, action, step, final, bound_sql, sql, status, bounds, reason, storage_key)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'running', $14, $15, $16) RETURNING id`,
    );
    expect(journalFinishSql(t)).toMatch(/^UPDATE "Part ""Warden""".journal SET status = \$2, attempts = \$3, .* WHERE id = \$1$/s);
  });
  it('resumes by step name: the names in the SQL are the typed StepNames', () => {
    const sql = openWorkSql(t);
    for (const s of ['create-table', 'detach', 'export', 'drop'] as const) expect(sql).toContain(`j.step = ${stepLiteral(s)}`);
    expect(archiveBackoffSql(t)).toContain(`step IN ('export', 'verify', 'manifest')`);
    expect(unfinishedUploadsSql(t)).toContain(`step = 'export' AND status <> 'done'`);
  });
});

describe('what a new partition carries from its parent (planner/dress.ts)', () => {
  const odd = { schema: 'Sales', name: 'Évents 2026' };
  it('places it like PARTITION OF would: access method, tablespace', () => {
    expect(createLikeSql(child, parent, { tablespace: 'fast space', accessMethod: 'heap2' })).toBe(
      'CREATE TABLE "public"."events_p20240101" (LIKE "public"."events" INCLUDING ALL EXCLUDING IDENTITY) USING "heap2" TABLESPACE "fast space"',
    );
    expect(createPartitionedLikeSql(child, parent, 'hash', 'tenant', { tablespace: 'fast' })).toBe(
      'CREATE TABLE "public"."events_p20240101" (LIKE "public"."events" INCLUDING ALL EXCLUDING IDENTITY) PARTITION BY HASH ("tenant") TABLESPACE "fast"',
    );
  });
  it('owner, grants (PUBLIC included), replica identity', () => {
    expect(ownerSql(odd, 'App Owner')).toBe('ALTER TABLE "Sales"."Évents 2026" OWNER TO "App Owner"');
    expect(grantSql(odd, ['SELECT'], null, false)).toBe('GRANT SELECT ON TABLE "Sales"."Évents 2026" TO PUBLIC');
    expect(replicaIdentitySql(odd, 'full')).toBe('ALTER TABLE "Sales"."Évents 2026" REPLICA IDENTITY FULL');
    expect(grantStatements(odd, [
      { grantee: 'writer', privilege: 'INSERT', grantable: true }, { grantee: 'reporting', privilege: 'SELECT', grantable: false },
      { grantee: 'writer', privilege: 'SELECT', grantable: true }, { grantee: 'writer', privilege: 'TRUNCATE', grantable: false },
    ])).toEqual([
      'GRANT SELECT ON TABLE "Sales"."Évents 2026" TO "reporting"',
      'GRANT TRUNCATE ON TABLE "Sales"."Évents 2026" TO "writer"',
      'GRANT SELECT, INSERT ON TABLE "Sales"."Évents 2026" TO "writer" WITH GRANT OPTION',
    ]);
  });
  it('REPLICA IDENTITY USING INDEX: one DO block, literals escaped, failing when no index matches', () => {
    const sql = replicaIndexSql({ schema: 'public', name: "it's" }, { schema: 'public', name: 'ev_ident' });
    expect(sql).toMatch(/^DO \$partwarden\$ .* END \$partwarden\$$/);
    expect(sql).toContain(`i.indrelid = '"public"."it''s"'::regclass`);
    expect(sql).toContain(`RAISE EXCEPTION 'no index of % matches the replica identity index %'`);
    expect(sql).toContain(`EXECUTE format('ALTER TABLE %s REPLICA IDENTITY USING INDEX %I', '"public"."it''s"', idx)`);
  });
  it('asks for nothing when the parent needs nothing carried, and never gives the table to an owner it cannot', () => {
    const dress = { owner: 'app', currentRole: 'app', maySetOwner: true, ownerCanCreate: true, grants: [], replicaIdentity: 'default' as const };
    expect(dressStatements(child, dress)).toEqual([]);
    expect(dressStatements(child, { ...dress, currentRole: 'pw' })).toEqual(['ALTER TABLE "public"."events_p20240101" OWNER TO "app"']);
    expect(dressStatements(child, { ...dress, currentRole: 'pw', ownerCanCreate: false })).toEqual([]);
    expect(ownerFix({ ...dress, currentRole: 'pw', maySetOwner: false, ownerCanCreate: false }, 'Sales')).toBe(
      `new partitions cannot be given the table's owner app by pw (they stay pw's); fix: GRANT "app" TO "pw"; GRANT CREATE ON SCHEMA "Sales" TO "app"`,
    );
  });
});

describe('drift repairs (planner/drift.ts)', () => {
  it('sets owner first, never revokes from the owner, and grants what the parent has', async () => {
    const { planDrift } = await import('../../src/planner/drift.js');
    const dress = { owner: 'app', currentRole: 'postgres', maySetOwner: true, ownerCanCreate: true, grants: [{ grantee: 'reporting', privilege: 'SELECT', grantable: false }], replicaIdentity: 'full' as const };
    const part = {
      oid: 1, schema: 'public', name: 'events_p1', boundExpr: "FOR VALUES FROM ('2024-01-01') TO ('2024-01-02')", isDefault: false, detachPending: false, isPartitioned: false, estimatedRows: 0,
      drift: { owner: 'postgres', grants: [{ grantee: 'app', privilege: 'SELECT', grantable: false }, { grantee: null, privilege: 'SELECT', grantable: false }], replicaIdentity: 'default' as const },
    };
    const table = { exists: true, oid: 9, relkind: 'p', strategy: 'range' as const, keyColumns: [], columns: [], partitions: [part], canManage: true, canCreateInSchema: true, referencedBy: [], dress };
    const policy = { name: 'events', drift: 'repair' } as unknown as Parameters<typeof planDrift>[0];
    const { actions, problems } = planDrift(policy, table, new Set());
    expect(problems).toEqual([]);
    expect(actions[0]!.sql).toEqual([
      'ALTER TABLE "public"."events_p1" OWNER TO "app"',
      'REVOKE ALL ON TABLE "public"."events_p1" FROM PUBLIC',
      'GRANT SELECT ON TABLE "public"."events_p1" TO "reporting"',
      'ALTER TABLE "public"."events_p1" REPLICA IDENTITY FULL',
    ]);
    expect(actions[0]!.reason).toBe("drift: owner postgres (the parent's is app); grants differ from the parent's; replica identity DEFAULT (the parent's is FULL)");
  });
});
