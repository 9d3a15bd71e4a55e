-- Client certificates. The private key and chain live in the secret store under
-- secret_path; this row keeps the public details read from the leaf at upload.
-- Ids start above 2^32 so that every test and client handles ids wider than 32 bits.
CREATE TABLE certificates (
  id bigint GENERATED ALWAYS AS IDENTITY (START WITH 4294967297) PRIMARY KEY,
  account_id text NOT NULL,
  name text NOT NULL,
  display_name text NOT NULL,
  deleted boolean NOT NULL DEFAULT false,
  secret_path text NOT NULL,
  secret_version integer NOT NULL,
  not_before timestamptz NOT NULL,
  not_after timestamptz NOT NULL,
  subject text NOT NULL,
  issuer text NOT NULL,
  serial_number text NOT NULL,
  fingerprint_sha256 text NOT NULL,
  key_type text NOT NULL,
  chain_length integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);

-- A name is unique among the account's live certificates and free again once deleted.
CREATE UNIQUE INDEX certificates_live_name ON certificates (account_id, name) WHERE NOT deleted;

CREATE INDEX certificates_account ON certificates (account_id) WHERE NOT deleted;
