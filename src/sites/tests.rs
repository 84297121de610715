use super::*;

fn page(site_lines: &[&str]) -> Vec<u8> {
    let mut page = Vec::new();
    for line in site_lines {
        page.extend_from_slice(line.as_bytes());
        page.push(b'\n');
    }
    page
}

/// A small corpus: (site, page) pairs, menus repeated, bodies not.
fn corpus(pages: usize) -> Vec<(String, Vec<u8>)> {
    (0..pages)
        .map(|i| {
            let site = format!("site{}.example", i % 3);
            let body = format!("Body line {i} of a page, unique to it.");
            let extra = format!("Shared by some {}", i % 4);
            (
                site,
                page(&[
                    "Home",
                    "  Sign up for our newsletter ",
                    &body,
                    "",
                    &extra,
                    "Home",
                ]),
            )
        })
        .collect()
}

fn learn(pages: &[(String, Vec<u8>)], max_lines: usize) -> SiteProfile {
    let mut profile = SiteProfile::new(max_lines);
    for (site, page) in pages {
        profile.add_page(site, page).unwrap();
    }
    profile
}

#[test]
fn counts_pages_per_line_once_per_page() {
    let profile = learn(&corpus(9), DEFAULT_MAX_LINES);
    let site = profile.site("site0.example").unwrap();
    assert_eq!(site.pages(), 3);
    assert_eq!(site.count(line_key(b"Home")), 3);
    // Trimmed before hashing.
    assert_eq!(site.count(line_key(b"Sign up for our newsletter")), 3);
    assert_eq!(
        site.count(line_key(b"Body line 0 of a page, unique to it.")),
        1
    );
    assert_eq!(site.count(line_key(b"not there")), 0);
    assert_eq!(profile.site_count(), 3);
    assert!(profile.site("nowhere").is_none());
}

#[test]
fn writes_and_reads_back() {
    let profile = learn(&corpus(12), DEFAULT_MAX_LINES);
    let bytes = profile.to_bytes();
    assert!(bytes.starts_with(b"kzclean-site-profile 1\n"));
    let read = SiteProfile::parse("p", &bytes).unwrap();
    assert_eq!(read, profile);
    assert_eq!(read.to_bytes(), bytes);
}

#[test]
fn merge_equals_learning_the_union() {
    let pages = corpus(40);
    for max_lines in [DEFAULT_MAX_LINES, 30, 7] {
        let whole = learn(&pages, max_lines);
        let (a, b) = pages.split_at(17);
        let mut merged = SiteProfile::new(max_lines);
        for part in [a, b] {
            // Through the file format, as `learn --merge` does.
            let shard = SiteProfile::parse("x", &learn(part, max_lines).to_bytes()).unwrap();
            merged.merge(&shard).unwrap();
        }
        assert_eq!(merged.to_bytes(), whole.to_bytes(), "max_lines {max_lines}");
        if max_lines == 7 {
            assert!(whole.sampling_level() > 0);
            assert!(whole.line_count() <= 7);
        }
    }
}

#[test]
fn sampling_does_not_depend_on_order() {
    let mut pages = corpus(30);
    let forward = learn(&pages, 20);
    pages.reverse();
    assert_eq!(learn(&pages, 20).to_bytes(), forward.to_bytes());
}

#[test]
fn pruning_keeps_repeated_lines_and_refuses_merges() {
    let mut profile = learn(&corpus(12), DEFAULT_MAX_LINES);
    profile.prune(2, 0.6).unwrap();
    let site = profile.site("site1.example").unwrap();
    assert_eq!(site.pages(), 4);
    assert_eq!(site.count(line_key(b"Home")), 4);
    assert_eq!(site.len(), 2);
    let bytes = profile.to_bytes();
    assert!(String::from_utf8_lossy(&bytes).contains("\npruned 2 0.6\n"));
    let read = SiteProfile::parse("p", &bytes).unwrap();
    assert_eq!(read, profile);
    assert!(SiteProfile::new(10).merge(&read).is_err());
}

#[test]
fn parse_errors_name_the_line() {
    let errors = |text: &str| {
        SiteProfile::parse("p.prof", text.as_bytes())
            .unwrap_err()
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
    };
    assert!(errors("")[0].starts_with("p.prof: empty file"));
    assert!(errors("hello\n")[0].starts_with("p.prof:1: not a site profile"));
    assert!(errors("kzclean-site-profile 2\n")[0].contains("version `2` is not supported"));
    let e = errors(
        "kzclean-site-profile 1\n0000000000000001 1\nsite 2 a.com\n00000000000000ff 3\n\
         zzz\nsite x b.com\nsite 2 a.com\nsampling 1\n",
    );
    assert_eq!(e.len(), 6, "{e:?}");
    assert!(e[0].starts_with("p.prof:2: a line count before the first `site`"));
    assert!(e[1].starts_with("p.prof:4: a line count must be from 1 to the site's 2 pages"));
    assert!(e[2].starts_with("p.prof:5: expected `KEY COUNT`"));
    assert!(e[3].starts_with("p.prof:6: expected `site PAGES NAME`"));
    assert!(e[4].starts_with("p.prof:7: site `a.com` is listed twice"));
    assert!(e[5].starts_with("p.prof:8: `sampling` must come before"));
    let e = errors("kzclean-site-profile 1\nsampling 1\nsite 2 a.com\nffffffffffffffff 1\n");
    assert!(e[0].starts_with("p.prof:4: key ffffffffffffffff is outside sampling level 1"));
}

#[test]
fn site_names_keep_spaces() {
    let mut profile = SiteProfile::default();
    profile.add_page("my site", b"a\nb\n").unwrap();
    let read = SiteProfile::parse("p", &profile.to_bytes()).unwrap();
    assert_eq!(read.site("my site").unwrap().pages(), 1);
}

#[test]
fn the_documented_example_parses() {
    let example = "kzclean-site-profile 1\n# a comment\nsampling 0\npruned 3 0.5\n\
                   site 40 example.com\n00a3f0c2b1d4e5f6 37\n";
    let profile = SiteProfile::parse("p", example.as_bytes()).unwrap();
    let site = profile.site("example.com").unwrap();
    assert_eq!((site.pages(), site.count(0x00a3_f0c2_b1d4_e5f6)), (40, 37));
}
