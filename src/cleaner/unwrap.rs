//! `--unwrap`: hard-wrapped dumps (lynx, w3m, html2text at 80 columns)
//! break each paragraph into a run of short lines, which the model reads as
//! a menu. The cleaner joins the lines of a wrapped paragraph into one
//! block, decides the blocks, and gives each original line its block's
//! verdict: the output is still made of whole input lines.

use crate::document::{content, is_blank, lines};

/// The width a dump was wrapped at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnwrapWidth {
    /// Each document's longest line, in characters; a document whose
    /// longest line is longer than [`MAX_AUTO_WIDTH`] is taken as not
    /// wrapped, and left as it is.
    Auto,
    /// This many characters.
    Columns(usize),
}

/// Past this, a document's longest line says it was not wrapped.
pub const MAX_AUTO_WIDTH: usize = 200;

/// Characters in a line (UTF-8 sequences; other bytes count one each).
fn chars(line: &[u8]) -> usize {
    line.iter().filter(|&&b| b & 0xC0 != 0x80).count()
}

/// Joins the wrapped lines of `doc` into `joined` (one block per line,
/// pieces separated by a space, `\n`-terminated) and records in `blocks`
/// how many original lines each block holds. A line continues the one
/// before it when both hold text and its first word would not have fitted
/// on that one within `width`: the writer broke it for width, not for a
/// new paragraph. Returns false (and writes nothing) when nothing joins.
pub fn join_wrapped(
    doc: &[u8],
    width: UnwrapWidth,
    joined: &mut Vec<u8>,
    blocks: &mut Vec<u32>,
) -> bool {
    joined.clear();
    blocks.clear();
    let width = match width {
        UnwrapWidth::Columns(n) => n,
        UnwrapWidth::Auto => {
            let longest = lines(doc).map(|l| chars(content(l))).max().unwrap_or(0);
            if longest > MAX_AUTO_WIDTH {
                return false;
            }
            longest
        }
    };
    let mut previous: Option<usize> = None; // characters of the line before, if it held text
    let mut any_joined = false;
    for line in lines(doc) {
        let text = content(line);
        if is_blank(text) {
            joined.extend_from_slice(text);
            joined.push(b'\n');
            blocks.push(1);
            previous = None;
            continue;
        }
        let first_word = text.split(|&b| b == b' ').find(|w| !w.is_empty());
        let continues =
            previous.is_some_and(|before| before + 1 + chars(first_word.unwrap_or(text)) > width);
        if continues {
            // Replace the block's '\n' by the space between the pieces.
            joined.pop();
            joined.push(b' ');
            joined.extend_from_slice(text);
            joined.push(b'\n');
            if let Some(last) = blocks.last_mut() {
                *last += 1;
            }
            any_joined = true;
        } else {
            joined.extend_from_slice(text);
            joined.push(b'\n');
            blocks.push(1);
        }
        previous = Some(chars(text));
    }
    any_joined
}

#[cfg(test)]
mod tests {
    use super::*;

    fn join(doc: &str, width: UnwrapWidth) -> Option<(String, Vec<u32>)> {
        let (mut joined, mut blocks) = (Vec::new(), Vec::new());
        join_wrapped(doc.as_bytes(), width, &mut joined, &mut blocks)
            .then(|| (String::from_utf8(joined).unwrap(), blocks))
    }

    /// (document, width, the joined document and its blocks' line counts).
    type Case = (&'static str, usize, Option<(&'static str, &'static [u32])>);

    #[test]
    fn wrapped_paragraphs_join_and_short_lines_stay() {
        let table: &[Case] = &[
            // "fox" fits after "brown" within 20: a break by choice.
            ("the quick brown\nfox jumps\n", 20, None),
            // "jumped" does not fit after "the quick brown fox" (19 + 1 + 6 > 20).
            (
                "the quick brown fox\njumped over\n",
                20,
                Some(("the quick brown fox jumped over\n", &[2])),
            ),
            // A blank line ends the paragraph; CRLF pieces lose their CR in the block.
            (
                "aaaa bbbb cccc\r\ndddddd\r\n\r\nnext paragraph\r\n",
                15,
                Some(("aaaa bbbb cccc dddddd\n\nnext paragraph\n", &[2, 1, 1])),
            ),
            // Three lines of one paragraph.
            (
                "Home\nalpha beta gamma\ndelta epsilon\nzeta\n",
                16,
                Some(("Home\nalpha beta gamma delta epsilon zeta\n", &[1, 3])),
            ),
        ];
        for &(doc, width, want) in table {
            let got = join(doc, UnwrapWidth::Columns(width));
            let want = want.map(|(j, b)| (j.to_string(), b.to_vec()));
            assert_eq!(got, want, "{doc:?} at {width}");
        }
    }

    #[test]
    fn auto_width_is_the_longest_line_unless_it_is_long() {
        let wrapped = "the quick brown fox\njumped over\n";
        assert_eq!(
            join(wrapped, UnwrapWidth::Auto),
            Some(("the quick brown fox jumped over\n".into(), vec![2]))
        );
        let long = format!("{}\nshort\n", "word ".repeat(50));
        assert_eq!(join(&long, UnwrapWidth::Auto), None);
        assert_eq!(join("", UnwrapWidth::Auto), None);
    }

    #[test]
    fn characters_not_bytes_measure_a_line() {
        // 10 characters, 20 bytes: "ж" fits after them within 12.
        assert_eq!(join("жжжжжжжжжж\nж\n", UnwrapWidth::Columns(12)), None);
        assert!(join("жжжжжжжжжж\nж\n", UnwrapWidth::Columns(11)).is_some());
    }
}
