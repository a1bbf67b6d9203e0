-- Ringwatch store, schema 1.
--
-- Conventions
--   * Times are milliseconds since the Unix epoch; crawl ids grow with time.
--   * History that rarely changes is stored as intervals of crawl ids [from_crawl, to_crawl):
--     valid from crawl from_crawl up to (not including) to_crawl; to_crawl NULL = still valid.
--     A crawl only opens what appeared and closes what disappeared, so an unchanged ring writes nothing.
--   * Enumerations are small integers; the codes live in server/store/codec.ts and never change meaning.
--   * What changes every crawl (per-node numbers) goes to `observations`, integers only.

CREATE TABLE crawls (
  id INTEGER PRIMARY KEY,
  strategy TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('running', 'succeeded', 'failed', 'aborted')),
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  duration_ms INTEGER,
  seeds TEXT NOT NULL DEFAULT '[]',                -- JSON array of endpoints
  -- none: nothing recorded; raw: observations and topology kept; pruned: raw rows deleted, rollups only
  data TEXT NOT NULL DEFAULT 'none' CHECK (data IN ('none', 'raw', 'pruned')),
  visits INTEGER,
  discovered INTEGER,
  reachable INTEGER,
  unreachable INTEGER,
  rings INTEGER,
  main_ring_size INTEGER,
  consistency REAL,
  findings_total INTEGER,
  findings TEXT,                                   -- JSON { kind: count }
  errors TEXT,                                     -- JSON { visit error kind: count }
  reason TEXT
);
CREATE INDEX crawls_started ON crawls (started_at);
CREATE INDEX crawls_running ON crawls (started_at) WHERE state = 'running';
CREATE INDEX crawls_raw ON crawls (id) WHERE data = 'raw';

-- Endpoint URLs as small integers.
CREATE TABLE endpoints (
  id INTEGER PRIMARY KEY,
  url TEXT NOT NULL UNIQUE
);

-- One row per distinct node identity: a node ID, or (for nodes never identified) an endpoint.
-- Besides identity it holds the node's current state, i.e. the values of its open intervals, so a
-- crawl can diff against it without reading the interval tables; it is rewritten only on change.
CREATE TABLE nodes (
  id INTEGER PRIMARY KEY,
  node_id TEXT UNIQUE CHECK (node_id IS NULL OR (length(node_id) = 40 AND node_id NOT GLOB '*[^0-9a-f]*')),
  endpoint_key INTEGER UNIQUE REFERENCES endpoints (id),
  first_crawl INTEGER REFERENCES crawls (id),      -- first crawl that visited it (NULL: only ever named)
  seen_from INTEGER REFERENCES crawls (id),        -- first crawl of its latest run of consecutive sightings
  seen_until INTEGER REFERENCES crawls (id),       -- last crawl of that run; NULL while it is still seen
  state INTEGER,                                   -- last crawl state (codec NODE_STATE)
  endpoint INTEGER REFERENCES endpoints (id),      -- current facts (open node_facts interval) ...
  version TEXT,
  started_at INTEGER,
  threads TEXT,                                    -- JSON array of thread names
  l1 INTEGER,                                      -- open ring_slots intervals (target node ids) ...
  l2 INTEGER,
  r1 INTEGER,
  r2 INTEGER,
  conns TEXT,                                      -- open connections, canonical "dst.kind[.via],..." text
  error TEXT,                                      -- JSON { kind, detail, httpStatus? } of the last failed visit
  CHECK ((node_id IS NULL) <> (endpoint_key IS NULL))
);
CREATE INDEX nodes_present ON nodes (id) WHERE seen_from IS NOT NULL AND seen_until IS NULL;

-- One row per visited node per crawl. Append-ordered by (crawl, node): a crawl writes one contiguous
-- run of pages; a node's series is one primary-key seek per crawl (see nodeHistory).
CREATE TABLE observations (
  crawl INTEGER NOT NULL REFERENCES crawls (id),
  node INTEGER NOT NULL REFERENCES nodes (id),
  state INTEGER NOT NULL,                          -- codec NODE_STATE
  score INTEGER,                                   -- score x 1000; NULL when unreachable
  checks INTEGER,                                  -- 2 bits per slot L1,L2,R1,R2: 0 absent, 1 congruent, 2 not
  ring INTEGER,                                    -- ring index, 0 = main ring
  error INTEGER,                                   -- codec VISIT_ERROR; NULL when the visit succeeded
  http INTEGER,                                    -- HTTP status of an http_status error
  attempts INTEGER NOT NULL,
  t_ms INTEGER NOT NULL,                           -- visit start - crawl start
  visit_ms INTEGER NOT NULL,
  rss INTEGER,
  heap INTEGER,
  cpu_ms INTEGER,                                  -- cumulative CPU time
  lag_ms INTEGER,
  queue INTEGER,
  bytes_in INTEGER,                                -- cumulative traffic counters
  bytes_out INTEGER,
  packets_in INTEGER,
  packets_out INTEGER,
  stalled INTEGER,                                 -- bit i: thread i stalled (bit 52: any thread >= 52)
  PRIMARY KEY (crawl, node)
) WITHOUT ROWID;

-- Ring neighbour slots each node reported (slot 0 L1, 1 L2, 2 R1, 3 R2), as intervals.
CREATE TABLE ring_slots (
  node INTEGER NOT NULL REFERENCES nodes (id),
  slot INTEGER NOT NULL CHECK (slot BETWEEN 0 AND 3),
  from_crawl INTEGER NOT NULL REFERENCES crawls (id),
  to_crawl INTEGER REFERENCES crawls (id),
  target INTEGER NOT NULL REFERENCES nodes (id),
  PRIMARY KEY (node, slot, from_crawl)
) WITHOUT ROWID;
CREATE INDEX ring_slots_to ON ring_slots (to_crawl);

-- Connections each node reported (directed: src reported it), as intervals. kind: codec CONNECTION_KIND.
CREATE TABLE connections (
  src INTEGER NOT NULL REFERENCES nodes (id),
  dst INTEGER NOT NULL REFERENCES nodes (id),
  kind INTEGER NOT NULL CHECK (kind BETWEEN 0 AND 3),
  from_crawl INTEGER NOT NULL REFERENCES crawls (id),
  to_crawl INTEGER REFERENCES crawls (id),
  via INTEGER REFERENCES nodes (id),
  PRIMARY KEY (src, dst, kind, from_crawl)
) WITHOUT ROWID;
CREATE INDEX connections_to ON connections (to_crawl);

-- Static-ish facts per node (endpoint, version, start time, thread names), as intervals.
CREATE TABLE node_facts (
  node INTEGER NOT NULL REFERENCES nodes (id),
  from_crawl INTEGER NOT NULL REFERENCES crawls (id),
  to_crawl INTEGER REFERENCES crawls (id),
  endpoint INTEGER NOT NULL REFERENCES endpoints (id),
  version TEXT,
  started_at INTEGER,
  threads TEXT,
  PRIMARY KEY (node, from_crawl)
) WITHOUT ROWID;
CREATE INDEX node_facts_to ON node_facts (to_crawl);

-- Findings, open while they persist. Identity: (node, kind, slot, reported, expected).
CREATE TABLE findings (
  id INTEGER PRIMARY KEY,
  node INTEGER NOT NULL REFERENCES nodes (id),
  kind INTEGER NOT NULL,                           -- codec FINDING_KIND
  slot INTEGER,                                    -- codec SLOT
  reported TEXT,
  expected TEXT,
  detail TEXT NOT NULL,
  from_crawl INTEGER NOT NULL REFERENCES crawls (id),
  to_crawl INTEGER REFERENCES crawls (id)
);
CREATE INDEX findings_node ON findings (node, from_crawl);
CREATE INDEX findings_to ON findings (to_crawl);

-- State detectors carry from crawl to crawl (streaks, loss windows), per detector and key; value is a JSON
-- object. Keys are node IDs, endpoints or ring-wide keys such as '~ring', so there is no link to `nodes`.
CREATE TABLE detector_state (
  detector TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (detector, key)
) WITHOUT ROWID;

-- Summaries kept after raw observations are deleted. res_ms: 300000 (5 min) or 3600000 (1 h);
-- bucket: start of the bucket (ms), by crawl start time. Sums and counts, so coarser buckets are sums too.
CREATE TABLE rollup_ring (
  res_ms INTEGER NOT NULL,
  bucket INTEGER NOT NULL,
  crawls INTEGER NOT NULL,                         -- finished crawls started in the bucket
  recorded INTEGER NOT NULL,                       -- of which recorded (have counts)
  failed INTEGER NOT NULL,                         -- of which failed or aborted
  nodes_sum INTEGER,
  nodes_min INTEGER,
  nodes_max INTEGER,
  reachable_sum INTEGER,
  reachable_min INTEGER,
  reachable_max INTEGER,
  consistency_sum REAL,
  consistency_min REAL,
  findings_sum INTEGER,
  findings_max INTEGER,
  rings_max INTEGER,
  PRIMARY KEY (res_ms, bucket)
) WITHOUT ROWID;

CREATE TABLE rollup_node (
  res_ms INTEGER NOT NULL,
  bucket INTEGER NOT NULL,
  node INTEGER NOT NULL REFERENCES nodes (id),
  samples INTEGER NOT NULL,                        -- observations
  unreachable INTEGER NOT NULL,
  inconsistent INTEGER NOT NULL,
  metric_samples INTEGER NOT NULL,                 -- observations with process metrics
  rss_sum INTEGER,
  rss_max INTEGER,
  heap_max INTEGER,
  queue_sum INTEGER,
  queue_max INTEGER,
  lag_max INTEGER,
  cpu_ms INTEGER,                                  -- counter increase over consecutive observation pairs
  bytes_in INTEGER,
  bytes_out INTEGER,
  dt_ms INTEGER,                                   -- time covered by those pairs (rate = increase / dt)
  PRIMARY KEY (res_ms, bucket, node)
) WITHOUT ROWID;

-- Buckets before done_until are rolled up (per resolution).
CREATE TABLE rollup_progress (
  res_ms INTEGER PRIMARY KEY,
  done_until INTEGER NOT NULL
);
