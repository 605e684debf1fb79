"""Pages of the works, one module per part (see docs/renovation.md)."""
