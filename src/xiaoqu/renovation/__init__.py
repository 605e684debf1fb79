"""Stage 4, the works (如何建): choosing a year's batch of estates, and (to come) projects from
the published plans to joint acceptance. See docs/renovation.md."""
