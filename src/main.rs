//! The `sessdiff` command line.
//!
//! Exit codes: 0 clean, 1 a divergence, 2 bad usage or bad input.

mod cli;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Differential fuzzing of libssl's SSL_SESSION, SSL session slot and
/// session cache against a native Rust implementation.
#[derive(Parser)]
#[command(version, about, long_about = None)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Fuzz(cli::fuzz::FuzzArgs),
    Survey(cli::survey::SurveyArgs),
    #[command(hide = true)]
    SurveyWorker(cli::survey::WorkerArgs),
    Replay(cli::replay::ReplayArgs),
    Shrink(cli::shrink::ShrinkArgs),
    Generate(cli::generate::GenerateArgs),
    Import(cli::import::ImportArgs),
    Encodings(cli::encodings::EncodingsArgs),
    Report(cli::report::ReportArgs),
    Probe(cli::probe::ProbeArgs),
    Matrix(cli::matrix::MatrixArgs),
    /// Print a shell completion script: `sessdiff completions bash >
    /// ~/.local/share/bash-completion/completions/sessdiff`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = match args.command {
        Command::Fuzz(a) => cli::fuzz::run(a),
        Command::Survey(a) => cli::survey::run(a),
        Command::SurveyWorker(a) => cli::survey::serve(a),
        Command::Replay(a) => cli::replay::run(a),
        Command::Shrink(a) => cli::shrink::run(a),
        Command::Generate(a) => cli::generate::run(a),
        Command::Import(a) => cli::import::run(a),
        Command::Encodings(a) => cli::encodings::run(a),
        Command::Report(a) => cli::report::run(a),
        Command::Probe(a) => cli::probe::run(a),
        Command::Matrix(a) => cli::matrix::run(a),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            use std::io::Write as _;
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Args::command(), "sessdiff", &mut script);
            // A closed pipe (`| head`) is the reader's choice, not an error.
            let _ = std::io::stdout().write_all(&script);
            Ok(ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("sessdiff: {e:#}");
            ExitCode::from(2)
        }
    }
}
