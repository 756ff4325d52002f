"""The story text: layout lines, credits and repeats out; the lead in; a source line apart."""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from .text import alnum_key, normalize_space, unescape_entities
from .trafilatura_prep import OUTSIDE_STORY

_BOILERPLATE_LINE = re.compile(
    r"^\W*(?:(?:baca|simak|lihat)\s+(?:juga|selengkapnya)\b|(?:artikel|berita)\s+terkait\s*:"
    r"|(?:read\s+(?:also|more)|related(?:\s+(?:posts?|stories|articles?|coverage))?)\s*:"
    r"|read\s+more\W*$|(?:copyright|\u00a9)\W.{0,160}$)",
    re.I,
)


# Labels the layout puts between paragraphs: ad slots, "scroll to continue", empty "Iklan".
_LABEL_LINE = re.compile(
    r"^\W*(?:advertisements?|advertorial|iklan|anzeige|publicit[ée]|werbung|sponsored|"
    r"scroll\s+(?:down\s+)?to\s+continue(?:\s+with\s+content)?|"
    r"(?:continue|story\s+continues)\s+(?:reading\s+)?below(?:\s+advertisement)?|"
    r"lanjutkan\s+membaca|scroll\s+untuk\s+melanjutkan)\W*$",
    re.I,
)


# Photo credits and captions credited inline: "Foto: X", "(Foto: X)", "ANTARA FOTO/X", "Photo: X".
_CREDIT_LINE = re.compile(
    r"^\W{0,3}(?:(?:foto|photo|photograph|image|bild|gambar|ilustrasi|illustration|"
    r"dok(?:umentasi)?|credit|sumber\s+foto)\s*(?::|/)|antara\s+foto\s*/|"
    r"(?:getty\s+images|afp|reuters|ap\s+photo|shutterstock|istock)\s*$)",
    re.I,
)
_BARE_VALUE_LINE = re.compile(
    r"^\s*(?:https?://\S+\.(?:jpe?g|png|gif|webp|svg)(?:\?\S*)?"
    r"|\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?\S*)?)\s*$",
    re.I,
)


# Lines publishers append around a story: follow/share prompts, newsletter and app sign-ups,
# "write to the reporter at x@y", contributor credits, "See more:"/"More:" teasers, reading time.
_TRAILER_LINE = re.compile(
    r"^\W*(?:follow\s+(?:us\b|@\w+|\w+(?:\s+\w+){0,3}\s+on\s+(?:twitter|facebook|instagram|x)\b)"
    r"|like\s+this\s+story\?|share\s+this\b|click\s+here\b"
    r"|(?:sign\s+up|subscribe)\b.{0,120}\bnewsletters?\b"
    r"|(?:e-?mail|write\s+to|reach|contact)\s+(?:\w+\s+){0,4}at\s+\S+@|have\s+a\s+tip\?"
    r"|\(?(?:additional\s+)?reporting\s+by\b"
    r"|.{0,200}\bcontributed\s+(?:reporting|to\s+this\s+(?:report|story|article))"
    r"(?:\s+from\s+[^.]{1,40})?\W*$"
    r"|(?:see\s+more|also(?:\s+on\s+\S+)?|more|leggi\s+anche(?:\s+su)?)\s*:"
    r"|(?:tempo\s+de\s+leitura|reading\s+time|lesezeit)\s*:?\s*\d+\s*\w+\W*$"
    r"|\d+\s*min(?:ute)?s?\s+read\W*$)",
    re.I,
)
_SOURCE_LINE = re.compile(r"^\W{0,3}sumber\s*:\s*(.{2,80}?)\s*\W{0,3}$", re.I)


def extract_source(lines: list[str]) -> tuple[list[str], str | None]:
    """A syndication line "Sumber: X" (near the end) becomes the source field, not body text."""
    source = None
    kept = []
    for i, line in enumerate(lines):
        match = _SOURCE_LINE.match(line.strip())
        if match and source is None and i >= len(lines) // 2:
            source = match.group(1).strip()
            continue
        kept.append(line)
    return kept, source


def clean_body(
    lines: list[str], title: str | None, drop_lines: list[re.Pattern] | None = None
) -> str:
    """Paragraphs separated by a blank line, without related links, labels, credits, a title."""
    paras = [p for p in (normalize_space(line) for line in lines) if p]
    if paras and title and alnum_key(paras[0]) == alnum_key(title):
        paras = paras[1:]
    paras = [p for p in paras if not _is_noise_line(p, drop_lines or [])]
    return "\n\n".join(drop_repeated_runs(paras))


def drop_repeated_runs(paras: list[str]) -> list[str]:
    """Without runs of paragraphs the body already had verbatim (a teaser block or a second copy
    of the page's story list, a repeated embed placeholder). A lone repeat stays (interviews
    repeat a question), and so do repeated list items (spec lists of product variants)."""
    seen: set[str] = set()
    repeated = []
    for para in paras:
        repeated.append(para in seen)
        seen.add(para)
    kept, i = [], 0
    while i < len(paras):
        j = i + 1
        while repeated[i] and j < len(paras) and repeated[j]:
            j += 1
        run = paras[i:j]
        prose = [p for p in run if not p.startswith("- ")]
        if len(run) < 2 or sum(len(p) for p in prose) < 200:
            kept.extend(run)
        i = j
    return kept


def _is_noise_line(line: str, drop_lines: list[re.Pattern]) -> bool:
    """Lines that are layout, not story: "Baca juga", ad labels, photo credits, bare URLs."""
    return bool(
        _BOILERPLATE_LINE.match(line)
        or _LABEL_LINE.match(line)
        or (len(line) <= 200 and _CREDIT_LINE.match(line))
        or _BARE_VALUE_LINE.match(line)
        or (len(line) <= 300 and _TRAILER_LINE.match(line))
        or any(pattern.search(line) for pattern in drop_lines)
    )


_WORD = re.compile(r"\w+")


def is_link_list(body: str, tree: HtmlElement) -> bool:
    """Whether the "body" is only link texts (an index page or a menu), which is no article."""
    paras = body.split("\n\n")
    if any(len(p) > 200 for p in paras):
        return False
    words = _WORD.findall(body)
    linked = {w for a in tree.iter("a") for w in _WORD.findall(a.text_content())}
    return sum(w in linked for w in words) >= 0.8 * len(words)


_LEAD_SCAN = 3000  # elements; a lead sits near the top


def visible_lead(tree: HtmlElement, meta: dict[str, str], body: str) -> str | None:
    """The story's lead paragraph when the page shows it above the body and the body lacks it.

    The lead (standfirst) under the headline often sits outside the container trafilatura
    picks, yet it is story text and names the subject. It is recognised as the visible element
    that states the page's description (and little else), found before the body's first
    paragraph, outside the page's header, navigation and footer.
    """
    desc = normalize_space(
        unescape_entities(meta.get("description") or meta.get("og:description") or "")
    )
    head = desc[:50]
    if len(desc) < 80 or alnum_key(head) in alnum_key(body[:3000]):
        return None
    cut = desc.endswith(("\u2026", "..."))  # a shortened description: the lead runs on
    limit = 800 if cut else int(len(desc) * 1.3) + 20
    first = body.split("\n\n", 1)[0][:50]
    for n, el in enumerate(tree.iter("p", "div", "span", "strong", "h2")):
        if n > _LEAD_SCAN:
            break
        if el.find(".//p") is not None or el.find(".//div") is not None:
            continue
        text = normalize_space(_text_up_to(el, limit + 1))
        if first and text.startswith(first):
            return None  # reached the body first
        matches = text.startswith(head) or (len(text) >= 50 and desc.startswith(text[:50]))
        if matches and len(text) <= limit and _shown_in_story(el):
            return text
    return None


def _text_up_to(el: HtmlElement, limit: int) -> str:
    """The element's text, read only as far as ``limit`` characters."""
    parts, size = [], 0
    for piece in el.itertext():
        parts.append(piece)
        size += len(piece)
        if size > limit:
            break
    return "".join(parts)


def _shown_in_story(el: HtmlElement) -> bool:
    """Whether a reader sees the element as part of the story (not hidden, not page chrome)."""
    chain = (el, *el.iterancestors())
    in_story = any(node.tag in ("article", "main") for node in chain)
    for node in chain:
        if node.tag in OUTSIDE_STORY and not (node.tag == "header" and in_story):
            return False  # an article's own <header> holds its headline and lead
        if node.get("hidden") is not None:
            return False
        style = (node.get("style") or "").replace(" ", "").lower()
        if node.get("aria-hidden") == "true" or "display:none" in style:
            return False
    return True
