"""The image pipeline: what it refuses, and what it stores."""

import io

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from tests.accounts import images
from uc_web.lib import media


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize("kind", sorted(images.BAD_UPLOADS))
def test_each_bad_upload_is_refused_with_a_reason_and_nothing_is_stored(kind, media_root):
    data, name = images.BAD_UPLOADS[kind]()
    with pytest.raises(media.ImageRejected) as error:
        media.image_store(images.upload(data, name), folder="avatars")
    assert error.value.message
    assert stored_files(media_root) == []


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("empty", "empty"),
        ("text_renamed_jpg", "not an image"),
        ("truncated_jpeg", "damaged or incomplete"),
        ("png_declaring_30000x30000", "too many pixels"),
        ("svg_with_script", "markup"),
        ("html_jpeg_polyglot", "markup"),
        ("eight_megabyte_image", "too large"),
    ],
)
def test_the_reason_names_the_problem(kind, reason):
    data, name = images.BAD_UPLOADS[kind]()
    with pytest.raises(media.ImageRejected, match=reason):
        media.image_prepare(io.BytesIO(data))


def test_our_pixel_limit_applies_below_pillows_warning_threshold():
    # 64 megapixels: Pillow itself would not even warn.
    with pytest.raises(media.ImageRejected, match="too many pixels"):
        media.image_prepare(io.BytesIO(images.png_declaring(8000, 8000)))


def test_pillows_first_bomb_warning_is_an_error():
    # 100 megapixels: between Pillow's warning and its error threshold.
    with pytest.raises(media.ImageRejected, match="too many pixels"):
        media.image_prepare(io.BytesIO(images.png_declaring(10_000, 10_000)))


def test_an_animation_with_too_many_frames_is_refused(monkeypatch):
    monkeypatch.setattr(media, "MAX_FRAME_PIXELS", 50 * 50 * 10)
    with pytest.raises(media.ImageRejected, match="too many frames"):
        media.image_prepare(io.BytesIO(images.gif_animation(frames=12)))


def test_a_small_animation_is_accepted_as_its_first_frame():
    out = media.image_prepare(io.BytesIO(images.gif_animation(frames=3)))
    assert Image.open(io.BytesIO(out["small"])).size == (64, 64)


def test_formats_outside_the_allow_list_are_never_decoded():
    bmp = io.BytesIO()
    Image.new("RGB", (10, 10)).save(bmp, "BMP")  # Pillow reads BMP, we do not
    with pytest.raises(media.ImageRejected, match="not an image"):
        media.image_prepare(io.BytesIO(bmp.getvalue()))


def test_gps_and_all_exif_are_gone_from_the_stored_files(media_root):
    source = images.jpeg(gps=True, orientation=1)
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(0x8825)  # the GPS is there
    stored = media.image_store(images.upload(source), folder="avatars")
    for name in stored.names:
        with default_storage.open(name) as f:
            data = f.read()
        image = Image.open(io.BytesIO(data))
        assert dict(image.getexif()) == {}
        assert "exif" not in image.info and "icc_profile" not in image.info
        assert b"Exif" not in data and b"GPS" not in data


def test_exif_orientation_is_applied_before_cropping():
    # Orientation 6: the camera was turned, the left (red) half is the top of the photo.
    out = media.image_prepare(io.BytesIO(images.jpeg((40, 20), orientation=6)))
    image = Image.open(io.BytesIO(out["large"])).convert("RGB")
    top, bottom = image.getpixel((128, 10)), image.getpixel((128, 245))
    assert top[0] > 200 and top[2] < 60
    assert bottom[2] > 200 and bottom[0] < 60


def test_photos_are_cropped_square_and_logos_are_contained():
    photo = media.image_prepare(io.BytesIO(images.png((300, 200))), fit="crop")
    logo = media.image_prepare(io.BytesIO(images.png((300, 200))), fit="contain")
    assert Image.open(io.BytesIO(photo["large"])).size == (256, 256)
    assert Image.open(io.BytesIO(photo["small"])).size == (64, 64)
    assert Image.open(io.BytesIO(logo["large"])).size == (256, 171)


def test_transparency_is_kept():
    out = media.image_prepare(io.BytesIO(images.png((100, 100), mode="RGBA")))
    assert Image.open(io.BytesIO(out["small"])).mode == "RGBA"


def test_stored_names_are_random_and_do_not_keep_the_upload_name(media_root):
    first = media.image_store(images.upload(images.jpeg(), "alice-passport.jpg"), folder="avatars")
    second = media.image_store(images.upload(images.jpeg(), "alice-passport.jpg"), folder="avatars")
    assert first.large != second.large
    assert all("passport" not in n and n.startswith("avatars/") for n in first.names)


def test_image_delete_removes_files_and_ignores_blanks(media_root):
    stored = media.image_store(images.upload(images.jpeg()), folder="avatars")
    media.image_delete([*stored.names, ""])
    assert stored_files(media_root) == []
