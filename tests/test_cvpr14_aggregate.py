"""Tests for the image-level score aggregation of oquab_lib.cvpr14.tables."""

import pytest
import torch

from oquab_lib.cvpr14.tables import aggregate_scores, aggregate_scores_batched
from oquab_lib.errors import ConfigError

PROBS = torch.tensor([[0.5, 0.2, 0.3],
                      [1.0, 0.0, 0.0]], dtype=torch.float64)  # two patches, two classes + background


def test_aggregate_hand_computation():
    torch.testing.assert_close(aggregate_scores(PROBS, k=2), torch.tensor([(0.25 + 1) / 2, (0.04 + 0) / 2]).double())
    torch.testing.assert_close(aggregate_scores(PROBS), torch.tensor([(0.5 ** 5 + 1) / 2, 0.2 ** 5 / 2]).double())
    torch.testing.assert_close(aggregate_scores(PROBS, k=1), PROBS[:, :2].mean(0))


def test_aggregate_inf_is_max_and_large_k_approaches_it():
    probs = torch.softmax(torch.randn(50, 21, generator=torch.Generator().manual_seed(0)), dim=1).double()
    maxima = probs[:, :20].max(dim=0).values
    assert torch.equal(aggregate_scores(probs, float("inf")), maxima)
    # the power mean (score)^(1/k) rises towards the max as k grows
    powers = [aggregate_scores(probs, k) ** (1 / k) for k in (1, 5, 50)]
    assert (powers[0] <= powers[1]).all() and (powers[1] <= powers[2]).all() and (powers[2] <= maxima + 1e-12).all()


@pytest.mark.parametrize("k", [5, 1.5, float("inf")])
def test_batched_matches_per_image(k):
    gen = torch.Generator().manual_seed(1)
    probs = torch.softmax(torch.randn(40, 6, generator=gen), dim=1)
    image_index = torch.randint(0, 4, (40,), generator=gen)
    image_index[:4] = torch.arange(4)  # every image has a patch
    batched = aggregate_scores_batched(probs, image_index, 4, k)
    assert batched.shape == (4, 5)
    expected = torch.stack([aggregate_scores(probs[image_index == i], k) for i in range(4)])
    torch.testing.assert_close(batched, expected)


def test_aggregate_errors():
    with pytest.raises(ConfigError, match="k must be positive"):
        aggregate_scores(PROBS, k=0)
    with pytest.raises(ConfigError, match="patch_probs"):
        aggregate_scores(torch.zeros(0, 3))
    with pytest.raises(ConfigError, match="images without any: \\[2\\]"):
        aggregate_scores_batched(PROBS, torch.tensor([0, 1]), 3)
    with pytest.raises(ConfigError, match="image_index must lie"):
        aggregate_scores_batched(PROBS, torch.tensor([0, 3]), 3)
