"""kzclean.SiteProfile and Cleaner(profile=...): the same profiles and the
same cleaned text as `kzclean learn` and `kzclean --profile`."""

import json
import os
import pickle
import subprocess

import pytest

import kzclean
from kzclean import Cleaner, SiteProfile

REPEATED = "The Harbour Gazette is printed on recycled paper by volunteers of the town"


def page(n):
    return f"{REPEATED}\nPage {n} tells its own story about the harbour and the town, with facts of its own.\n"


def records(n):
    """Pages of two sites, by URL: a.example.com (even n) and www.b.co.uk (odd n)."""
    return [
        {"url": f"https://{['a.example.com', 'www.b.co.uk'][i % 2]}/p/{i}", "text": page(i)} for i in range(n)
    ]


def learned(recs):
    profile = SiteProfile()
    for r in recs:
        profile.add(r["text"], url=r["url"])
    return profile


def cli_learn(kzclean_bin, recs):
    lines = "".join(json.dumps(r) + "\n" for r in recs)
    done = subprocess.run(
        [str(kzclean_bin), "learn", "--jsonl"], input=lines.encode(), capture_output=True, check=True
    )
    return done.stdout


def test_a_profile_is_the_one_the_cli_learns(kzclean_bin):
    recs = records(6)
    profile = learned(recs)
    assert profile.to_bytes() == cli_learn(kzclean_bin, recs)
    assert profile.sites == 2
    assert profile.pages("example.com") == 3
    assert profile.pages("b.co.uk") == 3
    assert profile.pages("unknown.org") == 0


def test_merged_shards_equal_learning_all_pages_at_once():
    recs = records(7)
    left, right = learned(recs[:3]), learned(recs[3:])
    left.merge(right)
    assert left == learned(recs)
    assert left.to_bytes() == learned(recs).to_bytes()
    assert left != learned(recs[:3])


def test_profiles_pickle_and_read_back_from_files(tmp_path):
    profile = learned(records(4))
    assert pickle.loads(pickle.dumps(profile)) == profile
    path = tmp_path / "sites.prof"
    path.write_bytes(profile.to_bytes())
    assert SiteProfile.load(path) == profile
    assert SiteProfile.load(str(path)) == profile
    assert SiteProfile.from_bytes(profile.to_bytes()) == profile


def test_bad_profiles_and_pages_without_a_site_are_refused(tmp_path):
    with pytest.raises(ValueError, match=r"<profile>:1: "):
        SiteProfile.from_bytes(b"not a profile\n")
    bad = tmp_path / "bad.prof"
    bad.write_bytes(b"kzclean-site-profile 1\nsite 2 example.com\nzz 3\n")
    with pytest.raises(ValueError, match=r"bad\.prof:3: "):
        SiteProfile.load(bad)
    with pytest.raises(ValueError, match=r"bad\.prof:3: "):
        Cleaner(profile=bad)
    with pytest.raises(FileNotFoundError, match="missing.prof: cannot read profile"):
        Cleaner(profile=tmp_path / "missing.prof")
    with pytest.raises(TypeError, match="profile must be"):
        Cleaner(profile=3)
    with pytest.raises(ValueError, match="profile_min_share"):
        Cleaner(profile=learned(records(2)), profile_min_share=1.5)
    with pytest.raises(ValueError, match="needs its site"):
        SiteProfile().add("text")
    with pytest.raises(ValueError, match="no site in url"):
        SiteProfile().add("text", url="not a url")
    with pytest.raises(ValueError, match="max_lines"):
        SiteProfile(max_lines=0)
    # A name the profile could not read back (pickling would fail later,
    # on a worker) is refused when it is added.
    for bad_site, why in [("", "empty"), (" ", "empty"), ("a\nb", "control character"),
                          (" a", "white space"), ("a" * 300_000, "at most")]:
        with pytest.raises(ValueError, match=why):
            SiteProfile().add("Home\nSubscribe\n", site=bad_site)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_file_that_is_not_a_profile_is_refused_at_once():
    # Read a line at a time, as the command does: refused at line 1, not
    # read into memory until it runs out.
    for read in (SiteProfile.load, lambda path: Cleaner(profile=path)):
        with pytest.raises(ValueError, match=r"/dev/zero:1: a line longer than 256 KiB"):
            read("/dev/zero")


def test_a_cleaner_with_a_profile_cleans_as_the_cli(tmp_path, kzclean_bin, cli):
    recs = records(6)
    path = tmp_path / "sites.prof"
    path.write_bytes(cli_learn(kzclean_bin, recs))
    text, url = recs[0]["text"], recs[0]["url"]
    expected = cli(text, "--profile", str(path), "--site", "example.com")
    assert REPEATED not in expected and "Page 0 tells" in expected
    assert REPEATED in cli(text)
    for profile in (path, str(path), path.read_bytes(), learned(recs)):
        cleaner = Cleaner(profile=profile)
        assert cleaner.clean(text, url=url) == expected
        assert cleaner.clean(text, site="example.com") == expected
        # No site, or a site it does not know: as without a profile.
        assert cleaner.clean(text) == cli(text)
        assert cleaner.clean(text, url="https://unknown.org/x") == cli(text)
    cleaner = Cleaner(profile=path)
    rows = cleaner.explain(text, url=url)
    # The page is in the profile: the counts are of the site's 2 other pages.
    assert rows[0] == (False, "site-repeat(2/2)", REPEATED)
    # Below a higher bar the line goes to the model, with the profile's
    # evidence against it.
    rows = Cleaner(profile=path, profile_min_pages=3).explain(text, url=url)
    assert rows[0][1].startswith("model:") and " site-seen(2/2)" in rows[0][1], rows[0]


def test_clean_many_takes_a_url_or_site_per_text(tmp_path):
    recs = records(6)
    cleaner = Cleaner(profile=learned(recs))
    texts = [r["text"] for r in recs]
    urls = [r["url"] for r in recs]
    one_by_one = [cleaner.clean(t, url=u) for t, u in zip(texts, urls)]
    assert all(REPEATED not in t for t in one_by_one)
    assert cleaner.clean_many(texts, urls=urls) == one_by_one
    assert cleaner.clean_many(texts, urls=urls, threads=1) == one_by_one
    sites = ["example.com", "b.co.uk"] * 3
    assert cleaner.clean_many(texts, sites=sites) == one_by_one
    assert cleaner.clean_many(texts) == [cleaner.clean(t) for t in texts]
    with pytest.raises(ValueError, match="one item per text"):
        cleaner.clean_many(texts, urls=urls[:2])


def test_a_cleaner_with_a_profile_pickles_with_it():
    recs = records(6)
    cleaner = Cleaner(profile=learned(recs), profile_min_pages=2, profile_min_share=0.5)
    copy = pickle.loads(pickle.dumps(cleaner))
    text, url = recs[0]["text"], recs[0]["url"]
    assert copy.clean(text, url=url) == cleaner.clean(text, url=url)
    assert REPEATED not in copy.clean(text, url=url)
    assert "profile_min_pages=2" in repr(copy)
    assert kzclean.SiteProfile is SiteProfile
