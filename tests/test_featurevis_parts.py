"""The building blocks of feature visualisation against closed forms and hand computations."""

from __future__ import annotations

import math

import numpy as np
import torch

from nbviz.featurevis.params import FourierImage, PixelImage
from nbviz.featurevis.regularisers import alpha_norm, center_mask, gaussian_blur, l2, total_variation
from nbviz.featurevis.transforms import RandomAffine


def test_regularisers_closed_forms():
    x = torch.arange(12.0).reshape(1, 1, 3, 4)
    assert l2(x).item() == (x**2).mean().item()
    assert alpha_norm(-x, 3).item() == (x**3).mean().item()
    # rows step by 4, columns by 1 → every counted pixel has dy²+dx² = 17 (2×3 interior corner grid)
    assert total_variation(x).item() == 17.0
    assert center_mask((6, 6), 1 / 3).sum().item() == 4.0


def test_gaussian_blur_matches_hand_kernel():
    x = torch.zeros(1, 1, 9, 9)
    x[0, 0, 4, 4] = 1.0
    out = gaussian_blur(x, 1.0)[0, 0]
    t = np.arange(-2, 3)
    k = np.exp(-0.5 * t**2)
    k /= k.sum()
    np.testing.assert_allclose(out[2:7, 2:7].numpy(), np.outer(k, k), atol=1e-6)
    assert abs(out.sum().item() - 1) < 1e-5


def test_fft_param_starts_at_init_and_blur_damps_high_frequencies():
    init = torch.rand(2, 3, 16, 16) * 0.8 + 0.1
    p = FourierImage((3, 16, 16), [1, 2], init=init, std=0.0)
    np.testing.assert_allclose(p.image().detach().numpy(), init.numpy(), atol=1e-4)
    checker = ((torch.arange(16)[:, None] + torch.arange(16)[None]) % 2).float().expand(1, 3, 16, 16) * 0.6 + 0.2
    q = FourierImage((3, 16, 16), [0], init=checker, std=0.0)
    before = q.raw().detach().std().item()
    q.blur_(1.0)
    # the checkerboard sits at frequency 1/√2·… = (0.5, 0.5): transfer exp(-2π²σ²·0.5)
    assert q.raw().detach().std().item() < before * math.exp(-2 * math.pi**2 * 0.5) * 1.01


def test_pixel_param_noise_depends_on_seed_not_batch():
    a = PixelImage((1, 5, 5), [7, 8]).image().detach()
    b = PixelImage((1, 5, 5), [8]).image().detach()
    torch.testing.assert_close(a[1], b[0])


def test_affine_identity_and_pure_jitter_is_a_shift():
    x = torch.rand(2, 3, 16, 16)
    assert RandomAffine((), [0, 1], (16, 16))(x) is x
    warp = RandomAffine(("jitter",), [0], (16, 16), jitter=3)
    g = torch.Generator().manual_seed(0 + 7919)
    u = torch.rand(4, generator=g)
    dy, dx = (2 * u[0] - 1) * 3, (2 * u[1] - 1) * 3
    out = warp(x[:1])
    # bilinear resampling at (i + dy, j + dx): compare with a hand interpolation in the interior
    i, j = 8, 8
    y, xx = i + dy.item(), j + dx.item()
    y0, x0 = math.floor(y), math.floor(xx)
    fy, fx = y - y0, xx - x0
    img = x[0]
    hand = (img[:, y0, x0] * (1 - fy) * (1 - fx) + img[:, y0 + 1, x0] * fy * (1 - fx)
            + img[:, y0, x0 + 1] * (1 - fy) * fx + img[:, y0 + 1, x0 + 1] * fy * fx)
    torch.testing.assert_close(out[0, :, i, j], hand, atol=1e-5, rtol=1e-4)


def test_transforms_are_differentiable():
    x = torch.rand(2, 1, 8, 8, requires_grad=True)
    RandomAffine(("jitter", "scale", "rotate"), [0, 1], (8, 8))(x).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
