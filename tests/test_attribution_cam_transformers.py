"""Grad-CAM and Grad-CAM++ on transformer layers (torchvision ViT tokens, Swin's channels-last maps)
equal pytorch-grad-cam with its documented ``reshape_transform``, and the default layer is the one
pytorch-grad-cam advises (the norm before the last block's attention), not the patch embedding."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision

from nbviz.attribution import saliency

pytest.importorskip("pytorch_grad_cam")


def minmax(maps: np.ndarray) -> np.ndarray:
    lo = maps.min(axis=(1, 2), keepdims=True)
    hi = maps.max(axis=(1, 2), keepdims=True)
    return (maps - lo) / np.maximum(hi - lo, 1e-12)


def vit() -> tuple[torch.nn.Module, torch.Tensor]:
    torch.manual_seed(0)
    model = torchvision.models.vit_b_16(weights=None, image_size=96, num_classes=10).eval()
    torch.nn.init.normal_(model.heads.head.weight, std=0.5)  # torchvision starts the head at zero: no gradient at all
    return model, torch.randn(2, 3, 96, 96)


def swin() -> tuple[torch.nn.Module, torch.Tensor]:
    torch.manual_seed(0)
    model = torchvision.models.swin_t(weights=None, num_classes=10).eval()
    return model, torch.randn(2, 3, 128, 128)


def vit_reshape(tensor: torch.Tensor, height: int = 6, width: int = 6) -> torch.Tensor:
    """pytorch-grad-cam's documented ViT reshape_transform (tutorials/vision_transformers.md)."""
    result = tensor[:, 1:, :].reshape(tensor.size(0), height, width, tensor.size(2))
    return result.transpose(2, 3).transpose(1, 2)


def swin_reshape(tensor: torch.Tensor) -> torch.Tensor:
    """pytorch-grad-cam's Swin reshape_transform for an N×H×W×C output."""
    return tensor.permute(0, 3, 1, 2)


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


CASES = {
    "vit": (vit, "encoder.layers.encoder_layer_11.ln_1", vit_reshape),
    "swin": (swin, "features.7.1", swin_reshape),
}


@pytest.mark.parametrize("method", ["gradcam", "gradcam++"])
@pytest.mark.parametrize("kind", list(CASES))
def test_matches_pytorch_grad_cam_with_its_reshape_transform(kind, method):
    from pytorch_grad_cam import GradCAM, GradCAMPlusPlus
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    build, layer, reshape = CASES[kind]
    model, x = build()
    ours = saliency(model, x, method=method, layer=layer)
    module = dict(model.named_modules())[layer]
    anchor = (GradCAM if method == "gradcam" else GradCAMPlusPlus)(model, target_layers=[module], reshape_transform=reshape)
    try:
        theirs = anchor(x.clone(), targets=[ClassifierOutputTarget(int(t)) for t in ours.target])
    finally:
        anchor.activations_and_grads.release()
    assert (ours.maps.max(axis=(1, 2)) > ours.maps.min(axis=(1, 2))).all(), "degenerate CAM: the test could not fail"
    for mine, anchor_map in zip(minmax(ours.maps), theirs):
        assert correlation(mine, anchor_map) >= 0.99
    np.testing.assert_allclose(minmax(ours.maps), theirs, atol=1e-3)


def test_default_layer_of_a_vit_is_the_last_blocks_first_norm():
    model, x = vit()
    assert saliency(model, x[:1], method="gradcam").layer == "encoder.layers.encoder_layer_11.ln_1"


def test_default_layer_of_a_swin_is_its_last_map():
    model, x = swin()
    result = saliency(model, x[:1], method="gradcam")
    assert result.layer.startswith(("features.7", "norm", "permute")) and result.maps.shape == (1, 128, 128)
