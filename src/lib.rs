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
//! | tools | [`shrink`], [`corpus`], [`campaign`], [`survey`], [`report`], [`rerun`] |
//!
//! [`errcode`] is a leaf that every layer may use: libssl's packed error
//! codes; so is `bytes`, the snapshots' byte-string helpers. All `unsafe`
//! code is in [`ossl`]; everything else denies it.
#![deny(unsafe_code)]
#![deny(clippy::undocumented_unsafe_blocks)]

mod addr_map;
pub mod backend;
mod bytes;
pub mod campaign;
pub mod caps;
pub mod corpus;
pub mod errcode;
#[cfg(feature = "faults")]
pub mod faults;
pub mod lockstep;
pub mod native;
#[allow(unsafe_code)]
pub mod ossl;
pub mod program;
pub mod report;
pub mod rerun;
pub mod shrink;
pub mod survey;
