"""The Scrapy parts a crawl runs: what buys politeness and safety stays, the unused ones are off.

Every component left on costs each request or response something (a warm cycle is some 10,000
of them), so the ones the crawl never uses are switched off; this checks the split.
"""

from __future__ import annotations

from scrapy.core.downloader.middleware import DownloaderMiddlewareManager
from scrapy.core.spidermw import SpiderMiddlewareManager
from scrapy.extension import ExtensionManager
from scrapy.utils.test import get_crawler

from newswatch.crawler.politeness import CrawlDelayExtension
from newswatch.crawler.settings import scrapy_settings
from newswatch.crawler.spider import NewsSpider
from newswatch.scheduler.config import load_config

from conftest import write_config


def loaded(tmp_path, manager) -> set[str]:
    config = load_config(write_config(tmp_path, [("f", "http://127.0.0.1:9/feed.xml")]))
    crawler = get_crawler(NewsSpider, scrapy_settings(config.crawl))
    return {type(component).__name__ for component in manager.from_crawler(crawler).middlewares}


def test_the_downloader_keeps_the_gate_robots_timeouts_size_caps_and_redirects(tmp_path):
    names = loaded(tmp_path, DownloaderMiddlewareManager)
    assert {
        "SafetyMiddleware",  # scheme allow-list, private addresses refused
        "RobotsTxtMiddleware",
        "DownloadTimeoutMiddleware",
        "UserAgentMiddleware",
        "HttpCompressionMiddleware",  # DOWNLOAD_MAXSIZE on the decompressed body too
        "RedirectMiddleware",  # REDIRECT_MAX_TIMES, each hop through the gate again
        "MetaRefreshMiddleware",
    } <= names
    assert not names & {
        "OffsiteMiddleware",
        "HttpAuthMiddleware",
        "DownloaderStats",
        "CookiesMiddleware",
        "RetryMiddleware",
    }


def test_no_spider_middleware_adds_a_layer_the_crawl_does_not_use(tmp_path):
    names = loaded(tmp_path, SpiderMiddlewareManager)
    assert {"StartSpiderMiddleware", "HttpErrorMiddleware", "UrlLengthMiddleware"} <= names
    assert not names & {"RefererMiddleware", "DepthMiddleware", "MetaCopyDetectionMiddleware"}


def test_extensions_are_ours_and_none_counts_or_polls_per_request(tmp_path):
    names = loaded(tmp_path, ExtensionManager)
    assert CrawlDelayExtension.__name__ in names
    assert not names & {"CoreStats", "LogCount", "MemoryUsage", "LogStats", "TelnetConsole"}


def test_scrapys_remote_control_is_never_loaded_nor_started(tmp_path):
    """A loopback server that runs any code sent with its token (Scrapy 2.19) has no place in
    a crawl; nor has the import of aiohttp it costs."""
    settings = scrapy_settings(load_config(write_config(tmp_path, [("f", "http://x/f")])).crawl)
    assert settings["REMOTE_CONTROL_ENABLED"] is False
    assert "RemoteControl" not in loaded(tmp_path, ExtensionManager)
    assert not any("remote_control" in key for key in settings["EXTENSIONS_BASE"])
    assert not any("cookies" in key for key in settings["DOWNLOADER_MIDDLEWARES_BASE"])


def test_a_crawl_leaves_no_scrapy_job_file_and_imports_no_aiohttp(tmp_path, monkeypatch):
    import subprocess
    import sys

    state = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    config = write_config(tmp_path, [("f", "http://127.0.0.1:9/feed.xml")])
    probe = (
        "import sys; from newswatch.scheduler.cli import main\n"
        "try:\n    main(['crawl', '-c', sys.argv[1]])\nexcept SystemExit:\n    pass\n"
        "print('aiohttp' in sys.modules, 'tldextract' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, str(config)], capture_output=True, text=True, timeout=120
    )
    assert out.stdout.split()[-2:] == ["False", "False"], out.stderr[-2000:]
    assert not list(state.rglob("*.json"))
