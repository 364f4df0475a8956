import { describe, expect, it } from 'vitest';
import { quoteIdent, quoteLiteral, quoteQualified, typedLiteral } from '../../src/db/quote.js';

describe('identifier and literal quoting', () => {
  it('always quotes identifiers and doubles embedded quotes', () => {
    expect(quoteIdent('events')).toBe('"events"');
    expect(quoteIdent('Order')).toBe('"Order"');
    expect(quoteIdent('my "table"; DROP TABLE x; --')).toBe('"my ""table""; DROP TABLE x; --"');
    expect(quoteIdent('métriques_📈')).toBe('"métriques_📈"');
    expect(quoteQualified('Sales Data', 'order')).toBe('"Sales Data"."order"');
  });

  it('rejects NUL bytes, which PostgreSQL cannot store in names', () => {
    expect(() => quoteIdent('a\u0000b')).toThrow(/NUL/);
  });

  it('escapes literals whatever standard_conforming_strings says', () => {
    expect(quoteLiteral("O'Brien")).toBe("'O''Brien'");
    expect(quoteLiteral('a\\b')).toBe(" E'a\\\\b'");
    expect(typedLiteral('2024-01-01 00:00:00+00', 'timestamptz')).toBe("'2024-01-01 00:00:00+00'::timestamptz");
  });
});
