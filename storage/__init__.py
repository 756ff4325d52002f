"""SQLite through sqlite-utils, and the only place with SQL.

``migrations`` is the schema; ``store`` the connection, write transactions, stories, links,
feeds and runs; ``search`` the FTS5 queries; ``topics`` each topic's position and the alert
rows its matches make; ``alerts`` reading alert rows and marking them delivered.
"""
