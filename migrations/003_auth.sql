-- Operators, API tokens and browser sessions. Secrets are stored only as hashes: passwords with bcrypt,
-- tokens and session ids with SHA-256 (they are long random values, so a fast hash is enough).
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  username TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(username) BETWEEN 1 AND 64),
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
  created_at INTEGER NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
  token_hash TEXT NOT NULL UNIQUE,
  prefix TEXT NOT NULL,                            -- first characters, to recognise a token in lists
  role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
  user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  last_used_at INTEGER,
  revoked_at INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE sessions (
  id_hash TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_expiry ON sessions (expires_at);
CREATE INDEX sessions_user ON sessions (user_id);

-- Who did what: log pulls, crawls triggered, users and tokens changed, logins.
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,                             -- 'user:NAME', 'token:NAME', 'anonymous', 'cli' or 'system'
  action TEXT NOT NULL,
  target TEXT,
  detail TEXT                                      -- JSON, never a secret
);
CREATE INDEX audit_at ON audit_log (at);
