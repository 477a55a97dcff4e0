"""Rubric lookups: a picklist value's points."""

import numpy as np
import pandas as pd

from segmentation_pipeline.core.rubric import mapped_points
from segmentation_pipeline.framework.models import ValueMapCriterion

STAGE = ValueMapCriterion(values={"Growth / Scale-up": 5, "Mature": 3}, unknown_points=1)


def test_a_picklist_value_scores_as_its_framework_spelling_whatever_its_case_or_punctuation():
    """A month stored under an older framework holds its values as that run wrote them
    ('growth/scale-up' was no value then, so it was kept as given); re-scored under a
    framework that lists 'Growth / Scale-up', it scores 5, not the unknown point."""
    stored = pd.Series(["growth/scale-up", "Growth / Scale-up", "MATURE ", "Seed", None, np.nan])
    assert mapped_points(stored, STAGE).tolist() == [5.0, 5.0, 3.0, 1.0, 1.0, 1.0]


def test_points_keep_the_rows_index():
    values = pd.Series(["Mature", "Seed"], index=[7, 3])
    assert mapped_points(values, STAGE).to_dict() == {7: 3.0, 3: 1.0}
