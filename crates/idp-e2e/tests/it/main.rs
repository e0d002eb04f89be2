//! End-to-end tests: the real server on 127.0.0.1, driven by the `openidconnect` client
//! and a cookie-keeping `reqwest` browser that fills in the HTML forms.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod channels;
mod claims;
mod client_metadata;
mod clients;
mod code_flow;
mod cors;
mod database;
mod device;
mod fleet;
mod hooks;
mod hostile_input;
mod implicit;
mod import;
mod jwt_access_token;
mod limits;
mod logout;
mod machine_tokens;
mod mcp;
mod negative;
mod operations;
mod registration;
mod resource;
mod resource_indicators;
mod signing;
mod support;
mod token_exchange;
mod webfinger;
