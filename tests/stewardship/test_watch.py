"""The pure rules of duty and access (stewardship.watch): roster coverage, opening hours, one
credential at two points, and what counts as biometric data. Plain data, no database."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from xiaoqu.stewardship import watch
from xiaoqu.stewardship.watch import Pass

T0 = dt.datetime(2026, 5, 4, 0, 0, tzinfo=dt.UTC)


def h(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def test_the_module_imports_no_django():
    """A pure core: importing it loads no Django."""
    code = (
        "import sys, xiaoqu.stewardship.watch; "
        "assert not [m for m in sys.modules if m.split('.')[0] in ('django', 'ninja', 'rules')]"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- coverage ---------------------------------------------------------------------------------


def test_a_day_of_two_twelve_hour_shifts_has_no_gap():
    assert watch.uncovered(h(0), h(24), [(h(0), h(12)), (h(12), h(24))]) == []


def test_gaps_are_the_times_no_shift_covers():
    """Before the first shift, between two, and after the last; overlapping shifts merge."""
    shifts = [(h(8), h(12)), (h(10), h(14)), (h(18), h(20))]
    assert watch.uncovered(h(0), h(24), shifts) == [
        (h(0), h(8)),
        (h(14), h(18)),
        (h(20), h(24)),
    ]


def test_shifts_reaching_outside_the_period_are_clipped():
    assert watch.uncovered(h(0), h(24), [(h(-6), h(6)), (h(20), h(30))]) == [(h(6), h(20))]


def test_no_shift_leaves_the_whole_period_uncovered_and_an_empty_period_has_no_gap():
    assert watch.uncovered(h(0), h(24), []) == [(h(0), h(24))]
    assert watch.uncovered(h(5), h(5), [(h(0), h(1))]) == []


def test_an_inverted_or_empty_shift_covers_nothing():
    assert watch.uncovered(h(0), h(2), [(h(1), h(1)), (h(2), h(1))]) == [(h(0), h(2))]


intervals = st.lists(
    st.tuples(st.integers(-10, 60), st.integers(-10, 60)).map(lambda p: (h(p[0]), h(p[1]))),
    max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(shifts=intervals, start=st.integers(0, 24), length=st.integers(0, 36))
def test_uncovered_agrees_with_a_check_hour_by_hour(shifts, start, length):
    """Every whole hour of the period is in a gap exactly when no shift covers it; gaps are
    ordered, disjoint, not touching, and inside the period."""
    a, b = h(start), h(start + length)
    gaps = watch.uncovered(a, b, shifts)
    for hour in range(start, start + length):
        t = h(hour)
        covered = any(s <= t < e for s, e in shifts)
        in_gap = any(g0 <= t < g1 for g0, g1 in gaps)
        assert covered != in_gap, (hour, shifts, gaps)
    for (_g0, g1), (n0, _n1) in zip(gaps, gaps[1:], strict=False):
        assert g1 < n0
    assert all(a <= g0 < g1 <= b for g0, g1 in gaps)


# --- opening hours ----------------------------------------------------------------------------


def t(s: str) -> dt.time:
    return dt.time.fromisoformat(s)


def test_a_point_without_hours_is_always_open():
    assert watch.is_open(t("03:00"), None, None)


def test_hours_include_the_opening_and_exclude_the_closing_minute():
    assert watch.is_open(t("06:00"), t("06:00"), t("23:00"))
    assert watch.is_open(t("22:59:59"), t("06:00"), t("23:00"))
    assert watch.outside_hours(t("23:00"), t("06:00"), t("23:00"))
    assert watch.outside_hours(t("05:59"), t("06:00"), t("23:00"))


def test_hours_may_run_past_midnight():
    """A night gate open 20:00–02:00 is open at 23:00 and 01:00, closed at noon."""
    assert watch.is_open(t("23:00"), t("20:00"), t("02:00"))
    assert watch.is_open(t("01:00"), t("20:00"), t("02:00"))
    assert watch.outside_hours(t("12:00"), t("20:00"), t("02:00"))
    assert watch.outside_hours(t("02:00"), t("20:00"), t("02:00"))


# --- one credential at two points -------------------------------------------------------------

WINDOW = dt.timedelta(seconds=60)


def p(key, who, point, at_seconds, kind="gate") -> Pass:
    return Pass(key, who, point, kind, T0 + dt.timedelta(seconds=at_seconds))


def test_one_card_at_two_gates_within_a_minute_is_flagged_on_the_later_event():
    known = [p("a", "c1", "east", 0)]
    assert watch.two_points([p("b", "c1", "west", 40)], known, window=WINDOW) == {"b": "a"}


def test_a_minute_and_a_second_apart_is_not_flagged():
    known = [p("a", "c1", "east", 0)]
    assert watch.two_points([p("b", "c1", "west", 61)], known, window=WINDOW) == {}
    assert watch.two_points([p("b", "c1", "west", 60)], known, window=WINDOW) == {"b": "a"}


def test_the_same_point_twice_or_two_holders_is_not_flagged():
    known = [p("a", "c1", "east", 0), p("x", "c2", "west", 10)]
    assert watch.two_points([p("b", "c1", "east", 5)], known, window=WINDOW) == {}


def test_the_gate_then_ones_entrance_door_is_the_way_home():
    """Points of different kinds are not compared: gate → entrance within seconds is normal."""
    known = [p("a", "c1", "gate", 0, kind="gate")]
    new = [p("b", "c1", "door1", 20, kind="entrance")]
    assert watch.two_points(new, known, window=WINDOW) == {}


def test_an_unknown_holder_is_never_compared():
    known = [p("a", None, "east", 0)]
    assert watch.two_points([p("b", None, "west", 5)], known, window=WINDOW) == {}


def test_within_one_batch_a_pair_is_flagged_once_on_the_later_event():
    """Events of one post are judged in time order, whatever order they arrive in."""
    new = [p("late", "c1", "west", 30), p("early", "c1", "east", 0)]
    assert watch.two_points(new, [], window=WINDOW) == {"late": "early"}


def test_the_nearest_other_pass_is_named():
    known = [p("far", "c1", "north", 0), p("near", "c1", "east", 50)]
    assert watch.two_points([p("b", "c1", "west", 55)], known, window=WINDOW) == {"b": "near"}


passes = st.lists(
    st.tuples(
        st.sampled_from(["c1", "c2", None]),
        st.sampled_from(["east", "west", "door"]),
        st.integers(0, 300),
    ),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(old=passes, new=passes)
def test_two_points_flags_exactly_the_later_of_every_close_pair(old, new):
    """Against a brute force: a new pass is flagged iff some pass judged before it (a known
    one, or an earlier new one) has the same holder, another point of the same kind, and is
    within the window; what it names is such a pass."""
    kind = {"east": "gate", "west": "gate", "door": "entrance"}
    known = [p(("k", i), w, pt, s, kind[pt]) for i, (w, pt, s) in enumerate(old)]
    fresh = [p(("n", i), w, pt, s, kind[pt]) for i, (w, pt, s) in enumerate(new)]
    found = watch.two_points(fresh, known, window=WINDOW)
    by_key = {x.key: x for x in known + fresh}

    def close(a: Pass, b: Pass) -> bool:
        return (
            a.who is not None
            and a.who == b.who
            and a.point != b.point
            and a.kind == b.kind
            and abs(a.at - b.at) <= WINDOW
        )

    ordered = sorted(fresh, key=lambda x: x.at)
    for i, x in enumerate(ordered):
        before = known + ordered[:i]
        should = any(close(x, y) for y in before)
        assert (x.key in found) == should
        if x.key in found:
            assert close(x, by_key[found[x.key]])


# --- biometric data ---------------------------------------------------------------------------


def test_a_plain_event_holds_no_biometric_data():
    event = {
        "id": "1",
        "at": "2026-05-04T08:00:00+08:00",
        "method": "face",
        "person_id": 7,
        "granted": True,
    }
    assert watch.biometric_fields([event, {"method": "face", "face": "unknown"}]) == []


def test_fields_named_for_images_templates_and_features_are_biometric():
    for name in (
        "face_image",
        "photo",
        "faceTemplate",
        "feature",
        "embedding",
        "snapshot_b64",
        "Face-Data",
        "fingerprint",
        "iris_code",
        "img",
    ):
        assert watch.biometric_fields([{"id": "1", name: "x"}]) == [f"[0].{name}"], name


def test_a_data_uri_or_a_long_base64_blob_anywhere_is_biometric():
    blob = "iVBORw0KGgo" + "A" * 400
    assert watch.biometric_fields({"credential": "data:image/jpeg;base64,/9j/4AAQ"}) == [
        "credential"
    ]
    assert watch.biometric_fields([{"face": blob}]) == ["[0].face"]
    assert watch.biometric_fields({"extra": {"nested": [blob]}}) == ["extra.nested[0]"]


def test_a_feature_vector_is_biometric_but_a_short_list_is_not():
    assert watch.biometric_fields({"face": [0.1] * 128}) == ["face"]
    assert watch.biometric_fields({"ids": [1, 2, 3]}) == []


def test_a_qr_payload_of_ordinary_length_is_not_a_blob():
    assert watch.biometric_fields({"credential": "Qm9va3MtYW5kLWtleXM" * 5}) == []
