"""The zoo's small vision transformer: trained on the shapes (cached), a transformer nbviz explains
with Grad-CAM on its tokens and with attention rollout, both pointing at the object far above the
chance level of the object's area (13 % of an image)."""

from __future__ import annotations

import pytest

import nbviz


@pytest.fixture(scope="module")
def vit():
    return nbviz.zoo.shapes_vit()


@pytest.fixture(scope="module")
def held_out():
    data = nbviz.datasets.shapes(5000, seed=0)
    return data.images[4000:4060], data.masks[4000:4060], data.labels[4000:4060]


def test_it_learns_the_shapes(vit):
    assert vit.accuracy > 0.6 and len(vit.checkpoints) == 6  # chance is 0.25


def test_grad_cam_uses_the_norm_before_the_last_attention_and_points_at_the_object(vit, held_out):
    images, masks, labels = held_out
    assert nbviz.saliency(vit.model, images[:1], method="gradcam").layer == "encoder.layers.1.norm1"
    assert nbviz.pointing_game("gradcam", vit.model, images, masks, target=labels) >= 0.3  # chance: 0.13


def test_attention_rollout_points_at_the_object(vit, held_out):
    images, masks, labels = held_out
    maps = nbviz.attention_maps(vit.model, images[:2])
    assert maps.grid == (8, 8) and maps.prefix == 1 and len(maps.layers) == 2
    assert nbviz.pointing_game("attention_rollout", vit.model, images, masks, target=labels) > 0.6
