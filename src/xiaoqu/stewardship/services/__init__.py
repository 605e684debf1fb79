"""Writes of management after the works, one module per part (see docs/stewardship.md):

* ``access``: access control (门禁) — points, devices and their keys, residents' credentials
  (keyed digests, following their residency), the events devices post with their anomalies,
  retention.
* ``bodies``: who manages an estate (history, the register's mode), its committee, covenant
  and rules with their votes, the five parties' seats.
* ``duty``: the 24-hour duty roster (值班) — shifts and their handover notes.
* ``evaluation``: the monthly evaluation of the managing body (业委评议) and the monthly
  reports — criteria, scoring, computing, publishing.
* ``fund``: the maintenance fund — deposits, interest, uses by the owners' vote or the
  emergency procedure, their publication.
* ``orders``: work orders — reports, routing, moves with their events, escalation sweep.

Every service checks the acting user's permission (``stewardship.rules``) and writes an audit
row (and, for a work order, an event row) in the same transaction.
"""
