/**
 * Proleptic Gregorian calendar dates from days since 1970-01-01, for any day PostgreSQL can hold
 * (JavaScript's Date stops at year 275760; PostgreSQL's dates go to 5874897). Howard Hinnant's
 * civil_from_days; year 0 is 1 BC.
 */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

const pad = (n: number | bigint, width: number) => n.toString().padStart(width, '0');

/** A date as PostgreSQL prints it: `2024-02-29`, `0044-03-15 BC`. */
export function pgDateText(days: number): string {
  const { year, month, day } = civilFromDays(days);
  const md = `${pad(month, 2)}-${pad(day, 2)}`;
  return year > 0 ? `${pad(year, 4)}-${md}` : `${pad(1 - year, 4)}-${md} BC`;
}

/** Microseconds since 1970 as a timestamp literal: `2024-01-01 00:00:00.000001`, with `+00` when UTC-adjusted, ` BC` last. */
export function pgTimestampText(micros: bigint, utc: boolean): string {
  const seconds = micros / 1_000_000n - (micros % 1_000_000n < 0n ? 1n : 0n);
  const frac = ((micros % 1_000_000n) + 1_000_000n) % 1_000_000n;
  const days = Number(seconds / 86_400n - (seconds % 86_400n < 0n ? 1n : 0n));
  const inDay = Number(((seconds % 86_400n) + 86_400n) % 86_400n);
  const time = `${pad(Math.floor(inDay / 3600), 2)}:${pad(Math.floor((inDay % 3600) / 60), 2)}:${pad(inDay % 60, 2)}.${pad(frac, 6)}`;
  const date = pgDateText(days);
  const bc = date.endsWith(' BC');
  return `${bc ? date.slice(0, -3) : date} ${time}${utc ? '+00' : ''}${bc ? ' BC' : ''}`;
}
