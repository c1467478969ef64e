"""Reference outputs of Pillow for the image operations that inpainting reproduces in Java (src/main/java/.../image).

diffusers' inpainting blurs its mask with Pillow's GaussianBlur (VaeImageProcessor.blur) and composites its output over
the input with Pillow's paste, mode conversions and alpha_composite (VaeImageProcessor.apply_overlay); the service does
the same arithmetic in Java, and these files are what its tests compare against. Run once with any Python 3 that has
Pillow (and nothing else), from the repository root:

    python3 src/training/image_ops/pil_references.py src/test/resources/image

Writes pil-gaussian-blur.json and pil-apply-overlay.json; each names the Pillow version that made it.
"""
import base64
import json
import random
import sys
from pathlib import Path

import PIL
from PIL import Image, ImageDraw, ImageFilter, ImageOps


def b64(image):
    return base64.b64encode(image.tobytes()).decode()


def blur_cases():
    random.seed(21)
    cases = []

    def add(name, image, radius):
        cases.append({"name": name, "width": image.width, "height": image.height, "radius": radius,
                      "input": b64(image), "expected": b64(image.filter(ImageFilter.GaussianBlur(radius)))})

    mask = Image.new("L", (64, 48), 0)
    draw = ImageDraw.Draw(mask)
    draw.rectangle((10, 8, 30, 30), fill=255)
    draw.ellipse((36, 20, 60, 44), fill=255)
    draw.rectangle((0, 40, 5, 47), fill=128)
    noise = Image.frombytes("L", (23, 17), bytes(random.randrange(256) for _ in range(23 * 17)))
    tiny = Image.frombytes("L", (5, 3), bytes([0, 255, 0, 255, 0, 255, 255, 0, 0, 255, 0, 0, 255, 255, 0]))
    for radius in (0.5, 1, 2, 4, 7.5, 16, 64):
        add("mask", mask, radius)
    for radius in (1, 3, 4, 10):
        add("noise", noise, radius)
    for radius in (1, 4, 20):
        add("tiny", tiny, radius)
    return cases


def apply_overlay(mask, init_image, image):
    """diffusers 0.30.3 VaeImageProcessor.apply_overlay without crop_coords, all images of one size."""
    init_image_masked = Image.new("RGBa", (image.width, image.height))
    init_image_masked.paste(init_image.convert("RGBA").convert("RGBa"), mask=ImageOps.invert(mask.convert("L")))
    init_image_masked = init_image_masked.convert("RGBA")
    image = image.convert("RGBA")
    image.alpha_composite(init_image_masked)
    return image.convert("RGB")


def overlay_cases():
    random.seed(22)
    cases = []
    # every mask level against random colours, then a blurred mask over two pictures
    width, height = 256, 8
    mask = Image.frombytes("L", (width, height), bytes(x for _ in range(height) for x in range(width)))
    init = Image.frombytes("RGB", (width, height), bytes(random.randrange(256) for _ in range(width * height * 3)))
    generated = Image.frombytes("RGB", (width, height), bytes(random.randrange(256) for _ in range(width * height * 3)))
    cases.append({"name": "every level", "width": width, "height": height, "mask": b64(mask), "init": b64(init),
                  "generated": b64(generated), "expected": b64(apply_overlay(mask, init, generated))})
    mask = Image.new("L", (32, 32), 0)
    ImageDraw.Draw(mask).ellipse((8, 8, 24, 24), fill=255)
    mask = mask.filter(ImageFilter.GaussianBlur(4))
    init = Image.new("RGB", (32, 32), (20, 200, 90))
    generated = Image.new("RGB", (32, 32), (250, 10, 128))
    cases.append({"name": "blurred disc", "width": 32, "height": 32, "mask": b64(mask), "init": b64(init),
                  "generated": b64(generated), "expected": b64(apply_overlay(mask, init, generated))})
    return cases


def main(out_dir):
    out = Path(out_dir)
    made_by = "Pillow " + PIL.__version__ + " (src/training/image_ops/pil_references.py)"
    (out / "pil-gaussian-blur.json").write_text(json.dumps(
        {"generator": made_by + ": Image.filter(ImageFilter.GaussianBlur(radius)) on mode L",
         "cases": blur_cases()}, indent=1) + "\n")
    (out / "pil-apply-overlay.json").write_text(json.dumps(
        {"generator": made_by + ": diffusers 0.30.3 VaeImageProcessor.apply_overlay(mask, init_image, image)",
         "cases": overlay_cases()}, indent=1) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
