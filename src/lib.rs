//! sessdiff: differential testing of libssl's session objects against a
//! native Rust implementation.
//!
//! Layers, each knowing only those below it (see `DESIGN.md`):
//!
//! | layer | module |
//! |---|---|
//! | call language | [`program`] |
//! | native implementation | [`native`] |
//! | real OpenSSL (all `unsafe`) | [`ossl`] |
//! | backends | [`backend`] |
//! | lockstep runner | [`lockstep`] |
//! | tools | [`shrink`], [`corpus`], [`campaign`] |
pub mod backend;
pub mod campaign;
pub mod corpus;
#[cfg(feature = "faults")]
pub mod faults;
pub mod lockstep;
pub mod native;
pub mod ossl;
pub mod program;
pub mod shrink;
