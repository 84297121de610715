//! The model file's text format (see the module above), parsed with
//! line-numbered errors.

use super::{Exit, LEAF, Model, Node};
use crate::error::{LineError, quote_input};
use crate::features::FEATURE_NAMES;

impl Model {
    /// Parses a model file for the default features; `path` labels errors.
    ///
    /// # Errors
    ///
    /// What is wrong with the file, at its line (`path:line: message`):
    /// not a model, features other than this build's, a malformed tree.
    pub fn parse(path: &str, bytes: &[u8]) -> Result<Model, Vec<LineError>> {
        Model::parse_for(path, bytes, FEATURE_NAMES)
    }

    /// Parses a model file whose rows have the features `names` (the
    /// default features, or `--fast`'s).
    pub(crate) fn parse_for(
        path: &str,
        bytes: &[u8],
        names: &[&str],
    ) -> Result<Model, Vec<LineError>> {
        let width = names.len();
        let err = |line: usize, message: String| {
            vec![LineError {
                path: path.to_string(),
                line,
                message,
            }]
        };
        let text = std::str::from_utf8(bytes)
            .map_err(|e| err(0, format!("not UTF-8 text ({e}); is this a model file?")))?;
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
        let line_count = text.lines().count();
        let mut next = |what: &str| {
            lines.next().ok_or_else(|| {
                err(
                    0,
                    format!(
                        "ends early, after line {line_count}: expected {what}; \
                         was the file cut short?"
                    ),
                )
            })
        };
        let (n, header) = next("the header")?;
        if header != "kzclean-model 1" {
            return Err(err(n, "expected `kzclean-model 1`".into()));
        }
        let (n, line) = next("`features N`")?;
        let count =
            count_after(line, "features").ok_or_else(|| err(n, "expected `features N`".into()))?;
        if count != width {
            return Err(err(
                n,
                format!(
                    "the model has {count} features, this kzclean computes {width}; \
                     retrain it with tools/train-model/train.py"
                ),
            ));
        }
        for want in names {
            let (n, name) = next("a feature name")?;
            if name != *want {
                return Err(err(
                    n,
                    format!(
                        "feature `{}` where this kzclean has `{want}`; \
                         retrain the model with tools/train-model/train.py",
                        quote_input(name.as_bytes())
                    ),
                ));
            }
        }
        let (n, line) = next("`trees T`")?;
        let trees =
            count_after(line, "trees").ok_or_else(|| err(n, "expected `trees T`".into()))?;
        let mut model = Model {
            nodes: Vec::new(),
            // Not sized by the count a file claims: `trees 1000000000000`
            // must be an error at the end of the file, not an allocation
            // that aborts.
            roots: Vec::with_capacity(trees.min(1024)),
            trees4: Vec::new(),
            width,
            exits: Vec::new(),
        };
        for _ in 0..trees {
            let (n, line) = next("`tree K`")?;
            let size = count_after(line, "tree")
                .filter(|&k| k > 0)
                .ok_or_else(|| err(n, "expected `tree K` with K > 0".into()))?;
            let base = model.nodes.len();
            model.roots.push(base as u32);
            for k in 0..size {
                let (n, line) = next("a node")?;
                let node = parse_node(line, base, k, size, width).map_err(|m| err(n, m))?;
                model.nodes.push(node);
            }
        }
        for (n, line) in lines {
            let exit = parse_exit(line, model.exits.last(), model.roots.len()).map_err(|m| {
                err(
                    n,
                    format!("{m}; after the last tree only `exit` lines may follow"),
                )
            })?;
            model.exits.push(exit);
        }
        model.build_trees4();
        Ok(model)
    }
}

fn count_after(line: &str, keyword: &str) -> Option<usize> {
    let rest = line.strip_prefix(keyword)?.trim();
    rest.parse().ok()
}

/// Children must come after their parent, so every walk ends at a leaf.
fn parse_node(
    line: &str,
    base: usize,
    index: usize,
    size: usize,
    width: usize,
) -> Result<Node, String> {
    let mut fields = line.split_ascii_whitespace();
    let number = |s: Option<&str>, what: &str| -> Result<f64, String> {
        s.and_then(|s| s.parse::<f64>().ok())
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("expected {what} as a finite number"))
    };
    let child = |s: Option<&str>| -> Result<u32, String> {
        s.and_then(|s| s.parse::<usize>().ok())
            .filter(|&c| c > index && c < size)
            .map(|c| (base + c) as u32)
            .ok_or_else(|| format!("expected a child node index in {}..{size}", index + 1))
    };
    match fields.next() {
        Some("l") => Ok(Node {
            feature: LEAF,
            left: 0,
            right: 0,
            threshold: 0.0,
            value: number(fields.next(), "a leaf value")?,
        }),
        Some("s") => {
            let feature = fields
                .next()
                .and_then(|s| s.parse::<usize>().ok())
                .filter(|&f| f < width)
                .ok_or_else(|| format!("expected a feature index below {width}"))?;
            let threshold = number(fields.next(), "a threshold")?;
            let left = child(fields.next())?;
            let right = child(fields.next())?;
            let value = number(fields.next(), "a node value")?;
            Ok(Node {
                feature: feature as u16,
                left,
                right,
                threshold,
                value,
            })
        }
        _ => Err("expected a node: `s FEATURE THRESHOLD LEFT RIGHT VALUE` or `l VALUE`".into()),
    }
}

/// `exit AFTER MARGIN SCALE+ SHIFT+ SCALE- SHIFT-`, after `previous` and
/// before the last of `trees` trees.
fn parse_exit(line: &str, previous: Option<&Exit>, trees: usize) -> Result<Exit, String> {
    let mut fields = line.split_ascii_whitespace();
    if fields.next() != Some("exit") {
        return Err(format!(
            "unexpected text `{}`",
            quote_input(line.as_bytes())
        ));
    }
    let lowest = previous.map_or(1, |p| p.after + 1);
    let after = fields
        .next()
        .and_then(|s| s.parse::<usize>().ok())
        .filter(|a| (lowest..trees).contains(a))
        .ok_or_else(|| format!("expected `exit AFTER ...` with AFTER in {lowest}..{trees}"))?;
    let mut number = |what: &str| {
        fields
            .next()
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("expected {what} as a finite number in `exit`"))
    };
    let margin = number("MARGIN")?;
    if margin < 0.0 {
        return Err("expected MARGIN at least 0 in `exit`".into());
    }
    let above = (number("SCALE+")?, number("SHIFT+")?);
    let below = (number("SCALE-")?, number("SHIFT-")?);
    if fields.next().is_some() {
        return Err("expected six fields in `exit`".into());
    }
    Ok(Exit {
        after,
        margin,
        above,
        below,
    })
}
