"""What an app's media files are: their names, sizes, wire keys, and the PNG check."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image

from upnext.kit.problems import Invalid


@dataclass(frozen=True)
class MediaSpec:
    key: str  # the name in ``app_media``
    width: int
    height: int
    transparent: bool = False


MEDIA_FILES: dict[str, MediaSpec] = {
    "icon@1x.png": MediaSpec("icon_1x", 240, 240),
    "icon@2x.png": MediaSpec("icon_2x", 480, 480),
    "icon@3x.png": MediaSpec("icon_3x", 960, 960),
    "tile@1x.png": MediaSpec("tile_1x", 400, 240),
    "tile@2x.png": MediaSpec("tile_2x", 800, 480),
    "logo_dark@1x.png": MediaSpec("logo_dark_1x", 400, 240, transparent=True),
    "logo_light@1x.png": MediaSpec("logo_light_1x", 400, 240, transparent=True),
}


def spec_for(file_name: str) -> MediaSpec:
    spec = MEDIA_FILES.get(file_name)
    if spec is None:
        raise Invalid(
            f"{file_name!r} is not a media file name; use one of {', '.join(MEDIA_FILES)}.",
            code="unknown_media_file",
        )
    return spec


def check_png(file_name: str, body: bytes) -> None:
    """Raise ``Invalid`` unless ``body`` is a whole PNG of the size ``file_name`` demands."""
    spec = spec_for(file_name)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(body))
            image_format, size = image.format, image.size
        except Exception:
            raise Invalid("The body is not a PNG image.", code="not_png") from None
        if image_format != "PNG":
            raise Invalid("The body is not a PNG image.", code="not_png")
        if size != (spec.width, spec.height):
            raise Invalid(
                f"{file_name} must be {spec.width}x{spec.height} pixels, not {size[0]}x{size[1]}.",
                code="wrong_media_size",
            )
        try:
            image.load()
        except Exception:
            raise Invalid("The PNG image is damaged or truncated.", code="not_png") from None
    if spec.transparent and not _has_alpha(image):
        raise Invalid(f"{file_name} must have transparency (an alpha channel).", code="no_alpha")


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info


def media_urls(base_url: str, app_id: str, file_names: set[str]) -> dict[str, str]:
    """The ``app_media`` object: a URL for each uploaded file, in the reference's order."""
    return {
        spec.key: f"{base_url}/media/{app_id}/{name}"
        for name, spec in MEDIA_FILES.items()
        if name in file_names
    }
