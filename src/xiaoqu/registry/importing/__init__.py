"""Import of the register from an .xlsx workbook or a folder of csv files.

The format is docs/register-format.md; ``import_register`` is the one entry point.
"""

from xiaoqu.registry.importing.engine import (
    ImportFailed,
    ImportReport,
    RowError,
    import_register,
)
from xiaoqu.registry.importing.sources import RegisterSourceError

__all__ = ["ImportFailed", "ImportReport", "RegisterSourceError", "RowError", "import_register"]
