"""The digest: recent alerts by topic, newest first, escaped, replaced atomically."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from newswatch.scheduler.cli import main
from newswatch.scheduler.config import load_config
from newswatch.scheduler.cycle import after_crawl, before_crawl
from newswatch.scheduler.delivery import digest
from newswatch.storage.store import NewStory, Store

from conftest import write_config

EVIL = '<script>alert("x")</script> *bold* [link](javascript:alert(1)) & co\n# Heading'


def add(store, key, title, body="", url=None, language=None):
    url = url or f"https://example.com/{key}"
    story = NewStory(url, title, body, "2025-06-02T01:00:00+00:00", [], "wire", language=language)
    store.add_story(story)


@pytest.fixture
def setup(tmp_path):
    topics = [("seoul", "seoul"), ("korea", '"north korea"')]
    path = write_config(
        tmp_path,
        [("wire", "http://127.0.0.1:9/feed.xml")],
        topics=topics,
        schedule={"timezone": "Asia/Jakarta"},
    )
    config = load_config(path)
    old = datetime.now(UTC) - timedelta(days=2)
    with Store(config.database, clock=lambda: old) as store:  # alerts outside the 24h window
        before = before_crawl(store, config)
        add(store, "old", "Seoul last week")
        after_crawl(store, config, before)
    with Store(config.database) as store:
        before = before_crawl(store, config)
        add(store, "a", "Seoul first", "Rain in Seoul.")
        add(store, "b", "North Korea and Seoul")
        add(
            store, "evil", EVIL, "Seoul\n\n<img src=x onerror=alert(1)> body", "javascript:alert(1)"
        )
        after_crawl(store, config, before)
        yield store, config


def test_markdown_groups_by_topic_newest_first_within_the_window(setup):
    store, config = setup
    path, count = digest.write_digest(store, config)
    text = path.read_text("utf-8")
    assert path == config.alerts.digest and count == 4
    assert "last week" not in text  # two days old: outside the default 24h
    assert text.index("## seoul (3)") < text.index("## korea (1)")  # config order
    seoul = text[text.index("## seoul") : text.index("## korea")]
    assert seoul.index("North Korea and Seoul") < seoul.index("Seoul first")  # newest first
    assert "[Seoul first](<https://example.com/a>)" in text
    assert "wire · 2025-06-02 08:00 WIB" in text  # the time in schedule.timezone
    assert "> Rain in Seoul." in text
    path, count = digest.write_digest(store, config, window=7 * 86400)
    assert count == 5 and "last week" in path.read_text("utf-8")


def test_markdown_escapes_markup(setup):
    store, config = setup
    text, _ = digest.render(store, config, 86400, "md")
    assert "<" not in text.replace("](<https://", "")  # only our own link destinations
    assert "&lt;script&gt;alert" in text and "&lt;img src=x" in text and "&amp; co" in text
    assert "javascript:" not in text.replace("(javascript:alert(1))", "")  # never a link target
    assert r"\*bold\*" in text and r"\[link\]" in text
    assert not any(line.startswith("# Heading") for line in text.splitlines())
    markdown_it = pytest.importorskip("markdown_it")
    rendered = markdown_it.MarkdownIt("commonmark").render(text)
    assert "<script" not in rendered and "<img" not in rendered and "<em>" not in rendered
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; *bold*" in rendered
    assert 'href="javascript' not in rendered


def test_html_is_self_contained_and_escapes_every_field(setup):
    store, config = setup
    out = config.path.parent / "digest.html"
    path, _ = digest.write_digest(store, config, path=out)
    page = path.read_text("utf-8")
    assert page.startswith("<!DOCTYPE html>") and "</html>" in page
    assert "&lt;script&gt;" in page and "<script" not in page
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert 'href="javascript' not in page
    assert '<a href="https://example.com/a" rel="noopener noreferrer">Seoul first</a>' in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//(?!example\.com)""", page)
    assert "default-src 'none'" in page  # no script or remote resource can run or load


def test_the_digest_is_replaced_atomically(setup, monkeypatch):
    store, config = setup
    config.alerts.digest.write_text("old digest", encoding="utf-8")

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        digest.write_digest(store, config)
    assert config.alerts.digest.read_text("utf-8") == "old digest"
    monkeypatch.undo()
    digest.write_digest(store, config)
    assert config.alerts.digest.read_text("utf-8").startswith("# newswatch digest")
    assert sorted(p.name for p in config.alerts.digest.parent.glob(".digest*")) == []


def test_every_cycle_rewrites_the_digest(setup):
    """The contract: rewritten after each cycle, so a quiet cycle still moves the window on."""
    store, config = setup
    config.alerts.digest.unlink(missing_ok=True)
    digest.update_digest(store, config)
    assert "Seoul first" in config.alerts.digest.read_text("utf-8")
    config.alerts.digest.write_text("stale", encoding="utf-8")
    digest.update_digest(store, config)
    assert "Seoul first" in config.alerts.digest.read_text("utf-8")


def test_digest_command(setup):
    store, config = setup
    runner = CliRunner()
    out = config.path.parent / "out" / "d.html"
    result = runner.invoke(main, ["digest", "-c", str(config.path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "4 alerts written" in result.output and out.read_text().startswith("<!DOCTYPE")
    args = ["digest", "-c", str(config.path), "--since", "7d", "--format", "md", "-o", "-"]
    result = runner.invoke(main, args)
    assert result.output.startswith("# newswatch digest") and "last week" in result.output
    result = runner.invoke(main, ["digest", "-c", str(config.path)])
    assert result.exit_code == 0 and config.alerts.digest.exists()


@pytest.mark.parametrize(
    ("fmt", "name", "message"),
    [
        ("md", "x.html", "--format md does not match -o x.html (.html is for HTML): write to"),
        ("html", "x.md", "--format html does not match -o x.md (.md is for Markdown): write"),
        ("md", "x.HTM", "--format md does not match -o x.HTM (.HTM is for HTML)"),
    ],
)
def test_digest_format_and_output_suffix_must_agree(setup, fmt, name, message):
    store, config = setup
    out = config.path.parent / name
    args = ["digest", "-c", str(config.path), "--format", fmt, "-o", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and f"digest: {message}" in result.output
    assert not out.exists()


def test_digest_format_agreeing_with_or_chosen_for_an_unknown_suffix_writes(setup):
    store, config = setup
    folder = config.path.parent
    for fmt, name, start in [("html", "a.htm", "<!DOCTYPE"), ("md", "b.txt", "# newswatch")]:
        args = ["digest", "-c", str(config.path), "--format", fmt, "-o", str(folder / name)]
        assert CliRunner().invoke(main, args).exit_code == 0
        assert (folder / name).read_text("utf-8").startswith(start)


def test_digest_command_before_the_first_crawl(tmp_path):
    path = write_config(tmp_path, [("wire", "http://127.0.0.1:9/feed.xml")])
    result = CliRunner().invoke(main, ["digest", "-c", str(path)])
    assert result.exit_code == 0, result.output
    assert "No alerts." in (tmp_path / "digest.md").read_text()
    assert not (tmp_path / "newswatch.db").exists()


def test_a_story_of_two_topics_says_so_in_each_and_shows_its_words(setup):
    store, config = setup
    text, _ = digest.render(store, config, 86400, "md")
    seoul = text[text.index("## seoul") : text.index("## korea")]
    korea = text[text.index("## korea") :]
    both = "wire · 2025-06-02 08:00 WIB  \nmatched: north korea  \nalso: seoul"
    assert both in korea
    assert "matched: seoul  \nalso: korea" in seoul
    assert (
        "Seoul first](<https://example.com/a>)\n\nwire · 2025-06-02 08:00 WIB  \nmatched: seoul\n"
        in seoul
    )


def test_html_takes_its_language_from_the_stories_it_lists(tmp_path):
    config = load_config(
        write_config(
            tmp_path, [("wire", "http://127.0.0.1:9/feed.xml")], topics=[("korut", "korut")]
        )
    )
    with Store(config.database) as store:
        before = before_crawl(store, config)
        add(store, "a", "Korut uji rudal", language="id")
        add(store, "b", "Korut kirim tentara", language="id")
        add(store, "c", "Korut and the talks", language="en")
        after_crawl(store, config, before)
        page, _ = digest.render(store, config, 86400, "html")
    assert '<html lang="id">' in page  # most of what it lists
    assert page.count('<article lang="en">') == 1 and page.count("<article>") == 2


def capped(tmp_path, per_topic, stories=5):
    config = load_config(
        write_config(
            tmp_path,
            [("wire", "http://127.0.0.1:9/feed.xml")],
            topics=[("seoul", "seoul"), ("korea", '"north korea"')],
            alerts={"digest_per_topic": per_topic},
        )
    )
    store = Store(config.database)
    before = before_crawl(store, config)
    add(store, "both", "North Korea talks in Seoul")  # the oldest: cut from seoul's list
    for i in range(stories - 1):
        add(store, f"s{i}", f"Seoul story {i}")
    after_crawl(store, config, before)
    return store, config


def test_each_topic_lists_its_newest_stories_and_says_how_many_more(tmp_path):
    store, config = capped(tmp_path, per_topic=2)
    with store:
        text, count = digest.render(store, config, 86400, "md")
        page, _ = digest.render(store, config, 86400, "html")
    assert count == 6  # every alert in the window is counted, listed or not
    assert "6 alerts in the last 24h" in text
    seoul = text[text.index("## seoul (5)") : text.index("## korea")]
    assert seoul.count("### ") == 2
    assert "Seoul story 3" in seoul and "Seoul story 2" in seoul  # the newest two
    assert "Seoul story 1" not in seoul and "North Korea talks" not in seoul
    assert "_and 3 more in the last 24h: newswatch alerts --topic seoul_" in seoul
    korea = text[text.index("## korea (1)") :]
    # Cut from seoul's list, the story still names seoul under korea, and nothing is "more".
    assert "also: seoul" in korea and "more in the last" not in korea
    assert page.count("<article") == 3
    assert "and 3 more in the last 24h: newswatch alerts --topic seoul" in page


def test_digest_per_topic_zero_lists_every_story(tmp_path):
    store, config = capped(tmp_path, per_topic=0, stories=60)
    with store:
        text, count = digest.render(store, config, 86400, "md")
    assert count == 61
    assert text[text.index("## seoul (60)") : text.index("## korea")].count("### ") == 60
    assert "more in the last" not in text


def test_the_default_lists_fifty_per_topic(tmp_path):
    store, config = capped(tmp_path, per_topic=50, stories=60)
    with store:
        text, _ = digest.render(store, config, 86400, "md")
    assert config.alerts.digest_per_topic == 50 == load_config(config.path).alerts.digest_per_topic
    assert text[text.index("## seoul (60)") : text.index("## korea")].count("### ") == 50
    assert "and 10 more in the last 24h" in text
