/** "Did you mean ...?" for unknown field names: the closest known name by edit distance. */

/** Optimal string alignment distance (Damerau-Levenshtein with adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The known name closest to `name` (case-insensitive), when it is close enough to be a typo or a
 * shortened name: at most a third of the longer name's characters differ, or one is a prefix of
 * the other (`deletionWindow` -> `deletionWindowDays`).
 */
export function closest(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  let best: { k: string; d: number } | undefined;
  for (const k of known) {
    const kl = k.toLowerCase();
    const d = editDistance(lower, kl);
    const limit = Math.max(1, Math.floor(Math.max(lower.length, kl.length) / 3));
    const prefix = lower.length >= 3 && (kl.startsWith(lower) || lower.startsWith(kl));
    if ((d <= limit || prefix) && (!best || d < best.d)) best = { k, d };
  }
  return best?.k;
}
