"""Where alerts go once they are rows: the alert log (exactly once), the digest, notifications.

Every channel reads alert rows, never the crawl: ``alert_log`` appends each alert once;
``digest`` rewrites the digest from the rows; ``notify`` sends each notification channel what
it is owed (at least once), in the words of ``messages``, through ``sender`` (apprise), and
``digest_channels`` the daily digest; ``plain_text`` and ``local_time`` make text from the web
and times safe and readable in any of them.
"""
