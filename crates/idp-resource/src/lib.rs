//! Bearer tokens from this provider, for the APIs that accept them.
//!
//! An API (an MCP server, a file cloud's API, any resource server) uses this crate to
//! check the RFC 9068 JWT access tokens the provider issues — locally, against the
//! provider's JWKS found through its discovery document — or remotely, asking its
//! introspection endpoint (RFC 7662) about any token — and to answer a request
//! without a usable token the way RFC 6750 §3 and RFC 9728 §5.1 say, pointing the
//! client to the resource's metadata document. [`JwtValidator`] checks locally,
//! [`IntrospectionValidator`] asks the provider, [`Validator`] is either;
//! [`ResourceError`] carries the answer (status and `WWW-Authenticate`);
//! [`ProtectedResourceMetadata`] is the RFC 9728 document. With the `actix` feature,
//! `actix::Authenticated` is an extractor and `actix::configure` serves the metadata.
//!
//! Invariants, stated as absences: this crate needs neither the provider's store nor
//! actix for its core; the JWT validator holds no token state (a JWT is valid until its
//! `exp` unless its key leaves the JWKS — tokens that must be revocable sooner belong to
//! introspection, whose cache keeps a positive answer at most its configured maximum
//! age, 60 s by default, 0 to turn it off, and never past the token's `exp`); it never
//! keeps a token itself, only its SHA-256 digest; it never accepts `alg` `none` or an HMAC
//! algorithm, and never fetches keys from a URL a token names.

mod cache;
mod challenge;
mod discovery;
mod either;
mod error;
mod in_flight;
mod introspection;
mod jwks;
mod jwt;
mod metadata;
mod principal;
mod validator;

#[cfg(feature = "actix")]
pub mod actix;

pub use either::Validator;
pub use error::ResourceError;
pub use idp_crypto::KeyAlgorithm;
pub use introspection::{IntrospectionConfig, IntrospectionValidator};
pub use metadata::ProtectedResourceMetadata;
pub use principal::Principal;
pub use validator::{JwtValidator, ValidatorConfig};
