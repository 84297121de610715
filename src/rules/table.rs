//! The required literals' automaton as our own dense table, copied from
//! Aho-Corasick's DFA at start-up. The search in step
//! ([`super::engine::literal_ends_in_step`]) spends most of its time in
//! one transition per byte; the crate's `next_state` checks the table's
//! bounds, looks up the byte's class and tests each state for being
//! special: 16 of the 38 instructions of a step of four lanes were the
//! checks. Here a row has a column per byte, and the states that end a
//! search (matches, and the dead state) have the highest ids, above a
//! power of two, so one test of the four lanes' states OR-ed together
//! tells whether any lane must stop: 21 instructions a step.

use aho_corasick::Anchored::No;
use aho_corasick::automaton::{Automaton, StateID};

/// A row's length: one column per byte, no byte classes (looking up a
/// byte's class was 4 of the 25 instructions of a step; the default
/// rules' 1,003 states take 1.2 MiB instead of 0.4, and a line touches
/// few rows).
const STRIDE: usize = 256;

/// A DFA with premultiplied state ids: a state's id is where its row
/// starts in `trans`.
pub(super) struct LiteralTable {
    /// `trans[id + byte]`: the next state's id.
    trans: Vec<u32>,
    /// Ids at or above this (a power of two) are stop states; every other
    /// state's id is below it.
    stop: u32,
    /// The unanchored start state.
    start: u32,
    /// For stop state `k` (id `stop + k * STRIDE`), its patterns:
    /// `patterns[pattern_start[k]..pattern_start[k + 1]]`, none for the
    /// dead state.
    pattern_start: Vec<u32>,
    patterns: Vec<u32>,
}

impl LiteralTable {
    /// Copies `dfa` (unanchored, standard semantics). `None` if it has
    /// no unanchored start state or too many states for `u32` ids.
    pub(super) fn from_dfa(dfa: &aho_corasick::dfa::DFA) -> Option<LiteralTable> {
        let start = dfa.start_state(No).ok()?;
        // Every state reachable from the start, each with its 256
        // transitions as indices into `ids` (the crate's ids are opaque
        // here).
        let mut ids = Vec::new();
        let mut rows: Vec<[u32; STRIDE]> = Vec::new();
        // The crate's state id -> index in `ids` (u32::MAX: not seen yet).
        let mut index: Vec<u32> = Vec::new();
        let mut seen = |sid: StateID, ids: &mut Vec<StateID>| {
            let at = sid.as_usize();
            if at >= index.len() {
                index.resize(at + 1, u32::MAX);
            }
            if index[at] == u32::MAX {
                index[at] = ids.len() as u32;
                ids.push(sid);
            }
            index[at]
        };
        seen(start, &mut ids);
        while let Some(&sid) = ids.get(rows.len()) {
            let mut row = [0u32; STRIDE];
            for (byte, next) in (0..=255u8).zip(&mut row) {
                *next = seen(dfa.next_state(No, sid, byte), &mut ids);
            }
            rows.push(row);
        }
        // Ids: the states that go on first, from 0; the stop states from
        // the power of two above them.
        let stops = |sid| dfa.is_match(sid) || dfa.is_dead(sid);
        let going = ids.iter().filter(|&&s| !stops(s)).count();
        let stop = (going * STRIDE).max(1).next_power_of_two();
        let len = stop + (ids.len() - going) * STRIDE;
        if u32::try_from(len).is_err() {
            return None;
        }
        let mut new_id = vec![0u32; ids.len()];
        let (mut next_going, mut next_stop) = (0, stop);
        let mut pattern_start = vec![0];
        let mut patterns = Vec::new();
        for (id, &sid) in new_id.iter_mut().zip(&ids) {
            let next = if stops(sid) {
                if dfa.is_match(sid) {
                    let found = (0..dfa.match_len(sid)).map(|i| dfa.match_pattern(sid, i));
                    patterns.extend(found.map(|p| p.as_u32()));
                }
                pattern_start.push(patterns.len() as u32);
                &mut next_stop
            } else {
                &mut next_going
            };
            *id = *next as u32;
            *next += STRIDE;
        }
        // The gap between the last going state and `stop` is never read.
        let mut trans = vec![0u32; len];
        for (&id, row) in new_id.iter().zip(&rows) {
            let to = &mut trans[id as usize..][..STRIDE];
            for (slot, &next) in to.iter_mut().zip(row) {
                *slot = new_id[next as usize];
            }
        }
        Some(LiteralTable {
            trans,
            stop: stop as u32,
            start: new_id[0],
            pattern_start,
            patterns,
        })
    }

    pub(super) fn start(&self) -> u32 {
        self.start
    }

    /// Whether `sid` ends a search: any of the states OR-ed together.
    #[inline(always)]
    pub(super) fn stops(&self, sids: u32) -> bool {
        sids >= self.stop
    }

    #[inline(always)]
    fn next_wide(&self, sid: usize, byte: u8) -> usize {
        let at = sid + usize::from(byte);
        debug_assert!(at < self.trans.len());
        // SAFETY: `sid` is the start state or came out of `trans`, so it
        // is some state's row start (`from_dfa` writes no other ids), and
        // a row holds `STRIDE` (256) entries: `at` is in the table.
        // Checking it was 8 of the 36 instructions of a step of four
        // lanes.
        unsafe { *self.trans.get_unchecked(at) as usize }
    }

    /// Steps four lines together from `state` up to the shortest line's
    /// end, stopping after the first step that enters a stop state in any
    /// lane; returns the bytes each lane read. Not inlined: on its own
    /// the compiler keeps the lanes in registers.
    #[inline(never)]
    pub(super) fn step4(&self, lines: [&[u8]; 4], state: &mut [u32; 4]) -> usize {
        let steps = lines.iter().map(|l| l.len()).min().unwrap_or(0);
        let [a, b, c, d] = lines.map(|l| &l[..steps]);
        // As `usize`, so that no step zero-extends an id to index with it.
        let [mut s0, mut s1, mut s2, mut s3] = state.map(|s| s as usize);
        let mut at = 0;
        while at < steps {
            s0 = self.next_wide(s0, a[at]);
            s1 = self.next_wide(s1, b[at]);
            s2 = self.next_wide(s2, c[at]);
            s3 = self.next_wide(s3, d[at]);
            at += 1;
            if s0 | s1 | s2 | s3 >= self.stop as usize {
                break;
            }
        }
        *state = [s0, s1, s2, s3].map(|s| s as u32);
        at
    }

    /// The literals that end at stop state `sid`; none for the dead state.
    pub(super) fn patterns(&self, sid: u32) -> &[u32] {
        let k = (sid - self.stop) as usize / STRIDE;
        let (from, to) = (self.pattern_start[k], self.pattern_start[k + 1]);
        &self.patterns[from as usize..to as usize]
    }

    /// Steps from `sid` through `bytes` up to the first stop state:
    /// how many bytes that took and the state reached (`None` if no
    /// stop state). Not inlined: inside the caller's loop over the
    /// matches, the state and the table were kept on the stack (13
    /// instructions a byte, 8 here).
    #[inline(never)]
    pub(super) fn run(&self, bytes: &[u8], sid: u32) -> (Option<usize>, u32) {
        let mut sid = sid as usize;
        for (at, &byte) in bytes.iter().enumerate() {
            sid = self.next_wide(sid, byte);
            if sid >= self.stop as usize {
                return (Some(at + 1), sid as u32);
            }
        }
        (None, sid as u32)
    }

    /// Where the first literal to end ends in `line`, if any.
    pub(super) fn first_end(&self, line: &[u8]) -> Option<usize> {
        match self.run(line, self.start) {
            (Some(end), sid) if !self.patterns(sid).is_empty() => Some(end),
            _ => None,
        }
    }

    /// Calls `hit(pattern)` for every literal in `line` that ends after
    /// `from`, overlaps included.
    pub(super) fn each_overlapping(&self, line: &[u8], from: usize, mut hit: impl FnMut(usize)) {
        let mut rest = line.get(from..).unwrap_or_default();
        let mut sid = self.start;
        while let (Some(taken), next) = self.run(rest, sid) {
            let found = self.patterns(next);
            if found.is_empty() {
                return;
            }
            for &p in found {
                hit(p as usize);
            }
            rest = &rest[taken..];
            sid = next;
        }
    }
}
