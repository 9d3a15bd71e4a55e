-- Append-only trail of management writes (certificate and mapping create, update, delete),
-- successful or not.
CREATE TABLE audit_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  account_id text NOT NULL,
  principal text NOT NULL,
  auth_type text NOT NULL,
  action text NOT NULL,
  object_id bigint,
  outcome text NOT NULL CHECK (outcome IN ('success', 'failure')),
  detail text
);

CREATE INDEX audit_events_account ON audit_events (account_id, id DESC);
