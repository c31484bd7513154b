"""The one integer check (fastiter._validate.is_int / check_int) and its users.

Every integer argument takes Python and numpy integers and refuses bools (Python's and
numpy's) with an error naming the argument, the bad value and what was expected.
"""

import numpy as np
import pytest

from fastiter._validate import check_int, int_in_range, is_int, positive_int

INTS = [0, 7, np.int8(7), np.int64(-3), np.uint64(2**63)]
NOT_INTS = [True, False, np.True_, np.bool_(False), 1.0, np.float32(2), "3", None, 2 + 0j]


@pytest.mark.parametrize("value", INTS)
def test_integers_pass(value):
    assert is_int(value)
    assert check_int("n", value) == int(value) and type(check_int("n", value)) is int


@pytest.mark.parametrize("value", NOT_INTS)
def test_bools_and_non_integers_are_refused_with_name_value_and_rule(value):
    assert not is_int(value)
    with pytest.raises(TypeError) as err:
        check_int("batch_size", value, 1)
    msg = str(err.value)
    assert msg.startswith("batch_size must be an integer >= 1, got ")
    assert repr(value) in msg and type(value).__name__ in msg


@pytest.mark.parametrize(
    "lo, hi, value, expected",
    [
        (1, None, 0, "n must be >= 1, got 0"),
        (0, 9, 10, r"n must be in \[0, 9\], got 10"),
        (None, 5, 6, "n must be <= 5, got 6"),
    ],
)
def test_out_of_range_names_the_bounds(lo, hi, value, expected):
    with pytest.raises(ValueError, match=expected):
        check_int("n", value, lo, hi)


def test_the_older_helpers_are_the_same_check():
    assert positive_int("k", np.int32(3)) == 3 and int_in_range("k", 3, 0, 3) == 3
    with pytest.raises(TypeError, match=r"k must be an integer >= 1, got True"):
        positive_int("k", True)
    with pytest.raises(
        TypeError,
        match=r"k must be an integer in \[0, 3\], got np.True_|"
        r"k must be an integer in \[0, 3\], got True",
    ):
        int_in_range("k", np.True_, 0, 3)


def test_a_numpy_integer_count_is_accepted_where_python_ints_were_required(tmp_path):
    # before: `isinstance(x, int)` refused numpy integers (e.g. a size read from an array)
    from fastiter._nchandles import HandleCache
    from fastiter.records import CSVRecordReader

    assert HandleCache(open, max_open=np.int64(2)).max_open == 2
    CSVRecordReader(skip_lines=np.int64(1))
    with pytest.raises(ValueError, match="max_open must be an integer >= 1, got True"):
        HandleCache(open, max_open=True)


def test_kernels_take_the_same_check():
    from fastiter import kernels

    out = kernels.one_hot(np.array([0, 2]), np.int64(3))
    np.testing.assert_array_equal(out, np.eye(3, dtype=np.float32)[[0, 2]])
    with pytest.raises(TypeError, match="num_classes must be an integer >= 1, got True"):
        kernels.one_hot(np.array([0, 1]), True)
    with pytest.raises(ValueError, match="num_classes must be >= 1, got 0"):
        kernels.one_hot(np.array([0, 1]), np.int16(0))


def test_a_ring_capacity_may_be_a_numpy_integer_but_not_a_bool():
    from fastiter._core._ring import Ring

    assert Ring(np.int64(4)) is not None
    with pytest.raises(TypeError, match="capacity must be an int, got bool"):
        Ring(True)
