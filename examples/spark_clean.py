#!/usr/bin/env python3
"""Cleans the text field of JSON Lines records with kzclean, on Spark.

    python examples/spark_clean.py INPUT OUTPUT               # local[*]
    python examples/spark_clean.py --master 'local[2]' INPUT OUTPUT
    spark-submit examples/spark_clean.py INPUT OUTPUT        # a cluster

INPUT is a JSON Lines file, folder or glob (.gz and .bz2 too), anything
Spark's textFile reads; OUTPUT is a new folder of JSON Lines part files.
Every record keeps its other fields' values (written again by Python's
json: spacing, escapes and the spelling of numbers may change); only the
text changes, to what `kzclean < page.txt` prints for it. Records keep their
input order. A bad record fails the job; the last line says why.

Needs `pip install kzclean pyspark` where the driver runs, and kzclean on
every worker (docs/pipelines.md: shipping it to a cluster).

With --learn-sites, a first pass learns a site profile from INPUT (map: a
kzclean.SiteProfile per partition; reduce: merge them, which equals learning
every page at once) and the second pass cleans with it: each record's site
is its URL field's registered domain, and lines a site repeats on most of
its pages are dropped. --profile FILE uses a profile learned before
(`kzclean learn`, or this script's --save-profile).

Records are read as text lines and decoded with json, not with
spark.read.json: no schema to infer (a pass over all the input), no fields
reordered, nulls kept. The Cleaner is built on the driver, so bad rules stop
the job before it starts, and it reaches each task by pickle (its settings,
rebuilt in some 50 ms per task).
"""

import argparse
import json
import sys


def parse_records(lines, field):
    """The JSON records of a partition's lines (blank lines skipped)."""
    for line in lines:
        if not line.strip():
            continue
        # A UTF-8 byte order mark before a file's first record, which the
        # CLI takes too; json.loads refuses it.
        line = line.removeprefix("\ufeff")
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise ValueError(f"not a JSON record ({e}): {line[:200]!r}") from None
        if not isinstance(record, dict) or not isinstance(record.get(field), str):
            raise ValueError(f"record without a string field {field!r}: {line[:200]!r}")
        if not is_text(record[field]):
            raise ValueError(
                f"field {field!r} has a lone surrogate (a \\uD800-\\uDFFF escape without its pair): half a "
                f"character, not text, and cannot be cleaned: {line[:200]!r}"
            )
        yield record


def is_text(s):
    """False for a str holding lone surrogates (from JSON escapes such as
    "\\ud83d"), which UTF-8 cannot encode."""
    if s.isascii():
        return True
    try:
        s.encode()
    except UnicodeEncodeError:
        return False
    return True


def to_json(record):
    """A record as one JSON line. ensure_ascii=False keeps the text as it
    is, but another field's lone surrogate cannot be written as UTF-8: such
    a record is written with escapes, as the input had it."""
    line = json.dumps(record, ensure_ascii=False)
    return line if is_text(line) else json.dumps(record)


def url_of(record, url_field):
    """The record's URL; None when it has none, or one that is not text."""
    url = record.get(url_field)
    return url if isinstance(url, str) and is_text(url) else None


def learn_partition(lines, field, url_field):
    """The map step of --learn-sites: one partition's site profile (records
    without a URL, or with one that names no site, are not counted)."""
    from kzclean import SiteProfile

    profile = SiteProfile()
    for record in parse_records(lines, field):
        url = url_of(record, url_field)
        if url is not None:
            try:
                profile.add(record[field], url=url)
            except ValueError:
                pass  # a URL without a host: no site to count it for
    yield profile


def merge_profiles(a, b):
    """The reduce step: profiles hold counts, so merging adds them up."""
    a.merge(b)
    return a


def clean_partition(records, cleaner, field, drop_empty, batch_size, url_field=None):
    """Cleans one partition's JSON lines, batch_size records per clean_many;
    with url_field, each record's URL names its site for the profile.

    One thread per task: Spark already runs a task per core.
    """
    batch = []

    def flush():
        urls = [url_of(r, url_field) for r in batch] if url_field else None
        texts = cleaner.clean_many([r[field] for r in batch], threads=1, urls=urls)
        for record, text in zip(batch, texts):
            if drop_empty and not text.strip():
                continue
            record[field] = text
            yield to_json(record)
        batch.clear()

    for record in parse_records(records, field):
        batch.append(record)
        if len(batch) >= batch_size:
            yield from flush()
    if batch:
        yield from flush()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", help="JSON Lines: a file, folder or glob")
    parser.add_argument("output", help="a new folder for the JSON Lines part files")
    parser.add_argument("--field", default="text", help="the field to clean (default: text)")
    parser.add_argument("--rules", action="append", default=[], help="a rule file added to the built-in rules (repeatable)")
    parser.add_argument("--preset", choices=["precision", "recall"], help="as kzclean --precision / --recall")
    parser.add_argument("--no-classifier", action="store_true", help="rules only, as kzclean --no-classifier")
    parser.add_argument("--drop-empty", action="store_true", help="leave out records whose text cleaning empties")
    parser.add_argument("--batch-size", type=int, default=256, help="records per clean_many call (default: 256)")
    parser.add_argument("--learn-sites", action="store_true", help="learn a site profile from INPUT first, then clean with it")
    parser.add_argument("--profile", help="clean with this site profile (kzclean learn's file)")
    parser.add_argument("--save-profile", help="with --learn-sites: also write the learned profile to this file")
    parser.add_argument("--url-field", default="url", help="the field holding each record's URL (default: url)")
    parser.add_argument("--master", help="Spark master, e.g. local[2] (default: spark-submit's, else local[*])")
    parser.add_argument("--compress", choices=["gzip", "bzip2"], help="compress the part files")
    args = parser.parse_args(argv)

    if args.learn_sites and args.profile:
        parser.error("--learn-sites learns the profile; --profile reads one: give one of them")
    if args.save_profile and not args.learn_sites:
        parser.error("--save-profile needs --learn-sites")
    if args.batch_size < 1:
        parser.error(f"--batch-size must be at least 1, not {args.batch_size}")

    from kzclean import Cleaner
    from py4j.protocol import Py4JJavaError
    from pyspark.sql import SparkSession

    def build_cleaner(profile):
        return Cleaner(
            rules=args.rules or None, preset=args.preset, classifier=not args.no_classifier, profile=profile
        )

    try:
        # Built before Spark starts, so bad rules or a bad profile stop the
        # job first (with --learn-sites, rebuilt with the profile it learns).
        cleaner = build_cleaner(args.profile)
    except (ValueError, OSError) as e:
        sys.exit(f"spark_clean: {e}")

    builder = SparkSession.builder.appName("kzclean")
    if args.master:
        builder = builder.master(args.master)
    spark = builder.getOrCreate()
    try:
        codec = {
            None: None,
            "gzip": "org.apache.hadoop.io.compress.GzipCodec",
            "bzip2": "org.apache.hadoop.io.compress.BZip2Codec",
        }[args.compress]
        field, drop_empty, batch_size = args.field, args.drop_empty, args.batch_size
        url_field = args.url_field if (args.learn_sites or args.profile) else None
        lines = spark.sparkContext.textFile(args.input)
        if output_exists(spark, args.output):
            # Spark would say so only when it writes: after the learning pass.
            sys.exit(f"spark_clean: {args.output} already exists; give a new output folder")
        if args.learn_sites:
            profile = lines.mapPartitions(lambda part: learn_partition(part, field, url_field)).treeReduce(
                merge_profiles
            )
            if args.save_profile:
                with open(args.save_profile, "wb") as f:
                    f.write(profile.to_bytes())
            cleaner = build_cleaner(profile)
        (
            lines.mapPartitions(lambda part: clean_partition(part, cleaner, field, drop_empty, batch_size, url_field))
            .saveAsTextFile(args.output, compressionCodecClass=codec)
        )
    except Py4JJavaError as e:
        # Spark has logged its stack traces; end with the cause, in one line.
        sys.exit(f"spark_clean: {job_error(e)}")
    finally:
        spark.stop()


def output_exists(spark, output):
    """Whether the output folder exists, asked of its file system (local,
    HDFS, S3...) as Spark's writer asks it."""
    jvm, conf = spark.sparkContext._jvm, spark.sparkContext._jsc.hadoopConfiguration()
    path = jvm.org.apache.hadoop.fs.Path(output)
    return path.getFileSystem(conf).exists(path)


def job_error(e):
    """A failed job's cause: a task's Python error (the last line of its
    traceback), else the innermost Java exception's message."""
    cause = e.java_exception
    while cause.getCause() is not None:
        cause = cause.getCause()
    message = str(cause.getMessage() or cause.toString())
    if "Traceback (most recent call last)" in message:
        # Spark 4 ends the traceback with a line " SQLSTATE: 38000".
        lines = [x for x in message.splitlines() if x.strip() and not x.strip().startswith("SQLSTATE:")]
        return lines[-1]
    return message


if __name__ == "__main__":
    main()
