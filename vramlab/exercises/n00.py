"""Exercises of notebook 00 (units)."""

from ..units import GiB
from . import Exercise

EXERCISES = {
    "00.1": Exercise(
        question="How many bytes are in 1 GiB?",
        answer=lambda: GiB,
        hint="GiB is a power of two: 2**30.",
        unit="bytes",
        solution="1 GiB is {answer} bytes.",
    ),
}
