"""The register import's public API (the implementation is the ``importing`` package)."""

from xiaoqu.registry.importing import (
    ImportFailed,
    ImportReport,
    RegisterSourceError,
    RowError,
    import_register,
)

__all__ = ["ImportFailed", "ImportReport", "RegisterSourceError", "RowError", "import_register"]
