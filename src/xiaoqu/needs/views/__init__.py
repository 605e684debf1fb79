"""Pages of the needs app, one module per part: campaigns, visits, opinions (staff), residents'
own opinions, demands, and published demand lists. Every page declares what it needs with
``core.policy.requires`` and receives its object found through that permission's scope."""
