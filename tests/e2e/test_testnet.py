"""The private test network every media test runs in (scripts/testnet)."""

import subprocess

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.media, pytest.mark.django_db(transaction=True)]

LOOPBACK_CALL = """
async () => {
  const stream = await navigator.mediaDevices.getUserMedia({audio: true, video: true});
  const a = new RTCPeerConnection(), b = new RTCPeerConnection();
  a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
  b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
  stream.getTracks().forEach((t) => a.addTrack(t, stream));
  const connected = new Promise((ok) => {
    b.onconnectionstatechange = () => b.connectionState === "connected" && ok();
  });
  await a.setLocalDescription(); await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription(); await a.setRemoteDescription(b.localDescription);
  await connected;
  await new Promise((ok) => setTimeout(ok, 1500));
  const stats = [...(await b.getStats()).values()];
  const pair = stats.find((s) => s.type === "candidate-pair" && s.nominated);
  const local = stats.find((s) => s.id === pair.localCandidateId);
  const inbound = stats.filter((s) => s.type === "inbound-rtp");
  return {
    address: local.address, candidateType: local.candidateType,
    bytes: Object.fromEntries(inbound.map((s) => [s.kind, s.bytesReceived])),
  };
}
"""


def test_the_test_network_has_only_loopback_and_the_test_address(testnet):
    addresses = subprocess.run(
        ["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True, check=True
    ).stdout
    found = sorted(line.split()[3] for line in addresses.splitlines())
    assert found == ["10.231.0.1/24", "127.0.0.1/8"]


def test_chromium_media_flows_over_the_test_address(testnet, alice, new_page):
    page = new_page("/accounts/login/")
    result = page.evaluate(LOOPBACK_CALL)
    assert result["address"] == testnet
    assert result["candidateType"] == "host"
    assert result["bytes"]["audio"] > 0 and result["bytes"]["video"] > 0
