"""Reads a generated 64x64 image by pixel statistics: background, shape colour, shape and size.

Background: the palette colour nearest the median of the 2-pixel border. Shape colour: the most
frequent nearest-palette label among pixels not labelled as the background; the shape is the pixels of
that label. Size: the larger side of the foreground's bounding box (small 32-40%, large 58-72% of
the width; split at 49%). Shape: the template (circle, square, upright triangle) fitted to the bounding box
that overlaps the shape best (intersection over union), which tolerates blurred edges and corners.

    /usr/bin/python3 src/training/judge.py   # checks the judge on freshly rendered ground truth
"""
import numpy as np
from PIL import Image, ImageFilter

import shapes_data

_PALETTE = np.array([shapes_data.PALETTE[c] for c in shapes_data.COLORS], dtype=np.float32)
SIZE_SPLIT = 0.49
BORDER = 2


def _grid(height, width):
    y = (np.arange(height)[:, None] + 0.5) / height  # 0..1 top to bottom
    x = (np.arange(width)[None, :] + 0.5) / width
    return y, x


def _circle(height, width):
    y, x = _grid(height, width)
    return (y - 0.5) ** 2 + (x - 0.5) ** 2 <= 0.25


def _square(height, width):
    return np.ones((height, width), dtype=bool)


def _triangle(height, width):
    y, x = _grid(height, width)
    return np.abs(x - 0.5) <= y / 2


SHAPE_TEMPLATES = {"circle": _circle, "square": _square, "triangle": _triangle}


def _iou(a, b):
    return (a & b).sum() / max(1, (a | b).sum())


def judge(image):
    """uint8 [64,64,3] -> dict color/bg/shape/size (names; None where no foreground was found)."""
    pixels = image.astype(np.float32)
    labels = np.argmin(((pixels[:, :, None, :] - _PALETTE[None, None]) ** 2).sum(-1), axis=-1)
    border = np.concatenate([pixels[:BORDER].reshape(-1, 3), pixels[-BORDER:].reshape(-1, 3),
                             pixels[:, :BORDER].reshape(-1, 3), pixels[:, -BORDER:].reshape(-1, 3)])
    bg = int(np.argmin(((np.median(border, axis=0) - _PALETTE) ** 2).sum(-1)))
    foreground = labels != bg
    result = {"bg": shapes_data.COLORS[bg], "color": None, "shape": None, "size": None}
    if foreground.sum() < 4:
        return result
    color = int(np.bincount(labels[foreground], minlength=len(_PALETTE)).argmax())
    result["color"] = shapes_data.COLORS[color]
    # the shape is the pixels of its colour: blurred edges between two colours can read as a third one
    foreground = labels == color
    rows = np.nonzero(foreground.sum(axis=1) >= 2)[0]
    cols = np.nonzero(foreground.sum(axis=0) >= 2)[0]
    if len(rows) == 0 or len(cols) == 0:
        return result
    height = rows[-1] - rows[0] + 1
    width = cols[-1] - cols[0] + 1
    extent = max(height, width) / image.shape[1]
    result["size"] = "small" if extent < SIZE_SPLIT else "large"
    box = foreground[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    result["shape"] = max(SHAPE_TEMPLATES, key=lambda name: _iou(box, SHAPE_TEMPLATES[name](*box.shape)))
    return result


def adherence(images, attrs, named_size):
    """Fractions of images whose judged colour/shape/bg match, and size among prompts that name one."""
    hits = {"color": [], "shape": [], "bg": [], "size": []}
    for i, image in enumerate(images):
        got = judge(image)
        hits["color"].append(got["color"] == shapes_data.COLORS[attrs["color"][i]])
        hits["shape"].append(got["shape"] == shapes_data.SHAPES[attrs["shape"][i]])
        if attrs["bg_named"][i]:
            hits["bg"].append(got["bg"] == shapes_data.COLORS[attrs["bg"][i]])
        if named_size[i]:
            hits["size"].append(got["size"] == shapes_data.SIZES[attrs["size"][i]])
    return {k: (float(np.mean(v)) if v else float("nan"), len(v)) for k, v in hits.items()}


def main():
    rng = np.random.default_rng(123)
    n = 2000
    attrs = shapes_data.random_attributes(rng, n)
    attrs["bg_named"] = np.ones(n, dtype=bool)
    images = shapes_data.render(rng, attrs)
    named = np.ones(n, dtype=bool)
    print("judge on ground truth:", _format(adherence(images, attrs, named)))
    # A stand-in for a decoder's soft edges: the judge should read slightly blurred shapes just as well.
    blurred = np.stack([np.asarray(Image.fromarray(image).filter(ImageFilter.GaussianBlur(1.5))) for image in images])
    print("judge on blurred ground truth (Gaussian radius 1.5):", _format(adherence(blurred, attrs, named)))


def _format(result):
    return {k: f"{v:.4f} (n={c})" for k, (v, c) in result.items()}


if __name__ == "__main__":
    main()
