"""Notifications end to end: ``newswatch crawl`` in a process of its own, sending through real
apprise to a local SMTP server (aiosmtpd) and a loopback webhook, and ``notify test``."""

from __future__ import annotations

import html
import random
import signal
import socketserver
import sqlite3
import subprocess
import threading

from test_crawl import page

from newswatch import command

from conftest import SAFETY_NET_S, rss, run_newswatch, write_config

TOPICS = [("korea", '"north korea"')]
SECRET = "s3cret-hook-pw-4711"


def outlet(server, titles: list[str]) -> None:
    """The feed lists these stories (headlines as the page shows them), newest last."""
    items = []
    for i, title in enumerate(titles):
        path = f"/news/{i}.html"
        server.add(path, page(html.escape(title), path))
        items.append({"title": html.escape(title), "link": server.url(path)})
    server.add("/feed.xml", rss(items), content_type="application/rss+xml")


def notify_config(tmp_path, server, channels, **sections):
    return write_config(
        tmp_path, [("wire", server.url("/feed.xml"))], topics=TOPICS, notify=channels, **sections
    )


def crawl(config, *args, env=None):
    result = run_newswatch("crawl", "-c", str(config), *args)
    assert result.returncode == 0, result.stderr
    return result


def test_an_alert_arrives_by_e_mail_with_its_key_and_escaped(tmp_path, server, mailbox):
    outlet(server, ["Seoul weather"])
    channels = [{"name": "desk-mail", "url": mailbox.url(format="html")}]
    config = notify_config(tmp_path, server, channels)
    crawl(config)  # the feed's first poll: stored, never notified
    assert mailbox.messages == []
    outlet(server, ["Seoul weather", "North Korea <b>tests</b> a missile"])
    second = crawl(config)
    assert "notified: 1;" in second.stdout
    [mail] = mailbox.messages
    assert mail["Subject"] == "newswatch: 1 alert (korea 1)"
    [body] = [
        part.get_payload(decode=True).decode("utf-8").replace("&nbsp;", " ")
        for part in mail.walk()
        if part.get_content_type() == "text/html"
    ]
    assert "North Korea &lt;b&gt;tests&lt;/b&gt; a missile" in body  # shown, not rendered
    assert "newswatch-alerts:1" in body  # the alert's id: a receiver can drop a repeat


def test_a_secret_in_a_channel_url_appears_in_no_log_line(tmp_path, server, webhook, monkeypatch):
    monkeypatch.setenv("HOOK_PASSWORD", SECRET)
    url = f"json://user:${{HOOK_PASSWORD}}@127.0.0.1:{webhook.server.port}/hook"
    config = notify_config(tmp_path, server, [{"name": "ops-hook", "url": url}])
    webhook.statuses = [500, 500]
    outlet(server, ["Seoul weather"])
    crawl(config)
    outlet(server, ["Seoul weather", "North Korea tests a missile"])
    failed = crawl(config, "-v")
    assert "notify failed: channel=ops-hook (JSON) reason=" in failed.stderr
    status = run_newswatch("status", "-c", str(config))
    test = run_newswatch("notify", "test", "-c", str(config))
    assert "ops-hook" in status.stdout and "JSON" in status.stdout
    assert test.returncode == 1 and "ops-hook (JSON): failed" in test.stdout
    shown = [failed.stdout, failed.stderr, status.stdout, status.stderr, test.stdout, test.stderr]
    assert all(SECRET not in text for text in shown)
    assert SECRET not in (tmp_path / "config.yaml").read_text()  # ${VAR}: never in the file


def test_notify_test_says_what_each_channel_answered(tmp_path, server, webhook):
    channels = [
        {"name": "ops", "url": webhook.url()},
        {"name": "down", "url": "json://127.0.0.1:9/refused"},  # nothing listens on port 9
    ]
    config = notify_config(tmp_path, server, channels)
    both = run_newswatch("notify", "test", "-c", str(config))
    assert both.returncode == 1
    lines = both.stdout.splitlines()
    assert lines[0] == "ops (JSON): ok, the channel accepted the test message"
    assert lines[1].startswith("down (JSON): failed: ")
    one = run_newswatch("notify", "test", "ops", "-c", str(config))
    assert one.returncode == 0 and len(webhook.received) == 2
    assert webhook.received[0]["title"] == "newswatch: test of ops"
    unknown = run_newswatch("notify", "test", "nosuch", "-c", str(config))
    assert unknown.returncode == 2 and "no channel named 'nosuch'" in unknown.stderr


def test_a_receiver_that_never_answers_is_cut_and_the_crawl_ends(tmp_path, server, webhook):
    url = webhook.url() + "?rto=1&cto=1"  # apprise's own socket timeouts, shortened
    config = notify_config(tmp_path, server, [{"name": "ops", "url": url}])
    webhook.hold = True  # takes each request and never answers
    outlet(server, ["Seoul weather"])
    crawl(config)
    outlet(server, ["Seoul weather", "North Korea tests a missile"])
    cut = crawl(config)  # ends (exit 0) although the receiver holds the request
    assert "notify failed: channel=ops (JSON)" in cut.stderr
    db = sqlite3.connect(tmp_path / "newswatch.db")
    assert db.execute("SELECT state, attempts FROM deliveries").fetchall() == [("pending", 1)]


def test_sigkill_in_the_notify_step_loses_no_alert(tmp_path, server, webhook):
    """At random moments around each send (before the answer, or just after it) the crawl is
    killed; every alert still reaches the channel at least once, repeats countable by key."""
    rng = random.Random(11)
    config = notify_config(tmp_path, server, [{"name": "ops", "url": webhook.url()}])
    titles = ["Seoul weather"]
    outlet(server, titles)
    crawl(config)
    webhook.hold = True
    for round_ in range(6):
        titles.append(f"North Korea report {round_}")
        outlet(server, titles)
        webhook.released.clear()
        child = subprocess.Popen(
            command("crawl", "-c", str(config), "--no-progress"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        webhook.wait_for_posts(webhook.posts + 1)  # a send reached the receiver
        if rng.random() < 0.5:
            webhook.released.set()  # it answers: the kill lands before or after the mark
        child.send_signal(signal.SIGKILL)
        child.wait(SAFETY_NET_S)
    webhook.hold = False
    webhook.released.set()
    crawl(config)  # a clean cycle sends what is still owed
    db = sqlite3.connect(tmp_path / "newswatch.db")
    alerts = {row[0] for row in db.execute("SELECT id FROM alerts")}
    states = {row[0] for row in db.execute("SELECT state FROM deliveries")}
    keys = webhook.keys()
    received = [int(i) for key in keys for i in key.removeprefix("newswatch-alerts:").split(",")]
    assert len(alerts) == 6 and set(received) == alerts  # every alert, at least once
    assert states == {"sent"}
    # What a kill left unconfirmed came again, in a message with its ids: a receiver that
    # remembers the ids it has seen drops each repeat.
    assert len(received) > len(alerts) and len(keys) >= 2


class Trickle:
    """A receiver that answers a POST one byte at a time, forever: each byte resets a client's
    read timeout, so only a limit on the whole send ends it."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.requests = 0
        trickle = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                length = 0
                while (line := self.rfile.readline()) not in (b"\r\n", b"\n", b""):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                self.rfile.read(length)
                trickle.requests += 1
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
                while not trickle.stop.wait(0.2):  # the receiver's pace, not a test's wait
                    try:
                        self.wfile.write(b" ")
                        self.wfile.flush()
                    except OSError:
                        return

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


def test_a_receiver_that_trickles_forever_cannot_hold_the_crawl(tmp_path, server):
    trickle = Trickle()
    try:
        url = f"json://127.0.0.1:{trickle.port}/hook"
        # A short deadline leaves the notify step a few seconds; the send is cut at them.
        config = notify_config(
            tmp_path, server, [{"name": "slow", "url": url}], schedule={"deadline": "20s"}
        )
        outlet(server, ["Seoul weather"])
        crawl(config)
        outlet(server, ["Seoul weather", "North Korea tests a missile"])
        done = crawl(config)  # returns: the crawl does not wait for the send it gave up on
        assert trickle.requests == 1
        assert "notify: channel=slow (JSON): the cycle's time ran out" in done.stderr
    finally:
        trickle.close()
