"""Pages of management after the works, one module per part (see docs/stewardship.md)."""
