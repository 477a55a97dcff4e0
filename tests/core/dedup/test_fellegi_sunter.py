"""EM finds the m/u values that generated the comparison vectors; term-frequency bits."""

import numpy as np
import pytest

from segmentation_pipeline.core.dedup.fellegi_sunter import estimate, term_frequency_bits

# Three comparisons with known level probabilities among matches (m) and non-matches (u).
NAMES = {"name": ("exact", "fuzzy", "differ"), "phone": ("exact", "differ"),
         "city": ("exact", "differ")}  # fmt: skip
TRUE_M = {"name": [0.7, 0.2, 0.1], "phone": [0.8, 0.2], "city": [0.9, 0.1]}
TRUE_U = {"name": [0.02, 0.08, 0.9], "phone": [0.01, 0.99], "city": [0.3, 0.7]}
TRUE_SHARE = 0.2


def simulated(pairs: int, seed: int = 1) -> dict[str, np.ndarray]:
    """Comparison vectors drawn from TRUE_M / TRUE_U, a fifth of them matches; a tenth of
    the phones missing (level -1)."""
    rng = np.random.default_rng(seed)
    is_match = rng.random(pairs) < TRUE_SHARE
    levels = {}
    for comparison, names in NAMES.items():
        m = rng.choice(len(names), pairs, p=TRUE_M[comparison])
        u = rng.choice(len(names), pairs, p=TRUE_U[comparison])
        levels[comparison] = np.where(is_match, m, u).astype(np.int8)
    levels["phone"][rng.random(pairs) < 0.1] = -1
    return levels


def flat(values: dict[str, list[float]]) -> dict[str, np.ndarray]:
    return {c: np.asarray(v) for c, v in values.items()}


def test_em_recovers_known_m_and_u_from_unlabelled_vectors():
    # Start far from the truth: every level equally likely, agreement a little likelier
    # among matches.
    start_m = {"name": [0.5, 0.3, 0.2], "phone": [0.6, 0.4], "city": [0.6, 0.4]}
    start_u = {"name": [0.2, 0.3, 0.5], "phone": [0.4, 0.6], "city": [0.4, 0.6]}
    learned = estimate(simulated(50_000), NAMES, flat(start_m), flat(start_u), 0.5)
    assert learned.converged
    assert learned.match_share == pytest.approx(TRUE_SHARE, abs=0.01)
    for comparison in NAMES:
        assert learned.m[comparison] == pytest.approx(TRUE_M[comparison], abs=0.02)
        assert learned.u[comparison] == pytest.approx(TRUE_U[comparison], abs=0.02)


def test_priors_hold_where_there_are_few_pairs_and_yield_to_many():
    wrong_m = {"name": [0.4, 0.3, 0.3], "phone": [0.5, 0.5], "city": [0.5, 0.5]}
    args = (NAMES, flat(wrong_m), flat(TRUE_U), TRUE_SHARE)
    few = estimate(simulated(20), *args, prior_pairs=10_000)
    many = estimate(simulated(50_000), *args, prior_pairs=10)
    assert few.m["phone"] == pytest.approx([0.5, 0.5], abs=0.02)
    assert many.m["phone"] == pytest.approx(TRUE_M["phone"], abs=0.02)


def test_weights_table_for_an_operator():
    learned = estimate(simulated(5_000), NAMES, flat(TRUE_M), flat(TRUE_U), TRUE_SHARE)
    table = learned.table()
    assert list(table.columns) == ["comparison", "level", "m", "u", "weight"]
    assert table["level"].tolist()[:3] == ["exact", "fuzzy", "differ"]
    assert table["weight"].tolist() == pytest.approx(np.log2(table["m"] / table["u"]).tolist())


def test_a_common_value_is_weaker_evidence_than_a_rare_one():
    # value 0 held by half the accounts, values 1 and 2 by a quarter each:
    # sum tf^2 = 0.25 + 0.0625 + 0.0625 = 0.375
    bits = term_frequency_bits(np.array([0, 0, 0, 0, 1, 1, 2, 2, -1]), bound=6)
    assert bits.tolist() == pytest.approx(
        [np.log2(0.375 / 0.5), np.log2(0.375 / 0.25)] + [np.log2(0.375 / 0.25)]
    )
    assert term_frequency_bits(np.array([0, 1, 1, 1, 1, 1, 1, 1]), bound=1.0)[0] == 1.0


def test_the_records_of_one_company_do_not_make_its_name_common():
    # Name 0: four records of one company; name 1: two records of two companies (namesakes);
    # name 2: one record. Counted in companies: 1, 2 and 1 of 4; sum tf^2 = 6/16.
    codes = np.array([0, 0, 0, 0, 1, 1, 2])
    companies = np.array([1, 1, 1, 1, 2, 2, 1])
    bits = term_frequency_bits(codes, bound=6, companies=companies)
    assert bits.tolist() == pytest.approx(
        [np.log2(0.375 / 0.25), np.log2(0.375 / 0.5), np.log2(0.375 / 0.25)]
    )
    assert bits[0] > bits[1]  # counted in records it was the other way round
