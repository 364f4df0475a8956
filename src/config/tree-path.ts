import type { MapEntry, Pos, TreeNode } from './yaml-tree.js';

/**
 * Position of the value at a dotted path (falls back to the deepest existing ancestor). Keys may
 * contain dots themselves (a list partition `eu.west`, a database `main.db`): at each map the
 * longest run of segments that names a key wins.
 */
export function posAt(root: TreeNode, path: string): Pos {
  const segments = path.split('.').filter(Boolean);
  let node = root;
  let pos = root.pos;
  for (let i = 0; i < segments.length; ) {
    if (node.kind !== 'map') break;
    const found = longestKey(node.entries, segments, i);
    if (!found) break;
    node = found.entry.value;
    pos = node.pos;
    // `key[3]`: a map key, then an item of the list under it
    for (const idx of found.indices.matchAll(/\[(\d+)\]/g)) {
      if (node.kind !== 'seq') return pos;
      const item = node.items[Number(idx[1])];
      if (!item) return pos;
      node = item;
      pos = item.pos;
    }
    i = found.next;
  }
  return pos;
}

/** The entry whose key is the longest run of segments from `i` (a trailing `[n]...` is the list index, not the key). */
function longestKey(entries: readonly MapEntry[], segments: readonly string[], i: number): { entry: MapEntry; indices: string; next: number } | undefined {
  for (let j = segments.length; j > i; j--) {
    const m = /^(.*?)((?:\[\d+\])*)$/s.exec(segments.slice(i, j).join('.'))!;
    const entry = entries.find((e) => e.key === m[1]);
    if (entry) return { entry, indices: m[2]!, next: j };
  }
  return undefined;
}
