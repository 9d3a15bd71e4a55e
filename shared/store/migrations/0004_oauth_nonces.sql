-- OAuth 1.0a nonces seen within the timestamp window. The primary key, not a read before
-- the write, makes a replay fail on whichever Lambda instance receives it.
CREATE TABLE oauth_nonces (
  consumer_key text NOT NULL,
  nonce text NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (consumer_key, nonce)
);

CREATE INDEX oauth_nonces_expiry ON oauth_nonces (expires_at);
