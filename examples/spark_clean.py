#!/usr/bin/env python3
"""Cleans the text field of JSON Lines records with kzclean, on Spark.

    python examples/spark_clean.py INPUT OUTPUT               # local[*]
    python examples/spark_clean.py --master 'local[2]' INPUT OUTPUT
    spark-submit examples/spark_clean.py INPUT OUTPUT        # a cluster

INPUT is a JSON Lines file, folder or glob (.gz and .bz2 too), anything
Spark's textFile reads; OUTPUT is a new folder of JSON Lines part files.
Every record keeps its other fields as they were; only the text changes, to
what `kzclean < page.txt` prints for it. Records keep their input order.

Needs `pip install kzclean pyspark` where the driver runs, and kzclean on
every worker (docs/pipelines.md: shipping it to a cluster).

Records are read as text lines and decoded with json, not with
spark.read.json: no schema to infer (a pass over all the input), no fields
reordered, nulls kept. The Cleaner is built on the driver, so bad rules stop
the job before it starts, and it reaches each task by pickle (its settings,
rebuilt in some 50 ms per task).
"""

import argparse
import json
import sys


def clean_partition(records, cleaner, field, drop_empty, batch_size):
    """Cleans one partition's JSON lines, batch_size records per clean_many.

    One thread per task: Spark already runs a task per core.
    """
    batch = []

    def flush():
        texts = cleaner.clean_many([r[field] for r in batch], threads=1)
        for record, text in zip(batch, texts):
            if drop_empty and not text.strip():
                continue
            record[field] = text
            yield json.dumps(record, ensure_ascii=False)
        batch.clear()

    for line in records:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise ValueError(f"not a JSON record ({e}): {line[:200]!r}") from None
        if not isinstance(record, dict) or not isinstance(record.get(field), str):
            raise ValueError(f"record without a string field {field!r}: {line[:200]!r}")
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
    parser.add_argument("--master", help="Spark master, e.g. local[2] (default: spark-submit's, else local[*])")
    parser.add_argument("--compress", choices=["gzip", "bzip2"], help="compress the part files")
    args = parser.parse_args(argv)

    from kzclean import Cleaner
    from pyspark.sql import SparkSession

    try:
        cleaner = Cleaner(rules=args.rules or None, preset=args.preset, classifier=not args.no_classifier)
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
        (
            spark.sparkContext.textFile(args.input)
            .mapPartitions(lambda lines: clean_partition(lines, cleaner, field, drop_empty, batch_size))
            .saveAsTextFile(args.output, compressionCodecClass=codec)
        )
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
