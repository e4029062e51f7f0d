"""What a caller sees while attribution runs: the pointing game and the randomisation check report
one rising fraction from 0 to 1 over all their chunks and steps (each chunk's or step's own progress
scaled into its share), also for a map method given as a callable; and every saliency method labels
its result with its own name, attention rollout included (plot titles and the numerical-noise judgement read it)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision

from attribution_models import images, small_cnn
from nbviz.attribution import SALIENCY_METHODS, pointing_game, randomization_check, saliency


def recorder():
    seen: list[tuple[float, str]] = []

    def progress(fraction, message):
        seen.append((fraction, message))

    return seen, progress


def centre_peak(model, x, target):
    """A map method given as a callable: every map peaks at the image centre."""
    maps = np.zeros((x.shape[0], *x.shape[2:]), dtype=np.float32)
    maps[:, x.shape[2] // 2, x.shape[3] // 2] = 1.0
    return maps


def assert_rising_to_one(seen, shares):
    fractions = [f for f, _ in seen]
    assert all(isinstance(f, float) for f in fractions), fractions
    assert all(0.0 <= f <= 1.0 for f in fractions), fractions
    assert fractions == sorted(fractions), fractions
    for low in shares:  # every chunk or step starts at its own share, not at 0
        assert any(abs(f - low) < 1e-9 for f in fractions), (low, fractions)


def test_pointing_game_progress_covers_every_chunk_once():
    model, x = small_cnn(), images(4, 16)
    masks = np.zeros((4, 16, 16), dtype=bool)
    masks[:, 6:10, 6:10] = True
    seen, progress = recorder()
    assert pointing_game("gradient", model, x, masks, chunk_size=2, progress=progress) >= 0.0
    assert_rising_to_one(seen, [0.0, 0.5])
    assert seen[-1][0] == pytest.approx(1.0)


def test_pointing_game_progress_with_a_callable_method():
    model, x = small_cnn(), images(4, 16)
    masks = np.zeros((4, 16, 16), dtype=bool)
    masks[:, 8, 8] = True
    seen, progress = recorder()
    assert pointing_game(centre_peak, model, x, masks, chunk_size=1, progress=progress) == 1.0
    assert_rising_to_one(seen, [0.0, 0.25, 0.5, 0.75])
    assert {m for _, m in seen} == {"maps"}


def test_randomization_check_progress_spans_original_and_every_step():
    model, x = small_cnn(), images(2, 16)
    seen, progress = recorder()
    result = randomization_check(model, x, "gradient", layers=["classifier", "features.4"], progress=progress)
    assert result.layers == ["classifier", "features.4"]
    assert_rising_to_one(seen, [0.0, 1 / 3, 2 / 3])
    assert seen[-1][0] == pytest.approx(1.0)


@pytest.mark.parametrize("method", SALIENCY_METHODS)
def test_result_is_labelled_with_its_method(method):
    result = saliency(small_cnn(), images(1, 16), method=method)
    assert result.method == method
    assert result.maps.shape == (1, 16, 16)


def test_attention_rollout_is_labelled_with_its_method():
    torch.manual_seed(0)
    vit = torchvision.models.VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=24, mlp_dim=48)
    result = saliency(vit.eval(), torch.randn(1, 3, 32, 32), method="attention_rollout")
    assert result.method == "attention_rollout"
    assert result.maps.shape == (1, 32, 32)
