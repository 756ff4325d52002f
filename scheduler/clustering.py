"""Story clusters: the same report on many outlets, told apart from two reports on one subject.

Networks publish one report many times (Tribun's regional sites, Kompas's sister titles, an
Antara or AP wire on dozens of outlets), each copy a little different: the copying outlet's
dateline, a "Baca juga" line inside, a paragraph cut or added, a reworded headline. A story
joins the cluster of the earliest stored story it nearly duplicates, so a topic alerts once per
report (``storage/topics.py``) and every place says where else it ran.

How: the body's 3-word shingles (words casefolded, language-independent), a MinHash signature
of them (datasketch's affine32 MinHash, 64 permutations, 256 bytes), and LSH on 32 bands of 2
rows kept in SQLite (``story_bands``), so a new story's candidates are a few index lookups
whatever the store's size. The signatures only choose candidates: a candidate whose estimate
reaches ``LIKELY`` is read, and is a copy when the exact Jaccard of the two bodies' shingles is
``THRESHOLD`` (0.4) or more and what they share spans two paragraphs or more of each
(``same_report``).

Why these numbers (``python tests/benchmarks/clusters.py``, on the bench's gold bodies): the
sister-site rewrites of 327 reports have a Jaccard of 0.57 at the least (median 0.92), while
1,383 pairs of different reports that share a subject (two stories naming the same person)
reach 0.17 at most, and follow-ups repeating two paragraphs of the earlier story 0.28. 3-word
shingles keep that gap widest among 2 to 5. With 32 bands of 2 rows no copy of Jaccard 0.4 or
more among 981 made from those bodies failed to become a candidate (21 bands of 3 missed 4),
and 4 in 53,628 pairs of unrelated stories became one (then dropped by the exact count).

Two rules keep different reports apart: a near-duplicate on the *same* host (``site/a`` and
``site/b``) is a follow-up or a live blog's next update, never a copy; and a copy must come
within ``WINDOW`` of the report (three days: a wire copy runs the same day or the next; a
story weeks later with the same text is news again). A body too short to tell (a feed entry's
summary, a stub) stays alone. The "Sumber: X" credit line is shown, never used as evidence.
"""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import datetime, timedelta
from functools import cache

from ..crawler.urls import outlet_of
from ..storage import clusters as stored
from ..storage.store import Store, iso

SHINGLE_WORDS = 3
NUM_PERM = 64
BANDS, ROWS = 32, 2  # the 64 values in bands of 2
SEED = 1
SCHEME = "affine32"  # 32-bit values: 256 bytes a signature
THRESHOLD = 0.4  # Jaccard similarity of two bodies' shingles, counted exactly
LIKELY = 0.25  # the signatures' estimate that sends a candidate to the exact count
WINDOW = timedelta(days=3)
MIN_SHINGLES = 30  # fewer: too little text to call two stories one
PARAGRAPH_SHINGLES = 5  # shorter paragraphs (a "Baca juga" line, a credit) are not counted
logger = logging.getLogger("newswatch.clusters")
_WORD = re.compile(r"\w+")
# How the stored index was made (``meta``): a version that makes signatures or bands another
# way rebuilds them on its first cycle, for the stories still inside the window.
SIGNATURES_MADE = f"{SHINGLE_WORDS}-word shingles, {NUM_PERM} {SCHEME} permutations, seed {SEED}"
BANDS_MADE = f"{BANDS} bands of {ROWS}"
PRUNE_EVERY = timedelta(days=1)
BATCH = 1000  # stories read and recorded at a time


@cache
def _permutations():
    """datasketch's affine32 permutations for ``SEED``: odd multipliers and offsets, 32 bits."""
    import numpy  # loaded only when a cycle clusters

    gen = numpy.random.RandomState(SEED)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=numpy.uint32) * numpy.uint32(2) + numpy.uint32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=numpy.uint32)
    return a, b


def shingles(body: str | None) -> set[bytes]:
    """The body's runs of ``SHINGLE_WORDS`` words, casefolded (any language, any script)."""
    words = _WORD.findall((body or "").casefold())
    k = SHINGLE_WORDS
    return {" ".join(words[i : i + k]).encode() for i in range(len(words) - k + 1)}


def signature(found: set[bytes]) -> bytes:
    """The MinHash signature of a set of shingles: ``NUM_PERM`` 32-bit values, the very values
    datasketch's ``MinHash(num_perm=NUM_PERM, seed=SEED, scheme="affine32")`` computes after
    ``update_batch`` (tests/test_clusters.py checks it against datasketch).

    Why not datasketch itself at run time: importing its package loads scipy for its LSH
    classes, 0.46 s of CPU and 55 MB in every crawl process (measured), for a computation of a
    few lines: each shingle's SHA-1 (its first 4 bytes), mixed by MurmurHash3's finalizer, then
    ``a * h + b`` modulo 2**32 per permutation, and the least value of each.
    """
    import numpy

    a, b = _permutations()
    hv = numpy.fromiter(
        (int.from_bytes(hashlib.sha1(s).digest()[:4], "little") for s in found),
        dtype=numpy.uint32,
        count=len(found),
    ).reshape(-1, 1)
    hv = hv ^ (hv >> numpy.uint32(16))
    hv = hv * numpy.uint32(0x85EBCA6B)
    hv = hv ^ (hv >> numpy.uint32(13))
    hv = hv * numpy.uint32(0xC2B2AE35)
    hv = hv ^ (hv >> numpy.uint32(16))
    values = (hv * a + b).min(axis=0) if len(found) else numpy.full(NUM_PERM, 2**32 - 1)
    return values.astype("<u4").tobytes()


def band_keys(sig: bytes) -> list[int]:
    """One key per band: equal keys mean the two signatures agree on that band's rows."""
    keys = []
    for band in range(BANDS):
        chunk = sig[band * ROWS * 4 : (band + 1) * ROWS * 4]
        digest = hashlib.blake2b(chunk + bytes([band]), digest_size=8).digest()
        keys.append(int.from_bytes(digest, "big") >> 1)  # a signed 64-bit SQLite integer
    return keys


def jaccard(a: set[bytes], b: set[bytes]) -> float:
    """The share of shingles two bodies have in common, of all they have."""
    return len(a & b) / len(a | b) if a and b else 0.0


def paragraphs_shared(body: str | None, other: set[bytes]) -> tuple[int, int]:
    """(paragraphs of ``body`` whose shingles are mostly in ``other``, paragraphs counted):
    a paragraph of fewer than ``PARAGRAPH_SHINGLES`` shingles ("Baca juga: ...", a credit
    line) is not counted."""
    shared = counted = 0
    for paragraph in (body or "").split("\n\n"):
        found = shingles(paragraph)
        if len(found) >= PARAGRAPH_SHINGLES:
            counted += 1
            shared += len(found & other) * 2 >= len(found)
    return shared, counted


def same_report(body: str | None, found: set[bytes], other_body: str | None) -> bool:
    """Whether two bodies on two outlets are copies of one report: their shingles' Jaccard is
    ``THRESHOLD`` or more, and what they share is spread over two paragraphs or more of each
    (all of a text of one paragraph). The second rule keeps apart two short stories that share
    one long boilerplate paragraph ("follow us on ..."), whose Jaccard can pass the first."""
    other = shingles(other_body)
    if jaccard(found, other) < THRESHOLD:
        return False
    for text, against in ((body, other), (other_body, found)):
        shared, counted = paragraphs_shared(text, against)
        if shared < min(2, counted):
            return False
    return True


def similarity(a: bytes, b: bytes) -> float:
    """The Jaccard similarity the two signatures estimate: the share of equal values."""
    import numpy

    return float(numpy.mean(numpy.frombuffer(a, "<u4") == numpy.frombuffer(b, "<u4")))


def keep_index(store: Store) -> str | None:
    """Rebuild or prune the band index when needed; says what it did, if anything.

    Only stories first seen within ``WINDOW`` (and a day: pruning runs once a day) can still be
    copied, so the bands of older ones are dropped and a rebuild reads only the window's
    stories: the index holds days of news whatever the store's size. Cluster ids are never
    rewritten: a report stays one report.
    """
    now = datetime.fromisoformat(store.now())
    pruned = stored.meta(store, "cluster_pruned")
    if (
        stored.meta(store, "cluster_signatures") == SIGNATURES_MADE
        and stored.meta(store, "cluster_bands") == BANDS_MADE
        and pruned is not None
        and datetime.fromisoformat(pruned) > now - PRUNE_EVERY
    ):
        return None  # the common case: three reads of meta
    first = stored.first_story_since(store, iso(now - WINDOW - PRUNE_EVERY))
    first = first if first is not None else stored.clustered_through(store) + 1
    made = {"cluster_signatures": SIGNATURES_MADE, "cluster_bands": BANDS_MADE}
    made["cluster_pruned"] = iso(now)
    if stored.meta(store, "cluster_signatures") != SIGNATURES_MADE:
        rows = stored.stories_to_cluster(store, first - 1, stored.clustered_through(store))
        signed = []
        for story_id, url, _title, body, _seen in rows:
            found = shingles(body)
            if len(found) >= MIN_SHINGLES:
                sig = signature(found)
                signed.append((story_id, sig, outlet_of(url), band_keys(sig)))
        stored.replace_index(store, signed, made=made)
        return f"signatures of {len(signed)} stories made ({SIGNATURES_MADE})" if signed else None
    if stored.meta(store, "cluster_bands") != BANDS_MADE:
        sigs = stored.signatures_since(store, first)
        bands = [(key, story) for story, sig in sigs for key in band_keys(sig)]
        stored.replace_index(store, None, bands, made=made)
        return f"bands of {len(sigs)} signatures made ({BANDS_MADE})" if sigs else None
    dropped = stored.prune_bands(store, first)
    stored.set_meta(store, {"cluster_pruned": iso(now)})
    return f"{dropped} band keys of old stories dropped" if dropped else None


def cluster_new_stories(store: Store) -> int:
    """Give each story stored since the last run its cluster; returns how many are copies.

    Stories of the same cycle are matched with each other too, oldest first.
    """
    done_to_index = keep_index(store)
    if done_to_index:
        logger.info("story clusters: %s", done_to_index)
    through = stored.clustered_through(store)
    copies = 0
    # A batch at a time: a first poll of many feeds stores thousands of bodies at once. A
    # batch's stories are matched with each other from memory, with earlier ones from the index.
    while rows := stored.stories_to_cluster(store, through, limit=BATCH):
        known: dict[int, tuple[bytes, str, str, int]] = {}  # sig, host, seen, cluster
        local_bands: dict[int, list[int]] = {}
        done = []
        for story_id, url, _title, body, first_seen in rows:
            host = outlet_of(url)
            found = shingles(body)
            if len(found) < MIN_SHINGLES:
                done.append((story_id, story_id, None, host, []))
                continue
            sig = signature(found)
            keys = band_keys(sig)
            candidate_ids = stored.candidates(store, keys)
            candidate_ids |= {other for key in keys for other in local_bands.get(key, ())}
            others = stored.signatures(store, candidate_ids - known.keys())
            others.update({i: known[i] for i in candidate_ids & known.keys()})
            earliest = iso(datetime.fromisoformat(first_seen) - WINDOW)
            likely = [
                other
                for other, (other_sig, other_host, seen, _) in others.items()
                if other_host != host and seen >= earliest and similarity(sig, other_sig) >= LIKELY
            ]
            bodies = stored.bodies(store, likely) if likely else {}
            matches = [
                others[other][3] for other in likely if same_report(body, found, bodies.get(other))
            ]
            cluster = min(matches, default=story_id)
            copies += cluster != story_id
            known[story_id] = (sig, host, first_seen, cluster)
            for key in keys:
                local_bands.setdefault(key, []).append(story_id)
            done.append((story_id, cluster, sig, host, keys))
        through = rows[-1][0]
        stored.record(store, done, through)
    return copies
