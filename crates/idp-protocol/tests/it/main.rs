//! Protocol rules driven through the `Provider` API over the real SQLite store, with a
//! fixed clock so lifetimes can be crossed without waiting.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod client_documents;
mod cors;
mod declared;
mod device;
mod harness;
mod keys;
mod lifetimes;
mod review;
mod rules;
