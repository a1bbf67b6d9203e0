-- Round-trip times of relayed connections and of the direct links around them (the two legs through the
-- relay, and a direct link between the two ends if one exists), so the API can compare relay and direct
-- RTT. Intervals of crawls like the topology tables: a crawl opens a row only when a value appears or
-- moves by more than the tolerance (server/store/relays.ts), so an unchanged ring writes nothing.
-- Written by the crawl pipeline inside the crawl's transaction; closed rows no retained crawl needs are
-- deleted by the same writer.
CREATE TABLE conn_rtt (
  src INTEGER NOT NULL REFERENCES nodes (id),      -- the node that reported the connection
  dst INTEGER NOT NULL REFERENCES nodes (id),
  relayed INTEGER NOT NULL CHECK (relayed IN (0, 1)), -- 1: the relayed connection, 0: a direct one
  from_crawl INTEGER NOT NULL REFERENCES crawls (id),
  to_crawl INTEGER REFERENCES crawls (id),
  rtt_us INTEGER NOT NULL,                         -- microseconds
  PRIMARY KEY (src, dst, relayed, from_crawl)
) WITHOUT ROWID;
CREATE INDEX conn_rtt_to ON conn_rtt (to_crawl);

-- Relayed connections only (a small share of all connections): relaysAt reads them without scanning.
CREATE INDEX connections_relay ON connections (from_crawl) WHERE kind = 2;
