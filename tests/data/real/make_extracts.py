"""Rebuild the real-data extracts under tests/data/real/ from the published originals.

Usage::

    python tests/data/real/make_extracts.py SOURCES_DIR

SOURCES_DIR holds the original files, named as below (README.md says where each one comes from). Each is
checked against its SHA-256 before use, so an extract is only ever rebuilt from the very file it was made from.
The extracts are written next to this script; running it twice gives byte-identical files.

Only what the data contract needs and the originals lack is added (an id, a constant platform or event, one
experiment name, a publication date rebuilt from the original's month, weekday and hour); every original value
kept is written as it came (dates, labels, 0/1 flags, ids with leading zeros), since reading those is part of
what the real-data tests test. Mapping onto the contract's names is done by each folder's ``aliases.yaml``.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import sys
import tarfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

SOURCES = {
    # UCI Machine Learning Repository, "Facebook metrics" (id 368), the archive as distributed
    "Facebook_metrics.zip": "48e4739b4acbbcca8f03cbcfe145d82c2e665cdd5bb9e20618690d454ce93fd3",
    # Fader & Hardie's 1/10th CDNOW sample, as shipped in the lifetimes 0.11.3 package (lifetimes/datasets/)
    "CDNOW_sample.txt": "6fae10155c0b0ba363c2c386e30f77990d22328220efd862a5edd1443420d94a",
    # the causaldata 0.1.5 source distribution from PyPI (holds black_politicians.csv, Broockman 2013)
    "causaldata-0.1.5.tar.gz": "5604fb84000c6a8ae3e93630b3624e9f2af4f8700e4465ec3586998b3522fd1c",
    # UCI "Facebook Live Sellers in Thailand" (id 488), the CSV as distributed
    "Live_20210128.csv": "5eaf4e97673d36ab18c959ae6ef827318b413d0669326bcaae8fcdc96041f6e0",
    # UCI "Online Retail" (id 352): its first 240,007 lines as a CSV made them, stored as Parquet (the last line cut)
    "online_retail.parquet": "723577de4efd6b47724ce627ff5b98b710f041c38d3d5bbc3d5622c1ed51cda9",
    # Sanders Twitter sentiment corpus, classifications only (topic, label, tweet id)
    "corpus.csv": "e04490885d65eb393904ef748f082cfaa0610e706fbab6b5d9650fdc662869df",
}

# Twitter ids since November 2010 carry their creation time: milliseconds since this epoch, above bit 22
TWITTER_EPOCH_MS = 1288834974657


def checked(sources: Path, name: str) -> bytes:
    """Return the bytes of one original, refusing a file whose SHA-256 is not the recorded one."""
    data = (sources / name).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != SOURCES[name]:
        raise SystemExit(f"{name}: sha256 {digest} is not the recorded {SOURCES[name]}")
    return data


def write_csv(path: Path, header: list[str], rows: list[list[str]], delimiter: str = ",") -> None:
    """Write rows as CSV with LF line ends (UTF-8), creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


# ------------------------------------------------------------------------------------------- facebook
def publication_dates(rows: list[dict[str, str]], year: int = 2014) -> list[dt.datetime]:
    """Rebuild each post's publication hour from its month, weekday (1 = Sunday) and hour.

    The file lists the posts newest first. Walking it from the oldest, each post gets the first day on or after
    the previous post's day that lies in its month and falls on its weekday (a week later when the same day
    would put it before the previous post's hour). With weekday 1 = Sunday every post lands in its own month; with
    1 = Monday three do not, which is how the coding was told apart.
    """
    dates: list[dt.datetime] = []
    previous = dt.datetime(year, 1, 1)
    for row in reversed(rows):
        month, weekday, hour = (int(row[k]) for k in ("Post Month", "Post Weekday", "Post Hour"))
        day = max(previous.date(), dt.date(year, month, 1))
        while day.isoweekday() % 7 + 1 != weekday:  # isoweekday: Monday 1 .. Sunday 7
            day += dt.timedelta(days=1)
        stamp = dt.datetime.combine(day, dt.time(hour))
        if stamp < previous:
            stamp += dt.timedelta(days=7)
        if stamp.month != month:
            raise SystemExit(f"post of month {month} cannot be placed after {previous}")
        dates.append(stamp)
        previous = stamp
    return dates[::-1]


def facebook_metrics(sources: Path) -> None:
    """posts.csv: the 500 posts as distributed (semicolons, original headers and values) plus three columns."""
    with zipfile.ZipFile(io.BytesIO(checked(sources, "Facebook_metrics.zip"))) as archive:
        text = archive.read("dataset_Facebook.csv").decode("ascii")
    records = list(csv.reader(io.StringIO(text), delimiter=";"))
    header, body = records[0], records[1:]
    dates = publication_dates([dict(zip(header, r, strict=True)) for r in body])
    rows = [[f"{i:03d}", "facebook", f"{d:%Y-%m-%d %H:%M}", *r] for i, (r, d) in enumerate(zip(body, dates, strict=True), 1)]
    write_csv(HERE / "facebook_metrics" / "posts.csv", ["post_id", "platform", "published_at", *header], rows, ";")


def thai_live_sellers(sources: Path) -> None:
    """posts.csv: the 7,050 posts as distributed (dates in two formats, no impressions) plus a platform column."""
    records = list(csv.reader(io.StringIO(checked(sources, "Live_20210128.csv").decode("ascii"))))
    header, body = records[0], records[1:]
    write_csv(HERE / "thai_live_sellers" / "posts.csv", [*header, "platform"], [[*r, "facebook"] for r in body])


# ---------------------------------------------------------------------------------------------- cdnow
def cdnow(sources: Path) -> None:
    """events.csv: every purchase of the 2,357-customer CDNOW cohort, one row per line of the original."""
    lines = checked(sources, "CDNOW_sample.txt").decode("ascii").splitlines()
    rows = [[*line.split(), "purchase"] for line in lines if line.strip()]
    header = ["customer_id", "sample_id", "date", "number_of_cds", "dollar_value", "event"]
    write_csv(HERE / "cdnow" / "events.csv", header, rows)


# --------------------------------------------------------------------------------------------- online retail
def online_retail(sources: Path) -> None:
    """events.csv: one purchase per invoice of a known customer, up to 2011-06-25, with the invoice's total.

    The copy ends inside 2011-06-26 (its last line cut short), so that day is left out whole. Cancellations
    (invoice numbers starting with C), lines without a customer and invoices that total nothing are left out:
    the contract has no return event, and a purchase needs a buyer and an amount.
    """
    import pandas as pd  # only this extract needs it (the original is Parquet)

    checked(sources, "online_retail.parquet")
    lines = pd.read_parquet(sources / "online_retail.parquet")
    when = pd.to_datetime(lines.InvoiceDate, format="%m/%d/%y %H:%M", errors="coerce")
    keep = (when < "2011-06-26") & lines.CustomerID.notna() & ~lines.InvoiceNo.str.startswith("C")
    lines = lines[keep].assign(total=lines.Quantity * lines.UnitPrice)
    invoices = lines.groupby("InvoiceNo", sort=False).agg(
        InvoiceDate=("InvoiceDate", "first"), CustomerID=("CustomerID", "first"),
        Country=("Country", "first"), total=("total", "sum"),
    )
    invoices = invoices[invoices.total.round(2) > 0]
    rows = [[number, r.InvoiceDate, f"{r.CustomerID:.0f}", r.Country, f"{r.total:.2f}", "purchase"]
            for number, r in invoices.iterrows()]
    header = ["InvoiceNo", "InvoiceDate", "CustomerID", "Country", "invoice_total", "event"]
    write_csv(HERE / "online_retail" / "events.csv", header, rows)


# --------------------------------------------------------------------------------------------- broockman
def broockman(sources: Path) -> None:
    """experiment.csv: Broockman's 5,593 e-mailed legislators, with an experiment name and a unit id added."""
    with tarfile.open(fileobj=io.BytesIO(checked(sources, "causaldata-0.1.5.tar.gz"))) as archive:
        member = archive.extractfile("causaldata-0.1.5/causaldata/black_politicians/black_politicians.csv")
        text = member.read().decode("ascii")
    records = list(csv.reader(io.StringIO(text)))
    header, body = records[0], records[1:]
    rows = [["broockman2013", f"L{i:04d}", *r] for i, r in enumerate(body, 1)]
    write_csv(HERE / "broockman_email" / "experiment.csv", ["experiment", "legislator", *header], rows)


# ----------------------------------------------------------------------------------------------- sanders
def tweet_time(tweet_id: str) -> str:
    """Creation time of a tweet, from its id, in Twitter's own ``created_at`` format (UTC)."""
    millis = (int(tweet_id) >> 22) + TWITTER_EPOCH_MS
    stamp = dt.datetime.fromtimestamp(millis // 1000, dt.UTC)
    return stamp.strftime("%a %b %d %H:%M:%S +0000 %Y")


def sanders_apple(sources: Path) -> None:
    """mentions.csv: the tweets the corpus labels as about Apple, with their creation time, no text."""
    records = list(csv.reader(io.StringIO(checked(sources, "corpus.csv").decode("ascii"))))
    # "irrelevant" marks tweets not about the topic (or not in English): not mentions of the brand
    kept = [r for r in records if r[0] == "apple" and r[1] != "irrelevant"]
    rows = [[topic, label, tweet_id, tweet_time(tweet_id), "twitter"] for topic, label, tweet_id in kept]
    header = ["Topic", "Sentiment", "TweetId", "TweetDate", "platform"]
    write_csv(HERE / "sanders_apple" / "mentions.csv", header, rows)


def main(argv: list[str]) -> None:
    """Rebuild every extract from the originals in ``argv[1]``."""
    if len(argv) != 2:
        raise SystemExit(__doc__)
    sources = Path(argv[1])
    for build in (facebook_metrics, thai_live_sellers, cdnow, online_retail, broockman, sanders_apple):
        build(sources)


if __name__ == "__main__":
    main(sys.argv)
