"""Extraction benchmark: ``parse_article`` alone beside trafilatura alone, on gold page sets.

Not part of the test run (no ``test_`` prefix). It reads page sets in the newsbench format
(``pages.jsonl`` rows ``{id, file, url, lang, gold: {body, title, published, authors}}`` with
``html/<id>.html.gz`` beside them), serves nothing, and scores both extractors the way
``../shared/bench/newsbench.py`` scores stored stories:

- body: zyte article-extraction-benchmark scores over 4-gram shingle multisets (mean P, mean R,
  F1 of the means) on pages with a gold body;
- title: exact match after NFC, case folding and whitespace collapsing;
- date: the first 10 characters of the prediction equal the gold day;
- authors: the folded name sets are equal (pages with a non-empty gold author list only).

Like newsbench, each page is first rewritten so that its rel=canonical and og:url point at a
loopback mirror URL, which is also the URL both extractors are given (trafilatura gets none,
as in newsbench's baseline). CPU is process time per page, measured around each extractor call,
pages interleaved. Nothing is copied into the repository.

Usage, from the repository root::

    python tests/benchmarks/extraction.py [--sets DIR ...] [--dump OUT.jsonl] [--show FIELD]
"""

from __future__ import annotations

import argparse
import glob
import gzip
import json
import re
import sys
import time
import unicodedata
from collections import Counter
from datetime import date
from pathlib import Path
from statistics import mean

REPO = Path(__file__).resolve().parents[2]
DEFAULT_SETS = REPO.parent / "shared" / "bench" / "data"
TOKEN_RE = re.compile(r"\w+", re.UNICODE | re.MULTILINE | re.IGNORECASE | re.DOTALL)
CANONICAL_RE = re.compile(rb"<link\b[^>]*\brel\s*=\s*[\"']?canonical\b[^>]*>", re.I)
OG_URL_RE = re.compile(rb"<meta\b[^>]*\bproperty\s*=\s*[\"']?og:url\b[^>]*>", re.I)
HEAD_RE = re.compile(rb"<head\b[^>]*>", re.I)
FIELDS = ("body", "title", "date", "authors")
TODAY = date.today()  # the day the pages are read, as the spider gives it to parse_article


# ------------------------------------------------------------------ scoring (as newsbench)


def shingles(text: str | None, n: int = 4) -> Counter:
    """Multiset of the text's 4-grams of \\w+ tokens (a single shorter one for short texts)."""
    tokens = TOKEN_RE.findall(text or "")
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens)


def body_scores(pairs: list[tuple[str, str]]) -> dict:
    """Mean shingle precision and recall over documents, F1 of the two means (newsbench)."""
    if not pairs:
        return {"n": 0, "f1": None, "precision": None, "recall": None}
    precisions, recalls = [], []
    for gold, pred in pairs:
        g, p = shingles(gold), shingles(pred)
        tp, fp, fn = sum((g & p).values()), sum((p - g).values()), sum((g - p).values())
        if tp + fp:
            precisions.append(tp / (tp + fp))
        if tp + fn:
            recalls.append(tp / (tp + fn))
    precision, recall = mean(precisions or [0.0]), mean(recalls or [0.0])
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"n": len(pairs), "f1": f1, "precision": precision, "recall": recall}


def fold(text: str | None) -> str:
    """NFC, case-folded, whitespace-collapsed text for exact comparisons (newsbench)."""
    return " ".join(unicodedata.normalize("NFC", text or "").casefold().split())


def checks(page: dict, pred: dict) -> dict[str, bool]:
    """Per-field right/wrong for the fields this page has gold for."""
    gold, out = page["gold"], {}
    if gold.get("title"):
        out["title"] = fold(gold["title"]) == fold(pred["title"])
    if gold.get("published"):
        out["date"] = (pred["published"] or "")[:10] == gold["published"]
    if gold.get("authors"):
        out["authors"] = {fold(a) for a in gold["authors"]} == {fold(a) for a in pred["authors"]}
    return out


def scores(pages: list[dict], preds: dict[str, dict]) -> dict:
    """Body P/R/F1 and title/date/author accuracy over the pages with each gold field."""
    got = [(p, preds[p["id"]]) for p in pages]
    result = {"pages": len(pages)}
    result["body"] = body_scores(
        [(p["gold"]["body"], x["body"]) for p, x in got if p["gold"].get("body")]
    )
    for name in ("title", "date", "authors"):
        marks = [c[name] for p, x in got for c in [checks(p, x)] if name in c]
        result[name] = (sum(marks) / len(marks)) if marks else None
    result["cpu_ms"] = 1000 * sum(x["cpu"] for _, x in got) / max(1, len(got))
    return result


# ------------------------------------------------------------------ pages and extractors


def load_sets(dirs: list[Path]) -> list[dict]:
    """Rows of every set's pages.jsonl, each with its set name and page file path."""
    pages = []
    for folder in dirs:
        for line in (folder / "pages.jsonl").read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            row["set"] = folder.name
            row["path"] = folder / row["file"]
            pages.append(row)
    return pages


def rewrite_html(raw: bytes, url: str) -> bytes:
    """Point rel=canonical and og:url at the mirror URL, as newsbench's mirror does."""
    link = b'<link rel="canonical" href="%s">' % url.encode()
    meta = b'<meta property="og:url" content="%s">' % url.encode()
    raw, n_link = CANONICAL_RE.subn(link, raw)
    raw, n_meta = OG_URL_RE.subn(meta, raw)
    missing = (b"" if n_link else link) + (b"" if n_meta else meta)
    head = HEAD_RE.search(raw)
    at = head.end() if head else 0
    return raw[:at] + missing + raw[at:]


def run_ours(raw: bytes, url: str) -> dict:
    """parse_article's fields, as the product would store them."""
    from newswatch.crawler.article import parse_article

    art = parse_article(raw, url, as_of=TODAY)
    return {
        "body": art.body,
        "title": art.title,
        "published": art.published,
        "authors": list(art.authors),
    }


def run_trafilatura(raw: bytes, url: str) -> dict:
    """trafilatura alone, exactly as newsbench's baseline calls it (no URL)."""
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(raw, with_metadata=True, include_comments=False)
    except Exception:  # noqa: BLE001 - the baseline scores a failure as an empty result
        doc = None
    got = (doc if isinstance(doc, dict) else doc.as_dict()) if doc is not None else {}
    authors = [a.strip() for a in (got.get("author") or "").split(";") if a.strip()]
    return {
        "body": got.get("text") or "",
        "title": got.get("title"),
        "published": got.get("date"),
        "authors": authors,
    }


EXTRACTORS = {"ours": run_ours, "trafilatura": run_trafilatura}


def extract_all(pages: list[dict]) -> dict[str, dict[str, dict]]:
    """Both extractors on every page, interleaved, each call timed in process time."""
    preds: dict[str, dict[str, dict]] = {name: {} for name in EXTRACTORS}
    if pages:  # warm both up on a real page: first calls load lazy modules (dateparser...)
        raw = gzip.decompress(pages[0]["path"].read_bytes())
        for fn in EXTRACTORS.values():
            fn(raw, "http://127.0.0.1/news/warm.html")
    for i, page in enumerate(pages):
        url = f"http://127.0.0.{10 + i % 50}:8080/news/{page['id']}.html"
        raw = rewrite_html(gzip.decompress(page["path"].read_bytes()), url)
        for name, fn in EXTRACTORS.items():
            start = time.process_time()
            pred = fn(raw, url)
            pred["cpu"] = time.process_time() - start
            preds[name][page["id"]] = pred
    return preds


# ------------------------------------------------------------------ output


def fmt(value: float | None) -> str:
    """A table cell: 3 decimals, '-' when the set has no gold for the column."""
    return "-" if value is None else f"{value:.3f}"


def table(pages: list[dict], preds: dict[str, dict[str, dict]]) -> list[str]:
    """Rows per set and extractor, then all sets, then CPU ratio."""
    lines = [
        f"{'set':<12}{'extractor':<13}{'pages':>5} "
        + " ".join(f"{h:>6}" for h in ("F1", "P", "R", "title", "date", "author", "ms/pg"))
    ]
    groups = sorted({p["set"] for p in pages}) + ["all"]
    for group in groups:
        members = [p for p in pages if group in ("all", p["set"])]
        for name in EXTRACTORS:
            s = scores(members, preds[name])
            cells = (
                s["body"]["f1"],
                s["body"]["precision"],
                s["body"]["recall"],
                s["title"],
                s["date"],
                s["authors"],
            )
            lines.append(
                f"{group:<12}{name:<13}{s['pages']:>5} "
                + " ".join(f"{fmt(v):>6}" for v in cells)
                + f" {s['cpu_ms']:>6.1f}"
            )
    cpu = {n: sum(x["cpu"] for x in preds[n].values()) for n in EXTRACTORS}
    lines.append(
        f"CPU per page, ours / trafilatura: {cpu['ours'] / max(cpu['trafilatura'], 1e-9):.3f}"
    )
    return lines


def show_misses(pages: list[dict], preds: dict[str, dict[str, dict]], field: str) -> list[str]:
    """Pages where ours gets a field wrong: gold, ours, trafilatura."""
    out = []
    for page in pages:
        mine = checks(page, preds["ours"][page["id"]])
        if field in mine and not mine[field]:
            key = {"date": "published"}.get(field, field)
            theirs = checks(page, preds["trafilatura"][page["id"]]).get(field)
            out.append(
                f"{page['id']}  [traf {'ok' if theirs else 'wrong'}]\n"
                f"   gold: {page['gold'].get(key)!r}\n"
                f"   ours: {preds['ours'][page['id']][key]!r}\n"
                f"   traf: {preds['trafilatura'][page['id']][key]!r}"
            )
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sets",
        nargs="+",
        type=Path,
        metavar="DIR",
        help="page-set folders with pages.jsonl (default: ../shared/bench/data/*)",
    )
    parser.add_argument("--dump", type=Path, metavar="OUT.jsonl", help="write every prediction")
    parser.add_argument(
        "--show",
        choices=("title", "date", "authors"),
        help="list the pages where ours gets this field wrong",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run both extractors over the sets and print the table."""
    args = parse_args(argv)
    dirs = args.sets or [Path(p) for p in sorted(glob.glob(str(DEFAULT_SETS / "*")))]
    dirs = [d for d in dirs if (d / "pages.jsonl").is_file()]
    if not dirs:
        print("no page sets found; pass --sets DIR ...", file=sys.stderr)
        return 2
    pages = load_sets(dirs)
    preds = extract_all(pages)
    if args.dump:
        with args.dump.open("w", encoding="utf-8") as out:
            for name, rows in preds.items():
                for pid, row in rows.items():
                    out.write(json.dumps({"extractor": name, "id": pid, **row}) + "\n")
    if args.show:
        print("\n".join(show_misses(pages, preds, args.show)))
    print("\n".join(table(pages, preds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
