"""Models whose forward is not ``logits = model(x)``: a dict / ModelOutput-like return, a tuple
``(logits, aux)``, a second input. nbviz picks the output automatically (``logits``, the first
tensor) or as told with ``nbviz.adapt``; results equal a hand computation on the picked tensor, and
the user's own calls still return what they always did."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import nbviz
from guard_checks import ModelSnapshot


class DictNet(nn.Module):
    """Hugging Face style: keyword inputs, a dict of outputs with ``logits``."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU())
        self.head = nn.Linear(8, 5)

    def forward(self, x: torch.Tensor, attention_mask: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        h = self.body(x)
        if attention_mask is not None:
            h = h * attention_mask
        return {"hidden": h, "logits": self.head(h.mean((2, 3)))}


class TupleNet(DictNet):
    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:  # type: ignore[override]
        out = super().forward(x)
        return out["logits"], out["hidden"]


@pytest.fixture
def x() -> torch.Tensor:
    return torch.rand(3, 3, 16, 16, generator=torch.Generator().manual_seed(0))


def hand_gradient(model: nn.Module, x: torch.Tensor, pick, **kwargs) -> np.ndarray:
    x = x.clone().requires_grad_(True)
    logits = pick(model(x, **kwargs))
    target = logits.argmax(1)
    (grad,) = torch.autograd.grad(logits.gather(1, target[:, None]).sum(), x)  # no parameter .grad
    return grad.abs().amax(1).numpy()


@pytest.mark.parametrize("net, pick", [(DictNet, lambda o: o["logits"]), (TupleNet, lambda o: o[0])])
def test_dict_and_tuple_outputs_work_in_every_compute_entry_point(net, pick, x):
    torch.manual_seed(0)
    model = net().eval()
    snapshot = ModelSnapshot(model)
    np.testing.assert_allclose(nbviz.saliency(model, x, method="gradient").maps, hand_gradient(model, x, pick), rtol=1e-5, atol=1e-7)
    assert nbviz.saliency(model, x, method="gradcam").layer == "body"  # the last module with maps
    with torch.no_grad():
        expected = torch.softmax(pick(model(x)), 1).numpy()
    np.testing.assert_allclose(nbviz.predict(model, x).probabilities, expected, rtol=1e-5, atol=1e-7)
    occluded = nbviz.occlusion(model, x[0], window=4, stride=4)
    assert occluded.drop_map.shape == (16, 16) and np.isfinite(occluded.drop_map).all()
    landscape = nbviz.landscape.plane(model, nn.CrossEntropyLoss(), (x, torch.tensor([0, 1, 2])), resolution=3, preview=None)
    with torch.no_grad():
        centre = nn.functional.cross_entropy(pick(model(x)), torch.tensor([0, 1, 2])).item()
    assert landscape.loss[1, 1] == pytest.approx(centre, rel=1e-5)  # the loss got the picked logits
    assert nbviz.extract_features(model, x, "body", pool="avg").shape == (3, 8)
    snapshot.assert_unchanged(model)
    assert isinstance(model(x), dict if net is DictNet else tuple)  # the user's own call is unchanged


def test_adapt_passes_extra_inputs_and_picks_another_output(x):
    torch.manual_seed(0)
    model = DictNet().eval()
    mask = torch.zeros(1, 1, 16, 16)
    mask[..., :8] = 1
    adapted = nbviz.adapt(model, "logits", forward_kwargs={"attention_mask": mask})
    maps = nbviz.saliency(adapted, x, method="gradient").maps
    np.testing.assert_allclose(maps, hand_gradient(model, x, lambda o: o["logits"], attention_mask=mask), rtol=1e-5, atol=1e-7)
    assert np.abs(maps[:, :, 9:]).max() == 0  # the masked half cannot matter
    assert dict(adapted.named_modules()).keys() == dict(model.named_modules()).keys()  # same layer names
    assert adapted.head.weight is model.head.weight
    pooled = nbviz.adapt(model, lambda out: out["hidden"].mean((2, 3)))
    assert nbviz.predict(pooled, x).probabilities.shape == (3, 8)
    with pytest.raises(ValueError, match="output: the model's output has no 'scores'"):
        nbviz.predict(nbviz.adapt(model, "scores"), x)
    with pytest.raises(TypeError, match="forward_kwargs"):
        nbviz.adapt(model, forward_kwargs=[1])


def test_explorers_take_dict_models(x):
    torch.manual_seed(0)
    model = DictNet().eval()
    for explorer in (
        nbviz.SaliencyExplorer(model, x, methods=["gradient", "gradcam"]),
        nbviz.PredictionExplorer(model, x),
        nbviz.LayerExplorer(model, x),
        nbviz.OcclusionExplorer(model, x, window=4, stride=4),
    ):
        explorer.wait(120)
        assert not explorer.error, (type(explorer).__name__, explorer.error)
        explorer.close()
