"""A local stand-in for Telegram's Bot API: an aiohttp server on 127.0.0.1 speaking the wire format.

Tests inject what people do (text, taps on recorded buttons, stickers, photos, edits, group messages,
channel posts) as updates served by getUpdates, read back what the bot sent, and script failures
(429 with retry_after, 5xx, 403, 400) per method and chat, answerCallbackQuery included. As on Telegram, a
getUpdates that comes while another one waits ends the waiting one with 409 Conflict ("terminated by other
getUpdates request": two processes polling one bot), getUpdates is a 409 while a webhook is set, a bot
cannot write first: sending to the private chat of someone who never wrote to it there answers 403 "bot can't
initiate conversation"; a callback query is answered once: a second answer (or one for a query Telegram never
sent) is a 400 "query is too old"; and a text or caption sent with parse_mode HTML must parse as Telegram's HTML
(its tags only, nested and closed, `<` and `&` escaped), or the call is a 400 "can't parse entities".

Groups have members (`members` declares a group's creator, administrators and members; whoever writes in a group
is a member of it): getChatMember answers a ChatMember with its status, "left" for a person Telegram knows who is
not in the group, 400 "user not found" for one it never saw and 400 "chat not found" for an unknown group. `join`
and `leave` send what Telegram sends: a service message (new_chat_members, left_chat_member) and, when the bot
administers the group and asked for them in allowed_updates, a chat_member update. As on Telegram, getUpdates
remembers its allowed_updates and never serves what they leave out (chat_member is left out by default).
python-telegram-bot sends form-urlencoded bodies (multipart with files): structured fields such as reply_markup
arrive as JSON strings.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "123456789:AAE-test_token-Do-Not-Log-Me_0123456789"
BOT_ID = 123456789
BOT_USERNAME = "phare_test_bot"
_JSON_FIELDS = {"reply_markup", "allowed_updates", "commands", "scope", "link_preview_options", "entities"}
_SENDS = frozenset({"sendMessage", "sendPhoto", "sendDocument"})
CANNOT_INITIATE = "Forbidden: bot can't initiate conversation with a user"
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
CANT_PARSE = "Bad Request: can't parse entities: "
USER_NOT_FOUND = "Bad Request: user not found"
CHAT_NOT_FOUND = "Bad Request: chat not found"
POLL_CONFLICT = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
)
# What getUpdates serves when allowed_updates is empty or was never given (core.telegram.org/bots/api#getupdates).
_NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_MEMBER_STATUSES = frozenset({"creator", "administrator", "member", "restricted", "left", "kicked"})

# Telegram's HTML (core.telegram.org/bots/api#html-style): these tags, nested properly and closed, and every
# `<` and `&` that is not part of a tag or an entity written as &lt; &gt; &amp; &quot; or &#...;
_HTML_TAGS = frozenset({"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
                        "tg-emoji", "code", "pre", "blockquote"})  # fmt: skip
_START_TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+))?)*)\s*>")
_END_TAG = re.compile(r"</([a-zA-Z][a-zA-Z0-9-]*)\s*>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")


def html_problem(text: str) -> str | None:
    """Why Telegram would refuse `text` sent with parse_mode HTML (its description, after "can't parse entities:
    "), or None when it parses."""
    open_tags: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char not in "<&":
            i += 1
            continue
        offset = len(text[:i].encode("utf-8"))
        if char == "&":
            entity = _ENTITY.match(text, i)
            if entity is None:
                return f'Unescaped "&" at byte offset {offset}: write it &amp;'
            i = entity.end()
            continue
        end = _END_TAG.match(text, i)
        if end is not None:
            name = end.group(1).lower()
            if not open_tags:
                return f"Unexpected end tag at byte offset {offset}"
            if open_tags[-1] != name:
                return f'Unmatched end tag at byte offset {offset}, expected "</{open_tags[-1]}>", found "</{name}>"'
            open_tags.pop()
            i = end.end()
            continue
        start = _START_TAG.match(text, i)
        if start is None:
            return f'Unsupported start tag "" at byte offset {offset}'  # a bare "<"
        name, attributes = start.group(1).lower(), start.group(2)
        if name not in _HTML_TAGS:
            return f'Unsupported start tag "{name}" at byte offset {offset}'
        if name == "span" and "tg-spoiler" not in attributes:
            return f'Tag "span" must have class "tg-spoiler" at byte offset {offset}'
        open_tags.append(name)
        i = start.end()
    if open_tags:
        return f'Can\'t find end tag corresponding to start tag "{open_tags[-1]}"'
    return None


class ApiError(Exception):
    """What a method answers when Telegram would refuse the call (the status and description it sends)."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


@dataclass(frozen=True)
class TgUser:
    id: int
    first_name: str = "Camille"
    language_code: str | None = "fr"

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    def chat(self) -> dict[str, Any]:
        return {"id": self.id, "type": "private", "first_name": self.first_name}


@dataclass(frozen=True)
class TgGroup:
    id: int
    title: str = "Intervision"

    def chat(self) -> dict[str, Any]:
        return {"id": self.id, "type": "supergroup", "title": self.title}


@dataclass
class Sent:
    """One message the bot sent, as the double stored it."""

    chat_id: int
    message_id: int
    method: str
    text: str | None
    parse_mode: str | None
    markup: dict[str, Any] | None  # as sent
    json: dict[str, Any]  # the Message object returned to the bot
    file_name: str | None = None
    file_data: bytes | None = None
    caption: str | None = None
    keyboard_removed: bool = False

    @property
    def buttons(self) -> list[dict[str, Any]]:
        if not self.markup:
            return []
        return [b for row in self.markup.get("inline_keyboard", []) for b in row]

    @property
    def labels(self) -> list[str]:
        return [b["text"] for b in self.buttons]

    def button(self, label: str) -> dict[str, Any]:
        for button in self.buttons:
            if button["text"] == label:
                return button
        raise AssertionError(f"no button {label!r}; buttons: {self.labels}")


@dataclass
class Failure:
    method: str
    status: int
    chat_id: int | None
    retry_after: int | None
    description: str
    times: int


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int = 200


@dataclass
class BotApiDouble:
    token: str = TOKEN
    username: str = BOT_USERNAME
    port: int = 0
    calls: list[Call] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    answered: list[str] = field(default_factory=list)  # callback query ids
    webhook: dict[str, Any] = field(default_factory=dict)
    commands: dict[str | None, list[dict[str, str]]] = field(default_factory=dict)  # by language_code

    def __post_init__(self) -> None:
        self._updates: list[dict[str, Any]] = []
        self._confirmed = 0  # every update id below this was acknowledged by a getUpdates offset
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._query_ids = itertools.count(1)
        self._queries: set[str] = set()  # callback queries sent to the bot: each may be answered once
        self._chats: dict[int, dict[str, Any]] = {}
        self._started: set[int] = set()  # people who have written to the bot in private: it may write to them
        self._pushed: dict[int, dict[str, Any]] = {}  # update id -> the update, as served
        self._failures: list[Failure] = []
        self._users: dict[int, dict[str, Any]] = {}  # everyone Telegram knows (they wrote, or were declared)
        self._members: dict[int, dict[int, dict[str, Any]]] = {}  # group id -> user id -> ChatMember
        self._allowed: frozenset[str] | None = None  # getUpdates' allowed_updates, remembered as Telegram does
        self._dropped: set[int] = set()  # updates those leave out
        self._changed = asyncio.Condition()
        self._polls = 0  # getUpdates requests so far: a newer one ends the one still waiting (409), as on Telegram
        self.conflicts = 0  # getUpdates answered 409 because another one came while it waited
        self._closing = False
        self._runner: web.AppRunner | None = None

    # --- server ----------------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._endpoint)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def close(self) -> None:
        self._closing = True
        await self._notify()  # release pending long polls, or teardown waits for their timeout
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if request.content_type == "application/json":
            body = await request.read()
            return dict(json.loads(body)) if body else {}
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                params[name] = (value.filename, value.file.read())
            elif name in _JSON_FIELDS:
                params[name] = json.loads(value)
            else:
                params[name] = value
        return params

    async def _endpoint(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        params = await self._params(request)
        call = Call(method, params)
        self.calls.append(call)
        failure = self._failure(method, params)
        if failure is not None:
            call.status = failure.status
            body: dict[str, Any] = {"ok": False, "error_code": failure.status, "description": failure.description}
            if failure.retry_after is not None:
                body["parameters"] = {"retry_after": failure.retry_after}
            await self._notify()
            return web.json_response(body, status=failure.status)
        if method in _SENDS and not self._may_write(params.get("chat_id")):
            call.status = 403
            await self._notify()
            return web.json_response({"ok": False, "error_code": 403, "description": CANNOT_INITIATE}, status=403)
        handler = getattr(self, "_api_" + method, None)
        if handler is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        try:
            result = await handler(params)
        except ApiError as exc:
            call.status = exc.status
            await self._notify()
            body = {"ok": False, "error_code": exc.status, "description": exc.description}
            return web.json_response(body, status=exc.status)
        await self._notify()
        return web.json_response({"ok": True, "result": result})

    # --- scripted failures -----------------------------------------------------------------------------

    def fail(
        self,
        method: str,
        status: int,
        *,
        chat_id: int | None = None,
        retry_after: int | None = None,
        description: str | None = None,
        times: int = 1,
    ) -> None:
        default = {429: "Too Many Requests: retry after", 403: "Forbidden: bot was blocked by the user",
                   400: "Bad Request: chat not found"}.get(status, "Internal Server Error")  # fmt: skip
        if status == 429 and retry_after is None:
            retry_after = 1
        self._failures.append(Failure(method, status, chat_id, retry_after, description or default, times))

    def clear_failures(self) -> None:
        self._failures.clear()

    def _failure(self, method: str, params: dict[str, Any]) -> Failure | None:
        chat = params.get("chat_id")
        for failure in self._failures:
            if failure.method == method and (failure.chat_id is None or str(failure.chat_id) == str(chat)):
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.remove(failure)
                return failure
        return None

    def _may_write(self, chat: Any) -> bool:
        """A group (negative id) always; a private chat only once its person has written to the bot there."""
        try:
            chat_id = int(chat)
        except (TypeError, ValueError):
            return True
        return chat_id < 0 or chat_id in self._started

    def open_private(self, user: TgUser) -> None:
        """The person pressed Start in Phare's private chat (without the test needing the update it sends)."""
        self._started.add(user.id)

    # --- Bot API methods -------------------------------------------------------------------------------

    def bot_json(self) -> dict[str, Any]:
        return {"id": BOT_ID, "is_bot": True, "first_name": "Phare", "username": self.username,
                "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False}  # fmt: skip

    async def _api_getMe(self, params: dict[str, Any]) -> Any:
        return self.bot_json()

    async def _api_getUpdates(self, params: dict[str, Any]) -> Any:
        if self.webhook.get("url"):
            raise ApiError(409, WEBHOOK_CONFLICT)
        self._polls += 1
        mine = self._polls
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        if offset:
            self._confirm(offset)
        if "allowed_updates" in params:
            self._allowed = frozenset(params["allowed_updates"]) or None
        deadline = time.monotonic() + timeout
        async with self._changed:
            self._changed.notify_all()  # the offset confirmed updates: tests wait on that
            while not self._closing:
                if self._polls != mine:  # a second bot instance polls with the same token: Telegram ends this one
                    self.conflicts += 1
                    raise ApiError(409, POLL_CONFLICT)
                if self._drop_unwanted():
                    self._changed.notify_all()
                ready = [u for u in self._updates if u["update_id"] >= offset][:limit]
                if ready or time.monotonic() >= deadline:
                    return ready
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), deadline - time.monotonic())
        return []

    def _serves(self, update: dict[str, Any]) -> bool:
        kind = next(k for k in update if k != "update_id")
        return kind not in _NOT_BY_DEFAULT if self._allowed is None else kind in self._allowed

    def _confirm(self, offset: int) -> None:
        if offset - 1 > self._confirmed:
            self._confirmed = offset - 1
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        self._skip_dropped()

    def _drop_unwanted(self) -> bool:
        """Take out what the bot's allowed_updates leave out (Telegram never queues it); whether any was."""
        unwanted = [u for u in self._updates if not self._serves(u)]
        for update in unwanted:
            self._updates.remove(update)
            self._dropped.add(update["update_id"])
        self._skip_dropped()
        return bool(unwanted)

    def _skip_dropped(self) -> None:
        """An update the bot's allowed_updates leave out has nothing to confirm: it counts as confirmed once every
        update before it is."""
        while self._confirmed + 1 in self._dropped:
            self._confirmed += 1

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = {}
        return True

    async def _api_setWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = params
        return True

    async def _api_getWebhookInfo(self, params: dict[str, Any]) -> Any:
        return {"url": self.webhook.get("url", ""), "has_custom_certificate": False, "pending_update_count": 0}

    async def _api_setMyCommands(self, params: dict[str, Any]) -> Any:
        self.commands[params.get("language_code")] = params["commands"]
        return True

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        query_id = str(params["callback_query_id"])
        if query_id not in self._queries or query_id in self.answered:
            raise ApiError(400, QUERY_TOO_OLD)  # as Telegram: a query is answered once, and only one it sent
        self.answered.append(query_id)
        return True

    async def _api_getChatMember(self, params: dict[str, Any]) -> Any:
        chat_id, user_id = int(params["chat_id"]), int(params["user_id"])
        if chat_id > 0:
            if chat_id not in self._users:
                raise ApiError(400, CHAT_NOT_FOUND)
            status = "member" if user_id in (chat_id, BOT_ID) else "left"  # a private chat: its person and the bot
            return _chat_member(self._user_json(user_id), status)
        if chat_id not in self._members:
            raise ApiError(400, CHAT_NOT_FOUND)
        if user_id == BOT_ID:
            return self._members[chat_id].get(BOT_ID) or _chat_member(self.bot_json(), "member")
        if user_id not in self._users:
            raise ApiError(400, USER_NOT_FOUND)
        return self._members[chat_id].get(user_id) or _chat_member(self._users[user_id], "left")

    async def _api_sendChatAction(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_close(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_logOut(self, params: dict[str, Any]) -> Any:
        return True

    def _chat_json(self, chat_id: int) -> dict[str, Any]:
        if chat_id not in self._chats:
            kind = "private" if chat_id > 0 else "supergroup"
            self._chats[chat_id] = {"id": chat_id, "type": kind, "first_name": "?", "title": "?"}
        return self._chats[chat_id]

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _check_html(self, params: dict[str, Any], field: str) -> None:
        if str(params.get("parse_mode", "")).lower() == "html":
            problem = html_problem(str(params.get(field) or ""))
            if problem is not None:
                raise ApiError(400, CANT_PARSE + problem)

    def _store(self, method: str, params: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
        self._check_html(params, "text" if method == "sendMessage" else "caption")
        chat_id = int(params["chat_id"])
        message_id = self._next_message_id(chat_id)
        markup = params.get("reply_markup")
        message = {"message_id": message_id, "date": int(time.time()), "chat": self._chat_json(chat_id),
                   "from": self.bot_json(), **extra}  # fmt: skip
        if markup:
            message["reply_markup"] = markup
        file_name, file_data = None, None
        for key in ("document", "photo"):
            if isinstance(params.get(key), tuple):
                file_name, file_data = params[key]
        self.sent.append(
            Sent(chat_id, message_id, method, params.get("text"), params.get("parse_mode"), markup, message,
                 file_name=file_name, file_data=file_data, caption=params.get("caption"))
        )  # fmt: skip
        return message

    async def _api_sendMessage(self, params: dict[str, Any]) -> Any:
        return self._store("sendMessage", params, {"text": params["text"]})

    async def _api_sendDocument(self, params: dict[str, Any]) -> Any:
        name = params["document"][0] if isinstance(params.get("document"), tuple) else "file"
        document = {"file_id": f"doc{len(self.sent)}", "file_unique_id": f"u{len(self.sent)}", "file_name": name}
        extra: dict[str, Any] = {"document": document}
        if params.get("caption"):
            extra["caption"] = params["caption"]
        return self._store("sendDocument", params, extra)

    async def _api_sendPhoto(self, params: dict[str, Any]) -> Any:
        photo = [{"file_id": f"ph{len(self.sent)}", "file_unique_id": f"p{len(self.sent)}", "width": 1, "height": 1}]
        return self._store("sendPhoto", params, {"photo": photo})

    def _find(self, chat_id: int, message_id: int) -> Sent:
        for message in self.sent:
            if message.chat_id == chat_id and message.message_id == message_id:
                return message
        raise KeyError((chat_id, message_id))

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        try:
            message = self._find(int(params["chat_id"]), int(params["message_id"]))
        except KeyError:
            return True
        markup = params.get("reply_markup")
        message.keyboard_removed = not markup or not markup.get("inline_keyboard")
        message.json = {k: v for k, v in message.json.items() if k != "reply_markup"}
        return message.json

    async def _api_editMessageText(self, params: dict[str, Any]) -> Any:
        self._check_html(params, "text")
        message = self._find(int(params["chat_id"]), int(params["message_id"]))
        message.text = params["text"]
        return message.json

    # --- groups and their members ----------------------------------------------------------------------

    def _user_json(self, user_id: int) -> dict[str, Any]:
        if user_id not in self._users:
            raise ApiError(400, USER_NOT_FOUND)
        return self._users[user_id]

    def _know(self, user: TgUser) -> None:
        self._users.setdefault(user.id, user.json())

    def members(
        self,
        group: TgGroup,
        *,
        creator: TgUser | None = None,
        admins: tuple[TgUser, ...] = (),
        members: tuple[TgUser, ...] = (),
        bot_admin: bool = False,
    ) -> None:
        """Declare a group as it already is (no update is sent): who created it, administers it, belongs to it,
        and whether the bot is one of its administrators (then Telegram sends it chat_member updates)."""
        self._chats.setdefault(group.id, group.chat())
        known = self._members.setdefault(group.id, {})
        for status, people in (("creator", (creator,) if creator else ()), ("administrator", admins),
                               ("member", members)):  # fmt: skip
            for person in people:
                self._know(person)
                known[person.id] = _chat_member(person.json(), status)
        known[BOT_ID] = _chat_member(self.bot_json(), "administrator" if bot_admin else "member")

    def status(self, group: TgGroup, user: TgUser) -> str:
        member = self._members.get(group.id, {}).get(user.id)
        return "left" if member is None else str(member["status"])

    def set_status(self, group: TgGroup, user: TgUser, status: str, *, by: TgUser | None = None) -> int | None:
        """Someone's membership changes (an admin promotes, restricts or bans them, or they come or go): the
        chat_member update Telegram sends, if the bot may receive it (its id; None when not sent)."""
        assert status in _MEMBER_STATUSES, status
        self._know(user)
        self._chats.setdefault(group.id, group.chat())
        known = self._members.setdefault(group.id, {})
        old = known.get(user.id) or _chat_member(user.json(), "left")
        new = _chat_member(user.json(), status)
        known[user.id] = new
        bot = known.get(BOT_ID)
        if bot is None or bot["status"] not in ("creator", "administrator"):
            return None  # chat_member updates go to a group's administrators only
        update = {"chat": group.chat(), "from": (by or user).json(), "date": int(time.time()),
                  "old_chat_member": old, "new_chat_member": new}  # fmt: skip
        return self._push("chat_member", update)

    def join(self, user: TgUser, group: TgGroup, *, by: TgUser | None = None, shown: bool = True) -> list[int]:
        """`user` joins `group` (added by `by`, or by a link): the service message (unless the group hides
        them: `shown=False`) and the chat_member update, as Telegram sends them; their update ids."""
        return self.add((user,), group, by=by or user, shown=shown)

    def add(self, people: tuple[TgUser, ...], group: TgGroup, *, by: TgUser, shown: bool = True,
            bot: bool = False) -> list[int]:  # fmt: skip
        """`by` adds several people at once (and the bot itself with `bot=True`): one service message naming them
        all, one chat_member update each (none about the bot: that one is my_chat_member)."""
        for person in people:
            assert self.status(group, person) in ("left", "kicked"), "already a member"
        joined = [p.json() for p in people] + ([self.bot_json()] if bot else [])
        sent = [self._push("message", self.message_json(by, group.chat(), new_chat_members=joined))] if shown else []
        if bot:
            self._members.setdefault(group.id, {})[BOT_ID] = _chat_member(self.bot_json(), "member")
        updates = [self.set_status(group, person, "member", by=by if by != person else None) for person in people]
        return sent + [u for u in updates if u is not None]

    def leave(self, user: TgUser, group: TgGroup, *, by: TgUser | None = None, shown: bool = True) -> list[int]:
        """`user` leaves `group`, or is removed by `by` (then banned, as a removal is on Telegram)."""
        assert self.status(group, user) not in ("left", "kicked"), "not a member"
        sent = [self._push("message", self.message_json(by or user, group.chat(), left_chat_member=user.json()))
                ] if shown else []  # fmt: skip
        update = self.set_status(group, user, "kicked" if by is not None else "left", by=by)
        return sent + ([update] if update is not None else [])

    # --- what people do --------------------------------------------------------------------------------

    def _push(self, kind: str, payload: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        update = {"update_id": update_id, kind: payload}
        self._updates.append(update)
        self._pushed[update_id] = update
        asyncio.get_running_loop().create_task(self._notify())
        return update_id

    def update(self, update_id: int) -> dict[str, Any]:
        """The update as served, to deliver it again as Telegram does (same update id) when a webhook's answer
        was lost or getUpdates' offset was not confirmed before a crash."""
        return self._pushed[update_id]

    def message_json(
        self, user: TgUser, chat: dict[str, Any], *, text: str | None = None, reply_to: Sent | None = None,
        **content: Any,
    ) -> dict[str, Any]:  # fmt: skip
        self._chats.setdefault(chat["id"], chat)
        self._know(user)
        if chat.get("type") == "private":
            self._started.add(user.id)  # from now on the bot may write to this person
        elif chat.get("type") in ("group", "supergroup") and not content.keys() & {"new_chat_members",
                                                                                    "left_chat_member"}:  # fmt: skip
            known = self._members.setdefault(chat["id"], {})
            member = known.setdefault(user.id, _chat_member(user.json(), "member"))  # who writes there belongs
            assert _belongs(member), "someone who is not in a group cannot write in it"
        message: dict[str, Any] = {"message_id": self._next_message_id(chat["id"]), "date": int(time.time()),
                                   "chat": chat, "from": user.json(), **content}  # fmt: skip
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        if reply_to is not None:
            message["reply_to_message"] = reply_to.json
        return message

    def text(self, user: TgUser, text: str, *, group: TgGroup | None = None, reply_to: Sent | None = None) -> int:
        chat = group.chat() if group else user.chat()
        return self._push("message", self.message_json(user, chat, text=text, reply_to=reply_to))

    def sticker(self, user: TgUser) -> int:
        sticker = {"file_id": "stk", "file_unique_id": "stk", "type": "regular", "width": 512, "height": 512,
                   "is_animated": False, "is_video": False, "emoji": "🙂"}  # fmt: skip
        return self._push("message", self.message_json(user, user.chat(), sticker=sticker))

    def photo(self, user: TgUser, caption: str | None = None) -> int:
        photo = [{"file_id": "pic", "file_unique_id": "pic", "width": 90, "height": 90}]
        extra: dict[str, Any] = {"photo": photo}
        if caption:
            extra["caption"] = caption
        return self._push("message", self.message_json(user, user.chat(), **extra))

    def voice(self, user: TgUser) -> int:
        voice = {"file_id": "v", "file_unique_id": "v", "duration": 3}
        return self._push("message", self.message_json(user, user.chat(), voice=voice))

    def location(self, user: TgUser) -> int:
        return self._push("message", self.message_json(user, user.chat(), location={"latitude": 48.85,
                                                                                    "longitude": 2.35}))  # fmt: skip

    def service_message(self, user: TgUser, group: TgGroup) -> int:
        """A service message Phare has nothing to do with: `user` renames the group."""
        return self._push("message", self.message_json(user, group.chat(), new_chat_title=group.title))

    def edit(self, user: TgUser, message_id: int, text: str, edit_date: int | None = None) -> int:
        chat = user.chat()
        message = {"message_id": message_id, "date": int(time.time()) - 5, "edit_date": edit_date or int(time.time()),
                   "chat": chat, "from": user.json(), "text": text}  # fmt: skip
        return self._push("edited_message", message)

    def message_of(self, update_id: int) -> dict[str, Any]:
        """The message an update carried (as the person's app holds it: the one they may edit later)."""
        update = self._pushed[update_id]
        return dict(update.get("message") or update["edited_message"])

    def edit_of(self, update_id: int, text: str, edit_date: int) -> int:
        """The person edits the message sent as this update into `text`: same chat, same reply, as Telegram
        sends it (an edited_message with the message's id, its new text and edit_date)."""
        original = self.message_of(update_id)
        message = {k: v for k, v in original.items() if k not in ("text", "entities")}
        message.update(text=text, edit_date=edit_date)
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return self._push("edited_message", message)

    def channel_post(self, text: str, channel_id: int = -1009999) -> int:
        chat = {"id": channel_id, "type": "channel", "title": "Annonces"}
        post = {"message_id": self._next_message_id(channel_id), "date": int(time.time()), "chat": chat, "text": text}
        return self._push("channel_post", post)

    def tap(self, user: TgUser, message: Sent, label: str | None = None, *, data: str | None = None) -> int:
        """Tap a button of a recorded message (even one whose keyboard was removed since), or send any data."""
        if data is None:
            assert label is not None
            data = message.button(label)["callback_data"]
        query = {"id": f"q{next(self._query_ids)}", "from": user.json(), "chat_instance": f"ci{message.chat_id}",
                 "data": data, "message": message.json}  # fmt: skip
        self._queries.add(query["id"])
        return self._push("callback_query", query)

    # --- reading what happened -------------------------------------------------------------------------

    @property
    def confirmed(self) -> int:
        return self._confirmed

    @property
    def last_update_id(self) -> int:
        return max([u["update_id"] for u in self._updates], default=self._confirmed)

    def chat(self, chat_id: int) -> list[Sent]:
        return [m for m in self.sent if m.chat_id == chat_id]

    def calls_to(self, method: str, chat_id: int | None = None) -> list[Call]:
        wanted = None if chat_id is None else str(chat_id)
        return [c for c in self.calls if c.method == method and wanted in (None, str(c.params.get("chat_id")))]

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        async def wait() -> None:
            async with self._changed:
                await self._changed.wait_for(predicate)

        try:
            await asyncio.wait_for(wait(), timeout)
        except TimeoutError:
            raise AssertionError("the Bot API double did not see the expected calls in time") from None

    async def wait_confirmed(self, update_id: int, timeout: float = 10.0) -> None:
        await self.wait_until(lambda: self._confirmed >= update_id, timeout)


def _belongs(member: dict[str, Any]) -> bool:
    status = member["status"]
    return status in ("creator", "administrator", "member") or (status == "restricted" and member["is_member"])


def _chat_member(user: dict[str, Any], status: str) -> dict[str, Any]:
    """A ChatMember of this status as the Bot API sends it (every field python-telegram-bot requires)."""
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(can_be_edited=False, is_anonymous=False, can_manage_chat=True, can_delete_messages=True,
                      can_manage_video_chats=True, can_restrict_members=True, can_promote_members=False,
                      can_change_info=True, can_invite_users=True, can_post_stories=False, can_edit_stories=False,
                      can_delete_stories=False, can_pin_messages=True)  # fmt: skip
    elif status == "restricted":
        rights = ("can_change_info", "can_invite_users", "can_pin_messages", "can_send_polls",
                  "can_send_other_messages", "can_add_web_page_previews", "can_manage_topics", "can_send_audios",
                  "can_send_documents", "can_send_photos", "can_send_videos", "can_send_video_notes",
                  "can_send_voice_notes", "can_edit_tag", "can_react_to_messages")  # fmt: skip
        member.update(dict.fromkeys(rights, False), is_member=True, can_send_messages=True, until_date=0)
    elif status == "kicked":
        member["until_date"] = 0
    return member
