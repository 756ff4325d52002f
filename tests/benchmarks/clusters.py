"""Story-cluster benchmark: false merges, missed copies, cost per story, a million-story lookup.

Not part of the test run (no ``test_`` prefix). Three measurements:

1. **Decisions** on the gold bodies of newsbench's page sets (read where they lie, nothing
   copied): copies made the ways outlets copy (a sister site's dateline, "Baca juga" line, cut
   last paragraph and credit; a heavier rewrite that also cuts a second paragraph and adds one
   of the copier's own; a wire re-run with the first and last paragraphs cut), and pairs of
   *different* reports that share a subject: two real stories naming the same person or place,
   a follow-up that repeats two paragraphs of yesterday's story as background, two short
   stories sharing a boilerplate paragraph. Each pair goes through the production rule
   (``scheduler/clustering.py``: enough shingles, a shared LSH band, the signatures' estimate,
   then the exact Jaccard) at the chosen threshold and at others: pairs tried, merged wrongly,
   copies missed. (A live blog's updates are on one host, which the rule never merges.)
2. **Cost per new story**: ``cluster_new_stories`` over stores of real bodies, CPU per story
   and the bytes its signature and bands add to the database (SQLite's ``dbstat``).
3. **Lookup at a million stories**: a store filled with 1,000,000 stories' signatures and bands
   (random signatures, as many distinct reports would give), and the time to find a new
   story's candidates and read their signatures at 10,000, 100,000 and 1,000,000 stories.

Usage, from the repository root::

    python tests/benchmarks/clusters.py [--sets DIR ...] [--skip-million] [--million N]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_SETS = REPO.parent / "shared" / "bench" / "data"

from newswatch.scheduler import clustering as c  # noqa: E402
from newswatch.storage import clusters as stored  # noqa: E402
from newswatch.storage.store import NewStory, Store  # noqa: E402

THRESHOLDS = (0.3, 0.4, 0.5, 0.6)
NAME = re.compile(r"(?<=\w )([A-Z][a-z]+ [A-Z][a-z]+)")


def gold_pages(sets: list[Path]) -> list[tuple[str, str, list[str]]]:
    """(id, title, paragraphs) of every page with a gold body of three paragraphs or more; a
    page whose URL an earlier set holds too (one report, crawled twice) only once."""
    pages, urls = [], set()
    for folder in sets:
        for line in (folder / "pages.jsonl").open(encoding="utf-8"):
            page = json.loads(line)
            body = (page.get("gold") or {}).get("body")
            paras = [p for p in (body or "").split("\n\n") if p.strip()]
            if len(paras) >= 3 and page["url"] not in urls:
                urls.add(page["url"])
                pages.append((page["id"], (page["gold"] or {}).get("title") or "", paras))
    return pages


# -- how outlets copy, and what different reports share ----------------------------------------


def sister(paras: list[str], see_also: str, k: int) -> str:
    out = [f"OUTLET{k:02d}.COM - {paras[0]}", paras[1], f"Baca juga: {see_also}", *paras[2:-1]]
    return "\n\n".join([*out, f"Sumber: Outlet{k:02d}.Com"])


def heavier(paras: list[str], see_also: str, own: str, k: int) -> str:
    cut = [p for i, p in enumerate(paras) if i not in (len(paras) // 2, len(paras) - 1)]
    out = [f"OUTLET{k:02d}.COM - {cut[0]}", f"Baca juga: {see_also}", *cut[1:], own]
    return "\n\n".join([*out, f"Sumber: Outlet{k:02d}.Com"])


def wire_rerun(paras: list[str], k: int) -> str:
    middle = paras[1:-1] if len(paras) > 3 else paras
    return "\n\n".join([f"JAKARTA (OUTLET{k:02d}) - {middle[0]}", *middle[1:]])


def copies(pages) -> dict[str, list[tuple[str, str]]]:
    """Kind of copy -> (report, copy) pairs."""
    made: dict[str, list[tuple[str, str]]] = {"sister": [], "heavier": [], "wire": []}
    for i, (_, _, paras) in enumerate(pages):
        other_title = pages[(i + 7) % len(pages)][1] or "Berita lain"
        own = pages[(i + 13) % len(pages)][2][0]  # a paragraph of an unrelated story
        report = "\n\n".join(paras)
        made["sister"].append((report, sister(paras, other_title, i % 50)))
        made["heavier"].append((report, heavier(paras, other_title, own, i % 50)))
        made["wire"].append((report, wire_rerun(paras, i % 50)))
    return made


def distinct(pages, rng: random.Random) -> dict[str, list[tuple[str, str]]]:
    """Kind of pair -> pairs of bodies of different reports that share a subject."""
    by_name: dict[str, set[int]] = {}
    for i, (_, title, paras) in enumerate(pages):
        for name in set(NAME.findall(title + " " + " ".join(paras))):
            by_name.setdefault(name, set()).add(i)
    pairs = set()
    for ids in by_name.values():
        if 2 <= len(ids) <= 60:  # a subject, not a word every story has
            pairs.update(itertools.combinations(sorted(ids), 2))
    subject = [("\n\n".join(pages[a][2]), "\n\n".join(pages[b][2])) for a, b in sorted(pairs)]
    follow_ups, boilerplate = [], []
    for a, b in sorted(pairs)[:2000]:
        yesterday, today = pages[a][2], pages[b][2]
        follow_ups.append(("\n\n".join(yesterday), "\n\n".join([*today, *yesterday[-2:]])))
    shared = [pages[i][2][0] for i in rng.sample(range(len(pages)), 50)]
    for i in range(0, len(pages) - 1, 2):
        common = shared[i % len(shared)]
        own_a, own_b = pages[i][2][:2], pages[i + 1][2][:2]
        if min(len(c.shingles("\n\n".join(own))) for own in (own_a, own_b)) < c.MIN_SHINGLES:
            continue  # two headings and a shared paragraph: no story of its own to tell apart
        boilerplate.append(("\n\n".join([*own_a, common]), "\n\n".join([*own_b, common])))
    return {"same subject": subject, "follow-up": follow_ups, "shared boilerplate": boilerplate}


class Text:
    """A body as the production rule sees it."""

    def __init__(self, body: str) -> None:
        self.body = body
        self.shingles = c.shingles(body)
        self.enough = len(self.shingles) >= c.MIN_SHINGLES
        self.sig = c.signature(self.shingles) if self.enough else b""
        self.keys = set(c.band_keys(self.sig)) if self.enough else set()


def judged(a: Text, b: Text, threshold: float) -> bool:
    """``cluster_new_stories``'s decision for two stories on two hosts within the window."""
    if not (a.enough and b.enough and a.keys & b.keys):
        return False
    if c.similarity(a.sig, b.sig) < c.LIKELY:
        return False
    chosen, c.THRESHOLD = c.THRESHOLD, threshold
    try:
        return c.same_report(a.body, a.shingles, b.body)
    finally:
        c.THRESHOLD = chosen


def decisions(sets: list[Path]) -> dict:
    pages = gold_pages(sets)
    rng = random.Random(1)
    report: dict = {"pages": len(pages), "copies": {}, "distinct": {}}
    for label, groups in (("copies", copies(pages)), ("distinct", distinct(pages, rng))):
        for kind, pairs in groups.items():
            texts = [(Text(a), Text(b)) for a, b in pairs]
            exact = sorted(c.jaccard(a.shingles, b.shingles) for a, b in texts)
            row = {"pairs": len(texts), "too short": sum(not b.enough for _, b in texts)}
            row["jaccard min/median/max"] = [
                round(exact[0], 3),
                round(statistics.median(exact), 3),
                round(exact[-1], 3),
            ]
            for t in THRESHOLDS:
                merged = sum(judged(a, b, t) for a, b in texts)
                row[f"at {t}"] = (len(texts) - merged) if label == "copies" else merged
            report[label][kind] = row
    return report


# -- cost per new story ------------------------------------------------------------------------


def table_bytes(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall()
    finally:
        conn.close()
    return dict(rows)


def cost(sets: list[Path], rounds: int = 3) -> dict:
    pages = gold_pages(sets)
    bodies = ["\n\n".join(paras) for _, _, paras in pages]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cost.db"
        per_story, stories = [], 0
        with Store(path) as store:
            c.cluster_new_stories(store)  # the index's bookkeeping, once
            for r in range(rounds):
                for i, body in enumerate(bodies):
                    url = f"https://outlet{i % 40}.example/{r}/{i}"
                    store.add_story(NewStory(url, f"t{i}", body, None, [], "wire"))
                start = time.process_time()
                c.cluster_new_stories(store)
                per_story.append((time.process_time() - start) / len(bodies))
                stories += len(bodies)
            signed = store.db.execute("SELECT count(*) FROM story_signatures").fetchone()[0]
        sizes = table_bytes(path)
    index = ("story_signatures", "story_bands", "sqlite_autoindex_story_signatures_1")
    added = sum(sizes.get(name, 0) for name in index) + sizes.get("stories_by_cluster", 0)
    return {
        "stories": stories,
        "signed": signed,
        "ms per story (each round)": [round(x * 1000, 3) for x in per_story],
        "bytes per signed story": round(added / signed),
        "bytes by table": {name: sizes.get(name, 0) for name in (*index, "stories_by_cluster")},
    }


# -- a million stories ---------------------------------------------------------------------------


def fill(store: Store, start: int, count: int, rng: random.Random) -> None:
    """``count`` stories from id ``start`` with random signatures and their bands, as the
    production tables hold them (bodies left empty: the lookup never reads them)."""
    import numpy

    conn = store.db.conn
    batch = 20_000
    for first in range(start, start + count, batch):
        n = min(batch, start + count - first)
        sigs = numpy.random.default_rng(rng.getrandbits(32)).integers(
            0, 2**32, size=(n, c.NUM_PERM), dtype="<u4"
        )
        ids = range(first, first + n)
        with conn:
            conn.executemany(
                "INSERT INTO stories (id, url, title, body, feed, first_seen, cluster_id)"
                " VALUES (?, ?, '', '', 'f', '2026-01-01T00:00:00+00:00', ?)",
                [(i, f"https://o{i % 50}.example/{i}", i) for i in ids],
            )
            conn.executemany(
                "INSERT INTO story_signatures (story_id, signature, host) VALUES (?, ?, ?)",
                [(i, sigs[j].tobytes(), f"o{i % 50}.example") for j, i in enumerate(ids)],
            )
            conn.executemany(
                "INSERT INTO story_bands (band_key, story_id) VALUES (?, ?)",
                [(key, i) for j, i in enumerate(ids) for key in c.band_keys(sigs[j].tobytes())],
            )


def lookups(store: Store, probes: list[Text]) -> float:
    """Mean ms to find a new story's candidates and read their signatures."""
    start = time.perf_counter()
    for text in probes:
        found = stored.candidates(store, sorted(text.keys))
        stored.signatures(store, found)
    return (time.perf_counter() - start) * 1000 / len(probes)


def million(sets: list[Path], total: int) -> dict:
    pages = gold_pages(sets)
    probes = [Text("\n\n".join(paras)) for _, _, paras in pages]
    probes = [p for p in probes if p.enough]
    rng = random.Random(2)
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "million.db"
        with Store(path) as store:
            conn = store.db.conn
            # The FTS triggers index text the lookup never reads: off while filling.
            triggers = conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
                " AND tbl_name = 'stories'"
            ).fetchall()
            for name, _ in triggers:
                conn.execute(f"DROP TRIGGER {name}")
            have = 0
            for size in (10_000, 100_000, total):
                start = time.perf_counter()
                fill(store, have + 1, size - have, rng)
                filled = time.perf_counter() - start
                have = size
                lookups(store, probes[:50])  # warm the cache as a running store is
                out[f"{size:,} stories"] = {
                    "ms per lookup": round(lookups(store, probes), 3),
                    "fill s": round(filled, 1),
                    "db MB": round(os.path.getsize(path) / 1e6),
                }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", nargs="*", type=Path)
    parser.add_argument("--skip-million", action="store_true")
    parser.add_argument("--million", type=int, default=1_000_000)
    args = parser.parse_args()
    sets = args.sets or sorted(p.parent for p in DEFAULT_SETS.glob("*/pages.jsonl"))
    if not sets:
        print(f"no page sets under {DEFAULT_SETS}", file=sys.stderr)
        return 1
    report = {"threshold": c.THRESHOLD, "decisions": decisions(sets), "cost": cost(sets)}
    if not args.skip_million:
        report["lookup"] = million(sets, args.million)
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
