//! The document splitter with arbitrary read sizes: the documents do not
//! depend on how the stream is cut into reads, no document holds a
//! separator line, and documents plus separators are the input, byte for
//! byte.
//!
//! Shared by the fuzz target (`document_reader.rs`) and, on the seed corpus,
//! by the test `tests/fuzz_seeds.rs`, so the two never drift apart.

use std::io::{self, Read};

use kzclean::document::{DocumentReader, is_separator, lines};

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
    let mut reader = DocumentReader::new(r);
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
}
