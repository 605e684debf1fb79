"""``xiaoqu generate``: registers in the import format (docs/register-format.md).

``generate_register`` writes a folder of csv files that ``xiaoqu import`` reads. Without a
preset it draws a register of a small made-up province; ``--preset guizhou`` draws one over
Guizhou's real regions (``province``); ``--preset demo`` writes the demo register, whose
places are fixed (``demo``); ``--preset national`` writes the national programme as one
register per province (``national``). The presets' data are ``data/<preset>.json``; every file's
header is the import specification's.
"""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext as _

from xiaoqu.registry.generator.demo import generate_demo
from xiaoqu.registry.generator.national import generate_national
from xiaoqu.registry.generator.output import GenerateError, GenerateSummary
from xiaoqu.registry.generator.province import FILES, generate_province
from xiaoqu.registry.generator.tree import DATA_DIR, PRESETS, load_preset

__all__ = [
    "DATA_DIR",
    "FILES",
    "PRESETS",
    "GenerateError",
    "GenerateSummary",
    "generate_register",
]

DEMO = "demo"
NATIONAL = "national"


def generate_register(
    out: Path,
    *,
    estates: int | None = None,
    dwellings: int | None = None,
    seed: int | None = None,
    preset: str | None = None,
    force: bool = False,
    workers: int | None = None,
) -> GenerateSummary:
    """Write a register as csv files into the folder ``out``.

    With ``preset`` "guizhou" the regions are Guizhou's real ones and the counts default to
    the preset's (5,601 estates, 901,400 dwellings); with "national" the counts are the national
    totals (default about 220,000 estates and 38 million dwellings), written as a folder per
    province; without a preset a small made-up
    province is used and both counts are required; ``seed`` (default 1) draws the rest. With
    ``preset`` "demo" the demo register is written: it takes no counts and no seed. ``force``
    lets ``out`` be a non-empty folder (the register files in it are replaced). ``workers``
    processes write districts in parallel (default: one per core for large registers); the
    files are the same whatever their number. Raises ``GenerateError`` for bad arguments.
    """
    if preset is not None and preset not in PRESETS:
        raise GenerateError(
            _("未知的预设 %(preset)s；可用：%(choices)s。")
            % {"preset": preset, "choices": "、".join(sorted(PRESETS))}
        )
    out = Path(out)
    data = load_preset(preset)
    if preset == DEMO:
        if estates is not None or dwellings is not None or seed is not None:
            raise GenerateError(
                _("演示档案是固定的：--preset demo 不能与 --estates、--dwellings 或 --seed 同用。")
            )
        return generate_demo(out, data, force=force)
    if preset == NATIONAL:
        return generate_national(
            out,
            data,
            estates=estates,
            dwellings=dwellings,
            seed=1 if seed is None else seed,
            force=force,
            workers=workers,
        )
    return generate_province(
        out,
        data,
        preset=preset,
        estates=estates,
        dwellings=dwellings,
        seed=1 if seed is None else seed,
        force=force,
        workers=workers,
    )
