//! Python bindings of kzclean: `kzclean.Cleaner` cleans one text, a list of
//! texts on Rust threads, or explains its verdicts, with the GIL released;
//! `kzclean.SiteProfile` learns and merges site profiles.
//!
//! Only the items kzclean re-exports at its root are used, so the library's
//! module layout can change without breaking this crate.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};

use kzclean::{
    Cleaner as RustCleaner, CleanerOptions, DEFAULT_MAX_LINES, Preset, ProfileOptions, RuleSet,
    RuleSource, SiteProfile as RustProfile, UnwrapWidth, site_of_url,
};
use pyo3::exceptions::{
    PyFileNotFoundError, PyIsADirectoryError, PyOSError, PyPermissionError, PyRuntimeError,
    PyTypeError, PyValueError,
};
use pyo3::prelude::*;
use pyo3::pybacked::{PyBackedBytes, PyBackedStr};
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};
use rayon::prelude::*;

/// A rule file larger than this is refused, as the CLI's `--rules` does:
/// real rule files are a few kilobytes.
const MAX_RULE_FILE: u64 = 16 * 1024 * 1024;

/// One rule source as given: the name errors cite, and its bytes.
#[derive(Clone)]
struct Source {
    name: String,
    bytes: Vec<u8>,
}

/// Locks a mutex even if a thread panicked while holding it: the pools hold
/// only whole cleaners, so nothing is left half-changed.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Cleaners ready for use, one taken per thread at a time.
struct Pool {
    proto: RustCleaner,
    idle: Mutex<Vec<RustCleaner>>,
}

impl Pool {
    fn new(proto: RustCleaner) -> Pool {
        Pool {
            proto,
            idle: Mutex::new(Vec::new()),
        }
    }

    fn take(&self) -> Lease<'_> {
        let cleaner = lock(&self.idle).pop().unwrap_or_else(|| self.proto.clone());
        Lease {
            cleaner: Some(cleaner),
            pool: self,
        }
    }
}

/// A `UserWarning` naming the user's rules `preset="fast"` never applies
/// (those not anchored at a line's start), as the command prints under
/// `--fast`: at most five by place and id, then how many in all.
fn warn_rules_fast_skips(py: Python<'_>, rules: &RuleSet) -> PyResult<()> {
    const SHOWN: usize = 5;
    let skipped = rules.user_rules_skipped_by_fast();
    if skipped.is_empty() {
        return Ok(());
    }
    let mut message = format!(
        "preset 'fast' ignores {} of your rules: it applies only `line`, `prefix` and \
         `regex ^...` rules; use another preset to apply them all:",
        skipped.len()
    );
    for rule in skipped.iter().take(SHOWN) {
        message.push_str(&format!(
            "\n  {}:{}: rule `{}` is not anchored at a line's start",
            rule.origin.path, rule.origin.line, rule.id
        ));
    }
    if skipped.len() > SHOWN {
        message.push_str(&format!("\n  ({} more)", skipped.len() - SHOWN));
    }
    // A rule id or path holds no NUL byte (rule files are refused with one).
    let message = std::ffi::CString::new(message.replace('\0', "\\0"))
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    let category = py.get_type::<pyo3::exceptions::PyUserWarning>();
    PyErr::warn(py, category.as_any(), &message, 1)
}

/// A cleaner taken from a [`Pool`], given back when dropped. One that was in
/// use when a panic happened is dropped instead.
struct Lease<'p> {
    cleaner: Option<RustCleaner>,
    pool: &'p Pool,
}

impl Lease<'_> {
    fn get(&mut self) -> &mut RustCleaner {
        self.cleaner
            .as_mut()
            .expect("a lease holds its cleaner until dropped")
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let Some(c) = self.cleaner.take()
            && !std::thread::panicking()
        {
            lock(&self.pool.idle).push(c);
        }
    }
}

/// Thread pools for `clean_many`, one per size asked for, kept for the life
/// of the process: starting threads for every call would cost more than
/// cleaning a small batch. rayon's global pool is not used: a process forked
/// after using it (multiprocessing, some executors) would inherit a pool
/// whose threads do not exist in the child, and wait for them forever. So
/// each pool remembers the process that made it.
static THREAD_POOLS: LazyLock<Mutex<Vec<SizedPool>>> = LazyLock::new(|| Mutex::new(Vec::new()));

/// A thread pool, its number of threads and the process it was made in.
struct SizedPool {
    threads: usize,
    pid: u32,
    pool: Arc<rayon::ThreadPool>,
}

fn thread_pool(threads: usize) -> PyResult<Arc<rayon::ThreadPool>> {
    let pid = std::process::id();
    let mut pools = lock(&THREAD_POOLS);
    if pools.iter().any(|p| p.pid != pid) {
        // Made before a fork: their threads are not in this process, and
        // dropping a pool would signal them. Forgotten, not dropped.
        for stale in pools.drain(..) {
            std::mem::forget(stale);
        }
    }
    if let Some(p) = pools.iter().find(|p| p.threads == threads) {
        return Ok(p.pool.clone());
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("kzclean-{i}"))
        .build()
        .map_err(|e| PyRuntimeError::new_err(format!("cannot start {threads} threads: {e}")))?;
    let pool = Arc::new(pool);
    pools.push(SizedPool {
        threads,
        pid,
        pool: pool.clone(),
    });
    Ok(pool)
}

/// One thread per core this process may use (CPU affinity and cgroup quotas
/// count).
fn all_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Runs `f`, turning a panic (a bug in kzclean) into a Python exception
/// instead of letting it cross into Python as a `PanicException`.
fn guarded<T>(f: impl FnOnce() -> T) -> PyResult<T> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        PyRuntimeError::new_err(format!(
            "kzclean failed on this input (a bug; please report it with the input): {what}"
        ))
    })
}

/// The cleaned text as a string. The input was valid UTF-8 and kzclean keeps
/// or drops whole lines, so the output is too; lossy decoding is only a
/// guard.
fn into_string(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The rules' preset, and whether it is `--fast`.
fn parse_preset(preset: Option<&str>) -> PyResult<(Preset, bool)> {
    match preset {
        None => Ok((Preset::Balanced, false)),
        Some("precision") => Ok((Preset::Precision, false)),
        Some("recall") => Ok((Preset::Recall, false)),
        Some("fast") => Ok((Preset::Balanced, true)),
        Some(other) => Err(PyValueError::new_err(format!(
            "preset must be None, 'precision', 'recall' or 'fast', not '{other}'"
        ))),
    }
}

fn read_rule_file(path: &Path) -> PyResult<Vec<u8>> {
    use std::io::Read;
    let shown = path.display();
    let fail = |e: std::io::Error| os_error(&format!("{shown}: cannot read rule file"), e);
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(fail)?
        .take(MAX_RULE_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(fail)?;
    if bytes.len() as u64 > MAX_RULE_FILE {
        return Err(PyValueError::new_err(format!(
            "{shown}: cannot read rule file: larger than {} MiB, the most a rule file may \
             hold; check that it is the rule file you meant",
            MAX_RULE_FILE >> 20
        )));
    }
    Ok(bytes)
}

/// One item of `rules=`: a str is a file's path if such a file exists and the
/// str is one line, else rule text; bytes are rule text; an `os.PathLike` is
/// always a path.
fn source_of(item: &Bound<'_, PyAny>, text_name: String) -> PyResult<Source> {
    if let Ok(s) = item.cast::<PyString>() {
        let s = s.to_cow()?;
        let one_line = !s.contains(['\n', '\r']);
        // Whatever exists by that name is read as a file (a directory is
        // an IsADirectoryError, not rule text with a false note).
        if one_line && !s.is_empty() && Path::new(s.as_ref()).exists() {
            return Ok(Source {
                name: s.to_string(),
                bytes: read_rule_file(Path::new(s.as_ref()))?,
            });
        }
        return Ok(Source {
            name: text_name,
            bytes: s.as_bytes().to_vec(),
        });
    }
    if let Ok(b) = item.cast::<PyBytes>() {
        return Ok(Source {
            name: text_name,
            bytes: b.as_bytes().to_vec(),
        });
    }
    if item.hasattr("__fspath__")? {
        let path: PathBuf = item.extract()?;
        return Ok(Source {
            name: path.display().to_string(),
            bytes: read_rule_file(&path)?,
        });
    }
    Err(PyTypeError::new_err(format!(
        "rules must be rule text (str or bytes), a path (str or os.PathLike), or a list of \
         these, not {}",
        item.get_type().name()?
    )))
}

fn sources_of(rules: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<Source>> {
    let Some(rules) = rules else {
        return Ok(Vec::new());
    };
    if rules.is_instance_of::<PyList>() || rules.is_instance_of::<PyTuple>() {
        return rules
            .try_iter()?
            .enumerate()
            .map(|(i, item)| source_of(&item?, format!("<rules[{i}]>")))
            .collect();
    }
    Ok(vec![source_of(rules, "<rules>".to_string())?])
}

/// Compiles the rule set as the CLI does for `--rules` (built-in rules
/// first) and the preset flags.
fn build_rules(sources: &[Source], preset: Preset) -> PyResult<RuleSet> {
    let rule_sources: Vec<RuleSource<'_>> = sources
        .iter()
        .map(|s| RuleSource {
            path: s.name.clone(),
            bytes: &s.bytes,
        })
        .collect();
    RuleSet::build(true, &rule_sources, preset).map_err(|errors| {
        let mut msg = errors
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("\n");
        // A mistyped path given as a str is read as rule text: say so.
        for s in sources.iter().filter(|s| s.name.starts_with("<rules")) {
            if let Ok(text) = std::str::from_utf8(&s.bytes)
                && !text.contains(char::is_whitespace)
                && errors.iter().any(|e| e.path == s.name)
            {
                msg.push_str(&format!(
                    "\n(note: {text:?} was read as rule text, since no file of that name exists)"
                ));
            }
        }
        PyValueError::new_err(msg)
    })
}

/// Cleans plain-text page dumps: drops navigation, cookie notices, share
/// buttons and other boilerplate lines, keeps the article body.
///
/// Cleaner(rules=None, preset=None, classifier=True, profile=None,
///         profile_min_pages=1, profile_min_share=0.7, unwrap=None)
///
/// rules: extra rules added to the built-in ones, like the CLI's --rules:
///     rule-file text (str or bytes), a rule file's path (os.PathLike, or a
///     one-line str naming an existing file), or a list of these.
/// preset: None (balanced), "precision" (remove more), "recall" (keep
///     more) or "fast" (a whole crawl: several times faster, a little less
///     accurate; only rules anchored at a line's start, and a UserWarning
///     names those of `rules` it skips), like --precision / --recall /
///     --fast.
/// classifier: False decides with the rules only, like --no-classifier.
/// profile: a SiteProfile, or a profile file's path or bytes, like
///     --profile: a page cleaned with its url= or site= drops the lines its
///     site repeats on at least profile_min_pages pages and
///     profile_min_share of them (--profile-min-pages, --profile-min-share).
/// unwrap: for hard-wrapped text, like --unwrap: True joins each
///     paragraph's lines at each document's longest line, an int at that
///     width; the paragraph's lines are kept or dropped together.
///
/// Raises ValueError for invalid rules or an invalid profile (each problem
/// as `path:line: message`) or an unknown preset, OSError for an unreadable
/// rule or profile file.
///
/// One Cleaner can be shared by many threads; it releases the GIL while it
/// cleans. It pickles by its settings (the rule text, not a path), so Spark
/// or Ray can ship it to workers.
#[pyclass(frozen, module = "kzclean", name = "Cleaner")]
struct Cleaner {
    sources: Vec<Source>,
    preset: Option<String>,
    classifier: bool,
    profile: Option<(Arc<RustProfile>, ProfileOptions)>,
    unwrap: Option<UnwrapWidth>,
    clean_pool: Pool,
    explain_pool: Pool,
}

impl Cleaner {
    fn build(
        sources: Vec<Source>,
        preset: Option<String>,
        classifier: bool,
        profile: Option<(Arc<RustProfile>, ProfileOptions)>,
        unwrap: Option<UnwrapWidth>,
    ) -> PyResult<Self> {
        let (rule_preset, fast) = parse_preset(preset.as_deref())?;
        if fast && !classifier {
            return Err(PyValueError::new_err(
                "preset 'fast' needs the classifier (classifier=False is the rules alone)",
            ));
        }
        let rules = build_rules(&sources, rule_preset)?;
        let make = |explain| {
            let cleaner = RustCleaner::new(
                rules.clone(),
                CleanerOptions {
                    classifier,
                    explain,
                    fast,
                },
            );
            let cleaner = match unwrap {
                Some(width) => cleaner.with_unwrap(width),
                None => cleaner,
            };
            match &profile {
                Some((p, options)) => cleaner.with_profile(Arc::clone(p), *options),
                None => cleaner,
            }
        };
        Ok(Cleaner {
            clean_pool: Pool::new(make(false)),
            explain_pool: Pool::new(make(true)),
            sources,
            preset,
            classifier,
            profile,
            unwrap,
        })
    }

    /// The site a page is cleaned as: `site=` as given, else its URL's
    /// registered domain; none without a profile (nothing to look up).
    fn site_of(&self, url: Option<&str>, site: Option<&str>) -> Option<String> {
        self.profile.as_ref()?;
        match site {
            Some(site) => Some(site.to_string()),
            None => url.and_then(site_of_url),
        }
    }
}

/// `profile=`: a SiteProfile, a path (str or os.PathLike) or a profile
/// file's bytes.
fn profile_of(item: &Bound<'_, PyAny>) -> PyResult<Arc<RustProfile>> {
    if let Ok(p) = item.cast::<SiteProfile>() {
        return Ok(Arc::new(lock(&p.get().inner).clone()));
    }
    if let Ok(b) = item.cast::<PyBytes>() {
        return parse_profile("<profile>", b.as_bytes()).map(Arc::new);
    }
    if item.is_instance_of::<PyString>() || item.hasattr("__fspath__")? {
        let path: PathBuf = item.extract()?;
        return read_profile(&path).map(Arc::new);
    }
    Err(PyTypeError::new_err(format!(
        "profile must be a SiteProfile, a profile file's path (str or os.PathLike) or its \
         bytes, not {}",
        item.get_type().name()?
    )))
}

fn parse_profile(name: &str, bytes: &[u8]) -> PyResult<RustProfile> {
    RustProfile::parse(name, bytes).map_err(|errors| profile_errors(&errors))
}

/// A profile's problems, one `path:line: message` a line.
fn profile_errors(errors: &[kzclean::LineError]) -> PyErr {
    PyValueError::new_err(
        errors
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

/// Reads a profile file a line at a time, as the command does: a file
/// that is not a profile (`/dev/zero`, a corpus) is refused at its first
/// overlong line, not read into memory whole.
fn read_profile(path: &Path) -> PyResult<RustProfile> {
    let shown = kzclean::shown_path(path);
    let cannot = |e| os_error(&format!("{shown}: cannot read profile"), e);
    let file = std::fs::File::open(path).map_err(cannot)?;
    let mut reader = std::io::BufReader::with_capacity(256 * 1024, file);
    RustProfile::read(&shown, &mut reader)
        .map_err(cannot)?
        .map_err(|errors| profile_errors(&errors))
}

fn os_error(what: &str, e: std::io::Error) -> PyErr {
    let msg = format!("{what}: {e}");
    match e.kind() {
        std::io::ErrorKind::NotFound => PyFileNotFoundError::new_err(msg),
        std::io::ErrorKind::PermissionDenied => PyPermissionError::new_err(msg),
        std::io::ErrorKind::IsADirectory => PyIsADirectoryError::new_err(msg),
        _ => PyOSError::new_err(msg),
    }
}

fn profile_options(min_pages: i64, min_share: f64) -> PyResult<ProfileOptions> {
    let min_pages = u32::try_from(min_pages).map_err(|_| {
        PyValueError::new_err(format!(
            "profile_min_pages must be a count from 0, not {min_pages}"
        ))
    })?;
    if !(0.0..=1.0).contains(&min_share) {
        return Err(PyValueError::new_err(format!(
            "profile_min_share must be a share from 0 to 1, not {min_share}"
        )));
    }
    Ok(ProfileOptions {
        min_pages,
        min_share,
    })
}

/// `unwrap=`: None or False (off), True (each document's longest line), or
/// a width of 10 characters or more.
fn unwrap_of(item: Option<&Bound<'_, PyAny>>) -> PyResult<Option<UnwrapWidth>> {
    let Some(item) = item else { return Ok(None) };
    if let Ok(b) = item.cast::<pyo3::types::PyBool>() {
        return Ok(b.is_true().then_some(UnwrapWidth::Auto));
    }
    match item.extract::<i64>() {
        Ok(n) if n >= 10 => Ok(Some(UnwrapWidth::Columns(n as usize))),
        _ => Err(PyValueError::new_err(format!(
            "unwrap must be None, True (each document's longest line) or a width of 10 or more \
             (a 64-bit integer), not {}",
            item.repr()?
        ))),
    }
}

/// `urls=` / `sites=` of clean_many: one per text, or None.
fn per_text(
    name: &str,
    values: Option<Vec<Option<String>>>,
    texts: usize,
) -> PyResult<Vec<Option<String>>> {
    match values {
        None => Ok(vec![None; texts]),
        Some(v) if v.len() == texts => Ok(v),
        Some(v) => Err(PyValueError::new_err(format!(
            "{name} must have one item per text: {} texts, {} {name}",
            texts,
            v.len()
        ))),
    }
}

#[pymethods]
impl Cleaner {
    #[new]
    #[pyo3(signature = (
        rules=None,
        preset=None,
        classifier=true,
        profile=None,
        profile_min_pages=1,
        profile_min_share=0.7,
        unwrap=None
    ))]
    fn new(
        py: Python<'_>,
        rules: Option<&Bound<'_, PyAny>>,
        preset: Option<String>,
        classifier: bool,
        profile: Option<&Bound<'_, PyAny>>,
        profile_min_pages: i64,
        profile_min_share: f64,
        unwrap: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        // The cheap checks come before any file is read.
        let (_, fast) = parse_preset(preset.as_deref())?;
        let unwrap = unwrap_of(unwrap)?;
        let options = profile_options(profile_min_pages, profile_min_share)?;
        let profile = profile.map(profile_of).transpose()?.map(|p| (p, options));
        let cleaner = Cleaner::build(sources_of(rules)?, preset, classifier, profile, unwrap)?;
        if fast {
            // As the command does under --fast: a user's rule it never
            // applies is named, not silently ignored. Only here, not when a
            // pickled Cleaner is rebuilt on each worker.
            warn_rules_fast_skips(py, cleaner.clean_pool.proto.rules())?;
        }
        Ok(cleaner)
    }

    /// Cleans one document and returns its kept lines, unchanged and in
    /// order (the same text as `kzclean < file`). The whole string is one
    /// document: form-feed lines in it are not document separators.
    /// url / site: the page's URL or site name, for the profile.
    #[pyo3(signature = (text, url=None, site=None))]
    fn clean(
        &self,
        py: Python<'_>,
        text: PyBackedStr,
        url: Option<&str>,
        site: Option<&str>,
    ) -> PyResult<String> {
        let site = self.site_of(url, site);
        py.detach(|| {
            guarded(|| {
                let mut lease = self.clean_pool.take();
                let cleaner = lease.get();
                cleaner.set_site(site.as_deref());
                into_string(cleaner.clean(text.as_bytes()))
            })
        })
    }

    /// Cleans many documents in parallel on Rust threads, without the GIL,
    /// and returns them in input order: the same as [clean(t) for t in texts],
    /// faster. threads: how many threads (None: one per core). urls / sites:
    /// one per text (or None), for the profile.
    #[pyo3(signature = (texts, threads=None, urls=None, sites=None))]
    fn clean_many(
        &self,
        py: Python<'_>,
        texts: Vec<PyBackedStr>,
        threads: Option<i64>,
        urls: Option<Vec<Option<String>>>,
        sites: Option<Vec<Option<String>>>,
    ) -> PyResult<Vec<String>> {
        let urls = per_text("urls", urls, texts.len())?;
        let sites = per_text("sites", sites, texts.len())?;
        let sites: Vec<Option<String>> = urls
            .iter()
            .zip(&sites)
            .map(|(url, site)| self.site_of(url.as_deref(), site.as_deref()))
            .collect();
        let clean = |cleaner: &mut RustCleaner, text: &PyBackedStr, site: &Option<String>| {
            cleaner.set_site(site.as_deref());
            into_string(cleaner.clean(text.as_bytes()))
        };
        let threads = match threads {
            None => all_cores(),
            // Capped as the command's -j is: rayon would start every
            // thread asked for (a typo of 10**9 starts 65535).
            Some(n) if (1..=kzclean::MAX_THREADS as i64).contains(&n) => n as usize,
            Some(n) => {
                return Err(PyValueError::new_err(format!(
                    "threads must be from 1 to {}, or None for one per core, not {n}",
                    kzclean::MAX_THREADS
                )));
            }
        };
        let pool = &self.clean_pool;
        let run = || -> Vec<String> {
            texts
                .par_iter()
                .zip(&sites)
                .map_init(
                    || pool.take(),
                    |lease, (t, site)| clean(lease.get(), t, site),
                )
                .collect()
        };
        py.detach(|| {
            guarded(|| {
                if threads == 1 || texts.len() < 2 {
                    let mut lease = pool.take();
                    return Ok(texts
                        .iter()
                        .zip(&sites)
                        .map(|(t, site)| clean(lease.get(), t, site))
                        .collect());
                }
                Ok(thread_pool(threads)?.install(run))
            })?
        })
    }

    /// Says, for each line of one document, whether it is kept and why:
    /// a list of (keep, reason, line) tuples, the rows of `kzclean --explain`
    /// (line without its `\n` or `\r\n`, or the `\r` that ends the text;
    /// the command's rows keep a `\r`). The reason names the rule, or the
    /// classifier's probability/threshold and the deciding feature, or
    /// `site-repeat(N/M)` for a line the profile drops.
    #[pyo3(signature = (text, url=None, site=None))]
    fn explain(
        &self,
        py: Python<'_>,
        text: PyBackedStr,
        url: Option<&str>,
        site: Option<&str>,
    ) -> PyResult<Vec<(bool, String, String)>> {
        let site = self.site_of(url, site);
        py.detach(|| {
            guarded(|| {
                let mut lease = self.explain_pool.take();
                let cleaner = lease.get();
                cleaner.set_site(site.as_deref());
                cleaner
                    .explain(text.as_bytes())
                    .into_iter()
                    .map(|row| (row.keep, row.reason, into_string(row.line.to_vec())))
                    .collect()
            })
        })
    }

    /// The preset: None, "precision", "recall" or "fast".
    #[getter]
    fn preset(&self) -> Option<&str> {
        self.preset.as_deref()
    }

    /// Whether lines no rule decides go to the classifier (else they are kept).
    #[getter]
    fn classifier(&self) -> bool {
        self.classifier
    }

    /// The ids of the rules in force, built-in and added, in order.
    #[getter]
    fn rule_ids(&self) -> Vec<String> {
        self.clean_pool
            .proto
            .rules()
            .rules()
            .iter()
            .map(|r| r.id.clone())
            .collect()
    }

    fn __repr__(&self) -> String {
        let rules = match self.sources.as_slice() {
            [] => "None".to_string(),
            [one] => format!("{:?}", one.name),
            many => format!(
                "[{}]",
                many.iter()
                    .map(|s| format!("{:?}", s.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let preset = match &self.preset {
            None => "None".to_string(),
            Some(p) => format!("{p:?}"),
        };
        let classifier = if self.classifier { "True" } else { "False" };
        let profile = match &self.profile {
            None => String::new(),
            Some((p, o)) => format!(
                ", profile=<SiteProfile of {} sites>, profile_min_pages={}, profile_min_share={}",
                p.site_count(),
                o.min_pages,
                o.min_share
            ),
        };
        let unwrap = match self.unwrap {
            None => String::new(),
            Some(UnwrapWidth::Auto) => ", unwrap=True".to_string(),
            Some(UnwrapWidth::Columns(n)) => format!(", unwrap={n}"),
        };
        format!(
            "kzclean.Cleaner(rules={rules}, preset={preset}, classifier={classifier}{profile}{unwrap})"
        )
    }

    /// Pickles the settings (rule names and text, preset, classifier, the
    /// profile's bytes); the unpickled Cleaner compiles the rules again and
    /// reads no file.
    fn __reduce__<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let rebuild = py.import("kzclean._kzclean")?.getattr("_rebuild")?;
        let sources: Vec<(String, Bound<'py, PyBytes>)> = self
            .sources
            .iter()
            .map(|s| (s.name.clone(), PyBytes::new(py, &s.bytes)))
            .collect();
        let profile = self
            .profile
            .as_ref()
            .map(|(p, o)| (PyBytes::new(py, &p.to_bytes()), o.min_pages, o.min_share));
        // unwrap: 0 for each document's longest line, else the width.
        let unwrap = self.unwrap.map(|w| match w {
            UnwrapWidth::Auto => 0,
            UnwrapWidth::Columns(n) => n,
        });
        let args = (
            sources,
            self.preset.clone(),
            self.classifier,
            profile,
            unwrap,
        )
            .into_pyobject(py)?;
        Ok((rebuild, args))
    }
}

/// What each site repeats: per site, on how many of its pages each line
/// occurs, as `kzclean learn` writes it.
///
/// SiteProfile(max_lines=2000000)
///
/// Learn with add(text, url=... or site=...), add up the profiles of
/// shards with merge() (the same as learning every page in one), write one
/// with to_bytes() (a `kzclean learn` profile file) and read one with
/// SiteProfile.load(path) or SiteProfile.from_bytes(data). max_lines
/// bounds the line counts held (past it, a fixed sample of lines is
/// counted, as `kzclean learn --max-lines`). Pickles by its bytes; safe
/// to share between threads.
#[pyclass(frozen, module = "kzclean", name = "SiteProfile")]
struct SiteProfile {
    inner: Mutex<RustProfile>,
}

impl SiteProfile {
    fn wrap(profile: RustProfile) -> SiteProfile {
        SiteProfile {
            inner: Mutex::new(profile),
        }
    }
}

#[pymethods]
impl SiteProfile {
    #[new]
    #[pyo3(signature = (max_lines=DEFAULT_MAX_LINES as i64))]
    fn new(max_lines: i64) -> PyResult<Self> {
        let max_lines = usize::try_from(max_lines)
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| {
                PyValueError::new_err(format!("max_lines must be at least 1, not {max_lines}"))
            })?;
        Ok(SiteProfile::wrap(RustProfile::new(max_lines)))
    }

    /// Counts one page of a site: `site=` names it, else `url=` gives it
    /// (the URL's registered domain, as for JSON Lines records).
    #[pyo3(signature = (text, url=None, site=None))]
    fn add(
        &self,
        py: Python<'_>,
        text: PyBackedStr,
        url: Option<&str>,
        site: Option<&str>,
    ) -> PyResult<()> {
        let site = match (site, url) {
            (Some(site), _) => site.to_string(),
            (None, Some(url)) => site_of_url(url).ok_or_else(|| {
                PyValueError::new_err(format!("no site in url {url:?}: give site= instead"))
            })?,
            (None, None) => {
                return Err(PyValueError::new_err(
                    "a page needs its site: give url= or site=",
                ));
            }
        };
        // add_page refuses a name the profile could not read back (it would
        // break to_bytes / pickling later, on a worker); the problem quotes
        // the name where that helps (not a 300 KB one in full). A URL's site
        // is always one it can hold.
        py.detach(|| guarded(|| lock(&self.inner).add_page(&site, text.as_bytes())))?
            .map_err(|problem| PyValueError::new_err(format!("bad site=: {problem}")))
    }

    /// Adds another profile's counts to this one.
    fn merge(&self, other: &Bound<'_, SiteProfile>) -> PyResult<()> {
        let other = lock(&other.get().inner).clone();
        lock(&self.inner)
            .merge(&other)
            .map_err(|e| PyValueError::new_err(format!("cannot merge profiles: {e}")))
    }

    /// The profile file's bytes, as `kzclean learn` writes them.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &lock(&self.inner).to_bytes())
    }

    /// Reads a profile from a file's bytes (ValueError naming the line of
    /// each problem).
    #[staticmethod]
    fn from_bytes(data: &[u8]) -> PyResult<SiteProfile> {
        parse_profile("<profile>", data).map(SiteProfile::wrap)
    }

    /// Reads a profile file (OSError if unreadable, ValueError if invalid).
    #[staticmethod]
    fn load(path: PathBuf) -> PyResult<SiteProfile> {
        read_profile(&path).map(SiteProfile::wrap)
    }

    /// How many sites it counts.
    #[getter]
    fn sites(&self) -> usize {
        lock(&self.inner).site_count()
    }

    /// How many pages of `site` it counted (0 for a site it does not know).
    fn pages(&self, site: &str) -> u32 {
        lock(&self.inner).site(site).map_or(0, |s| s.pages())
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        match other.cast::<SiteProfile>() {
            Ok(o) if std::ptr::eq(self, o.get()) => true,
            Ok(o) => *lock(&self.inner) == *lock(&o.get().inner),
            Err(_) => false,
        }
    }

    fn __repr__(&self) -> String {
        let p = lock(&self.inner);
        format!(
            "<kzclean.SiteProfile: {} sites, {} line counts>",
            p.site_count(),
            p.line_count()
        )
    }

    fn __reduce__<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let from_bytes = py
            .import("kzclean._kzclean")?
            .getattr("SiteProfile")?
            .getattr("from_bytes")?;
        let args = (self.to_bytes(py),).into_pyobject(py)?;
        Ok((from_bytes, args))
    }
}

/// Rebuilds a pickled Cleaner from its settings (see Cleaner.__reduce__).
#[pyfunction]
#[pyo3(signature = (sources, preset, classifier, profile=None, unwrap=None))]
fn _rebuild(
    sources: Vec<(String, PyBackedBytes)>,
    preset: Option<String>,
    classifier: bool,
    profile: Option<(PyBackedBytes, u32, f64)>,
    unwrap: Option<usize>,
) -> PyResult<Cleaner> {
    let sources = sources
        .into_iter()
        .map(|(name, bytes)| Source {
            name,
            bytes: bytes.to_vec(),
        })
        .collect();
    let profile = match profile {
        Some((bytes, min_pages, min_share)) => Some((
            Arc::new(parse_profile("<profile>", &bytes)?),
            ProfileOptions {
                min_pages,
                min_share,
            },
        )),
        None => None,
    };
    let unwrap = unwrap.map(|n| match n {
        0 => UnwrapWidth::Auto,
        n => UnwrapWidth::Columns(n),
    });
    Cleaner::build(sources, preset, classifier, profile, unwrap)
}

#[pymodule]
fn _kzclean(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Cleaner>()?;
    m.add_class::<SiteProfile>()?;
    m.add_function(wrap_pyfunction!(_rebuild, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
