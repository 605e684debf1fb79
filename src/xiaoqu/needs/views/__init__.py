"""Pages of the needs app, one module per part: visits, opinions, demands and lists."""
