-- Detector signals as intervals of crawls, so the API can tell which nodes are persistent, stalled or
-- lost now, and what held when. Written by the crawl pipeline inside the crawl's transaction
-- (server/store/signals.ts): a newly active signal opens a row, its clear closes it (to_crawl), a signal
-- returned active again writes nothing.
CREATE TABLE signals (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,                              -- detect/types.ts SIGNAL_KINDS
  detector TEXT NOT NULL,
  node_key TEXT,                                   -- node ID (or endpoint key); NULL for ring-wide signals
  thread TEXT,                                     -- thread_stalled only
  from_crawl INTEGER NOT NULL REFERENCES crawls (id),
  to_crawl INTEGER REFERENCES crawls (id),         -- crawl in which it cleared; NULL while active
  since INTEGER NOT NULL,                          -- epoch ms the condition began (Signal.since)
  value REAL,
  detail TEXT NOT NULL
);
CREATE UNIQUE INDEX signals_active ON signals (kind, ifnull(node_key, ''), ifnull(thread, ''))
  WHERE to_crawl IS NULL;
-- A node's signals (detail page), and its active ones (node list: one seek per listed node).
CREATE INDEX signals_node ON signals (node_key, from_crawl);
CREATE INDEX signals_open_node ON signals (node_key, kind) WHERE to_crawl IS NULL;
CREATE INDEX signals_from ON signals (from_crawl);
-- History of one kind, newest first (rowid order).
CREATE INDEX signals_kind ON signals (kind);
