//! Documents and lines: how a byte stream is cut into documents (at form-feed
//! lines) and a document into lines, without copying or decoding.
//!
//! A line is everything up to and including its `\n`; its *content* is the
//! line without the `\n` and a `\r` before it. Kept lines are written back
//! from the original bytes, so CRLF and invalid UTF-8 survive untouched.

use std::io::{self, Read};

/// The bytes of a line without its terminator (`\n` or `\r\n`).
#[inline]
pub fn content(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// True when a line holds nothing but white space.
#[inline]
pub fn is_blank(content: &[u8]) -> bool {
    content
        .iter()
        .all(|&b| matches!(b, b' ' | b'\t' | b'\r' | b'\x0b'))
}

/// True when a line is a document separator: a lone form feed, optionally
/// followed by CR (the terminator may be there or not).
#[inline]
pub fn is_separator(line: &[u8]) -> bool {
    matches!(content(line), b"\x0c")
}

/// Iterates over the lines of a document, terminators included.
pub fn lines(doc: &[u8]) -> Lines<'_> {
    Lines {
        doc,
        start: 0,
        base: 0,
        ends: newline_mask(doc),
    }
}

/// See [`lines`].
///
/// Line ends come from a bit mask of the `\n` bytes of 64 bytes at a
/// time: a line costs a few instructions, where a `memchr` call per line
/// (most lines are 20-80 bytes) cost about 50 (5% of `--fast`'s run).
#[derive(Debug, Clone)]
pub struct Lines<'a> {
    doc: &'a [u8],
    /// Where the next line starts.
    start: usize,
    /// The block `ends` describes: bit `k` is the `\n` at `base + k`, for
    /// those not handed out yet.
    base: usize,
    ends: u64,
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.start >= self.doc.len() {
            return None;
        }
        while self.ends == 0 {
            self.base += 64;
            if self.base >= self.doc.len() {
                // The last line has no terminator.
                let line = &self.doc[self.start..];
                self.start = self.doc.len();
                return Some(line);
            }
            self.ends = newline_mask(&self.doc[self.base..]);
        }
        let end = self.base + self.ends.trailing_zeros() as usize + 1;
        self.ends &= self.ends - 1;
        let line = &self.doc[self.start..end];
        self.start = end;
        Some(line)
    }
}

/// The `\n` bytes among the first 64 of `bytes`, bit `k` for byte `k`.
#[inline]
fn newline_mask(bytes: &[u8]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    if let Some(block) = bytes.first_chunk::<64>() {
        use std::arch::x86_64::*;
        let mut mask = 0;
        for k in 0..4 {
            // SAFETY: SSE2 is part of x86_64; sixteen bytes read from a
            // block of 64 at k * 16.
            let bits = unsafe {
                let v = _mm_loadu_si128(block.as_ptr().add(k * 16).cast());
                _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'\n' as i8)))
            };
            mask |= u64::from(bits as u16) << (k * 16);
        }
        return mask;
    }
    bytes
        .iter()
        .take(64)
        .enumerate()
        .fold(0, |mask, (k, &b)| mask | u64::from(b == b'\n') << k)
}

/// One document read from a stream, and the separator line that ended it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Document {
    /// The document's bytes, lines with their terminators.
    pub bytes: Vec<u8>,
    /// The form-feed line that ended the document, as it came; `None` for the
    /// last document of a stream, and for a part of an oversized one.
    pub separator: Option<Vec<u8>>,
    /// A part of a document cut at the size limits, other than its first:
    /// the document was already counted with its first part.
    pub follows_part: bool,
}

/// Reads a stream and yields its documents, split at form-feed lines.
///
/// Memory is bounded by the largest document plus one read buffer: a stream
/// of many pages never has to be held whole. Each byte is copied a bounded
/// number of times, however many documents one read holds. A document that
/// grows past the [`Limits`] without a separator (pages joined with no form
/// feeds between them, a whole corpus in one file, a flood of blank lines)
/// is handed out in parts cut at line ends, each within the limits unless it
/// is a single line: the classifier holds some 300 bytes of facts a line
/// while it works, and a stream with no separator would otherwise be held
/// whole.
pub struct DocumentReader<R> {
    reader: R,
    /// The largest document handed out whole; larger ones come in parts.
    limits: Limits,
    /// Line ends of the current document counted so far: those in
    /// `pending[start..counted]`, and where the one that reaches the line
    /// limit is, once found.
    counted: usize,
    line_ends: usize,
    line_limit_end: Option<usize>,
    /// Once the document's first `limits.bytes` bytes are known to hold no
    /// line end: how far past them none is known to be.
    no_line_end_until: Option<usize>,
    /// Bytes of the stream before `pending[0]`.
    consumed: u64,
    /// Documents handed out, parts counted once.
    documents: u64,
    /// The first document cut at the size limit.
    first_oversized: Option<Oversized>,
    /// The next document handed out is a later part of a cut one.
    in_parts: bool,
    /// The bytes read and not yet handed out are `pending[start..filled]`;
    /// past `filled`, bytes already written once (by a read or as zeros),
    /// where the next read lands: a read goes straight into `pending`,
    /// not through a buffer of its own and a copy.
    pending: Vec<u8>,
    filled: usize,
    /// Start of the bytes of `pending` not yet handed out.
    start: usize,
    /// Bytes of `pending` already searched for a separator (an index into
    /// `pending`, at least `start`).
    scanned: usize,
    eof: bool,
    /// A line with more bytes than this before its `\n` is too long: it is
    /// handed out in chunks as it is read, never held whole.
    max_line: usize,
    /// Lines of `pending[start..line_checked]` are known to be within
    /// `max_line`; `line_checked` is a line start.
    line_checked: usize,
    /// Handing out a line that is too long, chunk by chunk.
    long: Option<LongState>,
    /// Lines found too long, and where the first one starts.
    long_lines: u64,
    first_long_line: Option<Oversized>,
}

/// Where a too-long line is while it is being handed out.
#[derive(Debug, Clone, Copy)]
struct LongState {
    /// The next chunk is the line's first.
    first: bool,
    /// The line is the first line of its document.
    opens_document: bool,
}

/// What [`DocumentReader::next_piece`] hands out: a document (or a part of
/// one), or a chunk of a line too long to hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// A document, or a part of one.
    Document(Document),
    /// A chunk of a line over the line limit.
    LongLine(LongLineChunk),
}

/// A piece of a line longer than the reader's line limit
/// ([`DocumentReader::with_max_line`]), in input order. The line's chunks
/// come one after another, between the parts of its document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LongLineChunk {
    /// The bytes, as they came; the last chunk ends with the line's `\n`,
    /// if it has one. Never empty.
    pub bytes: Vec<u8>,
    /// The line's first chunk.
    pub first: bool,
    /// The line's last chunk.
    pub last: bool,
    /// The line is the first of its document (the document is counted
    /// with it; what follows it is a later part).
    pub opens_document: bool,
}

/// How much is read at a time.
const READ_SIZE: usize = 256 * 1024;

/// The largest document cleaned whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes (0 counts as 1).
    pub bytes: usize,
    /// The most lines (0 counts as 1).
    pub lines: usize,
}

/// The longest line (bytes before its `\n`) a [`DocumentReader`] holds by
/// default: far above any page's line, far below what would exhaust memory.
pub const DEFAULT_MAX_LINE: usize = 8 << 20;

impl Limits {
    /// Far above any real page (the largest of the 1,569 dev pages has
    /// 136 KB and 5,070 lines), small enough that the classifier's facts
    /// about a part stay within some 200 MiB however short its lines.
    pub const DEFAULT: Limits = Limits {
        bytes: 16 << 20,
        lines: 1 << 16,
    };
}

/// Where the first part of `doc` (a whole document, or the rest of one)
/// ends when it is over the limits; `None` when it fits. The rule
/// [`DocumentReader`] cuts streams by, for text already in memory.
pub fn part_end(doc: &[u8], limits: Limits) -> Option<usize> {
    // Line ends past the byte limit never decide: the byte limit's cut
    // comes first there. So a long text is not counted to its end per part.
    let by_lines = if doc.len() > limits.lines {
        memchr::memchr_iter(b'\n', &doc[..doc.len().min(limits.bytes.max(1))])
            .nth(limits.lines.max(1) - 1)
            .map(|i| i + 1)
    } else {
        None
    };
    let by_bytes = if doc.len() > limits.bytes {
        let (within, beyond) = doc.split_at(limits.bytes.max(1));
        memchr::memrchr(b'\n', within)
            .or_else(|| memchr::memchr(b'\n', beyond).map(|i| within.len() + i))
            .map(|i| i + 1)
    } else {
        None
    };
    earlier(by_lines, by_bytes).filter(|&end| end < doc.len())
}

/// The earlier of two cut points, either of which may be missing.
fn earlier(a: Option<usize>, b: Option<usize>) -> Option<usize> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// A document that reached the size limit without a separator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Oversized {
    /// 1-based, counting the documents of the stream.
    pub document: u64,
    /// Offset of its first byte in the stream.
    pub start: u64,
}

impl<R: Read> DocumentReader<R> {
    /// A reader of `reader`'s documents within [`Limits::DEFAULT`].
    ///
    /// ```
    /// use kzclean::document::DocumentReader;
    /// let stream = b"First page.\n\x0c\nSecond page.\n";
    /// let mut reader = DocumentReader::new(&stream[..]);
    /// let first = reader.next_document()?.unwrap();
    /// assert_eq!(first.bytes, b"First page.\n");
    /// assert_eq!(first.separator.as_deref(), Some(&b"\x0c\n"[..]));
    /// let second = reader.next_document()?.unwrap();
    /// assert_eq!((second.bytes.as_slice(), second.separator), (&b"Second page.\n"[..], None));
    /// assert!(reader.next_document()?.is_none());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new(reader: R) -> DocumentReader<R> {
        DocumentReader::with_limits(reader, Limits::DEFAULT)
    }

    /// A reader that cuts documents larger than `limits` into parts (see
    /// [`DocumentReader`]).
    pub fn with_limits(reader: R, limits: Limits) -> DocumentReader<R> {
        DocumentReader {
            reader,
            limits: Limits {
                bytes: limits.bytes.max(1),
                lines: limits.lines.max(1),
            },
            counted: 0,
            line_ends: 0,
            line_limit_end: None,
            no_line_end_until: None,
            consumed: 0,
            documents: 0,
            first_oversized: None,
            in_parts: false,
            pending: Vec::new(),
            filled: 0,
            start: 0,
            scanned: 0,
            eof: false,
            max_line: DEFAULT_MAX_LINE,
            line_checked: 0,
            long: None,
            long_lines: 0,
            first_long_line: None,
        }
    }

    /// Sets the longest line held whole (bytes before its `\n`, at least
    /// 1; [`DEFAULT_MAX_LINE`] unless set). A longer line is handed out by
    /// [`DocumentReader::next_piece`] in chunks as it is read, and skipped by
    /// [`DocumentReader::next_document`]; the document around it comes in
    /// parts, before and after it. Memory stays bounded whatever the input.
    pub fn with_max_line(mut self, max_line: usize) -> DocumentReader<R> {
        self.max_line = max_line.max(1);
        self
    }

    /// How many lines were too long, and where the first one starts (its
    /// document, and its first byte in the stream).
    pub fn long_lines(&self) -> (u64, Option<Oversized>) {
        (self.long_lines, self.first_long_line)
    }

    /// The next document, or `None` at the end of the stream. Lines over
    /// the line limit are skipped (see [`DocumentReader::next_piece`]).
    pub fn next_document(&mut self) -> io::Result<Option<Document>> {
        loop {
            match self.next_piece()? {
                Some(Piece::Document(d)) => return Ok(Some(d)),
                Some(Piece::LongLine(_)) => {}
                None => return Ok(None),
            }
        }
    }

    /// The next document or chunk of a too-long line, or `None` at the end
    /// of the stream.
    pub fn next_piece(&mut self) -> io::Result<Option<Piece>> {
        loop {
            if let Some(state) = self.long {
                if let Some(chunk) = self.long_chunk(state)? {
                    return Ok(Some(Piece::LongLine(chunk)));
                }
                continue;
            }
            let separator = self.find_separator();
            // The bytes known to hold no separator: all of the document, or
            // as much of it as has been read.
            let known_end = separator.map_or(self.scanned, |(at, _)| at);
            // A line too long to hold: the document's lines before it go as
            // a part (cut earlier if over the limits), then it, in chunks.
            if let Some(line_start) = self.long_line_start(known_end) {
                let end = self
                    .part_end(known_end)
                    .filter(|&end| end < line_start)
                    .map(|end| (end, true))
                    .or((line_start > self.start).then_some((line_start, false)));
                match end {
                    Some((end, oversized)) => {
                        return Ok(Some(Piece::Document(self.take_part(end, oversized))));
                    }
                    None => {
                        self.long_lines += 1;
                        self.first_long_line.get_or_insert(Oversized {
                            document: self.documents + 1,
                            start: self.consumed + self.start as u64,
                        });
                        self.long = Some(LongState {
                            first: true,
                            opens_document: !self.in_parts,
                        });
                        continue;
                    }
                }
            }
            // A part ends before the document's last byte: whether a part
            // that would end exactly there is the whole document depends on
            // the next read, and where documents end must not.
            if let Some(end) = self.part_end(known_end)
                && end < known_end
            {
                return Ok(Some(Piece::Document(self.take_part(end, true))));
            }
            if let Some((at, len)) = separator {
                return Ok(Some(Piece::Document(self.take_document(at, len))));
            }
            if self.eof {
                if self.start == self.filled {
                    return Ok(None);
                }
                let end = self.filled;
                return Ok(Some(Piece::Document(self.take_document(end, 0))));
            }
            self.fill()?;
        }
    }

    /// The start of the first line of `pending[start..known_end]` with more
    /// than `max_line` bytes before its `\n` (or before `known_end`, for
    /// the last line, when it is that long already). Each line is checked
    /// once, and only in documents longer than the limit.
    fn long_line_start(&mut self, known_end: usize) -> Option<usize> {
        if known_end - self.start <= self.max_line {
            return None;
        }
        let from = self.line_checked;
        let mut line_start = from;
        for at in memchr::memchr_iter(b'\n', &self.pending[from..known_end]) {
            if from + at - line_start > self.max_line {
                break;
            }
            line_start = from + at + 1;
        }
        self.line_checked = line_start;
        let line_end = memchr::memchr(b'\n', &self.pending[line_start..known_end])
            .map_or(known_end, |at| line_start + at);
        (line_end - line_start > self.max_line).then_some(line_start)
    }

    /// The next chunk of the too-long line at `start`, if one is ready: up
    /// to its `\n`, or all that was read of it but its last byte (so that
    /// the chunk the end of the input ends is never empty).
    fn long_chunk(&mut self, state: LongState) -> io::Result<Option<LongLineChunk>> {
        let rest = &self.pending[self.start..self.filled];
        let (end, last) = match memchr::memchr(b'\n', rest) {
            Some(at) => (self.start + at + 1, true),
            None if self.eof => (self.filled, true),
            None if rest.len() > 1 => (self.filled - 1, false),
            None => {
                self.fill()?;
                return Ok(None);
            }
        };
        if end == self.start {
            // Nothing left of the line at the end of the input (cannot
            // happen: its last byte was held back).
            self.long = None;
            return Ok(None);
        }
        let bytes = self.cut(end, 0);
        if last {
            self.long = None;
            // What follows it is a later part of its document.
            self.in_parts = true;
        } else {
            self.long = Some(LongState {
                first: false,
                ..state
            });
        }
        Ok(Some(LongLineChunk {
            bytes,
            first: state.first,
            last,
            opens_document: state.opens_document,
        }))
    }

    /// The first document that reached the size limit without a separator
    /// and was handed out in parts, if any did.
    pub fn first_oversized(&self) -> Option<Oversized> {
        self.first_oversized
    }

    /// Where the next part of the document ends, given that
    /// `pending[start..known_end]` holds no separator, if that much is over
    /// a limit: after the line that reaches the line limit, or after the
    /// last line end within the byte limit (when the first line alone is
    /// longer, after that line once it is known), whichever comes first.
    fn part_end(&mut self, known_end: usize) -> Option<usize> {
        let known_len = known_end - self.start;
        let by_lines = if known_len > self.limits.lines {
            self.line_limit_end(known_end)
        } else {
            None
        };
        let by_bytes = if known_len > self.limits.bytes {
            self.byte_limit_end(known_end)
        } else {
            None
        };
        earlier(by_lines, by_bytes)
    }

    /// The end of the last line within the byte limit, or of the first line
    /// when it alone is longer, if it is in `pending[..known_end]`; a line
    /// longer than the limit is searched for its end once, not once a read.
    fn byte_limit_end(&mut self, known_end: usize) -> Option<usize> {
        let from = match self.no_line_end_until {
            Some(from) => from,
            None => {
                let within_end = self.start + self.limits.bytes;
                if let Some(i) = memchr::memrchr(b'\n', &self.pending[self.start..within_end]) {
                    return Some(self.start + i + 1);
                }
                within_end
            }
        };
        match memchr::memchr(b'\n', &self.pending[from..known_end]) {
            Some(i) => {
                self.no_line_end_until = Some(from + i);
                Some(from + i + 1)
            }
            None => {
                self.no_line_end_until = Some(known_end);
                None
            }
        }
    }

    /// The end of the document's line that reaches the line limit, if it is
    /// in `pending[..known_end]`; counts each byte once however often asked.
    fn line_limit_end(&mut self, known_end: usize) -> Option<usize> {
        if self.line_limit_end.is_none() && self.counted < known_end {
            let from = self.counted;
            for at in memchr::memchr_iter(b'\n', &self.pending[from..known_end]) {
                self.line_ends += 1;
                if self.line_ends == self.limits.lines {
                    self.line_limit_end = Some(from + at + 1);
                    break;
                }
            }
            self.counted = known_end;
        }
        self.line_limit_end
    }

    /// Hands out `pending[start..end]` as a part of a document: one over
    /// the size limits (`oversized`), or one a too-long line cuts.
    fn take_part(&mut self, end: usize, oversized: bool) -> Document {
        // The first part of the first oversized document: later parts and
        // documents leave it as it is.
        if oversized {
            self.first_oversized.get_or_insert(Oversized {
                document: self.documents + 1,
                start: self.consumed + self.start as u64,
            });
        }
        let part = self.take_document(end, 0);
        self.in_parts = true;
        // The parts are one document of the stream: it is numbered once,
        // when its last part (the one a separator or the end ends) goes.
        self.documents -= 1;
        part
    }

    /// Hands out `pending[start..end]` as a document, ended by the separator
    /// of `separator_len` bytes at `end` (none when 0).
    fn take_document(&mut self, end: usize, separator_len: usize) -> Document {
        self.documents += 1;
        let separator =
            (separator_len > 0).then(|| self.pending[end..end + separator_len].to_vec());
        let bytes = self.cut(end, separator_len);
        Document {
            bytes,
            separator,
            follows_part: std::mem::take(&mut self.in_parts),
        }
    }

    /// Takes `pending[start..end]` out, and the `skip` bytes after it, and
    /// starts the search for the next document or line after them.
    fn cut(&mut self, end: usize, skip: usize) -> Vec<u8> {
        let separator_end = end + skip;
        let rest_len = self.filled - separator_end;
        // Room for reads past `filled` counts as rest: a small document is
        // not handed out with a read's room in its capacity.
        let room = self.pending.len() - self.filled;
        let bytes = if self.start == 0 && end >= rest_len + room {
            // The document is most of the buffer: hand out the buffer itself
            // and keep a copy of the smaller rest (a large document is never
            // copied, nor held twice).
            let rest = self.pending[separator_end..self.filled].to_vec();
            self.filled = rest.len();
            self.consumed += separator_end as u64;
            let mut bytes = std::mem::replace(&mut self.pending, rest);
            bytes.truncate(end);
            self.start = 0;
            bytes
        } else {
            // Copy the document out; the rest stays where it is until the
            // next read, instead of being moved once per document.
            let bytes = self.pending[self.start..end].to_vec();
            self.start = separator_end;
            bytes
        };
        if self.start == self.filled {
            self.consumed += self.start as u64;
            self.filled = 0;
            self.start = 0;
        }
        self.scanned = self.start;
        self.counted = self.start;
        self.line_checked = self.start;
        self.line_ends = 0;
        self.line_limit_end = None;
        self.no_line_end_until = None;
        bytes
    }

    /// Reads more bytes into `pending`; sets `eof` at the end.
    fn fill(&mut self) -> io::Result<()> {
        if self.start > 0 {
            // Drop the bytes already handed out, once per read.
            self.consumed += self.start as u64;
            self.pending.copy_within(self.start..self.filled, 0);
            self.filled -= self.start;
            self.counted -= self.start;
            self.line_checked -= self.start;
            for at in [&mut self.line_limit_end, &mut self.no_line_end_until]
                .into_iter()
                .flatten()
            {
                *at -= self.start;
            }
            self.scanned -= self.start;
            self.start = 0;
        }
        if self.pending.len() < self.filled + READ_SIZE {
            // Zeroed once; later reads land on bytes already written, so a
            // read that returns a few bytes costs a few bytes.
            self.pending.resize(self.filled + READ_SIZE, 0);
        }
        let n = loop {
            match self
                .reader
                .read(&mut self.pending[self.filled..self.filled + READ_SIZE])
            {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        self.filled += n.min(READ_SIZE);
        if n == 0 {
            self.eof = true;
        }
        Ok(())
    }

    /// Finds a separator line in `pending`: (start, length with terminator).
    /// A candidate too close to the end to decide waits for more input.
    fn find_separator(&mut self) -> Option<(usize, usize)> {
        let buf = &self.pending[..self.filled];
        let mut from = self.scanned;
        while let Some(i) = memchr::memchr(b'\x0c', &buf[from..]) {
            let at = from + i;
            from = at + 1;
            if at > self.start && buf[at - 1] != b'\n' {
                continue;
            }
            match (buf.get(at + 1), buf.get(at + 2)) {
                (Some(b'\n'), _) => return Some((at, 2)),
                (Some(b'\r'), Some(b'\n')) => return Some((at, 3)),
                (Some(b'\r'), None) | (None, _) if !self.eof => {
                    // Undecidable until more bytes arrive: look here again.
                    self.scanned = at;
                    return None;
                }
                (Some(b'\r'), None) => return Some((at, 2)),
                (None, _) => return Some((at, 1)),
                _ => {}
            }
        }
        self.scanned = buf.len();
        None
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A reader that returns at most `.1` bytes per call, to test
    /// separators split across reads.
    pub(crate) struct Chunked<'a>(pub &'a [u8], pub usize);

    impl Read for Chunked<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(self.1).min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn docs(input: &[u8], chunk: usize) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
        let mut r = DocumentReader::new(Chunked(input, chunk));
        let mut out = Vec::new();
        while let Some(d) = r.next_document().unwrap() {
            out.push((d.bytes, d.separator));
        }
        out
    }

    #[test]
    fn splits_at_form_feed_lines_only() {
        for chunk in [1, 2, 3, 1000] {
            let d = docs(b"a\n\x0c\nb\x0c\n\x0c\r\nc", chunk);
            assert_eq!(
                d,
                vec![
                    (b"a\n".to_vec(), Some(b"\x0c\n".to_vec())),
                    (b"b\x0c\n".to_vec(), Some(b"\x0c\r\n".to_vec())),
                    (b"c".to_vec(), None),
                ],
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn separator_at_end_and_empty_documents() {
        for chunk in [1, 1000] {
            assert_eq!(
                docs(b"\x0c\n\x0c", chunk),
                vec![
                    (vec![], Some(b"\x0c\n".to_vec())),
                    (vec![], Some(b"\x0c".to_vec())),
                ]
            );
            assert_eq!(docs(b"", chunk), vec![]);
            assert_eq!(docs(b"x\n", chunk), vec![(b"x\n".to_vec(), None)]);
        }
    }

    #[test]
    fn many_small_documents_hold_memory_in_proportion_to_their_size() {
        // Regression: each document used to take over the whole read buffer
        // (256 KiB of capacity for a 20-byte page) and the rest of the buffer
        // was copied once per document: 4.5 MB of small pages took 885 MB
        // and seconds. Now the bytes handed out stay near their length.
        let mut input = Vec::new();
        for i in 0..20_000 {
            input.extend_from_slice(format!("page {i} text\n\x0c\n").as_bytes());
        }
        let mut reader = DocumentReader::new(&input[..]);
        let (mut len, mut capacity, mut count) = (0, 0, 0);
        while let Some(d) = reader.next_document().unwrap() {
            len += d.bytes.len();
            capacity += d.bytes.capacity();
            count += 1;
        }
        assert_eq!(count, 20_000);
        assert!(
            capacity <= 2 * len + READ_SIZE,
            "{capacity} bytes held for {len}"
        );
    }

    #[test]
    fn small_reads_cost_what_they_read() {
        // Regression: every read zero-filled a fresh 256 KiB of buffer, so a
        // reader that returns a few bytes at a time (a pipe fed line by line,
        // a terminal, a socket) ran at a few MB/s in release builds and far
        // slower in debug ones. 32 000 reads of 16 bytes take milliseconds;
        // with the bug they took tens of seconds in a debug build.
        let input: Vec<u8> = b"a line of text\n\x0c\n".repeat(32_000);
        let started = std::time::Instant::now();
        let got = docs(&input, 16);
        let elapsed = started.elapsed();
        assert_eq!(got.len(), 32_000);
        assert!(elapsed.as_secs() < 5, "16-byte reads took {elapsed:?}");
    }

    #[test]
    fn an_oversized_document_comes_in_parts_and_is_reported_once() {
        for chunk in [1, 2, 1000] {
            let input = b"a\n\x0c\nxx\nyy\nzz\n\x0c\nq\nlonger line\nr\n";
            let limits = Limits {
                bytes: 4,
                lines: 100,
            };
            let mut reader = DocumentReader::with_limits(Chunked(input, chunk), limits);
            let mut got = Vec::new();
            while let Some(d) = reader.next_document().unwrap() {
                got.push((d.bytes, d.separator));
            }
            let sep = || Some(b"\x0c\n".to_vec());
            assert_eq!(
                got,
                vec![
                    (b"a\n".to_vec(), sep()),
                    // Cut after the last line end within 4 bytes.
                    (b"xx\n".to_vec(), None),
                    (b"yy\n".to_vec(), None),
                    (b"zz\n".to_vec(), sep()),
                    (b"q\n".to_vec(), None),
                    // A line longer than the limit is never cut.
                    (b"longer line\n".to_vec(), None),
                    (b"r\n".to_vec(), None),
                ],
                "chunk {chunk}"
            );
            // The first oversized document: the second, from byte 4.
            assert_eq!(
                reader.first_oversized(),
                Some(Oversized {
                    document: 2,
                    start: 4
                })
            );
        }
        let limits = Limits { bytes: 6, lines: 2 };
        let mut small = DocumentReader::with_limits(&b"xx\nyy\n\x0c\nzz\n"[..], limits);
        while small.next_document().unwrap().is_some() {}
        assert_eq!(
            small.first_oversized(),
            None,
            "at the limits is not over them"
        );
    }

    #[test]
    fn a_flood_of_short_lines_comes_in_parts_of_at_most_the_line_limit() {
        let limits = Limits {
            bytes: 1000,
            lines: 3,
        };
        for chunk in [1, 2, 1000] {
            let input = b"a\n\n\nb\nc\n\n\x0c\nd\ne\nf\n";
            let mut reader = DocumentReader::with_limits(Chunked(input, chunk), limits);
            let mut got = Vec::new();
            while let Some(d) = reader.next_document().unwrap() {
                got.push((d.bytes, d.separator, d.follows_part));
            }
            let sep = || Some(b"\x0c\n".to_vec());
            assert_eq!(
                got,
                vec![
                    (b"a\n\n\n".to_vec(), None, false),
                    (b"b\nc\n\n".to_vec(), sep(), true),
                    // Three lines: at the limit, whole.
                    (b"d\ne\nf\n".to_vec(), None, false),
                ],
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn a_line_over_the_line_limit_comes_in_chunks_between_parts() {
        let input = b"a\nLONGLINE\nb\n\x0c\nLONGER!!!\r\n\x0c\nc\n1234\nTAIL-LONG";
        for chunk in [1, 2, 3, 1000] {
            let mut reader = DocumentReader::new(Chunked(input, chunk)).with_max_line(4);
            let (mut docs, mut line, mut lines) = (Vec::new(), Vec::new(), Vec::new());
            while let Some(piece) = reader.next_piece().unwrap() {
                match piece {
                    Piece::Document(d) => {
                        docs.push((d.bytes, d.separator.is_some(), d.follows_part))
                    }
                    Piece::LongLine(c) => {
                        assert!(!c.bytes.is_empty());
                        assert_eq!(c.first, line.is_empty(), "chunk {chunk}");
                        line.extend_from_slice(&c.bytes);
                        if c.last {
                            lines.push((std::mem::take(&mut line), c.opens_document));
                        }
                    }
                }
            }
            assert_eq!(
                lines,
                vec![
                    (b"LONGLINE\n".to_vec(), false),
                    (b"LONGER!!!\r\n".to_vec(), true),
                    (b"TAIL-LONG".to_vec(), false),
                ],
                "chunk {chunk}"
            );
            assert_eq!(
                docs,
                vec![
                    (b"a\n".to_vec(), false, false),
                    (b"b\n".to_vec(), true, true),
                    // The document the long line opened: empty, a later part.
                    (vec![], true, true),
                    // At the limit (4 bytes before the newline): held.
                    (b"c\n1234\n".to_vec(), false, false),
                ],
                "chunk {chunk}"
            );
            assert_eq!(
                reader.long_lines(),
                (
                    3,
                    Some(Oversized {
                        document: 1,
                        start: 2
                    })
                )
            );
        }
    }

    #[test]
    fn lines_keep_terminators() {
        let l: Vec<&[u8]> = lines(b"a\r\nb\n\nc").collect();
        assert_eq!(l, vec![&b"a\r\n"[..], b"b\n", b"\n", b"c"]);
        assert_eq!(content(b"a\r\n"), b"a");
        assert!(is_blank(content(b" \t\r\n")));
        assert!(is_separator(b"\x0c\r\n") && is_separator(b"\x0c") && !is_separator(b"\x0cx\n"));
    }

    #[test]
    fn lines_split_as_memchr_does_across_blocks() {
        let reference = |doc: &[u8]| -> Vec<Vec<u8>> {
            let mut rest = doc;
            let mut out = Vec::new();
            while !rest.is_empty() {
                let end = memchr::memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
                out.push(rest[..end].to_vec());
                rest = &rest[end..];
            }
            out
        };
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for n in 0..2000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 300) as usize;
            // Few line ends in some documents, many in others.
            let every = 1 + (n % 90);
            let doc: Vec<u8> = (0..len)
                .map(|k| {
                    let r = state.rotate_left(k as u32 % 64) as usize + k * 7;
                    if r.is_multiple_of(every) {
                        b'\n'
                    } else {
                        b'a' + (r % 26) as u8
                    }
                })
                .collect();
            let got: Vec<Vec<u8>> = lines(&doc).map(<[u8]>::to_vec).collect();
            assert_eq!(got, reference(&doc), "{doc:?}");
        }
        for len in [63, 64, 65, 127, 128, 129] {
            let mut doc = vec![b'x'; len];
            doc[len - 1] = b'\n';
            assert_eq!(lines(&doc).count(), 1);
            doc.push(b'y');
            assert_eq!(lines(&doc).count(), 2);
        }
    }
}
