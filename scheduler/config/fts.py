"""Topic queries checked by SQLite's own FTS5, on a table shaped like the real index."""

from __future__ import annotations

import sqlite3
import threading

from ...storage.migrations import FTS_TOKENIZE

# Shaped like the real index, with its tokenizer, so what passes here is exactly what runs.
_FTS_TABLE = f"CREATE VIRTUAL TABLE t USING fts5(title, body, tokenize='{FTS_TOKENIZE}')"


_checkers = threading.local()  # one empty table per thread (a connection stays in its thread)


def _checker() -> sqlite3.Connection:
    conn = getattr(_checkers, "conn", None)
    if conn is None:
        conn = _checkers.conn = sqlite3.connect(":memory:")
        conn.execute(_FTS_TABLE)
    return conn


def validate_fts_query(query: str) -> str | None:
    """Return SQLite's complaint about an FTS5 ``query``, or None if it is accepted.

    We ask SQLite itself (an in-memory table shaped like the real index) rather than
    re-implementing the FTS5 grammar, so what passes here is exactly what will run later.
    The table is made once per thread and stays empty: a new one for each query cost 0.3 ms,
    0.3 s of every cycle's config check with 1,000 topics.
    """
    try:
        _checker().execute("SELECT * FROM t WHERE t MATCH ?", (query,)).fetchall()
    except sqlite3.OperationalError as exc:
        return str(exc)
    return None


# kim-jong-un parses as column filters, which SQLite reports as "no such column: jong";
# the fix (quoting) is not obvious from that.
_COLUMN_HINT = '; put words joined by "-" or ":" in double quotes'

_OPERATORS = ("AND", "OR", "NOT")


def _is_word_char(ch: str) -> bool:
    """A character of an FTS5 bareword: ASCII letters and digits, "_", \x1a, all non-ASCII."""
    return ch in "_\x1a" or (ch.isascii() and ch.isalnum()) or not ch.isascii()


def _tokens(query: str) -> list[tuple[str, str]]:
    """The query as FTS5 reads it: ("word", text), ("phrase", text) for a quoted string, and
    ("mark", ch) for each of ( ) : * ^ + , { } -. Only called on a query SQLite accepted."""
    tokens: list[tuple[str, str]] = []
    i = 0
    while i < len(query):
        ch = query[i]
        if ch == '"':  # a quoted string; "" inside it is a quote
            j = i + 1
            while j < len(query):
                if query[j] == '"':
                    if query[j + 1 : j + 2] != '"':
                        break
                    j += 1
                j += 1
            tokens.append(("phrase", query[i + 1 : j].replace('""', '"')))
            i = j + 1
        elif _is_word_char(ch):
            j = i
            while j < len(query) and _is_word_char(query[j]):
                j += 1
            tokens.append(("word", query[i:j]))
            i = j
        else:
            if not ch.isspace():
                tokens.append(("mark", ch))
            i += 1
    return tokens


def _operator_as_word(query: str) -> str | None:
    """The first "and", "or" or "not" not in capitals that stands between two search terms.

    FTS5 knows AND, OR and NOT in capitals only: a lower-case one is searched for as a word,
    so '"korea utara" or korut' asks for stories holding all three. Not counted: a quoted
    "or", a column name ("or:"), a prefix ("or*"), a word starting a column ("^or"), a word
    of a phrase joined by "+", and anything inside NEAR(...), where FTS5 takes no operator.
    """
    tokens = _tokens(query)
    in_near = False
    for i, (kind, text) in enumerate(tokens):
        before = tokens[i - 1] if i > 0 else ("", "")
        after = tokens[i + 1] if i + 1 < len(tokens) else ("", "")
        if kind == "word" and text == "NEAR" and after == ("mark", "("):
            in_near = True
        elif in_near and (kind, text) == ("mark", ")"):
            in_near = False
        if in_near or kind != "word" or text.upper() not in _OPERATORS or text.isupper():
            continue
        if before in (("mark", "^"), ("mark", "+")) or (after[0] == "mark" and after[1] in ":*+"):
            continue
        # After ")" only a NEAR group can be followed by a word: SQLite refused "(a) b".
        ends_term = before[0] in ("word", "phrase") or before in (("mark", "*"), ("mark", ")"))
        starts_term = after[0] in ("word", "phrase")
        if ends_term and starts_term:
            return text
    return None


def query_problem(query: str, topic: str | None = None) -> str | None:
    """What is wrong with an FTS5 ``query``, worded for the user; None if it is fine.

    The config check (naming the ``topic``) and ``newswatch topics test`` both print this, so
    each rule and its hint is written once: SQLite's own complaint (with the hint for
    hyphenated words), an empty query, and a lower-case operator FTS5 would search for.
    """
    where = f" in topic {topic!r}" if topic else ""
    if not query.strip():
        return f"the query is empty{where}"
    error = validate_fts_query(query)
    if error is not None:
        hint = _COLUMN_HINT if error.startswith("no such column") else ""
        return f"FTS5 rejects this query ({error}){where}{hint}"
    if not any(ch.isalnum() for ch in query):
        return f"the query has no word to search for{where}"
    word = _operator_as_word(query)
    if word is not None:
        return (
            f'"{word}" between two terms is searched for as a word, not read as an operator'
            f'{where}: write {word.upper()} in capitals, or quote the word ("{word}")'
        )
    return None
