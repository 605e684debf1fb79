"""Writes of the works, one module per part (see docs/renovation.md):

* ``projects``: batches, projects from published plans, parties, votes behind items, stages.

Every service checks the acting user's permission (``renovation.rules``) and writes an audit
row (and, for a project, an event row) in the same transaction.
"""
