/** The middle element of `xs` ordered by `key` (the upper one of two for an even count). */
export function medianBy<T>(xs: readonly T[], key: (x: T) => number): T {
  return [...xs].sort((a, b) => key(a) - key(b))[Math.floor(xs.length / 2)]!;
}

/** The median of numbers. */
export function median(xs: readonly number[]): number {
  return medianBy(xs, (x) => x);
}
