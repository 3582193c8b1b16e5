//! `sessdiff encodings`: seeds for the `der` target from the sessions a
//! corpus builds.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use sessdiff::backend::NativeBackend;
use sessdiff::program::{Program, S};
use sessdiff::{corpus, lockstep};

/// Run every program of the given corpora on the native implementation,
/// collect the distinct DER encodings of the sessions they build (after
/// every op), and write each as a `der` probe program (decode, dup, decode
/// in place) named by a hash of the encoding.
#[derive(Args)]
pub struct EncodingsArgs {
    /// Corpus folders or program files (e.g. corpora/ops).
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Where to write the probe programs (e.g. corpora/der/sessions).
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: EncodingsArgs) -> Result<ExitCode> {
    // Encoding -> where it was first seen.
    let mut found: BTreeMap<Vec<u8>, String> = BTreeMap::new();
    let inputs = corpus::read_programs(&args.inputs)?;
    let programs = inputs.len();
    for (f, program) in &inputs {
        let mut step = 0;
        let _ = lockstep::run_alone(program, &mut NativeBackend::new(), |b| {
            step += 1;
            for s in S::all().filter_map(|s| b.session(s)) {
                if let Some(der) = s.read().encode() {
                    found
                        .entry(der)
                        .or_insert_with(|| format!("{} (after op {step})", f.display()));
                }
            }
            Ok::<(), Infallible>(())
        });
    }
    let mut written = 0;
    for (der, origin) in &found {
        let mut h = rustc_hash::FxHasher::default();
        der.hash(&mut h);
        let path = args.out.join(format!("session-{:016x}.txt", h.finish()));
        if !path.exists() {
            let header = format!(
                "the encoding of a session built by {origin}\ncommand: {}",
                super::command_line()
            );
            corpus::write_program(&path, &header, &Program::der_probe(der.clone(), None))?;
            written += 1;
        }
    }
    println!(
        "{programs} programs, {} distinct encodings, {written} new files in {}",
        found.len(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
