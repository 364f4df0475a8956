/**
 * Counts the records of COPY's CSV output as it streams by: a record ends at a newline outside
 * quotes (COPY quotes a value holding a newline, and doubles a quote inside one, which leaves the
 * quoted state as it was). Used where the COPY's own row count cannot be trusted: Citus counts
 * the header line of a distributed table's COPY ... TO STDOUT (HEADER true) as a row.
 */
export class CsvRecordCounter {
  #quoted = false;
  #records = 0;

  push(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      const q = chunk.indexOf(0x22, i);
      const end = q < 0 ? chunk.length : q;
      if (!this.#quoted) this.#records += newlines(chunk.subarray(i, end));
      if (q < 0) return;
      this.#quoted = !this.#quoted;
      i = q + 1;
    }
  }

  /** Records seen so far (a header line is one of them). */
  get records(): number {
    return this.#records;
  }
}

function newlines(b: Buffer): number {
  let n = 0;
  for (let at = b.indexOf(0x0a); at >= 0; at = b.indexOf(0x0a, at + 1)) n++;
  return n;
}
