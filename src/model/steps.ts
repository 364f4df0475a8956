/**
 * Actions are programs of typed steps: `plan` prints their statements, the executor interprets
 * them one by one, and the journal stores and resumes work by step name. A new capability adds
 * step names here (and a handler in the executor), never a new branch on an action's shape.
 */
export type StepName =
  | 'create-table' // CREATE TABLE (a sub-partitioned child with all its sub-partitions): one transaction, with its journal entry
  | 'guard-default' // ADD CONSTRAINT ... NOT VALID on the DEFAULT partition (brief lock, no scan)
  | 'validate-guard' // VALIDATE CONSTRAINT (scans DEFAULT while writes go on)
  | 'move-rows' // one batch of rows out of DEFAULT, repeated until none moves
  | 'attach' // ATTACH (with the guard's DROP CONSTRAINT, or after the last rows moved): one transaction
  | 'detach' // DETACH [CONCURRENTLY]
  | 'finalize' // DETACH ... FINALIZE of an interrupted concurrent detach
  | 'export' // archive: COPY under a SHARE lock, streamed to storage
  | 'verify' // archive: the object's size (and sha256 with verify: full)
  | 'manifest' // archive: the attempt's manifest, then the partition's latest-manifest pointer
  | 'drop' // DROP TABLE of a detached table (fenced by OID; for archives, after proving it unchanged)
  | 'drop-guard' // DROP CONSTRAINT of a guard an interrupted run left on DEFAULT
  | 'repair' // owner, grants, replica identity, storage parameters of an existing partition set back to the parent's: one transaction
  | 'set-access-method' // ALTER TABLE ... SET ACCESS METHOD of an old partition (retention.afterAge): a rewrite, one transaction per partition
  | 'analyze' // ANALYZE of tables whose rows a relocation moved, or of the parent (SHARE UPDATE EXCLUSIVE: writes go on)
  // partwarden convert (planner/convert-plan.ts), in this order:
  | 'convert-index' // CREATE UNIQUE INDEX CONCURRENTLY of the unique keys widened by the partition key (writes go on)
  | 'convert-parent' // the new partitioned table under its work name, its indexes, constraints and first partitions: one transaction
  | 'convert-check' // ADD CONSTRAINT ... CHECK (key < cutoff) NOT VALID on the old table (brief lock, no scan)
  | 'convert-validate' // VALIDATE CONSTRAINT (scans the old table while writes go on)
  | 'convert-swap' // rename, ATTACH as the historical partition (no scan), carry everything over: one short transaction
  | 'convert-finish' // VALIDATE the re-pointed foreign keys, ANALYZE the new parent (writes go on)
  | 'convert-undo' // convert --undo before the swap: the work objects go (the new parent only if it holds no row), the table is as it was
  | 'convert-unswap'; // convert --undo after the swap: the historical partition, with the rows written since, is the plain table again: one transaction

export interface Step {
  readonly name: StepName;
  /** The statements this step sends, in order: exactly what `plan` prints. */
  readonly sql: readonly string[];
  /** Whether `sql` commits as one transaction. */
  readonly inTransaction: boolean;
  /** Removes rows from a table's reach or a table from the database: fenced (only the leader runs it). */
  readonly destructive: boolean;
  /** attach after a relocation: the statement at this index of `sql` is repeated until it moves no row, then the rest runs, in one transaction. */
  readonly drain?: number;
}

const make = (name: StepName, sql: readonly string[], inTransaction = false, destructive = false): Step => ({ name, sql, inTransaction, destructive });

/** Step constructors: the one place that decides each step's transaction and fencing. */
export const steps = {
  createTable: (sql: readonly string[]) => make('create-table', sql, true),
  guardDefault: (sql: string) => make('guard-default', [sql]),
  validateGuard: (sql: string) => make('validate-guard', [sql]),
  moveRows: (sql: string) => make('move-rows', [sql]),
  attach: (sql: readonly string[]) => make('attach', sql, sql.length > 1),
  /** The last rows out of DEFAULT and the ATTACH, in one transaction (after `setup`, such as a SET LOCAL): nothing can be left behind. */
  drainAndAttach: (moveSql: string, attachSql: string, setup: readonly string[] = []): Step => ({ ...make('attach', [...setup, moveSql, attachSql], true), drain: setup.length }),
  detach: (sql: string) => make('detach', [sql], false, true),
  finalize: (sql: string) => make('finalize', [sql]),
  export: (sql: readonly string[]) => make('export', sql, true),
  verify: () => make('verify', []),
  manifest: () => make('manifest', []),
  drop: (sql: readonly string[]) => make('drop', sql, sql.length > 1, true),
  dropGuard: (sql: string) => make('drop-guard', [sql]),
  analyze: (sql: string) => make('analyze', [sql]),
  setAccessMethod: (sql: string) => make('set-access-method', [sql], true),
  repair: (sql: readonly string[]) => make('repair', sql, true),
  convertIndex: (sql: readonly string[]) => make('convert-index', sql),
  convertParent: (sql: readonly string[]) => make('convert-parent', sql, true),
  convertCheck: (sql: string) => make('convert-check', [sql]),
  convertValidate: (sql: string) => make('convert-validate', [sql]),
  convertSwap: (sql: readonly string[]) => make('convert-swap', sql, true),
  convertFinish: (sql: readonly string[]) => make('convert-finish', sql),
  convertUndo: (sql: readonly string[]) => make('convert-undo', sql, false, true),
  convertUnswap: (sql: readonly string[]) => make('convert-unswap', sql, true, true),
};

/** An action's program and the statements `plan` prints for it (all steps' `sql`, in order). */
export function program(list: readonly Step[]): { readonly steps: readonly Step[]; readonly sql: readonly string[] } {
  return { steps: list, sql: list.flatMap((s) => s.sql) };
}
