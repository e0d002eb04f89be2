-- Issue 18, Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document):
-- a client whose id is an https URL is fetched from it and stored as a `clients` row
-- (grants, consents and parked requests reference clients by foreign key), with this
-- cache record beside it: when the document was fetched and until when it may be used
-- without fetching it again (its HTTP caching headers, clamped). Shared by every
-- instance. The purge deletes a document's client once its record has expired and
-- nothing references it any more.
CREATE TABLE client_metadata_documents (
    client_id TEXT PRIMARY KEY NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    fetched_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX client_metadata_documents_expires_at ON client_metadata_documents (expires_at);
