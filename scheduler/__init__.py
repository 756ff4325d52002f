"""Everything that is neither Scrapy nor SQLite, each in a room of its own.

``config/`` reads and checks config.yaml (every setting written once, in ``config/schema.py``);
``cycle`` is the one refresh path (crawl, match, deliver); ``polling`` plans each feed's next
poll; ``matching`` runs the topics over new stories; ``extraction_health`` notices a site
that changed its layout; ``summary`` words a cycle's counts; ``delivery/`` is where alerts go
(the alert log, the digest); ``daemon/`` runs cycles on a schedule; ``cli/`` is the
people-facing side (the commands, what they print, the demo); ``locks`` keeps one daemon and
one crawl per database; ``secrets`` holds the notification channels' secrets, so nothing we
log or print can show one.
"""
