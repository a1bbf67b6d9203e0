-- Deliveries of alert notifications: one row per (notification, channel) attempt series, written by the
-- notifier (server/alert/notifier.ts). A row is inserted `pending` when the notification is queued and
-- updated after every attempt; it ends `sent` (sent_at set) or `failed` (last_error says why).
CREATE TABLE notifications (
  id INTEGER PRIMARY KEY,
  channel TEXT NOT NULL,                           -- the channel's configured name
  group_key TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
  fingerprints TEXT NOT NULL,                      -- JSON array of the alerts' fingerprints
  state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  test INTEGER NOT NULL DEFAULT 0 CHECK (test IN (0, 1)), -- 1: sent by the "test notification" action
  created_at INTEGER NOT NULL,
  sent_at INTEGER
);
CREATE INDEX notifications_channel ON notifications (channel, id);
