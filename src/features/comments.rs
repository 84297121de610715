//! Comment threads, as short lines show them: the line that opens a comment
//! section ("12 Comments", "Leave a Reply", "7 thoughts on “…”") and the
//! furniture around each comment ("Reply", "Jane says", "July 14, 2015 at
//! 3:53 pm"). Comment software writes these lines the same way on every site
//! that runs it, in the site's language; the document pass turns them into
//! distances and positions (see [`super::FeatureScratch`]).

use super::facts::{LineScan, flag};
use std::sync::LazyLock;

use crate::text::decode_char;

/// Not a comment line.
pub(super) const NONE: u8 = 0;
/// Opens a comment section.
pub(super) const MARKER: u8 = 1;
/// Stands beside each comment: a reply or report button, the author's
/// "says", a date with a time.
pub(super) const REPLY: u8 = 2;

/// Longer lines are neither (except markers naming the post after a count).
const MAX_WORDS: u32 = 8;

/// Section headings, with or without a count before or after them.
const MARKERS: &[&str] = &[
    "comments",
    "comment",
    "reader comments",
    "reader interactions",
    "leave a reply",
    "leave a comment",
    "post a comment",
    "add a comment",
    "write a comment",
    "join the discussion",
    "join the conversation",
    "discussion",
    "responses",
    "replies",
    "show comments",
    "view comments",
    "kommentare",
    "kommentar schreiben",
    "commentaires",
    "laisser un commentaire",
    "comentarios",
    "deja un comentario",
    "deja una respuesta",
    "commenti",
    "lascia un commento",
    "comentários",
    "deixe um comentário",
    "reacties",
    "komentarze",
    "kommentarer",
    "kommentit",
    "yorumlar",
    "komentáře",
    "hozzászólások",
    "comentarii",
    "komentar",
    "bình luận",
    "Комментарии",
    "комментарии",
    "Оставить комментарий",
    "Добавить комментарий",
    "Коментарі",
    "Σχόλια",
    "التعليقات",
    "评论",
    "发表评论",
    "コメント",
    "댓글",
];

/// After a count: "12 comments on “…”", "one thought on “…”".
const COUNTED_PREFIXES: &[&str] = &[
    "thoughts on ",
    "thought on ",
    "comments on ",
    "comment on ",
    "responses to ",
    "response to ",
    "replies to ",
    "reply to ",
    "kommentare zu ",
    "commentaires sur ",
    "comentarios en ",
    "commenti su ",
];

/// Buttons beside each comment.
const REPLIES: &[&str] = &[
    "reply",
    "reply to comment",
    "reply to this comment",
    "respond",
    "report",
    "report comment",
    "like",
    "quote",
    "permalink",
    "log in to reply",
    "login to reply",
    "cancel reply",
    "reply with quote",
    "like reply",
    "reply report",
    "antworten",
    "répondre",
    "responder",
    "rispondi",
    "beantwoorden",
    "odpowiedz",
    "svara",
    "vastaa",
    "yanıtla",
    "odpovědět",
    "balas",
    "trả lời",
    "răspunde",
    "válasz",
    "Ответить",
    "ответить",
    "Відповісти",
    "Απάντηση",
    "رد",
    "回复",
    "回覆",
    "返信",
    "답글",
];

/// How an author line ends: "Jane says", "John Smith wrote".
const AUTHOR_SUFFIXES: &[&str] = &[
    " says",
    " said",
    " wrote",
    " commented",
    " replied",
    " schreibt",
    " schrieb",
    " a écrit",
    " escribió",
    " disse",
    " scrive",
    " ha scritto",
    " schreef",
    " napisał",
    " пишет",
    " написал",
    " говорит",
];

/// What a non-blank line says of comment threads: [`NONE`], [`MARKER`] or
/// [`REPLY`]. `text` is the line's content.
pub(super) fn comment_shape(text: &[u8], scan: &LineScan) -> u8 {
    let first = text.iter().position(|b| !b.is_ascii_whitespace());
    let counted = first.is_some_and(|i| text[i].is_ascii_digit());
    if scan.words > MAX_WORDS && !counted && !starts_with_ignore_case(text, b"one ") {
        return NONE;
    }
    let core = trim_symbols(text);
    // A count before: "12 Comments", "1.2k replies", "One thought on".
    let (core, had_count) = match strip_count(core) {
        Some(rest) => (rest, true),
        None => (core, false),
    };
    if had_count
        && COUNTED_PREFIXES
            .iter()
            .any(|p| starts_with_ignore_case(core, p.as_bytes()))
    {
        return MARKER;
    }
    if scan.words > MAX_WORDS {
        return NONE;
    }
    // A count after: "Comments (12)".
    let core = trim_symbols(trim_trailing_count(core));
    if core.len() <= LONGEST_PHRASE
        && PHRASE_SHAPES.may_be(core)
        && let Ok(at) = PHRASES.binary_search_by_key(&folded_hash(core), |&(h, _, _)| h)
        && core.eq_ignore_ascii_case(PHRASES[at].2.as_bytes())
    {
        return PHRASES[at].1;
    }
    if !had_count && scan.sentence_ends == 0 && is_author_line(core) {
        return REPLY;
    }
    if scan.has(flag::DATE_LIKE) && has_clock_time(text) {
        return REPLY;
    }
    NONE
}

/// The bytes of the longest phrase in [`MARKERS`] and [`REPLIES`].
pub(super) const LONGEST_PHRASE: usize = 48;

/// [`MARKERS`] and [`REPLIES`] by [`folded_hash`], sorted: one hash and a
/// binary search per short line instead of a comparison per phrase.
pub(super) static PHRASES: LazyLock<Vec<(u64, u8, &str)>> = LazyLock::new(|| {
    let mut table: Vec<(u64, u8, &str)> = MARKERS
        .iter()
        .map(|m| (folded_hash(m.as_bytes()), MARKER, *m))
        .chain(
            REPLIES
                .iter()
                .map(|r| (folded_hash(r.as_bytes()), REPLY, *r)),
        )
        .collect();
    table.sort_unstable();
    table
});

/// The first byte (ASCII lowercased) and length of each phrase of a
/// table: a line or word that matches none cannot be one of them, and
/// skips its hash and search (most short lines and last words).
pub(super) struct Shapes([u64; 256]);

impl Shapes {
    /// The shapes of the phrases of `tables` (with `trim`, of their words
    /// without the spaces around them), at compile time: no check of a lazy
    /// initialisation per line.
    const fn of(tables: &[&[&str]], trim: bool) -> Shapes {
        let mut lengths = [0u64; 256];
        let mut t = 0;
        while t < tables.len() {
            let mut k = 0;
            while k < tables[t].len() {
                let mut bytes = tables[t][k].as_bytes();
                if trim {
                    bytes = bytes.trim_ascii();
                }
                if let Some(&first) = bytes.first() {
                    let len = if bytes.len() < 63 { bytes.len() } else { 63 };
                    lengths[first.to_ascii_lowercase() as usize] |= 1 << len;
                }
                k += 1;
            }
            t += 1;
        }
        Shapes(lengths)
    }

    /// Whether `bytes` has the first byte and length of some phrase (a
    /// phrase of 63 bytes or more stands for all such lengths).
    #[inline]
    pub(super) fn may_be(&self, bytes: &[u8]) -> bool {
        bytes.first().is_some_and(|&first| {
            self.0[usize::from(first.to_ascii_lowercase())] >> bytes.len().min(63) & 1 != 0
        })
    }
}

/// The shapes of [`PHRASES`] (a match compares the bytes ASCII
/// case-insensitively, so it has the same first byte and length).
pub(super) static PHRASE_SHAPES: Shapes = Shapes::of(&[MARKERS, REPLIES], false);

/// The shapes of [`AUTHOR_SUFFIXES`]' one or two words.
static SUFFIX_SHAPES: Shapes = Shapes::of(&[AUTHOR_SUFFIXES], true);

/// [`AUTHOR_SUFFIXES`] (their one or two words) by [`folded_hash`], sorted.
static SUFFIXES: LazyLock<Vec<u64>> = LazyLock::new(|| {
    let mut table: Vec<u64> = AUTHOR_SUFFIXES
        .iter()
        .map(|s| folded_hash(s.trim().as_bytes()))
        .collect();
    table.sort_unstable();
    table
});

/// A hash of the bytes with ASCII letters lowercased (as
/// `eq_ignore_ascii_case` compares them).
fn folded_hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h: u64, &b| {
        (h.rotate_left(5) ^ u64::from(b.to_ascii_lowercase())).wrapping_mul(0x517c_c1b7_2722_0a95)
    })
}

/// A name followed by one of [`AUTHOR_SUFFIXES`]: its last word, or last
/// two words, are one of them, and a name stands before.
fn is_author_line(core: &[u8]) -> bool {
    let Some(last) = core.iter().rposition(|&b| b == b' ') else {
        return false;
    };
    let is_suffix = |words: &[u8]| {
        SUFFIX_SHAPES.may_be(words) && SUFFIXES.binary_search(&folded_hash(words)).is_ok()
    };
    if is_suffix(&core[last + 1..]) {
        return true;
    }
    core[..last]
        .iter()
        .rposition(|&b| b == b' ')
        .is_some_and(|before| is_suffix(&core[before + 1..]))
}

/// The line without letters-and-digits-free characters at either end
/// (punctuation, arrows, quotes, white space).
#[inline]
fn trim_symbols(text: &[u8]) -> &[u8] {
    // Most lines start and end with an ASCII letter or digit: no call and
    // no decoding for them.
    match text {
        [first, .., last] if first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric() => text,
        _ => trim_symbols_by_char(text),
    }
}

/// [`trim_symbols`], character by character.
#[inline(never)]
fn trim_symbols_by_char(text: &[u8]) -> &[u8] {
    let mut start = 0;
    while start < text.len() {
        let (c, len) = decode_char(text, start);
        if c.is_alphanumeric() {
            break;
        }
        start += len;
    }
    let mut end = text.len();
    while end > start {
        let mut at = end - 1;
        while at > start && text[at] & 0xC0 == 0x80 {
            at -= 1;
        }
        let (c, _) = decode_char(text, at);
        if c.is_alphanumeric() {
            break;
        }
        end = at;
    }
    &text[start..end]
}

/// The rest of a line that starts with a count ("12 ", "1,204 ", "1.2k ",
/// "One "), or None.
fn strip_count(text: &[u8]) -> Option<&[u8]> {
    if starts_with_ignore_case(text, b"one ") {
        return Some(&text[4..]);
    }
    let digits = text
        .iter()
        .take_while(|b| b.is_ascii_digit() || matches!(b, b',' | b'.'))
        .count();
    if digits == 0 || !text[0].is_ascii_digit() {
        return None;
    }
    let mut rest = &text[digits..];
    if let [b'k' | b'K' | b'm' | b'M', tail @ ..] = rest {
        rest = tail;
    }
    let trimmed = rest.trim_ascii_start();
    (trimmed.len() < rest.len()).then_some(trimmed)
}

/// `h:mm` somewhere in the line: "at 3:53 pm", "14:02".
fn has_clock_time(text: &[u8]) -> bool {
    text.windows(4).any(|w| {
        w[0].is_ascii_digit() && w[1] == b':' && w[2].is_ascii_digit() && w[3].is_ascii_digit()
    })
}

fn starts_with_ignore_case(text: &[u8], prefix: &[u8]) -> bool {
    text.len() >= prefix.len() && text[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// Without a trailing count: "Comments (12" (the ")" is trimmed already)
/// gives "Comments (". A line that is all digits stays.
fn trim_trailing_count(text: &[u8]) -> &[u8] {
    let mut end = text.len();
    while end > 0 && (text[end - 1].is_ascii_digit() || text[end - 1] == b',') {
        end -= 1;
    }
    if end == 0 { text } else { &text[..end] }
}
