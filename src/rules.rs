//! The compiled rule set: rule files in, a matcher that tells for one line
//! which rule (if any) decides it.
//!
//! Rules are compiled once into two `RegexSet`s: one for rules that can match
//! a line of any length, and one for rules limited to short lines (scope
//! `line`, or a `words<=N` limit), which is skipped for every line longer than
//! the most any of them allows. Most article lines are long, so most of the
//! rule work is never done.

use std::sync::Arc;

use regex::bytes::{RegexBuilder, RegexSet, RegexSetBuilder};

use crate::error::RuleError;
use crate::features::count_words;
use crate::params::{Params, Preset};
use crate::rulefile::{self, Action, Origin, RuleFile, RuleSpec, Scope};

/// The rules shipped with kzclean, compiled into the binary.
pub const DEFAULT_RULES: &str = include_str!("../rules/default.rules");

/// How large one rule's compiled regex may grow before it is refused.
const RULE_SIZE_LIMIT: usize = 10 * 1024 * 1024;
/// How large a compiled set of rules may grow.
const SET_SIZE_LIMIT: usize = 256 * 1024 * 1024;
/// How much memory each thread's lazy DFA for a rule set may use: enough for
/// the default rules to stay on the fast path, small enough that memory
/// stays flat on endless streams.
const DFA_CACHE_LIMIT: usize = 24 * 1024 * 1024;
/// A `line` rule allows this many words of decoration around its phrase
/// ("» Related posts «", "Comments (12)").
const LINE_SCOPE_SLACK_WORDS: u32 = 3;

/// One compiled rule's identity: what `--explain` and `--stats` show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub id: String,
    pub action: Action,
    /// The rule applies to lines of at most this many words.
    pub max_words: Option<u32>,
    pub origin: Origin,
}

/// A group of rules compiled into one `RegexSet`.
#[derive(Debug, Clone)]
struct Matcher {
    set: RegexSet,
    /// Rule index of each pattern of `set`.
    rule_of: Vec<u32>,
}

impl Matcher {
    fn build(patterns: &[(String, u32)]) -> Result<Matcher, String> {
        let regexes = patterns.iter().map(|(r, _)| r.as_str());
        let rule_of = patterns.iter().map(|(_, i)| *i).collect();
        let set = RegexSetBuilder::new(regexes)
            .size_limit(SET_SIZE_LIMIT)
            .dfa_size_limit(DFA_CACHE_LIMIT)
            .build()
            .map_err(|e| format!("the rules together are too large to compile: {e}"))?;
        Ok(Matcher { set, rule_of })
    }
}

/// Compiled rules plus the parameters the rule files set.
#[derive(Debug, Clone)]
pub struct RuleSet {
    rules: Arc<[Rule]>,
    any_length: Matcher,
    short_lines: Matcher,
    /// The most words any rule of `short_lines` allows.
    short_max_words: u32,
    params: Params,
}

/// Where rules come from: a label for messages and the file's bytes.
pub struct RuleSource<'a> {
    pub path: String,
    pub bytes: &'a [u8],
}

impl RuleSet {
    /// The built-in rules with balanced parameters.
    pub fn builtin() -> RuleSet {
        // The default rules are tested to compile; failing here is a bug.
        RuleSet::build(true, &[], Preset::Balanced).expect("the built-in rules compile")
    }

    /// Builds a rule set: the defaults (if `with_defaults`), then each source
    /// in order. All problems in all files are returned together.
    pub fn build(
        with_defaults: bool,
        sources: &[RuleSource<'_>],
        preset: Preset,
    ) -> Result<RuleSet, Vec<RuleError>> {
        let mut errors = Vec::new();
        let mut files: Vec<RuleFile> = Vec::new();
        if with_defaults {
            let (file, e) = rulefile::parse_all("<default>", DEFAULT_RULES.as_bytes());
            files.push(file);
            errors.extend(e);
        }
        for source in sources {
            let (file, e) = rulefile::parse_all(&source.path, source.bytes);
            files.push(file);
            errors.extend(e);
        }
        let mut params = Params::preset(preset);
        let mut specs: Vec<RuleSpec> = Vec::new();
        for file in &files {
            for setting in &file.settings {
                if let Err(message) = params.set(&setting.name, setting.value) {
                    errors.push(error_at(&setting.origin, message));
                }
            }
            for spec in &file.rules {
                if let Some(first) = specs.iter().find(|s| s.id == spec.id) {
                    errors.push(error_at(
                        &spec.origin,
                        format!(
                            "duplicate rule id `{}` (first defined at {}:{}); ids must be unique",
                            spec.id, first.origin.path, first.origin.line
                        ),
                    ));
                    continue;
                }
                specs.push(spec.clone());
            }
        }
        for file in &files {
            for (id, origin) in &file.disabled {
                let before = specs.len();
                specs.retain(|s| &s.id != id);
                if specs.len() == before {
                    errors.push(error_at(
                        origin,
                        format!("`disable {id}`: no rule has this id"),
                    ));
                }
            }
        }
        let mut rules = Vec::new();
        let mut any_length = Vec::new();
        let mut short_lines = Vec::new();
        let mut short_max_words = 0;
        for spec in &specs {
            let index = rules.len() as u32;
            let mut max_words = spec.max_words;
            if spec.scope == Scope::Line {
                let longest = spec
                    .patterns
                    .iter()
                    .map(|p| count_words(p.as_bytes()))
                    .max()
                    .unwrap_or(0);
                let implied = longest + LINE_SCOPE_SLACK_WORDS;
                max_words = Some(max_words.map_or(implied, |m| m.min(implied)));
            }
            let regex = pattern_regex(spec);
            // Syntax is checked per rule (cheap) so that errors carry a line
            // number; size is checked per rule only if the sets fail to build.
            if let Err(e) = regex_syntax::Parser::new().parse(&regex) {
                errors.push(error_at(
                    &spec.origin,
                    format!(
                        "rule `{}`: bad regex: {}",
                        spec.id,
                        e.to_string().replace('\n', " ")
                    ),
                ));
                continue;
            }
            // A hand-written regex can blow up when compiled (counted
            // repetitions of Unicode classes): refuse it here, with its line,
            // rather than fail the whole set or spend seconds compiling it.
            if spec.scope == Scope::Regex
                && let Err(e) = RegexBuilder::new(&regex)
                    .size_limit(RULE_SIZE_LIMIT)
                    .build()
            {
                errors.push(error_at(
                    &spec.origin,
                    format!("rule `{}`: {}", spec.id, describe_regex_error(&e)),
                ));
                continue;
            }
            match max_words {
                Some(limit) => {
                    short_max_words = short_max_words.max(limit);
                    short_lines.push((regex, index));
                }
                None => any_length.push((regex, index)),
            }
            rules.push(Rule {
                id: spec.id.clone(),
                action: spec.action,
                max_words,
                origin: spec.origin.clone(),
            });
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let compiled = Matcher::build(&any_length)
            .map_err(|_| &any_length)
            .and_then(|any| {
                let short = Matcher::build(&short_lines).map_err(|_| &short_lines)?;
                Ok((any, short))
            });
        let (any_length, short_lines) = match compiled {
            Ok(pair) => pair,
            // Matcher::build only fails on size: syntax was checked per rule.
            Err(group) => {
                // Find the rules to blame, so the error has a line number.
                let mut errors = Vec::new();
                for (regex, index) in any_length.iter().chain(&short_lines) {
                    if let Err(e) = RegexBuilder::new(regex).size_limit(RULE_SIZE_LIMIT).build() {
                        let rule: &Rule = &rules[*index as usize];
                        errors.push(error_at(
                            &rule.origin,
                            format!("rule `{}`: {}", rule.id, describe_regex_error(&e)),
                        ));
                    }
                }
                return Err(if errors.is_empty() {
                    too_large_together(&rules, group)
                } else {
                    errors
                });
            }
        };
        Ok(RuleSet {
            rules: rules.into(),
            any_length,
            short_lines,
            short_max_words,
            params,
        })
    }

    /// Every compiled rule, in precedence order within each action.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The parameters after presets and `set` lines.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// The rule that decides a line, if any: `keep` rules win over `cut`,
    /// `cut` over `drop`; among equals, the first one defined. `content` is
    /// the line without its terminator and `words` its word count.
    pub fn match_line(&self, content: &[u8], words: u32) -> Option<u32> {
        let mut best: Option<u32> = None;
        let mut consider = |matcher: &Matcher| {
            if !matcher.set.is_match(content) {
                return;
            }
            for pattern in matcher.set.matches(content).iter() {
                let index = matcher.rule_of[pattern];
                let rule = &self.rules[index as usize];
                if rule.max_words.is_some_and(|m| words > m) {
                    continue;
                }
                let better = match best {
                    None => true,
                    Some(b) => {
                        let current = &self.rules[b as usize];
                        (rule.action, index) < (current.action, b)
                    }
                };
                if better {
                    best = Some(index);
                }
            }
        };
        if words <= self.short_max_words {
            consider(&self.short_lines);
        }
        consider(&self.any_length);
        best
    }
}

fn error_at(origin: &Origin, message: String) -> RuleError {
    RuleError {
        path: origin.path.clone(),
        line: origin.line,
        message,
    }
}

/// The error for rules that each compile alone but not together as one set:
/// no line is at fault, so it names the files the set's rules come from (the
/// user's files as the path) and says how to get under the limit.
fn too_large_together(rules: &[Rule], group: &[(String, u32)]) -> Vec<RuleError> {
    let mut files: Vec<(&str, usize)> = Vec::new();
    for (_, index) in group {
        let path = rules[*index as usize].origin.path.as_str();
        match files.iter_mut().find(|(p, _)| *p == path) {
            Some((_, n)) => *n += 1,
            None => files.push((path, 1)),
        }
    }
    let users: Vec<&str> = files
        .iter()
        .map(|(path, _)| *path)
        .filter(|path| *path != "<default>")
        .collect();
    let counts: Vec<String> = files
        .iter()
        .map(|(path, n)| format!("{n} from {path}"))
        .collect();
    let message = format!(
        "the rules are each within the size limit, but together too large to compile \
         (over {} MiB as one set; rules: {}); to fix it, simplify the largest `regex` rules \
         (counted repetitions such as \\w{{100}} and Unicode classes such as \\w or \\p{{L}} \
         grow the most; [a-z0-9_] or (?-u:\\w) stay small) or make them `line`, `prefix` or \
         `contains` phrases, or use fewer rules at once (`disable` some, or split the rule \
         files across separate kzclean runs)",
        SET_SIZE_LIMIT >> 20,
        counts.join(", ")
    );
    vec![RuleError {
        path: if users.is_empty() {
            "<rules>".to_string()
        } else {
            users.join(", ")
        },
        line: 0,
        message,
    }]
}

fn describe_regex_error(e: &regex::Error) -> String {
    match e {
        regex::Error::CompiledTooBig(limit) => format!(
            "the regex is too large once compiled (over {limit} bytes); \
             split it into several rules or use phrases"
        ),
        other => format!("bad regex: {}", other.to_string().replace('\n', " ")),
    }
}

/// Punctuation, symbols and spaces that may surround a `line` phrase.
const DECORATION: &str = r"[\s\p{P}\p{S}]*";
/// What may follow a `line` phrase: decoration, counts ("Comments (12)").
const TRAILER: &str = r"[\s\p{P}\p{S}\p{N}]*";

/// The regex a rule compiles to.
fn pattern_regex(spec: &RuleSpec) -> String {
    if spec.scope == Scope::Regex {
        return spec.patterns[0].clone();
    }
    let alternatives: Vec<String> = spec
        .patterns
        .iter()
        .map(|phrase| phrase_regex(phrase, spec.scope))
        .collect();
    let body = alternatives.join("|");
    match spec.scope {
        Scope::Line => format!("(?i)^{DECORATION}(?:{body}){TRAILER}$"),
        Scope::Prefix => format!("(?i)^{DECORATION}(?:{body})"),
        Scope::Contains | Scope::Regex => format!("(?i)(?:{body})"),
    }
}

/// One phrase as a regex: literal text, any run of white space between its
/// words, and word boundaries where the phrase begins or ends with a letter
/// or digit (ASCII boundaries keep the automaton fast; a non-ASCII edge gets
/// none, since an ASCII boundary cannot see it).
fn phrase_regex(phrase: &str, scope: Scope) -> String {
    let words: Vec<String> = phrase.split_whitespace().map(regex::escape).collect();
    let mut out = String::new();
    let first = phrase.chars().next().unwrap_or(' ');
    let last = phrase.chars().last().unwrap_or(' ');
    if scope == Scope::Contains && first.is_ascii_alphanumeric() {
        out.push_str(r"(?-u:\b)");
    }
    out.push_str(&words.join(r"\s+"));
    if matches!(scope, Scope::Contains | Scope::Prefix) && last.is_ascii_alphanumeric() {
        out.push_str(r"(?-u:\b)");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(text: &str) -> RuleSet {
        RuleSet::build(
            false,
            &[RuleSource {
                path: "t.rules".into(),
                bytes: text.as_bytes(),
            }],
            Preset::Balanced,
        )
        .unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn decide(rules: &RuleSet, line: &str) -> Option<String> {
        rules
            .match_line(line.as_bytes(), count_words(line.as_bytes()))
            .map(|i| rules.rules()[i as usize].id.clone())
    }

    /// (rule file, line, id of the deciding rule or None)
    const TABLE: &[(&str, &str, Option<&str>)] = &[
        // line scope: whole line, case-insensitive, decorations allowed
        ("drop s line Share", "Share", Some("s")),
        ("drop s line Share", "  » SHARE: ", Some("s")),
        ("drop s line Share", "Share this", None),
        (
            "drop s line Share on Facebook",
            "Share  on\tfacebook",
            Some("s"),
        ),
        ("drop c line Comments", "Comments (12)", Some("c")),
        ("drop c line Comments", "12 Comments", None),
        ("drop r line Реклама", "РЕКЛАМА", Some("r")),
        ("drop r line Publicidad | Anuncio", "— Anuncio —", Some("r")),
        // prefix scope: start of line, then a word boundary
        ("drop p prefix Photo:", "Photo: Reuters", Some("p")),
        ("drop p prefix Read more", "Read more about it", Some("p")),
        ("drop p prefix Read more", "Read moreover", None),
        ("drop p prefix Read more", "Please read more", None),
        // contains scope: whole words anywhere
        (
            "drop k contains uses cookies",
            "This site uses cookies to help.",
            Some("k"),
        ),
        ("drop k contains cookie", "cookies", None),
        // word limits
        (
            "drop k contains words<=3 cookie",
            "a cookie here",
            Some("k"),
        ),
        (
            "drop k contains words<=3 cookie",
            "a cookie here and there",
            None,
        ),
        // regex scope
        (
            "drop t regex ^\\d+ (hours?|days?) ago$",
            "3 days ago",
            Some("t"),
        ),
        (
            "drop t regex ^\\d+ (hours?|days?) ago$",
            "about 3 days ago",
            None,
        ),
        // precedence: keep over cut over drop, then file order
        ("drop a line x\nkeep b line x", "x", Some("b")),
        ("drop a line x\ncut b line x", "x", Some("b")),
        ("drop a line x\ndrop b line x", "x", Some("a")),
        // a line rule never matches a long line
        ("drop s regex words<=2 .", "one two three", None),
    ];

    #[test]
    fn rule_table() {
        for &(rules, line, want) in TABLE {
            let set = set(rules);
            assert_eq!(
                decide(&set, line).as_deref(),
                want,
                "rules {rules:?} on line {line:?}"
            );
        }
    }

    #[test]
    fn disable_and_duplicates() {
        let s = set("drop a line x\ndrop b line y\ndisable a");
        assert_eq!(decide(&s, "x"), None);
        assert_eq!(decide(&s, "y").as_deref(), Some("b"));
        let e = RuleSet::build(
            false,
            &[RuleSource {
                path: "t".into(),
                bytes: b"drop a line x\ndrop a line y\ndisable zz\nset bogus 1\ndrop r regex (",
            }],
            Preset::Balanced,
        )
        .unwrap_err();
        let e: Vec<String> = e.iter().map(|e| e.to_string()).collect();
        assert_eq!(e.len(), 4, "{e:#?}");
        assert!(
            e.iter()
                .any(|e| e.starts_with("t:2: duplicate rule id `a`"))
        );
        assert!(e.iter().any(|e| e.starts_with("t:3: `disable zz`")));
        assert!(
            e.iter()
                .any(|e| e.starts_with("t:4: unknown setting `bogus`"))
        );
        assert!(e.iter().any(|e| e.starts_with("t:5: rule `r`: bad regex")));
    }

    #[test]
    fn too_large_regex_is_refused_quickly() {
        let e = RuleSet::build(
            false,
            &[RuleSource {
                path: "t".into(),
                bytes: b"drop big regex (\\w{50}){50}",
            }],
            Preset::Balanced,
        )
        .unwrap_err();
        assert!(e[0].message.contains("too large"), "{}", e[0]);
    }

    #[test]
    fn builtin_rules_compile() {
        let set = RuleSet::builtin();
        assert!(!set.rules().is_empty());
    }
}
