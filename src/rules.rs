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

mod literals;

use std::sync::{Arc, Mutex, TryLockError};

use aho_corasick::AhoCorasick;
use regex_automata::hybrid;
use regex_automata::nfa::thompson::WhichCaptures;
use regex_automata::nfa::thompson::{self, pikevm, pikevm::PikeVM};
use regex_automata::{Input, MatchKind, PatternSet};
use regex_syntax::hir::{Class, ClassUnicode, ClassUnicodeRange, Hir, Look};

use crate::error::RuleError;
use crate::params::{Params, Preset};
use crate::rulefile::{self, Action, Origin, RuleFile, RuleSpec, Scope};
use crate::text::count_words;

/// The rules shipped with kzclean, compiled into the binary.
pub const DEFAULT_RULES: &str = include_str!("../rules/default.rules");
/// The path errors give for the built-in rules.
const DEFAULT_ORIGIN: &str = "<default>";

/// How large one hand-written (`regex` scope) rule's compiled regex may grow
/// before it is refused.
const RULE_SIZE_LIMIT: usize = 10 * 1024 * 1024;
/// How large any one compiled rule may grow (phrase rules can list many
/// phrases).
const COMPILED_SIZE_LIMIT: usize = 256 * 1024 * 1024;
/// How much memory one rule's lazy DFA may use in each thread; when full,
/// the cache is cleared and rebuilt. Most default rules use a few KiB; the
/// ones with many phrases fill this over a large stream, and each thread
/// holds one cache per rule, so the limit is what they cost at `-j2`: 2 MiB
/// took the 250 MB stream to 65 MiB there, 512 KiB keeps it near 60 MiB
/// for 1% more instructions on the rules-only run (callgrind, 10 MB). It also
/// keeps a hostile rule from growing a thread's memory without bound.
const DFA_CACHE_LIMIT: usize = 512 * 1024;
/// How much memory the lazy DFA of the start-anchored rules may use in each
/// thread. When full, the cache is cleared and rebuilt, so memory stays
/// bounded whatever the rules; but a cache too small for the states a
/// corpus needs is cleared over and over, and the rules-only run slows to a
/// third of its speed. The default rules' states take 7.2 MiB on the dev
/// corpus and 11 MiB once every phrase of the rule file has also been read
/// in six case variants: a limit with room above both, allocated only as
/// states are built.
const ANCHORED_CACHE_LIMIT: usize = 32 * 1024 * 1024;
/// A `line` rule allows this many words of decoration around its phrase
/// ("» Related posts «", "Comments (12)").
const LINE_SCOPE_SLACK_WORDS: u32 = 3;

/// One compiled rule's identity: what `--explain` and `--stats` show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub id: String,
    pub action: Action,
    /// The rule applies to lines of at most this many words.
    pub max_words: Option<u32>,
    pub origin: Origin,
}

/// The compiled matcher, shared by all threads.
///
/// A rule's *rank* is its place in precedence order, (action, index): the
/// lowest-ranked matching rule decides a line.
struct Engine {
    /// Rule index by rank.
    by_rank: Vec<u32>,
    /// The word limit of each rank (`u32::MAX`: none).
    max_words: Vec<u32>,
    /// The rules anchored at the line's start, all in one automaton that
    /// runs from the line's first byte and usually stops a few bytes in.
    anchored: Option<Anchored>,
    /// Each rank's own automaton; used for rules that are not anchored.
    /// Forward only: a rule needs to know whether it matches, not where.
    regexes: Vec<Option<Automaton>>,
    /// Required literals of the unanchored rules, ASCII case-insensitive,
    /// in one Aho-Corasick automaton. Most lines hold none.
    literals: Option<Literals>,
    /// Ranks needing each literal:
    /// `literal_ranks[literal_start[p]..literal_start[p + 1]]`.
    literal_start: Vec<u32>,
    literal_ranks: Vec<u32>,
    /// The largest word limit among the rules with literals: longer lines
    /// are not searched for literals at all.
    literal_max_words: u32,
    /// The length of the longest literal.
    longest_literal: usize,
    /// The lowest rank among the rules with literals: a line an anchored
    /// rule of lower rank matched is not searched for literals.
    min_literal_rank: u32,
    /// Ranks of unanchored rules without a usable literal, tried on every
    /// line within their limits.
    unfiltered: Vec<u32>,
}

/// The start-anchored rules as one multi-pattern regex.
struct Anchored {
    regex: Automaton,
    /// Rank of each pattern, increasing.
    rank_of: Vec<u32>,
    /// The largest word limit among them.
    max_words: u32,
}

/// One thread's search state: a cache per regex (made on first use), the
/// patterns that matched and the candidate ranks of the current line.
#[derive(Default)]
struct Scratch {
    anchored: Option<AutomatonCache>,
    matched: Option<PatternSet>,
    caches: Vec<Option<AutomatonCache>>,
    candidates: Vec<u64>,
}

/// A clone's scratch, locked, or a fresh one when another thread holds it.
enum ScratchGuard<'a> {
    Locked(std::sync::MutexGuard<'a, Scratch>),
    Spare(Box<Scratch>),
}

impl std::ops::Deref for ScratchGuard<'_> {
    type Target = Scratch;
    fn deref(&self) -> &Scratch {
        match self {
            ScratchGuard::Locked(g) => g,
            ScratchGuard::Spare(s) => s,
        }
    }
}

impl std::ops::DerefMut for ScratchGuard<'_> {
    fn deref_mut(&mut self) -> &mut Scratch {
        match self {
            ScratchGuard::Locked(g) => g,
            ScratchGuard::Spare(s) => s,
        }
    }
}

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
    pub path: String,
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
    pub fn build(
        with_defaults: bool,
        sources: &[RuleSource<'_>],
        preset: Preset,
    ) -> Result<RuleSet, Vec<RuleError>> {
        RuleSet::build_within(with_defaults, sources, preset, COMPILED_SIZE_LIMIT)
    }

    /// [`RuleSet::build`], with the compiled rules limited to `size_limit`
    /// bytes together.
    fn build_within(
        with_defaults: bool,
        sources: &[RuleSource<'_>],
        preset: Preset,
        size_limit: usize,
    ) -> Result<RuleSet, Vec<RuleError>> {
        let mut errors = Vec::new();
        let mut files: Vec<RuleFile> = Vec::new();
        if with_defaults {
            let (file, e) = rulefile::parse_all(DEFAULT_ORIGIN, DEFAULT_RULES.as_bytes());
            files.push(file);
            errors.extend(e);
        }
        for source in sources {
            let (file, e) = rulefile::parse_all(&source.path, source.bytes);
            files.push(file);
            errors.extend(e);
        }
        let mut params = Params::preset(preset);
        let mut specs: Vec<RuleSpec> = Vec::new();
        for file in &files {
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
        for file in &files {
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
        let mut rules = Vec::new();
        let mut hirs = Vec::new();
        let mut phrase_trees = PhraseHirs::default();
        for spec in &specs {
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
            // A hand-written regex (a `regex` rule's one pattern) is parsed,
            // and its syntax checked, per rule so that errors carry a line
            // number. Phrases cannot be bad: their tree is built directly.
            let regex = &spec.patterns[0];
            let parsed = match phrase_trees.build(spec) {
                Some(hir) => Ok(hir),
                None => regex_syntax::Parser::new().parse(regex),
            };
            let hir = match parsed {
                Ok(hir) => hir,
                Err(e) => {
                    errors.push(error_at(
                        &spec.origin,
                        format!(
                            "rule `{}`: bad regex: {}",
                            spec.id,
                            e.to_string().replace('\n', " ")
                        ),
                    ));
                    continue;
                }
            };
            // A regex that matches every line (`.*`, `(foo)?`) drops or keeps
            // the whole input: almost surely a mistake, so it is refused.
            // Under a word limit it is a way to say "every short line".
            if spec.scope == Scope::Regex
                && spec.max_words.is_none()
                && matches_every_line(&hir, regex)
            {
                errors.push(error_at(
                    &spec.origin,
                    format!(
                        "rule `{}`: the regex matches every line (it can match an empty \
                         string); make part of it required, or add words<=N to apply it \
                         to short lines only",
                        spec.id
                    ),
                ));
                continue;
            }
            // A hand-written regex can blow up when compiled (counted
            // repetitions of Unicode classes): refuse it here, with its line,
            // rather than spend seconds compiling it.
            // Only the forward NFA is built, and not for the built-in rules
            // (a test compiles them): start-up is paid once per process.
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
                errors.push(error_at(
                    &spec.origin,
                    format!("rule `{}`: {}", spec.id, describe_nfa_error(&e)),
                ));
                continue;
            }
            hirs.push(hir);
            rules.push(Rule {
                id: spec.id.clone(),
                action: spec.action,
                max_words,
                origin: spec.origin.clone(),
            });
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
    /// a DFA) is left for `match_line_with` to search.
    pub fn presearch<'t>(
        &self,
        lines: impl Iterator<Item = (usize, &'t [u8], u32)> + Clone,
        found: &mut [Presearch],
    ) {
        let engine = &*self.engine;
        if let Some(anchored) = &engine.anchored {
            let mut scratch = self.lock_scratch();
            let cache = scratch
                .anchored
                .get_or_insert_with(|| anchored.regex.create_cache());
            let searched = lines
                .clone()
                .filter(|&(_, _, words)| words <= anchored.max_words)
                .map(|(i, line, _)| (i, line));
            anchored
                .regex
                .matches_in_step(cache, searched, |i, matched| {
                    found[i].anchored = Some(matched)
                });
        }
        if let Some(Literals::Dfa(dfa)) = &engine.literals {
            let searched = lines
                .filter(|&(_, _, words)| words <= engine.literal_max_words)
                .map(|(i, line, _)| (i, line));
            literal_ends_in_step(dfa, searched, |i, end| found[i].literal = end);
        }
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
        let best = match &engine.anchored {
            Some(anchored) if words <= anchored.max_words && found.anchored != Some(false) => {
                anchored.best(scratch, &engine.max_words, content, words, found.anchored)
            }
            _ => u32::MAX,
        };
        let Scratch {
            caches, candidates, ..
        } = scratch;
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
        if words <= engine.literal_max_words
            && best > engine.min_literal_rank
            && let Some(literals) = &engine.literals
            && let Some(first_end) = match found.literal {
                LiteralEnd::At(end) => Some(end),
                LiteralEnd::None => None,
                LiteralEnd::NotSearched => literals.first_end(content),
            }
        {
            // No literal ends before the first one to end, so none starts
            // before it minus the longest literal: the bytes before need
            // no second look.
            let from = first_end.saturating_sub(engine.longest_literal);
            literals.each_overlapping(content, from, |p| {
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

impl Anchored {
    /// The best rank among the anchored rules that match `line` and allow
    /// `words` words; `u32::MAX` if none.
    #[inline(never)]
    fn best(
        &self,
        scratch: &mut Scratch,
        max_words: &[u32],
        line: &[u8],
        words: u32,
        matches: Option<bool>,
    ) -> u32 {
        let cache = scratch
            .anchored
            .get_or_insert_with(|| self.regex.create_cache());
        if !matches.unwrap_or_else(|| self.regex.is_match(cache, line)) {
            return u32::MAX;
        }
        let matched = scratch
            .matched
            .get_or_insert_with(|| PatternSet::new(self.rank_of.len()));
        matched.clear();
        self.regex.which(cache, line, matched);
        // Patterns are numbered in rank order: the first one within its
        // word limit is the best.
        matched
            .iter()
            .map(|pattern| self.rank_of[pattern])
            .find(|&rank| words <= max_words[rank as usize])
            .unwrap_or(u32::MAX)
    }
}

/// The required literals' automaton: a DFA, built whole at start-up (a lazy
/// DFA over the same literals spent more time determinizing than
/// searching), one table lookup per byte; its low-level API lets
/// [`RuleSet::presearch`] search four lines in step. When the literals are
/// too many for a DFA, the slower automaton, one line at a time.
enum Literals {
    Dfa(Box<aho_corasick::dfa::DFA>),
    Other(AhoCorasick),
}

impl Literals {
    /// Both automata are ASCII case-insensitive, with standard semantics.
    fn build(patterns: &[Vec<u8>]) -> Result<Literals, aho_corasick::BuildError> {
        // Without a prefilter, start states are not special: the search in
        // step stops only at matches.
        let dfa = aho_corasick::dfa::DFA::builder()
            .ascii_case_insensitive(true)
            .match_kind(aho_corasick::MatchKind::Standard)
            .prefilter(false)
            .build(patterns);
        match dfa {
            Ok(dfa) => Ok(Literals::Dfa(Box::new(dfa))),
            Err(_) => Literals::build_other(patterns),
        }
    }

    /// The automaton for literals too many for a DFA.
    fn build_other(patterns: &[Vec<u8>]) -> Result<Literals, aho_corasick::BuildError> {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(aho_corasick::MatchKind::Standard)
            .build(patterns)
            .map(Literals::Other)
    }

    /// Does `line` hold any required literal? If so, where the first one
    /// to end ends (standard Aho-Corasick semantics report the match that
    /// ends first). Not inlined, so that profiles tell it from the
    /// anchored rules' search.
    #[inline(never)]
    fn first_end(&self, line: &[u8]) -> Option<usize> {
        use aho_corasick::automaton::Automaton;
        match self {
            // Errors are for anchored or too long searches: neither here.
            Literals::Dfa(dfa) => dfa
                .try_find(&aho_corasick::Input::new(line))
                .ok()
                .flatten()
                .map(|m| m.end()),
            Literals::Other(ac) => ac.find(line).map(|m| m.end()),
        }
    }

    /// Calls `hit(pattern)` for every literal in `line` that ends after
    /// `from`, overlaps included.
    fn each_overlapping(&self, line: &[u8], from: usize, mut hit: impl FnMut(usize)) {
        use aho_corasick::automaton::{Automaton, OverlappingState};
        let input = aho_corasick::Input::new(line).span(from..line.len());
        match self {
            Literals::Dfa(dfa) => {
                let mut state = OverlappingState::start();
                while dfa.try_find_overlapping(&input, &mut state).is_ok()
                    && let Some(m) = state.get_match()
                {
                    hit(m.pattern().as_usize());
                }
            }
            Literals::Other(ac) => {
                for m in ac.find_overlapping_iter(input) {
                    hit(m.pattern().as_usize());
                }
            }
        }
    }
}

/// What [`RuleSet::presearch`] found in a line; the default is "not
/// searched", which [`RuleSet::match_line_with`] then searches itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Presearch {
    /// Whether some anchored rule matches the line.
    pub anchored: Option<bool>,
    pub literal: LiteralEnd,
}

/// Where the first required literal ends in a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LiteralEnd {
    /// Not searched yet.
    #[default]
    NotSearched,
    /// No literal in the line.
    None,
    /// The first literal to end ends here.
    At(usize),
}

/// The literal search of [`RuleSet::presearch`]: four lines in step through `dfa`, each
/// lane taking the next line when its own ends (a match, or the line's
/// end); the last few lines one at a time. The first literal to end is
/// where the search first enters a match state, as [`first_literal_end`]
/// finds it.
#[inline(never)]
fn literal_ends_in_step<'t>(
    dfa: &aho_corasick::dfa::DFA,
    mut lines: impl Iterator<Item = (usize, &'t [u8])>,
    mut record: impl FnMut(usize, LiteralEnd),
) {
    use aho_corasick::Anchored::No;
    use aho_corasick::automaton::Automaton;
    const LANES: usize = 4;
    let Ok(start) = dfa.start_state(No) else {
        return;
    };
    // Per lane: the line (index, bytes not yet read, bytes read) and state.
    let mut lane: [Option<(usize, &[u8], usize)>; LANES] = [None; LANES];
    let mut state = [start; LANES];
    loop {
        for (slot, sid) in lane.iter_mut().zip(&mut state) {
            if slot.is_none()
                && let Some((i, line)) = lines.next()
            {
                *slot = Some((i, line, 0));
                *sid = start;
            }
        }
        if let [Some(a), Some(b), Some(c), Some(d)] = &mut lane {
            // All four busy: step together up to the shortest remainder,
            // stopping at the first special (match) state.
            let steps = a.1.len().min(b.1.len()).min(c.1.len()).min(d.1.len());
            let [mut s0, mut s1, mut s2, mut s3] = state;
            let mut taken = 0;
            for (((&b0, &b1), &b2), &b3) in a.1[..steps]
                .iter()
                .zip(&b.1[..steps])
                .zip(&c.1[..steps])
                .zip(&d.1[..steps])
            {
                s0 = dfa.next_state(No, s0, b0);
                s1 = dfa.next_state(No, s1, b1);
                s2 = dfa.next_state(No, s2, b2);
                s3 = dfa.next_state(No, s3, b3);
                taken += 1;
                if dfa.is_special(s0) | dfa.is_special(s1) | dfa.is_special(s2) | dfa.is_special(s3)
                {
                    break;
                }
            }
            state = [s0, s1, s2, s3];
            for l in [a, b, c, d] {
                l.1 = &l.1[taken..];
                l.2 += taken;
            }
        } else {
            if lane.iter().all(Option::is_none) {
                return;
            }
            // Fewer than four lines left: one lane at a time.
            for (slot, sid) in lane.iter_mut().zip(&mut state) {
                if let Some((_, rest, read)) = slot {
                    let mut taken = 0;
                    for &byte in rest.iter() {
                        *sid = dfa.next_state(No, *sid, byte);
                        taken += 1;
                        if dfa.is_special(*sid) {
                            break;
                        }
                    }
                    *rest = &rest[taken..];
                    *read += taken;
                }
            }
        }
        for (slot, &sid) in lane.iter_mut().zip(&state) {
            if let Some((i, rest, read)) = *slot {
                if dfa.is_match(sid) {
                    record(i, LiteralEnd::At(read));
                    *slot = None;
                } else if rest.is_empty() || dfa.is_dead(sid) {
                    record(i, LiteralEnd::None);
                    *slot = None;
                }
            }
        }
    }
}

impl Engine {
    /// Compiles the rules and gathers the unanchored rules' literals.
    fn build(rules: &[Rule], hirs: &[Hir], size_limit: usize) -> Result<Engine, Vec<RuleError>> {
        let mut by_rank: Vec<u32> = (0..rules.len() as u32).collect();
        by_rank.sort_by_key(|&i| (rules[i as usize].action, i));
        let too_large = |rule: &Rule, e: &dyn std::fmt::Display| {
            error_at(
                &rule.origin,
                format!(
                    "rule `{}`: the regex is too large once compiled ({e}); \
                     split it into several rules or use fewer phrases",
                    rule.id
                ),
            )
        };
        let mut regexes = Vec::with_capacity(rules.len());
        // What the compiled rules take together: like the one set of
        // before, they may not pass the size limit (hundreds of rules
        // like `\w{35}x1` would otherwise take a gigabyte).
        let mut compiled_bytes = 0;
        // The rules compiled so far, to name their files if they are too
        // large together.
        let mut compiled: Vec<u32> = Vec::new();
        let mut errors = Vec::new();
        let mut max_words = Vec::with_capacity(rules.len());
        let mut anchored_hirs: Vec<&Hir> = Vec::new();
        let mut anchored_ranks = Vec::new();
        let mut anchored_max_words = 0;
        let mut literal_sets: Vec<(Vec<u8>, u32)> = Vec::new();
        let mut unfiltered = Vec::new();
        let mut literal_max_words = 0;
        for (rank, &index) in by_rank.iter().enumerate() {
            let rule = &rules[index as usize];
            let hir = &hirs[index as usize];
            let limit = rule.max_words.unwrap_or(u32::MAX);
            max_words.push(limit);
            // A Unicode word boundary stops the lazy DFA on non-ASCII text:
            // such a rule runs alone, so it cannot slow the others down.
            if joins_anchored_set(hir) {
                anchored_hirs.push(hir);
                anchored_ranks.push(rank as u32);
                anchored_max_words = anchored_max_words.max(limit);
                regexes.push(None);
                continue;
            }
            match Automaton::build(&[hir], false, MatchKind::All, DFA_CACHE_LIMIT) {
                Ok(regex) => {
                    compiled_bytes += regex.nfa_bytes();
                    compiled.push(index);
                    if compiled_bytes > size_limit {
                        // Name every rule that must compile alongside.
                        let rest = by_rank[rank + 1..].iter().copied();
                        compiled.extend(rest.filter(|&i| !joins_anchored_set(&hirs[i as usize])));
                        return Err(too_large_together(rules, &compiled, size_limit));
                    }
                    regexes.push(Some(regex));
                }
                Err(e) => {
                    errors.push(too_large(rule, &e));
                    regexes.push(None);
                    continue;
                }
            }
            match literals::required(hir) {
                Some(set) => {
                    literal_max_words = literal_max_words.max(limit);
                    literal_sets.extend(set.into_iter().map(|l| (l, rank as u32)));
                }
                None => unfiltered.push(rank as u32),
            }
        }
        debug_assert!(anchored_ranks.is_sorted());
        let anchored = if anchored_hirs.is_empty() {
            None
        } else {
            match Automaton::build(&anchored_hirs, true, MatchKind::All, ANCHORED_CACHE_LIMIT) {
                Ok(regex) if compiled_bytes + regex.nfa_bytes() > size_limit => {
                    let anchored = anchored_ranks.iter().map(|&rank| by_rank[rank as usize]);
                    compiled.extend(anchored);
                    return Err(too_large_together(rules, &compiled, size_limit));
                }
                Ok(regex) => Some(Anchored {
                    regex,
                    rank_of: anchored_ranks,
                    max_words: anchored_max_words,
                }),
                Err(e) => {
                    // Blame the rules that are too large alone, if any.
                    for &rank in &anchored_ranks {
                        let index = by_rank[rank as usize] as usize;
                        if let Err(e) =
                            Automaton::build(&[&hirs[index]], true, MatchKind::All, DFA_CACHE_LIMIT)
                        {
                            errors.push(too_large(&rules[index], &e));
                        }
                    }
                    if errors.is_empty() {
                        errors.push(RuleError {
                            path: "<rules>".into(),
                            line: 0,
                            message: format!("the rules together are too large to compile: {e}"),
                        });
                    }
                    None
                }
            }
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        // One automaton pattern per distinct literal, with every rank that
        // needs it.
        literal_sets.sort();
        let mut patterns: Vec<Vec<u8>> = Vec::new();
        let mut literal_start = Vec::new();
        let mut literal_ranks = Vec::new();
        for (literal, rank) in literal_sets {
            if patterns.last() != Some(&literal) {
                literal_start.push(literal_ranks.len() as u32);
                patterns.push(literal);
            }
            // A rule's literals are distinct: each pair is new.
            literal_ranks.push(rank);
        }
        literal_start.push(literal_ranks.len() as u32);
        let literals = if patterns.is_empty() {
            None
        } else {
            match Literals::build(&patterns) {
                Ok(literals) => Some(literals),
                Err(e) => return Err(vec![too_many_literals(&e)]),
            }
        };
        let min_literal_rank = literal_ranks.iter().copied().min().unwrap_or(u32::MAX);
        let longest_literal = patterns.iter().map(Vec::len).max().unwrap_or(0);
        Ok(Engine {
            longest_literal,
            min_literal_rank,
            by_rank,
            max_words,
            anchored,
            regexes,
            literals,
            literal_start,
            literal_ranks,
            literal_max_words,
            unfiltered,
        })
    }
}

/// A lazy DFA over patterns, shared by threads, with the PikeVM on the same
/// NFA as the fallback for the searches the lazy DFA cannot run (a Unicode
/// word boundary next to non-ASCII text). The lazy DFA never gives up for
/// lack of cache: when its cache fills, it clears it and goes on, so memory
/// stays bounded and speed degrades gently on hostile rules.
struct Automaton {
    dfa: hybrid::dfa::DFA,
    pikevm: PikeVM,
    /// Searches start at the haystack's start only.
    anchored: bool,
}

/// One thread's caches for an [`Automaton`].
struct AutomatonCache {
    dfa: hybrid::dfa::Cache,
    pikevm: Option<pikevm::Cache>,
}

impl Automaton {
    /// Matches any of `hirs`; with `MatchKind::All`, [`Automaton::which`]
    /// reports every one that matches.
    fn build(
        hirs: &[&Hir],
        anchored: bool,
        kind: MatchKind,
        cache_capacity: usize,
    ) -> Result<Automaton, String> {
        let nfa = thompson::Compiler::new()
            .configure(
                thompson::Config::new()
                    .which_captures(WhichCaptures::None)
                    .nfa_size_limit(Some(COMPILED_SIZE_LIMIT))
                    .utf8(false),
            )
            .build_many_from_hir(hirs)
            .map_err(|e| e.to_string())?;
        let dfa = hybrid::dfa::Builder::new()
            .configure(
                hybrid::dfa::Config::new()
                    .match_kind(kind)
                    .cache_capacity(cache_capacity)
                    .skip_cache_capacity_check(true)
                    .minimum_cache_clear_count(None)
                    .unicode_word_boundary(true),
            )
            .build_from_nfa(nfa.clone())
            .map_err(|e| e.to_string())?;
        let pikevm = PikeVM::builder()
            .configure(PikeVM::config().match_kind(kind))
            .build_from_nfa(nfa)
            .map_err(|e| e.to_string())?;
        Ok(Automaton {
            dfa,
            pikevm,
            anchored,
        })
    }

    /// Memory held by the compiled automaton (not the caches).
    fn nfa_bytes(&self) -> usize {
        self.dfa.get_nfa().memory_usage()
    }

    fn create_cache(&self) -> AutomatonCache {
        AutomatonCache {
            dfa: self.dfa.create_cache(),
            pikevm: None,
        }
    }

    fn input<'h>(&self, haystack: &'h [u8]) -> Input<'h> {
        let input = Input::new(haystack);
        if self.anchored {
            input.anchored(regex_automata::Anchored::Yes)
        } else {
            input
        }
    }

    fn is_match(&self, cache: &mut AutomatonCache, haystack: &[u8]) -> bool {
        self.first_end(cache, haystack).is_some()
    }

    /// Where the first match to end ends (at most; 0 when the PikeVM had
    /// to decide), or `None` without a match.
    fn first_end(&self, cache: &mut AutomatonCache, haystack: &[u8]) -> Option<usize> {
        let input = self.input(haystack).earliest(true);
        match self.dfa.try_search_fwd(&mut cache.dfa, &input) {
            Ok(found) => found.map(|m| m.offset()),
            Err(_) => {
                let pikevm = &self.pikevm;
                let vm_cache = cache.pikevm.get_or_insert_with(|| pikevm.create_cache());
                pikevm.is_match(vm_cache, input).then_some(0)
            }
        }
    }

    /// [`Automaton::is_match`] of many lines, four in step through the
    /// lazy DFA (an anchored automaton; the rules' anchored one): calls
    /// `record(index, matched)` for each `(index, line)` it decides. A
    /// line it cannot decide (a quit byte: a Unicode word boundary next to
    /// non-ASCII text; the cache cleared, which invalidates the states of
    /// the lines in flight) is left for `is_match`.
    fn matches_in_step<'t>(
        &self,
        cache: &mut AutomatonCache,
        mut lines: impl Iterator<Item = (usize, &'t [u8])>,
        mut record: impl FnMut(usize, bool),
    ) {
        const LANES: usize = 4;
        let dfa = &self.dfa;
        let cache = &mut cache.dfa;
        let start_config =
            regex_automata::util::start::Config::new().anchored(regex_automata::Anchored::Yes);
        // Per lane: the line (index, bytes not yet read) and its state.
        let mut lane: [Option<(usize, &[u8])>; LANES] = [None; LANES];
        let mut state = [hybrid::LazyStateID::default(); LANES];
        loop {
            let Ok(start) = dfa.start_state(cache, &start_config) else {
                return;
            };
            for (slot, sid) in lane.iter_mut().zip(&mut state) {
                if slot.is_none()
                    && let Some((i, line)) = lines.next()
                {
                    *slot = Some((i, line));
                    *sid = start;
                }
            }
            if lane.iter().all(Option::is_none) {
                return;
            }
            let clears = cache.clear_count();
            // Step every busy lane up to the shortest remainder, stopping
            // at the first tagged (match, dead, quit) state.
            let steps = lane
                .iter()
                .map(|l| l.map_or(usize::MAX, |(_, rest)| rest.len()))
                .min()
                .unwrap_or(0);
            let mut taken = 0;
            let mut stale = false;
            'step: while taken < steps {
                for (slot, sid) in lane.iter().zip(&mut state) {
                    if let Some((_, rest)) = slot {
                        match dfa.next_state(cache, *sid, rest[taken]) {
                            Ok(next) => *sid = next,
                            Err(_) => return,
                        }
                        // A new state may have cleared the cache: the
                        // other lanes' states would then index a table
                        // that is gone.
                        if cache.clear_count() != clears {
                            stale = true;
                            break 'step;
                        }
                    }
                }
                taken += 1;
                if state.iter().any(|sid| sid.is_tagged()) {
                    break;
                }
            }
            if stale {
                // Those lines are left to the search of one line at a time.
                lane = [None; LANES];
                continue;
            }
            for (slot, sid) in lane.iter_mut().zip(&mut state) {
                let Some((i, rest)) = slot else { continue };
                *rest = &rest[taken.min(rest.len())..];
                if sid.is_match() {
                    record(*i, true);
                    *slot = None;
                } else if sid.is_dead() {
                    record(*i, false);
                    *slot = None;
                } else if sid.is_quit() {
                    *slot = None;
                } else if rest.is_empty() {
                    // Matches show one byte late: the end of the line is
                    // one more transition.
                    if let Ok(end) = dfa.next_eoi_state(cache, *sid) {
                        record(*i, end.is_match());
                    }
                    *slot = None;
                    if cache.clear_count() != clears {
                        // As above, for the lanes not settled yet.
                        stale = true;
                        break;
                    }
                }
            }
            if stale {
                lane = [None; LANES];
            }
        }
    }

    /// Adds every pattern that matches `haystack` to `set`.
    fn which(&self, cache: &mut AutomatonCache, haystack: &[u8], set: &mut PatternSet) {
        let input = self.input(haystack);
        if self
            .dfa
            .try_which_overlapping_matches(&mut cache.dfa, &input, set)
            .is_err()
        {
            set.clear();
            let pikevm = &self.pikevm;
            let vm_cache = cache.pikevm.get_or_insert_with(|| pikevm.create_cache());
            pikevm.which_overlapping_matches(vm_cache, &input, set);
        }
    }
}

/// Whether a rule's regex matches every line: it can match an empty
/// string and matches each of a few unlike lines. Only a regex of minimum
/// length 0 is compiled to find out, so other rules cost nothing here.
fn matches_every_line(hir: &Hir, regex: &str) -> bool {
    if hir.properties().minimum_len() != Some(0) {
        return false;
    }
    const PROBES: [&[u8]; 4] = [
        b"x",
        b"The minister said the plan would start in May.",
        "\u{413}\u{43b}\u{430}\u{432}\u{43d}\u{430}\u{44f} 2024".as_bytes(),
        b"\xff \xc2\xbb ---",
    ];
    regex::bytes::Regex::new(regex).is_ok_and(|re| PROBES.iter().all(|line| re.is_match(line)))
}

/// The error when the rules' literals together do not compile.
fn too_many_literals(e: &dyn std::fmt::Display) -> RuleError {
    RuleError {
        path: "<rules>".into(),
        line: 0,
        message: format!("the rules' literals are too many to compile: {e}"),
    }
}

/// Rules anchored at the line start (without a Unicode word boundary, which
/// would stop the lazy DFA on non-ASCII text) are compiled into one
/// automaton; the others each alone.
fn joins_anchored_set(hir: &Hir) -> bool {
    let props = hir.properties();
    props.look_set_prefix().contains(Look::Start) && !props.look_set().contains_word_unicode()
}

fn error_at(origin: &Origin, message: String) -> RuleError {
    RuleError {
        path: origin.path.clone(),
        line: origin.line,
        message,
    }
}

/// The error for rules that each compile alone but not together as one set:
/// no line is at fault, so it names the files the set's rules come from (the
/// user's files as the path) and says how to get under the limit.
fn too_large_together(rules: &[Rule], group: &[u32], size_limit: usize) -> Vec<RuleError> {
    let mut files: Vec<(&str, usize)> = Vec::new();
    for &index in group {
        let path = rules[index as usize].origin.path.as_str();
        match files.iter_mut().find(|(p, _)| *p == path) {
            Some((_, n)) => *n += 1,
            None => files.push((path, 1)),
        }
    }
    let users: Vec<&str> = files
        .iter()
        .map(|(path, _)| *path)
        .filter(|path| *path != DEFAULT_ORIGIN)
        .collect();
    let counts: Vec<String> = files
        .iter()
        .map(|(path, n)| format!("{n} from {path}"))
        .collect();
    let message = format!(
        "the rules are each within the size limit, but together too large to compile \
         (over {} MiB as one set; rules: {}); to fix it, simplify the largest `regex` rules \
         (counted repetitions such as \\w{{100}} and Unicode classes such as \\w or \\p{{L}} \
         grow the most; [a-z0-9_] or (?-u:\\w) stay small) or make them `line`, `prefix` or \
         `contains` phrases, or use fewer rules at once (`disable` some, or split the rule \
         files across separate kzclean runs)",
        size_limit >> 20,
        counts.join(", ")
    );
    vec![RuleError {
        path: if users.is_empty() {
            "<rules>".to_string()
        } else {
            users.join(", ")
        },
        line: 0,
        message,
    }]
}

fn describe_nfa_error(e: &thompson::BuildError) -> String {
    match e.size_limit() {
        Some(limit) => format!(
            "the regex is too large once compiled (over {limit} bytes); \
             split it into several rules or use phrases"
        ),
        None => format!("bad regex: {}", e.to_string().replace('\n', " ")),
    }
}

/// Punctuation, symbols and spaces that may surround a `line` phrase.
const DECORATION: &str = r"[\s\p{P}\p{S}]*";
/// What may follow a `line` phrase: decoration, counts ("Comments (12)").
const TRAILER: &str = r"[\s\p{P}\p{S}\p{N}]*";

/// The regex a rule means, as text: what [`PhraseHirs`] builds the tree of
/// (tests compare the two, and match lines with this regex as a reference).
#[cfg(test)]
fn pattern_regex(spec: &RuleSpec) -> String {
    let phrases = |scope| -> Vec<String> {
        let words = |phrase: &String| -> String {
            let words: Vec<String> = phrase.split_whitespace().map(regex::escape).collect();
            words.join(r"\s+")
        };
        spec.patterns
            .iter()
            .map(|phrase| match scope {
                Scope::Prefix => format!("{}{}", words(phrase), prefix_end(phrase)),
                _ => words(phrase),
            })
            .collect()
    };
    match spec.scope {
        Scope::Regex => spec.patterns[0].clone(),
        // Case-insensitivity stops at the phrases: folding the big
        // decoration classes costs start-up time and changes nothing (a test
        // checks that they are closed under case folding).
        Scope::Line => format!(
            "^{DECORATION}(?i:{}){TRAILER}$",
            phrases(Scope::Line).join("|")
        ),
        Scope::Prefix => format!("^{DECORATION}(?i:{})", phrases(Scope::Prefix).join("|")),
        Scope::Contains => contains_regex(&spec.patterns, &phrases(Scope::Contains)),
    }
}

/// Builds the syntax tree of a phrase rule (`line`, `prefix`, `contains`)
/// directly: the tree the parser makes of `pattern_regex`'s text (a test
/// checks that they are equal). This is for start-up: parsing folded the
/// case of every letter of every phrase anew, 5 of the 11 ms the built-in
/// rules took to parse. Here each letter is folded once, and the pieces
/// every rule shares are parsed once.
#[derive(Default)]
struct PhraseHirs {
    /// Each character as `(?i)` makes it: a class of its case variants, or
    /// the literal when it has none.
    folded: std::collections::HashMap<char, Hir>,
    /// Parsed pieces by their regex text: the decoration classes, `\s+`,
    /// the boundaries after a prefix.
    pieces: std::collections::HashMap<String, Hir>,
}

impl PhraseHirs {
    /// The tree of `spec`'s regex; `None` for a `regex` rule, which is
    /// parsed.
    fn build(&mut self, spec: &RuleSpec) -> Option<Hir> {
        match spec.scope {
            Scope::Regex => None,
            Scope::Contains => Some(self.contains(&spec.patterns)),
            Scope::Line | Scope::Prefix => Some(self.anchored(spec)),
        }
    }

    /// A `contains` rule's tree: as `contains_regex` writes it.
    fn contains(&mut self, patterns: &[String]) -> Hir {
        let mut alternatives = Vec::new();
        for (k, group) in boundary_groups(patterns).iter().enumerate() {
            if group.is_empty() {
                continue;
            }
            let mut parts = Vec::new();
            if k >= 2 {
                parts.push(self.piece(BOUNDARY_BEFORE));
            }
            let mut phrases = Vec::with_capacity(group.len());
            for &i in group {
                phrases.push(Hir::concat(self.words(&patterns[i])));
            }
            parts.push(Hir::alternation(phrases));
            if k % 2 == 1 {
                parts.push(self.piece(BOUNDARY_AFTER));
            }
            alternatives.push(Hir::concat(parts));
        }
        Hir::alternation(alternatives)
    }

    /// A phrase's words, case-insensitive, any run of white space between
    /// them.
    fn words(&mut self, phrase: &str) -> Vec<Hir> {
        let mut parts = Vec::new();
        for (i, word) in phrase.split_whitespace().enumerate() {
            if i > 0 {
                parts.push(self.piece(r"(?i:\s+)"));
            }
            parts.extend(word.chars().map(|c| self.fold(c)));
        }
        parts
    }

    /// A `line` or `prefix` rule's tree: as `pattern_regex` writes it.
    fn anchored(&mut self, spec: &RuleSpec) -> Hir {
        let mut phrases = Vec::with_capacity(spec.patterns.len());
        for phrase in &spec.patterns {
            let mut parts = self.words(phrase);
            if spec.scope == Scope::Prefix {
                let end = prefix_end(phrase);
                if !end.is_empty() {
                    parts.push(self.piece(&format!("(?i:{end})")));
                }
            }
            phrases.push(Hir::concat(parts));
        }
        let mut whole = vec![
            Hir::look(Look::Start),
            self.piece(DECORATION),
            Hir::alternation(phrases),
        ];
        if spec.scope == Scope::Line {
            whole.push(self.piece(TRAILER));
            whole.push(Hir::look(Look::End));
        }
        Hir::concat(whole)
    }

    fn fold(&mut self, c: char) -> Hir {
        self.folded
            .entry(c)
            .or_insert_with(|| {
                let mut class = ClassUnicode::new([ClassUnicodeRange::new(c, c)]);
                // Fails only when regex-syntax is built without its case
                // tables (a default feature, which `(?i)` phrases need in
                // the parser too).
                let _ = class.try_case_fold_simple();
                Hir::class(Class::Unicode(class))
            })
            .clone()
    }

    /// A piece is built-in regex text (the decoration, boundary and `\s+`
    /// pieces, and [`prefix_end`]'s boundaries), never a user's: one that
    /// does not parse is a bug, which the test of every built-in rule's tree
    /// would show.
    fn piece(&mut self, regex: &str) -> Hir {
        // Looked up by `&str` first: `entry` would allocate the key on every
        // call, once per word of every phrase.
        if let Some(hir) = self.pieces.get(regex) {
            return hir.clone();
        }
        let hir = regex_syntax::Parser::new()
            .parse(regex)
            .expect("a built-in regex piece parses");
        self.pieces.insert(regex.to_string(), hir.clone());
        hir
    }
}

/// A `contains` rule's regex: its phrases as whole words. A boundary is "no
/// letter of an alphabet that spaces its words, and no digit, beside the
/// phrase": "ton" must not match in "Béton", nor "über" in "gegenüber",
/// while "版权" matches inside a run of Chinese, which has no spaces, and
/// Korean and Arabic phrases, which take attached particles, get none. Not
/// Unicode `\b`, which would stop the fast automaton on every non-ASCII
/// line. Phrases are grouped by which of their edges take a boundary, so
/// each group writes the boundary class once: it is large once compiled.
#[cfg(test)]
fn contains_regex(patterns: &[String], phrases: &[String]) -> String {
    let alternatives: Vec<String> = boundary_groups(patterns)
        .iter()
        .enumerate()
        .filter(|(_, group)| !group.is_empty())
        .map(|(k, group)| {
            let before = if k >= 2 { BOUNDARY_BEFORE } else { "" };
            let after = if k % 2 == 1 { BOUNDARY_AFTER } else { "" };
            let group: Vec<&str> = group.iter().map(|&i| phrases[i].as_str()).collect();
            format!("{before}(?:{}){after}", group.join("|"))
        })
        .collect();
    format!("(?i)(?:{})", alternatives.join("|"))
}

/// A `contains` phrase's boundaries: the line's edge, or anything but a
/// digit or a letter of the alphabets that space their words (Latin, Greek,
/// Cyrillic: the scripts of [`spaced_script`]).
const BOUNDARY_BEFORE: &str = r"(?-i:(?:^|[^\p{Latin}\p{Greek}\p{Cyrillic}0-9_]))";
const BOUNDARY_AFTER: &str = r"(?-i:(?:$|[^\p{Latin}\p{Greek}\p{Cyrillic}0-9_]))";

/// The indexes of a `contains` rule's phrases grouped by which edges take a
/// boundary: group `2 * before + after`.
fn boundary_groups(patterns: &[String]) -> [Vec<usize>; 4] {
    let spaced = |c: Option<char>| {
        c.is_some_and(|c| c.is_ascii_alphanumeric() || spaced_script(c).is_some())
    };
    let mut groups: [Vec<usize>; 4] = Default::default();
    for (i, pattern) in patterns.iter().enumerate() {
        let before = spaced(pattern.chars().next());
        let after = spaced(pattern.chars().last());
        groups[usize::from(before) * 2 + usize::from(after)].push(i);
    }
    groups
}

/// The end of a `prefix` phrase: a word boundary when it ends in a letter or
/// digit of an alphabet that spaces its words. A prefix is in the anchored
/// automaton, which every line runs, so it takes the cheapest boundary that
/// sees its last letter: ASCII `\b`, or its own script's class.
fn prefix_end(phrase: &str) -> String {
    match phrase.chars().last() {
        Some(c) if c.is_ascii_alphanumeric() => r"(?-u:\b)".to_string(),
        Some(c) => spaced_script(c).map_or(String::new(), |script| {
            format!(r"(?-i:(?:$|[^{script}0-9_]))")
        }),
        None => String::new(),
    }
}

/// The script class of a non-ASCII letter of an alphabet that spaces its
/// words, for a word boundary beside it.
fn spaced_script(c: char) -> Option<&'static str> {
    if !c.is_alphabetic() {
        return None;
    }
    match c as u32 {
        0x00C0..=0x024F | 0x1E00..=0x1EFF => Some(r"\p{Latin}"),
        0x0370..=0x03FF | 0x1F00..=0x1FFF => Some(r"\p{Greek}"),
        0x0400..=0x052F => Some(r"\p{Cyrillic}"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rule set of one file, `t.rules`, without the built-in rules.
    fn build(text: &str) -> Result<RuleSet, Vec<RuleError>> {
        RuleSet::build(
            false,
            &[RuleSource {
                path: "t.rules".into(),
                bytes: text.as_bytes(),
            }],
            Preset::Balanced,
        )
    }

    fn set(text: &str) -> RuleSet {
        build(text).unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn decide(rules: &RuleSet, line: &str) -> Option<String> {
        rules
            .match_line(line.as_bytes(), count_words(line.as_bytes()))
            .map(|i| rules.rules()[i as usize].id.clone())
    }

    /// (rule file, line, id of the deciding rule or None)
    const TABLE: &[(&str, &str, Option<&str>)] = &[
        // line scope: whole line, case-insensitive, decorations allowed
        ("drop s line Share", "Share", Some("s")),
        ("drop s line Share", "  » SHARE: ", Some("s")),
        ("drop s line Share", "Share this", None),
        (
            "drop s line Share on Facebook",
            "Share  on\tfacebook",
            Some("s"),
        ),
        ("drop c line Comments", "Comments (12)", Some("c")),
        ("drop c line Comments", "12 Comments", None),
        ("drop r line Реклама", "РЕКЛАМА", Some("r")),
        ("drop r line Publicidad | Anuncio", "— Anuncio —", Some("r")),
        // prefix scope: start of line, then a word boundary
        ("drop p prefix Photo:", "Photo: Reuters", Some("p")),
        ("drop p prefix Read more", "Read more about it", Some("p")),
        ("drop p prefix Read more", "Read moreover", None),
        ("drop p prefix Read more", "Please read more", None),
        // contains scope: whole words anywhere
        (
            "drop k contains uses cookies",
            "This site uses cookies to help.",
            Some("k"),
        ),
        ("drop k contains cookie", "cookies", None),
        // word limits
        (
            "drop k contains words<=3 cookie",
            "a cookie here",
            Some("k"),
        ),
        (
            "drop k contains words<=3 cookie",
            "a cookie here and there",
            None,
        ),
        // regex scope
        (
            "drop t regex ^\\d+ (hours?|days?) ago$",
            "3 days ago",
            Some("t"),
        ),
        (
            "drop t regex ^\\d+ (hours?|days?) ago$",
            "about 3 days ago",
            None,
        ),
        // precedence: keep over cut over drop, then file order
        ("drop a line x\nkeep b line x", "x", Some("b")),
        ("drop a line x\ncut b line x", "x", Some("b")),
        ("drop a line x\ndrop b line x", "x", Some("a")),
        // a line rule never matches a long line
        ("drop s regex words<=2 .", "one two three", None),
    ];

    #[test]
    fn rule_table() {
        for &(rules, line, want) in TABLE {
            let set = set(rules);
            assert_eq!(
                decide(&set, line).as_deref(),
                want,
                "rules {rules:?} on line {line:?}"
            );
        }
    }

    #[test]
    fn contains_phrases_are_whole_words_in_other_alphabets() {
        let s = set(
            "drop de contains über\ndrop ru contains Все права\ndrop el contains όροι\n\
                     drop tr contains geç\ndrop zh contains 版权\ndrop fr contains ton\n\
                     drop land contains land\n",
        );
        let table: &[(&str, Option<&str>)] = &[
            ("über uns", Some("de")),
            ("Béton armé", None),
            ("le ton juste", Some("fr")),
            ("Grünland", None),
            ("das Land", Some("land")),
            ("Mehr ÜBER uns", Some("de")),
            ("(über)", Some("de")),
            ("gegenüber dem Haus", None),
            ("überall", None),
            ("über2", None),
            ("Все права защищены", Some("ru")),
            ("Невсе права", None),
            // A letter of any spaced alphabet joins the word.
            ("oВсе права", None),
            ("Όροι χρήσης", Some("el")),
            ("καιόροι", None),
            ("İçeriğe geç", Some("tr")),
            ("geçmek", None),
            // Chinese is not spaced: a phrase matches inside a run of text.
            ("本站版权所有", Some("zh")),
        ];
        for &(line, want) in table {
            assert_eq!(decide(&s, line).as_deref(), want, "{line}");
        }
    }

    #[test]
    fn a_regex_that_matches_every_line_is_refused() {
        // (regex, refused)
        let table = [
            (".*", true),
            ("(foo)?", true),
            ("(?m)^", true),
            ("$", true),
            ("(?i)(|cookies)", true),
            ("x*", true),
            ("foo", false),
            ("^$", false),
            (r"^\s*$", false),
            (r"\b", false),
            ("(?i)^(home)?$", false),
        ];
        for (regex, refused) in table {
            match build(&format!("drop ok line Share\ndrop r regex {regex}\n")) {
                Ok(_) => assert!(!refused, "{regex} was accepted"),
                Err(e) => {
                    assert!(refused, "{regex}: {e:?}");
                    assert_eq!(e.len(), 1);
                    let e = e[0].to_string();
                    assert!(
                        e.starts_with("t.rules:2: rule `r`: the regex matches every line"),
                        "{e}"
                    );
                }
            }
        }
        // Under a word limit it means "every short line".
        let s = set("drop short regex words<=2 .*");
        assert_eq!(decide(&s, "Menu").as_deref(), Some("short"));
        assert_eq!(decide(&s, "The minister said so."), None);
    }

    #[test]
    fn disable_and_duplicates() {
        let s = set("drop a line x\ndrop b line y\ndisable a");
        assert_eq!(decide(&s, "x"), None);
        assert_eq!(decide(&s, "y").as_deref(), Some("b"));
        let e = RuleSet::build(
            false,
            &[RuleSource {
                path: "t".into(),
                bytes: b"drop a line x\ndrop a line y\ndisable zz\nset bogus 1\ndrop r regex (",
            }],
            Preset::Balanced,
        )
        .unwrap_err();
        let e: Vec<String> = e.iter().map(|e| e.to_string()).collect();
        assert_eq!(e.len(), 4, "{e:#?}");
        assert!(
            e.iter()
                .any(|e| e.starts_with("t:2: duplicate rule id `a`"))
        );
        assert!(e.iter().any(|e| e.starts_with("t:3: `disable zz`")));
        assert!(
            e.iter()
                .any(|e| e.starts_with("t:4: unknown setting `bogus`"))
        );
        assert!(e.iter().any(|e| e.starts_with("t:5: rule `r`: bad regex")));

        // Disabling a rule twice (in one file or two) is no error.
        let twice = [
            RuleSource {
                path: "one".into(),
                bytes: b"drop a line x\ndisable a\ndisable a\n",
            },
            RuleSource {
                path: "two".into(),
                bytes: b"disable a\n",
            },
        ];
        let s = RuleSet::build(false, &twice, Preset::Balanced).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(decide(&s, "x"), None);

        // Problems come in file order, then line order, whatever found them.
        let files = [
            RuleSource {
                path: "e1".into(),
                bytes: b"set keep-threshold 2\nfrob\n",
            },
            RuleSource {
                path: "e2".into(),
                bytes: b"disable nothing\nfrob\n",
            },
        ];
        let e = RuleSet::build(false, &files, Preset::Balanced).unwrap_err();
        let places: Vec<(String, usize)> = e.iter().map(|e| (e.path.clone(), e.line)).collect();
        let want = [("e1", 1), ("e1", 2), ("e2", 1), ("e2", 2)];
        assert_eq!(places, want.map(|(p, l)| (p.to_string(), l)), "{e:#?}");
        assert!(e[0].message.contains("out of range"), "{}", e[0].message);
    }

    #[test]
    fn phrase_trees_are_what_the_parser_makes_of_their_regex() {
        let mut specs = rulefile::parse(DEFAULT_ORIGIN, DEFAULT_RULES.as_bytes())
            .unwrap()
            .rules;
        // Letters with more than two case variants (k, s, sigma), one that
        // changes length when uppercased (ß), dotted I, an unspaced script,
        // punctuation and digits at a phrase's edges, one-letter phrases.
        let odd = "drop odd-line line Kelvin sKs | ſtraße | ΣΑΣ σας ς | İstanbul ı | 阅读全文 | \
                   (a) | x | 1 2 3 | … more » | Ǆemal ǅ ǆ\n\
                   drop odd-prefix prefix Kelvin: | ſtraße | Σας | 阅读 | x | Nächste | Далее | 12 | «ok»\n\
                   drop odd-contains contains Kelvin sign | ſtraße | 版权所有 | «x» | 12 ab | Ωμέγα\n\
                   drop one-contains contains words<=5 only phrase\n";
        specs.extend(rulefile::parse("t", odd.as_bytes()).unwrap().rules);
        let mut builder = PhraseHirs::default();
        let mut built = 0;
        for spec in &specs {
            let parsed = regex_syntax::Parser::new()
                .parse(&pattern_regex(spec))
                .unwrap();
            match builder.build(spec) {
                Some(hir) => {
                    assert_eq!(hir, parsed, "rule `{}`", spec.id);
                    built += 1;
                }
                None => assert_eq!(spec.scope, Scope::Regex, "rule `{}`", spec.id),
            }
        }
        assert!(built > 50, "{built}");
    }

    #[test]
    fn decoration_is_closed_under_case_folding() {
        for class in [DECORATION, TRAILER] {
            let parse = |re: &str| regex_syntax::Parser::new().parse(re).unwrap();
            assert_eq!(parse(class), parse(&format!("(?i){class}")), "{class}");
        }
    }

    #[test]
    fn too_large_regex_is_refused_quickly() {
        let e = RuleSet::build(
            false,
            &[RuleSource {
                path: "t".into(),
                bytes: b"drop big regex (\\w{50}){50}",
            }],
            Preset::Balanced,
        )
        .unwrap_err();
        assert!(e[0].message.contains("too large"), "{}", e[0]);
    }

    /// The straightforward reading of the rules: each rule's regex on its
    /// own, its word limit, then precedence. The engine must agree with it.
    fn reference(text: &str, with_defaults: bool) -> impl Fn(&[u8], u32) -> Option<u32> {
        let mut specs = Vec::new();
        if with_defaults {
            specs.extend(
                rulefile::parse_all("<default>", DEFAULT_RULES.as_bytes())
                    .0
                    .rules,
            );
        }
        specs.extend(rulefile::parse_all("t", text.as_bytes()).0.rules);
        let set = RuleSet::build(
            with_defaults,
            &[RuleSource {
                path: "t".into(),
                bytes: text.as_bytes(),
            }],
            Preset::Balanced,
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        let compiled: Vec<(regex::bytes::Regex, Rule)> = specs
            .iter()
            .zip(set.rules())
            .map(|(spec, rule)| {
                assert_eq!(spec.id, rule.id);
                (
                    regex::bytes::Regex::new(&pattern_regex(spec)).unwrap(),
                    rule.clone(),
                )
            })
            .collect();
        move |line: &[u8], words: u32| {
            let mut best: Option<(Action, u32)> = None;
            for (i, (regex, rule)) in compiled.iter().enumerate() {
                if rule.max_words.is_none_or(|m| words <= m) && regex.is_match(line) {
                    let key = (rule.action, i as u32);
                    best = Some(best.map_or(key, |b| b.min(key)));
                }
            }
            best.map(|(_, i)| i)
        }
    }

    /// Lines built around every phrase of the default rules (in other case,
    /// decorated, counted, inside prose, cut short), the seed pages, and
    /// odd bytes.
    fn probe_lines() -> Vec<Vec<u8>> {
        let mut out: Vec<Vec<u8>> = Vec::new();
        let (file, _) = rulefile::parse_all("<default>", DEFAULT_RULES.as_bytes());
        for spec in &file.rules {
            for p in &spec.patterns {
                let upper = p.to_uppercase();
                let kelvin = p.replace('k', "\u{212A}").replace('s', "\u{17F}");
                for variant in [p.clone(), upper, kelvin, p.to_lowercase()] {
                    out.push(variant.clone().into_bytes());
                    out.push(format!("» {variant} (12)").into_bytes());
                    out.push(format!("{variant}:").into_bytes());
                    out.push(format!("  {variant}\t").into_bytes());
                    out.push(
                        format!("The report said {variant} was fine, officials added.")
                            .into_bytes(),
                    );
                    out.push(format!("3 {variant}").into_bytes());
                    let mut bytes = variant.clone().into_bytes();
                    bytes.truncate(bytes.len().saturating_sub(1));
                    out.push(bytes);
                }
            }
        }
        let seeds = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/seeds");
        for entry in std::fs::read_dir(seeds).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            out.extend(bytes.split(|&b| b == b'\n').map(<[u8]>::to_vec));
        }
        for odd in [
            &b""[..],
            b"\xff\xfe Home",
            b"Home\xc3",
            b"\xe2\x80\x94 Menu \xe2\x80\x94",
            b"5 min read",
            b"3 hours ago",
            b"March 3, 2024",
            b"\x00\x01",
            b"Politics (12)",
            b"Power Banks\t(1,158) ",
            b"Archives (2023)",
            b"We met (9 of us) at noon (12)",
        ] {
            out.push(odd.to_vec());
        }
        out
    }

    #[test]
    fn engine_agrees_with_one_regex_per_rule() {
        let extra = "drop u regex (?i)\\bcaf\u{e9}\\b\n\
                     keep k contains Home page\n\
                     drop n regex \\d{3}\n\
                     cut c prefix words<=4 See also\n\
                     drop ua regex ^(?i)\u{e9}lan\\b\n";
        let set = RuleSet::build(
            true,
            &[RuleSource {
                path: "t".into(),
                bytes: extra.as_bytes(),
            }],
            Preset::Balanced,
        )
        .unwrap();
        let want = reference(extra, true);
        let mut lines = probe_lines();
        lines.push("Un café noir".as_bytes().to_vec());
        lines.push("Un cafébar".as_bytes().to_vec());
        // A Unicode word boundary next to non-ASCII text: the lazy DFA of
        // the anchored rules cannot decide it and hands over to the PikeVM.
        lines.push("ÉLAN vital".as_bytes().to_vec());
        lines.push("élané".as_bytes().to_vec());
        let mut checked = 0;
        let mut matched = 0;
        for line in &lines {
            let words = count_words(line);
            for w in [words, words + 40, 1000] {
                let got = set.match_line(line, w);
                assert_eq!(
                    got,
                    want(line, w),
                    "line {:?} with {w} words",
                    String::from_utf8_lossy(line)
                );
                checked += 1;
                matched += got.is_some() as usize;
            }
        }
        assert!(
            checked > 10_000 && matched > checked / 10,
            "{matched} of {checked}"
        );
    }

    /// The searches over many lines at once find, in every line, what the
    /// searches of that line alone find, whatever the batch (the last
    /// lines of a batch go one at a time), and the rules then decide alike.
    #[test]
    fn presearch_agrees_with_one_line_at_a_time() {
        let set = RuleSet::builtin();
        let engine = &set.engine;
        let (Some(literals @ Literals::Dfa(_)), Some(anchored)) =
            (&engine.literals, &engine.anchored)
        else {
            panic!("the built-in rules have literals and anchored rules");
        };
        let lines = probe_lines();
        let mut cache = anchored.regex.create_cache();
        let want: Vec<Presearch> = lines
            .iter()
            .map(|l| Presearch {
                anchored: Some(anchored.regex.is_match(&mut cache, l)),
                literal: literals
                    .first_end(l)
                    .map_or(LiteralEnd::None, LiteralEnd::At),
            })
            .collect();
        let count = |f: &dyn Fn(&Presearch) -> bool| want.iter().filter(|p| f(p)).count();
        let (with_literal, anchored_matches) = (
            count(&|p| matches!(p.literal, LiteralEnd::At(_))),
            count(&|p| p.anchored == Some(true)),
        );
        assert!(
            with_literal > lines.len() / 20,
            "{with_literal} of {}",
            lines.len()
        );
        assert!(
            anchored_matches > lines.len() / 20,
            "{anchored_matches} of {}",
            lines.len()
        );
        for batch in [1, 2, 3, 4, 5, 7, 9, 64, lines.len()] {
            let mut got = vec![Presearch::default(); lines.len()];
            for (first, chunk) in lines.chunks(batch).enumerate() {
                let indexed = chunk
                    .iter()
                    .enumerate()
                    .map(|(k, l)| (first * batch + k, &l[..], 1));
                set.presearch(indexed, &mut got);
            }
            for (k, (g, w)) in got.iter().zip(&want).enumerate() {
                assert_eq!(g.literal, w.literal, "batches of {batch}, line {k}");
                // A line the in-step search could not decide is left to
                // the line's own search.
                assert!(g.anchored.is_none_or(|m| Some(m) == w.anchored), "line {k}");
            }
        }
        for (line, &found) in lines.iter().zip(&want) {
            let words = count_words(line);
            assert_eq!(
                set.match_line_with(line, words, found),
                set.match_line(line, words)
            );
        }
    }

    /// With a lazy DFA cache so small that it is cleared again and again,
    /// the anchored search in step still decides every line as the search
    /// of one line at a time does, or leaves it undecided.
    #[test]
    fn anchored_search_in_step_survives_cache_clears() {
        let patterns = [
            r"(?i)^\W*(share|comments?|read more|related posts?)\b",
            r"^\d{1,2} (min|minutes?|hours?|days?) ago\b",
            r"^[^.!?]{0,50}:\s*$",
            r"(?i)^(photo|image|credit)s?:",
        ];
        let hirs: Vec<Hir> = patterns
            .iter()
            .map(|p| regex_syntax::parse(p).unwrap())
            .collect();
        let refs: Vec<&Hir> = hirs.iter().collect();
        let automaton = Automaton::build(&refs, true, MatchKind::All, 64 * 1024).unwrap();
        let lines = probe_lines();
        let mut cache = automaton.create_cache();
        let want: Vec<bool> = lines
            .iter()
            .map(|l| automaton.is_match(&mut cache, l))
            .collect();
        let mut cache = automaton.create_cache();
        let mut got = vec![None; lines.len()];
        let indexed = lines.iter().enumerate().map(|(i, l)| (i, &l[..]));
        automaton.matches_in_step(&mut cache, indexed, |i, m| got[i] = Some(m));
        assert!(
            cache.dfa.clear_count() > 100,
            "{} clears",
            cache.dfa.clear_count()
        );
        let decided = got.iter().flatten().count();
        assert!(decided > lines.len() / 4, "{decided} of {}", lines.len());
        assert!(want.iter().filter(|&&m| m).count() > 20);
        for (k, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!(
                g.is_none_or(|m| m == *w),
                "line {k}: {:?}",
                String::from_utf8_lossy(&lines[k])
            );
        }
    }

    #[test]
    fn clones_share_the_compiled_rules_and_work_from_threads() {
        let set = RuleSet::builtin();
        let line = b"Skip to content";
        let want = set.match_line(line, 3);
        assert!(want.is_some());
        std::thread::scope(|scope| {
            for _ in 0..4 {
                let clone = set.clone();
                let shared = &set;
                scope.spawn(move || {
                    for _ in 0..1000 {
                        assert_eq!(clone.match_line(line, 3), want);
                        // One clone used by several threads at once is slower
                        // but still right.
                        assert_eq!(shared.match_line(line, 3), want);
                    }
                });
            }
        });
        assert!(Arc::ptr_eq(&set.engine, &set.clone().engine));
    }

    #[test]
    fn rules_too_large_together_are_refused() {
        // Each rule is small enough alone, the rules together are not (as
        // when they were compiled into one set). With the real limit this
        // takes 400 such rules (and seconds); the mechanism is the same.
        let text: String = (0..10)
            .map(|i| format!("drop r{i} regex \\w{{35}}x{i}\n"))
            .collect();
        let sources = [RuleSource {
            path: "t".into(),
            bytes: text.as_bytes(),
        }];
        let limit = 4 * 1024 * 1024;
        assert!(RuleSet::build_within(false, &sources[..], Preset::Balanced, limit * 100).is_ok());
        let e = RuleSet::build_within(false, &sources[..], Preset::Balanced, limit).unwrap_err();
        assert_eq!(e.len(), 1);
        // No line is at fault: the error names the file and says how to fix it.
        let message = e[0].to_string();
        assert!(
            message
                .starts_with("t: the rules are each within the size limit, but together too large"),
            "{message}"
        );
        assert!(message.contains("from t"), "{message}");
    }

    /// The automaton for literals too many for a DFA (which the built-in
    /// rules never need) finds what the DFA finds.
    #[test]
    fn both_literal_automata_find_the_same() {
        let patterns: Vec<Vec<u8>> = [
            "cookie",
            "cookies",
            "ago",
            "he",
            "she",
            "hers",
            "дд",
            "\u{212A}ick",
            "read more",
        ]
        .iter()
        .map(|p| p.as_bytes().to_vec())
        .collect();
        let (Ok(dfa @ Literals::Dfa(_)), Ok(other @ Literals::Other(_))) =
            (Literals::build(&patterns), Literals::build_other(&patterns))
        else {
            panic!("a DFA and the other automaton");
        };
        let hits = |literals: &Literals, line: &[u8], from: usize| {
            let mut found = Vec::new();
            literals.each_overlapping(line, from, |p| found.push(p));
            found.sort_unstable();
            found
        };
        let mut lines = probe_lines();
        lines.push(b"She said hers, he said ushers: COOKIES 3 days AGO".to_vec());
        lines.push("Дд \u{212A}ick read   more READ MORE".as_bytes().to_vec());
        let mut with_hits = 0;
        for line in &lines {
            assert_eq!(dfa.first_end(line), other.first_end(line), "{line:?}");
            for from in [0, 1, line.len() / 2, line.len()] {
                let found = hits(&dfa, line, from);
                assert_eq!(found, hits(&other, line, from), "{line:?} from {from}");
                with_hits += usize::from(!found.is_empty());
            }
        }
        assert!(with_hits > 100, "{with_hits}");
    }

    #[test]
    fn builtin_rules_compile() {
        let set = RuleSet::builtin();
        assert!(!set.rules().is_empty());
    }

    #[test]
    fn builtin_rules_on_lines_they_must_and_must_not_take() {
        let set = RuleSet::builtin();
        let table: &[(&str, Option<&str>)] = &[
            // A double arrow leads a promo; not a Python prompt.
            ("» Lanyards and wristbands", Some("arrow-promo")),
            (
                ">> Protests reveal contrasts in the economy",
                Some("arrow-promo"),
            ),
            (">>> import this", None),
            (">>> session.commit()", None),
            // Single arrows are left to the classifier: article bullets
            // and a how-to page's links as often as promos.
            ("→ Tips for filing legal documents", None),
            ("► Office accessories", None),
            ("Skip to content", Some("skip-link")),
            ("Über uns", Some("nav-site")),
            // The menu words in languages beyond the first seventeen, as
            // whole lines only.
            ("Головна", Some("nav-home")),
            ("» Trang chủ", Some("nav-home")),
            ("Αναζήτηση", Some("nav-search")),
            ("تسجيل الدخول", Some("nav-account")),
            ("Baca selengkapnya »", Some("read-more")),
            ("और पढ़ें", Some("read-more")),
            ("Baca juga: Harga emas naik lagi", Some("inline-promo")),
            ("Hirdetés", Some("advertisement")),
            ("Trang chủ của chúng tôi có nhiều bài viết mới.", None),
            ("Cari tahu cara membuat kue yang lezat di rumah", None),
            ("gegenüber dem Rathaus", None),
            ("Все права защищены.", Some("all-rights")),
            // Text that forum, Q&A and consent software writes on every
            // page it serves; the same words in an article's own sentence
            // are left alone.
            (
                "You are using an out of date browser. It may not display this or other websites correctly.",
                Some("outdated-browser"),
            ),
            ("Which browser should you upgrade to in 2024?", None),
            (
                "You must log in or register to reply here.",
                Some("login-to-reply"),
            ),
            // The software writes them at the start of a line: quoted in
            // an article's sentence, they stay.
            (
                "Users complained that you must log in or register to reply here.",
                None,
            ),
            (
                "To learn more, see our tips on writing great answers.",
                Some("qa-answer-box"),
            ),
            (
                "Highest score (default) Date modified (newest first)",
                Some("qa-sort"),
            ),
            ("asked 3 years, 2 months ago", Some("qa-meta")),
            ("Viewed 12k times", Some("qa-meta")),
            ("He asked 3 years ago whether it would work.", None),
            (
                "Add a comment | Show 2 more comments",
                Some("qa-more-comments"),
            ),
            (
                "Store and/or access information on a device 120 partners can use this purpose",
                Some("consent-purposes"),
            ),
            ("Measure content performance", Some("consent-purposes")),
            (
                "Speichern von oder Zugriff auf Informationen auf einem Endgerät",
                Some("consent-purposes"),
            ),
            (
                "Estás usando un navegador obsoleto. Puede que no muestre este u otros sitios web correctamente.",
                Some("outdated-browser"),
            ),
            (
                "Measure content performance before and after the redesign.",
                None,
            ),
            (
                "These cookies are necessary for the website to function and cannot be switched off in our systems.",
                Some("cookie-categories"),
            ),
            ("These cookies were baked with brown butter.", None),
            ("Targeting Cookies", Some("cookie-category-names")),
            ("Always Active", Some("cookie-category-names")),
            ("Official websites use .gov", Some("gov-banner")),
            ("Here’s how you know", Some("gov-banner-short")),
            (
                "Here’s how you know the bread is done: tap the bottom.",
                None,
            ),
            (
                "This field is for validation purposes and should be left unchanged.",
                Some("form-honeypot"),
            ),
            ("Δ", Some("honeypot-delta")),
            ("Δ is the change in pressure.", None),
            (
                "Sorry, your browser doesn’t support embedded videos.",
                Some("no-script"),
            ),
            // A forum's member panel and post furniture, in any case and
            // with a space before the colon (French); a sentence that
            // starts with the same word is left alone.
            ("Posts: 1,077", Some("forum-member-stats")),
            ("Reaction score: 12", Some("forum-member-stats")),
            ("Messages : 3,4k", Some("forum-member-stats")),
            ("25,064 posts · Joined 2007", Some("forum-member-stats")),
            ("Points: the case for a flat tax.", None),
            ("Reactions: Bagabaga and slow-poke", Some("forum-reactions")),
            ("2024-01-02 12:34:56 +01:00", Some("timestamp-alone")),
            ("2024-01-02T12:34:56Z", Some("timestamp-alone")),
            ("2024-01-02 12:34 was the last reading", None),
            ("Report Abuse", Some("report-abuse")),
            ("Missbrauch melden", Some("report-abuse")),
            ("Report abuse to the police at once.", None),
            ("Expand all", Some("ui-expand-all")),
            (
                "Use precise geolocation data. Actively scan device characteristics for identification. Store and/or access information on a device.",
                Some("consent-notice"),
            ),
            (
                "12.3k 5 5 gold badges 40 40 silver badges 60 60 bronze badges",
                Some("qa-user-badges"),
            ),
            ("Was this article helpful? Yes No", Some("feedback-widget")),
            (
                "¿Te ha resultado útil este artículo?",
                Some("feedback-widget"),
            ),
            ("Was this article helpful to the team? We asked them.", None),
            ("Thanks for your feedback!", Some("feedback-thanks")),
            (
                "Tax included. Shipping calculated at checkout.",
                Some("shop-checkout-note"),
            ),
            (
                "inkl. MwSt. Versand wird beim Checkout berechnet",
                Some("shop-checkout-note"),
            ),
            (
                "Shipping is calculated at checkout from the parcel's weight.",
                None,
            ),
            (
                "Be the first to review “Stoneware mug”",
                Some("review-prompt"),
            ),
            (
                "Average rating 4.7 / 5. Vote count: 23",
                Some("rating-average"),
            ),
            (
                "You signed in with another tab or window. Reload to refresh your session.",
                Some("github-session"),
            ),
        ];
        for &(line, want) in table {
            assert_eq!(decide(&set, line).as_deref(), want, "{line}");
        }
    }
}
