"""What a company admin does in Django admin reaches the user's open sockets."""

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.urls import reverse

from tests.accounts.admin_data import user_change_data

pytestmark = pytest.mark.django_db(transaction=True)


async def closed_with(comm, timeout: float = 5) -> int:
    while True:
        message = await comm.receive_output(timeout=timeout)
        if message["type"] == "websocket.close":
            return message.get("code", 1000)


def _admin_post(admin, url: str, data: dict) -> int:
    client = Client()
    client.force_login(admin)
    return client.post(url, data).status_code


async def test_deactivating_bob_in_admin_closes_every_socket_of_his(alice, bob, connect):
    laptop, phone = await connect(bob), await connect(bob)
    data = await sync_to_async(user_change_data)(bob, is_active="")
    url = reverse("admin:accounts_user_change", args=[bob.pk])
    assert await sync_to_async(_admin_post)(alice, url, data) == 302
    assert await closed_with(laptop) == 4401
    assert await closed_with(phone) == 4401


async def test_setting_bobs_password_in_admin_closes_his_sockets(alice, bob, connect):
    comm = await connect(bob)
    new_password = "A-fresh-passphrase-for-bob-7"
    url = reverse("admin:auth_user_password_change", args=[bob.pk])
    data = {"password1": new_password, "password2": new_password, "usable_password": "true"}
    assert await sync_to_async(_admin_post)(alice, url, data) == 302
    assert await closed_with(comm) == 4401


async def test_charlie_cannot_deactivate_bob_and_bobs_socket_stays_open(charlie, bob, connect):
    comm = await connect(bob)
    data = await sync_to_async(user_change_data)(bob, is_active="")
    url = reverse("admin:accounts_user_change", args=[bob.pk])
    assert await sync_to_async(_admin_post)(charlie, url, data) == 404
    await comm.send_json_to({"type": "ping"})
    assert (await comm.receive_json_from(timeout=5))["type"] == "pong"
