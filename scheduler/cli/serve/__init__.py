"""``newswatch serve``: the store in a browser, read-only, through Datasette (the ``serve`` extra).

``run.py`` is the command's work; ``app.py`` builds the Datasette; ``readonly.py`` is the
connection that cannot write; ``metadata.yaml`` (read by ``metadata.py``) describes every table
and column and holds the canned queries; ``served.py`` is what one ``serve`` serves. The
plugins: ``files.py`` (the digest and Atom feeds at fixed paths), ``stories_page.py`` (the
stories table's default columns), ``snippets.py`` (matched words highlighted) and ``errors.py``
(a 404 without a traceback). ``static/newswatch.css`` and ``templates/`` (a story's page) are
the few places where ours looks different from Datasette's own.

Nothing here is imported unless ``serve`` runs, so the rest of newswatch needs no Datasette.
"""
