//! One module per subcommand.

pub mod encodings;
pub mod fuzz;
pub mod generate;
pub mod import;
pub mod replay;
pub mod report;
pub mod shrink;

use clap::Args;
use sessdiff::campaign::Target;

/// Which programs a seeded campaign makes (`fuzz` and `generate`).
#[derive(Args, Clone, Copy)]
pub struct CampaignArgs {
    /// The campaign's seed; the same seed gives the same programs.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// What to exercise: `ops`, random call programs; `der`, mostly-valid
    /// session DER through every decode path.
    #[arg(long, value_enum, default_value_t = Target::Ops)]
    pub target: Target,
    /// Ops per program (for `--target ops`).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=4096))]
    pub ops: u16,
}

/// Exit code for a divergence.
pub const DIVERGED: u8 = 1;
