"""Phare on Telegram, end to end: python-telegram-bot's real HTTP stack against a local Bot API double,
the real writer on a SQLite file."""

from __future__ import annotations

import asyncio
import html
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import aiohttp
import pytest
from telegram.error import BadRequest

from bot.app import Phare, build
from bot.care.taxonomy import Level
from bot.config import Settings
from bot.messages import Attachment, Button, Delivery, Outgoing
from bot.runner import run_all
from bot.safety import SafetyVerdict
from bot.transports.telegram import TelegramService, options_from
from bot.transports.telegram.formatting import MESSAGE_LIMIT, utf16_len
from dialogues.state import RunState
from dialogues.texts import Context
from storage.records import UserRecord
from tests.telegram_double import BOT_USERNAME, QUERY_TOO_OLD, TOKEN, BotApiDouble, Sent, TgGroup, TgUser

FAST = {"telegram_rate_overall": 10_000, "telegram_rate_private": 10_000, "telegram_rate_group": 10_000}


@dataclass
class Env:
    double: BotApiDouble
    data_dir: Path
    phare: Phare
    service: TelegramService
    settings: Settings
    users: int = 1000

    async def settle(self, update_id: int) -> None:
        await self.double.wait_confirmed(update_id)
        await self.service.idle()

    def phone(self, language: str | None = "fr") -> Phone:
        self.users += 1
        return Phone(self, TgUser(self.users, language_code=language))

    async def stop(self) -> None:
        await self.service.stop()
        await self.phare.close()

    async def restart(self) -> None:
        await self.stop()
        self.phare, self.service = await start_phare(self.settings)

    async def user_record(self, phone: Phone) -> UserRecord | None:
        async with self.phare.db.begin() as conn:
            found = await self.phare.writer.repo.users_by_key(conn, [("telegram", str(phone.user.id))])
        return found.get(("telegram", str(phone.user.id)))

    async def step(self, phone: Phone) -> str | None:
        user = await self.user_record(phone)
        if user is None:
            return None
        async with self.phare.db.begin() as conn:
            runs = await self.phare.writer.repo.current_runs(conn, [user.id])
        run = runs.get(user.id)
        return None if run is None else RunState.from_dict(run.state["engine"]).top.step_id


@dataclass
class Phone:
    """One person's Telegram app: writes, taps, reads what Phare sent to their private chat."""

    env: Env
    user: TgUser
    seen: int = 0
    sent_ids: list[int] = field(default_factory=list)

    @property
    def messages(self) -> list[Sent]:
        return self.env.double.chat(self.user.id)

    def new(self) -> list[Sent]:
        fresh = self.messages[self.seen :]
        self.seen = len(self.messages)
        return fresh

    async def _after(self, update_id: int) -> list[Sent]:
        await self.env.settle(update_id)
        return self.new()

    async def say(self, text: str) -> list[Sent]:
        update_id = self.env.double.text(self.user, text)
        self.sent_ids.append(update_id)
        return await self._after(update_id)

    def last_keyboard(self) -> Sent:
        for message in reversed(self.messages):
            if message.buttons:
                return message
        raise AssertionError("no keyboard shown yet")

    def data_for(self, option: str, message: Sent | None = None) -> tuple[Sent, str]:
        message = message or self.last_keyboard()
        for button in message.buttons:
            data = button.get("callback_data", "")
            if data.rsplit("|", 1)[-1] == option:
                return message, data
        raise AssertionError(f"no option {option!r} in {[b.get('callback_data') for b in message.buttons]}")

    async def tap(self, option: str, message: Sent | None = None) -> list[Sent]:
        message, data = self.data_for(option, message)
        return await self._after(self.env.double.tap(self.user, message, data=data))

    async def tap_data(self, message: Sent, data: str) -> list[Sent]:
        return await self._after(self.env.double.tap(self.user, message, data=data))

    async def other(self, kind: str) -> list[Sent]:
        make = {"sticker": self.env.double.sticker, "photo": self.env.double.photo,
                "voice": self.env.double.voice, "location": self.env.double.location}[kind]  # fmt: skip
        return await self._after(make(self.user))

    async def step(self) -> str | None:
        return await self.env.step(self)


def texts(messages: list[Sent]) -> str:
    return "\n".join(m.text or m.caption or "" for m in messages)


async def start_phare(settings: Settings, **overrides: object) -> tuple[Phare, TelegramService]:
    phare = await build(settings)
    options = replace(options_from(settings), drain_timeout=1.0, **overrides)  # type: ignore[arg-type]
    service = TelegramService(phare.writer, options)
    await service.start()
    return phare, service


def make_settings(double: BotApiDouble, data_dir: Path, **extra: object) -> Settings:
    return Settings(  # type: ignore[call-arg]
        data_dir=data_dir,
        telegram_token=TOKEN,
        telegram_base_url=double.base_url,
        operator_contact="Dr Test (test@example.org)",
        **{**FAST, **extra},
    )


@pytest.fixture
async def env(double: BotApiDouble, tmp_path: Path) -> AsyncIterator[Env]:
    settings = make_settings(double, tmp_path)
    phare, service = await start_phare(settings)
    environment = Env(double, tmp_path, phare, service, settings)
    yield environment
    await environment.stop()


async def onboard(phone: Phone, language: str = "fr") -> None:
    await phone.say("/start")
    await phone.tap(language)
    if language == "fr":
        await phone.tap("vous")
    await phone.tap("continue")
    await phone.tap("continue")
    await phone.tap("yes")
    await phone.tap("fr")


ENDED = {"en": "That button belongs to an exercise that has ended", "fr": "Ce bouton appartient à un exercice terminé"}


def live_keyboards(phone: Phone) -> list[Sent]:
    return [m for m in phone.messages if m.buttons and not m.keyboard_removed]


# --- the compassion break ------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_break_by_buttons(env: Env, language: str) -> None:
    phone = env.phone(language)
    await onboard(phone, language)
    question = await phone.say("/break")
    assert await phone.step() == "situation"
    assert question[-1].parse_mode == "HTML" and question[-1].buttons
    await phone.tap("patient_stuck")
    await phone.tap("continue")
    scale = phone.last_keyboard()
    assert scale.labels == [str(n) for n in range(11)], "a 0–10 keypad for the intensity"
    await phone.tap("4")
    assert await phone.step() == "mindfulness"
    await phone.tap("continue")
    await phone.tap("continue")
    await phone.tap("done")
    await phone.tap("continue")
    assert await phone.step() == "kind_sentence"
    sentence_question = phone.last_keyboard()
    await phone.say("Je fais de mon mieux." if language == "fr" else "I am doing my best.")
    closing = await phone.tap("3")
    assert await phone.step() is None
    assert "4/10" in texts(closing) and "3/10" in texts(closing)
    taps = env.double.calls_to("answerCallbackQuery")
    assert len(taps) == len(set(env.double.answered)) >= 13, "every tap is answered"
    assert live_keyboards(phone) == [sentence_question, phone.last_keyboard()], (
        "a tapped question loses its buttons; one answered by typing keeps them when the reply asks a new question"
        " with buttons of its own; the closing offer keeps its buttons"
    )
    option = sentence_question.buttons[0]["callback_data"].rsplit("|", 1)[-1]
    stale = await phone.tap(option, sentence_question)
    assert ENDED[language] in texts(stale) and await phone.step() is None, "the old button changes nothing"
    assert len(env.double.calls_to("answerCallbackQuery")) == len(set(env.double.answered)) == len(taps) + 1
    assert sentence_question.keyboard_removed, "once tapped, the old keyboard goes"


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_break_by_typing(env: Env, language: str) -> None:
    phone = env.phone(language)
    await phone.say("/start")
    if language == "fr":
        await phone.say("Français")
        await phone.say("1")
    else:
        await phone.say("English")
    for answer in ("ok", "ok", "1", "1"):
        await phone.say(answer)
    assert (await env.user_record(phone)).onboarded  # type: ignore[union-attr]
    edits = len(env.double.calls_to("editMessageReplyMarkup"))
    await phone.say("/break")
    await phone.say("2")
    await phone.say("ok")
    await phone.say("cinq" if language == "fr" else "five")
    assert await phone.step() == "mindfulness"
    for answer in ("ok", "ok", "2", "ok"):
        await phone.say(answer)
    assert await phone.step() == "kind_sentence"
    await phone.say("Je fais de mon mieux." if language == "fr" else "I am doing my best.")
    last_question = phone.last_keyboard()
    closing = await phone.say("4/10")
    assert await phone.step() is None
    assert "5/10" in texts(closing) and "4/10" in texts(closing)
    assert last_question.keyboard_removed, "the exercise is over: the question left open loses its buttons"
    live = live_keyboards(phone)
    assert live[-1] == phone.last_keyboard() and last_question not in live
    # Each question answered by typing was replaced by a new one with buttons: its keyboard stays (one API call
    # less an answer), and a tap on it is answered as an earlier question.
    removed = [int(c.params["message_id"]) for c in env.double.calls_to("editMessageReplyMarkup")[edits:]]
    assert removed == [last_question.message_id]
    assert env.double.calls_to("answerCallbackQuery") == []
    situation = next(m for m in live if len(m.buttons) >= 4)
    stale = await phone.tap(situation.buttons[0]["callback_data"].rsplit("|", 1)[-1], situation)
    assert ENDED[language] in texts(stale) and await phone.step() is None, "the old button starts nothing"
    assert len(env.double.calls_to("answerCallbackQuery")) == len(env.double.answered) == 1, "answered once"
    assert situation.keyboard_removed


async def test_answers_typed_faster_than_phare_replies_are_taken_in_order(env: Env) -> None:
    phone = env.phone("en")
    await onboard(phone, "en")
    await phone.say("/break")
    # Four answers in one getUpdates batch, each before Phare could reply to the previous one.
    last = [env.double.text(phone.user, answer) for answer in ("2", "ok", "five", "ok")][-1]
    replies = await phone._after(last)
    assert await phone.step() == "common_humanity", "each answer moved the exercise one step, in order"
    said = texts(replies)
    order = [said.find(part) for part in ("Bring the situation", "How intense", "moment of difficulty", "not alone")]
    assert -1 not in order and order == sorted(order), "the replies came in the order of the answers"


async def test_export_sends_the_history_as_a_json_document(env: Env) -> None:
    phone = env.phone("fr")
    await onboard(phone)
    await phone.say("/break")
    for answer in ("2", "ok", "4", "ok", "ok", "2", "ok", "Une phrase pour moi.", "3"):
        await phone.say(answer)
    replies = await phone.say("/export")
    kinds = [m.method for m in replies]
    assert kinds == ["sendMessage", "sendMessage", "sendDocument", "sendDocument"]
    assert "serveurs de Telegram" in (replies[1].text or ""), "the note on Telegram's servers comes before the files"
    json_file = next(m for m in replies if (m.file_name or "").endswith(".json"))
    assert json_file.file_data is not None
    data = json.loads(json_file.file_data)
    assert [e["exercise"] for e in data["history"]] == ["compassion_break"]
    assert data["history"][0]["measures"] == {"intensity_before": 4, "intensity_after": 3}
    assert "Une phrase pour moi." in json.dumps(data["history"][0]["notes"], ensure_ascii=False)
    again = await phone.say("/export")
    assert [m.method for m in again].count("sendMessage") == 2, "the note is repeated before each export"


# --- buttons that should not work ------------------------------------------------------------------------


async def test_forged_and_stale_taps_get_a_kind_reply_and_change_nothing(env: Env) -> None:
    phone = env.phone("en")
    await onboard(phone, "en")
    await phone.say("/break")
    situation = phone.last_keyboard()
    await phone.tap("patient_stuck")
    current = phone.last_keyboard()
    assert await phone.step() == "bring_to_mind"
    stale = await phone.tap("paperwork", situation)
    assert "earlier question" in texts(stale)
    assert stale[-1].buttons, "the current question is asked again, with its buttons"
    assert await phone.step() == "bring_to_mind"
    answered = len(env.double.answered)
    ref = current.buttons[0]["callback_data"].split("|")[1]
    forged_ref = ("0" if ref[0] != "0" else "1") + ref[1:]
    for data in (f"o|{forged_ref}|continue", "garbage", "o||", "i|7", "o|x.1|start"):
        replies = await phone.tap_data(phone.last_keyboard(), data)
        assert "earlier question" in texts(replies), data
        assert await phone.step() == "bring_to_mind", data
    assert len(env.double.answered) == answered + 5, "every tap, even a forged one, is answered"
    await phone.tap("continue")
    assert await phone.step() == "intensity_before", "the exercise goes on normally afterwards"


async def test_a_question_answered_by_typing_or_left_by_cancel_loses_its_buttons(env: Env) -> None:
    phone = env.phone("en")
    await onboard(phone, "en")
    for text in ("/letter", "1", "ok", "ok", "the patient I could not reach"):
        await phone.say(text)
    assert await phone.step() == "friend_view"
    question = phone.last_keyboard()
    asked = await phone.say("ok")  # typed instead of tapping Continue
    assert await phone.step() == "letter" and asked and not any(m.buttons for m in asked), "no keyboard of its own"
    assert question.keyboard_removed, "the answer typed took the buttons of the question it answered"
    stale = await phone.tap("continue", question)
    assert "earlier question" in texts(stale) and await phone.step() == "letter", "the old button answers nothing"

    await phone.say("/break")
    situation = phone.last_keyboard()
    stopped = await phone.say("/cancel")
    assert stopped and not any(m.buttons for m in stopped) and await phone.step() is None
    assert situation.keyboard_removed, "the question left by /cancel loses its buttons"
    assert question not in live_keyboards(phone)
    stale = await phone.tap("paperwork", situation)
    assert "exercise that has ended" in texts(stale) and await phone.step() is None, "the old button starts nothing"


async def test_sticker_photo_voice_location_mid_exercise(env: Env) -> None:
    phone = env.phone("fr")
    await onboard(phone)
    await phone.say("/break")
    for kind in ("sticker", "photo", "voice", "location"):
        replies = await phone.other(kind)
        assert "Je ne sais lire que du texte" in texts(replies), kind
        assert replies[-1].buttons, "the question is asked again"
        assert await phone.step() == "situation", kind
    await phone.tap("paperwork")
    assert await phone.step() == "bring_to_mind"


async def test_an_update_of_an_unexpected_shape_is_skipped_and_the_next_ones_are_answered(env: Env) -> None:
    phone = env.phone("fr")
    await onboard(phone)
    await phone.say("/break")
    odd = env.double.message_json(phone.user, phone.user.chat(), text="1")
    odd["from"] = {"id": "not a number"}
    env.double._push("message", odd)
    env.double._push("message", {"chat": "nowhere"})
    replies = await phone.tap("patient_stuck")
    assert replies and await phone.step() == "bring_to_mind", "the tap after two unreadable updates is answered"
    assert "Je ne sais lire" not in texts(replies), "nothing is said about updates that were not understood"


class FlagSafety:
    """A stand-in safety layer: flags one word, so the test is about the transport, not the detector."""

    def check(self, text: str) -> SafetyVerdict:
        return SafetyVerdict(level="crisis" if "DANGERWORD" in text else None, reason="test")

    def resources(self, country: str | None, ctx: Context, level: Level = "crisis") -> str:
        return "RESOURCES-3114"

    def lines(self, country: str | None, ctx: Context) -> str:
        return "LINES-3114"


async def test_edited_message_goes_through_the_safety_check_once(env: Env) -> None:
    env.phare.writer.safety = FlagSafety()
    phone = env.phone("fr")
    await onboard(phone)
    await phone.say("/break")
    await phone.tap("patient_stuck")
    first_message = 1  # the person's /start: editing any earlier message counts
    edit = env.double.edit(phone.user, first_message, "en fait DANGERWORD", edit_date=1_900_000_000)
    replies = await phone._after(edit)
    assert "RESOURCES-3114" in texts(replies), "an edited text is read by the safety check"
    await env.service.handle([env.double.update(edit)])  # Telegram delivers the same update again
    await env.service.idle()
    assert phone.new() == [], "a redelivered edit is not processed twice"


async def test_two_edits_of_a_message_in_the_same_second_are_both_read(env: Env) -> None:
    env.phare.writer.safety = FlagSafety()
    phone = env.phone("fr")
    await onboard(phone)
    await phone.say("/break")
    asked_for_break = phone.sent_ids[-1]
    same_second = 1_900_000_000  # edit_date counts whole seconds
    first = await phone._after(env.double.edit_of(asked_for_break, "en fait rien", edit_date=same_second))
    assert "RESOURCES-3114" not in texts(first)
    second = await phone._after(env.double.edit_of(asked_for_break, "en fait DANGERWORD", edit_date=same_second))
    assert "RESOURCES-3114" in texts(second), "the second edit is a new text, not a redelivery of the first"


# --- failures of Telegram ---------------------------------------------------------------------------------


async def test_a_burst_of_429_and_5xx_loses_nothing_and_keeps_each_chat_in_order(env: Env) -> None:
    phones = [env.phone("en") for _ in range(4)]
    env.double.fail("sendMessage", 429, retry_after=1, times=6)
    env.double.fail("sendMessage", 500, times=2)
    env.double.fail("sendMessage", 502, times=1)
    last = 0
    for phone in phones:
        for command in ("/help", "/about", "/start"):
            last = env.double.text(phone.user, command)
    await env.settle(last)
    statuses = [c.status for c in env.double.calls_to("sendMessage")]
    assert statuses.count(429) == 6 and statuses.count(500) == 2 and statuses.count(502) == 1
    for phone in phones:
        got = phone.new()
        assert len(got) == 3, [m.text for m in got]
        assert "/break" in (got[0].text or "") and "I'm Phare" in (got[0].text or "")  # help
        assert "Dr Test" in (got[1].text or "")  # about names the operator
        assert got[2].labels == ["Français", "English"]  # onboarding starts


async def test_a_tap_is_answered_through_429_and_5xx_once_and_a_refusal_is_not_retried(env: Env) -> None:
    phone = env.phone("en")
    await onboard(phone, "en")
    await phone.say("/break")
    env.double.fail("answerCallbackQuery", 429, retry_after=1)
    env.double.fail("answerCallbackQuery", 502)
    await phone.tap("patient_stuck")
    query = env.double.calls_to("answerCallbackQuery")[-1].params["callback_query_id"]
    calls = [c for c in env.double.calls_to("answerCallbackQuery") if c.params["callback_query_id"] == query]
    assert [c.status for c in calls] == [429, 502, 200], "the spinner stops: Telegram's pushback is waited out"
    assert env.double.answered.count(query) == 1
    assert await phone.step() == "bring_to_mind"
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await env.service.bot.answer_callback_query(query)  # the double, as Telegram, takes one answer per query

    env.double.fail("answerCallbackQuery", 400, description=QUERY_TOO_OLD)
    before = len(env.double.calls_to("answerCallbackQuery"))
    await phone.tap("continue")
    assert len(env.double.calls_to("answerCallbackQuery")) == before + 1, "a query Telegram refuses is not retried"
    assert await phone.step() == "intensity_before", "and the tap still counts"


async def test_blocked_user_is_marked_inactive_and_not_retried(env: Env) -> None:
    phone = env.phone("fr")
    await onboard(phone)
    env.double.fail("sendMessage", 403, chat_id=phone.user.id)
    await phone.say("/exercises")
    attempts = env.double.calls_to("sendMessage", phone.user.id)
    assert attempts[-1].status == 403
    await asyncio.sleep(0.3)
    assert env.double.calls_to("sendMessage", phone.user.id) == attempts, "no retry after a 403"
    user = await env.user_record(phone)
    assert user is not None and user.active is False


async def test_replies_not_sent_before_a_stop_are_sent_after_the_restart(env: Env) -> None:
    phone = env.phone("en")
    env.double.fail("sendMessage", 500, chat_id=phone.user.id, times=10_000)
    update = env.double.text(phone.user, "/help")
    await env.double.wait_confirmed(update)  # committed: the reply is in the outbox, failing to go out
    await env.stop()
    env.double.clear_failures()
    env.phare, env.service = await start_phare(env.settings)
    await env.service.idle()
    delivered = [m for m in phone.messages if "I'm Phare" in (m.text or "")]
    assert len(delivered) == 1


async def test_fifty_people_at_once(env: Env) -> None:
    phones = [env.phone("en") for _ in range(50)]

    async def flow(phone: Phone) -> None:
        await phone.say("/start")
        for option in ("en", "continue", "continue", "yes", "us"):
            await phone.tap(option)
        await phone.say("/help")

    await asyncio.gather(*(flow(p) for p in phones))
    reference = [m.text for m in phones[0].messages]
    assert len(reference) == 7
    for phone in phones:
        assert [m.text for m in phone.messages] == reference
        user = await env.user_record(phone)
        assert user is not None and user.onboarded


# --- groups ----------------------------------------------------------------------------------------------


async def test_group_ignores_chatter_redirects_personal_commands_and_answers_help(env: Env) -> None:
    group = TgGroup(-100777)
    phone = env.phone("fr")
    double = env.double
    ignored = [
        double.text(phone.user, "bonjour à tous", group=group),
        double.text(phone.user, "/help@other_bot", group=group),
        double.service_message(phone.user, group),
        double.channel_post("/help"),
    ]
    await env.settle(ignored[-1])
    assert double.sent == []
    await env.settle(double.text(phone.user, f"/break@{BOT_USERNAME}", group=group))
    redirect = double.chat(group.id)[-1]
    url = redirect.buttons[0]["url"]
    assert url == f"https://t.me/{BOT_USERNAME}?start=compassion_break"
    assert all("callback_data" not in b for b in redirect.buttons)
    await env.settle(double.text(phone.user, f"/help@{BOT_USERNAME}", group=group))
    assert "En groupe, je reste discret" in (double.chat(group.id)[-1].text or "")
    before = len(double.sent)
    await env.settle(double.text(phone.user, "merci !", group=group, reply_to=redirect))
    assert len(double.sent) == before, "a plain reply in a group gets no answer"
    assert phone.messages == [], "nothing is sent to the person's private chat"
    await env.settle(double.tap(phone.user, redirect, data="o|x.1|start"))
    assert len(double.sent) == before and not redirect.keyboard_removed, "a forged tap in a group changes nothing"
    assert double.answered, "but it is answered, so the button stops spinning"
    await phone.say("/start compassion_break")  # the deep link opens the private chat with this payload
    await onboard_rest(phone)
    assert await phone.step() == "situation", "the exercise asked for in the group starts after onboarding"


async def onboard_rest(phone: Phone) -> None:
    for option in ("fr", "vous", "continue", "continue", "yes", "fr"):
        await phone.tap(option)


# --- crisis words in a group, and edits ---------------------------------------------------------------------

CRISIS = "je veux mourir"
PERSONAL_OPENING = "Ce que vous écrivez semble très lourd"  # the private answer's first words (dialogues/_crisis.yaml)


async def phare_in_group(env: Env, phone: Phone, group: TgGroup) -> Sent:
    """Someone asks Phare for help in the group: its answer is a message people can reply to."""
    await env.settle(env.double.text(phone.user, f"/help@{BOT_USERNAME}", group=group))
    answer = env.double.chat(group.id)[-1]
    assert "En groupe, je reste discret" in (answer.text or "")
    return answer


@pytest.mark.parametrize("how", ["reply", "command"])
async def test_crisis_words_in_a_group_from_someone_phare_cannot_write_to_get_the_lines_discreetly_there(
    env: Env, how: str
) -> None:
    group = TgGroup(-100555)
    phone = env.phone("fr")  # never opened a private chat with Phare: Telegram refuses to let it write first
    double = env.double
    help_message = await phare_in_group(env, phone, group)
    before = len(double.sent)
    if how == "reply":  # privacy mode: Phare only sees replies to it and commands for it
        update = double.text(phone.user, CRISIS, group=group, reply_to=help_message)
    else:
        update = double.text(phone.user, f"/help@{BOT_USERNAME} {CRISIS}", group=group)
    await env.settle(update)
    posted = double.sent[before:]
    assert [m.chat_id for m in posted] == [group.id], "exactly one message, in the group, and nothing else"
    notice = posted[0]
    text = notice.text or ""
    assert "3114" in text, "the crisis lines are there"
    assert utf16_len(text) < 1000, "short"
    assert notice.buttons == [{"text": "Ouvrir un échange privé", "url": f"https://t.me/{BOT_USERNAME}"}]
    assert "mourir" not in text and phone.user.first_name not in text, "neither their words nor their name"
    assert PERSONAL_OPENING not in text and "Je suis un bot" not in text, "no word addressed to the person"
    call = double.calls_to("sendMessage", group.id)[-1]
    assert call.status == 200 and not {"reply_to_message_id", "reply_parameters", "entities"} & set(call.params)
    assert "En groupe, je reste discret" not in text, "no help text on top"
    attempts = double.calls_to("sendMessage", phone.user.id)
    assert [c.status for c in attempts] == [403], "the private chat was tried once, and only once"
    assert phone.messages == []


async def test_crisis_words_edited_into_a_group_message_to_phare_are_read_and_other_edits_get_nothing(
    env: Env,
) -> None:
    group = TgGroup(-100557)
    phone = env.phone("fr")
    double = env.double
    await onboard(phone)
    phone.new()
    asked = double.text(phone.user, f"/help@{BOT_USERNAME}", group=group)
    await env.settle(asked)
    help_message = double.chat(group.id)[-1]
    thanks = double.text(phone.user, "merci", group=group, reply_to=help_message)
    await env.settle(thanks)
    in_group = len(double.chat(group.id))
    assert in_group == 1 and phone.new() == [], "a plain reply to Phare in a group gets no answer"

    await env.settle(double.edit_of(thanks, CRISIS, edit_date=1_900_000_001))
    private = phone.new()
    assert len(private) == 1 and "3114" in texts(private), "the edit was read by the crisis check: lines in private"
    assert len(double.chat(group.id)) == in_group, "and nothing in the group"

    await env.settle(double.edit_of(thanks, "merci beaucoup", edit_date=1_900_000_002))
    await env.settle(double.edit_of(asked, f"/about@{BOT_USERNAME}", edit_date=1_900_000_003))
    assert phone.new() == [], "an ordinary edit, even of a command, gets nothing"
    assert len(double.chat(group.id)) == in_group


async def test_crisis_check_only_reads_a_private_edit_it_never_answers_a_step_nor_runs_a_command(env: Env) -> None:
    phone = env.phone("fr")
    await onboard(phone)
    await phone.say("/break")
    asked_for_break = phone.sent_ids[-1]
    assert await phone.step() == "situation"
    replies = await phone._after(env.double.edit_of(asked_for_break, "1", edit_date=1_900_000_001))
    assert len(replies) == 1 and "Je ne prends comme réponses que les nouveaux messages" in texts(replies)
    assert await phone.step() == "situation", "the edit did not answer the question"
    replies = await phone._after(env.double.edit_of(asked_for_break, "/forget", edit_date=1_900_000_002))
    assert len(replies) == 1 and "Je ne prends comme réponses que les nouveaux messages" in texts(replies)
    assert "Tout effacer" not in texts(replies) and not replies[0].buttons, "no forget confirmation"
    assert await phone.step() == "situation" and await env.user_record(phone) is not None
    await phone.tap("patient_stuck")
    assert await phone.step() == "bring_to_mind", "new messages still answer"


# --- formatting, files, long texts ------------------------------------------------------------------------


async def test_long_reply_is_split_with_the_keyboard_on_the_last_part(env: Env) -> None:
    phone = env.phone()
    env.double.open_private(phone.user)  # Telegram lets a bot write only to someone who started it
    paragraphs = [f"Paragraph {i}. " + "word " * 150 for i in range(14)]
    text = "\n\n".join(p.strip() for p in paragraphs)
    assert len(text) > 2 * MESSAGE_LIMIT
    message = Outgoing(text, (Button("a", "A", "ref.1"),))
    assert env.service.dispatcher is not None
    env.service.dispatcher.enqueue([Delivery("0001-long", "telegram", str(phone.user.id), message)])
    await env.service.idle()
    parts = phone.messages
    assert len(parts) == 3
    assert all(utf16_len(p.text or "") <= MESSAGE_LIMIT for p in parts)
    assert [bool(p.buttons) for p in parts] == [False, False, True]
    assert all((p.text or "").startswith("Paragraph") for p in parts), "cut at paragraph boundaries"
    assert "\n\n".join(p.text or "" for p in parts) == text


async def test_what_people_wrote_comes_back_as_they_wrote_it_in_html_telegram_accepts(env: Env) -> None:
    phone = env.phone("en")
    await onboard(phone, "en")
    for text in ("/letter", "1", "ok", "ok", "a session that went badly", "ok"):
        await phone.say(text)
    assert await phone.step() == "letter"
    letter = "Dear me, *a _b* c_: you did _well_ <3 & 2*3 = 6 \\o/"
    await phone.say(letter)
    before = len(env.double.calls_to("sendMessage", phone.user.id))
    shown = await phone.say("/letters")
    calls = env.double.calls_to("sendMessage", phone.user.id)[before:]
    assert [c.status for c in calls] == [200], "one call, accepted: no HTML refused, no plain-text resend"
    sent = shown[-1].text or ""
    assert shown[-1].parse_mode == "HTML" and "<b>" not in sent and "<i>" not in sent, "no word of theirs restyled"
    assert html.unescape(sent).endswith(letter), "their asterisks, underscores and backslash come back as typed"
    listed = await phone.say("/exercises")
    assert "<b>" in (listed[0].text or ""), "what Phare writes in bold still is"


async def test_markup_is_escaped_html_and_pictures_are_photos(env: Env) -> None:
    phone = env.phone()
    env.double.open_private(phone.user)
    assert env.service.dispatcher is not None
    picture = Outgoing("", attachment=Attachment("chart.png", "image/png", b"\x89PNG", "image"))
    env.service.dispatcher.enqueue([
        Delivery("0001-a", "telegram", f"@user:{phone.user.id}", Outgoing("*Gras* et _italique_ <b>&")),
        Delivery("0001-b", "telegram", f"@user:{phone.user.id}", picture),
    ])  # fmt: skip
    await env.service.idle()
    text, photo = phone.messages
    assert text.text == "<b>Gras</b> et <i>italique</i> &lt;b&gt;&amp;" and text.parse_mode == "HTML"
    assert photo.method == "sendPhoto" and photo.file_data == b"\x89PNG"


# --- start-up: menu, webhook, phare run -------------------------------------------------------------------


async def test_command_menu_in_french_english_and_by_default(env: Env) -> None:
    menus = env.double.commands
    assert set(menus) == {"fr", "en", None}
    names = ["start", "break", "exercises", "checkin", "history", "export", "forget", "settings", "cancel", "resume",
             "help", "about"]  # fmt: skip
    for menu in menus.values():
        assert [c["command"] for c in menu] == names
    assert menus["fr"] != menus["en"] and menus[None] == menus["fr"]
    assert menus["en"][1]["description"] == "The self-compassion break"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_webhook_checks_the_secret_token(double: BotApiDouble, tmp_path: Path) -> None:
    port = free_port()
    settings = make_settings(
        double, tmp_path, telegram_webhook_url="https://phare.example.org/tg-hook",
        telegram_webhook_secret="s3cret-Token_1", telegram_webhook_port=port,
    )  # fmt: skip
    phare, service = await start_phare(settings)
    try:
        assert double.webhook["url"] == "https://phare.example.org/tg-hook"
        assert double.webhook["secret_token"] == "s3cret-Token_1"
        user = TgUser(77, language_code="en")
        update = {"update_id": 1, "message": double.message_json(user, user.chat(), text="/start")}
        url = f"http://127.0.0.1:{port}/tg-hook"
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                async with http.post(url, json=update, headers=headers) as response:
                    assert response.status == 403
            await service.idle()
            assert double.chat(77) == []
            headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-Token_1"}
            async with http.post(url, json=update, headers=headers) as response:
                assert response.status == 200
        await service.idle()
        assert double.chat(77)[-1].labels == ["Français", "English"]
        assert double.calls_to("getUpdates") == []
    finally:
        await service.stop()
        await phare.close()


async def test_phare_run_serves_telegram_until_stopped(double: BotApiDouble, tmp_path: Path) -> None:
    settings = make_settings(double, tmp_path)
    stop = asyncio.Event()
    running = asyncio.create_task(run_all(settings, stop=stop))
    await double.wait_until(lambda: bool(double.calls_to("getUpdates")))
    user = TgUser(88, language_code="fr")

    async def say(text: str) -> None:
        seen = len(double.chat(88))
        double.text(user, text)
        await double.wait_until(lambda: len(double.chat(88)) > seen)

    # A whole exercise through `phare run`: onboarding, then the break by typing.
    for answer in ("/start", "Français", "1", "ok", "ok", "1", "1", "/break", "2", "ok", "cinq"):
        await say(answer)
    for answer in ("ok", "ok", "2", "ok", "Je fais de mon mieux.", "4/10"):
        await say(answer)
    await double.wait_until(lambda: any("5/10" in (m.text or "") and "4/10" in (m.text or "") for m in double.chat(88)))
    stop.set()
    assert await asyncio.wait_for(running, 10) == 0


async def test_phare_run_stops_cleanly_on_sigterm(double: BotApiDouble, tmp_path: Path) -> None:
    import os
    import signal

    running = asyncio.create_task(run_all(make_settings(double, tmp_path)))
    await double.wait_until(lambda: bool(double.calls_to("getUpdates")))
    os.kill(os.getpid(), signal.SIGTERM)
    assert await asyncio.wait_for(running, 10) == 0


async def test_phare_run_without_a_token_says_what_to_set(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert await run_all(Settings(data_dir=tmp_path)) == 2  # type: ignore[call-arg]
    assert "PHARE_TELEGRAM_TOKEN" in caplog.text


# --- secrets ----------------------------------------------------------------------------------------------


async def test_the_token_never_reaches_a_log(double: BotApiDouble, tmp_path: Path) -> None:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep(level=logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    noisy = ["httpx", "httpcore", "telegram", "aiohttp", "asyncio", "bot", "storage", "sqlalchemy", "aiosqlite"]
    levels = {name: logging.getLogger(name).level for name in noisy}
    try:
        settings = make_settings(double, tmp_path)
        phare, service = await build_and_start_at_debug(settings, noisy)
        env = Env(double, tmp_path, phare, service, settings)
        phone = env.phone("fr")
        double.fail("sendMessage", 500)
        double.fail("getUpdates", 502)
        await onboard(phone)
        await phone.say("/break")
        await phone.say("zq7 ceci est privé")
        # Replies go through aiohttp, which logs no URL; HTTPX (`phare doctor`) logs each one, token included.
        logging.getLogger("httpx").info('HTTP Request: POST %s/getMe "HTTP/1.1 200 OK"', double.base_url + TOKEN)
        await env.stop()
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
    formatter = logging.Formatter("%(name)s %(message)s")
    output = "\n".join(formatter.format(r) for r in records)
    assert len(records) > 100, "the exchange was logged at DEBUG"
    assert "[redacted]" in output, "a request URL was logged, with the token taken out"
    assert TOKEN not in output and TOKEN.split(":")[1] not in output
    assert "zq7" not in output, "what people write is not logged either"


async def build_and_start_at_debug(settings: Settings, loggers: list[str]) -> tuple[Phare, TelegramService]:
    phare = await build(settings)
    options = replace(options_from(settings), drain_timeout=1.0)
    service = TelegramService(phare.writer, options)
    from bot.transports.telegram.redact import install_redaction

    install_redaction(options.token)
    for name in loggers:  # after install_redaction, which quietens httpx: everything at DEBUG
        logging.getLogger(name).setLevel(logging.DEBUG)
    await service.start()
    for name in loggers:
        logging.getLogger(name).setLevel(logging.DEBUG)
    return phare, service
