//! The examples' code, shared by their binaries (`src/bin/*.rs`) and by the tests that
//! run them against a real provider (`crates/idp-e2e/tests/it/mcp.rs`).

pub mod mcp_flow;
pub mod resource_server;
