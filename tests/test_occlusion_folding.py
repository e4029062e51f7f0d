"""BatchNorm folding in the incremental engine: a folded convolution equals the two modules it
replaces, the engine folds only where the convolution's output is read by the BatchNorm alone, and
patched passes through folded (and in-place) ops still equal the model on patched copies."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from nbviz.attribution._incremental_ops import FoldedConv, fold_batchnorm
from nbviz.attribution.incremental import IncrementalEngine
from nbviz.attribution.occlusion import occlusion
from occlusion_models import image


class Folding(nn.Module):
    """conv-BN-ReLU(inplace) (folded); a conv whose output is also read by a skip (not folded); a
    dilated conv with a BatchNorm without affine parameters (folded)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(8, 8, 3, stride=2, padding=1)
        self.bn2 = nn.BatchNorm2d(8)
        self.skip = nn.Conv2d(8, 8, 1)
        self.conv3 = nn.Conv2d(8, 12, 3, padding=2, dilation=2)
        self.bn3 = nn.BatchNorm2d(12, affine=False)
        self.fc = nn.Linear(12, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.bn1(self.conv1(x)))
        y = self.conv2(x)
        x = torch.relu(self.bn2(y) + self.skip(y))
        x = self.relu(self.bn3(self.conv3(x)))
        return self.fc(x.mean((2, 3)))


def random_statistics(model: nn.Module) -> nn.Module:
    """Non-trivial running statistics (and affine parameters, where there are any) for every
    BatchNorm, so folding matters; eval mode."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.3, 2.0)
                if m.affine:
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.uniform_(-0.2, 0.2)
    return model.eval()


def folding_model() -> nn.Module:
    torch.manual_seed(0)
    return random_statistics(Folding())


@pytest.mark.parametrize(
    "conv, affine",
    [
        (nn.Conv2d(4, 6, 3, padding=1, bias=False), True),
        (nn.Conv2d(4, 6, 3, stride=2, padding=2, dilation=2), False),
        (nn.Conv2d(4, 8, 5, padding="same", groups=2), True),
    ],
)
def test_folded_conv_equals_conv_then_batchnorm(conv, affine):
    torch.manual_seed(1)
    conv = conv.double()
    bn = random_statistics(nn.BatchNorm2d(conv.out_channels, affine=affine).double())
    with torch.no_grad():
        x = torch.randn(2, 4, 11, 13, dtype=torch.float64)
        expected = bn(conv(x))
        np.testing.assert_allclose(FoldedConv(conv, bn)(x).numpy(), expected.numpy(), rtol=1e-12, atol=1e-12)


def test_engine_folds_only_a_batchnorm_that_alone_reads_its_conv():
    model, x = folding_model(), image(24)[None]
    before = {k: v.clone() for k, v in model.state_dict().items()}
    engine = IncrementalEngine(model, x)
    assert sorted(n.name for n in engine.aliases) == ["bn1", "bn3"]  # conv2 also feeds the skip
    modules = dict(engine.graph_module.named_modules())
    bn2 = next(n for n in engine.nodes if n.name == "bn2")
    assert fold_batchnorm(bn2, modules["bn2"], modules) is None
    for key, value in model.state_dict().items():  # folding made new tensors: the model is unchanged
        assert torch.equal(value, before[key]), key


def test_folded_engine_equals_model_on_patched_copies():
    model, x = folding_model(), image(24)[None]
    engine = IncrementalEngine(model, x)
    starts = torch.tensor([[0, 0], [0, 19], [19, 0], [9, 11], [19, 19], [3, 16]])
    values = torch.randn(len(starts), 3, 5, 5, generator=torch.Generator().manual_seed(2))
    copies = x.repeat(len(starts), 1, 1, 1)
    for b, (r, c) in enumerate(starts.tolist()):
        copies[b, :, r : r + 5, c : c + 5] = values[b]
    with torch.no_grad():
        expected = model(copies)
        np.testing.assert_allclose(engine.run(values, starts), expected, atol=1e-5, rtol=0)
        np.testing.assert_allclose(engine.run(values, starts), expected, atol=1e-5, rtol=0)  # the cache is intact
        np.testing.assert_allclose(engine.base_output, model(x), atol=1e-5, rtol=0)


def test_folded_exact_occlusion_equals_plain():
    model, x = folding_model(), image(24, seed=3)
    exact = occlusion(model, x, window=6, stride=3, mode="exact")
    plain = occlusion(model, x, window=6, stride=3, mode="plain")
    assert exact.mode == "exact"
    np.testing.assert_allclose(exact.probability, plain.probability, atol=1e-6, rtol=0)
