//! Per-character facts of the Basic Multilingual Plane, computed by a
//! function of the `char` methods on first use, a page of 256 characters at
//! a time. The `char` methods search Unicode's tables on every call; a
//! built page is one load. Only the pages a text uses are built (the whole
//! plane would cost start-up time).

use std::sync::OnceLock;

pub(crate) struct CharTable<T: 'static> {
    pages: [OnceLock<Box<[T; 256]>>; 256],
    compute: fn(char) -> T,
    /// The entry of a code point that is no character (a surrogate).
    invalid: T,
}

impl<T: Copy> CharTable<T> {
    pub(crate) const fn new(compute: fn(char) -> T, invalid: T) -> CharTable<T> {
        CharTable {
            pages: [const { OnceLock::new() }; 256],
            compute,
            invalid,
        }
    }

    /// `compute(c)`, from the table within the plane.
    #[inline]
    pub(crate) fn get(&self, c: char) -> T {
        let code = c as usize;
        match self.pages.get(code >> 8) {
            Some(page) => {
                let page = page.get_or_init(|| {
                    let base = (code >> 8 << 8) as u32;
                    Box::new(std::array::from_fn(|k| {
                        char::from_u32(base + k as u32).map_or(self.invalid, self.compute)
                    }))
                });
                page[code & 0xFF]
            }
            None => (self.compute)(c),
        }
    }
}
