-- Mappings of (account, service, URL) to a certificate, LivePerson's "ac-common" mtls
-- configuration. normalized_url is the URL in the form runtime lookups compare.
CREATE TABLE mappings (
  id bigint GENERATED ALWAYS AS IDENTITY (START WITH 8589934593) PRIMARY KEY,
  account_id text NOT NULL,
  certificate_id bigint NOT NULL REFERENCES certificates (id),
  service_id smallint NOT NULL CHECK (service_id IN (0, 1, 2)),
  url text NOT NULL,
  normalized_url text NOT NULL,
  name text NOT NULL,
  enabled boolean NOT NULL,
  deleted boolean NOT NULL DEFAULT false,
  revision integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);

-- These two constraints, not a read before the write, stop concurrent creates from both winning.
CREATE UNIQUE INDEX mappings_live_key ON mappings (account_id, service_id, normalized_url) WHERE NOT deleted;

CREATE UNIQUE INDEX mappings_live_name ON mappings (account_id, name) WHERE NOT deleted;

CREATE INDEX mappings_certificate ON mappings (certificate_id) WHERE NOT deleted;
