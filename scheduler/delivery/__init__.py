"""Where alerts go once they are rows: the alert log (exactly once) and the digest.

Every channel reads alert rows, never the crawl: ``alert_log`` appends each alert once,
``digest`` rewrites the digest from the rows, and ``plain_text`` makes text from the web safe
to show in any of them.
"""
