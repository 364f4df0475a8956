/** A table by schema and name (exact, unquoted: quoting happens when SQL is built). */
export interface PartitionRef {
  readonly schema: string;
  readonly name: string;
}
