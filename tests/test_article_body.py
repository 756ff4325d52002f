"""Story text: layout lines, repeats, chunked bodies, link lists and the lead."""

from __future__ import annotations

import pytest

from newswatch.crawler.article import parse_article
from newswatch.crawler.article.body import clean_body
from newswatch.crawler.article.decoding import load_tree
from newswatch.crawler.article.trafilatura_prep import body_chunks

from article_pages import AS_OF


@pytest.mark.parametrize(
    "line",
    [
        "ADVERTISEMENT",
        "SCROLL TO CONTINUE WITH CONTENT",
        "Iklan",
        "Foto: Dimas Contoh/Kabar Contoh",
        "(Foto: Arsip Redaksi)",
        "ANTARA FOTO/Contoh Fotografer/abc.",
        "Photo: Jane Example/Getty Images",
        "2025-06-04T10:30:00+07:00",
        "https://cdn.example.test/img/photo-1.jpg",
        "Baca Juga: Judul Lain",
        "Simak juga: Video Lain",
        "Read also: Another story",
        "Follow Example Daily on Instagram, Facebook and Twitter.",
        "Follow us @exampledaily for more",
        "Like this story? Share it with a friend!",
        "Click here to subscribe to The Sample Newsletter",
        "Sign up: get the latest stories in our Email Newsletters here.",
        "Write to Sam Placeholder at sam@example.test",
        "Have a tip? Sam Placeholder may be reached at sam@example.test.",
        "(Reporting by Ann Sample; Editing by Ben Sample)",
        "Additional reporting by Cal Sample",
        "Dee Sample contributed to this report.",
        "Eve Sample contributed reporting from Example City.",
        "SEE MORE: Another invented story headline",
        "MORE : A teaser for something else",
        "Reading time: 3 minutes",
        "4 min read",
    ],
)
def test_layout_lines_are_dropped(line: str) -> None:
    body = clean_body(["Paragraf pertama yang panjang.", line, "Paragraf kedua."], None)
    assert body == "Paragraf pertama yang panjang.\n\nParagraf kedua."


def test_prose_that_mentions_photos_or_ads_is_kept() -> None:
    lines = [
        "Foto-foto banjir itu beredar luas di media sosial sejak pagi.",
        "Advertisement spending rose by a tenth, the agency said.",
        "Pompa Air Dikerahkan",
        "Follow the river north and the road ends at a ferry landing.",
        "More than 200 families had left the valley by Friday.",
        "Nobody contributed to this report's findings except the auditors, the minister said.",
        "Click-through rates fell, the study found.",
    ]
    assert clean_body(lines, None) == "\n\n".join(lines)


def test_repeated_runs_of_prose_are_dropped_lone_repeats_kept() -> None:
    teaser_a = (
        "An invented teaser about a harbour that reopened after a long winter. " * 2
    ).strip()
    teaser_b = (
        "Another invented teaser, this one about a library moving across town. " * 2
    ).strip()
    question = "What do you cook at home on a quiet weekday evening?"
    lines = [
        "Opening paragraph of the story.",
        teaser_a,
        teaser_b,
        question,
        "Soup, mostly.",
        question,
        "Whatever is left in the fridge.",
        "- Weighs 200 grams",
        "- Charges in an hour",
        "- Weighs 200 grams",
        "- Charges in an hour",
        "Closing paragraph of the story.",
        teaser_a,
        teaser_b,
    ]
    assert clean_body(lines, None).split("\n\n") == lines[:-2]


def _chunked_page(body_class: str) -> bytes:
    def para(i: int, topic: str) -> str:
        return (
            f"<p>Paragraph {i} about the {topic}: the invented survey team walked the frozen shore"
            " again, measured the albedo of the pond and wrote careful notes about every square"
            " metre they covered that day.</p>"
        )

    def chunk(paras: range, topic: str) -> str:
        inner = "".join(para(i, topic) for i in paras)
        return (
            f'<div class="grid"><div class="grid-item"><div class="{body_class}">{inner}</div>'
            '</div><aside class="rail"><div class="ad">Advertisement</div></aside></div>'
        )

    return f"""<html><head><title>Ice notes</title></head><body>
    <header><nav><a href="/">Home</a> <a href="/science">Science</a></nav></header>
    <main><article><h1>Ice notes</h1>{chunk(range(6), "pond")}
    <div class="row ad-row"><div class="ad">Advertisement</div></div>
    {chunk(range(6, 12), "glacier")}</article></main>
    <footer><p>Invented Magazine, all rights reserved.</p></footer></body></html>""".encode()


def test_a_story_body_cut_into_chunks_between_ad_rows_is_read_whole() -> None:
    body = parse_article(
        _chunked_page("body body__container article__body"), "http://x.test/a", as_of=AS_OF
    ).body
    assert "Paragraph 0 " in body and "Paragraph 11 " in body
    assert body.index("Paragraph 5 ") < body.index("Paragraph 6 ")  # in page order
    assert "Advertisement" not in body


def test_repeated_comment_bodies_are_not_joined_into_the_story() -> None:
    tree = load_tree(_chunked_page("comment-body").decode())
    assert body_chunks(tree) == []


LINK_LIST_PAGE = b"""<html><head><title>Tanker seized</title></head><body><main><article>
<h1>Tanker seized</h1>
<p>The invented coast guard boarded a tanker in the northern sea early on Wednesday morning,
after a chase that lasted several days and involved two patrol ships and a helicopter.</p>
<ul><li><strong>Newsblog</strong>:
<a href="/news/1.html">All the latest news on Donald Trump</a></li>
<li><strong>Ghost fleet</strong>:
<a href="/news/2.html">Tankers slip through a blockade</a></li></ul>
<p>Officials said the crew of twenty-three was unharmed and the ship would be brought into port
for an inspection of its cargo, papers and the logs of its recent voyages across the ocean.</p>
<ul><li>Twenty-three crew members on board</li>
<li>Cargo of crude oil, says the <a href="/coast-guard">coast guard</a></li></ul>
<p>The owners of the tanker have not commented on the seizure so far, the agency reported.</p>
</article></main></body></html>"""


def test_lists_of_links_to_other_stories_are_not_story_text() -> None:
    body = parse_article(LINK_LIST_PAGE, "http://x.test/a", as_of=AS_OF).body
    assert "Donald Trump" not in body and "Ghost fleet" not in body
    assert "Twenty-three crew members on board" in body  # a list of facts stays
    assert "Cargo of crude oil" in body


def test_prefixed_tags_around_a_link_list_do_not_cost_the_body() -> None:
    paras = "".join(
        f"<p>Paragraph {i} of the invented story, long enough for the extractor to keep.</p>"
        for i in range(8)
    )
    page = f"""<html><body><main><article><h1>Title here</h1>
    <div><fb:comments><ul><li><a href="/a">Other story one</a></li>
    <li><a href="/b">Other story two</a></li></ul></fb:comments></div>
    <div class="article-body">{paras}</div><div class="ad">Ad</div>
    <div class="article-body">{paras.replace("Paragraph", "Part")}</div>
    </article></main></body></html>""".encode()
    got = parse_article(page, "http://x.test/a", as_of=AS_OF)
    assert "Paragraph 0 " in got.body and "Part 7 " in got.body
    assert "Other story" not in got.body


LEAD = (
    "Der designierte Bürgermeister der erfundenen Stadt hat nach dem Rückzug seines Kandidaten"
    " eine frühere Anwältin als Stadträtin nominiert."
)


def _lead_page(description: str) -> bytes:
    paras = "".join(
        f"<p>Absatz {i}: Die erfundene Stadtverwaltung teilte am Freitag mit, dass die Sitzung"
        " des Rates verschoben werde und die Tagesordnung neu beraten werden müsse.</p>"
        for i in range(8)
    )
    return f"""<html><head><title>Neue Stadträtin</title>
    <meta name="description" content="{description}"></head><body>
    <nav><a href="/">Start</a> <a href="/politik">Politik</a></nav>
    <div class="story-lead"><div class="keyword">Nach dem Rückzug</div>
    <h1 class="story-lead-headline">Neue Stadträtin</h1>
    <p class="story-lead-text"><strong>{LEAD}</strong></p>
    <div class="story-meta">Online seit heute, 7.57 Uhr</div></div>
    <div class="story-content">{paras}</div>
    <footer><p>Erfundener Rundfunk, alle Rechte vorbehalten.</p></footer></body></html>""".encode()


def test_the_lead_shown_under_the_headline_opens_the_body_once() -> None:
    body = parse_article(_lead_page(LEAD), "http://x.test/a", as_of=AS_OF).body
    assert body.startswith(LEAD + "\n\nAbsatz 0:")
    assert body.count("designierte Bürgermeister") == 1


def test_no_lead_is_added_when_the_description_is_not_shown_above_the_body() -> None:
    other = "Eine Beschreibung, die nirgends auf der Seite steht, und lang genug ist für die Regel."
    body = parse_article(_lead_page(other), "http://x.test/a", as_of=AS_OF).body
    assert body.startswith("Absatz 0:")
