"""How scores are shown: one way everywhere, never at a tier's floor when below it."""

import pandas as pd

from segmentation_pipeline.core.explanations import display_scores


def test_scores_are_cut_to_two_digits_so_none_shows_a_floor_it_is_under():
    shown = display_scores(pd.Series([3.9975, 2.4975, 3.999999, 4.0, 3.13, 3.135, None]))
    # 3.13 is stored as 3.12999...: the cut does not take it to 3.12
    assert shown.tolist()[:6] == [3.99, 2.49, 3.99, 4.0, 3.13, 3.13]
    assert pd.isna(shown.iloc[6])
