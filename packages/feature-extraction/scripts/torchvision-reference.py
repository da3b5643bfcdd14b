"""Reference features from torchvision, for src/torchvision-parity.test.ts.

Builds random-initialised torchvision ResNet-18/34/50 with random batch-norm statistics and affine
parameters (so that batch norm matters), saves each state dict as a torch.save .pth file and as a
.safetensors file (written by hand: the format is an 8-byte little-endian header length, a JSON header
and the raw little-endian tensor bytes), writes fixed 256x256 PNG images and the features torchvision
computes for them with its ImageNet preprocessing (Resize(256), CenterCrop(224), ToTensor, Normalize).

Usage: python3 torchvision-reference.py OUT_DIR
Writes OUT_DIR/manifest.json, images/*.png, <arch>.pth, <arch>.safetensors, and float32 little-endian
arrays: input.bin [n,224,224,3] (the normalised crops, NHWC) and per arch <arch>-grid.bin [n,7,7,C] (the
last feature map, NHWC) and <arch>-pooled.bin [n,C] (its global average, torchvision's avgpool).
"""

import json
import os
import sys

import numpy as np
import torch
import torchvision
from PIL import Image
from torchvision import transforms

ARCHS = ["resnet18", "resnet34", "resnet50"]
IMAGE_COUNT = 3
SIZE = 256


def make_images(out_dir):
    """Smooth random colour fields plus edges: varied enough that features differ per image."""
    rng = np.random.RandomState(1234)
    paths = []
    os.makedirs(os.path.join(out_dir, "images"), exist_ok=True)
    for i in range(IMAGE_COUNT):
        coarse = rng.rand(8, 8, 3)
        field = np.kron(coarse, np.ones((SIZE // 8, SIZE // 8, 1)))
        yy, xx = np.mgrid[0:SIZE, 0:SIZE] / SIZE
        field[..., 0] += 0.5 * np.sin(2 * np.pi * (i + 1) * xx)
        field[..., 1] += 0.5 * np.cos(2 * np.pi * (i + 2) * yy)
        field += 0.15 * rng.randn(SIZE, SIZE, 3)
        pixels = np.clip(field / field.max() * 255, 0, 255).astype(np.uint8)
        path = os.path.join(out_dir, "images", f"image-{i}.png")
        Image.fromarray(pixels, "RGB").save(path)
        paths.append(path)
    return paths


def randomise_batch_norm(model, generator):
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            c = module.num_features
            module.running_mean.copy_(torch.randn(c, generator=generator) * 0.3)
            module.running_var.copy_(torch.rand(c, generator=generator) * 1.5 + 0.5)
            module.weight.data.copy_(torch.rand(c, generator=generator) + 0.5)
            module.bias.data.copy_(torch.randn(c, generator=generator) * 0.2)
            module.num_batches_tracked.fill_(12345)


def write_safetensors(state_dict, path):
    dtypes = {torch.float32: "F32", torch.int64: "I64"}
    header, chunks, offset = {}, [], 0
    for name, tensor in state_dict.items():
        data = tensor.detach().contiguous().cpu().numpy().astype("<" + tensor.numpy().dtype.str[1:]).tobytes()
        header[name] = {"dtype": dtypes[tensor.dtype], "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
    encoded = json.dumps(header).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)  # the data starts 8-byte aligned, as the reference writer does
    with open(path, "wb") as f:
        f.write(len(encoded).to_bytes(8, "little"))
        f.write(encoded)
        for chunk in chunks:
            f.write(chunk)


def feature_map(model, x):
    x = model.maxpool(model.relu(model.bn1(model.conv1(x))))
    return model.layer4(model.layer3(model.layer2(model.layer1(x))))


def save_array(path, array):
    np.ascontiguousarray(array, dtype="<f4").tofile(path)


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(1)
    paths = make_images(out_dir)
    preprocess = transforms.Compose(
        [
            transforms.Resize(256),
            transforms.CenterCrop(224),
            transforms.ToTensor(),
            transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
        ]
    )
    batch = torch.stack([preprocess(Image.open(p).convert("RGB")) for p in paths])
    save_array(os.path.join(out_dir, "input.bin"), batch.permute(0, 2, 3, 1).numpy())
    manifest = {"images": [os.path.relpath(p, out_dir) for p in paths], "torch": torch.__version__, "torchvision": torchvision.__version__, "archs": {}}
    for k, arch in enumerate(ARCHS):
        torch.manual_seed(100 + k)
        model = getattr(torchvision.models, arch)()
        with torch.no_grad():
            randomise_batch_norm(model, torch.Generator().manual_seed(200 + k))
        model.eval()
        state = model.state_dict()
        torch.save(state, os.path.join(out_dir, f"{arch}.pth"))
        write_safetensors(state, os.path.join(out_dir, f"{arch}.safetensors"))
        with torch.no_grad():
            grid = feature_map(model, batch)
            pooled = torch.flatten(model.avgpool(grid), 1)
        save_array(os.path.join(out_dir, f"{arch}-grid.bin"), grid.permute(0, 2, 3, 1).numpy())
        save_array(os.path.join(out_dir, f"{arch}-pooled.bin"), pooled.numpy())
        manifest["archs"][arch] = {"gridShape": list(grid.permute(0, 2, 3, 1).shape), "pooledShape": list(pooled.shape)}
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
