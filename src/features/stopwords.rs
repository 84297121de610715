//! Stop words of 100 languages (jusText's lists, cut to 300 words each), for
//! the classifier's stop-word density. Article prose is full of "the", "de",
//! "и"; menus and link lists are not.
//!
//! One table maps a normalised word to the set of languages whose list holds
//! it (a 128-bit set), so a line needs one lookup per word, whatever the
//! language; the document's language is the one with most hits.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::LazyLock;

use super::facts::flag;
use super::stoplists::STOPLISTS;
use crate::text::{CharTable, FxHasher, decode_char};

/// A set of languages, one bit per index into [`languages`]. A lookup's
/// result also carries [marks](MARK_DATE) in its top bits.
pub type LanguageSet = u128;

/// The language bits of a lookup's result.
pub const LANGUAGES: LanguageSet = (1 << 125) - 1;
/// Marks of words that other line features look for, set in the top bits
/// of a lookup's result: the scan looks every word up anyway, so a mark
/// replaces a string compare per word (a mispredicted jump, in profiles).
/// English month names and "ago": dates and relative times.
pub const MARK_DATE: LanguageSet = 1 << 127;
/// "copyright", "reserved": a copyright notice.
pub const MARK_COPYRIGHT: LanguageSet = 1 << 126;
/// "eur", "usd", "gbp": a currency code when the token is in capitals
/// (the caller checks).
pub const MARK_CURRENCY: LanguageSet = 1 << 125;

/// The marked words, normalised, and their marks.
const MARKED_WORDS: &[(&str, LanguageSet)] = &[
    (
        "ago jan feb mar apr may jun jul aug sep sept oct nov dec january february march \
         april june july august september october november december",
        MARK_DATE,
    ),
    ("copyright reserved", MARK_COPYRIGHT),
    ("eur usd gbp", MARK_CURRENCY),
];

/// What the table holds for a word: the index of its [`LanguageSet`] in
/// [`sets`] (0: no language) in the low 16 bits, and its marks in the top
/// ones. The scan keeps the index per stop word, not the 16-byte set: the
/// lists make 1,087 distinct sets, and a document's words are counted by
/// index before any set is read.
pub type Entry = u32;
/// The set index of an [`Entry`].
pub const ENTRY_SET: Entry = 0xffff;
/// [`MARK_DATE`], [`MARK_COPYRIGHT`] and [`MARK_CURRENCY`] in an [`Entry`].
/// The date and copyright marks are the line flags they set, sixteen bits
/// up: a shift and a mask take them to a line's flags.
pub const ENTRY_DATE: Entry = (flag::DATE_LIKE as Entry) << ENTRY_FLAGS_SHIFT;
pub const ENTRY_COPYRIGHT: Entry = (flag::HAS_COPYRIGHT as Entry) << ENTRY_FLAGS_SHIFT;
pub const ENTRY_CURRENCY: Entry = 1 << 31;
/// Where the flags of [`ENTRY_DATE`] and [`ENTRY_COPYRIGHT`] start.
pub const ENTRY_FLAGS_SHIFT: u32 = 16;
const _: () = assert!(
    ENTRY_CURRENCY & (ENTRY_DATE | ENTRY_COPYRIGHT) == 0,
    "the currency mark is no flag"
);

/// The index of a [`LanguageSet`] in [`sets`].
pub type SetId = u16;

/// Longest normalised word worth looking up, in bytes (the longest listed
/// word is 80 bytes).
pub const MAX_WORD_BYTES: usize = 96;

/// The stop-word table: [`table`] gives it once, for a line's words,
/// rather than a check of the lazy initialisation per word.
pub(super) struct Table {
    /// Words of up to 15 bytes (nearly all), packed into one integer with
    /// their length: hashing is a multiply, equality one compare.
    short: ShortTable,
    long: HashMap<&'static [u8], Entry, BuildHasherDefault<FxHasher>>,
    /// The distinct language sets by [`SetId`]; index 0 is the empty set.
    sets: Vec<LanguageSet>,
    /// A Bloom filter of the short keys, 32 KiB: most words of a text are
    /// not stop words, and the filter turns them away from L1 instead of a
    /// probe into the 1 MB table (a cache miss in profiles).
    bloom: Box<[u64; BLOOM_WORDS]>,
    languages: Vec<&'static str>,
}

const BLOOM_WORDS: usize = 1 << 12;

/// One multiply of a short key's two halves: the Bloom filter and the
/// table take different bits of it.
#[inline]
fn short_hash(key: u128) -> u64 {
    ((key as u64) ^ ((key >> 64) as u64).rotate_left(29)).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// Where a short key sits in the Bloom filter: one 64-bit word (the hash's
/// top 12 bits) and two bits in it (the 12 below), about 2% false positives
/// for the 20,000 short words: two bits a lookup cost fewer instructions
/// than four, and a false positive only one probe of the table.
#[inline]
fn bloom_slot(h: u64) -> (usize, u64) {
    let bits = (1u64 << ((h >> 40) & 63)) | (1u64 << ((h >> 46) & 63));
    ((h >> (64 - 12)) as usize, bits)
}

/// The short words' entries by open addressing: a power-of-two array of
/// slots (a key, zero for none: every key has its length in the top byte;
/// and its entry beside it, one cache line for both, where keys and
/// entries apart cost two misses) probed linearly from the slot the hash
/// picks. The words go in by their rank in the lists, so the frequent ones
/// sit in the slot their hash picks: a lookup of one reads one line, and
/// the probe's loop ends where it is predicted to. Its probe reuses the
/// Bloom filter's hash.
struct ShortTable {
    slots: Box<[ShortSlot]>,
    /// Slots minus one.
    mask: usize,
}

/// A key and its entry: two to a cache line.
#[derive(Clone, Copy, Default)]
struct ShortSlot {
    key: u128,
    entry: Entry,
}

impl ShortTable {
    /// `words` in the order their slots are taken: the first ones are found
    /// in the slot their hash picks.
    fn new(words: &[(u128, Entry)]) -> ShortTable {
        // At most about 60% full: short runs to probe.
        let slots = (words.len() * 5 / 3 + 1).next_power_of_two();
        let mut table = ShortTable {
            slots: vec![ShortSlot::default(); slots].into_boxed_slice(),
            mask: slots - 1,
        };
        for &(key, entry) in words {
            let mut at = table.slot(short_hash(key));
            while table.slots[at].key != 0 {
                at = (at + 1) & table.mask;
            }
            table.slots[at] = ShortSlot { key, entry };
        }
        table
    }

    /// The first slot of a hash: its bits below the Bloom filter's, mixed
    /// again (a product's low bits depend only on the key's low bits, the
    /// first bytes of a word: `the`, `then` and `there` would share runs).
    #[inline]
    fn slot(&self, h: u64) -> usize {
        ((h ^ (h >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9) >> 40) as usize & self.mask
    }

    #[inline]
    fn get(&self, key: u128, h: u64) -> Entry {
        let mut at = self.slot(h);
        loop {
            // The table is never full, so an empty slot ends every probe.
            let found = &self.slots[at];
            if found.key == key {
                return found.entry;
            }
            if found.key == 0 {
                return 0;
            }
            at = (at + 1) & self.mask;
        }
    }
}

/// `word` (at most 15 bytes) and its length as one integer. Byte by byte
/// (a copy of a variable length would be a call to `memcpy` per word).
#[inline]
fn pack(word: &[u8]) -> u128 {
    let mut bytes = 0u128;
    for &b in word.iter().rev() {
        bytes = (bytes << 8) | u128::from(b);
    }
    short_key(bytes, word.len())
}

/// The most keys [`Table::short_entries`] looks up at once.
pub(super) const MAX_BATCH: usize = 16;

/// The table key of a word of fewer than 16 bytes, given as a little-endian
/// integer: its length goes in the top byte.
#[inline]
pub(super) fn short_key(bytes: u128, len: usize) -> u128 {
    bytes | (len as u128) << 120
}

static TABLE: LazyLock<Table> = LazyLock::new(|| {
    const _: () = assert!(
        STOPLISTS.len() <= LANGUAGES.count_ones() as usize,
        "a LanguageSet has 128 bits, the top ones for marks"
    );
    type Fx = BuildHasherDefault<FxHasher>;
    // A short word's languages and marks, and its best rank in a list.
    let mut short: HashMap<u128, (LanguageSet, u32), Fx> = HashMap::default();
    let mut long: HashMap<&'static [u8], LanguageSet, Fx> = HashMap::default();
    let mut bloom = Box::new([0u64; BLOOM_WORDS]);
    let listed = STOPLISTS.iter().enumerate().flat_map(|(index, (_, list))| {
        list.lines()
            .map(str::trim)
            .zip(0..)
            .map(move |(word, rank)| (word, 1 << index, rank))
    });
    let marked = MARKED_WORDS.iter().flat_map(|&(words, mark)| {
        words
            .split_whitespace()
            .map(move |word| (word, mark, u32::MAX))
    });
    for (word, bit, rank) in listed.chain(marked) {
        // Multi-word entries can never match one whitespace token.
        if word.is_empty() || word.contains(' ') {
            continue;
        }
        if word.len() < 16 {
            let key = pack(word.as_bytes());
            let (at, bits) = bloom_slot(short_hash(key));
            bloom[at] |= bits;
            let (set, best) = short.entry(key).or_insert((0, rank));
            *set |= bit;
            *best = rank.min(*best);
        } else {
            *long.entry(word.as_bytes()).or_default() |= bit;
        }
    }
    // Each distinct language set gets an index, in order of first use
    // (the maps iterate in a fixed order: their hasher is unseeded).
    let mut sets: Vec<LanguageSet> = vec![0];
    let mut ids: HashMap<LanguageSet, SetId, Fx> = HashMap::default();
    ids.insert(0, 0);
    let mut entry = |set: LanguageSet| -> Entry {
        let languages = set & LANGUAGES;
        let id = *ids.entry(languages).or_insert_with(|| {
            sets.push(languages);
            SetId::try_from(sets.len() - 1).expect("fewer than 65,536 language sets")
        });
        Entry::from(id)
            | (Entry::from(set & MARK_DATE != 0) * ENTRY_DATE)
            | (Entry::from(set & MARK_COPYRIGHT != 0) * ENTRY_COPYRIGHT)
            | (Entry::from(set & MARK_CURRENCY != 0) * ENTRY_CURRENCY)
    };
    // The short words by rank (the lists' first words, then their second
    // ones, …; words only marked last), so that the frequent ones take the
    // slots their hashes pick. Buckets, not a sort: 7 million instructions
    // at start-up.
    let ranks = STOPLISTS.iter().map(|(_, list)| list.lines().count()).max();
    let mut by_rank: Vec<Vec<(u128, Entry)>> = vec![Vec::new(); ranks.unwrap_or(0) + 1];
    let last = by_rank.len() - 1;
    for (key, (set, rank)) in short {
        by_rank[(rank as usize).min(last)].push((key, entry(set)));
    }
    let by_rank: Vec<(u128, Entry)> = by_rank.into_iter().flatten().collect();
    let short = ShortTable::new(&by_rank);
    let long: HashMap<&'static [u8], Entry, Fx> =
        long.into_iter().map(|(k, v)| (k, entry(v))).collect();
    Table {
        short,
        long,
        sets,
        bloom,
        languages: STOPLISTS.iter().map(|&(language, _)| language).collect(),
    }
});

/// The stop-word table, built on first use.
#[inline]
pub(super) fn table() -> &'static Table {
    &TABLE
}

/// The languages, in the order of the bits of a [`LanguageSet`].
pub fn languages() -> &'static [&'static str] {
    &TABLE.languages
}

/// The distinct language sets, by [`SetId`] (the low bits of an [`Entry`]).
pub fn sets() -> &'static [LanguageSet] {
    &TABLE.sets
}

/// The languages whose stoplist holds `word`, already normalised by
/// [`normalise`], and its marks (the tests' view of an [`Entry`]).
#[cfg(test)]
pub fn lookup(word: &[u8]) -> LanguageSet {
    let entry = lookup_entry(word);
    TABLE.sets[(entry & ENTRY_SET) as usize]
        | (LanguageSet::from(entry & ENTRY_DATE != 0) * MARK_DATE)
        | (LanguageSet::from(entry & ENTRY_COPYRIGHT != 0) * MARK_COPYRIGHT)
        | (LanguageSet::from(entry & ENTRY_CURRENCY != 0) * MARK_CURRENCY)
}

/// [`lookup`] as the table holds it: an [`Entry`].
#[cfg(test)]
pub fn lookup_entry(word: &[u8]) -> Entry {
    TABLE.entry(word)
}

/// [`lookup_entry`] for a word of fewer than 16 bytes given as a
/// little-endian integer, zero above its `len` bytes: the integer is the
/// key, no copy.
#[cfg(test)]
pub fn lookup_short(word: u128, len: usize) -> Entry {
    TABLE.short(word, len)
}

impl Table {
    /// The entry of a word already normalised by [`normalise`].
    #[inline]
    pub(super) fn entry(&self, word: &[u8]) -> Entry {
        if word.len() < 16 {
            self.short_key_lookup(pack(word))
        } else {
            self.long.get(word).copied().unwrap_or(0)
        }
    }

    /// The entry of a word of fewer than 16 bytes given as a little-endian
    /// integer, zero above its `len` bytes: the integer is the key, no copy.
    #[cfg(test)]
    pub(super) fn short(&self, word: u128, len: usize) -> Entry {
        debug_assert!(len < 16 && word >> (8 * len) == 0);
        self.short_key_lookup(short_key(word, len))
    }

    /// Calls `found(i, entry)` for each of `keys` (short keys, as
    /// [`short_key`] makes them; at most [`MAX_BATCH`]) in some stoplist or
    /// marked, in order. The Bloom filter is read for all of them first,
    /// without a branch, so their loads overlap; only the keys it lets
    /// through are probed.
    #[inline]
    pub(super) fn short_entries(&self, keys: &[u128], mut found: impl FnMut(usize, Entry)) {
        debug_assert!(keys.len() <= MAX_BATCH);
        let mut hashes = [0u64; MAX_BATCH];
        let mut candidates = 0u32;
        for (i, (&key, h)) in keys.iter().zip(&mut hashes).enumerate() {
            *h = short_hash(key);
            let (at, bits) = bloom_slot(*h);
            candidates |= u32::from(self.bloom[at] & bits == bits) << i;
        }
        while candidates != 0 {
            let i = candidates.trailing_zeros() as usize;
            candidates &= candidates - 1;
            let entry = self.short.get(keys[i], hashes[i]);
            if entry != 0 {
                found(i, entry);
            }
        }
    }

    #[inline]
    fn short_key_lookup(&self, key: u128) -> Entry {
        let h = short_hash(key);
        let (at, bits) = bloom_slot(h);
        if self.bloom[at] & bits != bits {
            return 0;
        }
        self.short.get(key, h)
    }
}

/// Normalises a white-space token for lookup: strips non-alphanumeric
/// characters at both ends and lowercases, into `buf`. `None` when nothing is
/// left or the word is too long to be a stop word.
pub fn normalise<'a>(token: &[u8], buf: &'a mut [u8; MAX_WORD_BYTES]) -> Option<&'a [u8]> {
    // Fast path: ASCII, the common case.
    if token.is_ascii() {
        let start = token.iter().position(u8::is_ascii_alphanumeric)?;
        let end = token.iter().rposition(u8::is_ascii_alphanumeric)? + 1;
        let word = &token[start..end];
        if word.len() > MAX_WORD_BYTES {
            return None;
        }
        for (d, s) in buf.iter_mut().zip(word) {
            *d = s.to_ascii_lowercase();
        }
        return Some(&buf[..word.len()]);
    }
    let mut len = 0;
    let mut last_alnum_end = 0;
    let mut i = 0;
    while i < token.len() {
        // ASCII bytes of a token with other characters (`don’t`, `“The`):
        // lowercased in place, as the table below would.
        let b = token[i];
        if b < 0x80 {
            i += 1;
            let alnum = b.is_ascii_alphanumeric();
            if len == 0 && !alnum {
                continue;
            }
            if len == MAX_WORD_BYTES {
                return None;
            }
            buf[len] = b.to_ascii_lowercase();
            len += 1;
            if alnum {
                last_alnum_end = len;
            }
            continue;
        }
        let (c, n) = decode_char(token, i);
        i += n;
        // The Basic Multilingual Plane by table; the rest (and `İ`, whose
        // lowercase is two characters) by the `char` methods, which search
        // Unicode's tables on every call.
        let entry = case_entry(c);
        let alnum = if entry != CASE_MULTI {
            entry & CASE_ALNUM != 0
        } else {
            c.is_alphanumeric()
        };
        if len == 0 && !alnum {
            continue;
        }
        let fits = if entry != CASE_MULTI {
            let lower = char::from_u32(entry & !CASE_ALNUM).unwrap_or(char::REPLACEMENT_CHARACTER);
            push_char(buf, &mut len, lower)
        } else {
            c.to_lowercase()
                .all(|lower| push_char(buf, &mut len, lower))
        };
        if !fits {
            return None;
        }
        if alnum {
            last_alnum_end = len;
        }
    }
    (last_alnum_end > 0).then(|| &buf[..last_alnum_end])
}

/// Appends `c` to the word in `buf[..*len]`; false when it would not fit.
#[inline]
fn push_char(buf: &mut [u8; MAX_WORD_BYTES], len: &mut usize, c: char) -> bool {
    let need = c.len_utf8();
    if *len + need > MAX_WORD_BYTES {
        return false;
    }
    c.encode_utf8(&mut buf[*len..*len + need]);
    *len += need;
    true
}

/// A character's lowercase, when it is one character, with `CASE_ALNUM`
/// when the character is alphanumeric; `CASE_MULTI` otherwise (`İ`).
const CASE_ALNUM: u32 = 1 << 31;
const CASE_MULTI: u32 = u32::MAX;

fn case_of(c: char) -> u32 {
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => u32::from(l) | if c.is_alphanumeric() { CASE_ALNUM } else { 0 },
        _ => CASE_MULTI,
    }
}

/// [`case_of`] by table (see [`CharTable`]).
static CASES: CharTable<u32> = CharTable::new(case_of, CASE_MULTI);

#[inline]
fn case_entry(c: char) -> u32 {
    CASES.get(c)
}

/// The language (index) with most hits in `hits`, or `None` when no word hit
/// any list. Ties go to the first language alphabetically.
pub fn pick_language(hits: &[u32; 128]) -> Option<usize> {
    let mut best: Option<(usize, u32)> = None;
    for (index, &count) in hits.iter().enumerate().take(languages().len()) {
        if count > 0 && best.is_none_or(|(_, c)| count > c) {
            best = Some((index, count));
        }
    }
    best.map(|(index, _)| index)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(token: &str) -> Option<String> {
        let mut buf = [0; MAX_WORD_BYTES];
        normalise(token.as_bytes(), &mut buf).map(|w| String::from_utf8_lossy(w).into_owned())
    }

    #[test]
    fn normalisation() {
        let table: &[(&str, Option<&str>)] = &[
            ("The", Some("the")),
            ("(and),", Some("and")),
            ("«Über»", Some("über")),
            ("ДЛЯ", Some("для")),
            ("...", None),
            ("", None),
            ("e-mail:", Some("e-mail")),
        ];
        for &(token, want) in table {
            assert_eq!(norm(token).as_deref(), want, "{token:?}");
        }
        assert_eq!(norm(&"a".repeat(200)), None);
    }

    fn language_of(word: &str) -> Vec<&'static str> {
        let set = lookup(word.as_bytes());
        (0..languages().len())
            .filter(|i| set & (1 << i) != 0)
            .map(|i| languages()[i])
            .collect()
    }

    /// The Bloom filter in front of the table never turns a listed word away.
    #[test]
    fn every_listed_word_is_found_in_its_language() {
        for (index, (language, list)) in super::super::stoplists::STOPLISTS.iter().enumerate() {
            for word in list.lines().map(str::trim) {
                if !word.is_empty() && !word.contains(' ') {
                    assert_ne!(
                        lookup(word.as_bytes()) & (1 << index),
                        0,
                        "{language}: {word}"
                    );
                }
            }
        }
    }

    #[test]
    fn lists_are_loaded() {
        assert!(languages().len() >= 50);
        assert!(language_of("the").contains(&"english"));
        assert!(language_of("und").contains(&"german"));
        assert!(language_of("для").contains(&"russian"));
        assert!(language_of("zzqx").is_empty());
        // Prefixes and words with padding bytes do not match.
        assert!(!language_of("th").contains(&"english"));
        assert!(language_of("the\0").is_empty());
        let long = languages()
            .iter()
            .zip(super::super::stoplists::STOPLISTS)
            .find_map(|(_, (_, list))| list.lines().find(|w| w.len() >= 16 && !w.contains(' ')));
        if let Some(word) = long {
            assert!(!language_of(word).is_empty(), "{word}");
        }
    }

    /// [`normalise`] by the `char` methods alone, one character at a time:
    /// the definition its tables must agree with.
    fn normalise_by_char(token: &[u8]) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let mut last_alnum_end = 0;
        let mut i = 0;
        while i < token.len() {
            let (c, n) = decode_char(token, i);
            i += n;
            if out.is_empty() && !c.is_alphanumeric() {
                continue;
            }
            for lower in c.to_lowercase() {
                let mut bytes = [0; 4];
                out.extend_from_slice(lower.encode_utf8(&mut bytes).as_bytes());
            }
            if out.len() > MAX_WORD_BYTES {
                return None;
            }
            if c.is_alphanumeric() {
                last_alnum_end = out.len();
            }
        }
        out.truncate(last_alnum_end);
        (last_alnum_end > 0).then_some(out)
    }

    #[test]
    fn normalise_agrees_with_the_char_methods() {
        // Characters of every page of the table alone and between letters,
        // then random tokens of ASCII, accented, Greek, Cyrillic, Turkish,
        // CJK and invalid bytes.
        let mut tokens: Vec<Vec<u8>> = Vec::new();
        for code in (0x80..0x800)
            .chain(0x1FF0..0x2090)
            .chain((0x800..0x11000).step_by(7))
        {
            let c = char::from_u32(code).unwrap_or('?').to_string();
            tokens.push(c.clone().into_bytes());
            tokens.push(format!("a{c}B").into_bytes());
        }
        let valid = "a Z 7 . - ( É ß \u{201C} \u{2019} \u{2014} \u{2026} \u{2070} \u{2071} \
                     İ ı Σ ς Д ё ſ « × 中 Ǆ \u{1F600}";
        let mut pieces: Vec<&[u8]> = valid.split_whitespace().map(str::as_bytes).collect();
        pieces.extend([&b"\xC3"[..], b"\xE2\x80", b"\xFF", b"\x80"]);
        let mut state = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            let n = 1 + (crate::features::xorshift(&mut state) % 12) as usize;
            let token: Vec<u8> = (0..n)
                .flat_map(|_| {
                    let k = crate::features::xorshift(&mut state) % pieces.len() as u64;
                    pieces[k as usize].iter().copied()
                })
                .collect();
            tokens.push(token);
        }
        tokens.push("É".repeat(60).into_bytes());
        tokens.push("İ".repeat(40).into_bytes());
        for token in &tokens {
            let mut buf = [0; MAX_WORD_BYTES];
            assert_eq!(
                normalise(token, &mut buf).map(<[u8]>::to_vec),
                normalise_by_char(token),
                "{:?}",
                String::from_utf8_lossy(token)
            );
        }
    }

    #[test]
    fn marked_words_carry_their_marks_and_no_language() {
        let table: &[(&str, LanguageSet)] = &[
            ("january", MARK_DATE),
            ("ago", MARK_DATE),
            ("sept", MARK_DATE),
            ("copyright", MARK_COPYRIGHT),
            ("reserved", MARK_COPYRIGHT),
            ("usd", MARK_CURRENCY),
            ("the", 0),
            ("janua", 0),
            ("copyrights", 0),
        ];
        for &(word, mark) in table {
            let found = lookup(word.as_bytes());
            assert_eq!(found & !LANGUAGES, mark, "{word}");
        }
        // "may" is a month and an English stop word: both.
        let may = lookup(b"may");
        assert_ne!(may & MARK_DATE, 0);
        assert!(language_of("may").contains(&"english"));
    }

    #[test]
    fn short_lookup_equals_lookup() {
        for word in ["the", "und", "для", "a", "", "zzqx", "ourselves", "th"] {
            let mut padded = [0u8; 16];
            padded[..word.len()].copy_from_slice(word.as_bytes());
            assert_eq!(
                lookup_short(u128::from_le_bytes(padded), word.len()),
                lookup_entry(word.as_bytes()),
                "{word}"
            );
        }
    }

    /// A batch of lookups finds what one lookup a word finds, in order,
    /// and skips the words in no list (a Bloom filter's false positives
    /// included: the batch probes them and finds no entry).
    #[test]
    fn batched_lookups_equal_single_ones() {
        let words = [
            "the",
            "zzqx",
            "und",
            "для",
            "january",
            "of",
            "qqqq",
            "th",
            "a",
            "eur",
            "nicht",
            "ourselves",
            "xylophone",
            "le",
            "copyright",
            "de",
            "y",
            "ssss",
        ];
        let keys: Vec<u128> = words
            .iter()
            .map(|w| {
                let mut padded = [0u8; 16];
                padded[..w.len()].copy_from_slice(w.as_bytes());
                short_key(u128::from_le_bytes(padded), w.len())
            })
            .collect();
        let expected: Vec<(usize, Entry)> = words
            .iter()
            .enumerate()
            .map(|(i, w)| (i, lookup_entry(w.as_bytes())))
            .filter(|&(_, entry)| entry != 0)
            .collect();
        assert!(expected.len() >= 10, "most of the words are listed");
        let mut found = Vec::new();
        for (batch, keys) in keys.chunks(MAX_BATCH).enumerate() {
            let first = batch * MAX_BATCH;
            TABLE.short_entries(keys, |i, entry| found.push((first + i, entry)));
        }
        assert!(keys.len() > MAX_BATCH, "two batches, one full");
        assert_eq!(found, expected);
        // The scan takes `EUR`, `USD` and `GBP` for prices without waiting
        // for their lookups: the table must mark them.
        for code in ["eur", "usd", "gbp"] {
            assert_ne!(lookup_entry(code.as_bytes()) & ENTRY_CURRENCY, 0, "{code}");
        }
    }

    #[test]
    fn the_language_with_most_hits_wins() {
        let mut hits = [0u32; 128];
        assert_eq!(pick_language(&hits), None);
        hits[3] = 2;
        hits[7] = 5;
        hits[9] = 5;
        assert_eq!(pick_language(&hits), Some(7));
    }
}
