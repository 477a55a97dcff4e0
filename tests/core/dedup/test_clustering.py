import numpy as np

from segmentation_pipeline.core.dedup.clustering import (
    WeighedPairs,
    connected_components,
    guarded_clusters,
)


def test_connected_components_label_each_node_by_its_smallest_member():
    labels = connected_components(6, np.array([4, 1, 2]), np.array([5, 2, 3]))
    assert labels.tolist() == [0, 1, 1, 1, 4, 4]


def test_a_chain_is_not_allowed_to_join_two_domains():
    # 0 (domain a) ~ 1 (no domain) ~ 2 (domain b): the stronger pair wins, the other is refused
    domain = np.array([10, -1, 11])
    clusters = guarded_clusters(
        3, np.array([0, 1]), np.array([1, 2]), np.array([7.0, 6.0]), [domain], max_size=50
    )
    assert clusters.labels.tolist() == [0, 0, 2]
    assert clusters.merged.tolist() == [True, False]
    assert clusters.refused.tolist() == [False, True]


def test_a_lone_pair_with_conflicting_exclusive_values_is_not_merged():
    country = np.array([1, 2])
    clusters = guarded_clusters(2, np.array([0]), np.array([1]), np.array([9.0]), [country], 50)
    assert clusters.labels.tolist() == [0, 1]
    assert clusters.refused.tolist() == [True]


def test_clusters_stop_growing_at_the_size_limit():
    left, right = np.array([0, 1, 2]), np.array([1, 2, 3])
    clusters = guarded_clusters(4, left, right, np.array([9.0, 8.0, 7.0]), [], max_size=2)
    assert clusters.labels.tolist() == [0, 0, 2, 2]
    assert clusters.merged.tolist() == [True, False, True]


def test_a_chain_does_not_join_two_accounts_weighed_apart():
    # 0 ~ 1 ~ 2 ~ 3 matched (scores 9, 8, 7), but 0 and 2 were weighed apart: the strongest
    # pairs merge first, 1 ~ 2 would join 2 to {0, 1} and is refused; 2 ~ 3 still merges.
    left, right = np.array([0, 1, 2]), np.array([1, 2, 3])
    apart = (np.array([0, 1]), np.array([2, 3]))  # (1, 3) ends apart anyway
    clusters = guarded_clusters(
        5, left, right, np.array([9.0, 8.0, 7.0]), [], max_size=50, apart=apart
    )
    assert clusters.labels.tolist() == [0, 0, 2, 2, 4]
    assert clusters.merged.tolist() == [True, False, True]
    assert clusters.refused.tolist() == [False, True, False]


def test_a_component_without_pairs_weighed_apart_merges_whole():
    apart = (np.array([3]), np.array([4]))  # another component
    clusters = guarded_clusters(
        5, np.array([0, 1]), np.array([1, 2]), np.array([9.0, 8.0]), [], 50, apart=apart
    )
    assert clusters.labels.tolist() == [0, 0, 0, 3, 4]


def weighed(left, right, weight, join_at=3.0) -> WeighedPairs:
    return WeighedPairs(np.array(left), np.array(right), np.array(weight, dtype=float), join_at)


def test_a_chain_joins_across_a_pair_weighed_a_little_apart_when_the_pairs_between_hold():
    # 0 ~ 1 (12) and 1 ~ 2 (10); 0 and 2 weighed a little apart (-3): a moved office's
    # record against its company's first one. Between {0, 1} and {2}: (10 - 3) / 2 >= 3.
    left, right, score = np.array([0, 1]), np.array([1, 2]), np.array([12.0, 10.0])
    apart = (np.array([0]), np.array([2]))
    clusters = guarded_clusters(
        3, left, right, score, [], 50, apart=apart, weighed=weighed([0], [2], [-3.0])
    )
    assert clusters.labels.tolist() == [0, 0, 0]


def test_a_chain_does_not_join_across_a_pair_weighed_far_apart_or_not_weighed():
    # (10 - 20) / 2 < 3: two namesakes chained through a record without identifiers.
    left, right, score = np.array([0, 1]), np.array([1, 2]), np.array([12.0, 10.0])
    apart = (np.array([0]), np.array([2]))
    for weight in (-20.0, -np.inf):
        clusters = guarded_clusters(
            3, left, right, score, [], 50, apart=apart, weighed=weighed([0], [2], [weight])
        )
        assert clusters.labels.tolist() == [0, 0, 2]


def test_one_record_matching_many_of_a_cluster_counts_once_on_average():
    # {0, 1, 2, 3} is a cluster; 4 matches 1, 2 and 3 at 4 each (the same name, say) and
    # is weighed apart from 0 (-9). Summed, 4 + 4 + 4 - 9 = 3 would pass; on average
    # 3 / 4 does not.
    left, right = np.array([0, 0, 0, 1, 2, 3]), np.array([1, 2, 3, 4, 4, 4])
    score = np.array([12.0, 12.0, 12.0, 4.0, 4.0, 4.0])
    apart = (np.array([0]), np.array([4]))
    clusters = guarded_clusters(
        5, left, right, score, [], 50, apart=apart, weighed=weighed([0], [4], [-9.0])
    )
    assert clusters.labels.tolist() == [0, 0, 0, 0, 4]
