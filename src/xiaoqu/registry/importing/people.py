"""Loading the people and what ties them to dwellings: ownerships and residencies.

An ID number (证件号码) is checked, then kept only as a keyed hash (``XIAOQU_PII_KEY``) and its
last four characters; the number itself is never stored (docs/personal-information.md).
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.utils.translation import gettext as _

from xiaoqu.core.pii import IdNumberHasher
from xiaoqu.registry.importing.loading import BROKEN, References, Step, Target, stored_rows
from xiaoqu.registry.importing.reading import SheetRows
from xiaoqu.registry.importing.spec import OWNERSHIPS, PEOPLE, RESIDENCIES

# ID hash → (person id, 人员编号, row in this file or 0 for the database).
HashOwners = dict[bytes, tuple[int, str | None, int]]


class People(Step):
    sheet = PEOPLE
    key = ("ref",)
    values = ("name", "phone", "id_hash", "id_last4")

    # ID numbers the file gives that no person read from the database holds.
    new_numbers = 0

    def load(self) -> None:
        """Only the 人员编号 are needed when the file has no 人员 sheet."""

    def load_keys(self) -> None:
        for ref, (pk, _vals) in self.stored_people({}).items():
            self.keys.person_by_ref[ref] = pk

    def stored_people(self, owners: HashOwners) -> dict[str, tuple[int, tuple[Any, ...]]]:
        """人员编号 → (id, values) of every stored person; fills ``owners`` with their hashes."""
        out: dict[str, tuple[int, tuple[Any, ...]]] = {}
        for pk, (ref,), (name, phone, id_hash, last4) in stored_rows(
            self.sheet.model, self.key, self.values, self.run.scope.person_filters()
        ):
            # People entered without a number are exported as "#<id>" (the exporter).
            out[ref or f"#{pk}"] = (pk, (name, phone or "", id_hash, last4 or ""))
            if id_hash:
                owners[id_hash] = (pk, ref, 0)
        return out

    def accept(self, rows: SheetRows) -> None:
        self.owners: HashOwners = {}
        self.stored = self.stored_people(self.owners)
        by_ref = self.keys.person_by_ref
        for ref, (pk, _vals) in self.stored.items():
            by_ref[ref] = pk
        self.ref_index = rows.cells("ref")[0].position
        self.cells = rows.cells("ref", "name", "phone", "id_number")
        self.present_phone = rows.has("phone")
        self.target = Target(self.table, self.stored, (True,) * len(self.values))
        self.hash_id = IdNumberHasher()
        seen: dict[str, int] = {}
        for number, row in rows:
            self.row(number, row, seen)

    def row(self, number: int, row: list[str], seen: dict[str, int]) -> None:
        ref = row[self.ref_index].strip()
        # Only a valid 人员编号 is remembered, so a repeated one is valid too: the repeat is
        # reported alone, before the rest of its row is read.
        first = seen.get(ref)
        if first is not None:
            self.duplicate(number, "人员编号", first)
            return
        (valid_ref, name, phone, id_number), ok = self.read(number, row, self.cells)
        if valid_ref:
            seen[ref] = number
        old = self.stored.get(ref)
        id_hash = last4 = None
        if id_number is not None:
            id_hash = self.hash_id(id_number)
            last4 = id_number[-4:]
            ok = self.claim(number, ref, id_hash, old) and ok
        if not ok:
            if ref:
                self.keys.person_by_ref.setdefault(ref, BROKEN)
            return
        if old is None:
            values = (name, phone, id_hash, last4 or "")
        else:
            # An empty ID cell keeps the stored hash: exports never carry the number.
            kept = old[1]
            values = (
                name,
                phone if self.present_phone else kept[1],
                id_hash or kept[2],
                last4 or kept[3],
            )
        self.keys.person_by_ref[ref] = self.target.put(ref, (ref,), values)

    def claim(
        self, number: int, ref: str, id_hash: bytes, old: tuple[int, tuple[Any, ...]] | None
    ) -> bool:
        """Record whose ID number this is; a number already someone else's is an error."""
        holder = self.owners.get(id_hash)
        if holder is None:
            self.new_numbers += 1
        if holder is None or (not holder[2] and old is not None and holder[0] == old[0]):
            self.owners[id_hash] = (old[0] if old else 0, ref, number)
            return True
        if holder[2]:
            return self.error(number, "证件号码", _("与第%(n)d行的证件号码相同") % {"n": holder[2]})
        return self.error(
            number,
            "证件号码",
            _("该证件号码已属于系统中的另一人（人员编号%(r)s）")
            % {"r": holder[1] or f"#{holder[0]}"},
        )

    def done(self) -> None:
        # A million hashes are not needed any more; the ownerships need the room.
        self.owners = {}
        self.stored = {}


class Link(Step):
    """A person–dwelling row (产权, 居住), matched by the two on re-import."""

    key = ("person", "dwelling")

    def accept(self, rows: SheetRows) -> None:
        stored = {
            key: (pk, vals)
            for pk, key, vals in stored_rows(
                self.sheet.model,
                self.key,
                self.values,
                self.run.scope.dwelling_filters(
                    self.keys.estate_by_code, connection.ops.quote_name("dwelling_id")
                ),
            )
        }
        self.person_index = rows.cells("ref")[0].position
        self.dwelling_index = tuple(
            c.position for c in rows.cells("estate_code", "building", "entrance", "number")
        )
        self.value_cells = self.cells_for(rows, *self.values)
        self.target = Target(self.table, stored, self.present(rows, self.values))
        self.references = References(self)
        seen: dict[tuple[int, int], int] = {}
        for number, row in rows:
            self.row(number, row, seen)

    def row(self, number: int, row: list[str], seen: dict[tuple[int, int], int]) -> None:
        person = self.references.person(number, row[self.person_index].strip())
        e, b, u, n = self.dwelling_index
        dwelling = self.references.dwelling(
            number, (row[e].strip(), row[b].strip(), row[u].strip()), row[n].strip()
        )
        values, ok = self.read(number, row, self.value_cells)
        if ok and person and dwelling:
            key = (person, dwelling)
            first = seen.get(key)
            if first is not None:
                self.duplicate(number, "人员编号", first)
                return
            seen[key] = number
            self.target.put(key, key, tuple(values))


class Ownerships(Link):
    sheet = OWNERSHIPS
    values = ("share",)


class Residencies(Link):
    sheet = RESIDENCIES
    values = ("relation", "since")
