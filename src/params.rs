//! Tunable numbers: the classifier's thresholds and the rule engine's guards.
//!
//! Every field can be set from a rule file (`set NAME VALUE`), so a user tunes
//! a site without recompiling. Presets (`--precision`, `--recall`) start from
//! different values; `set` lines are applied on top of the preset.

/// Which preset the parameters start from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Preset {
    /// Remove more: fewer boilerplate lines survive, some article lines go.
    Precision,
    /// The default trade-off.
    #[default]
    Balanced,
    /// Keep more: fewer article lines are lost, more boilerplate survives.
    Recall,
}

macro_rules! params {
    ($( $(#[doc = $doc:literal])* $field:ident : $name:literal = $balanced:expr, $precision:expr, $recall:expr; in $lo:literal ..= $hi:expr; )*) => {
        /// The tunable numbers. See each field for what it does.
        #[derive(Debug, Clone, PartialEq)]
        pub struct Params {
            $( $(#[doc = $doc])* pub $field: f64, )*
        }

        impl Params {
            /// The values of a preset.
            pub fn preset(preset: Preset) -> Params {
                match preset {
                    Preset::Balanced => Params { $( $field: $balanced, )* },
                    Preset::Precision => Params { $( $field: $precision, )* },
                    Preset::Recall => Params { $( $field: $recall, )* },
                }
            }

            /// Sets one value by its rule-file name, if it is within the
            /// setting's range.
            pub fn set(&mut self, name: &str, value: f64) -> Result<(), String> {
                let (lo, hi) = Params::range(name)?;
                if !(lo..=hi).contains(&value) {
                    let range = if hi == f64::INFINITY {
                        format!("at least {lo}")
                    } else {
                        format!("from {lo} to {hi}")
                    };
                    return Err(format!(
                        "`set {name}`: {} is out of range; it must be {range}",
                        shown_number(value)
                    ));
                }
                match name {
                    $( $name => self.$field = value, )*
                    _ => unreachable!("range() knows every name"),
                }
                Ok(())
            }

            /// The values a setting takes, or an error for an unknown name.
            pub fn range(name: &str) -> Result<(f64, f64), String> {
                match name {
                    $( $name => Ok(($lo, $hi)), )*
                    _ => Err(format!(
                        "unknown setting `{}`; known settings: {}",
                        name,
                        [$($name),*].join(", ")
                    )),
                }
            }
        }
    };
}

params! {
    /// A `cut` rule is honoured only after this many words of prose (lines of
    /// 10 or more words) were seen above its marker; earlier, only the marker
    /// line itself is dropped. Guards the article against a marker at the top.
    cut_min_words_before: "cut-min-words-before" = 60.0, 40.0, 120.0; in 0.0 ..= f64::INFINITY;
    /// A `cut` rule is honoured only when the prose below its marker is at
    /// most this share of the prose above it: a "Related" box in the middle
    /// of a page must not take the rest of the article with it.
    cut_max_prose_after: "cut-max-prose-after" = 1.0, 2.0, 0.5; in 0.0 ..= f64::INFINITY;
    /// Lines whose classifier probability of being article text is at least
    /// this are kept, and on some pages more (see `keep-beta`).
    keep_threshold: "keep-threshold" = 0.5, 0.5, 0.2; in 0.0 ..= 1.0;
    /// Per document, the classifier may lower the bar below `keep-threshold`:
    /// it takes the most probable lines, as many as maximise the F-beta
    /// score its probabilities lead one to expect, with this beta (1: F1;
    /// below 1 precision weighs more). This keeps the best lines of a page
    /// whose lines all look doubtful. 0 turns it off. At most 100 (beyond
    /// any use: recall alone), as beta squared must stay a finite number.
    keep_beta: "keep-beta" = 0.85, 0.5, 2.0; in 0.0 ..= 100.0;
    /// How far, in log-odds, the classifier may be wrong about a whole
    /// page at once (a standard deviation): the per-document bar takes the
    /// mean F-beta over the page's probabilities moved that way and back.
    /// A page whose lines all look a little doubtful then keeps its best
    /// lines rather than nearly all of them. 0: probabilities at face value.
    /// At most 20 (odds moved by e^35 already): past about 400 the odds
    /// factor is infinite and the bar is lost.
    keep_spread: "keep-spread" = 2.0, 2.0, 0.0; in 0.0 ..= 20.0;
    /// `keep-beta` for a page whose site profile took out its site's
    /// repeated lines (`--profile`): what is left is less often template,
    /// so the bar may lean to recall. Off (as `keep-beta`) when `keep-beta`
    /// is 0. At most 100, as `keep-beta`.
    profile_keep_beta: "profile-keep-beta" = 1.0, 0.5, 2.0; in 0.0 ..= 100.0;
}

/// A value as a user would write it back: `1e154`, not 155 digits.
fn shown_number(value: f64) -> String {
    if value != 0.0 && !(1e-4..1e6).contains(&value.abs()) {
        format!("{value:e}")
    } else {
        format!("{value}")
    }
}

impl Default for Params {
    fn default() -> Params {
        Params::preset(Preset::Balanced)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_by_name_and_reject_unknown() {
        let mut p = Params::default();
        p.set("cut-min-words-before", 10.0).unwrap();
        assert_eq!(p.cut_min_words_before, 10.0);
        let e = p.set("no-such", 1.0).unwrap_err();
        assert!(e.contains("unknown setting `no-such`"));
        assert!(e.contains("cut-min-words-before"));
    }

    #[test]
    fn values_out_of_range_are_refused_and_change_nothing() {
        let table: &[(&str, f64, Option<&str>)] = &[
            ("keep-threshold", 0.0, None),
            ("keep-threshold", 1.0, None),
            ("keep-threshold", 2.0, Some("from 0 to 1")),
            ("keep-threshold", -0.1, Some("from 0 to 1")),
            ("keep-beta", 0.0, None),
            ("keep-beta", -1.0, Some("from 0 to 100")),
            ("keep-beta", 100.0, None),
            ("keep-beta", 100.5, Some("from 0 to 100")),
            ("keep-beta", 1e154, Some("from 0 to 100")),
            ("profile-keep-beta", -1.0, Some("from 0 to 100")),
            ("profile-keep-beta", 100.0, None),
            ("profile-keep-beta", 101.0, Some("from 0 to 100")),
            ("keep-spread", 20.0, None),
            ("keep-spread", 20.5, Some("from 0 to 20")),
            ("keep-spread", 700.0, Some("from 0 to 20")),
            ("keep-spread", -1.0, Some("from 0 to 20")),
            ("cut-min-words-before", 1e6, None),
            ("cut-min-words-before", -5.0, Some("at least 0")),
            ("cut-max-prose-after", -1.0, Some("at least 0")),
        ];
        for &(name, value, refused) in table {
            let mut p = Params::default();
            match (p.set(name, value), refused) {
                (Ok(()), None) => {}
                (Err(e), Some(want)) => {
                    assert!(e.contains(want) && e.contains(name), "{e}");
                    assert_eq!(p, Params::default(), "{name} {value}");
                }
                (got, _) => panic!("{name} {value}: {got:?}"),
            }
        }
        // The value as the user would write it.
        let mut p = Params::default();
        let e = p.set("keep-beta", 1e154).unwrap_err();
        assert!(e.contains(": 1e154 is out of range"), "{e}");
        let e = p.set("keep-spread", 20.5).unwrap_err();
        assert!(e.contains(": 20.5 is out of range"), "{e}");
    }

    #[test]
    fn presets_differ_in_the_expected_direction() {
        let p = Params::preset(Preset::Precision);
        let r = Params::preset(Preset::Recall);
        assert!(p.keep_threshold > r.keep_threshold);
        assert!(p.keep_beta < r.keep_beta);
    }
}
