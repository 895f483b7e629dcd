"""The Telegram transport's parts on their own: limiter, formatting, callback data, update reading, redaction,
retries."""

from __future__ import annotations

import asyncio
import html
import json
import logging
import random
import re
from typing import Any

import pytest
from telegram import InlineKeyboardMarkup
from telegram.error import Conflict, NetworkError, RetryAfter

from bot.messages import Button, Outgoing
from bot.retry import RetryPolicy
from bot.transports.telegram.formatting import MESSAGE_LIMIT, split_text, to_html, to_plain, utf16_len
from bot.transports.telegram.keyboards import DATA_LIMIT, Tap, decode, deep_link, encode, keyboard
from bot.transports.telegram.limiter import Limits, SendLimiter
from bot.transports.telegram.polling import Poller, StepsNotStored
from bot.transports.telegram.redact import install_redaction
from bot.transports.telegram.transport import TelegramTransport, chat_id_of
from bot.transports.telegram.updates import Received, UnreadableUpdate, UpdateReader
from dialogues.texts import Context, Text
from tests.harness import record_sleeps
from tests.telegram_double import BOT_ID, BOT_USERNAME, BotApiDouble, TgGroup, TgUser, html_problem

# --- limiter ------------------------------------------------------------------------------------------------


class FakeTime:
    """Sleeping moves time forward at once: a minute of rate limiting takes no time to test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


async def test_private_chat_gets_a_short_burst_then_one_message_a_second() -> None:
    clock = FakeTime()
    limiter = SendLimiter(Limits(private_per_second=1.0, private_burst=3), clock=clock, sleep=clock.sleep)
    start = clock.now
    for _ in range(3):
        await limiter.acquire(42)
    assert clock.now == start, "a reply of three messages goes out at once"
    for _ in range(5):
        await limiter.acquire(42)
    assert clock.now - start == pytest.approx(5.0, abs=0.01)
    before = clock.now
    await limiter.acquire(43)
    assert clock.now == before, "another chat does not wait for this one"


async def test_group_gets_at_most_twenty_a_minute() -> None:
    clock = FakeTime()
    limiter = SendLimiter(Limits(group_per_minute=20), clock=clock, sleep=clock.sleep)
    start = clock.now
    for _ in range(20):
        await limiter.acquire(-100)
    assert clock.now == start
    await limiter.acquire(-100)
    assert clock.now - start == pytest.approx(60.0, abs=0.01)


async def test_overall_rate_is_thirty_a_second() -> None:
    clock = FakeTime()
    limiter = SendLimiter(Limits(overall_per_second=30.0), clock=clock, sleep=clock.sleep)
    start = clock.now
    for chat in range(1, 91):
        await limiter.acquire(chat)
    assert 1.9 <= clock.now - start <= 2.1  # a burst of 30, then 60 more at 30 a second


class ManualTime:
    """Time moves only when the test advances it, so several waiting senders can be watched at once."""

    def __init__(self) -> None:
        self.now = 1000.0
        self._sleepers: list[tuple[float, asyncio.Future[None]]] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sleepers.append((self.now + seconds, future))
        await future

    async def advance(self, seconds: float) -> None:
        self.now += seconds
        for due, future in list(self._sleepers):
            if due <= self.now + 1e-9:
                self._sleepers.remove((due, future))
                future.set_result(None)
        for _ in range(5):
            await asyncio.sleep(0)


async def test_interactive_replies_pass_scheduled_ones_waiting_for_the_overall_budget() -> None:
    clock = ManualTime()
    limiter = SendLimiter(Limits(overall_per_second=10.0), clock=clock, sleep=clock.sleep)
    order: list[str] = []

    async def send(name: str, chat: int, priority: int) -> None:
        await limiter.acquire(chat, priority)
        order.append(name)

    scheduled = [asyncio.create_task(send(f"check-in {i}", i, 1)) for i in range(1, 31)]
    await clock.advance(0)
    assert len(order) == 8, "scheduled messages leave a reserve of the overall budget untouched"
    reply = asyncio.create_task(send("reply", 999, 0))
    await clock.advance(0)
    assert reply.done() and order[-1] == "reply", "an interactive reply uses the reserve at once"
    while not all(t.done() for t in scheduled):
        await clock.advance(0.05)
    assert len(order) == 31
    assert 2.0 <= clock.now - 1000.0 <= 2.6, "the check-ins still go out at the overall rate"


# --- formatting ---------------------------------------------------------------------------------------------


def test_light_markdown_becomes_escaped_html() -> None:
    assert to_html("*Respirer* puis _observer_") == "<b>Respirer</b> puis <i>observer</i>"
    assert to_html("a < b & c > d") == "a &lt; b &amp; c &gt; d"
    assert to_html("<b>not mine</b>") == "&lt;b&gt;not mine&lt;/b&gt;"
    assert to_html("• /compassion_break — snake_case_name") == "• /compassion_break — snake_case_name"
    assert to_html("2 * 3 * 4") == "2 * 3 * 4"


def test_html_is_always_well_nested_and_what_people_wrote_comes_back_as_written() -> None:
    assert to_html("*a _b* c_") == "<b>a _b</b> c_", "an italic that would cross a bold is left as typed"
    assert to_html("_a *b* c_") == "<i>a <b>b</b> c</i>"
    assert to_html(r"\*typed\* \_too\_ \\ \o/") == r"*typed* _too_ \ \o/", "escapes: shown, never emphasis"
    assert to_plain(r"*Phare's* \*theirs\*") == "Phare's *theirs*", "the plain-text fallback keeps their asterisks"
    rng = random.Random(14)
    templates = ["{v}", "*{v}*", "_{v}_", "a *b* {v} _c_", "*x _{v}_ y*", "«{v}»", "{v}{v}"]
    for _ in range(3000):
        value = "".join(rng.choice("ab *_\\<&>\n.") for _ in range(rng.randint(0, 12)))
        template = rng.choice(templates)
        text = Text(en=template, fr_vous=template, fr_tu=template).render(Context(locale="en"), {"v": value})
        shown = to_html(text)
        assert html_problem(shown) is None, (template, value, shown)
        assert value in html.unescape(re.sub(r"</?[bi]>", "", shown)), (template, value, shown)
    for text in ("*a _b* c_ _d *e_ f*", "*_x*_", "_*x_*", "**a**", "__a__", "*a*b*c*", "_a_b_c_"):
        assert html_problem(to_html(text)) is None, text
    parts = split_text("x" * 9 + r"\*" + "y" * 20, 10)
    assert parts[0] == "x" * 9 and parts[1].startswith(r"\*"), "a cut never parts a backslash from what it escapes"


def test_split_prefers_paragraphs_then_lines_then_sentences() -> None:
    assert split_text("short") == ["short"]
    paragraphs = "\n\n".join(["A" * 3000, "B" * 3000])
    assert split_text(paragraphs) == ["A" * 3000, "B" * 3000]
    lines = "\n".join(["C" * 3000, "D" * 3000])
    assert split_text(lines) == ["C" * 3000, "D" * 3000]
    sentences = ("Une phrase assez longue. " * 300).strip()
    parts = split_text(sentences)
    assert all(p.endswith(".") for p in parts) and all(utf16_len(p) <= MESSAGE_LIMIT for p in parts)
    unbroken = "x" * 9000
    assert [len(p) for p in split_text(unbroken)] == [4096, 4096, 808]


def test_split_counts_emoji_as_telegram_does() -> None:
    text = "🙂" * 3000  # two UTF-16 units each
    parts = split_text(text)
    assert all(utf16_len(p) <= MESSAGE_LIMIT for p in parts) and "".join(parts) == text


# --- buttons and callback data ------------------------------------------------------------------------------


def test_callback_data_round_trip_and_rejects() -> None:
    data = encode("patient_stuck", "652a825f.3")
    assert data == "o|652a825f.3|patient_stuck"
    assert decode(data) == Tap(option="patient_stuck", ref="652a825f.3")
    assert decode("i|2") == Tap(index=2)
    for junk in (None, "", "garbage", "o|", "o|ref|", "i|x", "i|12345", "o|r|" + "x" * 70):
        assert decode(junk) is None, junk
    assert encode("x" * 60, "ref.1") is None


def _markup(serialised: str | None) -> InlineKeyboardMarkup:
    """The keyboard as python-telegram-bot reads the Bot API's JSON: it must be valid markup."""
    assert serialised is not None
    markup = InlineKeyboardMarkup.de_json(json.loads(serialised), None)
    assert not markup.api_kwargs, "fields the Bot API does not know"
    return markup


def test_keyboard_scale_keypad_long_ids_and_private_links() -> None:
    scale = keyboard(Outgoing("How intense?", scale=(0, 10), scale_ref="ab.4"), BOT_USERNAME)
    rows = _markup(scale.markup).inline_keyboard
    assert [[b.text for b in row] for row in rows] == [["0", "1", "2", "3", "4", "5"], ["6", "7", "8", "9", "10"]]
    assert rows[0][4].callback_data == "o|ab.4|4"
    long_id = "option_" + "y" * 70
    wide = keyboard(Outgoing("Pick", (Button(long_id, "Long", "ab.5"), Button("b", "B", "ab.5"))), BOT_USERNAME)
    assert wide.indexed and wide.buttons[0].id == long_id
    datas = [b.callback_data for row in _markup(wide.markup).inline_keyboard for b in row]
    assert datas == ["i|0", "o|ab.5|b"] and all(len(str(d).encode()) <= DATA_LIMIT for d in datas)
    link = keyboard(Outgoing("Private", (Button("private", "Open", "private:compassion_break"),)), BOT_USERNAME)
    assert not link.tappable
    assert _markup(link.markup).inline_keyboard[0][0].url == f"https://t.me/{BOT_USERNAME}?start=compassion_break"
    assert deep_link(BOT_USERNAME, "") == f"https://t.me/{BOT_USERNAME}"
    assert deep_link(BOT_USERNAME, "bad payload!") == f"https://t.me/{BOT_USERNAME}"


def test_chat_keys() -> None:
    assert chat_id_of("@user:42") == 42
    assert chat_id_of("-100123") == -100123
    with pytest.raises(ValueError):
        chat_id_of("@user:abc")


# --- reading updates ----------------------------------------------------------------------------------------


def _reader(resolve: dict[tuple[int, int, int], Button] | None = None) -> UpdateReader:
    table = resolve or {}
    return UpdateReader(BOT_ID, BOT_USERNAME, lambda c, m, i: table.get((c, m, i)))


def _read(payload: dict[str, Any], reader: UpdateReader | None = None) -> Received | None:
    return (reader or _reader()).read(payload)


async def test_private_messages_of_every_kind() -> None:
    double = BotApiDouble()
    user = TgUser(5, language_code="en-GB")
    double.text(user, "/start compassion_break")
    double.sticker(user)
    double.photo(user, caption="a caption")
    double.voice(user)
    double.location(user)
    double.edit(user, 3, "edited", edit_date=1_900_000_000)
    received = [_read(u) for u in double._updates]
    incoming = [r.incoming for r in received if r is not None and r.incoming is not None]
    assert [(m.kind, m.text) for m in incoming] == [
        ("text", "/start compassion_break"), ("sticker", None), ("photo", "a caption"), ("voice", None),
        ("location", None), ("text", "edited"),
    ]  # fmt: skip
    first = incoming[0]
    assert (first.user_key, first.chat_key, first.private, first.locale) == ("5", "5", True, "en-GB")
    assert first.message_id == "m5:1"
    edit = incoming[-1]
    assert edit.edited and edit.message_id == f"e5:3:1900000000:{double._updates[-1]['update_id']}"
    double.edit(user, 3, "edited again", edit_date=1_900_000_000)
    again = _read(double._updates[-1])
    assert again is not None and again.incoming is not None
    assert again.incoming.message_id != edit.message_id, "two edits in one second are two messages"
    redelivered = _read(double._updates[-1])
    assert redelivered is not None and redelivered.incoming is not None
    assert redelivered.incoming.message_id == again.incoming.message_id, "a redelivered edit keeps its id"


async def test_groups_only_commands_for_phare_and_replies_to_it() -> None:
    double = BotApiDouble()
    user, group = TgUser(6), TgGroup(-1001)
    cases = {
        "hello everyone": False,
        "/help": True,
        f"/help@{BOT_USERNAME.upper()}": True,
        "/help@another_bot": False,
        "/": False,
    }
    for text, answered in cases.items():
        double.text(user, text, group=group)
        received = _read(double._updates[-1])
        assert (received is not None) == answered, text
    double.photo(user)
    bot_message = double.message_json(user, group.chat(), text="x")
    bot_message["from"] = double.bot_json()
    reply = double.message_json(user, group.chat(), text="thanks")
    reply["reply_to_message"] = bot_message
    received = _read({"update_id": 99, "message": reply})
    assert received is not None and received.incoming is not None and received.incoming.private is False
    assert _read({"update_id": 100, "message": double.message_json(user, group.chat(), text="thanks")}) is None
    double.service_message(user, group)
    assert _read(double._updates[-1]) is None
    double.channel_post("/help")
    assert _read(double._updates[-1]) is None


def test_updates_of_an_unexpected_shape_are_refused_not_half_read() -> None:
    user = {"id": 8, "is_bot": False, "first_name": "A"}
    chat = {"id": 8, "type": "private"}
    good = {"message_id": 1, "date": 0, "chat": chat, "from": user, "text": "hello"}
    received = _read({"update_id": 1, "message": good})
    assert received is not None and received.incoming is not None and received.incoming.text == "hello"
    odd_messages = [
        {**good, "chat": "8"}, {**good, "message_id": "1"}, {**good, "from": {**user, "id": True}},
        {**good, "text": 42}, {**good, "chat": {"type": "private"}},
    ]  # fmt: skip
    for message in odd_messages:
        with pytest.raises(UnreadableUpdate):
            _read({"update_id": 2, "message": message})
    for query in (
        {"id": "q", "from": "8"},
        {"id": "", "from": user},
        {"id": "q", "from": user, "message": {"chat": chat}},
    ):
        with pytest.raises(UnreadableUpdate):
            _read({"update_id": 3, "callback_query": query})
    with pytest.raises(UnreadableUpdate):
        _read({"update_id": 4, "message": None})
    assert _read({"update_id": 5, "my_chat_member": {}}) is None, "kinds Phare does not ask for are ignored"


async def test_taps_forged_data_and_remembered_indexes() -> None:
    double = BotApiDouble()
    user = TgUser(7)
    message = {"message_id": 12, "date": 0, "chat": user.chat(), "from": double.bot_json(), "text": "q"}

    def tap(data: str) -> Received:
        query = {"id": "q1", "from": user.json(), "chat_instance": "c", "data": data, "message": message}
        received = _read({"update_id": 1, "callback_query": query}, reader)
        assert received is not None and received.tap is not None
        return received

    reader = _reader({(7, 12, 0): Button("long", "Long", "ab.2")})
    plain = tap("o|ab.2|yes").incoming
    assert plain is not None and (plain.option, plain.ref, plain.kind) == ("yes", "ab.2", "option")
    assert plain.message_id == "cq1"
    indexed = tap("i|0").incoming
    assert indexed is not None and (indexed.option, indexed.ref) == ("long", "ab.2")
    for junk in ("i|5", "nonsense"):
        forged = tap(junk).incoming
        assert forged is not None and forged.option == "" and forged.ref is None, junk
    message["chat"] = TgGroup(-5).chat()
    in_group = tap("o|ab.2|yes")
    assert in_group.incoming is None and in_group.tap is not None, "answered, but nothing reaches the writer"


# --- redaction ----------------------------------------------------------------------------------------------


def test_redaction_covers_arguments_exceptions_and_payload_loggers(caplog: pytest.LogCaptureFixture) -> None:
    secret = "999:SECRET-unit-token"
    install_redaction(secret)
    caplog.set_level(logging.DEBUG)
    logging.getLogger("somewhere").info("GET %s", f"https://api.telegram.org/bot{secret}/getMe")
    try:
        raise RuntimeError(f"failed for https://api.telegram.org/bot{secret}/sendMessage")
    except RuntimeError:
        logging.getLogger("elsewhere.deep").exception("boom")
    logging.getLogger("telegram.ext.Updater").debug("Webhook received data: %s", '{"text": "my private words"}')
    output = caplog.text
    assert secret not in output and "SECRET-unit-token" not in output
    assert output.count("[redacted]") >= 2
    assert "my private words" not in output and "[payload hidden]" in output


# --- retries ------------------------------------------------------------------------------------------------


class ScriptedUpdates:
    """getUpdates answering from a script: an exception is raised, a list is a batch; the poller stops at the end."""

    def __init__(self, script: list[Any]) -> None:
        self.script = script
        self.poller: Poller | None = None

    async def raw_updates(self, offset: int | None, timeout: float, allowed: Any) -> list[dict[str, Any]]:
        outcome = self.script.pop(0)
        if not self.script:
            assert self.poller is not None
            self.poller.stop()
        if isinstance(outcome, BaseException):
            raise outcome
        return list(outcome)


async def test_polling_backs_off_by_the_shared_policy_and_waits_as_telegram_asks() -> None:
    script: list[Any] = [
        NetworkError("down"), NetworkError("down"), RetryAfter(5), Conflict("another poller"), [],
        NetworkError("down"), [{"update_id": 1}], [],
    ]  # fmt: skip
    bot = ScriptedUpdates(script)
    handled: list[int] = []

    async def handle(updates: Any) -> None:
        handled.append(len(updates))
        if len(handled) == 2:
            raise StepsNotStored()

    poller = Poller(bot, handle, retry=RetryPolicy(jitter=0))  # type: ignore[arg-type]
    bot.poller = poller
    pauses: list[float] = []

    async def pause(seconds: float) -> None:
        pauses.append(seconds)

    poller._pause = pause  # type: ignore[method-assignment]
    await poller.run()
    # Telegram's 5 s is its pacing, not a failure; a batch handled resets the count; unstored steps count.
    assert pauses == [0.5, 1.0, 5.0, 2.0, 0.5, 1.0]


class RefusingEdits:
    def __init__(self) -> None:
        self.calls = 0

    async def call(self, method: str, data: dict[str, Any]) -> dict[str, Any]:
        self.calls += 1
        raise RetryAfter(3)


async def test_a_keyboard_edit_waits_for_telegram_once_then_leaves_the_keyboard(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bot = RefusingEdits()
    transport = TelegramTransport(
        bot,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        SendLimiter(Limits(overall_per_second=1000, private_per_second=1000)),
        username=BOT_USERNAME,
        context_for=None,  # type: ignore[arg-type]
        retry=RetryPolicy(jitter=0),
    )
    waits = record_sleeps(monkeypatch)
    await transport.remove_keyboard(42, 7)
    monkeypatch.undo()
    assert bot.calls == 2 and waits == [3.0], "two tries, and no pointless wait after the last"


# --- the HTTP client ----------------------------------------------------------------------------------------


async def test_the_aiohttp_client_keeps_python_telegram_bots_errors_and_no_url_in_them() -> None:
    from telegram.error import BadRequest, TimedOut
    from telegram.request import RequestData
    from telegram.request._requestparameter import RequestParameter

    from bot.transports.telegram.http import AiohttpRequest

    double = BotApiDouble()
    await double.start()
    request = AiohttpRequest(connection_pool_size=2, read_timeout=0.5)
    await request.initialize()
    url = f"{double.base_url}{double.token}"
    try:
        user = TgUser(77)
        double.open_private(user)
        data = RequestData([RequestParameter("chat_id", "77", []), RequestParameter("text", "bonjour", [])])
        sent = await request.post(f"{url}/sendMessage", data)
        assert sent["text"] == "bonjour" and double.sent[-1].text == "bonjour", "form-encoded, as HTTPX sent it"
        double.fail("sendMessage", 429, retry_after=3)
        with pytest.raises(RetryAfter):
            await request.post(f"{url}/sendMessage", data)
        double.fail("sendMessage", 400, description="Bad Request: message text is empty")
        with pytest.raises(BadRequest):
            await request.post(f"{url}/sendMessage", data)
        # getUpdates waits longer than the read timeout: TimedOut, a NetworkError the callers already retry.
        poll = RequestData([RequestParameter("timeout", "5", [])])
        with pytest.raises(TimedOut):
            await request.post(f"{url}/getUpdates", poll)
        port = double.port
    finally:
        await double.close()
    with pytest.raises(NetworkError) as refused:
        await request.post(f"http://127.0.0.1:{port}/bot{double.token}/sendMessage", data)
    assert double.token not in str(refused.value) and "127.0.0.1" not in str(refused.value)
    await request.shutdown()
