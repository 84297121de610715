//! What the cleaner decides for each line, and why.

/// Why a line was kept or dropped. More reasons may come in a minor
/// release: a `match` needs a `_` arm.
///
/// ```compile_fail,E0004
/// fn by_rule(reason: kzclean::Reason) -> bool {
///     use kzclean::Reason::*;
///     match reason {
///         Rule(_) | CutGuarded(_) | CutRepeated(_) | Cut(_) => true,
///         Blank | BlankCollapsed | NoRule | SiteRepeat { .. } | Model { .. } => false,
///     }
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Reason {
    /// A blank line kept between two kept paragraphs.
    Blank,
    /// A blank line dropped: one of a run, or at a document's edge.
    BlankCollapsed,
    /// The rule with this index decided.
    Rule(u32),
    /// A `cut` rule matched here, but above its marker there was too little
    /// prose for the article to have ended (or too much below it): only the
    /// marker line is dropped.
    CutGuarded(u32),
    /// A `cut` rule matched a line that occurs more than once in the
    /// document: a menu entry ("Latest News" in every menu), not the
    /// heading that ends the article. Only the line is dropped.
    CutRepeated(u32),
    /// The `cut` rule with this index matched above: the article has ended.
    Cut(u32),
    /// No rule matched and the classifier is off: kept.
    NoRule,
    /// The rules did not decide the line (the classifier never scores it):
    /// the site profile has it on `pages` of the site's `site_pages` other
    /// pages (at least `ProfileOptions::min_pages`, and at least
    /// `min_share` of them): the site's repeated boilerplate. Dropped.
    SiteRepeat {
        /// The site's other pages holding the line.
        pages: u32,
        /// The site's other pages.
        site_pages: u32,
    },
    /// The classifier decided: its probability that the line is article
    /// text, the document's bar (lines at or above it are kept; it is
    /// `keep-threshold` or lower), (with `--explain`) the feature that
    /// weighed most, and, when a site profile has the line on some of the
    /// site's other pages (too few to drop it), how many of how many: that
    /// lowered the probability.
    Model {
        /// The model's probability that the line is article text.
        probability: f32,
        /// The document's bar: kept when `probability` reaches it.
        threshold: f32,
        /// With [`crate::CleanerOptions::explain`]: the feature that
        /// weighed most, an index into [`crate::FEATURE_NAMES`] followed
        /// by [`crate::FAST_FEATURE_NAMES`].
        feature: Option<u16>,
        /// (the site's other pages holding the line, the site's other
        /// pages), when a site profile has the line on some.
        site_seen: Option<(u32, u32)>,
    },
}

/// The decision for one line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    /// Whether the line is in the cleaned output.
    pub keep: bool,
    /// Why.
    pub reason: Reason,
}
