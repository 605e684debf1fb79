"""Pages of owner votes and renovation plans, one module per part of the work:

* ``votes``: staff list, create, follow, open and close votes;
* ``ballots``: owners vote on their phone and keep a receipt, staff enter paper and proxy
  ballots, anyone checks a receipt;
* ``results``: the result explained, its public notice and the owners' objections;
* ``plans``: staff draw a plan up from the demand list and publish it; residents read it and
  comment during the consultation.

Every page declares its permission with ``core.policy.requires`` and receives its object
resolved through that permission's scope; every action is its own URL and form.
"""
