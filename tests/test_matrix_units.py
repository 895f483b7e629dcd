"""The Matrix transport's pure parts, without a homeserver: formatting, reading events, addressing in
groups, the invite allow-list, cross-signing signatures and bootstrap, device trust, persisted state, retries."""

from __future__ import annotations

import asyncio
import stat
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from nio import JoinError, JoinResponse, SyncError

from bot.messages import Button, Outgoing
from bot.retry import RetryPolicy
from bot.transports.base import DeliveryError
from bot.transports.matrix.crosssign import (
    CrossSigningKeys,
    bootstrap,
    device_signed,
    public_b64,
    sign,
    verify,
)
from bot.transports.matrix.formatting import content, reaction_index
from bot.transports.matrix.inbound import (
    Addressing,
    inviter_allowed,
    known_commands,
    personal,
    private_command,
    read_message,
)
from bot.transports.matrix.invites import Invites
from bot.transports.matrix.options import MatrixOptions
from bot.transports.matrix.secrets import SecretFile
from bot.transports.matrix.state import MatrixState
from bot.transports.matrix.sync import SyncLoop
from bot.transports.matrix.transport import MatrixTransport
from bot.transports.matrix.trust import DeviceTrust, _identity_from
from storage.crypto import Cipher, generate_key
from tests.harness import record_sleeps

BOT = "@phare:example.org"

# --- formatting ---------------------------------------------------------------------------------------------


def test_a_question_is_a_notice_with_a_numbered_list() -> None:
    message = Outgoing("Comment allez-vous *vraiment* ?", (Button("a", "Bien", "r.1"), Button("b", "Mal", "r.1")))
    body = content(message)
    assert body is not None and body["msgtype"] == "m.notice"
    assert body["body"] == "Comment allez-vous vraiment ?\n\n1️⃣ Bien\n2️⃣ Mal"
    assert body["formatted_body"] == "Comment allez-vous <strong>vraiment</strong> ?<ol><li>Bien</li><li>Mal</li></ol>"


def test_a_scheduled_check_in_is_a_text_so_it_notifies() -> None:
    body = content(Outgoing("Un moment pour vous ?", scheduled=True))
    assert body is not None and body["msgtype"] == "m.text"


def test_no_text_can_inject_markup() -> None:
    body = content(Outgoing('<a href="https://evil">clic</a> & _ok_'))
    assert body is not None
    assert body["formatted_body"] == '&lt;a href="https://evil"&gt;clic&lt;/a&gt; &amp; <em>ok</em>'


def test_a_continue_in_private_button_is_a_link_to_the_bot() -> None:
    message = Outgoing("Continuons en privé.", (Button("private", "Ouvrir un échange privé", "private:"),))
    body = content(message, bot_link=f"https://matrix.to/#/{BOT}")
    assert body is not None and "<ol>" not in body["formatted_body"]
    assert f'href="https://matrix.to/#/{BOT}"' in body["formatted_body"]


def test_a_scale_shows_its_range() -> None:
    body = content(Outgoing("De 0 à 10 ?", scale=(0, 10), scale_ref="r.2"))
    assert body is not None and body["body"].endswith("(0–10)")


@pytest.mark.parametrize(("key", "index"), [("1️⃣", 0), ("1⃣", 0), ("🔟", 9), ("👍", None), ("1", None)])
def test_keycap_reactions(key: str, index: int | None) -> None:
    assert reaction_index(key) == index


# --- reading events -------------------------------------------------------------------------------------------


def test_notices_and_edits_are_not_read() -> None:
    assert read_message({"msgtype": "m.notice", "body": "je suis un bot"}) is None
    edit = {"msgtype": "m.text", "body": "* 5", "m.relates_to": {"rel_type": "m.replace", "event_id": "$x"}}
    assert read_message(edit) is None


def test_a_reply_is_read_without_the_quoted_text() -> None:
    reply = {
        "msgtype": "m.text",
        "body": "> <@phare:example.org> Comment ça va ?\n\nPlutôt bien",
        "m.relates_to": {"m.in_reply_to": {"event_id": "$q"}},
    }
    read = read_message(reply)
    assert read is not None and read.text == "Plutôt bien"


def test_media_kinds_and_captions() -> None:
    photo = read_message({"msgtype": "m.image", "body": "IMG_1.jpg", "filename": "IMG_1.jpg"})
    assert photo is not None and photo.kind == "photo" and photo.text is None
    captioned = read_message({"msgtype": "m.image", "body": "ma journée", "filename": "IMG_2.jpg"})
    assert captioned is not None and captioned.text == "ma journée"
    assert read_message({"msgtype": "m.audio", "body": "a.ogg"}).kind == "voice"  # type: ignore[union-attr]
    assert read_message({"msgtype": "m.weird", "body": "?"}) is None


@pytest.fixture
def addressing() -> Addressing:
    return Addressing(BOT, "Phare", "!phare", known_commands(["compassion_break", "anchor"]))


@pytest.mark.parametrize(
    ("text", "private", "mentioned", "expected"),
    [
        ("On se voit à 18 h ?", False, False, None),
        ("/help", False, False, None),
        ("!phare help", False, False, "/help"),
        ("!Phare break", False, False, "/break"),
        ("!phare", False, False, "/help"),
        ("Phare: aide", False, True, "/aide"),
        ("Phare, bonjour", False, True, "/help"),
        (f"{BOT} exercises", False, True, "/exercises"),
        ("bonjour", True, False, "bonjour"),
        ("!break", True, False, "/break"),
        ("!important", True, False, "!important"),
        ("/history", True, False, "/history"),
    ],
)
def test_commands_in_groups_and_in_private(
    addressing: Addressing, text: str, private: bool, mentioned: bool, expected: str | None
) -> None:
    assert addressing.command(text, private=private, mentioned=mentioned) == expected


def test_mentions(addressing: Addressing) -> None:
    assert addressing.mentioned({"body": "Phare: aide"})
    assert addressing.mentioned({"body": "x", "m.mentions": {"user_ids": [BOT]}})
    assert addressing.mentioned({"body": "x", "formatted_body": f'<a href="https://matrix.to/#/{BOT}">P</a>'})
    assert not addressing.mentioned({"body": "On en parle à Pharel demain"})


def test_which_group_commands_are_personal() -> None:
    assert not personal("/help") and not personal("/about") and not personal("/start")
    assert personal("/break") and personal("/history") and personal("/start anchor")
    assert private_command("/break", ["compassion_break"]) == "/start compassion_break"
    assert private_command("/history", ["compassion_break"]) == "/history"


@pytest.mark.parametrize(
    ("inviter", "allowed"),
    [
        ("@alice:clinic.fr", True),
        ("@bob:clinic.fr", True),
        ("@eve:evil.org", False),
        ("@alice:clinic.fr.evil.org", False),
        ("@dr:partner.org", True),
        (None, False),
    ],
)
def test_the_invite_allow_list(inviter: str | None, allowed: bool) -> None:
    assert inviter_allowed(inviter, ["*:clinic.fr", "@dr:partner.org"]) is allowed


def test_a_bare_server_name_and_a_star() -> None:
    assert inviter_allowed("@a:clinic.fr", ["clinic.fr"])
    assert inviter_allowed("@a:anywhere.net", ["*"])
    assert not inviter_allowed("@a:clinic.fr", [])


# --- cross-signing --------------------------------------------------------------------------------------------


def _device(user_id: str, device_id: str) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "device_id": device_id,
        "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
        "keys": {f"curve25519:{device_id}": "c", f"ed25519:{device_id}": f"ed-{device_id}"},
        "signatures": {user_id: {f"ed25519:{device_id}": "self"}},
        "unsigned": {"device_display_name": "ignored by signatures"},
    }


def test_signatures_are_over_canonical_json_and_catch_tampering() -> None:
    keys = CrossSigningKeys.generate()
    signed = sign(_device(BOT, "DEV"), BOT, keys.self_signing)
    assert verify(signed, BOT, public_b64(keys.self_signing))
    reordered = dict(reversed(list(signed.items())))
    assert verify({**reordered, "unsigned": {"other": 1}}, BOT, public_b64(keys.self_signing))
    assert not verify({**signed, "device_id": "OTHER"}, BOT, public_b64(keys.self_signing))
    assert not verify(signed, BOT, public_b64(keys.master))


class FakeHomeserver:
    """Just enough of the keys API for the bootstrap: UIA on device_signing/upload, signatures stored."""

    def __init__(self, user_id: str, device_id: str, password: str) -> None:
        self.user_id, self.device_id, self.password = user_id, device_id, password
        self.device = _device(user_id, device_id)
        self.master: dict[str, Any] | None = None
        self.ssk: dict[str, Any] | None = None
        self.uploads = 0

    async def call(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if path.endswith("/keys/query"):
            answer: dict[str, Any] = {"device_keys": {self.user_id: {self.device_id: self.device}}}
            if self.master:
                answer["master_keys"] = {self.user_id: self.master}
                answer["self_signing_keys"] = {self.user_id: self.ssk}
            return 200, answer
        if path.endswith("/device_signing/upload"):
            auth = body.get("auth")
            if auth is None:
                return 401, {"session": "s1", "flows": [{"stages": ["m.login.password"]}]}
            if auth["password"] != self.password or auth["session"] != "s1":
                return 401, {"errcode": "M_FORBIDDEN"}
            self.master, self.ssk = body["master_key"], body["self_signing_key"]
            self.uploads += 1
            return 200, {}
        if path.endswith("/signatures/upload"):
            signed = body[self.user_id][self.device_id]
            self.device = {**self.device, "signatures": signed["signatures"]}
            return 200, {"failures": {}}
        raise AssertionError(path)


async def test_bootstrap_signs_the_device_once_and_keeps_the_identity(tmp_path: Path) -> None:
    server = FakeHomeserver(BOT, "DEV", "pw")
    store = SecretFile(tmp_path / "cross_signing.json", Cipher([generate_key()]))
    first = await bootstrap(server.call, BOT, "DEV", store, password="pw")
    assert first.status == "signed" and server.uploads == 1
    assert server.master is not None and server.ssk is not None
    assert device_signed(server.device, BOT, server.master, server.ssk)
    again = await bootstrap(server.call, BOT, "DEV", store, password="pw")
    assert again.status == "already" and again.master_key == first.master_key and server.uploads == 1
    # A new device (the crypto store was lost) is signed by the same identity, with no new upload.
    server.device_id, server.device = "NEW", _device(BOT, "NEW")
    third = await bootstrap(server.call, BOT, "NEW", store, password="pw")
    assert third.status == "signed" and third.master_key == first.master_key and server.uploads == 1


async def test_foreign_keys_are_left_alone_unless_reset(tmp_path: Path) -> None:
    server = FakeHomeserver(BOT, "DEV", "pw")
    elsewhere = CrossSigningKeys.generate().objects(BOT)
    server.master, server.ssk = elsewhere["master_key"], elsewhere["self_signing_key"]
    store = SecretFile(tmp_path / "cross_signing.json", Cipher([generate_key()]))
    kept = await bootstrap(server.call, BOT, "DEV", store, password="pw")
    assert kept.status == "foreign" and server.uploads == 0
    replaced = await bootstrap(server.call, BOT, "DEV", store, password="pw", mode="reset")
    assert replaced.status == "signed" and server.uploads == 1 and replaced.master_key != kept.master_key


async def test_a_wrong_password_is_a_clear_error(tmp_path: Path) -> None:
    from bot.transports.matrix.crosssign import CrossSigningError

    server = FakeHomeserver(BOT, "DEV", "pw")
    store = SecretFile(tmp_path / "cross_signing.json", Cipher([generate_key()]))
    with pytest.raises(CrossSigningError, match="refused"):
        await bootstrap(server.call, BOT, "DEV", store, password="wrong")
    with pytest.raises(CrossSigningError, match="password"):
        await bootstrap(server.call, BOT, "DEV", SecretFile(tmp_path / "other.json", Cipher([generate_key()])),
                        password=None)  # fmt: skip


# --- device trust ---------------------------------------------------------------------------------------------


def test_only_devices_signed_by_their_owner_count_when_the_owner_cross_signs() -> None:
    alice = "@alice:example.org"
    keys = CrossSigningKeys.generate()
    objects = keys.objects(alice)
    signed = sign(_device(alice, "PHONE"), alice, keys.self_signing)
    unsigned = _device(alice, "STRANGER")
    body = {
        "master_keys": {alice: objects["master_key"]},
        "self_signing_keys": {alice: objects["self_signing_key"]},
        "device_keys": {alice: {"PHONE": signed, "STRANGER": unsigned}},
    }
    identity = _identity_from(body, alice)
    assert identity.master == public_b64(keys.master)
    assert identity.signed == frozenset({("PHONE", "ed-PHONE")})
    # Without cross-signing, nothing to check against: each device is trusted on first use.
    assert _identity_from({"device_keys": {alice: {"X": unsigned}}}, alice).master is None


async def test_a_trust_verdict_is_asked_again_when_the_keys_change_even_mid_query(tmp_path: Path) -> None:
    """A verdict is kept while nothing changes; a sync's device_lists.changed (a device just verified)
    makes the next message ask again, and a query answered while the keys changed is not kept."""
    alice = "@alice:example.org"
    queries: list[str] = []
    during: list[Callable[[], None]] = []

    async def call(method: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        queries.append(path)
        while during:
            during.pop()()
        return 200, {"device_keys": {alice: {"PHONE": _device(alice, "PHONE")}}}

    trust = DeviceTrust(None, call, MatrixState(tmp_path / "state.db"))  # type: ignore[arg-type]
    phone = [SimpleNamespace(id="PHONE", ed25519="ed-PHONE")]
    for _ in range(2):
        assert await trust._identity(alice, phone) is not None  # type: ignore[arg-type]
    assert len(queries) == 1, "the verdict is remembered while the keys stay the same"
    trust.forget([alice])
    await trust._identity(alice, phone)  # type: ignore[arg-type]
    assert len(queries) == 2, "asked again once the homeserver said her keys changed"
    trust.forget([alice])
    during.append(lambda: trust.forget([alice]))  # another change lands while that query is under way
    await trust._identity(alice, phone)  # type: ignore[arg-type]
    await trust._identity(alice, phone)  # type: ignore[arg-type]
    assert len(queries) == 4, "an answer that may predate the change is used once, not remembered"


# --- persisted state and secrets ----------------------------------------------------------------------------------


def test_state_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    state = MatrixState(path)
    buttons = (Button("fr", "Français", "run1.0"), Button("en", "English", "run1.0"))
    state.save_sync_token("s42")
    state.shown("!room", "$q1", buttons)
    state.set_direct("@alice:x", "!room")
    state.close()
    state = MatrixState(path)
    assert state.sync_token == "s42"
    assert state.current_buttons("!room") == buttons and state.buttons_of("$q1") == buttons
    assert state.direct_room("@alice:x") == "!room"
    state.shown("!room", "$text", ())  # a message without options: no current question any more
    assert state.current_buttons("!room") == () and state.buttons_of("$q1") == buttons
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_secret_files_are_encrypted_and_private(tmp_path: Path) -> None:
    secret = SecretFile(tmp_path / "session.json", Cipher([generate_key()]))
    secret.write({"access_token": "syt_very_secret"})
    assert "syt_very_secret" not in secret.path.read_text()
    assert stat.S_IMODE(secret.path.stat().st_mode) == 0o600
    assert secret.read() == {"access_token": "syt_very_secret"}


def test_an_operator_can_export_and_restore_the_cross_signing_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.transports.matrix.__main__ import main
    from storage.crypto import load_or_create_key

    old, new = tmp_path / "old", tmp_path / "new"
    keys = CrossSigningKeys.generate()
    SecretFile(old / "matrix" / "cross_signing.json", Cipher([load_or_create_key(old)])).write(keys.seeds())
    monkeypatch.delenv("PHARE_SECRET_KEY", raising=False)
    monkeypatch.delenv("PHARE_DATABASE_URL", raising=False)
    monkeypatch.setenv("PHARE_DATA_DIR", str(old))
    assert main(["cross-signing", "export", str(tmp_path / "keys.json")]) == 0
    assert stat.S_IMODE((tmp_path / "keys.json").stat().st_mode) == 0o600
    monkeypatch.setenv("PHARE_DATA_DIR", str(new))
    assert main(["cross-signing", "show"]) == 1  # nothing there yet
    assert main(["cross-signing", "import", str(tmp_path / "keys.json")]) == 0
    capsys.readouterr()
    assert main(["cross-signing", "show"]) == 0
    assert public_b64(keys.master) in capsys.readouterr().out


def test_settings_become_options_and_mistakes_are_named(tmp_path: Path) -> None:
    from datetime import timedelta

    from bot.config import Settings
    from bot.transports.matrix import MatrixStartError, options_from

    base = {"data_dir": tmp_path, "matrix_homeserver": "https://matrix.example.org/", "matrix_user": BOT}
    options = options_from(Settings(**base, matrix_password="pw", matrix_allowed_inviters=" *:a.org, @b:c.org ",
                                    matrix_catchup_hours=2))  # fmt: skip
    assert options.homeserver == "https://matrix.example.org" and options.password == "pw"
    assert options.allowed_inviters == ("*:a.org", "@b:c.org") and options.catchup == timedelta(hours=2)
    with pytest.raises(MatrixStartError, match="PASSWORD or PHARE_MATRIX_ACCESS_TOKEN"):
        options_from(Settings(**base))
    with pytest.raises(MatrixStartError, match="DEVICE_TRUST"):
        options_from(Settings(**base, matrix_password="pw", matrix_device_trust="everyone"))


# --- retries ------------------------------------------------------------------------------------------------


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every asyncio.sleep, recorded and skipped."""
    return record_sleeps(monkeypatch)


class ScriptedSync:
    """A client whose syncs answer from a script: an exception is raised, anything else returned."""

    user_id = BOT

    def __init__(self, script: list[Any]) -> None:
        self.script = script

    async def sync(self, **_: Any) -> Any:
        outcome = self.script.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


def sync_loop(tmp_path: Path, script: list[Any]) -> SyncLoop:
    options = MatrixOptions(homeserver="https://matrix.example.org", user=BOT, retry=RetryPolicy(jitter=0))
    return SyncLoop(
        ScriptedSync(script),  # type: ignore[arg-type]
        MatrixState(tmp_path / "state.db"),
        options,
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        ready=asyncio.Event(),
        failed=asyncio.Event(),
    )


async def test_the_sync_loop_backs_off_by_the_shared_policy_and_stops_when_signed_out(
    tmp_path: Path, waits: list[float]
) -> None:
    loop = sync_loop(tmp_path, [
        OSError("down"), OSError("down"), SyncError("slow down", "M_LIMIT_EXCEEDED", 3000),
        SyncError("oops", "M_UNKNOWN"), SyncError("signed out", "M_UNKNOWN_TOKEN"),
    ])  # fmt: skip
    await loop._run()
    assert waits == [0.5, 1.0, 3.0, 4.0], "the homeserver's 3 s is waited as asked, and the count goes on"
    assert loop.failed.is_set() and not loop.ready.is_set()


async def test_the_first_sync_retries_by_the_same_policy(tmp_path: Path, waits: list[float]) -> None:
    class Enough(Exception):
        pass

    loop = sync_loop(tmp_path, [SyncError("slow down", "M_LIMIT_EXCEEDED", 2500), SyncError("oops", "M_UNKNOWN"),
                                Enough()])  # fmt: skip
    with pytest.raises(Enough):
        await loop.first_sync()
    assert waits == [2.5, 1.0]


class InvitedClient:
    """Just enough of a client for Invites: joins answer from a script (an exception is raised)."""

    user_id = BOT

    def __init__(self, script: list[Any]) -> None:
        self.script = script
        self.invited_rooms = {"!room": SimpleNamespace(inviter="@alice:example.org")}
        self.joins: list[str] = []

    async def join(self, room_id: str) -> Any:
        self.joins.append(room_id)
        outcome = self.script.pop(0) if self.script else JoinResponse(room_id)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


def synced(invite: tuple[str, ...] = (), join: tuple[str, ...] = ()) -> Any:
    return SimpleNamespace(rooms=SimpleNamespace(invite=dict.fromkeys(invite), join=dict.fromkeys(join), leave={}))


def invites_for(client: InvitedClient) -> Invites:
    return Invites(client, ("*:example.org",), RetryPolicy(jitter=0))  # type: ignore[arg-type]


async def settled(invites: Invites) -> None:
    await asyncio.gather(*invites._retrying.values(), return_exceptions=True)


async def test_a_join_that_fails_is_tried_again_by_the_shared_policy(waits: list[float]) -> None:
    client = InvitedClient([OSError("down"), JoinError("slow down", "M_LIMIT_EXCEEDED", 3000),
                            JoinError("oops", "M_UNKNOWN")])  # fmt: skip
    invites = invites_for(client)
    await invites.answer(synced(invite=("!room",)), "s1")
    await settled(invites)
    assert client.joins == ["!room"] * 4, "joined at the fourth try, without waiting for another sync"
    assert waits == [0.5, 3.0, 2.0], "the homeserver's 3 s is waited as asked, and the count goes on"
    assert not invites._retrying


async def test_a_refused_join_is_not_tried_again_and_a_retry_stops_once_joined(waits: list[float]) -> None:
    client = InvitedClient([JoinError("not invited any more", "M_FORBIDDEN")])
    invites = invites_for(client)
    await invites.answer(synced(invite=("!room",)), "s1")
    assert client.joins == ["!room"] and not invites._retrying and waits == []
    client.script = [OSError("down")] * 100
    await invites.answer(synced(invite=("!room",)), "s2")  # a new invite later: answered again
    assert client.joins == ["!room"] * 2 and "!room" in invites._retrying
    await invites.answer(synced(join=("!room",)), "s3")  # joined after all (an earlier try got through)
    await settled(invites)
    assert not invites._retrying and len(client.joins) < 10


async def test_an_invite_is_answered_once_per_batch_and_again_in_a_later_one() -> None:
    client = InvitedClient([])
    invites = invites_for(client)
    await invites.answer(synced(invite=("!room",)), "s1")
    await invites.answer(synced(invite=("!room",)), "s1")  # the same batch read again after a failure
    assert client.joins == ["!room"]
    await invites.answer(synced(invite=("!room",)), "s2")  # invited again (after a kick): joined again
    assert client.joins == ["!room", "!room"]


async def test_option_reactions_give_up_after_five_tries_without_a_last_wait(waits: list[float]) -> None:
    options = MatrixOptions(homeserver="https://matrix.example.org", user=BOT, retry=RetryPolicy(jitter=0))
    transport = MatrixTransport(None, options)  # type: ignore[arg-type]
    sent: list[str] = []

    async def refused(room_id: str, event_type: str, body: dict[str, Any], txn: str) -> str:
        sent.append(txn)
        raise DeliveryError("503")

    transport._send = refused  # type: ignore[method-assignment]
    transport._react_later("!room", "$question", 2, "d1")
    await transport.idle()
    assert sent == ["d1.r0"] * 5 and waits == [0.5, 1.0, 2.0, 4.0]


def test_what_a_person_wrote_comes_back_as_typed_and_only_phares_markup_is_formatted() -> None:
    from bot.transports.matrix.transport import MatrixTransport
    from dialogues.markup import escape

    assert MatrixTransport.reads_escapes, "the outbox hands Matrix the escapes, not stripped text"
    typed = "*a _b* c_ <3 & \\o/"
    body = content(Outgoing(f"*Your letter* : {escape(typed)}"))
    assert body is not None
    assert body["formatted_body"] == "<strong>Your letter</strong> : *a _b* c_ &lt;3 &amp; \\o/"
    assert body["body"] == f"Your letter : {typed}"
