"""Pointing game (closed-form cases) and the cascading randomisation check (Spearman against
scipy, SSIM against a direct per-window implementation of Wang et al. 2004)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from attribution_models import images, small_cnn
from nbviz.attribution import pointing_game, randomization_check, saliency
from nbviz.attribution._similarity import spearman, ssim


def peaks_at(points):
    """A map method whose map for image i peaks at points[i]."""

    def method(model, x, target):
        maps = np.zeros((x.shape[0], *x.shape[2:]), dtype=np.float32)
        for i in range(x.shape[0]):
            maps[i][points[i]] = 1.0
        return maps

    return method


def test_pointing_game_counts_hits_and_tolerance():
    model = small_cnn()
    x = torch.zeros(4, 3, 16, 16)
    masks = np.zeros((4, 16, 16), dtype=bool)
    masks[:, 4:8, 4:8] = True
    points = [(5, 5), (4, 7), (0, 0), (10, 7)]  # in, in (edge), far, 3 rows below the mask
    assert pointing_game(peaks_at(points), model, x, masks) == 0.5
    assert pointing_game(peaks_at(points), model, x, masks, tolerance=3) == 0.75
    assert pointing_game(peaks_at(points), model, x, masks, tolerance=3, chunk_size=3) == 0.75


class RegionModel(nn.Module):
    """Class c's logit is the sum of channel 0 inside region c: gradients live only there."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 2, 1, bias=False)
        with torch.no_grad():
            self.conv.weight.zero_()
            self.conv.weight[:, 0] = 1.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        return torch.stack([y[:, 0, 2:6, 2:6].sum((1, 2)), y[:, 1, 10:14, 10:14].sum((1, 2))], dim=1)


@pytest.mark.parametrize("method", ["gradient", "gradient_x_input", "integrated_gradients"])
def test_pointing_game_through_saliency_on_a_model_with_known_evidence(method):
    model = RegionModel().eval()
    x = images(3, 16) + 0.1
    masks = np.zeros((3, 16, 16), dtype=bool)
    masks[:, 2:6, 2:6] = True
    assert pointing_game(method, model, x, masks, target=0) == 1.0
    assert pointing_game(method, model, x, masks, target=[1, 1, 1]) == 0.0
    # region 1 is 10:14 × 10:14: between hypot(5, 5) and hypot(8, 8) pixels from the mask
    assert pointing_game(method, model, x, masks, target=1, tolerance=7.0) == 0.0
    assert pointing_game(method, model, x, masks, target=1, tolerance=np.hypot(8, 8)) == 1.0


def test_pointing_game_errors():
    model, x = small_cnn(), images(2, 16)
    masks = np.ones((2, 16, 16), dtype=bool)
    with pytest.raises(ValueError, match=r"masks: expected shape \(2, 16, 16\)"):
        pointing_game("gradient", model, x, masks[:1])
    masks[1] = False
    with pytest.raises(ValueError, match="masks: mask 1 is empty"):
        pointing_game("gradient", model, x, masks)
    with pytest.raises(ValueError, match="tolerance"):
        pointing_game("gradient", model, x, np.ones((2, 16, 16)), tolerance=-1)
    with pytest.raises(ValueError, match="method: expected one of"):
        pointing_game("occlusion?", model, x, np.ones((2, 16, 16)))


def test_spearman_matches_scipy_with_ties():
    from scipy.stats import spearmanr

    rng = np.random.default_rng(0)
    a = rng.integers(0, 5, size=(3, 6, 6)).astype(float)  # many ties
    b = a + rng.normal(size=a.shape)
    ours = spearman(a, b)
    for i in range(3):
        assert ours[i] == pytest.approx(spearmanr(a[i].ravel(), b[i].ravel()).statistic, abs=1e-12)


def ssim_reference(a: np.ndarray, b: np.ndarray, size: int = 11, sigma: float = 1.5) -> float:
    """Wang et al. 2004, written out window by window."""
    a = (a - a.min()) / (a.max() - a.min())
    b = (b - b.min()) / (b.max() - b.min())
    c = np.arange(size) - (size - 1) / 2
    w = np.exp(-(c[:, None] ** 2 + c[None, :] ** 2) / (2 * sigma**2))
    w /= w.sum()
    values = []
    for i in range(a.shape[0] - size + 1):
        for j in range(a.shape[1] - size + 1):
            pa, pb = a[i : i + size, j : j + size], b[i : i + size, j : j + size]
            ma, mb = (w * pa).sum(), (w * pb).sum()
            va, vb = (w * (pa - ma) ** 2).sum(), (w * (pb - mb) ** 2).sum()
            cov = (w * (pa - ma) * (pb - mb)).sum()
            c1, c2 = 0.01**2, 0.03**2
            values.append((2 * ma * mb + c1) * (2 * cov + c2) / ((ma**2 + mb**2 + c1) * (va + vb + c2)))
    return float(np.mean(values))


def test_ssim_matches_the_windowed_definition():
    rng = np.random.default_rng(1)
    a = rng.random((2, 16, 14))
    b = a + 0.3 * rng.random((2, 16, 14))
    ours = ssim(a, b)
    for i in range(2):
        assert ours[i] == pytest.approx(ssim_reference(a[i], b[i]), abs=1e-10)
    np.testing.assert_allclose(ssim(a, a), 1.0)


@pytest.fixture(scope="module")
def cascade():
    model, x = small_cnn(), images(2, 16)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    result = randomization_check(model, x, "gradient", target=[0, 1])
    return model, x, before, result


def test_randomization_goes_top_down_on_a_copy(cascade):
    model, x, before, result = cascade
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())
    assert result.layers == ["classifier", "features.5", "features.4", "features.1", "features.0"]
    assert result.spearman.shape == result.ssim.shape == (5, 2) and result.maps.shape == (6, 2, 16, 16)
    np.testing.assert_array_equal(result.maps[0], saliency(model, x, [0, 1]).maps)


def test_randomization_similarities_are_those_of_the_maps(cascade):
    from scipy.stats import spearmanr

    _, _, _, result = cascade
    for step in range(5):
        for i in range(2):
            expected = spearmanr(result.maps[0, i].ravel(), result.maps[step + 1, i].ravel()).statistic
            assert result.spearman[step, i] == pytest.approx(expected, abs=1e-9)
            assert result.ssim[step, i] == pytest.approx(ssim_reference(result.maps[0, i], result.maps[step + 1, i]), abs=1e-6)
    assert not np.allclose(result.maps[-1], result.maps[0])  # fully randomised maps changed
    assert result.spearman[-1].mean() < 0.9


def test_randomization_with_chosen_layers_and_plot():
    model, x = small_cnn(), images(1, 16)
    result = randomization_check(model, x, "gradcam", layers=["classifier", model.features[0]])
    assert result.layers == ["classifier", "features.0"]
    # re-initialising the classifier changes Grad-CAM's channel weights
    assert not np.allclose(result.maps[1], result.maps[0])
    fig = result.plot()
    assert type(fig).__name__ == "Figure"
    with pytest.raises(ValueError, match="no layer named"):
        randomization_check(model, x, "gradient", layers=["head"])
