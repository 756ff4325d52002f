"""Notifications in one process: real apprise, sending to a loopback webhook (``json://``).

Each channel gets each of its alerts at least once, marked sent only after it accepted them;
a failing channel is retried at the next cycle, then with backoff, and given up at the limit;
backfill never notifies; a new channel is owed only what comes after it; a message cannot
ping, link or add markup; every message ends with the ids it carries.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from newswatch.scheduler.config import ConfigError, load_config
from newswatch.scheduler.cycle import after_crawl, before_crawl
from newswatch.scheduler.delivery import notify as notify_module
from newswatch.scheduler.delivery.channel_url import known_secrets
from newswatch.scheduler.delivery.notify import MAX_ATTEMPTS, backoff, notify
from newswatch.storage import deliveries
from newswatch.storage.store import NewStory, Store

from conftest import write_config

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def channel(name, url, **options):
    return {"name": name, "url": url, **options}


def setup(tmp_path, channels, topics=(("korea", '"north korea"'), ("seoul", "seoul"))):
    path = write_config(
        tmp_path,
        [("wire", "http://127.0.0.1:9/feed.xml")],
        topics=list(topics),
        notify=channels,
        schedule={"timezone": "Asia/Jakarta"},
    )
    return load_config(path)


def cycle(store, config, stories=(), backfill=False, budget=30.0, clock=None):
    """One cycle without the crawl: the stories it would store, matching, the log, notify."""
    boundary = before_crawl(store, config)
    for key, title, body in stories:
        url = f"https://example.com/{key}"
        store.add_story(
            NewStory(url, title, body, "2025-09-09T06:45:00+00:00", [], "wire", backfill=backfill)
        )
    after_crawl(store, config, boundary)
    return notify(store, config, budget, clock or Clock())


def states(store, name):
    rows = store.db.execute(
        "SELECT alert_id, state, attempts FROM deliveries WHERE channel = ? ORDER BY alert_id",
        [name],
    )
    return [tuple(row) for row in rows]


def test_each_alert_reaches_its_channel_once_marked_sent_with_its_ids(tmp_path, webhook):
    config = setup(tmp_path, [channel("ops", webhook.url())])
    with Store(config.database) as store:
        report = cycle(store, config, [("a", "North Korea test", ""), ("b", "Seoul rain", "")])
        assert report.sent == 2
        assert webhook.keys() == ["newswatch-alerts:1,2"]  # one batch, both ids
        assert states(store, "ops") == [(1, "sent", 1), (2, "sent", 1)]
        cycle(store, config)  # nothing new: nothing sent again
        assert len(webhook.received) == 1
        message = webhook.received[0]
    assert message["title"] == "newswatch: 2 alerts (korea 1, seoul 1)"
    assert "North Korea test\nwire · 2025-09-09 13:45 WIB" in message["message"]


def test_one_message_per_alert_when_batch_is_off(tmp_path, webhook):
    config = setup(tmp_path, [channel("ops", webhook.url(), batch=False)])
    with Store(config.database) as store:
        cycle(store, config, [("a", "North Korea test", ""), ("b", "Seoul rain", "")])
    assert webhook.keys() == ["newswatch-alerts:1", "newswatch-alerts:2"]
    assert [m["title"] for m in webhook.received] == [
        "newswatch: korea alert",
        "newswatch: seoul alert",
    ]


def test_a_channel_gets_only_its_topics(tmp_path, webhook):
    config = setup(tmp_path, [channel("desk", webhook.url(), topics=["seoul"])])
    with Store(config.database) as store:
        cycle(store, config, [("a", "North Korea test", ""), ("b", "Seoul rain", "")])
    assert webhook.keys() == ["newswatch-alerts:2"]


def test_backfill_never_notifies_even_when_it_alerts(tmp_path, webhook):
    config = setup(tmp_path, [channel("ops", webhook.url())])  # write_config: backfill alerts
    with Store(config.database) as store:
        cycle(store, config, [("a", "North Korea first poll", "")], backfill=True)
        assert store.count("alerts") == 1
        cycle(store, config, [("b", "North Korea news", "")])
    assert webhook.keys() == ["newswatch-alerts:2"]


def test_a_channel_added_later_gets_only_what_comes_after_it(tmp_path, webhook):
    config = setup(tmp_path, [])
    with Store(config.database) as store:
        cycle(store, config, [("a", "North Korea old news", "")])
        later = setup(tmp_path, [channel("ops", webhook.url())])
        cycle(store, later, [("b", "North Korea new news", "")])
    assert webhook.keys() == ["newswatch-alerts:2"]


def test_a_failing_channel_is_retried_next_cycle_and_then_marked_sent(tmp_path, webhook):
    config = setup(tmp_path, [channel("ops", webhook.url())])
    webhook.statuses = [500]
    with Store(config.database) as store:
        first = cycle(store, config, [("a", "North Korea test", "")])
        assert first.sent == 0 and "500" in first.outcomes[0].failed
        assert states(store, "ops") == [(1, "pending", 1)]
        assert cycle(store, config).sent == 1
        assert states(store, "ops") == [(1, "sent", 2)]
    assert [m["message"].rsplit("\n", 1)[-1] for m in webhook.refused] == ["newswatch-alerts:1"]
    assert webhook.keys() == ["newswatch-alerts:1"]


def test_after_the_first_retry_a_failing_channel_backs_off():
    assert backoff(1, T0) == "2026-03-01T12:00:00+00:00"  # the next cycle
    assert backoff(2, T0) == "2026-03-01T12:05:00+00:00"
    assert backoff(3, T0) == "2026-03-01T12:10:00+00:00"
    assert backoff(20, T0) == "2026-03-01T18:00:00+00:00"  # at most 6 hours


def test_a_channel_that_keeps_failing_is_given_up_at_the_limit(tmp_path, webhook):
    config = setup(tmp_path, [channel("ops", webhook.url(), batch=False)])
    webhook.statuses = [500] * (MAX_ATTEMPTS + 5)
    clock = Clock()
    with Store(config.database, clock=clock) as store:
        two = [("a", "North Korea test", ""), ("b", "North Korea again", "")]
        cycle(store, config, two, clock=clock)  # attempt 1 (a cycle stops at a failure)
        tried = [len(webhook.refused)]
        for _ in range(MAX_ATTEMPTS + 3):
            clock.now += timedelta(minutes=1)  # the next cycle: within any backoff after two
            cycle(store, config, clock=clock)
            tried.append(len(webhook.refused))
            clock.now += timedelta(hours=6)  # past the longest backoff
            cycle(store, config, clock=clock)
            tried.append(len(webhook.refused))
        # The channel failed 10 times in a row: all it was owed is given up, tried or not.
        assert states(store, "ops") == [(1, "failed", MAX_ATTEMPTS), (2, "failed", 0)]
        assert deliveries.channel_report(store)["ops"]["failed"] == 2
    assert tried[:5] == [1, 2, 3, 3, 4]  # retried at once, then only after its backoff
    assert len(webhook.refused) == MAX_ATTEMPTS and webhook.received == []


def test_a_failing_channel_does_not_hold_up_another(tmp_path, webhook):
    config = setup(
        tmp_path, [channel("down", "json://127.0.0.1:9/refused"), channel("ops", webhook.url())]
    )
    with Store(config.database) as store:
        report = cycle(store, config, [("a", "North Korea test", "")])
        outcomes = {o.name: o for o in report.outcomes}
    assert outcomes["ops"].sent == 1 and outcomes["down"].failed
    assert webhook.keys() == ["newswatch-alerts:1"]


def test_a_removed_channel_leaves_its_pending_alerts_failed(tmp_path, webhook):
    config = setup(tmp_path, [channel("ops", webhook.url())])
    webhook.statuses = [500]
    with Store(config.database) as store:
        cycle(store, config, [("a", "North Korea test", "")])
        cycle(store, setup(tmp_path, []))
        assert states(store, "ops") == [(1, "failed", 1)]


def test_a_message_cannot_ping_link_or_add_markup(tmp_path, webhook):
    evil = "@everyone <!channel> **North Korea** [click](http://evil.example) <b>x</b>"
    config = setup(tmp_path, [channel("md", webhook.url("/md") + "?format=markdown")])
    with Store(config.database) as store:
        cycle(store, config, [("a", evil, "see http://evil.example/x north korea")])
    body = webhook.received[0]["message"]
    assert "@everyone" not in body and "<!channel>" not in body  # a zero-width space inside
    assert "http://evil" not in body  # no address a client turns into a link
    assert "\\*\\*North Korea\\*\\*" in body and "\\[click\\]" in body  # Markdown escaped
    assert "https://example\\.com/a" in body  # the story's own link stays (Markdown-escaped)


def test_a_channel_url_with_a_secret_never_shows_it(tmp_path, webhook, monkeypatch):
    monkeypatch.setenv("HOOK_PASSWORD", "s3cret-hook-pw")
    url = f"json://user:${{HOOK_PASSWORD}}@127.0.0.1:{webhook.server.port}/hook"
    config = setup(tmp_path, [channel("ops", url)])
    ops = config.notify[0]
    assert ops.url.value.startswith("json://user:s3cret-hook-pw@")
    for shown in (repr(config), str(ops.url), ops.url.masked, repr(ops)):
        assert "s3cret-hook-pw" not in shown
    assert "s3cret-hook-pw" in known_secrets()
    webhook.statuses = [500]
    with Store(config.database) as store:
        report = cycle(store, config, [("a", "North Korea test", "")])
        assert "s3cret-hook-pw" not in report.outcomes[0].failed
        assert "s3cret-hook-pw" not in json.dumps(deliveries.channel_report(store))


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        (
            channel("ops", "tgram://${NO_SUCH_TOKEN}/-100"),
            "notify[0].url: ${NO_SUCH_TOKEN} not set",
        ),
        (channel("ops", "tgram://secret-bad-token"), "notify[0].url: not a notification URL"),
        (channel("ops", "nope://x"), "notify[0].url: not a notification URL apprise can use"),
        (channel("ops", "json://h.example/x", topics=["korea", "nosuch"]), "notify[0].topics[1]"),
        (channel("ops", "json://h.example/x", digest=True), "notify[0].digest: true needs"),
        (channel("ops", "json://h.example/x", colour="blue"), "notify[0].colour: unknown key"),
    ],
)
def test_a_bad_channel_is_a_config_error_naming_its_key(tmp_path, entry, problem):
    with pytest.raises(ConfigError) as caught:
        setup(tmp_path, [entry])
    assert problem in str(caught.value)
    assert "secret-bad-token" not in str(caught.value)


def test_a_hanging_channel_is_cut_at_the_budget_and_its_alert_stays_owed(tmp_path, webhook):
    config = setup(tmp_path, [channel("ops", webhook.url())])
    webhook.hold = True  # the receiver takes the request and never answers
    with Store(config.database) as store:
        report = cycle(store, config, [("a", "North Korea test", "")], budget=0.5)
        assert report.outcomes[0].failed == "no answer within 0.5s"
        assert states(store, "ops") == [(1, "pending", 1)]  # counted, and owed next cycle


def test_sending_is_marked_only_after_the_channel_accepted(tmp_path, webhook, monkeypatch):
    config = setup(tmp_path, [channel("ops", webhook.url())])
    sent = []

    def crash_after_send(*args):
        sent.append(args)
        raise RuntimeError("the process died between the send and the mark")

    monkeypatch.setattr(notify_module.deliveries, "mark_sent", crash_after_send)
    with Store(config.database) as store:
        cycle(store, config, [("a", "North Korea test", "")])
        assert sent and states(store, "ops") == [(1, "pending", 0)]
        monkeypatch.undo()
        cycle(store, config)
    assert webhook.keys() == ["newswatch-alerts:1", "newswatch-alerts:1"]  # repeated, not lost


def test_the_daily_digest_goes_to_the_channels_that_ask_for_it(tmp_path, webhook):
    from newswatch.scheduler.daemon.daily_digest import write_daily_digest

    channels = [channel("editor", webhook.url(), digest=True), channel("ops", webhook.url("/o"))]
    path = write_config(
        tmp_path,
        [("wire", "http://127.0.0.1:9/feed.xml")],
        topics=[("korea", '"north korea"')],
        notify=channels,
        schedule={"digest_at": "07:00", "timezone": "Asia/Jakarta"},
    )
    config = load_config(path)
    with Store(config.database) as store:
        cycle(store, config, [("a", "North Korea test", "")])
    assert len(webhook.received) == 2  # the alert, to each channel
    write_daily_digest(config, datetime(2026, 3, 1, 23, 30, tzinfo=UTC))
    digest = webhook.received[-1]
    assert len(webhook.received) == 3  # the digest, to the channel that asked for it only
    assert digest["title"] == "newswatch: digest-2026-03-02"  # the day in Asia/Jakarta
    assert "North Korea test" in digest["message"]
