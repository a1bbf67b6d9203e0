/**
 * The crawl thread's entry (a worker_threads Worker started by server/crawl/thread.ts). It owns a status
 * fetcher and a crawler and runs the crawls the server asks for, so the server's event loop never does
 * the per-visit work (sockets, HTTP, JSON, validation) of a 10k-node crawl. Messages: thread-protocol.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { systemClock } from '../core/clock.js';
import type { CrawlResult, Visit } from '../core/model.js';
import { openCrawler, type CrawlSetup } from './setup.js';
import { VISITS_PER_MESSAGE } from './thread-protocol.js';
import type { FromCrawlThread, ToCrawlThread } from './thread-protocol.js';

const port = parentPort;
if (!port) throw new Error('thread-entry: must run in a worker thread');
const { crawler } = openCrawler(workerData as CrawlSetup, systemClock());
const running = new Map<number, AbortController>();
/**
 * Finished crawls whose visits are being handed over, chunk by chunk, as the server asks for them. Sent
 * visits are dropped here at once, so a crawl's results are not held twice (here and in the server).
 */
const outbox = new Map<number, { visits: Visit[]; rest: Omit<CrawlResult, 'visits'> }>();
const send = (message: FromCrawlThread): void => port.postMessage(message);

/** Sends crawl `id`'s next chunk of visits, or `done` once every visit is sent. */
function sendNext(id: number): void {
  const out = outbox.get(id);
  if (!out) return;
  if (out.visits.length > 0) {
    send({ kind: 'visits', id, visits: out.visits.splice(0, VISITS_PER_MESSAGE) });
    return;
  }
  outbox.delete(id);
  const { startedAt: _startedAt, finishedAt: _finishedAt, ...result } = out.rest;
  send({ kind: 'done', id, result });
}

async function crawl(message: Extract<ToCrawlThread, { kind: 'crawl' }>): Promise<void> {
  const { id } = message;
  const controller = new AbortController();
  running.set(id, controller);
  try {
    const { visits, ...rest } = await crawler.crawl({
      seeds: message.seeds,
      known: message.known,
      strategy: message.strategy,
      signal: controller.signal,
      onProgress: (progress) => send({ kind: 'progress', id, progress }),
    });
    outbox.set(id, { visits, rest });
    sendNext(id);
  } catch (err) {
    send({ kind: 'failed', id, message: err instanceof Error ? err.message : String(err) });
  } finally {
    running.delete(id);
  }
}

port.on('message', (message: ToCrawlThread) => {
  switch (message.kind) {
    case 'crawl':
      void crawl(message);
      return;
    case 'abort':
      // A string reason gives the same result `reason` as the Error it came from (see conclude()).
      running.get(message.id)?.abort(message.why);
      return;
    case 'more':
      sendNext(message.id);
      return;
  }
});
