"""Pages of owner votes and renovation plans, one module per part of the work:

* ``votes``: staff list, create, follow, open and close votes;
* ``ballots``: owners vote on their phone and keep a receipt, staff enter paper and proxy
  ballots, anyone checks a receipt;
* ``results``: the result explained, its public notice and the owners' objections;
* ``turnout``: who has not voted yet (never how anyone voted), and handing their doors to the
  grid worker or liaison member who knocks (催票);
* ``plans``: staff draw a plan up from the demand list and publish it; residents read it and
  comment during the consultation;
* ``public``: an estate's plans, running votes and published results as its residents see
  them (本小区的方案和表决).

Every page declares its permission with ``core.policy.requires`` and receives its object
resolved through that permission's scope; every action is its own URL and form.
"""
