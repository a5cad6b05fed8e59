"""Safe image decoding: every failure becomes a one-line ``DataError`` that names the file.

PIL opens files lazily, so a truncated JPEG only fails when its pixels are read, typically deep inside a
DataLoader worker. ``load_rgb`` forces the full decode with ``.load()`` so the error surfaces here, once,
with the path in the message. Truncated files fail only while ``PIL.ImageFile.LOAD_TRUNCATED_IMAGES`` is
False (PIL's default); this module never changes that global.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from oquab_lib.errors import DataError

__all__ = ["load_rgb", "load_rgb_tensor", "pil_to_tensor_uint8"]

_FIX = "re-extract the dataset archive or delete the file and its entries from the split lists"


def load_rgb(path: str | Path) -> Image.Image:
    """Open ``path``, decode every pixel and return an RGB ``PIL.Image`` (grayscale/CMYK are converted).

    Raises ``DataError`` for a missing file, an unreadable format, or a truncated or corrupt stream.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: image file not found — check the data root or {_FIX}")
    try:
        with Image.open(path) as image:
            image.load()  # full decode here, so truncation cannot hide until a worker touches the pixels
            return image.convert("RGB")
    except UnidentifiedImageError:
        raise DataError(f"{path}: cannot decode image (not a recognised image format) — {_FIX}") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as err:
        raise DataError(f"{path}: cannot decode image ({type(err).__name__}: {_one_line(err)}) — {_FIX}") from None


def pil_to_tensor_uint8(image: Image.Image) -> torch.Tensor:
    """RGB PIL image -> ``Tensor[3, H, W]`` uint8 (no scaling): what torchvision's ``pil_to_tensor`` computes.

    Written with numpy so that decoding an image does not import torchvision (whose import pulls in
    ``torch._dynamo``: over a second per notebook kernel, most of a warm chapter's run time).
    """
    return torch.from_numpy(np.array(image.convert("RGB"), dtype=np.uint8)).permute(2, 0, 1).contiguous()


def load_rgb_tensor(path: str | Path) -> torch.Tensor:
    """``load_rgb`` then ``pil_to_tensor_uint8``: ``Tensor[3, H, W]`` uint8."""
    return pil_to_tensor_uint8(load_rgb(path))


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split()) or type(err).__name__
