"""Writes of management after the works, one module per part (see docs/stewardship.md):

* ``bodies``: who manages an estate (history, the register's mode), its committee, covenant
  and rules with their votes, the five parties' seats.
* ``fund``: the maintenance fund — deposits, interest, uses by the owners' vote or the
  emergency procedure, their publication.
* ``orders``: work orders — reports, routing, moves with their events, escalation sweep.

Every service checks the acting user's permission (``stewardship.rules``) and writes an audit
row (and, for a work order, an event row) in the same transaction.
"""
