//! Bytes to text facts, shared by the rules and the features: characters
//! (decoded leniently), words, hashes and per-character tables. Depends on
//! nothing else in the crate.

mod char_table;
mod decode;
mod hash;
mod words;

pub(crate) use char_table::CharTable;
pub use decode::{decode_char, is_unspaced_script};
pub(crate) use hash::FxHasher;
pub use hash::hash_bytes;
pub(crate) use words::WordCount;
pub use words::count_words;
