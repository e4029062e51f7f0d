"""receptive_field(): NaN probing against closed-form receptive fields."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from layers_models import seeded
from nbviz.layers import receptive_field


def _chain() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(),
        nn.Conv2d(4, 4, 3, padding=1), nn.MaxPool2d(2),
        nn.Conv2d(4, 4, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(4, 4, 3, padding=2, dilation=2), nn.MaxPool2d(3, stride=2, padding=1),
    )


def _geometry(module: nn.Module) -> tuple[int, int, int, int]:
    pick = lambda v: v[0] if isinstance(v, tuple) else v  # noqa: E731
    if isinstance(module, (nn.Conv2d, nn.MaxPool2d)):
        return pick(module.kernel_size), pick(module.stride), pick(module.padding), pick(module.dilation)
    return 1, 1, 0, 1  # elementwise


def closed_form(layers: list[nn.Module], size: int, index: int) -> tuple[int, int]:
    """Half-open input interval (bounding box) of what an output index depends on: output i reads
    taps i·s − p + d·t (t = 0…k−1) that fall on valid positions; compose the sets backwards."""
    sizes = [size]
    for m in layers:
        k, s, p, d = _geometry(m)
        sizes.append((sizes[-1] + 2 * p - d * (k - 1) - 1) // s + 1)
    deps = {index}
    for m, n_in in zip(reversed(layers), reversed(sizes[:-1])):
        k, s, p, d = _geometry(m)
        deps = {i * s - p + d * t for i in deps for t in range(k)} & set(range(n_in))
    return min(deps), max(deps) + 1


@pytest.mark.parametrize("layer", [2, 3, 6, 7])
def test_every_position_matches_the_closed_form(layer):
    model = seeded(_chain).eval()
    height, width = 37, 29
    with torch.no_grad():
        out = model[: layer + 1](torch.zeros(1, 2, height, width))
    rows, cols = out.shape[2:]
    positions = [(i, j) for i in range(rows) for j in range(cols)]
    boxes = receptive_field(model, str(layer), (2, height, width), positions, channel=1)
    expected = [closed_form(list(model[: layer + 1]), height, i) + closed_form(list(model[: layer + 1]), width, j) for i, j in positions]
    np.testing.assert_array_equal(boxes, np.array(expected))


class Residual(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Conv2d(1, 1, 3, padding=1)
        self.b = nn.Conv2d(1, 1, 3, padding=1)

    def forward(self, x):
        return torch.relu(self.b(torch.relu(self.a(x))) + x)


def test_residual_block_and_gradient_support_agree():
    model = seeded(Residual).eval()
    boxes = receptive_field(model, model.b, (1, 12, 12), [(5, 6), (0, 11)])
    np.testing.assert_array_equal(boxes, [[3, 8, 4, 9], [0, 3, 9, 12]])
    # Independent check: on a purely linear net with positive weights the input-gradient support is
    # exactly the dependency set.
    linear = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.AvgPool2d(2), nn.Conv2d(2, 2, 3, stride=2, padding=2, dilation=2))
    with torch.no_grad():
        for p in linear.parameters():
            p.uniform_(0.1, 1.0)
    x = torch.ones(1, 1, 20, 20, requires_grad=True)
    out = linear(x)
    for i, j in [(0, 0), (2, 3), (4, 4)]:
        (grad,) = torch.autograd.grad(out[0, 1, i, j], x, retain_graph=True)
        rows, cols = np.nonzero(grad[0, 0].numpy())
        box = receptive_field(linear, "2", (1, 20, 20), [(i, j)], channel=1)[0]
        assert tuple(box) == (rows.min(), rows.max() + 1, cols.min(), cols.max() + 1)


def test_global_ops_make_the_field_the_whole_image():
    from torchvision.models import mobilenet_v3_small

    model = seeded(lambda: mobilenet_v3_small(weights=None)).eval()
    # features.1 has a squeeze-excitation block: every output depends on the whole input
    assert receptive_field(model, "features.1", (3, 32, 32), [(3, 3)]).tolist() == [[0, 32, 0, 32]]
    assert receptive_field(model, "features.0", (3, 32, 32), [(3, 3)]).tolist() == [[5, 8, 5, 8]]


def test_bad_arguments():
    model = seeded(_chain).eval()
    with pytest.raises(ValueError, match="input_shape: expected"):
        receptive_field(model, "2", (8, 8), [(0, 0)])
    with pytest.raises(ValueError, match=r"positions: \[9, 0\] lies outside the \(8, 8\) output of '2'"):
        receptive_field(model, "2", (2, 8, 8), [(9, 0)])
    with pytest.raises(ValueError, match="channel: '2' has 4 channels, got 4"):
        receptive_field(model, "2", (2, 8, 8), [(0, 0)], channel=4)
