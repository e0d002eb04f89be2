//! The validator against a stand-in provider on 127.0.0.1: a discovery document and a
//! JWKS it can change, counting how often the keys are fetched.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod introspection;
mod support;
mod validation;
