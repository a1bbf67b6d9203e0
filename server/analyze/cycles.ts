/**
 * Rings as cycles of the successor (R1) graph among live nodes. Every node has at most one successor,
 * so the graph is a functional graph: each node's chain either ends (dead end) or runs into exactly one
 * cycle. One pass with an explicit stack finds all cycles in O(n).
 */

/**
 * Contract: `ringOf[p]` is the ring index of node p (0 = the main ring, the largest cycle; ties go to
 * the cycle holding the smallest node index; the others follow by size descending, then smallest
 * index), or -1 when p is on no cycle. `endsIn[p]` is the ring p's R1 chain ends in (its own ring when
 * it is on one), or -1 when the chain reaches a dead end. `sizes[r]` is the number of nodes on ring r.
 */
export interface RingLayout {
  ringOf: Int32Array;
  endsIn: Int32Array;
  sizes: number[];
}

/**
 * `succ[p]` is the index of p's R1 node among the live nodes, or -1 (no R1, or it is not live). Nodes
 * are indexed in ring (ID) order, so "smallest index" means "smallest ID". A self-loop counts as a ring
 * only when p is the only node; a lone node is a ring of one whatever its pointer says.
 */
export function findRings(succ: Int32Array): RingLayout {
  const n = succ.length;
  const rawRing = new Int32Array(n).fill(-1);
  const rawEnds = new Int32Array(n).fill(-1);
  if (n === 1) return { ringOf: new Int32Array([0]), endsIn: new Int32Array([0]), sizes: [1] };

  const state = new Uint8Array(n); // 0 = unseen, 1 = on the current path, 2 = done
  const path = new Int32Array(n);
  const cycleSize: number[] = [];
  const cycleMin: number[] = [];

  for (let s = 0; s < n; s++) {
    if (state[s] !== 0) continue;
    let len = 0;
    let x = s;
    while (x >= 0 && state[x] === 0) {
      state[x] = 1;
      path[len++] = x;
      const next = succ[x]!;
      x = next === x ? -1 : next;
    }
    let end = -1;
    if (x >= 0 && state[x] === 1) {
      const c = cycleSize.length;
      let i = len - 1;
      while (path[i] !== x) i--;
      let min = n;
      for (let j = i; j < len; j++) {
        const p = path[j]!;
        rawRing[p] = c;
        rawEnds[p] = c;
        state[p] = 2;
        if (p < min) min = p;
      }
      cycleSize.push(len - i);
      cycleMin.push(min);
      len = i;
      end = c;
    } else if (x >= 0) {
      end = rawEnds[x]!;
    }
    for (let j = 0; j < len; j++) {
      const p = path[j]!;
      rawEnds[p] = end;
      state[p] = 2;
    }
  }

  const order = cycleSize.map((_, c) => c);
  order.sort((a, b) => cycleSize[b]! - cycleSize[a]! || cycleMin[a]! - cycleMin[b]!);
  const remap = new Int32Array(order.length);
  order.forEach((c, r) => (remap[c] = r));
  const ringOf = rawRing.map((c) => (c < 0 ? -1 : remap[c]!));
  const endsIn = rawEnds.map((c) => (c < 0 ? -1 : remap[c]!));
  return { ringOf, endsIn, sizes: order.map((c) => cycleSize[c]!) };
}
