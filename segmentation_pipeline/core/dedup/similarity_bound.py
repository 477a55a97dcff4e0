"""rapidfuzz's `ratio` with a score cutoff, skipping the pairs that cannot reach it.

fuzz.ratio is 100 * 2 * LCS / (len a + len b) (the longest common subsequence, in
characters). Two strings can have in common at most, for each character, the smaller of
its two counts, so 100 * 2 * sum(min(count a, count b)) / (len a + len b) bounds the
ratio from above. Counting characters in classes (a-z, 0-9, space, anything else, per
UTF-8 byte) only raises that bound, so it stays a bound. Below the cutoff rapidfuzz
returns 0, and so does this, without calling it: most candidate pairs are two different
names, and counting costs a fraction of comparing them. Same numbers, fewer calls.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import process

_CLASSES = 38  # a-z, 0-9, space, anything else
_SINGLE_SPACED_WORDS = r"^(?:[\p{L}\p{N}]+(?: [\p{L}\p{N}]+)*)?$"
_CHUNK = 1_000_000  # pairs counted at once (two uint8 rows of _CLASSES per pair)
# (a uint16 sum of _CLASSES counts up to 255 cannot overflow: 38 * 255 < 65536)


def _class_of_byte() -> np.ndarray:
    table = np.full(256, _CLASSES - 1, dtype=np.uint8)
    table[ord("a") : ord("z") + 1] = np.arange(26)
    table[ord("A") : ord("Z") + 1] = np.arange(26)  # case folded: still a bound
    table[ord("0") : ord("9") + 1] = np.arange(26, 36)
    table[ord(" ")] = 36
    return table


_CLASS_OF_BYTE = _class_of_byte()


@dataclass(frozen=True)
class CharCounts:
    """Per string: its length in characters (what rapidfuzz counts) and how many of its
    UTF-8 bytes fall in each class. `countable` is False where the uint8 counts could
    overflow (strings over 255 bytes): such strings are always compared."""

    lengths: np.ndarray  # int64
    counts: np.ndarray  # (strings, _CLASSES) uint8
    countable: np.ndarray  # bool

    @classmethod
    def of(cls, strings: np.ndarray, words: bool = False) -> CharCounts:
        """Counts of an object array of str (None or '' count as empty strings).
        `words`: for token_sort_ratio, which sorts the words and joins them with one
        space; only letters and digits in words one space apart keep their counts so,
        other strings are always compared."""
        text = pc.fill_null(pa.array(strings, pa.large_string()), "")
        if isinstance(text, pa.ChunkedArray):
            text = text.combine_chunks()
        lengths = np.asarray(pc.utf8_length(text)).astype(np.int64)
        offsets = np.frombuffer(text.buffers()[1], dtype=np.int64)[text.offset :][: len(text) + 1]
        data = np.frombuffer(text.buffers()[2] or b"", dtype=np.uint8)
        sizes = np.diff(offsets)
        countable = sizes <= 255
        if words:
            single_spaced = pc.match_substring_regex(text, _SINGLE_SPACED_WORDS)
            countable &= np.asarray(single_spaced, dtype=bool)
        counts = np.zeros((len(text), _CLASSES), dtype=np.uint8)
        for start in range(0, len(text), _CHUNK // 4):
            end = min(start + _CHUNK // 4, len(text))
            owner = np.repeat(np.arange(end - start, dtype=np.int64), sizes[start:end])
            classes = _CLASS_OF_BYTE[data[offsets[start] : offsets[end]]]
            flat = np.bincount(owner * _CLASSES + classes, minlength=(end - start) * _CLASSES)
            counts[start:end] = np.minimum(flat.reshape(end - start, _CLASSES), 255)
        counts[~countable] = 0
        return cls(lengths, counts, countable)


def may_reach_by_length(counts: CharCounts, a: np.ndarray, b: np.ndarray, cutoff: float):
    """The lengths alone: two strings have no more in common than the shorter one holds.
    (Any strings, countable or not, compared as they are: fuzz.ratio.)"""
    shorter = np.minimum(counts.lengths[a], counts.lengths[b])
    lengths = counts.lengths[a] + counts.lengths[b]
    # A margin of 1e-9 per character keeps float rounding on the side of comparing.
    return (200.0 * shorter >= (cutoff - 1e-9) * lengths) | (lengths == 0)


def may_reach(counts: CharCounts, a: np.ndarray, b: np.ndarray, cutoff: float) -> np.ndarray:
    """Per pair of string positions (a, b): can fuzz.ratio of the two reach `cutoff`?
    False only where the character counts prove it cannot."""
    if cutoff <= 0:
        return np.ones(len(a), dtype=bool)
    lengths = counts.lengths[a] + counts.lengths[b]
    bound = (cutoff - 1e-9) * lengths
    known = counts.countable[a] & counts.countable[b] & (lengths > 0)
    # First the lengths alone ...
    below = known & ~may_reach_by_length(counts, a, b, cutoff)
    # ... then, for the pairs they leave, the character counts.
    rest = np.flatnonzero(known & ~below)
    for start in range(0, len(rest), _CHUNK):
        pairs = rest[start : start + _CHUNK]
        common = np.minimum(counts.counts[a[pairs]], counts.counts[b[pairs]])
        below[pairs] = 200.0 * common.sum(axis=1, dtype=np.uint16) < bound[pairs]
    return ~below


def bounded_ratio(
    strings: np.ndarray,
    counts: CharCounts,
    a: np.ndarray,
    b: np.ndarray,
    scorer,
    cutoff: float,
) -> np.ndarray:
    """scorer(strings[a], strings[b]) with `score_cutoff=cutoff` (float32, 0 below the
    cutoff), calling rapidfuzz only for the pairs whose counts may reach it. `scorer`
    must be bounded by the character counts of `strings` as given: fuzz.ratio, or
    fuzz.token_sort_ratio on text whose words are single-space separated."""
    scores = np.zeros(len(a), dtype=np.float32)
    compare = np.flatnonzero(may_reach(counts, a, b, cutoff))
    if len(compare):
        scores[compare] = process.cpdist(
            strings[a[compare]], strings[b[compare]],
            scorer=scorer, score_cutoff=cutoff, workers=-1,
        )  # fmt: skip
    return scores
