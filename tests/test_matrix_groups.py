"""Phare's Matrix transport in group rooms, against a real Synapse: who administers a group, members who join
and leave, and a direct chat that becomes a group while a personal reply is on its way.

The people and Phare are the same as in test_matrix.py (matrix-nio clients with E2EE, the real writer on
SQLite); what the transport hands to the writer is recorded on the way in.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from nio import Response, RoomCreateResponse, RoomGetStateEventResponse, RoomPutStateResponse, SyncResponse

from bot.core.jobs import private_chat
from bot.messages import Delivery, Incoming, Outgoing
from bot.transports.matrix.inbound import membership_change
from tests.test_matrix import Bot, Person, World, has_joined, synapse, wait_until, world

__all__ = ["synapse", "world"]  # the fixtures, shared with test_matrix.py


def record(bot: Bot, monkeypatch: pytest.MonkeyPatch) -> list[Incoming]:
    """Everything the transport hands to the writer from now on, in order."""
    assert bot.phare is not None
    writer = bot.phare.writer
    seen: list[Incoming] = []
    original = writer.submit

    async def submit(job: Any) -> None:
        if isinstance(job, Incoming):
            seen.append(job)
        await original(job)

    monkeypatch.setattr(writer, "submit", submit)
    return seen


async def group(world: World, bot: Bot, owner: Person, *others: Person, name: str = "Intervision") -> str:
    """A room `owner` creates with Phare in it first, then the others invited (they join by themselves)."""
    created = await owner.client.room_create(name=name, invite=[bot.user_id])
    assert isinstance(created, RoomCreateResponse), created
    room_id = str(created.room_id)
    await wait_until(has_joined(owner, room_id, bot.user_id), "Phare to join")
    for person in others:
        await owner.client.room_invite(room_id, person.user_id)
    await wait_until(has_joined(owner, room_id, *(p.user_id for p in others)), "everyone to join")
    return room_id


def incoming_for(seen: list[Incoming], event_id: str) -> Incoming | None:
    return next((job for job in seen if job.message_id == event_id), None)


# --- the pure rule ----------------------------------------------------------------------------------------


def test_membership_changes_count_only_in_groups_and_only_when_they_change() -> None:
    assert membership_change({"membership": "join"}, "invite", 3) == "joined"
    assert membership_change({"membership": "join"}, None, 4) == "joined"
    assert membership_change({"membership": "join"}, "invite", 2) is None  # someone joining their direct chat
    assert membership_change({"membership": "join"}, "join", 5) is None  # a new display name or avatar
    assert membership_change({"membership": "leave"}, "join", 2) == "left"  # a group of three, now two
    assert membership_change({"membership": "ban"}, "join", 3) == "left"
    assert membership_change({"membership": "leave"}, "join", 1) is None  # the person left their direct chat
    assert membership_change({"membership": "leave"}, "invite", 4) is None  # an invite declined
    assert membership_change({"membership": "ban"}, "leave", 4) is None  # already gone
    assert membership_change({"membership": "invite"}, None, 4) is None


# --- on Synapse -------------------------------------------------------------------------------------------


async def test_a_group_message_carries_whether_its_sender_administers_the_room_and_the_rooms_name(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = await world.bot()
    seen = record(bot, monkeypatch)
    alice, bob, carol = await world.person("alice"), await world.person("bob"), await world.person("carol")
    room_id = await group(world, bot, alice, bob, carol)
    # Carol is made a moderator (power 50); Bob stays an ordinary member (the room's users_default, 0).
    levels = await alice.client.room_get_state_event(room_id, "m.room.power_levels")
    assert isinstance(levels, RoomGetStateEventResponse), levels
    content = dict(levels.content)
    content["users"] = {**content.get("users", {}), carol.user_id: 50}
    put = await alice.client.room_put_state(room_id, "m.room.power_levels", content)
    assert isinstance(put, RoomPutStateResponse), put
    await wait_until(lambda: bot.service is not None and _level(bot, room_id, carol.user_id) == 50, "the new levels")

    asked = {person.user_id: await person.send(room_id, "!phare help") for person in (alice, bob, carol)}
    await wait_until(lambda: all(incoming_for(seen, e) for e in asked.values()), "the three messages")
    by_sender = {user: incoming_for(seen, event_id) for user, event_id in asked.items()}
    assert {user: job.admin for user, job in by_sender.items() if job} == {
        alice.user_id: True,  # the room's creator (power 100)
        bob.user_id: False,
        carol.user_id: True,
    }
    assert all(job is not None and job.chat_title == "Intervision" and not job.private for job in by_sender.values())


def _level(bot: Bot, room_id: str, user_id: str) -> int | None:
    assert bot.service is not None and bot.service.client is not None
    room = bot.service.client.rooms.get(room_id)
    return None if room is None else int(room.power_levels.get_user_level(user_id))


async def test_members_joining_and_leaving_a_group_reach_the_writer_and_a_direct_chat_s_do_not(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = await world.bot()
    seen = record(bot, monkeypatch)
    alice, bob, carol = await world.person("alice"), await world.person("bob"), await world.person("carol")
    chat = await world.chat(bot, alice, encrypted=True)
    room_id = await group(world, bot, alice, bob, carol)

    def changes(room: str) -> list[tuple[str, str]]:
        return [(job.kind, job.user_key) for job in seen if job.chat_key == room and job.kind in ("joined", "left")]

    await wait_until(lambda: len(changes(room_id)) == 2, "two members joining")
    assert sorted(changes(room_id)) == sorted([("joined", bob.user_id), ("joined", carol.user_id)])
    await bob.client.room_leave(room_id)
    kicked = await alice.client.room_kick(room_id, carol.user_id)
    assert isinstance(kicked, Response)
    await wait_until(lambda: len(changes(room_id)) == 4, "two members leaving")
    assert changes(room_id)[2:] == [("left", bob.user_id), ("left", carol.user_id)]
    left = [job for job in seen if job.kind == "left"]
    assert all(not job.private and job.text is None and job.message_id.startswith("$") for job in left)
    # Alice's direct chat with Phare: her own membership there is not a group's.
    assert not changes(chat.room_id) and not changes(private_chat(alice.user_id))
    await alice.client.room_leave(chat.room_id)
    await asyncio.sleep(0.5)
    assert not [job for job in seen if job.kind == "left" and job.user_key == alice.user_id]


async def test_a_personal_reply_on_its_way_when_the_direct_chat_gains_a_third_member_goes_to_a_new_direct_chat(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = await world.bot()
    alice, bob = await world.person("alice"), await world.person("bob")
    chat = await world.chat(bot, alice, encrypted=True)
    await chat.onboard()
    assert bot.service is not None and bot.service.transport is not None and bot.service.client is not None
    transport, client = bot.service.transport, bot.service.client
    before = len(alice.bot_texts(chat.room_id, bot.user_id))

    # The reply is held on its way out, and Phare's syncs stall: when it goes, Phare's own view of the room
    # still says "Alice and Phare", while the homeserver already has Bob invited.
    on_its_way, go, syncs = asyncio.Event(), asyncio.Event(), asyncio.Event()
    syncs.set()
    deliver, receive = transport.deliver, client.receive_response

    async def held(delivery: Delivery) -> None:
        if delivery.chat_key == private_chat(alice.user_id):
            on_its_way.set()
            await go.wait()
        await deliver(delivery)

    async def stalled(response: Any) -> None:
        if isinstance(response, SyncResponse):
            await syncs.wait()
        await receive(response)

    monkeypatch.setattr(transport, "deliver", held)
    monkeypatch.setattr(client, "receive_response", stalled)
    asked = await alice.send(chat.room_id, "!phare about")
    await wait_until(on_its_way.is_set, "the reply to be on its way")
    syncs.clear()
    await asyncio.sleep(0.2)  # a sync already past the gate finishes
    invited = await alice.client.room_invite(chat.room_id, bob.user_id)
    assert isinstance(invited, Response)
    assert bob.user_id not in client.rooms[chat.room_id].invited_users, "Phare must not have synced the invite"
    go.set()
    await asyncio.sleep(0.5)
    syncs.set()  # the new direct chat needs a sync before Phare can write in it

    await wait_until(lambda: transport.service.state is not None and _direct(bot, alice) != chat.room_id, "a new DM")
    direct = _direct(bot, alice)
    assert direct is not None
    await bot.settle(alice, direct, asked)
    assert alice.bot_texts(direct, bot.user_id), "the reply in the new direct chat"
    assert alice.client.rooms[direct].encrypted
    await wait_until(has_joined(alice, chat.room_id, bob.user_id), "Bob to join")
    await asyncio.sleep(0.5)
    assert len(alice.bot_texts(chat.room_id, bot.user_id)) == before, "nothing personal in the room with Bob"
    assert not bob.bot_texts(chat.room_id, bot.user_id) and not bob.bot_texts(direct, bot.user_id)


def _direct(bot: Bot, person: Person) -> str | None:
    assert bot.service is not None and bot.service.state is not None
    return bot.service.state.direct_room(person.user_id)


async def test_a_message_meant_for_a_group_is_posted_in_the_group(world: World) -> None:
    bot = await world.bot()
    alice, bob = await world.person("alice"), await world.person("bob")
    room_id = await group(world, bot, alice, bob)
    assert bot.service is not None and bot.service.transport is not None
    agenda = Outgoing("Ordre du jour : deux situations.", group=True)
    await bot.service.transport.deliver(Delivery(uuid.uuid4().hex, "matrix", room_id, agenda))
    await bot.arrived(bob, room_id)
    assert bob.bot_texts(room_id, bot.user_id) == ["Ordre du jour : deux situations."]
