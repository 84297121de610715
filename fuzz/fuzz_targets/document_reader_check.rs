//! The document splitter with arbitrary read sizes: the documents do not
//! depend on how the stream is cut into reads, no document holds a
//! separator line, and documents plus separators are the input, byte for
//! byte. Again with small size limits (from the read sizes): parts of an
//! oversized document end at line ends, keep within the limits, and are the
//! parts the in-memory rule cuts.
//!
//! Shared by the fuzz target (`document_reader.rs`) and, on the seed corpus,
//! by the test `tests/fuzz_seeds.rs`, so the two never drift apart.

use std::io::{self, Read};

use kzclean::document::{DocumentReader, Limits, is_separator, lines, part_end};

/// Hands out the data in reads of the given sizes, in turn.
struct Chunked<'a> {
    data: &'a [u8],
    sizes: &'a [u8],
    at: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let size = usize::from(self.sizes[self.at % self.sizes.len()]).max(1);
        self.at += 1;
        let n = self.data.len().min(size).min(buf.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fn read_all<R: Read>(r: R) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
    read_within(r, Limits::DEFAULT)
}

fn read_within<R: Read>(r: R, limits: Limits) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
    let mut reader = DocumentReader::with_limits(r, limits);
    let mut docs = Vec::new();
    while let Some(d) = reader.next_document().expect("in-memory reads cannot fail") {
        docs.push((d.bytes, d.separator));
    }
    docs
}

/// The fuzz target's checks on one input; panics on a failure.
pub fn check(data: &[u8]) {
    // The first byte says how many of the next bytes are read sizes.
    let (n, rest) = data.split_first().unwrap_or((&0, data));
    let n = usize::from(n % 8 + 1).min(rest.len());
    let (sizes, stream) = rest.split_at(n);
    let whole = read_all(stream);
    if !sizes.is_empty() {
        let chunked = read_all(Chunked {
            data: stream,
            sizes,
            at: 0,
        });
        assert_eq!(chunked, whole, "documents depend on read sizes {sizes:?}");
    }
    let mut joined = Vec::with_capacity(stream.len());
    for (i, (bytes, separator)) in whole.iter().enumerate() {
        assert!(
            !lines(bytes).any(is_separator),
            "separator line inside a document"
        );
        match separator {
            Some(s) => {
                assert!(is_separator(s));
                assert!(bytes.is_empty() || bytes.ends_with(b"\n"));
            }
            None => assert_eq!(
                i + 1,
                whole.len(),
                "only the last document lacks a separator"
            ),
        }
        joined.extend_from_slice(bytes);
        joined.extend_from_slice(separator.as_deref().unwrap_or_default());
    }
    assert_eq!(joined, stream);

    let (Some(&first), Some(&last)) = (sizes.first(), sizes.last()) else {
        return;
    };
    let limits = Limits {
        bytes: usize::from(first) + 1,
        lines: usize::from(last % 8) + 1,
    };
    let parts = read_within(stream, limits);
    let chunked = read_within(
        Chunked {
            data: stream,
            sizes,
            at: 0,
        },
        limits,
    );
    assert_eq!(chunked, parts, "parts depend on read sizes {sizes:?}");
    let mut in_memory = Vec::new();
    for (doc, separator) in &whole {
        let mut rest = &doc[..];
        while let Some(end) = part_end(rest, limits) {
            let part = &rest[..end];
            assert!(part.ends_with(b"\n"), "a part ends at a line end");
            let count = lines(part).count();
            assert!(count <= limits.lines, "a part of {count} lines");
            assert!(
                part.len() <= limits.bytes || count == 1,
                "a part of {} bytes",
                part.len()
            );
            in_memory.push((part.to_vec(), None));
            rest = &rest[end..];
        }
        in_memory.push((rest.to_vec(), separator.clone()));
    }
    assert_eq!(
        in_memory, parts,
        "the reader's parts are the in-memory cuts"
    );
}
