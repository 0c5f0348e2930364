"""The shared comparison of a complete listing with stored rows."""

from apps.syncs.listings import listing_diff

FIELDS = ("name",)


def test_new_changed_unchanged_vanished_and_returning_rows_are_told_apart():
    rows = [
        (1, "a", False, ["alpha"]),  # listed, same
        (2, "b", False, ["beta"]),  # listed, renamed
        (3, "c", False, ["gamma"]),  # no longer listed
        (4, "d", True, ["delta"]),  # gone, listed again unchanged
        (5, "e", True, ["eps"]),  # gone and still not listed
    ]
    incoming = {"a": {"name": "alpha"}, "b": {"name": "bravo"}, "d": {"name": "delta"}, "f": {"name": "foxtrot"}}

    diff = listing_diff(rows=rows, incoming=incoming, fields=FIELDS)

    assert (diff.new, diff.changed, diff.returning, diff.vanished) == (["f"], ["b"], [4], [3])
    assert (diff.counts.created, diff.counts.updated, diff.counts.removed, diff.counts.unchanged) == (1, 2, 1, 1)


def test_an_empty_listing_vanishes_every_present_row():
    diff = listing_diff(rows=[(1, "a", False, ["x"]), (2, "b", True, ["y"])], incoming={}, fields=FIELDS)

    assert (diff.vanished, diff.new, diff.counts.removed) == ([1], [], 1)
