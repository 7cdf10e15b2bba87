import itertools
import os

import pytest

import coffer
from coffer import shamir


def test_any_threshold_of_parts_recovers_the_secret():
    secret = os.urandom(32) + b"\x00"
    parts = shamir.split(secret, 5, 3)
    assert len(parts) == 5
    assert all(len(p) == len(secret) + 1 for p in parts)
    for subset in itertools.combinations(parts, 3):
        assert shamir.combine(list(subset)) == secret
    assert shamir.combine(parts) == secret


def test_fewer_parts_give_a_wrong_secret():
    secret = b"k" * 32
    parts = shamir.split(secret, 5, 3)
    assert shamir.combine(parts[:2]) != secret


def test_bad_arguments_raise_invalid_argument():
    with pytest.raises(coffer.InvalidArgumentError) as e:
        shamir.split(b"s", 0, 0)
    assert e.value.code == 3
    assert e.value.message.startswith("shamir: ")
    assert isinstance(e.value, coffer.CofferError)
    with pytest.raises(coffer.InvalidArgumentError):
        shamir.combine([])
    parts = shamir.split("text secrets are UTF-8", 3, 2)
    with pytest.raises(coffer.InvalidArgumentError):
        shamir.combine([parts[0], parts[0]])
    with pytest.raises(TypeError):
        shamir.split(42, 3, 2)
