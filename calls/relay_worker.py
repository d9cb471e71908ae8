"""The media relay worker: a server-side call participant built on aiortc.

It reads its own channel-layer channel (so it can run anywhere Redis reaches, any number
of them), announces itself in RelayWorker with its load every RELAY_HEARTBEAT_SECONDS,
and keeps *sessions*: one per relayed call (a bridge: what one leg sends goes to the
other), per connection test (an echo: what the leg sends comes back after a short
delay), or per caller leaving a message (voicemail, calls.relay_voicemail). Each browser
leg of a session gets its own RTCPeerConnection with the same ICE
servers and TURN credentials the browsers get (calls.turn).

Messages on its channel:
- `relay.open` {session, kind, call, media, ice, reply}: answered with `relay.opened`
  on `reply` once the session exists;
- `relay.signal` {session, leg, reply_to, call, kind, sdp | candidate, restart}: a
  browser leg's offer or candidate; the answer goes back to `reply_to` as
  `call.signalled` (or `echo.signalled` for an echo session);
- `relay.finish` {session}: a voicemail session stops recording and delivers;
- `relay.close` {session}.

Media is decoded and re-encoded (docs/calls.md says why): aiortc hands out decoded
frames only, and the same session is where voicemail, recording and the phone bridge
will get at the audio.
"""

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
from typing import Any

from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError
from aiortc.sdp import candidate_from_sdp
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.utils import timezone

from calls.models import RelayWorker
from uc_web.lib import realtime

logger = logging.getLogger(__name__)


class ForwardTrack(MediaStreamTrack):
    """What one leg receives: frames taken from a source track once there is one (the
    other leg's inbound track, or, for an echo, the leg's own after a delay)."""

    def __init__(self, kind: str, delay: float = 0.0) -> None:
        super().__init__()
        self.kind = kind
        self.delay = delay
        # A few frames of slack (plus the echo's delay): a leg that connects late gets
        # what is said now, not a backlog.
        self._queue: asyncio.Queue = asyncio.Queue(maxsize=10 + int(delay * 60))
        self._pump: asyncio.Task | None = None

    def feed_from(self, source: MediaStreamTrack) -> None:
        if self._pump is not None:
            self._pump.cancel()
        self._pump = asyncio.ensure_future(self._run(source))

    async def _run(self, source: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError, asyncio.CancelledError):
            while True:
                frame = await source.recv()
                if self._queue.full():
                    self._queue.get_nowait()  # the receiver is behind: drop the oldest
                self._queue.put_nowait((time.monotonic() + self.delay, frame))

    async def recv(self) -> Any:
        if self.readyState != "live":
            raise MediaStreamError
        due, frame = await self._queue.get()
        wait = due - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        return frame

    def stop(self) -> None:
        super().stop()
        if self._pump is not None:
            self._pump.cancel()


def _configuration(ice: dict[str, Any]) -> RTCConfiguration:
    servers = []
    for server in ice.get("iceServers", []):
        urls = server.get("urls")
        # aiortc takes stun:/turn:/turns: URLs; it has no TLS over TCP for turns: here.
        servers.append(
            RTCIceServer(
                urls=urls, username=server.get("username"), credential=server.get("credential")
            )
        )
    return RTCConfiguration(iceServers=servers)


class Session:
    """One server-side participant: a peer connection per browser leg."""

    def __init__(self, worker: "Worker", message: dict[str, Any]) -> None:
        self.worker = worker
        self.id = message["session"]
        self.kind = message["kind"]
        self.call = message.get("call", "")
        self.ice = message.get("ice") or {}
        self.pcs: dict[str, RTCPeerConnection] = {}
        self.reply_to: dict[str, str] = {}
        self.pending: dict[str, list[Any]] = {}
        # What each leg is sent, per media kind; fed when the source arrives.
        self.outbound: dict[str, dict[str, ForwardTrack]] = {}
        self.inbound: dict[str, dict[str, MediaStreamTrack]] = {}
        self.closed = False

    def _out(self, leg: str, kind: str) -> ForwardTrack:
        tracks = self.outbound.setdefault(leg, {})
        if kind not in tracks:
            delay = settings.RELAY_ECHO_DELAY_SECONDS if self.kind == "echo" else 0.0
            tracks[kind] = ForwardTrack(kind, delay)
            source = self._source_for(leg, kind)
            if source is not None:
                tracks[kind].feed_from(source)
        return tracks[kind]

    def _source_for(self, leg: str, kind: str) -> MediaStreamTrack | None:
        if self.kind == "echo":
            return self.inbound.get(leg, {}).get(kind)
        for other, tracks in self.inbound.items():
            if other != leg and kind in tracks:
                return tracks[kind]
        return None

    def _on_track(self, leg: str, track: MediaStreamTrack) -> None:
        self.inbound.setdefault(leg, {})[track.kind] = track
        targets = [leg] if self.kind == "echo" else [o for o in self.outbound if o != leg]
        for target in targets:
            forward = self.outbound.get(target, {}).get(track.kind)
            if forward is not None:
                forward.feed_from(track)

    async def signal(self, message: dict[str, Any]) -> None:
        leg = message.get("leg")
        if leg not in ("caller", "callee", "echo") or not message.get("reply_to"):
            return
        self.reply_to[leg] = message["reply_to"]
        kind = message.get("kind")
        if kind == "offer":
            await self._offer(leg, message)
        elif kind == "candidate":
            await self._candidate(leg, message.get("candidate"))

    async def _offer(self, leg: str, message: dict[str, Any]) -> None:
        old = self.pcs.pop(leg, None)
        if old is not None:
            await old.close()  # a new offer (ICE restart, a reloaded tab): start afresh
            self.inbound.pop(leg, None)
            for track in self.outbound.pop(leg, {}).values():
                track.stop()
        pc = RTCPeerConnection(_configuration(self.ice))
        self.pcs[leg] = pc
        pc.on("track", lambda track: self._on_track(leg, track))

        @pc.on("connectionstatechange")
        async def changed() -> None:
            logger.info("relay %s: %s leg %s", self.id, leg, pc.connectionState)

        await pc.setRemoteDescription(RTCSessionDescription(message["sdp"], "offer"))
        for transceiver in pc.getTransceivers():
            if transceiver.kind in ("audio", "video"):
                pc.addTrack(self._out(leg, transceiver.kind))
        for candidate in self.pending.pop(leg, []):
            await self._candidate(leg, candidate)
        await pc.setLocalDescription(await pc.createAnswer())  # gathers every candidate
        await self._reply(
            leg,
            {"kind": "answer", "sdp": pc.localDescription.sdp, "restart": message.get("restart")},
        )

    async def _candidate(self, leg: str, candidate: dict[str, Any] | None) -> None:
        if not candidate or not candidate.get("candidate"):
            return  # end of candidates
        pc = self.pcs.get(leg)
        if pc is None or pc.remoteDescription is None:
            self.pending.setdefault(leg, []).append(candidate)
            return
        parsed = candidate_from_sdp(candidate["candidate"].split(":", 1)[1])
        parsed.sdpMid = candidate.get("sdpMid")
        parsed.sdpMLineIndex = candidate.get("sdpMLineIndex")
        with contextlib.suppress(Exception):  # a candidate for an m-line it does not have
            await pc.addIceCandidate(parsed)

    async def _reply(self, leg: str, signal: dict[str, Any]) -> None:
        kind = "echo.signalled" if self.kind == "echo" else "call.signalled"
        event = {"type": kind, "call": self.call, **signal}
        if self.kind == "echo":
            event.pop("call")
            event["session"] = self.id
        event["restart"] = bool(event.get("restart"))
        await realtime.asend_to_channel(self.reply_to[leg], event)

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for tracks in self.outbound.values():
            for track in tracks.values():
                track.stop()
        for pc in self.pcs.values():
            with contextlib.suppress(Exception):
                await pc.close()


class Worker:
    def __init__(self, name: str | None = None) -> None:
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{os.urandom(3).hex()}"
        self.sessions: dict[str, Session] = {}
        self.channel = ""
        self.layer: Any = None

    @database_sync_to_async
    def _announce(self) -> None:
        now = timezone.now()
        RelayWorker.objects.update_or_create(
            name=self.name,
            defaults={
                "channel": self.channel,
                "host": socket.gethostname(),
                "pid": os.getpid(),
                "load": len(self.sessions),
                "started_at": now,
                "seen_at": now,
            },
        )

    @database_sync_to_async
    def _beat(self) -> None:
        updated = RelayWorker.objects.filter(name=self.name).update(
            seen_at=timezone.now(), load=len(self.sessions)
        )
        if not updated:  # the row was cleaned away: announce again
            RelayWorker.objects.create(
                name=self.name,
                channel=self.channel,
                host=socket.gethostname(),
                pid=os.getpid(),
                load=len(self.sessions),
            )

    @database_sync_to_async
    def _retire(self) -> None:
        RelayWorker.objects.filter(name=self.name).delete()

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(settings.RELAY_HEARTBEAT_SECONDS)
            try:
                await self._beat()
            except Exception:
                logger.exception("relay: heartbeat failed")

    async def run(self, stop: asyncio.Event | None = None) -> None:
        self.layer = get_channel_layer()
        self.channel = await self.layer.new_channel("relay.")
        await self._announce()
        logger.info("relay worker %s listening on %s", self.name, self.channel)
        beat = asyncio.ensure_future(self._heartbeat())
        stopping = asyncio.ensure_future(stop.wait()) if stop else None
        try:
            while True:
                receive = asyncio.ensure_future(self.layer.receive(self.channel))
                waiting = {receive} | ({stopping} if stopping else set())
                done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                if receive not in done:
                    receive.cancel()
                    break
                try:
                    await self.dispatch(receive.result())
                except Exception:
                    logger.exception("relay: message failed")
        finally:
            beat.cancel()
            for session in list(self.sessions.values()):
                await session.close()
            with contextlib.suppress(Exception):
                await self._retire()

    async def dispatch(self, message: dict[str, Any]) -> None:
        if message.get("type") == "event.forward":
            message = json.loads(message["text"])
        kind = message.get("type")
        if kind == "relay.open":
            if message.get("kind") == "voicemail":
                from calls.relay_voicemail import VoicemailSession

                session: Session = VoicemailSession(self, message)
            else:
                session = Session(self, message)
            self.sessions[session.id] = session
            await self.layer.send(message["reply"], {"type": "relay.opened", "session": session.id})
            if session.kind == "echo":
                # A connection test is short; a forgotten one must not hold the worker.
                loop = asyncio.get_running_loop()
                loop.call_later(
                    settings.RELAY_ECHO_MAX_SECONDS,
                    lambda: asyncio.ensure_future(
                        self.dispatch({"type": "relay.close", "session": session.id})
                    ),
                )
        elif kind == "relay.signal":
            signalled = self.sessions.get(str(message.get("session")))
            if signalled is not None:
                # Offers take a while (candidate gathering): never hold up the others.
                asyncio.ensure_future(self._guarded(signalled.signal(message)))
        elif kind == "relay.finish":
            # A voicemail session: the caller hung up; stop recording and deliver.
            finishing = self.sessions.get(str(message.get("session")))
            if finishing is not None and hasattr(finishing, "finish"):
                asyncio.ensure_future(self._guarded(finishing.finish()))
        elif kind == "relay.close":
            closing = self.sessions.pop(str(message.get("session")), None)
            if closing is not None and hasattr(closing, "finish"):
                # Voicemail: delivering takes a moment; the channel must not wait for it.
                asyncio.ensure_future(self._guarded(closing.close()))
            elif closing is not None:
                await closing.close()

    @staticmethod
    async def _guarded(coro: Any) -> None:
        try:
            await coro
        except Exception:
            logger.exception("relay: signal failed")
