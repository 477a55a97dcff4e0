import numpy as np

from segmentation_pipeline.core.dedup.clustering import connected_components, guarded_clusters


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
