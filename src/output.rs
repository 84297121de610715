//! Turning verdicts into bytes: the cleaned text, the `--explain` table or
//! the removed lines (`--invert`), plus the counts behind `--stats`.

use std::io::Write as _;
use std::ops::AddAssign;

use crate::document::lines;
use crate::features::{FAST_FEATURE_NAMES, FEATURE_NAMES};
use crate::rules::RuleSet;
use crate::verdict::{Reason, Verdict};

/// What to write for each document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// The kept lines, byte for byte.
    #[default]
    Clean,
    /// One row per input line: `keep|drop <TAB> reason <TAB> line`.
    Explain,
    /// The removed non-blank lines, byte for byte.
    Invert,
}

/// Appends the output of one document to `out`: `verdicts` holds one
/// verdict per line of `doc` (as [`crate::Cleaner::classify`] gives them)
/// and `rules` are the rules that gave them, which `Mode::Explain` names
/// (a verdict naming a rule `rules` lacks is shown as `unknown-rule-N`).
/// Lines past the last verdict are not written.
///
/// Every mode writes input lines as they came: `Mode::Clean` the kept
/// ones, `Mode::Invert` the dropped non-blank ones, `Mode::Explain` each
/// line after its verdict and reason (the last line ended with `\n` if
/// it had no terminator).
///
/// ```
/// use kzclean::{Cleaner, CleanerOptions, Mode, RuleSet, write_document};
/// let mut cleaner = Cleaner::new(RuleSet::builtin(), CleanerOptions::default());
/// let page = b"Skip to content\nThe minister said the plan would start in May, after a long debate.\n";
/// let mut verdicts = Vec::new();
/// cleaner.classify(page, &mut verdicts);
/// let mut removed = Vec::new();
/// write_document(Mode::Invert, page, &verdicts, cleaner.rules(), &mut removed);
/// assert_eq!(removed, b"Skip to content\n");
/// ```
pub fn write_document(
    mode: Mode,
    doc: &[u8],
    verdicts: &[Verdict],
    rules: &RuleSet,
    out: &mut Vec<u8>,
) {
    match mode {
        Mode::Clean => {
            for (line, v) in lines(doc).zip(verdicts) {
                if v.keep {
                    out.extend_from_slice(line);
                }
            }
        }
        Mode::Invert => {
            for (line, v) in lines(doc).zip(verdicts) {
                if !v.keep && !matches!(v.reason, Reason::BlankCollapsed) {
                    out.extend_from_slice(line);
                    terminate(line, out);
                }
            }
        }
        Mode::Explain => {
            for (line, v) in lines(doc).zip(verdicts) {
                out.extend_from_slice(if v.keep { b"keep\t" } else { b"drop\t" });
                write_reason(v.reason, rules, out);
                out.push(b'\t');
                out.extend_from_slice(line);
                terminate(line, out);
            }
        }
    }
}

/// [`write_document`] and [`Stats::add_document`] in one pass over the
/// document's lines (the pipeline's path: one line split instead of two).
pub fn write_and_count(
    mode: Mode,
    doc: &[u8],
    verdicts: &[Verdict],
    rules: &RuleSet,
    out: &mut Vec<u8>,
    stats: &mut Stats,
) {
    if mode != Mode::Clean {
        write_document(mode, doc, verdicts, rules, out);
        stats.add_document(doc, verdicts, rules.rules().len());
        return;
    }
    let starts = lines(doc).scan(0, |at, line| {
        let start = *at;
        *at += line.len();
        Some(start)
    });
    write_kept(doc, starts, verdicts, rules, out, stats);
}

/// [`write_and_count`] with the document's lines known: `starts` holds
/// where each line (one per verdict) starts, in order (the cleaner's
/// spans), so the document is not split into lines a second time (that
/// split was half of this pass's instructions).
pub(crate) fn write_and_count_at(
    mode: Mode,
    doc: &[u8],
    starts: impl ExactSizeIterator<Item = usize>,
    verdicts: &[Verdict],
    rules: &RuleSet,
    out: &mut Vec<u8>,
    stats: &mut Stats,
) {
    if mode != Mode::Clean || starts.len() != verdicts.len() {
        write_and_count(mode, doc, verdicts, rules, out, stats);
        return;
    }
    write_kept(doc, starts, verdicts, rules, out, stats);
}

/// The clean output and its counts, from where each line starts. Runs of
/// kept lines are copied at once, and the counts kept in locals: a copy
/// per line was a call per line, and the counts went back to memory
/// around each one.
fn write_kept(
    doc: &[u8],
    mut starts: impl Iterator<Item = usize>,
    verdicts: &[Verdict],
    rules: &RuleSet,
    out: &mut Vec<u8>,
    stats: &mut Stats,
) {
    stats.start_document(doc, rules.rules().len());
    let (mut lines_out, mut bytes_out) = (0, 0);
    let mut run: Option<usize> = None;
    let mut copy = |from: usize, to: usize, out: &mut Vec<u8>| {
        out.extend_from_slice(&doc[from..to]);
        bytes_out += to - from;
    };
    // Verdicts first: at their end, the start left is where the run ends.
    for (v, start) in verdicts.iter().zip(starts.by_ref()) {
        if v.keep {
            lines_out += 1;
            run.get_or_insert(start);
        } else {
            if let Some(from) = run.take() {
                copy(from, start, out);
            }
            stats.add_removed(v);
        }
    }
    if let Some(from) = run {
        copy(from, starts.next().unwrap_or(doc.len()), out);
    }
    stats.lines_in += verdicts.len() as u64;
    stats.lines_out += lines_out;
    stats.bytes_out += bytes_out as u64;
}

/// Ends a row whose line had no terminator (the last line of a stream), so
/// that rows never run together.
fn terminate(line: &[u8], out: &mut Vec<u8>) {
    if !line.ends_with(b"\n") {
        out.push(b'\n');
    }
}

/// Writes the explain column for a reason.
pub fn write_reason(reason: Reason, rules: &RuleSet, out: &mut Vec<u8>) {
    // A verdict of other rules than `rules` (a caller's mix-up) names a
    // rule they may not have: said so, not a panic.
    let id = |i: u32, out: &mut Vec<u8>| match rules.rules().get(i as usize) {
        Some(rule) => out.extend_from_slice(rule.id.as_bytes()),
        None => {
            let _ = write!(out, "unknown-rule-{i}");
        }
    };
    match reason {
        Reason::Blank => out.extend_from_slice(b"blank"),
        Reason::BlankCollapsed => out.extend_from_slice(b"blank-run"),
        Reason::Rule(i) => id(i, out),
        Reason::CutGuarded(i) => {
            id(i, out);
            out.extend_from_slice(b" (cut guarded: too little text above)");
        }
        Reason::CutRepeated(i) => {
            id(i, out);
            out.extend_from_slice(b" (cut guarded: the line repeats)");
        }
        Reason::Cut(i) => {
            out.extend_from_slice(b"after-cut:");
            id(i, out);
        }
        Reason::NoRule => out.extend_from_slice(b"no-rule"),
        Reason::SiteRepeat { pages, site_pages } => {
            let _ = write!(out, "site-repeat({pages}/{site_pages})");
        }
        Reason::Model {
            probability,
            threshold,
            feature,
            site_seen,
        } => {
            // Two decimals: enough to see how close to the threshold it was.
            let _ = write!(out, "model:{probability:.2}/{threshold:.2}");
            if let Some((pages, site_pages)) = site_seen {
                let _ = write!(out, " site-seen({pages}/{site_pages})");
            }
            if let Some(f) = feature {
                out.push(b' ');
                // `--fast`'s features are numbered after the default ones.
                let name = FEATURE_NAMES
                    .iter()
                    .chain(FAST_FEATURE_NAMES)
                    .nth(f as usize)
                    .unwrap_or(&"?");
                out.extend_from_slice(name.as_bytes());
            }
        }
    }
}

/// Counts over one or many documents. Adds up with `+=`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Documents cleaned (a document cleaned in parts counts once).
    pub documents: u64,
    /// Lines read, separator lines included.
    pub lines_in: u64,
    /// Lines kept (in the cleaned output, whatever the mode), separator
    /// lines included.
    pub lines_out: u64,
    /// Bytes read (of the text, for JSON Lines and WET).
    pub bytes_in: u64,
    /// Bytes of the kept lines.
    pub bytes_out: u64,
    /// Lines removed by each rule (indexed like `RuleSet::rules`), a `cut`
    /// rule counting its marker and every line after it.
    pub removed_by_rule: Vec<u64>,
    /// Non-blank lines removed by the classifier.
    pub removed_by_classifier: u64,
    /// Lines removed as their site's repeated lines (`--profile`).
    pub removed_by_site_profile: u64,
    /// JSON Lines records dropped as unusable (`--on-error skip`).
    pub records_skipped: u64,
    /// Lines dropped unread for being longer than the line limit
    /// (`--max-line-bytes`); counted in `lines_in` too.
    pub lines_too_long: u64,
}

impl Stats {
    /// Counts one document and its verdicts (as [`crate::Cleaner::classify`]
    /// gives them). `rule_count` is the number of rules
    /// ([`RuleSet::rules`]`.len()`): [`Stats::removed_by_rule`] gets at
    /// least that many entries, and more if a verdict names a later rule.
    pub fn add_document(&mut self, doc: &[u8], verdicts: &[Verdict], rule_count: usize) {
        self.start_document(doc, rule_count);
        for (line, v) in lines(doc).zip(verdicts) {
            self.add_line(line, v);
        }
    }

    /// Counts a form-feed separator line, which is always kept.
    pub fn add_separator(&mut self, separator: &[u8]) {
        self.lines_in += 1;
        self.lines_out += 1;
        self.bytes_in += separator.len() as u64;
        self.bytes_out += separator.len() as u64;
    }

    /// Counts a document, before its lines are counted one by one.
    fn start_document(&mut self, doc: &[u8], rule_count: usize) {
        if self.removed_by_rule.len() < rule_count {
            self.removed_by_rule.resize(rule_count, 0);
        }
        self.documents += 1;
        self.bytes_in += doc.len() as u64;
    }

    /// Counts one line of a document and its verdict.
    #[inline]
    fn add_line(&mut self, line: &[u8], v: &Verdict) {
        self.lines_in += 1;
        if v.keep {
            self.lines_out += 1;
            self.bytes_out += line.len() as u64;
            return;
        }
        self.add_removed(v);
    }

    /// Counts a removed line by its reason.
    #[inline]
    fn add_removed(&mut self, v: &Verdict) {
        match v.reason {
            Reason::Rule(i) | Reason::Cut(i) | Reason::CutGuarded(i) | Reason::CutRepeated(i) => {
                let i = i as usize;
                // Past the rule count the caller gave: grow, not panic.
                if i >= self.removed_by_rule.len() {
                    self.removed_by_rule.resize(i + 1, 0);
                }
                self.removed_by_rule[i] += 1
            }
            Reason::Model { .. } => self.removed_by_classifier += 1,
            Reason::SiteRepeat { .. } => self.removed_by_site_profile += 1,
            Reason::Blank | Reason::BlankCollapsed | Reason::NoRule => {}
        }
    }
}

impl AddAssign<&Stats> for Stats {
    fn add_assign(&mut self, other: &Stats) {
        self.documents += other.documents;
        self.lines_in += other.lines_in;
        self.lines_out += other.lines_out;
        self.bytes_in += other.bytes_in;
        self.bytes_out += other.bytes_out;
        if self.removed_by_rule.len() < other.removed_by_rule.len() {
            self.removed_by_rule.resize(other.removed_by_rule.len(), 0);
        }
        for (a, b) in self.removed_by_rule.iter_mut().zip(&other.removed_by_rule) {
            *a += b;
        }
        self.removed_by_classifier += other.removed_by_classifier;
        self.removed_by_site_profile += other.removed_by_site_profile;
        self.records_skipped += other.records_skipped;
        self.lines_too_long += other.lines_too_long;
    }
}
