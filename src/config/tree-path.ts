import type { Pos, TreeNode } from './yaml-tree.js';

/** Position of the value at a dotted path (falls back to the deepest existing ancestor). */
export function posAt(root: TreeNode, path: string): Pos {
  let node = root;
  let pos = root.pos;
  for (const key of path.split('.').filter(Boolean)) {
    if (node.kind !== 'map') break;
    const entry = node.entries.find((e) => e.key === key);
    if (!entry) break;
    node = entry.value;
    pos = entry.value.pos;
  }
  return pos;
}
