//! What the user sees on stderr: errors, warnings, stats, a progress bar.

use std::io::{self, IsTerminal, Write};

use indicatif::{ProgressBar, ProgressStyle};
use kzclean::{Pipeline, RuleSet, Stats, Warning};

/// Prints an error on stderr. A closed stderr is ignored: nothing else can be
/// done about it, and panicking would lose the exit status.
pub fn report(e: &impl std::fmt::Display) {
    let mut stderr = io::stderr().lock();
    for line in e.to_string().lines() {
        let _ = writeln!(stderr, "kzclean: {line}");
    }
}

/// A bar counting files and bytes, only when stderr is a terminal (never in
/// logs or pipes).
pub fn progress_bar(files: usize, bytes: u64) -> Option<ProgressBar> {
    if !io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(bytes);
    // The template is a constant; if indicatif ever rejected it, no bar is
    // better than no run.
    let style = ProgressStyle::with_template(
        "{msg} [{wide_bar}] {decimal_bytes}/{decimal_total_bytes} {decimal_bytes_per_sec} ETA {eta}",
    )
    .ok()?;
    bar.set_style(style.progress_chars("=> "));
    bar.set_message(format!("0/{files} files"));
    Some(bar)
}

/// Reports the warnings: documents cleaned in parts, and the records
/// `--on-error skip` dropped (the first few by line, then the count).
pub fn report_warnings(pipeline: &mut Pipeline, stats: &Stats) {
    let warnings = pipeline.take_warnings();
    for e in &warnings {
        report(e);
    }
    if stats.records_skipped > 0 {
        let listed = warnings
            .iter()
            .filter(|w| {
                matches!(
                    w,
                    Warning::RecordSkipped { .. } | Warning::WetRecordSkipped { .. }
                )
            })
            .count();
        let more = stats.records_skipped as usize - listed.min(stats.records_skipped as usize);
        let _ = writeln!(
            io::stderr().lock(),
            "kzclean: {} unusable records skipped{}",
            stats.records_skipped,
            if more > 0 {
                format!(" ({more} not listed above)")
            } else {
                String::new()
            }
        );
    }
}

pub fn print_stats(stats: &Stats, rule_ids: &[String], seconds: f64) {
    let pct = |a: u64, b: u64| {
        if b == 0 {
            0.0
        } else {
            100.0 * a as f64 / b as f64
        }
    };
    let mb = |b: u64| b as f64 / 1e6;
    let mut s = String::new();
    use std::fmt::Write as _;
    let _ = writeln!(
        s,
        "kzclean: {} documents; lines {} in, {} out ({:.1}%); bytes {:.3} MB in, {:.3} MB out ({:.1}%)",
        stats.documents,
        stats.lines_in,
        stats.lines_out,
        pct(stats.lines_out, stats.lines_in),
        mb(stats.bytes_in),
        mb(stats.bytes_out),
        pct(stats.bytes_out, stats.bytes_in),
    );
    let _ = writeln!(
        s,
        "kzclean: {:.3} s, {:.1} MB/s",
        seconds,
        if seconds > 0.0 {
            mb(stats.bytes_in) / seconds
        } else {
            0.0
        }
    );
    let mut by_rule: Vec<(u64, &str)> = stats
        .removed_by_rule
        .iter()
        .zip(rule_ids)
        .filter(|(n, _)| **n > 0)
        .map(|(n, id)| (*n, id.as_str()))
        .collect();
    by_rule.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    if stats.removed_by_classifier > 0 {
        by_rule.push((stats.removed_by_classifier, "(classifier)"));
    }
    if stats.removed_by_site_profile > 0 {
        by_rule.push((stats.removed_by_site_profile, "(site profile)"));
    }
    if stats.lines_too_long > 0 {
        by_rule.push((stats.lines_too_long, "(longer than --max-line-bytes)"));
    }
    if !by_rule.is_empty() {
        let _ = writeln!(s, "kzclean: lines removed by rule:");
        for (n, id) in by_rule {
            let _ = writeln!(s, "  {n:>10}  {id}");
        }
    }
    let _ = io::stderr().lock().write_all(s.as_bytes());
}

/// Names the user's rules that `--fast` does not apply (it asks only the
/// rules anchored at a line's start), so none is dropped unseen: the first
/// few by line, then the count and what to do.
pub fn report_fast_skips(rules: &RuleSet) {
    const SHOWN: usize = 5;
    let skipped = rules.user_rules_skipped_by_fast();
    if skipped.is_empty() {
        return;
    }
    let mut stderr = io::stderr().lock();
    for rule in skipped.iter().take(SHOWN) {
        let _ = writeln!(
            stderr,
            "kzclean: {}:{}: rule `{}` is not anchored at a line's start; --fast ignores it",
            rule.origin.path, rule.origin.line, rule.id
        );
    }
    let more = skipped.len().saturating_sub(SHOWN);
    let _ = writeln!(
        stderr,
        "kzclean: --fast ignores {} of your rules{}: it applies only `line`, `prefix` and \
         `regex ^...` rules; run without --fast to apply them all",
        skipped.len(),
        if more > 0 {
            format!(" ({more} more not listed)")
        } else {
            String::new()
        }
    );
}
