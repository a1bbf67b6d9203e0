-- Logs pulled on demand from node agents. A pull is stored whole or not at all (one transaction).
CREATE TABLE log_pulls (
  id INTEGER PRIMARY KEY,
  node_key TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  requested_by TEXT NOT NULL,                      -- actor, as in audit_log
  requested_at INTEGER NOT NULL,
  params TEXT NOT NULL,                            -- JSON { tail, sinceSeconds, level }
  lines INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  truncated INTEGER NOT NULL DEFAULT 0,
  content TEXT NOT NULL                            -- JSON array of log entries as the agent sent them
);
CREATE INDEX log_pulls_node ON log_pulls (node_key, requested_at);
