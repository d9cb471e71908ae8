from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploads and photos of each test go to a folder of its own."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return settings.MEDIA_ROOT


@pytest.fixture
def fixture_upload():
    def make(name: str) -> SimpleUploadedFile:
        return SimpleUploadedFile(name, (FIXTURES / name).read_bytes())

    return make
