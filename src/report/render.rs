//! The report as Markdown, as HTML (rendered by pulldown-cmark) and the
//! cache chart as SVG (plotters).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;
use plotters::prelude::*;

use super::Report;
use super::targets::{CACHE_SIZES, FLUSH_SIZES, Goal, Row, Unit};

/// A row's figure for people, in its unit.
fn figure(row: &Row, v: Option<f64>) -> String {
    match (row.unit, row.goal, v) {
        (_, _, None) => "—".into(),
        (Unit::Bytes, _, Some(v)) => format!("{v:.0} bytes"),
        (Unit::Ns, Goal::Rate(_), Some(v)) => format!("{} ({:.0}/s)", ns(Some(v)), 1e9 / v),
        (Unit::Ns, _, v) => ns(v),
    }
}

/// A median for people.
fn ns(v: Option<f64>) -> String {
    match v {
        None => "—".into(),
        Some(v) if v >= 1e6 => format!("{:.2} ms", v / 1e6),
        Some(v) if v >= 1e3 => format!("{:.2} µs", v / 1e3),
        Some(v) => format!("{v:.1} ns"),
    }
}

fn ratio(r: &Row) -> String {
    r.ratio().map_or("—".into(), |x| {
        if x < 0.01 {
            format!("{x:.5}")
        } else {
            format!("{x:.3}")
        }
    })
}

fn goal(r: &Row) -> String {
    match r.goal {
        Goal::Ratio(max) => format!("≤ {max}"),
        Goal::Floor(id, times) => format!("≤ {times} × `{id}` ({})", ns(r.floor)),
        Goal::Rate(min) => format!("≥ {min:.0}/s"),
        Goal::None => "—".into(),
    }
}

/// The report in Markdown.
pub fn markdown(r: &Report) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# sessdiff performance report\n");
    let _ = writeln!(md, "- machine: {}", r.machine);
    let _ = writeln!(md, "- libssl: {}", r.libssl);
    let _ = writeln!(
        md,
        "- medians from one `cargo bench` run (criterion); ratio = native / libssl, lower is better\n"
    );
    let _ = writeln!(md, "| path | native | libssl | ratio | target | met |");
    let _ = writeln!(md, "|---|---:|---:|---:|---|---|");
    for row in &r.rows {
        let met = match row.met() {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "—",
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {met} |",
            row.name,
            figure(row, row.native),
            figure(row, row.libssl),
            ratio(row),
            goal(row),
        );
    }
    let _ = writeln!(
        md,
        "\n![the cache: cost per session against cache size](cache.svg)\n"
    );
    if let Some(f) = &r.fuzz {
        let _ = writeln!(md, "## Differential fuzzing rate\n");
        let _ = writeln!(
            md,
            "`sessdiff fuzz --seed 1 --ops 32` for {:.1} s on one thread: **{:.0} programs/s**, \
             {:.0} ops/s ({} programs, {} divergences).",
            f.seconds, f.programs_per_sec, f.ops_per_sec, f.programs, f.divergences
        );
    }
    if !r.releases.is_empty() {
        let _ = writeln!(md, "\n## libssl across releases\n");
        let _ = writeln!(
            md,
            "The libssl side of each path, medians, built statically against each release \
             (`scripts/bench-releases.sh`); `system` is the run above.\n"
        );
        let mut head = String::from("| path | system |");
        let mut rule = String::from("|---|---:|");
        for (release, _) in &r.releases {
            let _ = write!(head, " {release} |");
            rule.push_str("---:|");
        }
        let _ = writeln!(md, "{head}\n{rule}");
        for (path, row) in super::targets::PATHS.iter().zip(&r.rows) {
            if path.libssl.is_empty() {
                continue;
            }
            let mut line = format!("| {} | {} |", row.name, figure(row, row.libssl));
            for (_, est) in &r.releases {
                let _ = write!(line, " {} |", figure(row, est.get(path.libssl).copied()));
            }
            let _ = writeln!(md, "{line}");
        }
    }
    let missed: Vec<&Row> = r.rows.iter().filter(|x| x.met() == Some(false)).collect();
    if !missed.is_empty() {
        let _ = writeln!(md, "\n## Targets not met in this run\n");
        for row in missed {
            let measured = match row.goal {
                Goal::Rate(_) => format!("{:.0}/s", row.rate().unwrap_or(0.0)),
                _ => format!("ratio {}", ratio(row)),
            };
            let _ = writeln!(md, "- {}: {measured} (target {})", row.name, goal(row));
        }
    }
    let _ = writeln!(md, "\n## Notes\n");
    if r.loop_runs.len() > 1 {
        let runs: Vec<String> = r.loop_runs.iter().map(|&v| ns(Some(v))).collect();
        let _ = writeln!(
            md,
            "- The differential loop's row is the median of {} runs, each from its own copy of \
             the benchmark binary ({}): where the kernel places a binary's pages moves that \
             benchmark by several percent, between byte-identical copies too.",
            runs.len(),
            runs.join(", ")
        );
    }
    let _ = writeln!(
        md,
        "- `floor_atomic` is two relaxed/release atomic operations on one counter: the least a \
         thread-safe count can cost. `floor_biased` is two plain increments: what the owner-thread \
         path of a biased scheme could cost."
    );
    let _ = writeln!(
        md,
        "- libssl's cache keeps a sorted list and walks it on insert, so its add cost grows with \
         the cache; the native cache keeps two short vectors up to 32 sessions (key prints \
         scanned, expiry order by binary search) and a hash table plus a B-tree keyed by (expiry, \
         insertion order) past that. An add + remove takes two mutexes (the cache's and the \
         session's) and counts one reference each way: ten atomic read-modify-writes, about 50 ns \
         here, where libssl's takes six (its ctx lock taken and released in each call, the \
         count once each way)."
    );
    let _ = writeln!(
        md,
        "- A native `dup` shares its source's byte strings (master key, host name, ALPN, tickets) \
         in one copy-on-write block: one atomic operation each way, where copying them counted \
         every buffer. What is left is the source's lock (two atomic operations), one allocation \
         and the counts of the copy and of the block, about 40 ns here, where 0.2 of libssl's dup \
         is about 32 ns."
    );
    md
}

/// The performance report's Markdown `md` as a standalone HTML page.
pub fn html(md: &str) -> String {
    html_page("sessdiff performance report", md)
}

/// Markdown `md` as a standalone HTML page titled `title`.
pub fn html_page(title: &str, md: &str) -> String {
    use pulldown_cmark::{Options, Parser, html};
    let mut body = String::new();
    html::push_html(&mut body, Parser::new_ext(md, Options::ENABLE_TABLES));
    let mut t = String::new();
    pulldown_cmark_escape::escape_html(&mut t, title).expect("writing to a String");
    format!(
        "<!doctype html>\n<meta charset=utf-8>\n<title>{t}</title>\n\
         <style>body{{font-family:sans-serif;max-width:980px;margin:2em auto}}\
         table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px}}\
         pre{{background:#f6f6f6;padding:8px;overflow-x:auto}}</style>\n{body}"
    )
}

/// The cost per session of both sides against cache size, as SVG at
/// `path`: an add + remove (solid lines), and a flush of half the cache
/// divided by the sessions it removed (dashed); nothing is written without
/// measurements.
pub fn chart(path: &Path, est: &BTreeMap<String, f64>) -> Result<()> {
    // A curve: the median of `group/who/N` at each size N, divided by the
    // sessions one operation handles there.
    let series = |group: &str, sizes: &[u64], per: fn(f64) -> f64, who: &str| {
        sizes
            .iter()
            .filter_map(|&n| {
                let v = est.get(&format!("{group}/{who}/{n}"))?;
                let n = n as f64;
                Some((n, v / per(n)))
            })
            .collect::<Vec<(f64, f64)>>()
    };
    let add = |who| series("cache_add_remove", CACHE_SIZES, |_| 1.0, who);
    let flush = |who| series("flush_half", FLUSH_SIZES, |n| n / 2.0, who);
    let lines = [
        (add("native"), BLUE, false, "native add + remove"),
        (add("libssl"), RED, false, "libssl add + remove"),
        (
            flush("native"),
            BLUE,
            true,
            "native flush, per session removed",
        ),
        (
            flush("libssl"),
            RED,
            true,
            "libssl flush, per session removed",
        ),
    ];
    let points = || lines.iter().flat_map(|l| l.0.iter().map(|p| p.1));
    if points().next().is_none() {
        return Ok(());
    }
    let ymax = points().fold(1.0, f64::max) * 2.0;
    let ymin = points().fold(f64::MAX, f64::min) / 2.0;
    let root = SVGBackend::new(path, (720, 460)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut ch = ChartBuilder::on(&root)
        .caption(
            "the cache: cost per session against cache size",
            ("sans-serif", 18),
        )
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d((5.0f64..200_000.0).log_scale(), (ymin..ymax).log_scale())?;
    ch.configure_mesh()
        .x_desc("sessions in the cache")
        .y_desc("ns per session (median)")
        .draw()?;
    for (data, color, dashed, name) in &lines {
        let (color, dashed) = (*color, *dashed);
        let style = color.stroke_width(2);
        if dashed {
            ch.draw_series(DashedLineSeries::new(data.iter().copied(), 6, 4, style))?
        } else {
            ch.draw_series(LineSeries::new(data.iter().copied(), style))?
        }
        .label(*name)
        .legend(move |(x, y)| {
            let end = if dashed { x + 8 } else { x + 18 };
            PathElement::new(vec![(x, y), (end, y)], style)
        });
        ch.draw_series(data.iter().map(|&p| Circle::new(p, 4, color.filled())))?;
    }
    ch.configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .border_style(BLACK)
        .background_style(WHITE)
        .draw()?;
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::FuzzRate;
    use crate::report::targets::rows;

    fn report() -> Report {
        let est: BTreeMap<String, f64> = [
            ("new_free/native", 20.0),
            ("new_free/libssl", 50.0),
            ("memory_per_cached_session/native", 450.0),
            ("memory_per_cached_session/libssl", 1000.0),
            ("differential_loop/ops_32", 40_000.0),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        Report {
            machine: "test machine".into(),
            libssl: "OpenSSL 3.0.19".into(),
            rows: rows(&est),
            fuzz: Some(FuzzRate {
                seconds: 1.0,
                programs: 10,
                programs_per_sec: 10.0,
                ops_per_sec: 300.0,
                divergences: 0,
            }),
            releases: vec![(
                "4.0.3".into(),
                [("new_free/libssl".to_string(), 80.0)]
                    .into_iter()
                    .collect(),
            )],
            loop_runs: vec![24_000.0, 25_000.0, 40_000.0],
        }
    }

    #[test]
    fn the_markdown_table_shows_each_path_with_its_verdict() {
        let md = markdown(&report());
        assert!(
            md.contains("| new + free | 20.0 ns | 50.0 ns | 0.400 | ≤ 0.2 | **no** |"),
            "{md}"
        );
        assert!(
            md.contains("| get1 + free (atomic handle) | — | — | — | ≤ 0.3 | — |"),
            "{md}"
        );
        assert!(
            md.contains("| memory per cached session, 100,000 sessions | 450 bytes | 1000 bytes | 0.450 | ≤ 0.5 | yes |"),
            "{md}"
        );
        assert!(
            md.contains("| differential loop, 32-op programs, one core | 40.00 µs (25000/s) | — | — | ≥ 20000/s | yes |"),
            "{md}"
        );
        assert!(
            md.contains("- new + free: ratio 0.400 (target ≤ 0.2)"),
            "{md}"
        );
        assert!(md.contains("**10 programs/s**"), "{md}");
        assert!(md.contains("| path | system | 4.0.3 |"), "{md}");
        assert!(md.contains("| new + free | 50.0 ns | 80.0 ns |"), "{md}");
        assert!(
            md.contains("| get1 + free (atomic handle) | — | — |"),
            "{md}"
        );
        assert!(
            md.contains("median of 3 runs, each from its own copy of the benchmark binary (24.00 µs, 25.00 µs, 40.00 µs)"),
            "{md}"
        );
    }

    #[test]
    fn html_is_rendered_by_a_markdown_parser() {
        let h = html(&markdown(&report()));
        assert!(h.contains("<h1>sessdiff performance report</h1>"), "{h}");
        assert!(
            h.contains("<table>") && h.contains("<td>new + free</td>"),
            "{h}"
        );
        assert!(h.contains("<strong>no</strong>"), "{h}");
        assert!(h.contains("<img src=\"cache.svg\""), "{h}");
    }

    #[test]
    fn the_chart_draws_both_curves_per_session() {
        let est: BTreeMap<String, f64> = [
            ("cache_add_remove/native/10", 80.0),
            ("cache_add_remove/libssl/10", 75.0),
            ("flush_half/native/1000", 50_000.0),
            ("flush_half/libssl/1000", 60_000.0),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let path = std::env::temp_dir().join(format!("sessdiff-chart-{}.svg", std::process::id()));
        chart(&path, &est).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        for name in ["native add + remove", "libssl flush, per session removed"] {
            assert!(svg.contains(name), "{name}");
        }
        // 60,000 ns over the 500 sessions flushed is 120 ns a session: the
        // y axis reaches twice the highest point, 240 (a label at 200), not
        // 120,000 (labels at 20,000 and 50,000).
        assert!(svg.contains("200.0"), "{svg}");
        assert!(
            !svg.contains("20000.0") && !svg.contains("50000.0"),
            "{svg}"
        );

        let none =
            std::env::temp_dir().join(format!("sessdiff-chart-none-{}.svg", std::process::id()));
        chart(&none, &BTreeMap::new()).unwrap();
        assert!(!none.exists(), "nothing measured, nothing drawn");
    }
}
