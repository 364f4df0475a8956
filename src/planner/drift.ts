import type { AclGrant, ObservedPartition, ObservedTable, ParentDress } from '../catalog/types.js';
import type { Policy } from '../config/types.js';
import { program, steps } from '../model/steps.js';
import { replicaIdentitySql, replicaIndexSql, revokeAllSql, ownerSql, setParametersSql } from '../sql/ddl.js';
import type { Action, Problem } from './actions.js';
import { grantStatements, parseReloptions } from './dress.js';

/**
 * partition_drift: existing partitions that differ from their parent where applications notice
 * (owner, grants, replica identity), in storage parameters the policy's template declares, or in
 * tablespace. What is cheap and safe (catalog changes, no rewrite) is repaired, in one short
 * transaction per partition under lock_timeout (drift: repair, the default); a tablespace move
 * rewrites the table and is only reported. Pure.
 */
export function planDrift(policy: Policy, table: ObservedTable, leaving: ReadonlySet<string>): { actions: Action[]; problems: Problem[] } {
  const dress = table.dress;
  const actions: Action[] = [];
  const problems: Problem[] = [];
  if (!dress) return { actions, problems };
  const expected = expectedParameters(policy);
  for (const p of table.partitions) {
    // most partitions: no drift from the catalog, no template to compare storage with
    if (leaving.has(p.name) || p.detachPending || (!p.drift && expected.length === 0)) continue;
    const ref = { schema: p.schema, name: p.name };
    const found = driftOf(p, dress, expected);
    if (found.fixes.length === 0 && found.reported.length === 0) continue;
    const fixes = policy.drift === 'repair' ? found.fixes : [];
    const unrepaired = [...found.reported, ...(policy.drift === 'repair' ? [] : found.fixes.map((f) => f.what))];
    if (unrepaired.length > 0) {
      problems.push({ policy: policy.name, rule: 'partition_drift', partition: p.name, blocking: false, message: `partition ${p.name} differs from its parent: ${unrepaired.join('; ')}` });
    }
    if (fixes.length > 0) {
      actions.push({
        kind: 'repair', policy: policy.name, partition: ref, boundSql: '', bounds: '',
        reason: `drift: ${fixes.map((f) => f.what).join('; ')}`,
        ...program([steps.repair(fixes.flatMap((f) => f.sql(ref)))]),
      });
    }
  }
  return { actions, problems };
}

interface Fix {
  readonly what: string;
  readonly sql: (t: { schema: string; name: string }) => string[];
}

const grantKey = (g: AclGrant) => `${g.grantee ?? ''}:${g.privilege}:${g.grantable}`;
const sameGrants = (a: readonly AclGrant[], b: readonly AclGrant[]) => a.map(grantKey).sort().join(',') === b.map(grantKey).sort().join(',');
const showIdentity = (i: ParentDress['replicaIdentity']) => (i === 'index' ? 'USING INDEX' : i.toUpperCase());

function driftOf(p: ObservedPartition, dress: ParentDress, expected: ReadonlyArray<readonly [string, string]>): { fixes: Fix[]; reported: string[] } {
  const fixes: Fix[] = [];
  const reported: string[] = [];
  const d = p.drift;
  if (d && d.owner !== dress.owner) {
    const what = `owner ${d.owner} (the parent's is ${dress.owner})`;
    if (dress.maySetOwner && dress.ownerCanCreate) fixes.push({ what, sql: (t) => [ownerSql(t, dress.owner)] });
    else reported.push(`${what}; partwarden's role cannot give it to ${dress.owner}`);
  }
  if (d && !sameGrants(d.grants, dress.grants)) {
    // never the parent's owner: once the partition is its own (the owner fix runs first), a REVOKE would take its privileges
    const grantees = [...new Set(d.grants.map((g) => g.grantee))].filter((g) => g !== dress.owner);
    fixes.push({ what: "grants differ from the parent's", sql: (t) => [...grantees.map((g) => revokeAllSql(t, g)), ...grantStatements(t, dress.grants)] });
  }
  if (d && !p.isPartitioned && dress.replicaIdentity !== 'default' && d.replicaIdentity !== dress.replicaIdentity) {
    const what = `replica identity ${showIdentity(d.replicaIdentity)} (the parent's is ${showIdentity(dress.replicaIdentity)})`;
    if (dress.replicaIdentity === 'index' && dress.replicaIndex) fixes.push({ what, sql: (t) => [replicaIndexSql(t, dress.replicaIndex!)] });
    else if (dress.replicaIdentity === 'full' || dress.replicaIdentity === 'nothing') fixes.push({ what, sql: (t) => [replicaIdentitySql(t, dress.replicaIdentity as 'full' | 'nothing')] });
  }
  if (d && !p.isPartitioned && dress.tablespace && d.tablespace !== dress.tablespace) {
    reported.push(`tablespace ${d.tablespace ?? 'pg_default'} (the parent's is ${dress.tablespace}; moving it rewrites the table: ALTER TABLE ... SET TABLESPACE, by hand)`);
  }
  const have = new Map(parseReloptions(p.reloptions ?? []));
  const missing = p.isPartitioned ? [] : expected.filter(([k, v]) => have.get(k) !== v);
  if (missing.length > 0) {
    fixes.push({ what: `storage parameters ${missing.map(([k, v]) => `${k}=${have.get(k) ?? '(unset)'}, the template says ${v}`).join(', ')}`, sql: (t) => [setParametersSql(t, missing)] });
  }
  return { fixes, reported };
}

/**
 * The heap storage parameters the policy itself declares (`template.storage`). A template table,
 * like pg_partman's, and the newest partition only shape new partitions: existing ones keep theirs,
 * so adopting a pg_partman table changes nothing.
 */
function expectedParameters(policy: Policy): ReadonlyArray<readonly [string, string]> {
  return Object.entries(policy.template?.storage ?? {});
}
