//! One module per subcommand.

pub mod encodings;
pub mod fuzz;
pub mod generate;
pub mod import;
pub mod replay;
pub mod report;
pub mod shrink;

/// Exit code for a divergence.
pub const DIVERGED: u8 = 1;
