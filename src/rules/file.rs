//! The rule-file format: text in, rule specifications out.
//!
//! One directive per line; `#` starts a comment line; blank lines are ignored.
//!
//! ```text
//! ACTION  ID  SCOPE  [words<=N]  PATTERN
//! set     NAME  VALUE
//! disable ID
//! ```
//!
//! * ACTION is `drop` (remove the line), `keep` (keep it over any other verdict)
//!   or `cut` (the line and the rest of the document are boilerplate).
//! * SCOPE is `line` (the whole line is one of the phrases), `prefix` (the line
//!   starts with one of them), `contains` (a phrase occurs as whole words,
//!   where its script spaces its words) or
//!   `regex` (a regular expression matches anywhere in the line).
//! * Phrases are separated by `|`, matched case-insensitively; spaces inside a
//!   phrase match any run of white space.
//!
//! Parsing never stops at the first problem: every bad line is reported, as
//! `path:line: message`, so a user fixes a file in one round.

use crate::error::LineError;

/// The path errors give for the built-in rules.
pub(super) const DEFAULT_ORIGIN: &str = "<default>";

/// What a rule does to the lines it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// Keep the line, whatever else says otherwise.
    Keep,
    /// This line and every line after it in the document are boilerplate.
    Cut,
    /// Remove the line.
    Drop,
}

impl Action {
    /// The directive's name in a rule file.
    pub fn name(self) -> &'static str {
        match self {
            Action::Keep => "keep",
            Action::Cut => "cut",
            Action::Drop => "drop",
        }
    }
}

/// Which part of a line a rule's pattern must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The whole line, give or take surrounding punctuation and symbols,
    /// and a count after it (`» Related posts:`, `Comments (12)`).
    Line,
    /// The start of the line, after leading punctuation or symbols.
    Prefix,
    /// Anywhere, as whole words (where the script spaces its words).
    Contains,
    /// A regular expression (Rust `regex` syntax) anywhere in the line.
    Regex,
}

/// Where a directive came from, for error messages and `--explain`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The rule file as [`crate::RuleSource::path`] named it (`<default>`
    /// for the built-in rules).
    pub path: String,
    /// The 1-based line of the directive.
    pub line: usize,
}

/// One rule as written, before compilation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSpec {
    pub id: String,
    pub action: Action,
    pub scope: Scope,
    /// The rule applies only to lines of at most this many words.
    pub max_words: Option<u32>,
    /// The phrases (for `line`, `prefix`, `contains`) or one regex.
    pub patterns: Vec<String>,
    pub origin: Origin,
}

/// A `set NAME VALUE` line: a classifier threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    pub name: String,
    pub value: f64,
    pub origin: Origin,
}

/// Everything one rule file says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleFile {
    pub rules: Vec<RuleSpec>,
    pub settings: Vec<Setting>,
    /// Rule ids to switch off (`disable ID`), with where each was asked for.
    pub disabled: Vec<(String, Origin)>,
}

/// Parses a rule file. `path` is only used to label errors.
#[cfg(test)]
pub fn parse(path: &str, bytes: &[u8]) -> Result<RuleFile, Vec<LineError>> {
    let (file, errors) = parse_all(path, bytes);
    if errors.is_empty() {
        Ok(file)
    } else {
        Err(errors)
    }
}

/// Parses what can be parsed and reports the rest: the good directives and
/// every error, so later checks (regex compilation) can report theirs too.
pub fn parse_all(path: &str, bytes: &[u8]) -> (RuleFile, Vec<LineError>) {
    let mut file = RuleFile::default();
    let mut errors = Vec::new();
    // A byte-order mark (as some Windows editors write) is not part of the
    // first directive.
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    for (index, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line_no = index + 1;
        let err = |message: String| LineError {
            path: path.to_string(),
            line: line_no,
            message,
        };
        let text = match std::str::from_utf8(raw) {
            Ok(text) => text,
            Err(e) => {
                errors.push(err(format!(
                    "invalid UTF-8 at byte {} of the line; rule files must be UTF-8: \
                     save the file as UTF-8 (a regex can also name a non-ASCII \
                     character by its code point, as caf\\x{{E9}} for café)",
                    e.valid_up_to() + 1
                )));
                continue;
            }
        };
        // A CR ends a line only before LF: a CR inside one is most likely
        // an old Mac (CR-only) line end, which would make the whole file
        // one directive (or one comment) without a word said.
        if text.strip_suffix('\r').unwrap_or(text).contains('\r') {
            errors.push(err(
                "a carriage return (CR) inside the line: the file seems to end its lines \
                 with CR alone (old Mac style); save it with LF or CRLF line ends"
                    .to_string(),
            ));
            continue;
        }
        let text = text.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let origin = Origin {
            path: path.to_string(),
            line: line_no,
        };
        match parse_directive(text, origin) {
            Ok(Directive::Rule(rule)) => file.rules.push(rule),
            Ok(Directive::Set(setting)) => file.settings.push(setting),
            Ok(Directive::Disable(id, origin)) => file.disabled.push((id, origin)),
            // The message may quote the line: its control bytes must not
            // reach a terminal raw.
            Err(message) => errors.push(err(crate::error::quote_input(message.as_bytes()))),
        }
    }
    (file, errors)
}

enum Directive {
    Rule(RuleSpec),
    Set(Setting),
    Disable(String, Origin),
}

/// Splits off the next whitespace-separated field.
fn next_field(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_start();
    if s.is_empty() {
        return None;
    }
    let end = s.find(char::is_whitespace).unwrap_or(s.len());
    Some((&s[..end], s[end..].trim_start()))
}

fn parse_directive(text: &str, origin: Origin) -> Result<Directive, String> {
    let (keyword, rest) = next_field(text).ok_or("empty directive")?;
    let action = match keyword {
        "drop" => Action::Drop,
        "keep" => Action::Keep,
        "cut" => Action::Cut,
        "set" => return parse_set(rest, origin).map(Directive::Set),
        "disable" => {
            let (id, rest) = next_field(rest).ok_or("`disable` needs a rule id")?;
            if !rest.is_empty() {
                return Err(format!(
                    "`disable` takes one rule id, found extra text `{rest}`"
                ));
            }
            check_id(id)?;
            return Ok(Directive::Disable(id.to_string(), origin));
        }
        other => {
            return Err(format!(
                "unknown directive `{other}`; expected drop, keep, cut, set or disable"
            ));
        }
    };
    let (id, rest) = next_field(rest).ok_or_else(|| {
        format!("`{keyword}` needs an id, a scope and a pattern: {keyword} ID line|prefix|contains|regex PATTERN")
    })?;
    check_id(id)?;
    let (scope_word, mut rest) = next_field(rest).ok_or_else(|| {
        format!("rule `{id}` needs a scope (line, prefix, contains or regex) and a pattern")
    })?;
    let scope = match scope_word {
        "line" => Scope::Line,
        "prefix" => Scope::Prefix,
        "contains" => Scope::Contains,
        "regex" => Scope::Regex,
        other => {
            return Err(format!(
                "rule `{id}`: unknown scope `{other}`; expected line, prefix, contains or regex"
            ));
        }
    };
    let mut max_words = None;
    if let Some((field, after)) = next_field(rest)
        && let Some(n) = field.strip_prefix("words<=")
    {
        let n: u32 = n.parse().map_err(|_| {
            format!(
                "rule `{id}`: `{field}` needs a whole number from 0 to {}, as in words<=8",
                u32::MAX
            )
        })?;
        max_words = Some(n);
        rest = after;
    }
    let pattern = rest.trim();
    if pattern.is_empty() {
        return Err(format!("rule `{id}` has no pattern"));
    }
    let patterns = if scope == Scope::Regex {
        vec![pattern.to_string()]
    } else {
        let phrases: Vec<String> = pattern.split('|').map(|p| p.trim().to_string()).collect();
        if phrases.iter().any(String::is_empty) {
            return Err(format!(
                "rule `{id}`: empty phrase in `{pattern}` (phrases are separated by |)"
            ));
        }
        phrases
    };
    Ok(Directive::Rule(RuleSpec {
        id: id.to_string(),
        action,
        scope,
        max_words,
        patterns,
        origin,
    }))
}

fn parse_set(rest: &str, origin: Origin) -> Result<Setting, String> {
    let (name, rest) = next_field(rest).ok_or("`set` needs a name and a value: set NAME VALUE")?;
    let (value, extra) = next_field(rest).ok_or_else(|| format!("`set {name}` needs a value"))?;
    if !extra.is_empty() {
        return Err(format!(
            "`set {name}`: unexpected text after the value: `{extra}`"
        ));
    }
    // The name first: "unknown setting" says more than a bad value would.
    crate::params::Params::range(name)?;
    // Rust reads "nan" and "inf" as numbers; a setting takes neither.
    let value: f64 = match value.parse::<f64>() {
        Ok(v) if v.is_finite() => v,
        Ok(v) if v.is_infinite() && value.bytes().any(|b| b.is_ascii_digit()) => {
            return Err(format!("`set {name}`: `{value}` is too large"));
        }
        _ => return Err(format!("`set {name}`: `{value}` is not a number")),
    };
    Ok(Setting {
        name: name.to_string(),
        value,
        origin,
    })
}

fn check_id(id: &str) -> Result<(), String> {
    let ok = id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && id.as_bytes()[0].is_ascii_alphanumeric();
    if ok {
        Ok(())
    } else {
        Err(format!(
            "bad rule id `{id}`: use letters, digits, `-`, `_` or `.` (for example share-buttons)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> RuleSpec {
        parse("t.rules", text.as_bytes()).unwrap().rules.remove(0)
    }

    fn errors(text: &str) -> Vec<String> {
        parse("t.rules", text.as_bytes())
            .unwrap_err()
            .iter()
            .map(|e| e.to_string())
            .collect()
    }

    #[test]
    fn parses_each_action_and_scope() {
        let r = one("drop share line Share | Tweet");
        assert_eq!((r.action, r.scope), (Action::Drop, Scope::Line));
        assert_eq!(r.patterns, vec!["Share", "Tweet"]);
        let r = one("keep k regex (?i)^abstract$");
        assert_eq!((r.action, r.scope), (Action::Keep, Scope::Regex));
        assert_eq!(r.patterns, vec!["(?i)^abstract$"]);
        let r = one("cut related prefix Related posts");
        assert_eq!((r.action, r.scope), (Action::Cut, Scope::Prefix));
        let r = one("drop c contains words<=12 cookie policy");
        assert_eq!((r.scope, r.max_words), (Scope::Contains, Some(12)));
        assert_eq!(r.patterns, vec!["cookie policy"]);
    }

    #[test]
    fn regex_keeps_bars_and_spaces() {
        let r = one("drop x regex  ^(a|b) c$ ");
        assert_eq!(r.patterns, vec!["^(a|b) c$"]);
    }

    #[test]
    fn comments_blank_lines_and_settings() {
        let f = parse(
            "t",
            b"# a comment\n\n   \nset keep-threshold 0.5\ndisable share\ndrop a line x\n",
        )
        .unwrap();
        assert_eq!(f.rules.len(), 1);
        assert_eq!(f.rules[0].origin.line, 6);
        assert_eq!(f.settings[0].name, "keep-threshold");
        assert_eq!(f.settings[0].value, 0.5);
        assert_eq!(f.disabled[0].0, "share");
    }

    #[test]
    fn every_error_is_reported_with_its_line() {
        let e = errors(
            "frob x line y\ndrop\ndrop a\ndrop a line\ndrop a words x\ndrop b!d line x\nset x\nset keep-beta y\ndrop a line x || y\ndrop a line words<=q x\nset x y\nset keep-beta 1e400\n",
        );
        assert_eq!(e.len(), 12, "{e:#?}");
        assert!(e[0].starts_with("t.rules:1: unknown directive `frob`"));
        assert!(e[1].starts_with("t.rules:2:"));
        assert!(e[2].contains("needs a scope"));
        assert!(e[3].contains("has no pattern"));
        assert!(e[4].contains("unknown scope `words`"));
        assert!(e[5].contains("bad rule id"));
        assert!(e[6].contains("needs a value"));
        assert!(e[7].contains("not a number"));
        assert!(e[8].contains("empty phrase"));
        assert!(e[9].contains("whole number"));
        // An unknown name is the problem, whatever the value.
        assert!(e[10].contains("unknown setting `x`"), "{}", e[10]);
        assert!(e[11].contains("`1e400` is too large"), "{}", e[11]);
        for word in ["nan", "inf", "-inf", "infinity"] {
            let e = errors(&format!("set keep-beta {word}\n"));
            assert!(e[0].contains("is not a number"), "{word}: {e:?}");
        }
    }

    #[test]
    fn a_byte_order_mark_is_ignored() {
        // Regression: the BOM stuck to the first keyword, giving "unknown
        // directive `\u{feff}drop`", which looks like "unknown directive
        // `drop`" on a terminal.
        let f = parse("t", b"\xef\xbb\xbfdrop a line x\r\ndrop b line y\r\n").unwrap();
        assert_eq!(f.rules.len(), 2);
        assert_eq!(f.rules[0].id, "a");
        assert_eq!(f.rules[0].origin.line, 1);
        // Only at the very start: elsewhere it is still an error.
        assert!(parse("t", b"drop a line x\n\xef\xbb\xbfdrop b line y\n").is_err());
    }

    #[test]
    fn word_limits_name_their_range() {
        for limit in ["4294967296", "99999999999999999999", "-1", "x"] {
            let e = errors(&format!("drop a line words<={limit} x\n"));
            assert!(
                e[0].ends_with(&format!(
                    "`words<={limit}` needs a whole number from 0 to 4294967295, as in words<=8"
                )),
                "{e:?}"
            );
        }
        assert_eq!(
            one("drop a line words<=4294967295 x\n").max_words,
            Some(u32::MAX)
        );
    }

    #[test]
    fn cr_only_line_ends_are_refused_not_read_as_one_line() {
        let e = errors("# site rules\rdrop a line x\rdrop b line y\r");
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].starts_with("t.rules:1: a carriage return (CR) inside"),
            "{e:?}"
        );
        assert!(e[0].contains("save it with LF or CRLF line ends"), "{e:?}");
        let e = errors("drop a line x\ndrop b line y\rz\n");
        assert!(e[0].starts_with("t.rules:2: a carriage return"), "{e:?}");
        // CRLF, and a CR at the end of the last line, are line ends.
        assert_eq!(
            parse("t", b"drop a line x\r\ndrop b line y\r")
                .unwrap()
                .rules
                .len(),
            2
        );
    }

    #[test]
    fn control_bytes_in_a_bad_line_are_escaped() {
        let e = errors("drop a\x1b[2Jb line x\nfrob\x07 y\n");
        assert!(e[0].contains("bad rule id `a\\u{1b}[2Jb`"), "{e:?}");
        assert!(e[1].contains("unknown directive `frob\\u{7}`"), "{e:?}");
        assert!(e.iter().all(|e| !e.contains(char::is_control)), "{e:?}");
    }

    #[test]
    fn invalid_utf8_names_the_byte() {
        let bytes = b"drop a line ok\ndrop b line x\xffy\n";
        let e = parse("t", bytes).unwrap_err();
        assert_eq!(e[0].line, 2);
        assert!(
            e[0].message.contains("invalid UTF-8 at byte 14"),
            "{}",
            e[0]
        );
    }
}
