"""Accounts carried on by their duplicates, for the reports that compare two months.

Deduplication folds the duplicates of a company into one survivor each month, and the
merge audit of that month records every fold (duplicate -> survivor). When, between month
m and month M, the CRM deletes the record we had chosen as survivor A (someone cleaned up
the duplicates, or merged A into one of them in Salesforce, which deletes the loser) while
a duplicate B folded into A in m lives on, B is A's *heir*: the customer is still there,
under B's Id. Retention follows A to B (retained, its ARR in M is B's) and the migration
matrix sends A to B's segment; B is not a new account.

The rules, for an account A of month m that no longer holds a customer of its own in M
(absent from M, or present but not active, and not itself folded into a survivor in M;
the existing merge rule covers that):

* A's **heirs** are the accounts folded into A in m's audit that hold a customer of their
  own in M (present and active; as their own survivor, possibly with others folded in).
  Several heirs carry A on together: their ARR in M is summed.
* A duplicate of A that is folded into a survivor C in M (B folded into A in m, A deleted,
  B folded into C in M) is no heir: A's customer now sits in C, which is what a RevOps
  analyst would read as "A was merged into C". A counts as folded into C in M, exactly as
  if the audit of M said so: out of its cohort as merged, and its ARR in m taken off C's
  ARR in M, so C shows no expansion and nothing is counted twice. This applies only when
  A has no heir; with one, A is carried by its heir(s), and a duplicate that went to C
  adds its ARR to C's. Of several such survivors, the first in m's audit is taken.
* A duplicate that is itself an account of m (which an audit and its snapshot do not
  produce) counts for itself only, never as an heir.
* When neither applies (A's duplicates are gone or inactive too), A churned as before.

Merges made in Salesforce need nothing more: the loser is deleted from the CRM, so when
the loser is our survivor A and the master its duplicate B, this is the same story; the
usage the export still files under A goes to B at scoring (`core.merged_usage`) and is
not part of ARR, so it is not counted here again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from segmentation_pipeline.core.columns import map_by_key, member_of


def _mapping(pairs: Mapping[str, str] | pd.Series | None) -> pd.Series:
    return pd.Series(pairs if pairs is not None else {}, dtype=object)


@dataclass(frozen=True)
class Heirs:
    """pairs: (account_id, heir) for each account of m carried on by a duplicate;
    merged: account id -> the survivor in M its duplicate was folded into, for accounts of
    m with no heir that count as folded into that survivor."""

    pairs: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame({"account_id": [], "heir": []}, dtype=object)
    )
    merged: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))

    def carried(self, values: pd.Series) -> pd.Series:
        """Per account carried on, the sum of its heirs' `values` (indexed by account id
        in M, as the result is); a sum of nothing but missing values stays missing."""
        if self.pairs.empty:
            return values.iloc[:0].astype("float64")
        of_heirs = map_by_key(self.pairs["heir"], values).astype("float64")
        grouped = of_heirs.groupby(self.pairs["account_id"].to_numpy(dtype=object), sort=False)
        summed = grouped.sum(min_count=1)
        return summed.set_axis(summed.index.astype(values.index.dtype))

    def holder(self, survivors: pd.Series) -> pd.Series:
        """`survivors` (ids in M) with each heir replaced by the account it carries on."""
        if self.pairs.empty or survivors.empty:
            return survivors
        carries = pd.Series(
            self.pairs["account_id"].to_numpy(dtype=object), index=self.pairs["heir"]
        )
        return map_by_key(survivors, carries).fillna(survivors).astype(object)


def find_heirs(
    accounts: pd.Series,
    present: Iterable[str],
    folded_before: Mapping[str, str] | pd.Series | None,
    folded_now: Mapping[str, str] | pd.Series | None = None,
) -> Heirs:
    """The heirs (and the folds through a duplicate) of `accounts` of month m.

    `present`: the accounts that hold a customer of their own in M; `folded_before` and
    `folded_now`: the merge audits of m and M as folded id -> survivor id (`folded_into`;
    a survivor may be unknown, None, when only the folded ids are). See the module
    docstring for the rules.
    """
    before, now = _mapping(folded_before), _mapping(folded_now)
    if before.empty:
        return Heirs()
    present = pd.Series(present if isinstance(present, pd.Index) else list(present))
    pairs = pd.DataFrame(
        {
            "account_id": before.to_numpy(dtype=object),
            "heir": before.index.to_numpy(dtype=object),
        }
    )
    # Each large list is hashed once: both columns of the pairs are looked up together.
    both = pd.concat([pairs["account_id"], pairs["heir"]], ignore_index=True)
    n = len(pairs)
    of_m = member_of(both, accounts).to_numpy(dtype=bool)
    alive = member_of(both, present).to_numpy(dtype=bool)
    folded = member_of(both, pd.Series(now.index, dtype=object)).to_numpy(dtype=bool)
    orphan = of_m[:n] & ~alive[:n] & ~folded[:n] & ~of_m[n:]
    heirs = pairs[orphan & alive[n:]].reset_index(drop=True)
    rest = pairs[orphan & ~alive[n:] & folded[n:]]
    rest = rest[~member_of(rest["account_id"], heirs["account_id"]).to_numpy(dtype=bool)]
    survivor = map_by_key(rest["heir"], now) if len(rest) else rest["heir"]
    into = rest.assign(survivor=survivor.to_numpy(dtype=object))
    into = into[into["survivor"].ne(into["account_id"]).to_numpy(dtype=bool)]
    into = into.drop_duplicates("account_id")
    merged = pd.Series(into["survivor"].to_numpy(dtype=object), index=into["account_id"])
    return Heirs(heirs, merged.rename_axis(None))
