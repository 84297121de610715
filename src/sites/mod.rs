//! Site profiles: which lines repeat across the pages of a site. See
//! [`SiteProfile`] for the counts, their bound and the file format;
//! `domain.rs` names a page's site.

mod domain;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{self, BufRead, Read, Write};

use crate::document::{content, is_blank, lines};
use crate::error::{LineError, quote_input};
use crate::text::hash_bytes;

pub use domain::{site_name_problem, site_of_path, site_of_url};

/// The first word of a profile file.
pub const PROFILE_MAGIC: &str = "kzclean-site-profile";
/// The version of the profile format this build reads and writes.
pub const PROFILE_VERSION: u32 = 1;
/// The default bound on (site, line) counts held at once: about 110 MB for
/// the counts, sites apart (docs/accuracy.md has the measurements).
pub const DEFAULT_MAX_LINES: usize = 2_000_000;
/// The longest line a profile file may have (bytes before its `\n`). Its
/// longest lines name a site: a URL's host (at most 253 bytes, longer ones
/// name no site), a folder or `--site` (an argument is at most 128 KiB on
/// Linux). A file with a longer line is not a profile.
pub const MAX_PROFILE_LINE: usize = 256 << 10;

/// The key of a line in a profile: its content without surrounding ASCII
/// white space, through the crate's 64-bit Fx hash and splitmix64's
/// finaliser (so that its top bits are uniform, for sampling).
pub fn line_key(line: &[u8]) -> u64 {
    let mut x = hash_bytes(line.trim_ascii());
    // splitmix64's finaliser.
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Keys are already uniform: the table uses them as they are.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type KeyCounts = HashMap<u64, u32, BuildHasherDefault<KeyHasher>>;

/// One site's counts: its pages, and per line key the pages holding it.
#[derive(Debug, Clone, Default)]
pub struct SiteCounts {
    pages: u32,
    lines: KeyCounts,
}

impl SiteCounts {
    /// Pages of the site seen.
    pub fn pages(&self) -> u32 {
        self.pages
    }

    /// On how many pages the line with this [`line_key`] occurs (0 when
    /// unknown, or not sampled).
    pub fn count(&self, key: u64) -> u32 {
        self.lines.get(&key).copied().unwrap_or(0)
    }

    /// Distinct lines counted.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// True when no line is counted.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

/// Per site, the pages each line occurs on: a site profile.
///
/// A line such as "Sign up for our newsletter", a menu entry or a footer
/// repeats on every page of its site in wording no global rule knows.
/// [`SiteProfile`] counts, per site, on how many pages each distinct line
/// (trimmed, hashed to 64 bits by [`line_key`]) occurs, and how many pages
/// the site has. The counts are raw, so profiles add up: learning shard A
/// and shard B apart and merging the profiles gives the profile of A and B
/// learned at once, to the byte ([`SiteProfile::merge`]). Thresholds are
/// applied when the profile is used (the cleaner's `ProfileOptions`), or
/// once at the end with [`SiteProfile::prune`], which makes a profile
/// smaller and no longer mergeable.
///
/// Memory is bounded by `max_lines`, the most (site, line) counts held at
/// once (measured: about 55 bytes each, plus about 170 bytes a site). Past it the
/// profile samples lines by their key: at level `j` it keeps only the keys
/// whose top `j` bits are zero, the smallest level that fits. The level is
/// a function of the set of (site, line) pairs seen, whatever their order,
/// so sampling keeps merges exact; a sampled line simply has no count.
///
/// The file format (version 1, text, UTF-8, sorted so that equal profiles
/// are equal files):
///
/// ```text
/// kzclean-site-profile 1
/// # a comment: lines starting with `#`, and blank lines, are ignored
/// sampling 0
/// pruned 3 0.5
/// site 40 example.com
/// 00a3f0c2b1d4e5f6 37
/// ```
///
/// The first line is the magic word and the version. `sampling J` is the
/// level (0: every line counted); `pruned MIN-PAGES MIN-SHARE` appears only
/// in a pruned profile. Then each site: `site PAGES NAME` (the name is the
/// rest of the line), followed by one `KEY COUNT` line per line of the site
/// counted: the [`line_key`] in 16 hex digits and the pages holding it.
#[derive(Debug, Clone)]
pub struct SiteProfile {
    index: HashMap<Box<str>, u32>,
    sites: Vec<SiteCounts>,
    /// Sampling level: keys with a non-zero top `level` bits are not kept.
    level: u32,
    /// (min pages, min share) when pruned: then the counts are no longer raw.
    pruned: Option<(u32, f64)>,
    max_lines: usize,
    /// Line counts held, over all sites.
    total: usize,
    scratch: Vec<u64>,
}

impl Default for SiteProfile {
    fn default() -> SiteProfile {
        SiteProfile::new(DEFAULT_MAX_LINES)
    }
}

impl PartialEq for SiteProfile {
    /// Same sites, pages, counts, sampling level and pruning.
    fn eq(&self, other: &SiteProfile) -> bool {
        self.level == other.level
            && self.pruned == other.pruned
            && self.index.len() == other.index.len()
            && self.index.iter().all(|(name, &i)| {
                other.site(name).is_some_and(|o| {
                    let s = &self.sites[i as usize];
                    s.pages == o.pages && s.lines == o.lines
                })
            })
    }
}

impl SiteProfile {
    /// An empty profile holding at most `max_lines` line counts (at least 1).
    pub fn new(max_lines: usize) -> SiteProfile {
        SiteProfile {
            index: HashMap::new(),
            sites: Vec::new(),
            level: 0,
            pruned: None,
            max_lines: max_lines.max(1),
            total: 0,
            scratch: Vec::new(),
        }
    }

    /// Number of sites.
    pub fn site_count(&self) -> usize {
        self.sites.len()
    }

    /// Line counts held, over all sites.
    pub fn line_count(&self) -> usize {
        self.total
    }

    /// The sampling level (0: every line is counted; `j`: one line in 2^j).
    pub fn sampling_level(&self) -> u32 {
        self.level
    }

    /// A site's counts.
    pub fn site(&self, name: &str) -> Option<&SiteCounts> {
        self.index.get(name).map(|&i| &self.sites[i as usize])
    }

    pub(crate) fn site_index(&self, name: &str) -> Option<u32> {
        self.index.get(name).copied()
    }

    pub(crate) fn site_at(&self, index: u32) -> &SiteCounts {
        &self.sites[index as usize]
    }

    /// Whether a line with this key would have a count if it were on a
    /// page: false for the keys sampling leaves out.
    pub fn counts_key(&self, key: u64) -> bool {
        SiteProfile::sampled(self.level, key)
    }

    /// Whether the profile was pruned (`learn --min-pages/--min-share`):
    /// lines on few pages have no count then.
    pub fn is_pruned(&self) -> bool {
        self.pruned.is_some()
    }

    fn sampled(level: u32, key: u64) -> bool {
        key.checked_shr(64 - level).unwrap_or(0) == 0
    }

    fn site_mut(&mut self, name: &str) -> &mut SiteCounts {
        let i = match self.index.get(name) {
            Some(&i) => i as usize,
            None => self.add_site(name),
        };
        &mut self.sites[i]
    }

    /// Adds a site not in the profile yet; its index.
    fn add_site(&mut self, name: &str) -> usize {
        self.index.insert(name.into(), self.sites.len() as u32);
        self.sites.push(SiteCounts::default());
        self.sites.len() - 1
    }

    /// Counts one page of `site`: each distinct non-blank line once.
    ///
    /// # Errors
    ///
    /// A site name the profile file could not hold and read back (empty,
    /// white space at its ends, a line break or other control character,
    /// over 4 KiB: see [`site_name_problem`]) is refused with what is
    /// wrong with it, and nothing is counted.
    pub fn add_page(&mut self, site: &str, page: &[u8]) -> Result<(), String> {
        let mut keys = std::mem::take(&mut self.scratch);
        keys.clear();
        page_keys(page, &mut keys);
        let added = self.add_page_keys(site, &mut keys);
        self.scratch = keys;
        added
    }

    /// Counts one page given as the [`line_key`]s of its lines (in any
    /// order, repeats allowed; `keys` is left sorted and deduplicated).
    ///
    /// # Errors
    ///
    /// As [`SiteProfile::add_page`]: a site name the file could not hold.
    pub fn add_page_keys(&mut self, site: &str, keys: &mut Vec<u64>) -> Result<(), String> {
        let i = match self.index.get(site) {
            Some(&i) => i as usize,
            // Checked when the site is added: `write` would give it a line
            // the reader cannot read back as it was ("site 1 a\nsite 9 b"
            // is two sites).
            None => match site_name_problem(site) {
                Some(problem) => return Err(problem),
                None => self.add_site(site),
            },
        };
        keys.sort_unstable();
        keys.dedup();
        let level = self.level;
        let site = &mut self.sites[i];
        site.pages = site.pages.saturating_add(1);
        let mut added = 0;
        for &key in keys.iter() {
            if !SiteProfile::sampled(level, key) {
                continue;
            }
            let count = site.lines.entry(key).or_insert(0);
            if *count == 0 {
                added += 1;
            }
            *count = count.saturating_add(1);
        }
        self.total += added;
        self.shrink();
        Ok(())
    }

    /// Raises the sampling level until the counts fit `max_lines`.
    fn shrink(&mut self) {
        while self.total > self.max_lines && self.level < 64 {
            self.level += 1;
            self.resample();
        }
    }

    /// Drops the counts the current level does not keep.
    fn resample(&mut self) {
        let level = self.level;
        self.total = 0;
        for site in &mut self.sites {
            site.lines
                .retain(|&key, _| SiteProfile::sampled(level, key));
            site.lines.shrink_to_fit();
            self.total += site.lines.len();
        }
    }

    /// Adds `other`'s counts to these: the result is the profile of both
    /// inputs learned at once (given that each was learned with at least
    /// this profile's `max_lines`). Pruned profiles cannot be merged: their
    /// counts are no longer complete.
    pub fn merge(&mut self, other: &SiteProfile) -> Result<(), String> {
        if self.pruned.is_some() || other.pruned.is_some() {
            return Err(
                "a pruned profile (learned with --min-pages or --min-share) cannot be \
                        merged exactly; merge the unpruned profiles, then prune"
                    .to_string(),
            );
        }
        if other.level > self.level {
            self.level = other.level;
            self.resample();
        }
        let level = self.level;
        let mut names: Vec<(&str, u32)> = other.index.iter().map(|(n, &i)| (&**n, i)).collect();
        names.sort_unstable();
        for (name, i) in names {
            let theirs = &other.sites[i as usize];
            let mine = self.site_mut(name);
            mine.pages = mine.pages.saturating_add(theirs.pages);
            let mut added = 0;
            for (&key, &count) in &theirs.lines {
                if SiteProfile::sampled(level, key) {
                    let c = mine.lines.entry(key).or_insert(0);
                    if *c == 0 {
                        added += 1;
                    }
                    *c = c.saturating_add(count);
                }
            }
            self.total += added;
            self.shrink();
        }
        Ok(())
    }

    /// Keeps only the lines on at least `min_pages` pages and on at least
    /// `min_share` of their site's pages, and the sites left with lines.
    /// A no-op for `(1, 0.0)` (and `(0, 0.0)`). The profile is marked
    /// pruned.
    ///
    /// # Errors
    ///
    /// A `min_share` that is not a share from 0 to 1 (NaN included) is
    /// refused, and the profile left as it was: the file could not say it.
    pub fn prune(&mut self, min_pages: u32, min_share: f64) -> Result<(), String> {
        if !(0.0..=1.0).contains(&min_share) {
            return Err(format!(
                "cannot prune at a share of {min_share}: give a share from 0 to 1"
            ));
        }
        if min_pages <= 1 && min_share <= 0.0 {
            return Ok(());
        }
        let mut names: Vec<(Box<str>, u32)> = self.index.drain().collect();
        names.sort_unstable_by_key(|&(_, i)| i);
        let sites = std::mem::take(&mut self.sites);
        self.total = 0;
        for ((name, _), mut site) in names.into_iter().zip(sites) {
            let pages = f64::from(site.pages);
            site.lines
                .retain(|_, &mut c| c >= min_pages.max(1) && f64::from(c) >= min_share * pages);
            if site.lines.is_empty() {
                continue;
            }
            site.lines.shrink_to_fit();
            self.total += site.lines.len();
            self.index.insert(name, self.sites.len() as u32);
            self.sites.push(site);
        }
        self.pruned = Some((min_pages.max(1), min_share));
        Ok(())
    }

    /// Writes the profile in the file format (sites by name, lines by key).
    pub fn write(&self, out: &mut impl Write) -> io::Result<()> {
        writeln!(out, "{PROFILE_MAGIC} {PROFILE_VERSION}")?;
        writeln!(
            out,
            "# site PAGES NAME, then per line: KEY (16 hex digits) PAGES-WITH-THE-LINE"
        )?;
        writeln!(out, "sampling {}", self.level)?;
        if let Some((pages, share)) = self.pruned {
            writeln!(out, "pruned {pages} {share}")?;
        }
        let mut names: Vec<(&str, u32)> = self.index.iter().map(|(n, &i)| (&**n, i)).collect();
        names.sort_unstable();
        let mut keys = Vec::new();
        for (name, i) in names {
            let site = &self.sites[i as usize];
            writeln!(out, "site {} {name}", site.pages)?;
            keys.clear();
            keys.extend(site.lines.iter().map(|(&k, &c)| (k, c)));
            keys.sort_unstable();
            for (key, count) in &keys {
                writeln!(out, "{key:016x} {count}")?;
            }
        }
        Ok(())
    }

    /// The profile as file bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        // Writing to a Vec cannot fail.
        let _ = self.write(&mut out);
        out
    }

    /// Reads a profile file; `path` labels the errors.
    ///
    /// # Errors
    ///
    /// What is wrong with the file (`path:line: message`, at most 20 of
    /// them): not a profile, another version, a malformed or repeated line.
    pub fn parse(path: &str, mut bytes: &[u8]) -> Result<SiteProfile, Vec<LineError>> {
        // Reading from a slice cannot fail.
        SiteProfile::read(path, &mut bytes).unwrap_or_else(|e| {
            Err(vec![LineError {
                path: path.to_string(),
                line: 0,
                message: e.to_string(),
            }])
        })
    }

    /// Reads a profile file line by line, as [`SiteProfile::parse`] does,
    /// holding one line at a time: a line over 256 KiB (`MAX_PROFILE_LINE`)
    /// ends the reading with an error at it, so a file that is not a
    /// profile (`/dev/zero`, a corpus) is refused at once, in bounded
    /// memory. Reading stops after 20 errors.
    pub fn read(
        path: &str,
        reader: &mut impl BufRead,
    ) -> io::Result<Result<SiteProfile, Vec<LineError>>> {
        let mut profile = SiteProfile::new(usize::MAX);
        let mut errors = Vec::new();
        // Errors so far, seen from the loop while `error` holds `errors`.
        let found = std::cell::Cell::new(0);
        let mut error = |line: usize, message: String| {
            found.set(found.get() + 1);
            if errors.len() < 20 {
                errors.push(LineError {
                    path: path.to_string(),
                    line,
                    message,
                });
            }
        };
        let mut current: Option<u32> = None;
        let mut seen_header = false;
        let mut seen_site = false;
        let mut raw = Vec::new();
        for n in 0.. {
            if found.get() >= 20 {
                // All that will be listed: the rest is not read.
                break;
            }
            raw.clear();
            let limit = MAX_PROFILE_LINE as u64 + 1;
            if reader.by_ref().take(limit).read_until(b'\n', &mut raw)? == 0 {
                break;
            }
            let number = n + 1;
            if content(&raw).len() > MAX_PROFILE_LINE {
                error(
                    number,
                    format!(
                        "a line longer than {} KiB: not a site profile (profiles are written \
                         by `kzclean learn`); check that it is the profile you meant",
                        MAX_PROFILE_LINE >> 10
                    ),
                );
                return Ok(Err(errors));
            }
            let Ok(text) = std::str::from_utf8(content(&raw)) else {
                error(number, "not UTF-8".to_string());
                continue;
            };
            if n == 0 {
                let mut words = text.split_ascii_whitespace();
                match (words.next(), words.next(), words.next()) {
                    (Some(PROFILE_MAGIC), Some(v), None) => match v.parse::<u32>() {
                        Ok(PROFILE_VERSION) => seen_header = true,
                        _ => {
                            error(
                                number,
                                format!(
                                    "profile format version `{}` is not supported (this \
                                     kzclean reads version {PROFILE_VERSION}); learn it again",
                                    quote_input(v.as_bytes())
                                ),
                            );
                            return Ok(Err(errors));
                        }
                    },
                    _ => {
                        error(
                            number,
                            format!(
                                "not a site profile: the first line must be `{PROFILE_MAGIC} \
                                 {PROFILE_VERSION}` (profiles are written by `kzclean learn`)"
                            ),
                        );
                        return Ok(Err(errors));
                    }
                }
                continue;
            }
            let text = text.trim();
            if text.is_empty() || text.starts_with('#') {
                continue;
            }
            let (word, rest) = text.split_once(' ').unwrap_or((text, ""));
            match word {
                "sampling" | "pruned" if seen_site => error(
                    number,
                    format!("`{word}` must come before the first `site` line"),
                ),
                "sampling" => match rest.trim().parse::<u32>() {
                    Ok(level) if level <= 64 => profile.level = level,
                    _ => error(
                        number,
                        format!(
                            "`sampling` takes a level from 0 to 64, not `{}`",
                            quote_input(rest.trim().as_bytes())
                        ),
                    ),
                },
                "pruned" => {
                    let mut parts = rest.split_ascii_whitespace();
                    match (
                        parts.next().map(str::parse::<u32>),
                        parts.next().map(str::parse::<f64>),
                        parts.next(),
                    ) {
                        (Some(Ok(pages)), Some(Ok(share)), None)
                            if pages >= 1 && (0.0..=1.0).contains(&share) =>
                        {
                            profile.pruned = Some((pages, share))
                        }
                        _ => error(
                            number,
                            format!(
                                "`pruned` takes MIN-PAGES (at least 1) and MIN-SHARE (0 to \
                                 1), not `{}`",
                                quote_input(rest.as_bytes())
                            ),
                        ),
                    }
                }
                "site" => {
                    seen_site = true;
                    current = None;
                    let (pages, name) = rest.split_once(' ').unwrap_or((rest, ""));
                    let name = name.trim();
                    match pages.parse::<u32>() {
                        Ok(pages) if pages > 0 && !name.is_empty() => {
                            if profile.index.contains_key(name) {
                                let name = quote_input(name.as_bytes());
                                error(number, format!("site `{name}` is listed twice"));
                                continue;
                            }
                            profile.site_mut(name).pages = pages;
                            current = profile.site_index(name);
                        }
                        _ => error(
                            number,
                            format!(
                                "expected `site PAGES NAME` (PAGES at least 1), not `{}`",
                                quote_input(text.as_bytes())
                            ),
                        ),
                    }
                }
                _ => {
                    let parsed = (word.len() == 16)
                        .then(|| u64::from_str_radix(word, 16).ok())
                        .flatten()
                        .zip(rest.trim().parse::<u32>().ok());
                    match (parsed, current) {
                        (Some((key, count)), Some(i)) => {
                            let site = &mut profile.sites[i as usize];
                            if count == 0 || count > site.pages {
                                error(
                                    number,
                                    format!(
                                        "a line count must be from 1 to the site's {} pages, \
                                         not {count}",
                                        site.pages
                                    ),
                                );
                            } else if !SiteProfile::sampled(profile.level, key) {
                                error(
                                    number,
                                    format!(
                                        "key {word} is outside sampling level {}",
                                        profile.level
                                    ),
                                );
                            } else if site.lines.insert(key, count).is_some() {
                                error(number, format!("key {word} is listed twice for this site"));
                            } else {
                                profile.total += 1;
                            }
                        }
                        (Some(_), None) if !seen_site => error(
                            number,
                            "a line count before the first `site` line".to_string(),
                        ),
                        // The site line was bad: said once, there.
                        (Some(_), None) => {}
                        (None, _) => error(
                            number,
                            format!(
                                "expected `KEY COUNT` (KEY: 16 hex digits), `site PAGES NAME`, \
                                 `sampling LEVEL` or `pruned MIN-PAGES MIN-SHARE`, not `{}`",
                                quote_input(text.as_bytes())
                            ),
                        ),
                    }
                }
            }
        }
        if !seen_header {
            error(
                0,
                format!(
                    "empty file: a site profile starts with `{PROFILE_MAGIC} {PROFILE_VERSION}`"
                ),
            );
        }
        Ok(if errors.is_empty() {
            Ok(profile)
        } else {
            Err(errors)
        })
    }
}

/// Appends the [`line_key`] of every non-blank line of `page`.
pub fn page_keys(page: &[u8], keys: &mut Vec<u64>) {
    for line in lines(page) {
        let text = content(line);
        if !is_blank(text) {
            keys.push(line_key(text));
        }
    }
}

#[cfg(test)]
mod tests;
