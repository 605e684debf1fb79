"""Writes of the works, one module per part (see docs/renovation.md):

* ``projects``: batches, projects from published plans, parties, votes behind items, stages.
* ``batches``: the batch page's signed proposal confirmed into the year's batch.
* ``money``: funds received, payments, reversing entries, residents' contributions per dwelling.
* ``complaints``, ``acceptance``, ``surveys``: residents' complaints during the works, the joint
  acceptance item by item, the satisfaction survey per estate.
* ``progress``: item schedules, progress reports (stored once per phone ``client_id``), the site
  diary, site photos with their EXIF time and place, hidden works and their two signatures,
  the resident supervisor.

Every service checks the acting user's permission (``renovation.rules``) and writes an audit
row (and, for a project, an event row) in the same transaction.
"""
