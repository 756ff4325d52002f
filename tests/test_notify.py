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
from newswatch.scheduler.delivery.notify import MAX_ATTEMPTS, backoff, notify
from newswatch.scheduler.secrets import known_secrets
from newswatch.storage import deliveries
from newswatch.storage.store import NewStory, Store

from conftest import Webhook, write_config

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
        # The first alert was tried ten times; the second, queued before the channel began to
        # fail, is given up with it (its channel failed ten times in a row since).
        assert states(store, "ops") == [(1, "failed", MAX_ATTEMPTS), (2, "failed", 0)]
        assert deliveries.channel_report(store)["ops"]["failed"] == 2
    assert tried[:5] == [1, 2, 3, 3, 4]  # retried at once, then only after its backoff
    assert len(webhook.refused) == MAX_ATTEMPTS and webhook.received == []


def test_alerts_queued_while_a_channel_is_down_get_their_own_tries(tmp_path, webhook):
    config = setup(tmp_path, [channel("ops", webhook.url(), batch=False)])
    webhook.statuses = [500] * MAX_ATTEMPTS
    clock = Clock()
    with Store(config.database, clock=clock) as store:
        cycle(store, config, [("a", "North Korea before", "")], clock=clock)
        clock.now += timedelta(minutes=1)
        cycle(store, config, [("b", "North Korea during", "")], clock=clock)
        while states(store, "ops")[0][1] == "pending":
            clock.now += timedelta(hours=6)
            cycle(store, config, clock=clock)
        assert states(store, "ops") == [(1, "failed", MAX_ATTEMPTS), (2, "pending", 0)]
        clock.now += timedelta(hours=6)
        cycle(store, config, clock=clock)  # the channel answers again
        assert states(store, "ops") == [(1, "failed", MAX_ATTEMPTS), (2, "sent", 1)]


def test_a_failing_channel_does_not_hold_up_another(tmp_path, webhook):
    config = setup(
        tmp_path, [channel("down", "json://127.0.0.1:9/refused"), channel("ops", webhook.url())]
    )
    with Store(config.database) as store:
        report = cycle(store, config, [("a", "North Korea test", "")])
        outcomes = {o.name: o for o in report.outcomes}
    assert outcomes["ops"].sent == 1 and outcomes["down"].failed
    assert webhook.keys() == ["newswatch-alerts:1"]


def test_a_channel_left_out_of_the_config_is_sent_what_it_missed_when_back(tmp_path, webhook):
    config = setup(tmp_path, [channel("ops", webhook.url())])
    with Store(config.database) as store:
        cycle(store, config, [("a", "North Korea test", "")])
        cycle(store, setup(tmp_path, []), [("b", "North Korea while away", "")])
        cycle(store, config)  # commented out for a while, or a crawl with another config
    assert webhook.keys() == ["newswatch-alerts:1", "newswatch-alerts:2"]


def test_a_message_cannot_ping_link_or_add_markup(tmp_path, webhook):
    evil = "# @everyone <!channel> **North Korea** ||x|| [click](http://evil.example) <b>x</b>"
    config = setup(tmp_path, [channel("md", webhook.url("/md") + "?format=markdown")])
    with Store(config.database) as store:
        cycle(store, config, [("a", evil, "see evil.example/login north korea @someone")])
    body = webhook.received[0]["message"]  # the Markdown a Discord or Mattermost renders
    headline = body.split("\n")[2]
    zw = "\u200b"  # zero-width: a reader sees nothing, a client finds no mention or link
    assert headline == (
        f"\\# @{zw}everyone \\<{zw}!channel\\> \\*\\*North Korea\\*\\* \\|\\|x\\|\\|"
        f" \\[click\\](http:{zw}//evil.{zw}example) \\<b\\>x\\</b\\>"
    )
    assert f"evil.{zw}example/login" in body and f"@{zw}someone" in body
    assert "\nhttps://example.com/a\n" in body  # the story's own link stays one link


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


def test_a_channel_that_never_answers_fails_at_the_send_timeout(tmp_path, webhook, monkeypatch):
    monkeypatch.setattr(notify_module, "SEND_SECONDS", 1.0)
    config = setup(tmp_path, [channel("ops", webhook.url())])
    webhook.hold = True  # the receiver takes the request and never answers
    with Store(config.database) as store:
        report = cycle(store, config, [("a", "North Korea test", "")])
        assert report.outcomes[0].failed == "no answer within 1s"
        assert states(store, "ops") == [(1, "pending", 1)]  # counted, and owed next cycle
        assert deliveries.failures(store, "ops") == 1


def test_a_send_cut_by_the_cycles_budget_is_no_failure_of_the_channel(tmp_path, webhook):
    config = setup(tmp_path, [channel("ops", webhook.url())])
    webhook.hold = True
    with Store(config.database) as store:
        report = cycle(store, config, [("a", "North Korea test", "")], budget=4.0)
        assert report.outcomes[0].cut and report.outcomes[0].failed is None
        assert states(store, "ops") == [(1, "pending", 0)]  # owed, no attempt counted
        assert deliveries.failures(store, "ops") == 0  # no backoff either
        none_left = cycle(store, config, budget=2.0)  # too little time to start a send
        assert none_left.outcomes[0].skipped == "no time left in this cycle"


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

    channels = [
        channel("editor", webhook.url(), digest=True),
        channel("ops", webhook.url("/o")),
        channel("seoul-desk", webhook.url("/s"), topics=["seoul"], digest=True),
    ]
    path = write_config(
        tmp_path,
        [("wire", "http://127.0.0.1:9/feed.xml")],
        topics=[("korea", '"north korea"'), ("seoul", "seoul")],
        notify=channels,
        schedule={"digest_at": "07:00", "timezone": "Asia/Jakarta"},
    )
    config = load_config(path)
    with Store(config.database) as store:
        cycle(store, config, [("a", "North Korea test", ""), ("b", "Seoul rain", "")])
    assert len(webhook.received) == 3  # the alerts: one batch to each channel
    write_daily_digest(config, datetime(2026, 3, 1, 23, 30, tzinfo=UTC))
    editor, seoul_desk = webhook.received[3:]  # the digest, to the channels that asked for it
    assert len(webhook.received) == 5
    assert editor["title"] == "newswatch: digest-2026-03-02"  # the day in Asia/Jakarta
    assert "North Korea test" in editor["message"] and "Seoul rain" in editor["message"]
    assert "Seoul rain" in seoul_desk["message"]  # each channel's own topics only
    assert "North Korea" not in seoul_desk["message"]


def test_a_hanging_channel_does_not_hold_up_a_healthy_one(tmp_path, webhook, monkeypatch):
    monkeypatch.setattr(notify_module, "SEND_SECONDS", 1.0)
    hanging = Webhook()
    hanging.hold = True
    hanging.server.start()
    try:
        both = [channel("hang", hanging.url()), channel("ops", webhook.url())]
        config = setup(tmp_path, both)
        with Store(config.database) as store:
            report = cycle(store, config, [("a", "North Korea test", "")])
            outcomes = {o.name: o for o in report.outcomes}
            assert outcomes["ops"].sent == 1 and outcomes["hang"].failed == "no answer within 1s"
            assert states(store, "ops") == [(1, "sent", 1)]
            assert states(store, "hang") == [(1, "pending", 1)]
    finally:
        hanging.released.set()
        hanging.server.close()
