"""CAM methods against Captum (LayerGradCam, LayerAttribution.interpolate, GuidedGradCam) and
pytorch-grad-cam (GradCAM, GradCAMPlusPlus) on resnet18 (weights=None) and a small BatchNorm CNN.
Tolerances: Captum rtol=1e-5 / atol=1e-5 × max; pytorch-grad-cam maps (min–max scaled per image,
resized with cv2) atol=1e-4 after scaling ours the same way."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from attribution_models import images, resnet18, small_cnn
from nbviz.attribution import saliency
from reference_packages import require

captum_attr = require("captum.attr")
grad_cam = require("pytorch_grad_cam")


def close(ours, theirs, rtol=1e-5):
    theirs = torch.as_tensor(theirs).detach().float()
    torch.testing.assert_close(torch.as_tensor(ours), theirs, rtol=rtol, atol=1e-5 * float(theirs.abs().max()))


def minmax(maps: np.ndarray) -> np.ndarray:
    low = maps.min(axis=(1, 2), keepdims=True)
    return (maps - low) / (maps.max(axis=(1, 2), keepdims=True) - low)


# (model, inputs, our layer name, the same module for the anchors)
@pytest.fixture(scope="module", params=["resnet18-layer4", "resnet18-layer3", "small_cnn"])
def case(request):
    if request.param.startswith("resnet18"):
        model, name = resnet18(), request.param.split("-")[1]
        return model, images(2, 64), name, getattr(model, name)
    model = small_cnn()
    return model, images(3, 16), "features.5", model.features[5]


def test_default_layer_is_the_last_spatial_module():
    model = resnet18()
    assert saliency(model, images(1, 64), method="gradcam").layer == "layer4"
    assert saliency(small_cnn(), images(1, 16), method="gradcam").layer == "features"


def test_gradcam_matches_captum_layer_gradcam(case):
    model, x, name, module = case
    ours = saliency(model, x, [1, 2, 3][: len(x)], "gradcam", layer=name)
    theirs = captum_attr.LayerGradCam(model, module).attribute(x.clone(), target=[1, 2, 3][: len(x)])
    close(ours.raw, theirs)
    size = tuple(x.shape[2:])
    nearest = saliency(model, x, [1, 2, 3][: len(x)], "gradcam", layer=name, interpolation="nearest")
    up = captum_attr.LayerAttribution.interpolate(theirs.clamp(min=0), size)  # Captum's default: nearest
    close(nearest.maps, up[:, 0])
    bilinear = captum_attr.LayerAttribution.interpolate(theirs.clamp(min=0), size, interpolate_mode="bilinear")
    close(ours.maps, bilinear[:, 0])


@pytest.mark.parametrize("method", ["gradcam", "gradcam++"])
def test_matches_pytorch_grad_cam(case, method):
    from pytorch_grad_cam import GradCAM, GradCAMPlusPlus
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    model, x, name, module = case
    ours = saliency(model, x, method=method, layer=name)
    anchor = (GradCAM if method == "gradcam" else GradCAMPlusPlus)(model, target_layers=[module])
    try:
        theirs = anchor(x.clone(), targets=[ClassifierOutputTarget(int(t)) for t in ours.target])
    finally:
        anchor.activations_and_grads.release()
    assert (ours.maps.max(axis=(1, 2)) > ours.maps.min(axis=(1, 2))).all(), "degenerate CAM: the test could not fail"
    np.testing.assert_allclose(minmax(ours.maps), theirs, atol=1e-4)


def test_gradcam_plus_plus_differs_from_gradcam(case):
    model, x, name, _ = case
    a = saliency(model, x, method="gradcam", layer=name)
    b = saliency(model, x, method="gradcam++", layer=name)
    assert not np.allclose(a.raw, b.raw)


def test_guided_gradcam_matches_captum(case):
    model, x, name, module = case
    ours = saliency(model, x, 0, "guided_gradcam", layer=name, interpolation="nearest")
    theirs = captum_attr.GuidedGradCam(model, module).attribute(x.clone(), target=0)
    close(ours.raw, theirs)
    close(ours.maps, theirs.abs().amax(dim=1))


def test_cam_batches_agree_with_one_pass():
    model, x = resnet18(), images(3, 64)
    one = saliency(model, x, method="gradcam++", batch_size=1)
    all_ = saliency(model, x, method="gradcam++")
    close(one.raw, all_.raw)


def test_cam_errors():
    model, x = small_cnn(), images(1, 16)
    with pytest.raises(ValueError, match="layer: 'classifier' has output shape .*not a spatial"):
        saliency(model, x, method="gradcam", layer="classifier")
    with pytest.raises(ValueError, match="layer: 'pool' has output shape"):
        saliency(model, x, method="gradcam", layer="pool")  # 1×1: no spatial extent
    with pytest.raises(ValueError, match="no layer named 'feature'"):
        saliency(model, x, method="gradcam", layer="feature")
    mlp = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 16 * 16, 4))
    with pytest.raises(ValueError, match="no module with a spatial"):
        saliency(mlp, x, method="gradcam++")
    with pytest.raises(ValueError, match="interpolation: expected one of bilinear, nearest"):
        saliency(model, x, method="guided_gradcam", interpolation="cubic")
