//! Which site a page belongs to: the registered domain of its URL (an
//! approximation of the registrable domain, without the public-suffix
//! list), or the folder a file sits in.

use std::path::Path;

/// Second-level labels under which a two-letter country code's domains
/// register a third label (`bbc.co.uk`, `abc.net.au`, `gov.br`).
const SECOND_LEVEL: &[&str] = &[
    "ac", "co", "com", "edu", "gob", "go", "gov", "gv", "ltd", "me", "mil", "ne", "net", "nic",
    "nom", "or", "org", "plc", "sch",
];

/// The longest host a URL can have (a DNS name has at most 253 bytes): a
/// longer one is not a host, and its site name must fit a profile line.
const MAX_HOST_NAME: usize = 253;

/// The site of a URL: its host, lower-cased, without `www.`-like prefixes:
/// the last two labels, or three when the second to last is a common
/// second-level label under a two-letter country code (`co.uk`, `com.au`,
/// `ac.jp`). An IP address or a one-label host is the site itself. `None`
/// for text that has no host, and for a host no site profile could hold
/// (control characters, white space: see [`site_name_problem`]).
///
/// ```
/// use kzclean::site_of_url;
/// assert_eq!(site_of_url("https://www.bbc.co.uk/news/x").as_deref(), Some("bbc.co.uk"));
/// assert_eq!(site_of_url("http://blog.example.com:8080/a").as_deref(), Some("example.com"));
/// assert_eq!(site_of_url("not a url"), None);
/// ```
pub fn site_of_url(url: &str) -> Option<String> {
    site_of_url_unchecked(url).filter(|site| site_name_problem(site).is_none())
}

/// [`site_of_url`] before the check that a profile can hold the name.
fn site_of_url_unchecked(url: &str) -> Option<String> {
    let rest = url.trim();
    let rest = match rest.find("://") {
        Some(at) => &rest[at + 3..],
        None if rest.starts_with("//") => &rest[2..],
        None => return None,
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    let host = if let Some(v6) = host.strip_prefix('[') {
        // [::1]:8080
        return v6
            .split(']')
            .next()
            .filter(|h| h.len() <= MAX_HOST_NAME)
            .map(str::to_ascii_lowercase);
    } else {
        host.split(':').next().unwrap_or("")
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() || host.len() > MAX_HOST_NAME || host.contains(char::is_whitespace) {
        return None;
    }
    if host.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Some(host);
    }
    let labels: Vec<&str> = host.split('.').collect();
    let n = labels.len();
    let keep = if n >= 3 && labels[n - 1].len() == 2 && SECOND_LEVEL.contains(&labels[n - 2]) {
        3
    } else {
        2
    };
    Some(labels[n.saturating_sub(keep)..].join("."))
}

/// The site of a file: the name of the folder it is in (`dumps/example.com/
/// 1.txt` is `example.com`). `None` when the folder has no name (`/`) or
/// only white space.
pub fn site_of_path(path: &Path) -> Option<String> {
    let absolute = std::path::absolute(path).ok()?;
    let folder = absolute.parent()?;
    let name = match folder.file_name() {
        Some(name) => name.to_os_string(),
        // `../1.txt` or `sub/../1.txt`: the folder's name is where `..`
        // leads, which only the file system knows (`sub` may be a link).
        None => std::fs::canonicalize(folder)
            .ok()?
            .file_name()?
            .to_os_string(),
    };
    Some(clean_name(&name.to_string_lossy())).filter(|site| site_name_problem(site).is_none())
}

/// What is wrong with `name` as a site name a profile can hold and read
/// back (one `site PAGES NAME` line), or `None`: not empty, no control
/// characters (a line break would split the line), no white space at its
/// ends (it would be trimmed away), at most 4 KiB.
pub fn site_name_problem(name: &str) -> Option<String> {
    if name.trim().is_empty() {
        Some("a site name cannot be empty".to_string())
    } else if name.chars().any(char::is_control) {
        Some(format!(
            "`{}` holds a control character (a line break, a tab, ...); a site name is one line",
            crate::error::quote_input(name.as_bytes())
        ))
    } else if name.trim() != name {
        Some(format!("`{name}` starts or ends with white space"))
    } else if name.len() > MAX_SITE_NAME {
        Some(format!(
            "a site name of {} bytes; at most {MAX_SITE_NAME}",
            name.len()
        ))
    } else {
        None
    }
}

/// The longest site name: far above a host name ([`MAX_HOST_NAME`]) or a
/// folder name (255 bytes on most file systems).
const MAX_SITE_NAME: usize = 4096;

/// A site name as the profile file can hold it: one line, no leading or
/// trailing white space (control characters become `_`).
fn clean_name(name: &str) -> String {
    name.trim()
        .chars()
        .map(|c| if c.is_control() { '_' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_domains() {
        let site = |u: &str| site_of_url(u);
        assert_eq!(site("https://example.com").as_deref(), Some("example.com"));
        assert_eq!(
            site("https://a.b.example.com/x?y#z").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            site("https://WWW.Example.COM./").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            site("https://news.bbc.co.uk/").as_deref(),
            Some("bbc.co.uk")
        );
        assert_eq!(
            site("https://www.abc.net.au/").as_deref(),
            Some("abc.net.au")
        );
        assert_eq!(site("https://co.uk/").as_deref(), Some("co.uk"));
        assert_eq!(
            site("https://user:pw@host.example.org:443/").as_deref(),
            Some("example.org")
        );
        assert_eq!(
            site("http://127.0.0.1:8000/a").as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(site("http://[::1]:8000/a").as_deref(), Some("::1"));
        assert_eq!(site("http://localhost/").as_deref(), Some("localhost"));
        assert_eq!(site("//cdn.example.net/a").as_deref(), Some("example.net"));
        assert_eq!(site("example.com/page"), None);
        assert_eq!(site("https:///nohost"), None);
        let long = format!("https://{}.com/", "a".repeat(250));
        assert_eq!(site(&long), None);
        assert_eq!(site(&format!("https://[{}]/", "1".repeat(254))), None);
    }

    #[test]
    fn folder_names() {
        assert_eq!(
            site_of_path(Path::new("dumps/example.com/1.txt")).as_deref(),
            Some("example.com")
        );
        assert_eq!(site_of_path(Path::new("/a.txt")), None);
        assert_eq!(clean_name(" a\tb\n"), "a_b");
    }
}
