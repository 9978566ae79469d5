import type { IrChannel, IrNode } from "../schema.js";

/**
 * The node graph of an IR in compressed sparse row form: for node `i`, its outgoing channels
 * are `outChannel[outStart[i] .. outStart[i + 1])` leading to `outTarget[...]` (same range),
 * and likewise for incoming. Channels whose endpoints name unknown nodes are left out, so the
 * graph can be built from an IR that failed validation.
 */
export interface Graph {
  readonly ids: readonly string[];
  readonly index: ReadonlyMap<string, number>;
  readonly outStart: Int32Array;
  readonly outTarget: Int32Array;
  readonly outChannel: Int32Array;
  readonly inStart: Int32Array;
  readonly inSource: Int32Array;
  readonly inChannel: Int32Array;
}

export interface GraphInput {
  readonly nodes: readonly Pick<IrNode, "id">[];
  readonly channels: readonly Pick<IrChannel, "from" | "to">[];
}

export function buildGraph(ir: GraphInput): Graph {
  const ids = ir.nodes.map((node) => node.id);
  const index = new Map<string, number>();
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as string;
    if (!index.has(id)) index.set(id, i);
  }
  const edges: Edges = { from: [], to: [], channel: [] };
  ir.channels.forEach((c, k) => {
    const a = index.get(c.from.node);
    const b = index.get(c.to.node);
    if (a === undefined || b === undefined) return;
    edges.from.push(a);
    edges.to.push(b);
    edges.channel.push(k);
  });
  return graphFromEdges(ids, index, edges);
}

/** Edges already resolved to node indices, with the index of the channel each came from. */
export interface Edges {
  readonly from: number[];
  readonly to: number[];
  readonly channel: number[];
}

/** The CSR graph of resolved edges (validation resolves endpoints once and builds the graph from them). */
export function graphFromEdges(ids: readonly string[], index: ReadonlyMap<string, number>, edges: Edges): Graph {
  const { from, to, channel } = edges;
  const n = ids.length;
  const m = from.length;
  const outStart = new Int32Array(n + 1);
  const inStart = new Int32Array(n + 1);
  for (let e = 0; e < m; e++) {
    const a = (from[e] as number) + 1;
    const b = (to[e] as number) + 1;
    outStart[a] = (outStart[a] as number) + 1;
    inStart[b] = (inStart[b] as number) + 1;
  }
  for (let i = 0; i < n; i++) {
    outStart[i + 1] = (outStart[i + 1] as number) + (outStart[i] as number);
    inStart[i + 1] = (inStart[i + 1] as number) + (inStart[i] as number);
  }
  const outTarget = new Int32Array(m);
  const outChannel = new Int32Array(m);
  const inSource = new Int32Array(m);
  const inChannel = new Int32Array(m);
  const outFill = outStart.slice(0, n);
  const inFill = inStart.slice(0, n);
  for (let e = 0; e < m; e++) {
    const a = from[e] as number;
    const b = to[e] as number;
    const o = outFill[a] as number;
    outFill[a] = o + 1;
    outTarget[o] = b;
    outChannel[o] = channel[e] as number;
    const p = inFill[b] as number;
    inFill[b] = p + 1;
    inSource[p] = a;
    inChannel[p] = channel[e] as number;
  }
  return { ids, index, outStart, outTarget, outChannel, inStart, inSource, inChannel };
}

export interface Components {
  /** Component id of every node. */
  readonly of: Int32Array;
  /** Members of every component, in declaration order. */
  readonly members: readonly (readonly number[])[];
  /** True for components that form a cycle (more than one node, or a self-loop). */
  readonly cyclic: readonly boolean[];
}

/** Strongly connected components (Tarjan's algorithm, iterative so deep graphs cannot overflow the stack). */
export function stronglyConnectedComponents(g: Graph): Components {
  const n = g.ids.length;
  const order = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack = new Int32Array(n);
  const callNode = new Int32Array(n);
  const callEdge = new Int32Array(n);
  const of = new Int32Array(n).fill(-1);
  const members: number[][] = [];
  let sp = 0;
  let counter = 0;
  for (let root = 0; root < n; root++) {
    if (order[root] !== -1) continue;
    let depth = 0;
    callNode[0] = root;
    callEdge[0] = g.outStart[root] as number;
    order[root] = low[root] = counter++;
    stack[sp++] = root;
    onStack[root] = 1;
    while (depth >= 0) {
      const v = callNode[depth] as number;
      const e = callEdge[depth] as number;
      if (e < (g.outStart[v + 1] as number)) {
        callEdge[depth] = e + 1;
        const w = g.outTarget[e] as number;
        if (order[w] === -1) {
          order[w] = low[w] = counter++;
          stack[sp++] = w;
          onStack[w] = 1;
          depth++;
          callNode[depth] = w;
          callEdge[depth] = g.outStart[w] as number;
        } else if (onStack[w] && (order[w] as number) < (low[v] as number)) {
          low[v] = order[w] as number;
        }
        continue;
      }
      if (low[v] === order[v]) {
        const component: number[] = [];
        let w: number;
        do {
          w = stack[--sp] as number;
          onStack[w] = 0;
          of[w] = members.length;
          component.push(w);
        } while (w !== v);
        component.sort((a, b) => a - b);
        members.push(component);
      }
      depth--;
      if (depth >= 0) {
        const parent = callNode[depth] as number;
        if ((low[v] as number) < (low[parent] as number)) low[parent] = low[v] as number;
      }
    }
  }
  const cyclic = members.map((component) => {
    if (component.length > 1) return true;
    const v = component[0] as number;
    for (let e = g.outStart[v] as number; e < (g.outStart[v + 1] as number); e++) if (g.outTarget[e] === v) return true;
    return false;
  });
  return { of, members, cyclic };
}

/**
 * A total, stable order of the nodes: components of the condensation in topological order,
 * ties broken by declaration order (the component whose first node was declared first goes
 * first); the nodes of a cycle in declaration order.
 */
export function topologicalOrder(g: Graph, components: Components = stronglyConnectedComponents(g)): number[] {
  const count = components.members.length;
  const indegree = new Int32Array(count);
  const n = g.ids.length;
  for (let v = 0; v < n; v++) {
    const cv = components.of[v] as number;
    for (let e = g.outStart[v] as number; e < (g.outStart[v + 1] as number); e++) {
      const cw = components.of[g.outTarget[e] as number] as number;
      if (cw !== cv) indegree[cw] = (indegree[cw] as number) + 1;
    }
  }
  const key = (c: number) => components.members[c]?.[0] as number;
  const heap = new MinHeap(key);
  for (let c = 0; c < count; c++) if (indegree[c] === 0) heap.push(c);
  const out: number[] = [];
  while (heap.size > 0) {
    const c = heap.pop();
    for (const v of components.members[c] as number[]) {
      out.push(v);
      for (let e = g.outStart[v] as number; e < (g.outStart[v + 1] as number); e++) {
        const cw = components.of[g.outTarget[e] as number] as number;
        if (cw === c) continue;
        const left = (indegree[cw] as number) - 1;
        indegree[cw] = left;
        if (left === 0) heap.push(cw);
      }
    }
  }
  return out;
}

/** Binary min-heap of integers ordered by a key function. */
class MinHeap {
  readonly #items: number[] = [];
  constructor(private readonly key: (item: number) => number) {}
  get size(): number {
    return this.#items.length;
  }
  push(item: number): void {
    const items = this.#items;
    items.push(item);
    let i = items.length - 1;
    const k = this.key(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent] as number;
      if (this.key(p) <= k) break;
      items[i] = p;
      i = parent;
    }
    items[i] = item;
  }
  pop(): number {
    const items = this.#items;
    const top = items[0] as number;
    const last = items.pop() as number;
    if (items.length > 0) {
      let i = 0;
      const k = this.key(last);
      for (;;) {
        const left = 2 * i + 1;
        if (left >= items.length) break;
        const right = left + 1;
        const child = right < items.length && this.key(items[right] as number) < this.key(items[left] as number) ? right : left;
        if (this.key(items[child] as number) >= k) break;
        items[i] = items[child] as number;
        i = child;
      }
      items[i] = last;
    }
    return top;
  }
}
