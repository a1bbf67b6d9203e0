/**
 * The engine's single event queue: a binary heap of events stored as parallel typed arrays (no object per
 * event), plus FIFO "lanes" for events with a constant delay (request timeouts), which need no heap work.
 * It keeps exactly one pending Clock timer, for the earliest event, and on firing processes every event
 * that is due, so the number of clock timers does not grow with the number of nodes.
 */
import type { Clock, TimerHandle } from '../../core/clock.js';

/** Receives one event: its kind, two int32 fields (usually node indices), two float64 fields, a payload. */
export type EventHandler = (
  kind: number,
  a: number,
  b: number,
  c: number,
  d: number,
  payload: unknown,
) => void;

/** Dependencies of the queue: the clock that drives it and the single handler every event goes to. */
export interface EventQueueOptions {
  clock: Clock;
  handler: EventHandler;
  /** Max events processed per clock callback before yielding with a 0 ms timer. Default 250,000. */
  batchLimit?: number;
}

/**
 * Contract: events run in (time, insertion order); event times are whole milliseconds (rounded up); an
 * event is never run before its time on the clock. now() is the time of the event being processed, or the
 * clock's time when idle. Nothing runs before start() or after stop(). Handler exceptions propagate.
 */
export interface EventQueue {
  now(): number;
  push(at: number, kind: number, a: number, b: number, c: number, d: number, payload?: unknown): void;
  /** Creates a FIFO lane for events that all run `delayMs` after being pushed. Returns its id. */
  lane(delayMs: number): number;
  pushLane(lane: number, kind: number, a: number, b: number, c: number, d: number): void;
  start(): void;
  stop(): void;
  pending(): number;
  processed(): number;
}

interface Lane {
  delay: number;
  cap: number;
  head: number;
  size: number;
  last: number;
  at: Float64Array;
  seq: Float64Array;
  kind: Uint8Array;
  a: Int32Array;
  b: Int32Array;
  c: Float64Array;
  d: Float64Array;
}

function newLane(delay: number, cap: number): Lane {
  return {
    delay,
    cap,
    head: 0,
    size: 0,
    last: 0,
    at: new Float64Array(cap),
    seq: new Float64Array(cap),
    kind: new Uint8Array(cap),
    a: new Int32Array(cap),
    b: new Int32Array(cap),
    c: new Float64Array(cap),
    d: new Float64Array(cap),
  };
}

function growLane(l: Lane): void {
  const g = newLane(l.delay, l.cap * 2);
  for (let k = 0; k < l.size; k++) {
    const s = (l.head + k) % l.cap;
    g.at[k] = l.at[s]!;
    g.seq[k] = l.seq[s]!;
    g.kind[k] = l.kind[s]!;
    g.a[k] = l.a[s]!;
    g.b[k] = l.b[s]!;
    g.c[k] = l.c[s]!;
    g.d[k] = l.d[s]!;
  }
  Object.assign(l, { ...g, size: l.size, last: l.last });
}

export function createEventQueue(opts: EventQueueOptions): EventQueue {
  const { clock, handler } = opts;
  const batchLimit = opts.batchLimit ?? 250_000;
  let cap = 1024;
  let sKind = new Uint8Array(cap);
  let sA = new Int32Array(cap);
  let sB = new Int32Array(cap);
  let sC = new Float64Array(cap);
  let sD = new Float64Array(cap);
  const sPay: unknown[] = [];
  // the heap keeps its keys (time, sequence) beside the slot index, so sifting reads contiguous memory
  let heap = new Int32Array(cap);
  let heapT = new Float64Array(cap);
  let heapQ = new Float64Array(cap);
  let hSize = 0;
  let free = new Int32Array(cap);
  let freeTop = 0;
  for (let s = cap - 1; s >= 0; s--) free[freeTop++] = s;
  const lanes: Lane[] = [];
  let seq = 0;
  let cur = 0;
  let processing = false;
  let running = false;
  let handle: TimerHandle | undefined;
  let armedAt = Infinity;
  let done = 0;

  function grow(): void {
    const n = cap * 2;
    const f64 = (o: Float64Array): Float64Array<ArrayBuffer> => {
      const x = new Float64Array(n);
      x.set(o);
      return x;
    };
    heapT = f64(heapT);
    heapQ = f64(heapQ);
    sC = f64(sC);
    sD = f64(sD);
    const k = new Uint8Array(n);
    k.set(sKind);
    sKind = k;
    const a = new Int32Array(n);
    a.set(sA);
    sA = a;
    const b = new Int32Array(n);
    b.set(sB);
    sB = b;
    const h = new Int32Array(n);
    h.set(heap);
    heap = h;
    free = new Int32Array(n);
    freeTop = 0;
    for (let s = n - 1; s >= cap; s--) free[freeTop++] = s;
    cap = n;
  }

  const less = (ta: number, qa: number, tb: number, qb: number): boolean => ta < tb || (ta === tb && qa < qb);

  function siftUp(i: number, s: number, t: number, q: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(t, q, heapT[p]!, heapQ[p]!)) break;
      heap[i] = heap[p]!;
      heapT[i] = heapT[p]!;
      heapQ[i] = heapQ[p]!;
      i = p;
    }
    heap[i] = s;
    heapT[i] = t;
    heapQ[i] = q;
  }

  function siftDown(i: number, s: number, t: number, q: number): void {
    for (;;) {
      const l = 2 * i + 1;
      if (l >= hSize) break;
      const r = l + 1;
      const c = r < hSize && less(heapT[r]!, heapQ[r]!, heapT[l]!, heapQ[l]!) ? r : l;
      if (!less(heapT[c]!, heapQ[c]!, t, q)) break;
      heap[i] = heap[c]!;
      heapT[i] = heapT[c]!;
      heapQ[i] = heapQ[c]!;
      i = c;
    }
    heap[i] = s;
    heapT[i] = t;
    heapQ[i] = q;
  }

  function nextTime(): number {
    let t = hSize > 0 ? heapT[0]! : Infinity;
    for (const l of lanes) if (l.size > 0 && l.at[l.head]! < t) t = l.at[l.head]!;
    return t;
  }

  function arm(): void {
    if (!running || processing) return;
    const t = nextTime();
    if (t === armedAt) return;
    if (handle) clock.clearTimeout(handle);
    handle = undefined;
    armedAt = t;
    if (t === Infinity) return;
    handle = clock.setTimeout(fire, Math.max(0, t - clock.now()));
  }

  function fire(): void {
    handle = undefined;
    armedAt = Infinity;
    if (!running) return;
    processing = true;
    let yielded = false;
    try {
      const limit = clock.now();
      let count = 0;
      for (;;) {
        let src = -2;
        let t = Infinity;
        let sq = Infinity;
        if (hSize > 0) {
          t = heapT[0]!;
          sq = heapQ[0]!;
          src = -1;
        }
        for (let li = 0; li < lanes.length; li++) {
          const l = lanes[li]!;
          if (l.size === 0) continue;
          const la = l.at[l.head]!;
          if (la < t || (la === t && l.seq[l.head]! < sq)) {
            t = la;
            sq = l.seq[l.head]!;
            src = li;
          }
        }
        if (src === -2 || t > limit) break;
        if (count >= batchLimit) {
          yielded = true;
          break;
        }
        count++;
        done++;
        cur = t;
        if (src === -1) {
          const s = heap[0]!;
          hSize--;
          if (hSize > 0) siftDown(0, heap[hSize]!, heapT[hSize]!, heapQ[hSize]!);
          const p = sPay[s];
          if (p !== undefined) sPay[s] = undefined;
          free[freeTop++] = s;
          handler(sKind[s]!, sA[s]!, sB[s]!, sC[s]!, sD[s]!, p);
        } else {
          const l = lanes[src]!;
          const h = l.head;
          l.head = (h + 1) % l.cap;
          l.size--;
          handler(l.kind[h]!, l.a[h]!, l.b[h]!, l.c[h]!, l.d[h]!, undefined);
        }
      }
    } finally {
      processing = false;
    }
    if (yielded && running) {
      armedAt = -1;
      handle = clock.setTimeout(fire, 0);
      return;
    }
    arm();
  }

  const queue: EventQueue = {
    now: () => (processing ? cur : Math.max(cur, clock.now())),
    push(at, kind, a, b, c, d, payload) {
      if (freeTop === 0) grow();
      const s = free[--freeTop]!;
      const t = Math.ceil(at);
      sKind[s] = kind;
      sA[s] = a;
      sB[s] = b;
      sC[s] = c;
      sD[s] = d;
      if (payload !== undefined) sPay[s] = payload;
      siftUp(hSize++, s, t, seq++);
      if (!processing && t < armedAt) arm();
    },
    lane(delayMs) {
      lanes.push(newLane(Math.max(0, delayMs), 256));
      return lanes.length - 1;
    },
    pushLane(li, kind, a, b, c, d) {
      const l = lanes[li];
      if (!l) throw new Error(`unknown lane ${li}`);
      if (l.size === l.cap) growLane(l);
      const t = Math.max(l.last, Math.ceil(queue.now() + l.delay));
      l.last = t;
      const s = (l.head + l.size) % l.cap;
      l.at[s] = t;
      l.seq[s] = seq++;
      l.kind[s] = kind;
      l.a[s] = a;
      l.b[s] = b;
      l.c[s] = c;
      l.d[s] = d;
      l.size++;
      if (!processing && t < armedAt) arm();
    },
    start() {
      if (running) return;
      running = true;
      cur = clock.now();
      arm();
    },
    stop() {
      running = false;
      if (handle) clock.clearTimeout(handle);
      handle = undefined;
      armedAt = Infinity;
    },
    pending: () => hSize + lanes.reduce((n, l) => n + l.size, 0),
    processed: () => done,
  };
  return queue;
}
