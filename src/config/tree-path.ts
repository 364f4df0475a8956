import type { Pos, TreeNode } from './yaml-tree.js';

/** Position of the value at a dotted path (falls back to the deepest existing ancestor). */
export function posAt(root: TreeNode, path: string): Pos {
  let node = root;
  let pos = root.pos;
  for (const segment of path.split('.').filter(Boolean)) {
    // `key[3]`: a map key, then an item of the list under it
    const m = /^(.*?)((?:\[\d+\])*)$/.exec(segment)!;
    if (node.kind !== 'map') break;
    const entry = node.entries.find((e) => e.key === m[1]);
    if (!entry) break;
    node = entry.value;
    pos = entry.value.pos;
    for (const idx of m[2]!.matchAll(/\[(\d+)\]/g)) {
      if (node.kind !== 'seq') return pos;
      const item = node.items[Number(idx[1])];
      if (!item) return pos;
      node = item;
      pos = item.pos;
    }
  }
  return pos;
}
