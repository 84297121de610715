//! The compiled matcher: the anchored automaton, the required literals'
//! automaton and one lazy DFA per other rule, with the checks that refuse
//! rules too large or too broad to run.

use aho_corasick::AhoCorasick;
use regex_automata::hybrid;
use regex_automata::nfa::thompson::WhichCaptures;
use regex_automata::nfa::thompson::{self, pikevm, pikevm::PikeVM};
use regex_automata::{Input, MatchKind, PatternSet};
use regex_syntax::hir::{Hir, Look};

use super::file::{Action, DEFAULT_ORIGIN, Origin};
use super::literals;
use super::table::LiteralTable;
use crate::error::LineError;

/// How large any one compiled rule may grow (phrase rules can list many
/// phrases).
pub(super) const COMPILED_SIZE_LIMIT: usize = 256 * 1024 * 1024;
/// How much memory one rule's lazy DFA may use in each thread; when full,
/// the cache is cleared and rebuilt. Most default rules use a few KiB; the
/// ones with many phrases fill this over a large stream, and each thread
/// holds one cache per rule, so the limit is what they cost at `-j2`: 2 MiB
/// took the 250 MB stream to 65 MiB there, 512 KiB keeps it near 60 MiB
/// for 1% more instructions on the rules-only run (callgrind, 10 MB). It also
/// keeps a hostile rule from growing a thread's memory without bound.
const DFA_CACHE_LIMIT: usize = 512 * 1024;
/// The cache of a rule with a long counted repetition (`.{0,80}`): its
/// lazy DFA has a state for each combination of positions within the
/// count, and with 512 KiB `newsletter-pitch` cleared its cache three
/// times in each 10 MB of the stream, rebuilding states that cost 6% of
/// the rules-only run. At 1 MiB it was not cleared in 20 MB; two default
/// rules get it (with `cookie-notice-2`), 1 MiB more at `-j2` (2 MiB
/// gave the same run 3 MiB more).
const WIDE_DFA_CACHE_LIMIT: usize = 1024 * 1024;
/// A counted repetition at least this long gets the wider cache.
const WIDE_REPETITION: u32 = 16;
/// How much memory the lazy DFA of the start-anchored rules may use in each
/// thread. When full, the cache is cleared and rebuilt, so memory stays
/// bounded whatever the rules; but a cache too small for the states a
/// corpus needs is cleared over and over, and the rules-only run slows to a
/// third of its speed. The default rules' states take 7.2 MiB on the dev
/// corpus and 11 MiB once every phrase of the rule file has also been read
/// in six case variants: a limit with room above both, allocated only as
/// states are built.
const ANCHORED_CACHE_LIMIT: usize = 32 * 1024 * 1024;
/// One compiled rule's identity: what `--explain` and `--stats` show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The rule's name in its file, as `--explain` shows it.
    pub id: String,
    /// What the rule does to the lines it matches.
    pub action: Action,
    /// The rule applies to lines of at most this many words.
    pub max_words: Option<u32>,
    /// Where the rule was written.
    pub origin: Origin,
}

impl Rule {
    /// Whether the rule is one of the built-in rules, not a user's.
    pub fn is_builtin(&self) -> bool {
        self.origin.path == DEFAULT_ORIGIN
    }
}

/// The compiled matcher, shared by all threads.
///
/// A rule's *rank* is its place in precedence order, (action, index): the
/// lowest-ranked matching rule decides a line.
pub(super) struct Engine {
    /// Rule index by rank.
    pub(super) by_rank: Vec<u32>,
    /// The word limit of each rank (`u32::MAX`: none).
    pub(super) max_words: Vec<u32>,
    /// The rules anchored at the line's start, all in one automaton that
    /// runs from the line's first byte and usually stops a few bytes in.
    pub(super) anchored: Option<Anchored>,
    /// Each rank's own automaton; used for rules that are not anchored.
    /// Forward only: a rule needs to know whether it matches, not where.
    pub(super) regexes: Vec<Option<Automaton>>,
    /// Required literals of the unanchored rules, ASCII case-insensitive,
    /// in one Aho-Corasick automaton. Most lines hold none.
    pub(super) literals: Option<Literals>,
    /// Ranks needing each literal:
    /// `literal_ranks[literal_start[p]..literal_start[p + 1]]`.
    pub(super) literal_start: Vec<u32>,
    pub(super) literal_ranks: Vec<u32>,
    /// The largest word limit among the rules with literals: longer lines
    /// are not searched for literals at all.
    pub(super) literal_max_words: u32,
    /// The length of the longest literal.
    pub(super) longest_literal: usize,
    /// The lowest rank among the rules with literals: a line an anchored
    /// rule of lower rank matched is not searched for literals.
    pub(super) min_literal_rank: u32,
    /// Ranks of unanchored rules without a usable literal, tried on every
    /// line within their limits.
    pub(super) unfiltered: Vec<u32>,
    /// Per rank, what a line holding one of its literals must also hold
    /// for its search to be worth running; `None`: nothing more.
    pub(super) checks: Vec<Option<Box<[Check]>>>,
}

/// One of the ways a rule can match ([`literals::Clause`]), in terms of
/// the literal automaton's patterns.
#[derive(Debug)]
pub(super) struct Check {
    /// The patterns a line holding one of the clause's first literals
    /// holds too (empty: every line passes).
    primary: Box<[u32]>,
    /// Words, one of which the line must hold (empty: none needed).
    secondary: Box<[Needle]>,
}

impl Check {
    /// Whether a line with the patterns `found` (all of them, in any order)
    /// may match by this clause.
    fn allows(&self, found: &[u32], line: &[u8]) -> bool {
        (self.primary.is_empty() || self.primary.iter().any(|p| found.contains(p)))
            && (self.secondary.is_empty() || self.secondary.iter().any(|word| word.is_in(line)))
    }
}

/// Whether a line with the patterns `found` may match a rule with these
/// checks.
pub(super) fn checks_allow(checks: &[Check], found: &[u32], line: &[u8]) -> bool {
    checks.iter().any(|check| check.allows(found, line))
}

/// A second word (ASCII lowercased) and which of its bytes to look for
/// first: the rarest in English text (`k` of `cookies`, not `c`), so that
/// fewer places in a line are compared.
#[derive(Debug)]
pub(super) struct Needle {
    bytes: Box<[u8]>,
    anchor: usize,
}

impl Needle {
    pub(super) fn new(bytes: &[u8]) -> Needle {
        // ASCII letters and the space from rarest to commonest in English
        // text; every other byte (digits, punctuation, bytes beyond ASCII)
        // counts as rarer than all of them.
        const COMMONER: &[u8] = b"zqxjkvbpygfwmucldrhsnioate ";
        let rank = |b: u8| COMMONER.iter().position(|&c| c == b).map_or(0, |r| r + 1);
        let anchor = (0..bytes.len())
            .min_by_key(|&i| rank(bytes[i]))
            .unwrap_or(0);
        Needle {
            bytes: bytes.into(),
            anchor,
        }
    }

    /// Whether `haystack` holds the word in any ASCII case.
    pub(super) fn is_in(&self, haystack: &[u8]) -> bool {
        let len = self.bytes.len();
        let Some(&byte) = self.bytes.get(self.anchor) else {
            return true;
        };
        let Some(last_start) = haystack.len().checked_sub(len) else {
            return false;
        };
        let anchors = &haystack[self.anchor..=last_start + self.anchor];
        memchr::memchr2_iter(byte, byte.to_ascii_uppercase(), anchors)
            .any(|start| haystack[start..start + len].eq_ignore_ascii_case(&self.bytes))
    }
}

/// A rank's [`Check`]s from its clauses, given its literals' pattern ids;
/// `None` when no clause asks for a second literal.
fn checks_of(clauses: &[literals::Clause], literals: &[(Vec<u8>, u32)]) -> Option<Box<[Check]>> {
    if clauses.iter().all(|c| c.secondary.is_none()) {
        return None;
    }
    use literals::contains;
    let checks = clauses.iter().map(|clause| {
        // A string holding none of the literals would pass unseen: then
        // any line passes the first half.
        let covered = clause
            .primary
            .iter()
            .all(|s| literals.iter().any(|(t, _)| contains(s, t)));
        let mut primary: Vec<u32> = if covered {
            literals
                .iter()
                .filter(|(t, _)| clause.primary.iter().any(|s| contains(s, t)))
                .map(|&(_, id)| id)
                .collect()
        } else {
            Vec::new()
        };
        primary.sort_unstable();
        primary.dedup();
        let secondary = clause.secondary.iter().flatten();
        Check {
            primary: primary.into(),
            secondary: secondary.map(|word| Needle::new(word)).collect(),
        }
    });
    Some(checks.collect())
}

/// The start-anchored rules as one multi-pattern regex.
pub(super) struct Anchored {
    pub(super) regex: Automaton,
    /// Rank of each pattern, increasing.
    pub(super) rank_of: Vec<u32>,
    /// The largest word limit among them.
    pub(super) max_words: u32,
}

/// One thread's search state: a cache per regex (made on first use), the
/// patterns that matched and the candidate ranks of the current line.
#[derive(Default)]
pub(super) struct Scratch {
    pub(super) anchored: Option<AutomatonCache>,
    pub(super) matched: Option<PatternSet>,
    /// The anchored patterns that matched, bit `p` for pattern `p`.
    pub(super) matched_bits: Vec<u64>,
    pub(super) caches: Vec<Option<AutomatonCache>>,
    pub(super) candidates: Vec<u64>,
    /// The literal patterns found in the current line.
    pub(super) found: Vec<u32>,
}

/// A clone's scratch, locked, or a fresh one when another thread holds it.
pub(super) enum ScratchGuard<'a> {
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

impl Anchored {
    /// The best rank among the anchored rules that match `line` and allow
    /// `words` words; `u32::MAX` if none.
    #[inline(never)]
    pub(super) fn best(
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
        let bits = &mut scratch.matched_bits;
        bits.clear();
        bits.resize(self.rank_of.len().div_ceil(64), 0);
        self.regex
            .which_bits(cache, &mut scratch.matched, line, bits);
        // Patterns are numbered in rank order: the first one within its
        // word limit is the best. (A bit mask, not the `PatternSet`: its
        // iterator and clear walk every pattern, 6% of the anchored rules'
        // time.)
        for (block, &word) in bits.iter().enumerate() {
            let mut word = word;
            while word != 0 {
                let pattern = block * 64 + word.trailing_zeros() as usize;
                word &= word - 1;
                let rank = self.rank_of[pattern];
                if words <= max_words[rank as usize] {
                    return rank;
                }
            }
        }
        u32::MAX
    }
}

/// The required literals' automaton: a DFA, built whole at start-up (a lazy
/// DFA over the same literals spent more time determinizing than
/// searching), one table lookup per byte; its low-level API lets
/// [`RuleSet::presearch`] search four lines in step. When the literals are
/// too many for a DFA, the slower automaton, one line at a time.
pub(super) enum Literals {
    Table(Box<LiteralTable>),
    Other(AhoCorasick),
}

impl Literals {
    /// Both automata are ASCII case-insensitive, with standard semantics.
    pub(super) fn build(patterns: &[Vec<u8>]) -> Result<Literals, aho_corasick::BuildError> {
        // Without a prefilter, start states are not special: the search in
        // step stops only at matches.
        let dfa = aho_corasick::dfa::DFA::builder()
            .ascii_case_insensitive(true)
            .match_kind(aho_corasick::MatchKind::Standard)
            .prefilter(false)
            .build(patterns);
        match dfa.ok().as_ref().and_then(LiteralTable::from_dfa) {
            Some(table) => Ok(Literals::Table(Box::new(table))),
            None => Literals::build_other(patterns),
        }
    }

    /// The automaton for literals too many for a DFA.
    pub(super) fn build_other(patterns: &[Vec<u8>]) -> Result<Literals, aho_corasick::BuildError> {
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
    pub(super) fn first_end(&self, line: &[u8]) -> Option<usize> {
        match self {
            Literals::Table(table) => table.first_end(line),
            Literals::Other(ac) => ac.find(line).map(|m| m.end()),
        }
    }

    /// Calls `hit(pattern)` for every literal in `line` that ends after
    /// `from`, overlaps included.
    pub(super) fn each_overlapping(&self, line: &[u8], from: usize, mut hit: impl FnMut(usize)) {
        match self {
            Literals::Table(table) => table.each_overlapping(line, from, hit),
            Literals::Other(ac) => {
                let input = aho_corasick::Input::new(line).span(from..line.len());
                for m in ac.find_overlapping_iter(input) {
                    hit(m.pattern().as_usize());
                }
            }
        }
    }
}

/// What [`super::RuleSet::presearch`] found in a line, to give to
/// [`super::RuleSet::match_line_with`] with that line; the default is "not
/// searched", which `match_line_with` then searches itself. Opaque: what
/// it holds is the engine's business (its field types are not public).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Presearch {
    /// Whether some anchored rule matches the line.
    pub(crate) anchored: Option<bool>,
    pub(crate) literal: LiteralEnd,
}

/// Where the first required literal ends in a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum LiteralEnd {
    /// Not searched yet.
    #[default]
    NotSearched,
    /// No literal in the line.
    None,
    /// The first literal to end ends here.
    At(usize),
}

/// The literal search of [`RuleSet::presearch`]: four lines in step
/// through `table`, each lane taking the next line as soon as its own ends
/// (a match, or the line's end; one pass over the lanes after each run of
/// steps, not one to record and one to refill: 24.4M -> 21.0M a warm
/// pass); the last few lines one at a time. The first literal to end is
/// where the search first enters a match state, as [`first_literal_end`]
/// finds it.
#[inline(never)]
pub(super) fn literal_ends_in_step<'t>(
    table: &LiteralTable,
    mut lines: impl Iterator<Item = (usize, &'t [u8])>,
    mut record: impl FnMut(usize, LiteralEnd),
) {
    const LANES: usize = 4;
    let start = table.start();
    // Per lane: the line (index, bytes not yet read, its length) and state.
    let mut lane: [Option<(usize, &[u8], usize)>; LANES] = [None; LANES];
    let mut state = [start; LANES];
    // What a lane found, from its state and what is left of its line.
    let found = |sid: u32, rest: &[u8], len: usize| {
        if table.stops(sid) {
            let hit = !table.patterns(sid).is_empty();
            Some(if hit {
                LiteralEnd::At(len - rest.len())
            } else {
                LiteralEnd::None
            })
        } else {
            rest.is_empty().then_some(LiteralEnd::None)
        }
    };
    for slot in &mut lane {
        *slot = lines.next().map(|(i, line)| (i, line, line.len()));
        if slot.is_none() {
            break;
        }
    }
    // All four busy: step together up to the shortest remainder, stopping
    // at the first stop (match) state; a lane done takes the next line at
    // once.
    let mut more = true;
    while more && let [Some(a), Some(b), Some(c), Some(d)] = &mut lane {
        let taken = table.step4([a.1, b.1, c.1, d.1], &mut state);
        for (l, sid) in [a, b, c, d].into_iter().zip(&mut state) {
            l.1 = &l.1[taken..];
            if let Some(end) = found(*sid, l.1, l.2) {
                record(l.0, end);
                let next = if more { lines.next() } else { None };
                match next {
                    Some((i, line)) => *l = (i, line, line.len()),
                    None => {
                        // Done, with no line to take (`usize::MAX`).
                        more = false;
                        l.2 = usize::MAX;
                    }
                }
                *sid = start;
            }
        }
    }
    // Fewer than four lines left: one lane at a time (those marked done
    // above, and those never given a line, are skipped).
    for (slot, sid) in lane.iter_mut().zip(&mut state) {
        let Some((i, rest, len)) = slot else { continue };
        if *len == usize::MAX {
            continue;
        }
        // The lane's state is not a stop state (those were recorded and
        // restarted above): run it to the first one or the line's end.
        let end = match table.run(rest, *sid) {
            (Some(taken), stop) if !table.patterns(stop).is_empty() => {
                LiteralEnd::At(*len - rest.len() + taken)
            }
            _ => LiteralEnd::None,
        };
        record(*i, end);
    }
}

impl Engine {
    /// The anchored rules, when one of them may match a line of `words`
    /// words in which the presearch found `found`.
    #[inline]
    pub(super) fn anchored_for(&self, words: u32, found: Presearch) -> Option<&Anchored> {
        self.anchored
            .as_ref()
            .filter(|a| words <= a.max_words && found.anchored != Some(false))
    }

    /// The literal automaton, when a rule with a literal may match such a
    /// line (the presearch found a literal in it, or did not search).
    #[inline]
    pub(super) fn literals_for(&self, words: u32, found: Presearch) -> Option<&Literals> {
        if words > self.literal_max_words || found.literal == LiteralEnd::None {
            return None;
        }
        self.literals.as_ref()
    }

    /// Compiles the rules and gathers the unanchored rules' literals.
    pub(super) fn build(
        rules: &[Rule],
        hirs: &[Hir],
        size_limit: usize,
    ) -> Result<Engine, Vec<LineError>> {
        let mut by_rank: Vec<u32> = (0..rules.len() as u32).collect();
        by_rank.sort_by_key(|&i| (rules[i as usize].action, i));
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
        let mut rank_clauses: Vec<(u32, Vec<literals::Clause>)> = Vec::new();
        let mut unfiltered = Vec::new();
        let mut literal_max_words = 0;
        let compiler = nfa_compiler(size_limit);
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
            let capacity = if has_long_count(hir) {
                WIDE_DFA_CACHE_LIMIT
            } else {
                DFA_CACHE_LIMIT
            };
            match Automaton::build_with(&compiler, &[hir], false, MatchKind::All, capacity) {
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
                    errors.push(too_large_alone(rule, &e));
                    regexes.push(None);
                    continue;
                }
            }
            let (required, clauses) = literals::required_with_clauses(hir);
            match required {
                Some(set) => {
                    literal_max_words = literal_max_words.max(limit);
                    if let Some(clauses) = clauses {
                        rank_clauses.push((rank as u32, clauses));
                    }
                    literal_sets.extend(set.into_iter().map(|l| (l, rank as u32)));
                }
                None => unfiltered.push(rank as u32),
            }
        }
        debug_assert!(anchored_ranks.is_sorted());
        let anchored = build_anchored(
            AnchoredParts {
                rules,
                hirs,
                by_rank: &by_rank,
                patterns: anchored_hirs,
                ranks: anchored_ranks,
                max_words: anchored_max_words,
            },
            &compiler,
            compiled_bytes,
            &mut compiled,
            size_limit,
            &mut errors,
        )?;
        if !errors.is_empty() {
            return Err(errors);
        }
        let (patterns, literal_start, literal_ranks) = index_literals(literal_sets);
        let mut checks: Vec<Option<Box<[Check]>>> = (0..by_rank.len()).map(|_| None).collect();
        for (rank, clauses) in &rank_clauses {
            // This rank's literals with their pattern ids.
            let mut own = Vec::new();
            for (id, pattern) in patterns.iter().enumerate() {
                let ranks =
                    &literal_ranks[literal_start[id] as usize..literal_start[id + 1] as usize];
                if ranks.contains(rank) {
                    own.push((pattern.clone(), id as u32));
                }
            }
            checks[*rank as usize] = checks_of(clauses, &own);
        }
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
            checks,
        })
    }
}

/// Whether `hir` holds a counted repetition whose upper bound is
/// [`WIDE_REPETITION`] or more (`x{0,80}`; not `x*`, one state).
fn has_long_count(hir: &Hir) -> bool {
    use regex_syntax::hir::HirKind;
    match hir.kind() {
        HirKind::Repetition(r) => {
            r.max.is_some_and(|max| max >= WIDE_REPETITION) || has_long_count(&r.sub)
        }
        HirKind::Capture(c) => has_long_count(&c.sub),
        HirKind::Concat(hirs) | HirKind::Alternation(hirs) => hirs.iter().any(has_long_count),
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) | HirKind::Look(_) => false,
    }
}

/// The error for a rule whose regex is too large compiled on its own.
fn too_large_alone(rule: &Rule, e: &dyn std::fmt::Display) -> LineError {
    error_at(
        &rule.origin,
        format!(
            "rule `{}`: the regex is too large once compiled ({e}); \
             split it into several rules or use fewer phrases",
            rule.id
        ),
    )
}

/// The start-anchored rules, gathered for one automaton.
struct AnchoredParts<'a> {
    rules: &'a [Rule],
    hirs: &'a [Hir],
    by_rank: &'a [u32],
    patterns: Vec<&'a Hir>,
    ranks: Vec<u32>,
    max_words: u32,
}

/// Compiles the start-anchored rules into one automaton, within what the
/// other rules left of `size_limit`. When it cannot be built, the rules too
/// large alone are blamed in `errors` (or the set as a whole).
fn build_anchored(
    parts: AnchoredParts<'_>,
    compiler: &thompson::Compiler,
    compiled_bytes: usize,
    compiled: &mut Vec<u32>,
    size_limit: usize,
    errors: &mut Vec<LineError>,
) -> Result<Option<Anchored>, Vec<LineError>> {
    let AnchoredParts {
        rules,
        hirs,
        by_rank,
        patterns,
        ranks,
        max_words,
    } = parts;
    if patterns.is_empty() {
        return Ok(None);
    }
    Ok(
        match Automaton::build_with(
            compiler,
            &patterns,
            true,
            MatchKind::All,
            ANCHORED_CACHE_LIMIT,
        ) {
            Ok(regex) if compiled_bytes + regex.nfa_bytes() > size_limit => {
                compiled.extend(ranks.iter().map(|&rank| by_rank[rank as usize]));
                return Err(too_large_together(rules, compiled, size_limit));
            }
            Ok(regex) => Some(Anchored {
                regex,
                rank_of: ranks,
                max_words,
            }),
            Err(_) => {
                // Blame the rules that are too large alone, if any.
                let blamed = errors.len();
                for &rank in &ranks {
                    let index = by_rank[rank as usize] as usize;
                    let hir = [&hirs[index]];
                    if let Err(e) =
                        Automaton::build_with(compiler, &hir, true, MatchKind::All, DFA_CACHE_LIMIT)
                    {
                        errors.push(too_large_alone(&rules[index], &e));
                    }
                }
                // Else no rule is at fault: name the files, as when the
                // set compiles but is over the limit.
                if errors.len() == blamed {
                    compiled.extend(ranks.iter().map(|&rank| by_rank[rank as usize]));
                    errors.extend(too_large_together(rules, compiled, size_limit));
                }
                None
            }
        },
    )
}

/// One automaton pattern per distinct literal, with every rank that needs
/// it: (patterns, where each pattern's ranks start in the list, the ranks).
fn index_literals(mut literal_sets: Vec<(Vec<u8>, u32)>) -> (Vec<Vec<u8>>, Vec<u32>, Vec<u32>) {
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
    (patterns, literal_start, literal_ranks)
}

/// A lazy DFA over patterns, shared by threads, with the PikeVM on the same
/// NFA as the fallback for the searches the lazy DFA cannot run (a Unicode
/// word boundary next to non-ASCII text). The lazy DFA never gives up for
/// lack of cache: when its cache fills, it clears it and goes on, so memory
/// stays bounded and speed degrades gently on hostile rules.
pub(super) struct Automaton {
    pub(super) dfa: hybrid::dfa::DFA,
    pub(super) pikevm: PikeVM,
    /// Searches start at the haystack's start only.
    pub(super) anchored: bool,
}

/// The NFA compiler of every [`Automaton`]. Each compilation starts
/// afresh (its states are cleared, its cache of UTF-8 states is
/// invalidated), so one compiler builds the same NFAs as one per rule.
/// Its limit is an [`Engine`]'s, so that a set over it fails as it would
/// at the real limit (tests use a small one).
fn nfa_compiler(size_limit: usize) -> thompson::Compiler {
    let mut compiler = thompson::Compiler::new();
    compiler.configure(
        thompson::Config::new()
            .which_captures(WhichCaptures::None)
            .nfa_size_limit(Some(size_limit))
            .utf8(false),
    );
    compiler
}

/// One thread's caches for an [`Automaton`].
pub(super) struct AutomatonCache {
    pub(super) dfa: hybrid::dfa::Cache,
    pub(super) pikevm: Option<pikevm::Cache>,
}

impl Automaton {
    /// Matches any of `hirs`; with `MatchKind::All`, [`Automaton::which`]
    /// reports every one that matches.
    #[cfg(test)]
    pub(super) fn build(
        hirs: &[&Hir],
        anchored: bool,
        kind: MatchKind,
        cache_capacity: usize,
    ) -> Result<Automaton, String> {
        Automaton::build_with(
            &nfa_compiler(COMPILED_SIZE_LIMIT),
            hirs,
            anchored,
            kind,
            cache_capacity,
        )
    }

    /// [`Automaton::build`] with `compiler` (from [`nfa_compiler`]), which
    /// [`Engine::build`] reuses for every rule: a fresh one allocates and
    /// then frees a cache of 10,000 entries for its Unicode classes, and
    /// regrows its list of states.
    pub(super) fn build_with(
        compiler: &thompson::Compiler,
        hirs: &[&Hir],
        anchored: bool,
        kind: MatchKind,
        cache_capacity: usize,
    ) -> Result<Automaton, String> {
        let nfa = compiler
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
    pub(super) fn nfa_bytes(&self) -> usize {
        self.dfa.get_nfa().memory_usage()
    }

    pub(super) fn create_cache(&self) -> AutomatonCache {
        AutomatonCache {
            dfa: self.dfa.create_cache(),
            pikevm: None,
        }
    }

    pub(super) fn input<'h>(&self, haystack: &'h [u8]) -> Input<'h> {
        let input = Input::new(haystack);
        if self.anchored {
            input.anchored(regex_automata::Anchored::Yes)
        } else {
            input
        }
    }

    pub(super) fn is_match(&self, cache: &mut AutomatonCache, haystack: &[u8]) -> bool {
        self.first_end(cache, haystack).is_some()
    }

    /// Where the first match to end ends (at most; 0 when the PikeVM had
    /// to decide), or `None` without a match.
    pub(super) fn first_end(&self, cache: &mut AutomatonCache, haystack: &[u8]) -> Option<usize> {
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

    /// [`Automaton::is_match`] of many lines, eight in step through the
    /// lazy DFA (an anchored automaton; the rules' anchored one): calls
    /// `record(index, matched)` for each `(index, line)` it decides. A
    /// line it cannot decide (a quit byte: a Unicode word boundary next to
    /// non-ASCII text; the cache cleared, which invalidates the states of
    /// the lines in flight) is left for `is_match`.
    ///
    /// Why in step: a line's steps are a chain of dependent loads from a
    /// transition table of many megabytes, most of them cache misses, and
    /// most lines are decided within a few bytes. One line at a time, the
    /// CPU waits on each miss; with eight lines in turn, their misses
    /// overlap. A decided line's lane takes the next line at once.
    pub(super) fn matches_in_step<'t>(
        &self,
        cache: &mut AutomatonCache,
        mut lines: impl Iterator<Item = (usize, &'t [u8])>,
        mut record: impl FnMut(usize, bool),
    ) {
        const LANES: usize = 8;
        let dfa = &self.dfa;
        let cache = &mut cache.dfa;
        let start_config =
            regex_automata::util::start::Config::new().anchored(regex_automata::Anchored::Yes);
        // Per lane: the line's index, its bytes not read yet (never empty),
        // and the state reached.
        let mut lane: [(usize, &[u8], hybrid::LazyStateID); LANES] =
            [(0, &[], hybrid::LazyStateID::default()); LANES];
        'round: loop {
            let Ok(start) = dfa.start_state(cache, &start_config) else {
                return;
            };
            if start.is_tagged() {
                // A start state that is a match (or dead, or quit) is not
                // stepped from here: the lines are left for `is_match`.
                return;
            }
            let clears = cache.clear_count();
            // Lanes `..busy` hold lines part way.
            let mut busy = 0;
            while busy < LANES {
                let Some((i, line)) = next_line(dfa, cache, start, &mut lines, &mut record) else {
                    break;
                };
                lane[busy] = (i, line, start);
                busy += 1;
            }
            if cache.clear_count() != clears {
                continue 'round;
            }
            while busy > 0 {
                let mut k = 0;
                while k < busy {
                    let (i, rest, at) = lane[k];
                    let byte = rest[0];
                    let rest = &rest[1..];
                    // Through states already built the cache is only read
                    // (`at` is never tagged); a state not built yet is built.
                    let mut next = dfa.next_state_untagged(cache, at, byte);
                    if next.is_unknown() {
                        match dfa.next_state(cache, at, byte) {
                            Ok(built) => next = built,
                            Err(_) => return,
                        }
                    }
                    if next.is_tagged() || rest.is_empty() {
                        if next.is_match() {
                            record(i, true);
                        } else if next.is_dead() {
                            record(i, false);
                        } else if next.is_quit() {
                            // Left for `is_match`.
                        } else if let Ok(end) = dfa.next_eoi_state(cache, next) {
                            // Matches show one byte late: the end of the
                            // line is one more transition.
                            record(i, end.is_match());
                        }
                    } else if cache.clear_count() == clears {
                        lane[k] = (i, rest, next);
                        k += 1;
                        continue;
                    }
                    // A state built for this line may have cleared the
                    // cache (what was found for this line holds: the
                    // search keeps its own state across a clear), and then
                    // the other lanes' states index a table that is gone:
                    // their lines are left for `is_match`.
                    if cache.clear_count() != clears {
                        continue 'round;
                    }
                    // The lane is free: the next line takes it, or the
                    // last busy lane moves in.
                    match next_line(dfa, cache, start, &mut lines, &mut record) {
                        Some((i, line)) => {
                            lane[k] = (i, line, start);
                            k += 1;
                        }
                        None => {
                            busy -= 1;
                            lane[k] = lane[busy];
                        }
                    }
                    if cache.clear_count() != clears {
                        continue 'round;
                    }
                }
            }
            return;
        }
    }

    /// Sets bit `p` of `bits` (zeroed, a bit per pattern) for every
    /// pattern `p` that matches `haystack`: the lazy DFA's overlapping
    /// search, or the PikeVM's into `set` where the lazy DFA gives up.
    pub(super) fn which_bits(
        &self,
        cache: &mut AutomatonCache,
        set: &mut Option<PatternSet>,
        haystack: &[u8],
        bits: &mut [u64],
    ) {
        let input = self.input(haystack);
        let mut state = hybrid::dfa::OverlappingState::start();
        loop {
            if self
                .dfa
                .try_search_overlapping_fwd(&mut cache.dfa, &input, &mut state)
                .is_err()
            {
                break;
            }
            let Some(m) = state.get_match() else {
                return;
            };
            let p = m.pattern().as_usize();
            bits[p / 64] |= 1 << (p % 64);
        }
        bits.fill(0);
        let set = set.get_or_insert_with(|| PatternSet::new(self.dfa.pattern_len()));
        set.clear();
        let pikevm = &self.pikevm;
        let vm_cache = cache.pikevm.get_or_insert_with(|| pikevm.create_cache());
        pikevm.which_overlapping_matches(vm_cache, &input, set);
        for p in set.iter() {
            bits[p.as_usize() / 64] |= 1 << (p.as_usize() % 64);
        }
    }
}

/// The next line for a lane of [`Automaton::matches_in_step`]; an empty
/// line is decided on the way, by the end of input from `start`. `None`
/// also when that cleared the cache (`start` is then gone).
fn next_line<'t>(
    dfa: &hybrid::dfa::DFA,
    cache: &mut hybrid::dfa::Cache,
    start: hybrid::LazyStateID,
    lines: &mut impl Iterator<Item = (usize, &'t [u8])>,
    record: &mut impl FnMut(usize, bool),
) -> Option<(usize, &'t [u8])> {
    let clears = cache.clear_count();
    for (i, line) in lines {
        if !line.is_empty() {
            return Some((i, line));
        }
        if let Ok(end) = dfa.next_eoi_state(cache, start) {
            record(i, end.is_match());
        }
        if cache.clear_count() != clears {
            return None;
        }
    }
    None
}

/// Whether a rule's regex matches every line: it can match an empty
/// string and matches each of a few unlike lines. Only a regex of minimum
/// length 0 is compiled to find out, so other rules cost nothing here.
pub(super) fn matches_every_line(hir: &Hir, regex: &str) -> bool {
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
pub(super) fn too_many_literals(e: &dyn std::fmt::Display) -> LineError {
    LineError {
        path: "<rules>".into(),
        line: 0,
        message: format!("the rules' literals are too many to compile: {e}"),
    }
}

/// Rules anchored at the line start (without a Unicode word boundary, which
/// would stop the lazy DFA on non-ASCII text) are compiled into one
/// automaton; the others each alone.
pub(super) fn joins_anchored_set(hir: &Hir) -> bool {
    let props = hir.properties();
    props.look_set_prefix().contains(Look::Start) && !props.look_set().contains_word_unicode()
}

pub(super) fn error_at(origin: &Origin, message: String) -> LineError {
    LineError {
        path: origin.path.clone(),
        line: origin.line,
        message,
    }
}

/// The error for rules that each compile alone but not together as one set:
/// no line is at fault, so it names the files the set's rules come from (the
/// user's files as the path) and says how to get under the limit.
pub(super) fn too_large_together(
    rules: &[Rule],
    group: &[u32],
    size_limit: usize,
) -> Vec<LineError> {
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
    vec![LineError {
        path: if users.is_empty() {
            "<rules>".to_string()
        } else {
            users.join(", ")
        },
        line: 0,
        message,
    }]
}

pub(super) fn describe_nfa_error(e: &thompson::BuildError) -> String {
    match e.size_limit() {
        Some(limit) => format!(
            "the regex is too large once compiled (over {limit} bytes); \
             split it into several rules or use phrases"
        ),
        None => format!("bad regex: {}", e.to_string().replace('\n', " ")),
    }
}
