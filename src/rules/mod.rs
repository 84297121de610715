//! The compiled rule set: rule files in, a matcher that tells for one line
//! which rule (if any) decides it.
//!
//! The rules are compiled once and shared by every thread through an `Arc`;
//! each thread (each clone of a [`RuleSet`]) only owns search caches. Rules
//! anchored at the line's start (every `line` and `prefix` rule, and `regex`
//! rules that begin with `^` and use no Unicode `\b`) share one
//! multi-pattern lazy DFA, which runs
//! from the line's first byte and usually gives up a few bytes in. Every
//! other rule has its own forward lazy DFA, but most lines never reach one:
//! one Aho-Corasick automaton holds the required literals of those rules
//! (see the `literals` module), and a line is tried only against the rules
//! whose literals it contains, and only while its word count is within
//! their limits. Unanchored rules without a usable literal are tried on
//! every line within their limits. The anchored automaton and the literal
//! search run over a whole document's lines first, four lines in step
//! ([`RuleSet::presearch`]), since each is a chain of dependent loads.

use std::sync::{Arc, Mutex, TryLockError};

use regex_automata::nfa::thompson::{self, WhichCaptures};
use regex_syntax::hir::Hir;

use crate::error::LineError;
use crate::params::{Params, Preset};
use crate::text::count_words;
pub(crate) use engine::LiteralEnd;
use engine::{
    COMPILED_SIZE_LIMIT, Engine, Literals, Scratch, ScratchGuard, describe_nfa_error, error_at,
    literal_ends_in_step, matches_every_line,
};
pub use engine::{Presearch, Rule};
pub use file::{Action, Origin};
use file::{DEFAULT_ORIGIN, RuleFile, RuleSpec, Scope};
use phrase::PhraseHirs;

/// The rules shipped with kzclean, compiled into the binary.
pub const DEFAULT_RULES: &str = include_str!("../../rules/default.rules");

/// How large one hand-written (`regex` scope) rule's compiled regex may grow
/// before it is refused.
const RULE_SIZE_LIMIT: usize = 10 * 1024 * 1024;
/// A `line` rule allows this many words of decoration around its phrase
/// ("» Related posts «", "Comments (12)").
const LINE_SCOPE_SLACK_WORDS: u32 = 3;

/// Compiled rules plus the parameters the rule files set.
///
/// Cloning is cheap: the compiled regexes and the literal automaton are
/// shared; the clone gets its own (empty) search caches. Give each thread
/// its own clone.
pub struct RuleSet {
    rules: Arc<[Rule]>,
    engine: Arc<Engine>,
    params: Params,
    scratch: Mutex<Scratch>,
}

impl Clone for RuleSet {
    fn clone(&self) -> RuleSet {
        RuleSet {
            rules: Arc::clone(&self.rules),
            engine: Arc::clone(&self.engine),
            params: self.params.clone(),
            scratch: Mutex::default(),
        }
    }
}

impl std::fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleSet")
            .field("rules", &self.rules)
            .field("unfiltered", &self.engine.unfiltered.len())
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

/// Where rules come from: a label for messages and the file's bytes.
pub struct RuleSource<'a> {
    /// The file's name in errors and in [`Origin::path`].
    pub path: String,
    /// The rule file's text (it must be UTF-8; an error says so if not).
    pub bytes: &'a [u8],
}

impl RuleSet {
    /// The built-in rules with balanced parameters.
    pub fn builtin() -> RuleSet {
        // The default rules are tested to compile; failing here is a bug.
        RuleSet::build(true, &[], Preset::Balanced).expect("the built-in rules compile")
    }

    /// Builds a rule set: the defaults (if `with_defaults`), then each source
    /// in order. All problems in all files are returned together.
    ///
    /// # Errors
    ///
    /// Every problem found in every source, in file and line order, each
    /// naming its file and line and saying how to fix it
    /// ([`crate::Error::Rules`] holds them as one error).
    ///
    /// ```
    /// use kzclean::{Preset, RuleSet, RuleSource};
    /// let site_rules = RuleSource {
    ///     path: "site.rules".to_string(),
    ///     bytes: b"drop letter line Sign up for our weekly letter\nkeep byline prefix By \n",
    /// };
    /// let rules = RuleSet::build(true, &[site_rules], Preset::Balanced)
    ///     .map_err(kzclean::Error::Rules)?;
    /// let line = b"Sign up for our weekly letter";
    /// let rule = rules.match_line(line, kzclean::count_words(line)).unwrap();
    /// assert_eq!(rules.rules()[rule as usize].id, "letter");
    ///
    /// let typo = RuleSource { path: "typo.rules".to_string(), bytes: b"drop x lnie Menu\n" };
    /// let errors = RuleSet::build(false, &[typo], Preset::Balanced).unwrap_err();
    /// assert!(errors[0].to_string().starts_with("typo.rules:1: "));
    /// # Ok::<(), kzclean::Error>(())
    /// ```
    pub fn build(
        with_defaults: bool,
        sources: &[RuleSource<'_>],
        preset: Preset,
    ) -> Result<RuleSet, Vec<LineError>> {
        RuleSet::build_within(with_defaults, sources, preset, COMPILED_SIZE_LIMIT)
    }

    /// [`RuleSet::build`], with the compiled rules limited to `size_limit`
    /// bytes together.
    fn build_within(
        with_defaults: bool,
        sources: &[RuleSource<'_>],
        preset: Preset,
        size_limit: usize,
    ) -> Result<RuleSet, Vec<LineError>> {
        let mut errors = Vec::new();
        let files = parse_files(with_defaults, sources, &mut errors);
        let (params, specs) = gather_specs(&files, preset, &mut errors);
        let mut rules = Vec::new();
        let mut hirs = Vec::new();
        let mut phrase_trees = PhraseHirs::default();
        for spec in &specs {
            match compile_spec(spec, &mut phrase_trees) {
                Ok((rule, hir)) => {
                    rules.push(rule);
                    hirs.push(hir);
                }
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            // In file order, then line order, as a user reads the files.
            let file_rank = |path: &str| {
                let order = std::iter::once(DEFAULT_ORIGIN).chain(sources.iter().map(|s| &*s.path));
                order.into_iter().position(|p| p == path)
            };
            errors.sort_by_key(|e| (file_rank(&e.path), e.line));
            return Err(errors);
        }
        let engine = Engine::build(&rules, &hirs, size_limit)?;
        Ok(RuleSet {
            rules: rules.into(),
            engine: Arc::new(engine),
            params,
            scratch: Mutex::default(),
        })
    }

    /// Every compiled rule, in precedence order within each action.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The user's rules (not the built-in ones) that `--fast` never asks
    /// ([`RuleSet::match_anchored_with`] asks only those in the automaton
    /// of rules anchored at a line's start), in the order of
    /// [`RuleSet::rules`]: what the command and the Python binding name.
    pub fn user_rules_skipped_by_fast(&self) -> Vec<&Rule> {
        let engine = &*self.engine;
        let mut asked = vec![false; self.rules.len()];
        if let Some(anchored) = &engine.anchored {
            for &rank in &anchored.rank_of {
                asked[engine.by_rank[rank as usize] as usize] = true;
            }
        }
        self.rules
            .iter()
            .zip(asked)
            .filter(|&(rule, asked)| !asked && !rule.is_builtin())
            .map(|(rule, _)| rule)
            .collect()
    }

    /// The parameters after presets and `set` lines.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// The rule that decides a line, if any: `keep` rules win over `cut`,
    /// `cut` over `drop`; among equals, the first one defined. `content` is
    /// the line without its terminator and `words` its word count.
    ///
    /// Allocates nothing once this clone has seen each rule once.
    pub fn match_line(&self, content: &[u8], words: u32) -> Option<u32> {
        self.match_line_with(content, words, Presearch::default())
    }

    /// [`RuleSet::match_line`] for a line [`RuleSet::presearch`] already
    /// searched: `found` is what it found in this line.
    pub fn match_line_with(&self, content: &[u8], words: u32, found: Presearch) -> Option<u32> {
        // Most lines: the presearch found no anchored match and no literal,
        // and no rule runs on every line, so no rule can match; the
        // scratch need not be locked (a lock and unlock cost a fifth of
        // this function's time).
        let engine = &*self.engine;
        if engine.anchored_for(words, found).is_none()
            && engine.literals_for(words, found).is_none()
            && engine.unfiltered.is_empty()
        {
            return None;
        }
        let mut scratch = self.lock_scratch();
        self.match_line_in(&mut scratch, content, words, found)
    }

    /// Runs the two searches every line needs over many lines at once:
    /// whether an anchored rule matches, and where the first required
    /// literal ends. Each is a chain of dependent table loads per line, so
    /// one line at a time leaves the CPU waiting on memory; four lines go
    /// in step instead. `lines` yields `(index, content, words)`;
    /// `found[index]` gets what was found, to give to
    /// [`RuleSet::match_line_with`]. What cannot be decided this way (a
    /// Unicode word boundary next to non-ASCII text; too many literals for
    /// a DFA) is left for `match_line_with` to search; so is a line whose
    /// index is past the end of `found` (it is not searched).
    ///
    /// ```
    /// use kzclean::{Presearch, RuleSet, count_words};
    /// let rules = RuleSet::builtin();
    /// let lines: [&[u8]; 2] = [b"Skip to content", b"The plan would start in May."];
    /// let mut found = vec![Presearch::default(); lines.len()];
    /// rules.presearch(lines.iter().enumerate().map(|(i, &l)| (i, l, count_words(l))), &mut found);
    /// for (&line, &f) in lines.iter().zip(&found) {
    ///     let words = count_words(line);
    ///     assert_eq!(rules.match_line_with(line, words, f), rules.match_line(line, words));
    /// }
    /// ```
    pub fn presearch<'t>(
        &self,
        lines: impl Iterator<Item = (usize, &'t [u8], u32)> + Clone,
        found: &mut [Presearch],
    ) {
        self.presearch_anchored(lines.clone(), found);
        let engine = &*self.engine;
        if let Some(Literals::Table(table)) = &engine.literals {
            let searched = lines
                .filter(|&(_, _, words)| words <= engine.literal_max_words)
                .map(|(i, line, _)| (i, line));
            literal_ends_in_step(table, searched, |i, end| {
                if let Some(found) = found.get_mut(i) {
                    found.literal = end;
                }
            });
        }
    }

    /// `--fast`'s first search: [`RuleSet::presearch`] for the rules
    /// anchored at a line's start only (`line`, `prefix`, and `regex` rules
    /// starting with `^`), which one automaton decides a few bytes into most
    /// lines. Then [`RuleSet::match_anchored_with`] tells which rule.
    pub fn presearch_anchored<'t>(
        &self,
        lines: impl Iterator<Item = (usize, &'t [u8], u32)>,
        found: &mut [Presearch],
    ) {
        let engine = &*self.engine;
        if let Some(anchored) = &engine.anchored {
            let mut scratch = self.lock_scratch();
            let cache = scratch
                .anchored
                .get_or_insert_with(|| anchored.regex.create_cache());
            let searched = lines
                .filter(|&(_, _, words)| words <= anchored.max_words)
                .map(|(i, line, _)| (i, line));
            anchored
                .regex
                .matches_in_step(cache, searched, |i, matched| {
                    if let Some(found) = found.get_mut(i) {
                        found.anchored = Some(matched);
                    }
                });
        }
    }

    /// The anchored rule that decides a line, if any (`--fast`: rules that
    /// must search the whole line, `contains` and other regexes, are not
    /// asked). `found` is what [`RuleSet::presearch_anchored`] found.
    /// Inlined: most lines return at the first check.
    #[inline]
    pub fn match_anchored_with(&self, content: &[u8], words: u32, found: Presearch) -> Option<u32> {
        let engine = &*self.engine;
        let anchored = engine.anchored.as_ref()?;
        if words > anchored.max_words || found.anchored == Some(false) {
            return None;
        }
        let mut scratch = self.lock_scratch();
        let best = anchored.best(
            &mut scratch,
            &engine.max_words,
            content,
            words,
            found.anchored,
        );
        (best != u32::MAX).then(|| engine.by_rank[best as usize])
    }

    /// This clone's search state. Each thread has its own clone, so the
    /// lock is never contended; if one clone is shared by threads after
    /// all, a busy lock means a fresh scratch: slower, never wrong.
    fn lock_scratch(&self) -> ScratchGuard<'_> {
        match self.scratch.try_lock() {
            Ok(g) => ScratchGuard::Locked(g),
            Err(TryLockError::Poisoned(p)) => ScratchGuard::Locked(p.into_inner()),
            Err(TryLockError::WouldBlock) => ScratchGuard::Spare(Box::default()),
        }
    }

    fn match_line_in(
        &self,
        scratch: &mut Scratch,
        content: &[u8],
        words: u32,
        found: Presearch,
    ) -> Option<u32> {
        let engine = &*self.engine;
        // The best (lowest) rank found so far; u32::MAX: none.
        let best = match engine.anchored_for(words, found) {
            Some(anchored) => {
                anchored.best(scratch, &engine.max_words, content, words, found.anchored)
            }
            None => u32::MAX,
        };
        let Scratch {
            caches,
            candidates,
            found: found_literals,
            ..
        } = scratch;
        found_literals.clear();
        if candidates.is_empty() {
            *candidates = vec![0; engine.by_rank.len().div_ceil(64).max(1)];
            caches.resize_with(engine.by_rank.len(), || None);
        }
        let mut any = false;
        let mut mark = |rank: u32| {
            if rank < best && words <= engine.max_words[rank as usize] {
                if !any {
                    candidates.fill(0);
                    any = true;
                }
                candidates[rank as usize / 64] |= 1 << (rank % 64);
            }
        };
        for &rank in &engine.unfiltered {
            mark(rank);
        }
        if best > engine.min_literal_rank
            && let Some(literals) = engine.literals_for(words, found)
            && let Some(first_end) = match found.literal {
                // Within the line even when `found` is another line's.
                LiteralEnd::At(end) => Some(end.min(content.len())),
                LiteralEnd::None => None,
                LiteralEnd::NotSearched => literals.first_end(content),
            }
        {
            // No literal ends before the first one to end, so none starts
            // before it minus the longest literal: the bytes before need
            // no second look.
            let from = first_end.saturating_sub(engine.longest_literal);
            literals.each_overlapping(content, from, |p| {
                found_literals.push(p as u32);
                let (from, to) = (engine.literal_start[p], engine.literal_start[p + 1]);
                for &rank in &engine.literal_ranks[from as usize..to as usize] {
                    mark(rank);
                }
            });
        }
        if any {
            // Candidates in precedence order: the first that matches decides.
            for (block, &bits) in candidates.iter().enumerate() {
                let mut bits = bits;
                while bits != 0 {
                    let rank = block * 64 + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    let Some(regex) = &engine.regexes[rank] else {
                        continue;
                    };
                    if let Some(checks) = &engine.checks[rank]
                        && !engine::checks_allow(checks, found_literals, content)
                    {
                        continue;
                    }
                    let cache = caches[rank].get_or_insert_with(|| regex.create_cache());
                    if regex.is_match(cache, content) {
                        return Some(engine.by_rank[rank]);
                    }
                }
            }
        }
        (best != u32::MAX).then(|| engine.by_rank[best as usize])
    }
}

/// Parses the built-in rules (unless left out) and each source, keeping
/// what parses and every error.
fn parse_files(
    with_defaults: bool,
    sources: &[RuleSource<'_>],
    errors: &mut Vec<LineError>,
) -> Vec<RuleFile> {
    let mut files = Vec::new();
    if with_defaults {
        let (file, e) = file::parse_all(DEFAULT_ORIGIN, DEFAULT_RULES.as_bytes());
        files.push(file);
        errors.extend(e);
    }
    for source in sources {
        let (file, e) = file::parse_all(&source.path, source.bytes);
        files.push(file);
        errors.extend(e);
    }
    files
}

/// The files' settings applied over the preset, and their rules in file
/// order: duplicate ids refused, `disable`d rules taken out.
fn gather_specs(
    files: &[RuleFile],
    preset: Preset,
    errors: &mut Vec<LineError>,
) -> (Params, Vec<RuleSpec>) {
    let mut params = Params::preset(preset);
    let mut specs: Vec<RuleSpec> = Vec::new();
    for file in files {
        for setting in &file.settings {
            if let Err(message) = params.set(&setting.name, setting.value) {
                errors.push(error_at(&setting.origin, message));
            }
        }
        for spec in &file.rules {
            if let Some(first) = specs.iter().find(|s| s.id == spec.id) {
                errors.push(error_at(
                    &spec.origin,
                    format!(
                        "duplicate rule id `{}` (first defined at {}:{}); ids must be unique",
                        spec.id, first.origin.path, first.origin.line
                    ),
                ));
                continue;
            }
            specs.push(spec.clone());
        }
    }
    let mut disabled: Vec<&str> = Vec::new();
    for file in files {
        for (id, origin) in &file.disabled {
            let before = specs.len();
            specs.retain(|s| &s.id != id);
            if specs.len() < before {
                disabled.push(id);
            } else if !disabled.contains(&id.as_str()) {
                errors.push(error_at(
                    origin,
                    format!("`disable {id}`: no rule has this id"),
                ));
            }
        }
    }
    (params, specs)
}

/// One rule's identity and syntax tree, or why it is refused (with its
/// line).
fn compile_spec(spec: &RuleSpec, phrase_trees: &mut PhraseHirs) -> Result<(Rule, Hir), LineError> {
    let mut max_words = spec.max_words;
    if spec.scope == Scope::Line {
        let longest = spec
            .patterns
            .iter()
            .map(|p| count_words(p.as_bytes()))
            .max()
            .unwrap_or(0);
        let implied = longest + LINE_SCOPE_SLACK_WORDS;
        max_words = Some(max_words.map_or(implied, |m| m.min(implied)));
    }
    // A hand-written regex (a `regex` rule's one pattern) is parsed, and its
    // syntax checked, per rule so that errors carry a line number. Phrases
    // cannot be bad: their tree is built directly.
    let regex = &spec.patterns[0];
    let parsed = match phrase_trees.build(spec) {
        Some(hir) => Ok(hir),
        None => regex_syntax::Parser::new().parse(regex),
    };
    let hir = parsed.map_err(|e| {
        error_at(
            &spec.origin,
            format!(
                "rule `{}`: bad regex: {}",
                spec.id,
                // The parser quotes the pattern, which may hold control
                // characters (`\x1b` written raw in the rule file).
                crate::error::quote_input(e.to_string().replace('\n', " ").as_bytes())
            ),
        )
    })?;
    // A regex that matches every line (`.*`, `(foo)?`) drops or keeps the
    // whole input: almost surely a mistake, so it is refused. Under a word
    // limit it is a way to say "every short line".
    if spec.scope == Scope::Regex && spec.max_words.is_none() && matches_every_line(&hir, regex) {
        return Err(error_at(
            &spec.origin,
            format!(
                "rule `{}`: the regex matches every line (it can match an empty \
                 string); make part of it required, or add words<=N to apply it \
                 to short lines only",
                spec.id
            ),
        ));
    }
    // A hand-written regex can blow up when compiled (counted repetitions of
    // Unicode classes): refuse it here, with its line, rather than spend
    // seconds compiling it. Only the forward NFA is built, and not for the
    // built-in rules (a test compiles them): start-up is paid once per
    // process.
    if spec.scope == Scope::Regex
        && spec.origin.path != DEFAULT_ORIGIN
        && let Err(e) = thompson::Compiler::new()
            .configure(
                thompson::Config::new()
                    .which_captures(WhichCaptures::None)
                    .nfa_size_limit(Some(RULE_SIZE_LIMIT))
                    .shrink(false),
            )
            .build_from_hir(&hir)
    {
        return Err(error_at(
            &spec.origin,
            format!("rule `{}`: {}", spec.id, describe_nfa_error(&e)),
        ));
    }
    let rule = Rule {
        id: spec.id.clone(),
        action: spec.action,
        max_words,
        origin: spec.origin.clone(),
    };
    Ok((rule, hir))
}

mod engine;
mod file;
mod literals;
mod phrase;
mod table;
#[cfg(test)]
mod tests;
