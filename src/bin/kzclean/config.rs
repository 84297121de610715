//! Flags to settings: the rule files read, the rule set and model built,
//! the cleaner made, how inputs are read and outputs named.

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kzclean::{
    Cleaner, CleanerOptions, Error, Format, JsonlOptions, Mode, Model, OnError, OutputNames,
    Preset, ProfileOptions, RuleSet, RuleSource, SiteProfile, WetOptions,
};

use crate::args::{Args, InputFormat};

/// A rule file larger than this is refused before it is read whole: real
/// rule files are a few kilobytes, and `--rules /dev/zero` or a corpus
/// named by mistake would otherwise fill memory.
const MAX_RULE_FILE: u64 = 16 * 1024 * 1024;

fn read_rule_file(path: &Path) -> io::Result<Vec<u8>> {
    read_at_most(path, MAX_RULE_FILE)?.ok_or_else(|| {
        io::Error::other(format!(
            "larger than {} MiB, the most a rule file may hold; check that it is the rule \
             file you meant, or split it into several --rules files",
            MAX_RULE_FILE >> 20
        ))
    })
}

/// A model file larger than this is refused before it is read whole: the
/// built-in models are under 200 KB, and `--model /dev/zero` would
/// otherwise be read until memory runs out.
const MAX_MODEL_FILE: u64 = 64 * 1024 * 1024;

/// A file the user named for settings (rules, a model), read whole
/// unless it holds more than `max` bytes (`None`): a device or a corpus
/// named by mistake is refused before it fills memory.
pub fn read_at_most(path: &Path, max: u64) -> io::Result<Option<Vec<u8>>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(max + 1)
        .read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= max).then_some(bytes))
}

/// The one input directory of `-r`.
pub fn tree_input(files: &[PathBuf]) -> Result<&Path, Error> {
    match files {
        [input] => Ok(input),
        _ => Err(Error::Usage(format!(
            "-r takes exactly one input directory, got {}",
            files.len()
        ))),
    }
}

pub fn build_cleaner(args: &Args) -> Result<Cleaner, Error> {
    let mut contents = Vec::new();
    for path in &args.rules {
        let shown = kzclean::shown_path(path);
        let bytes = read_rule_file(path)
            .map_err(|e| Error::Usage(format!("{shown}: cannot read rule file: {e}")))?;
        contents.push((shown, bytes));
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
        fast: args.fast,
    };
    let model = match &args.model {
        // Training data does not depend on the model, and must be producible
        // after the features changed and before a model fits them.
        None if args.dump_features && args.fast => {
            Arc::new(Model::empty_for(kzclean::FAST_FEATURE_NAMES.len()))
        }
        None if args.dump_features => Arc::new(Model::empty()),
        None if args.fast => Model::builtin_fast(),
        None => Model::builtin(),
        Some(path) => {
            let name = kzclean::shown_path(path);
            let bytes = read_at_most(path, MAX_MODEL_FILE)
                .map_err(|e| Error::Usage(format!("{name}: cannot read model file: {e}")))?
                .ok_or_else(|| {
                    Error::Usage(format!(
                        "{name}: larger than {} MiB, the most a model file may hold; check that \
                         it is the model file you meant",
                        MAX_MODEL_FILE >> 20
                    ))
                })?;
            let model = if args.fast {
                Model::parse_fast(&name, &bytes)
            } else {
                Model::parse(&name, &bytes)
            };
            Arc::new(model.map_err(Error::Model)?)
        }
    };
    let mut cleaner = Cleaner::with_model(rules, options, model)?;
    if let Some(width) = args.unwrap {
        cleaner = cleaner.with_unwrap(width);
    }
    Ok(match &args.profile {
        Some(path) => with_profile(args, cleaner, crate::learn::read_profile(path)?),
        None => cleaner,
    })
}

/// The cleaner with a site profile and the thresholds of the flags.
pub fn with_profile(args: &Args, cleaner: Cleaner, profile: SiteProfile) -> Cleaner {
    cleaner.with_profile(
        Arc::new(profile),
        ProfileOptions {
            min_pages: args.profile_min_pages,
            min_share: args.profile_min_share,
        },
    )
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

/// How the inputs are read: the format of all of them; the WET options for
/// inputs named like WET files when no format was given (`None` when one
/// was); how outputs are named under `-r`. Record flags without records to
/// apply to are refused.
pub fn input_format(args: &Args) -> Result<(Format, Option<WetOptions>, OutputNames), Error> {
    let given = match (args.jsonl, args.input_format) {
        (true, None | Some(InputFormat::Jsonl)) => Some(InputFormat::Jsonl),
        (true, Some(other)) => {
            return Err(Error::Usage(format!(
                "--jsonl and --input-format {} disagree; give one of them",
                format_name(other)
            )));
        }
        (false, given) => given,
    };
    let on_error = args.on_error.map_or(OnError::Fail, OnError::from);
    let wet = WetOptions {
        on_error,
        annotate: args.annotate,
    };
    if args.field.is_some() && given != Some(InputFormat::Jsonl) {
        return Err(Error::Usage(
            "--field names the text field of JSON Lines records: give it with --jsonl \
             (WET records are written with their text in \"text\")"
                .to_string(),
        ));
    }
    let records = may_read_records(given, args.recursive, &args.files);
    for (flag, set) in [
        ("--on-error", args.on_error.is_some()),
        ("--annotate", args.annotate),
    ] {
        if set && !records {
            return Err(record_flag_without_records(flag));
        }
    }
    Ok(match given {
        Some(InputFormat::Text) => (Format::Text, None, OutputNames::AsInput),
        Some(InputFormat::Jsonl) => (
            Format::Jsonl(JsonlOptions {
                field: args.field.clone().unwrap_or_else(|| "text".to_string()),
                on_error,
                annotate: args.annotate,
                url_field: args.url_field.clone(),
            }),
            None,
            OutputNames::AsInput,
        ),
        Some(InputFormat::Wet) => (Format::Wet(wet), None, OutputNames::WetAsJsonl),
        None => (Format::Text, Some(wet), OutputNames::WetAsJsonl),
    })
}

/// Whether some input may be read as records (JSON Lines or WET): the
/// format says so or, without one, `-r` or a file named like a WET file.
pub fn may_read_records(given: Option<InputFormat>, recursive: bool, files: &[PathBuf]) -> bool {
    match given {
        Some(InputFormat::Jsonl | InputFormat::Wet) => true,
        Some(InputFormat::Text) => false,
        None => recursive || files.iter().any(|f| kzclean::wet::is_wet_name(f)),
    }
}

/// A flag about records given where no input is read as records.
pub fn record_flag_without_records(flag: &str) -> Error {
    Error::Usage(format!(
        "{flag} applies to JSON Lines and WET records: add --jsonl or --input-format \
         wet (files named *.warc.wet.gz or *.wet are read as WET)"
    ))
}

fn format_name(format: InputFormat) -> &'static str {
    match format {
        InputFormat::Text => "text",
        InputFormat::Jsonl => "jsonl",
        InputFormat::Wet => "wet",
    }
}
