"""The Scrapy side: one crawl of the feeds, and the pure article parser.

``run.run_crawl`` runs one Scrapy crawler process; ``spider`` turns feeds into article jobs and
pages into stories; ``article/`` is the parser (bytes in, fields out, no clock, no signal), run
in worker processes by ``parse_pool`` (``parse_worker`` is what runs in each);
``feeds`` parses feed bytes with feedparser; ``urls`` and ``known_links`` decide a link's
identity; ``middlewares`` and ``resolver`` are the request gate; ``pipelines`` is the storage
side of the crawl (its connection to the database, every write); ``politeness``,
``progress`` and ``settings`` are the remaining Scrapy components.
"""
