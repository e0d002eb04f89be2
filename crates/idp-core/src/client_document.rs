//! Clients described by a Client ID Metadata Document
//! (draft-ietf-oauth-client-id-metadata-document): the cache record kept beside such a
//! client's row.
//!
//! Such a client is stored as an ordinary `clients` row (grants, consents and parked
//! requests reference clients by foreign key, so a client id must name a row) whose
//! [`crate::ClientOptions::metadata_document`] is set, plus a [`ClientDocumentRecord`]
//! saying when the document was fetched and until when it may be used without fetching
//! it again. Every instance reads the same rows: nothing about a document lives only in
//! one process.

use chrono::{DateTime, Utc};

use crate::{Client, ClientId, Result};

/// When a client's metadata document was fetched and how long it may be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientDocumentRecord {
    /// When it was fetched.
    pub fetched_at: DateTime<Utc>,
    /// When it must be fetched again before the client is used.
    pub expires_at: DateTime<Utc>,
}

impl ClientDocumentRecord {
    /// Whether the document may still be used at `now` without fetching it again.
    pub fn is_fresh(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at
    }
}

/// Storage of clients described by metadata documents.
pub trait ClientDocumentRepo {
    /// The cache record of the client with this id, if it is a document's client.
    fn client_document(&self, id: &ClientId) -> Result<Option<ClientDocumentRecord>>;
    /// Stores a freshly fetched document's client — inserting its row, or replacing
    /// everything but its id and creation time — and its cache record, in one
    /// transaction.
    fn store_client_document(&self, client: &Client, record: &ClientDocumentRecord) -> Result<()>;
}
