"""Salesforce record ids in either of their two forms.

A record id is 15 case-sensitive characters; the 18-character form appends three
characters that spell out which of the 15 are upper case, so that tools that ignore case
can still tell records apart. Exports mix the forms: reports give 15 characters, the API
and Data Loader 18, a BI tool may lower-case them. A usage feed keyed by one form must
still find accounts keyed by the other, and a User export the accounts' owners: an id is
moved to the other form only when that form is one the accounts have, so a feed keyed by
some other system's ids stays unmatched and is named as before.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from segmentation_pipeline.core.columns import AccountIndex, member_of
from segmentation_pipeline.core.standardize.text import as_text

# The 32 characters of the case checksum, one per 5-bit pattern of upper-case letters.
_CHECKSUM = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", dtype=np.uint8)
_WEIGHTS = 1 << np.arange(5)


def _bytes(ids: np.ndarray, width: int) -> np.ndarray:
    """Ids of `width` ASCII characters as an (n, width) byte matrix."""
    return np.frombuffer(ids.astype(f"S{width}").tobytes(), dtype=np.uint8).reshape(-1, width)


def _upper(chars: np.ndarray) -> np.ndarray:
    return (chars >= ord("A")) & (chars <= ord("Z"))


def _text(chars: np.ndarray) -> np.ndarray:
    width = chars.shape[1]
    return np.ascontiguousarray(chars).view(f"S{width}").ravel().astype(str).astype(object)


def long_form(chars15: np.ndarray) -> np.ndarray:
    """The 18-character form of each 15-character id (an (n, 15) byte matrix)."""
    bits = (_upper(chars15).reshape(-1, 3, 5) * _WEIGHTS).sum(axis=2)
    return np.concatenate([chars15, _CHECKSUM[bits]], axis=1)


def short_form(chars18: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The case-exact 15-character id each 18-character one spells (in any letter case),
    and whether its checksum could be read (three checksum characters, each flagging
    only letters as upper case)."""
    checksum = chars18[:, 15:].copy()
    lower = (checksum >= ord("a")) & (checksum <= ord("z"))
    checksum[lower] -= 32
    bits = np.full(checksum.shape, -1)
    letter, digit = _upper(checksum), (checksum >= ord("0")) & (checksum <= ord("5"))
    bits[letter] = checksum[letter] - ord("A")
    bits[digit] = checksum[digit] - ord("0") + 26
    flags = ((bits[:, :, None] >> np.arange(5)) & 1).astype(bool).reshape(-1, 15)
    chars = chars18[:, :15].copy()
    lower_case = (chars >= ord("a")) & (chars <= ord("z"))
    letters = lower_case | _upper(chars)
    chars[_upper(chars)] += 32
    chars[flags & letters] -= 32
    readable = (bits >= 0).all(axis=1) & ~(flags & ~letters).any(axis=1)
    return chars, readable


def in_known_form(ids: pd.Series, known: pd.Series) -> tuple[pd.Series, int]:
    """`ids` with each one that is not among `known` (the accounts' Ids, the owners'
    Ids) but whose other form (15 or 18 characters, any letter case for the 18) is
    replaced by that form; returns them and how many were replaced."""
    # Most feeds name their accounts exactly: only the others are read further.
    missing = np.flatnonzero(~member_of(ids, known).to_numpy(dtype=bool))
    if not len(missing):
        return ids, 0
    accounts = AccountIndex(as_text(known).astype(object).reset_index(drop=True))
    texts = as_text(ids.iloc[missing]).to_numpy(dtype=object)
    found = accounts.find(pd.Series(texts, dtype=object)) >= 0
    missing, texts = missing[~found & pd.notna(texts)], texts[~found & pd.notna(texts)]
    ascii_text = np.array([t.isascii() for t in texts], dtype=bool)
    lengths = np.array([len(t) for t in texts], dtype=int)
    out = ids.copy()
    replaced = 0
    for width in (15, 18):
        of_width = ascii_text & (lengths == width)
        at = missing[of_width]
        if not len(at):
            continue
        chars = _bytes(texts[of_width].astype(str), width)
        if width == 15:
            options = [_text(long_form(chars))]
        else:
            short, readable = short_form(chars)
            at, short = at[readable], short[readable]
            options = [_text(short), _text(long_form(short))]
        chosen = np.full(len(at), None, dtype=object)
        for candidate in reversed(options):  # the first form an account has wins
            found = accounts.find(pd.Series(candidate, dtype=object)) >= 0
            chosen[found] = candidate[found]
        hit = pd.notna(chosen)
        out.iloc[at[hit]] = chosen[hit]
        replaced += int(hit.sum())
    return out, replaced
