-- Alerting (server/alert/engine*): alert episodes, their state transitions, and silences. Written only by
-- the alert engine, in its own transactions, with its injected clock (epoch ms everywhere).

-- Silences: label matchers (JSON [{ name, value, isRegex, isEqual }]) muting the alerts they match while
-- starts_at <= now < ends_at and expired_at IS NULL. Expiring early sets expired_at (and ends_at = now).
CREATE TABLE silences (
  id INTEGER PRIMARY KEY,
  matchers TEXT NOT NULL,
  starts_at INTEGER NOT NULL,
  ends_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  comment TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  expired_at INTEGER,
  CHECK (ends_at > starts_at)
);
CREATE INDEX silences_ends ON silences (ends_at) WHERE expired_at IS NULL;

-- One row per alert episode: pending → (firing →) resolved. The current episode of a fingerprint is the
-- one row not resolved (at most one, enforced below); resolved rows are the history.
CREATE TABLE alerts (
  id INTEGER PRIMARY KEY,
  fingerprint TEXT NOT NULL,                       -- sha256 (16 hex) of the sorted label set
  rule TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'firing', 'resolved')),
  labels TEXT NOT NULL,                            -- JSON { name: value }
  annotations TEXT NOT NULL,                       -- JSON { name: value }, rendered
  value REAL,                                      -- the signal's measure, when it has one
  detail TEXT NOT NULL DEFAULT '',                 -- the signal's explanation, for templates
  crawl_id INTEGER,                                -- crawl of the latest evaluation that saw the condition
  active_at INTEGER NOT NULL,
  starts_at INTEGER,
  ends_at INTEGER,
  fired_notified INTEGER NOT NULL DEFAULT 0 CHECK (fired_notified IN (0, 1)),
  last_notified_at INTEGER,                        -- last firing notification (first or reminder)
  silenced_by INTEGER REFERENCES silences (id),
  inhibited_by TEXT,
  ack_by TEXT,
  ack_at INTEGER,
  ack_comment TEXT
);
CREATE UNIQUE INDEX alerts_current ON alerts (fingerprint) WHERE state <> 'resolved';
CREATE INDEX alerts_fingerprint ON alerts (fingerprint, id);
CREATE INDEX alerts_state ON alerts (state, id);
CREATE INDEX alerts_rule ON alerts (rule, id);

-- Every transition of an episode, with its time: pending, firing, resolved, notified (firing, reminder,
-- resolved), silenced/unsilenced, inhibited/uninhibited, acked.
CREATE TABLE alert_events (
  id INTEGER PRIMARY KEY,
  alert_id INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
  fingerprint TEXT NOT NULL,
  at INTEGER NOT NULL,
  type TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX alert_events_fingerprint ON alert_events (fingerprint, id);
CREATE INDEX alert_events_alert ON alert_events (alert_id);
