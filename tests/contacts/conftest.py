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


@pytest.fixture
def api():
    """An API client signed in as a given user."""
    from rest_framework.test import APIClient

    def client_for(user) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return client_for


@pytest.fixture
def signed_in(client):
    """The test client signed in as a given user."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in
