"""``newswatch run``: one ``newswatch crawl`` child per cycle, on an APScheduler 3.x schedule.

The daemon only schedules, reloads the config, starts a crawl child when a feed is due and
supervises it, logs one line per cycle with the counts the child kept in its ``runs`` row, and
writes the optional daily digest. Its parts, one module each:

- ``service``: the lifecycle (signals, ``serve``, ``run_daemon``) and the crawl job's ticks;
- ``schedule``: the jobs on the scheduler (``CatchUpInterval``, the daily digest's trigger);
- ``next_poll``: when the next feed is due, read from the ``feeds`` table;
- ``watchdog``: a cycle on monotonic time when the wall clock was set back;
- ``child``: the crawl child in its own process group, its deadline and how it is stopped;
- ``cycle_line``: the one log line per cycle, its counts read from the child's ``runs`` row;
- ``reload``: the config re-read each cycle, and the last good copy the child runs on;
- ``daily_digest``: the dated digest written at ``schedule.digest_at``.
"""

from __future__ import annotations

from .service import Daemon, run_daemon

__all__ = ["Daemon", "run_daemon"]
