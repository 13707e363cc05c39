/**
 * The binary search the sorted lists of the stages share (route records by key, ids, hosts by specificity, a
 * folder's entries by file).
 */

/**
 * The first index of `[0, length)` where `before(i)` is false, for a `before` that is true on a prefix of the range
 * and false after it (a list sorted by what `before` compares): where a key is, or goes, in the list.
 */
export function partitionPoint(length: number, before: (i: number) => boolean): number {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
