//! Directory mode planning: which files under IN are cleaned, and where each
//! one's output goes under OUT. Nothing is written here; the checks that
//! protect the inputs all run before any work starts.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use crate::error::{Error, Warning};

/// One file to clean.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileJob {
    /// The input, as found under IN.
    pub input: PathBuf,
    /// Where its output goes: OUT joined with the relative path (renamed
    /// for a WET input, see [`OutputNames`]).
    pub output: PathBuf,
    /// The path relative to IN (what `--glob` matched).
    pub relative: PathBuf,
    /// Size on disk (0 when unknown), for progress.
    pub size: u64,
}

/// A directory tree to clean, planned and checked.
#[derive(Debug, Default)]
pub struct Plan {
    /// The files, in sorted walk order.
    pub jobs: Vec<FileJob>,
    /// Directories that could not be listed; their files are missing from
    /// `jobs` and count as failures.
    pub unreadable: Vec<Error>,
    /// Selected files (and directories) named as kzclean names its
    /// temporary outputs (`temp_path`), left by an interrupted run: not
    /// cleaned, since their outputs would take the place of another
    /// output's temporary file.
    pub leftovers: Vec<PathBuf>,
    /// Links to directories that were not followed: all of them without
    /// [`Selection::follow_links`], and with it those that lead to a
    /// directory already walked (a loop, or a second way to the same one).
    pub links_not_followed: Vec<Warning>,
}

/// Where the output `dir/name` is written until it is complete:
/// `dir/.name.kzclean-tmp`. The name is fixed, not random, so a run killed
/// mid-file leaves one leftover that the next run overwrites; the leading
/// dot keeps it out of most listings.
pub fn temp_path(output: &Path) -> PathBuf {
    let mut name = std::ffi::OsString::from(".");
    name.push(output.file_name().unwrap_or_default());
    name.push(TEMP_SUFFIX);
    output.with_file_name(name)
}

const TEMP_SUFFIX: &str = ".kzclean-tmp";

/// True for a name [`temp_path`] gives.
fn is_temp_name(name: &std::ffi::OsStr) -> bool {
    let name = name.as_encoded_bytes();
    name.len() > 1 + TEMP_SUFFIX.len()
        && name.starts_with(b".")
        && name.ends_with(TEMP_SUFFIX.as_bytes())
}

/// Which files of the tree are selected, from `--glob` patterns.
///
/// globset rather than a hand-written matcher: `**`, `{a,b}` and character
/// classes behave as users know them from ripgrep and .gitignore, and all
/// patterns are matched in one pass.
#[derive(Debug)]
pub struct Selection {
    include: Option<GlobSet>,
    exclude: GlobSet,
    follow_links: bool,
}

impl Selection {
    /// Patterns as given to `--glob`; a `!` prefix excludes. A pattern with
    /// no `/` matches a file name at any depth; one with `/` matches the
    /// path relative to IN. `*` never crosses a `/`; `**` does.
    pub fn new(patterns: &[String]) -> Result<Selection, Error> {
        let mut include = GlobSetBuilder::new();
        let mut exclude = GlobSetBuilder::new();
        let mut any_include = false;
        for pattern in patterns {
            if pattern.is_empty() || pattern == "!" {
                // `''` would select every file and `'!'` none: a shell
                // variable left empty, never what was meant.
                return Err(Error::Usage(format!(
                    "--glob '{pattern}': empty pattern; give a file name pattern such as '*.txt'"
                )));
            }
            let (set, body) = match pattern.strip_prefix('!') {
                Some(body) => (&mut exclude, body),
                None => {
                    any_include = true;
                    (&mut include, pattern.as_str())
                }
            };
            let anchored = match body.strip_prefix('/') {
                Some(rest) => rest.to_string(),
                None if body.contains('/') => body.to_string(),
                None => format!("**/{body}"),
            };
            let glob = GlobBuilder::new(&anchored)
                .literal_separator(true)
                .build()
                .map_err(|e| Error::Usage(format!("--glob {pattern}: {e}")))?;
            set.add(glob);
        }
        let build = |b: GlobSetBuilder| b.build().map_err(|e| Error::Usage(format!("--glob: {e}")));
        Ok(Selection {
            include: if any_include {
                Some(build(include)?)
            } else {
                None
            },
            exclude: build(exclude)?,
            follow_links: false,
        })
    }

    /// Walks into directories that symbolic links lead to (`-L`), each
    /// directory once (by device and inode), so link loops end. Without
    /// it, links to directories are not followed, and [`Plan`] lists them.
    pub fn follow_links(mut self, follow: bool) -> Selection {
        self.follow_links = follow;
        self
    }

    /// True when a file at this path (relative to IN) is to be cleaned.
    pub fn is_selected(&self, relative: &Path) -> bool {
        self.include.as_ref().is_none_or(|s| s.is_match(relative))
            && !self.exclude.is_match(relative)
    }
}

/// How outputs are named under OUT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputNames {
    /// The same relative path as the input.
    #[default]
    AsInput,
    /// The same, except that a file named like a WET file (read as WET,
    /// written as JSON Lines) has its `.warc.wet` or `.wet` replaced by
    /// `.jsonl`, compression kept: `a/x.warc.wet.gz` → `a/x.jsonl.gz`.
    WetAsJsonl,
}

/// Walks `input` (sorted, so runs are deterministic) and maps every selected
/// file to the same relative path under `output`.
///
/// Refused with [`Error::Usage`] before anything is written: IN not a
/// directory, OUT not a directory, OUT inside IN (outputs would become
/// inputs), any output path inside IN (when IN is inside OUT) and any output
/// path that is an input (through symlinks too).
pub fn plan(input: &Path, output: &Path, selection: &Selection) -> Result<Plan, Error> {
    plan_with(input, output, selection, OutputNames::AsInput)
}

/// [`plan`], with outputs named as `names` says. Two inputs whose outputs
/// would have the same name (`x.wet` and `x.warc.wet`, or `x.wet` and
/// `x.jsonl` beside it) are refused too.
pub fn plan_with(
    input: &Path,
    output: &Path,
    selection: &Selection,
    names: OutputNames,
) -> Result<Plan, Error> {
    let in_meta = input_directory(input, "cleans")?;
    if fs::metadata(output).is_ok_and(|m| !m.is_dir()) {
        return Err(Error::Usage(format!(
            "{}: exists and is not a directory; -o needs a directory to write into",
            crate::error::shown_path(output)
        )));
    }
    let in_root = fs::canonicalize(input).map_err(|e| Error::io(input, e))?;
    let out_root = resolve(output).map_err(|e| Error::io(output, e))?;
    if out_root.starts_with(&in_root) {
        return Err(Error::Usage(format!(
            "output directory {} is inside input directory {}: outputs would be mixed with \
             inputs; choose an output directory outside it",
            crate::error::shown_path(output),
            crate::error::shown_path(input)
        )));
    }

    let mut plan = Plan::default();
    let mut walk_state = Walk {
        out: output,
        out_root: &out_root,
        selection,
        visited: HashSet::new(),
    };
    walk_state.visit(&in_meta);
    walk_state.walk(input, Path::new(""), &mut plan)?;
    if names == OutputNames::WetAsJsonl {
        for job in &mut plan.jobs {
            if let Some(renamed) = crate::pipeline::wet::jsonl_name(&job.relative) {
                job.output = output.join(renamed);
            }
        }
        let mut seen = std::collections::HashMap::new();
        for job in &plan.jobs {
            if let Some(other) = seen.insert(&job.output, &job.input) {
                return Err(Error::Usage(format!(
                    "{} and {} would both be written to {}; rename one of them, or leave \
                     one out with --glob",
                    crate::error::shown_path(other),
                    crate::error::shown_path(&job.input),
                    crate::error::shown_path(&job.output)
                )));
            }
        }
    }

    // IN may still be inside OUT, so an output can land on an input
    // (IN/x/f -> OUT/x/f with IN = OUT/x); symlinks can do the same.
    let inputs: HashSet<PathBuf> = plan
        .jobs
        .iter()
        .filter_map(|j| fs::canonicalize(&j.input).ok())
        .collect();
    for job in &plan.jobs {
        let relative = job.output.strip_prefix(output).unwrap_or(&job.relative);
        let target = resolve(&out_root.join(relative)).unwrap_or_default();
        if target.starts_with(&in_root) {
            return Err(Error::Usage(format!(
                "{}: output would be written inside input directory {} (it is inside \
                 output directory {}); choose an output directory that does not hold the \
                 input directory",
                crate::error::shown_path(&job.output),
                crate::error::shown_path(input),
                crate::error::shown_path(output)
            )));
        }
        if inputs.contains(&target) {
            return Err(Error::Usage(format!(
                "{}: output would overwrite input {}; choose an output directory that \
                 holds no inputs",
                crate::error::shown_path(&job.output),
                crate::error::shown_path(&target)
            )));
        }
    }
    Ok(plan)
}

/// The selected files under `input`, sorted, for reading only (`kzclean
/// learn -r`): each job's `output` is its relative path. Links are
/// followed as [`plan`] follows them.
pub fn list(input: &Path, selection: &Selection) -> Result<Plan, Error> {
    let meta = input_directory(input, "reads")?;
    let mut plan = Plan::default();
    let mut walk_state = Walk {
        out: Path::new(""),
        // No output: a relative name no canonical path starts with, or is
        // the start of.
        out_root: Path::new("\0"),
        selection,
        visited: HashSet::new(),
    };
    walk_state.visit(&meta);
    walk_state.walk(input, Path::new(""), &mut plan)?;
    Ok(plan)
}

/// The metadata of `-r`'s input, refused (bad usage) unless it is a
/// directory; `verb` says what -r does with it, for the message.
fn input_directory(input: &Path, verb: &str) -> Result<fs::Metadata, Error> {
    let meta = fs::metadata(input).map_err(|e| {
        Error::Usage(format!(
            "{}: cannot read input directory: {e}",
            crate::error::shown_path(input)
        ))
    })?;
    if !meta.is_dir() {
        return Err(Error::Usage(format!(
            "{}: not a directory; -r {verb} a directory tree (give files without -r)",
            crate::error::shown_path(input)
        )));
    }
    Ok(meta)
}

/// The state of a walk over IN.
struct Walk<'a> {
    out: &'a Path,
    out_root: &'a Path,
    selection: &'a Selection,
    /// Directories walked, by device and inode (with `follow_links`).
    visited: HashSet<(u64, u64)>,
}

impl Walk<'_> {
    /// Marks a directory walked; false if it already was.
    fn visit(&mut self, meta: &fs::Metadata) -> bool {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            self.visited.insert((meta.dev(), meta.ino()))
        }
        #[cfg(not(unix))]
        {
            let _ = meta;
            true
        }
    }

    /// Lists `dir` (IN joined with `relative`) into `plan`, depth first.
    fn walk(&mut self, dir: &Path, relative: &Path, plan: &mut Plan) -> Result<(), Error> {
        let mut entries: Vec<fs::DirEntry> = match fs::read_dir(dir).and_then(|r| r.collect()) {
            Ok(entries) => entries,
            Err(e) => {
                plan.unreadable.push(Error::io(dir, e));
                return Ok(());
            }
        };
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            let rel = relative.join(entry.file_name());
            let Ok(kind) = entry.file_type() else {
                plan.unreadable.push(Error::io(
                    &path,
                    io::Error::other("cannot tell what kind of file this is"),
                ));
                continue;
            };
            if is_temp_name(&entry.file_name()) {
                // Its output (or, for a directory, its outputs' directory)
                // would take the place of another output's temporary file.
                if kind.is_dir() || self.selection.is_selected(&rel) {
                    plan.leftovers.push(path);
                }
                continue;
            }
            if kind.is_dir() {
                // Only a directory reached by a link first is seen twice.
                if let Ok(meta) = entry.metadata()
                    && !self.visit(&meta)
                {
                    self.not_followed(
                        plan,
                        path,
                        "its directory was already cleaned through a link",
                    );
                    continue;
                }
                self.walk(&path, &rel, plan)?;
                continue;
            }
            let size = if kind.is_symlink() {
                // A link to a file is read through; a link to a directory is
                // followed only with `follow_links`, once per directory; a
                // dangling link is kept so that it is reported as unreadable
                // rather than silently skipped.
                match fs::metadata(&path) {
                    Ok(m) if m.is_file() => m.len(),
                    Ok(m) if m.is_dir() => {
                        self.follow(&path, &rel, &m, plan)?;
                        continue;
                    }
                    Ok(_) => continue,
                    Err(_) => 0,
                }
            } else if kind.is_file() {
                entry.metadata().map_or(0, |m| m.len())
            } else {
                // FIFOs, sockets and devices are not page dumps; reading a
                // FIFO could block forever.
                continue;
            };
            if self.selection.is_selected(&rel) {
                plan.jobs.push(FileJob {
                    input: path,
                    output: self.out.join(&rel),
                    relative: rel,
                    size,
                });
            }
        }
        Ok(())
    }

    /// A link to a directory: walked with `follow_links` unless its
    /// directory was already walked; refused if it leads to the outputs.
    fn follow(
        &mut self,
        path: &Path,
        rel: &Path,
        meta: &fs::Metadata,
        plan: &mut Plan,
    ) -> Result<(), Error> {
        if !self.selection.follow_links || cfg!(not(unix)) {
            self.not_followed(
                plan,
                path.to_path_buf(),
                "a link to a directory (-L follows it)",
            );
            return Ok(());
        }
        let target = fs::canonicalize(path).map_err(|e| Error::io(path, e))?;
        if target.starts_with(self.out_root) || self.out_root.starts_with(&target) {
            return Err(Error::Usage(format!(
                "{}: the link leads to {}, which holds or is inside output directory {}: \
                 outputs would be mixed with inputs; remove the link or choose another \
                 output directory",
                crate::error::shown_path(path),
                crate::error::shown_path(&target),
                crate::error::shown_path(self.out)
            )));
        }
        if !self.visit(meta) {
            self.not_followed(
                plan,
                path.to_path_buf(),
                "its directory was already cleaned (a link loop, or a second link to it)",
            );
            return Ok(());
        }
        self.walk(path, rel, plan)
    }

    fn not_followed(&self, plan: &mut Plan, path: PathBuf, reason: &str) {
        plan.links_not_followed.push(Warning::NotFollowed {
            path,
            reason: reason.to_string(),
        });
    }
}

/// The canonical form of a path that may not exist yet: its nearest
/// existing ancestor canonicalised, plus the remaining components.
fn resolve(path: &Path) -> io::Result<PathBuf> {
    let absolute = std::path::absolute(path)?;
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        match fs::canonicalize(existing) {
            Ok(mut base) => {
                for c in rest.iter().rev() {
                    base.push(c);
                }
                return Ok(base);
            }
            Err(e) => match (existing.parent(), existing.components().next_back()) {
                (Some(parent), Some(Component::Normal(name))) => {
                    rest.push(name.to_os_string());
                    existing = parent;
                }
                // `..` into a missing directory: give up honestly.
                _ => return Err(e),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selected(patterns: &[&str], path: &str) -> bool {
        let p: Vec<String> = patterns.iter().map(|s| s.to_string()).collect();
        Selection::new(&p).unwrap().is_selected(Path::new(path))
    }

    #[test]
    fn globs_select_like_gitignore() {
        assert!(selected(&[], "a/b.bin"));
        assert!(selected(&["*.txt"], "a/b/c.txt"));
        assert!(!selected(&["*.txt"], "a/b/c.txt.gz"));
        assert!(selected(&["a/*.txt"], "a/c.txt"));
        assert!(!selected(&["a/*.txt"], "a/b/c.txt"));
        assert!(selected(&["a/**/*.txt"], "a/b/c.txt"));
        assert!(!selected(&["*.txt", "!draft*"], "a/draft1.txt"));
        assert!(!selected(&["!b/**"], "b/x.txt"));
        assert!(selected(&["!b/**"], "a/b/x.txt"));
        assert!(selected(&["*.{txt,md}"], "x.md"));
        assert!(Selection::new(&["a[".to_string()]).is_err());
        assert!(Selection::new(&[String::new()]).is_err());
        assert!(Selection::new(&["!".to_string()]).is_err());
    }

    #[test]
    fn temporary_names_are_recognised() {
        assert_eq!(
            temp_path(Path::new("o/a.txt")),
            Path::new("o/.a.txt.kzclean-tmp")
        );
        for (name, temp) in [
            (".a.txt.kzclean-tmp", true),
            (".x.kzclean-tmp", true),
            ("..kzclean-tmp", false),
            (".kzclean-tmp", false),
            ("a.txt.kzclean-tmp", false),
            (".a.txt.kzclean-tmp.gz", false),
            (".a.txt", false),
        ] {
            assert_eq!(is_temp_name(name.as_ref()), temp, "{name}");
        }
    }

    #[test]
    fn resolve_handles_missing_tails() {
        let dir = tempfile::tempdir().unwrap();
        let base = fs::canonicalize(dir.path()).unwrap();
        assert_eq!(resolve(&dir.path().join("x/y")).unwrap(), base.join("x/y"));
        assert_eq!(resolve(dir.path()).unwrap(), base);
    }
}
