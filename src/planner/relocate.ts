import type { ObservedTable } from '../catalog/types.js';
import { program, steps, type Step } from '../model/steps.js';
import { CITUS_SEQUENTIAL_SQL, distributeColocatedSql } from '../sql/citus.js';
import { analyzeSql, moveAllRowsWhereSql, moveRowsWhereSql } from '../sql/ddl.js';
import type { PartitionRef } from './actions.js';

/** How the rows of a new partition's range leave DEFAULT. */
export interface RowMove {
  /** One batch (or, on Citus, all of them): repeated until it moves no row. */
  readonly moveSql: string;
  /** Statements that make the new, empty table ready to receive them (in CREATE's transaction). */
  readonly prepareSql: readonly string[];
  /** First in the transaction that moves the last rows and attaches (prepareSql again, a no-op unless a run that predates it left the table). */
  readonly drainSetup: readonly string[];
  /** Said in the action's reason. */
  readonly how: string;
}

/** Columns a row move writes (generated columns are recomputed). */
const insertable = (t: ObservedTable): string[] => t.columns.filter((c) => !c.generated).map((c) => c.name);

/**
 * On a single server: batches of `batchRows` rows picked by ctid, each its own transaction. On a
 * distributed Citus table, where ctid names a row of one shard only: the new table is distributed
 * and colocated with the parent in CREATE's transaction, one statement moves every row (the
 * coordinator deletes on every shard and inserts what came back, one distributed transaction),
 * and the transaction that moves the rest and attaches runs in sequential shard mode (it modifies
 * rows, then changes a distributed table).
 */
export function rowMove(table: ObservedTable, parent: PartitionRef, target: PartitionRef, from: PartitionRef, predicate: string, batchRows: number): RowMove {
  const columns = insertable(table);
  const c = table.citus;
  if (c?.kind === 'distributed' && c.distributionColumn !== null) {
    const distribute = distributeColocatedSql(target, c.distributionColumn, parent);
    return {
      moveSql: moveAllRowsWhereSql(from, target, predicate, columns),
      prepareSql: [distribute],
      drainSetup: [CITUS_SEQUENTIAL_SQL, distribute],
      how: 'moved in one distributed transaction (Citus cannot pick batches by ctid across shards), into a table colocated with the parent',
    };
  }
  return { moveSql: moveRowsWhereSql(from, target, predicate, columns, batchRows), prepareSql: [], drainSetup: [], how: `moved in batches of ${batchRows}` };
}

/** A relocation's program: CREATE (ready for the rows), the moves, the last rows with ATTACH, ANALYZE. */
export function relocateProgram(move: RowMove, createSql: readonly string[], attachSql: string, analyzed: readonly PartitionRef[]): { createSql: readonly string[]; steps: readonly Step[]; sql: readonly string[] } {
  const creates = [...createSql, ...move.prepareSql];
  return {
    createSql: creates,
    ...program([steps.createTable(creates), steps.moveRows(move.moveSql), steps.drainAndAttach(move.moveSql, attachSql, move.drainSetup), steps.analyze(analyzeSql(analyzed))]),
  };
}
