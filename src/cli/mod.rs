//! One module per subcommand.

pub mod fuzz;
pub mod generate;
pub mod replay;

/// Exit code for a divergence.
pub const DIVERGED: u8 = 1;
