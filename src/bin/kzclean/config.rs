//! Flags to settings: the rule files read, the rule set and model built,
//! the cleaner made.

use std::io::{self, Read};
use std::path::Path;
use std::sync::Arc;

use kzclean::{
    Cleaner, CleanerOptions, Error, Format, JsonlOptions, Mode, Model, OnError, Preset, RuleSet,
    RuleSource,
};

use crate::args::{Args, OnErrorArg};

/// A rule file larger than this is refused before it is read whole: real
/// rule files are a few kilobytes, and `--rules /dev/zero` or a corpus
/// named by mistake would otherwise fill memory.
const MAX_RULE_FILE: u64 = 16 * 1024 * 1024;

fn read_rule_file(path: &Path) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_RULE_FILE + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_RULE_FILE {
        return Err(io::Error::other(format!(
            "larger than {} MiB, the most a rule file may hold; check that it is the rule \
             file you meant, or split it into several --rules files",
            MAX_RULE_FILE >> 20
        )));
    }
    Ok(bytes)
}

pub fn build_cleaner(args: &Args) -> Result<Cleaner, Error> {
    let mut contents = Vec::new();
    for path in &args.rules {
        let bytes = read_rule_file(path)
            .map_err(|e| Error::Usage(format!("{}: cannot read rule file: {e}", path.display())))?;
        contents.push((path.display().to_string(), bytes));
    }
    let sources: Vec<RuleSource<'_>> = contents
        .iter()
        .map(|(path, bytes)| RuleSource {
            path: path.clone(),
            bytes,
        })
        .collect();
    let preset = if args.precision {
        Preset::Precision
    } else if args.recall {
        Preset::Recall
    } else {
        Preset::Balanced
    };
    let rules = RuleSet::build(!args.no_default_rules, &sources, preset).map_err(Error::Rules)?;
    let options = CleanerOptions {
        classifier: !args.no_classifier,
        explain: args.explain,
    };
    let model = match &args.model {
        // Training data does not depend on the model, and must be producible
        // after the features changed and before a model fits them.
        None if args.dump_features => Arc::new(Model::empty()),
        None => Model::builtin(),
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|e| {
                Error::Usage(format!("{}: cannot read model file: {e}", path.display()))
            })?;
            let model = Model::parse(&path.display().to_string(), &bytes).map_err(Error::Model)?;
            Arc::new(model)
        }
    };
    Ok(Cleaner::with_model(rules, options, model))
}

/// What to write for each document: `--explain`, `--invert`, or the text.
pub fn output_mode(args: &Args) -> Mode {
    if args.explain {
        Mode::Explain
    } else if args.invert {
        Mode::Invert
    } else {
        Mode::Clean
    }
}

/// How the inputs are read: JSON Lines with `--jsonl`, else text.
pub fn input_format(args: &Args) -> Format {
    if args.jsonl {
        Format::Jsonl(JsonlOptions {
            field: args.field.clone(),
            on_error: match args.on_error {
                OnErrorArg::Fail => OnError::Fail,
                OnErrorArg::Skip => OnError::Skip,
            },
            annotate: args.annotate,
        })
    } else {
        Format::Text
    }
}
