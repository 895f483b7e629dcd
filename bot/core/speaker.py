"""How Phare speaks to one user: their language and form of address, texts, menus. The one place a user's
context is built and a locale is normalised."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import cast

from bot.commands import available, shown_name
from bot.core.jobs import START_PREFIX
from bot.messages import Button, Outgoing
from dialogues.loader import Library
from dialogues.texts import Address, Context, Locale
from storage.records import RunRecord, UserRecord


def locale_of(value: str | None, default: str) -> Locale:
    """A platform's language code (fr-CA, en_GB, FR…) as one of Phare's two languages."""
    if value is None:
        value = default
    return "fr" if value.lower().startswith("fr") else "en"


class Speaker:
    def __init__(self, library: Library, *, operator_contacts: Mapping[str, str] | None = None) -> None:
        self.library = library
        self.operator_contacts = operator_contacts or {}

    @property
    def operator_contacts(self) -> Mapping[str, str]:
        return self._operator_contacts

    @operator_contacts.setter
    def operator_contacts(self, value: Mapping[str, str]) -> None:
        """The contact for each language (resolved in bot/config.py); none for a language: a sentence saying so,
        in that language."""
        self._operator_contacts = dict(value)
        unset = self.library.catalog.get("operator_contact_unset")
        self._contacts: dict[str, str] = {
            locale: value.get(locale)
            or (unset.render(Context(locale=locale, address="vous")) if unset is not None else "")
            for locale in ("fr", "en")
        }

    def ctx(self, user: UserRecord, dialogue_id: str | None = None) -> Context:
        """How to speak to this user; in a run, the measures of their previous run of it as prev_<name>."""
        previous = user.settings.get("last", {}).get(dialogue_id, {}) if dialogue_id else {}
        locale = cast(Locale, user.locale if user.locale in ("fr", "en") else "fr")
        return Context(
            locale=locale,
            address=cast(Address, user.address if user.address in ("vous", "tu") else "vous"),
            vars={
                "operator_contact": self._contacts[locale],
                "country": user.country or "",  # the time zones a check-in suggests first
                **{f"prev_{k}": v for k, v in previous.items()},
            },
        )

    def default_ctx(self, locale: str) -> Context:
        """For someone Phare knows nothing about yet: their platform's language, "vous"."""
        chosen = locale_of(locale, "fr")
        return Context(locale=chosen, address="vous", vars={"operator_contact": self._contacts[chosen]})

    def run_ctx(self, user: UserRecord, run: RunRecord | None) -> Context:
        ctx = self.ctx(user, run.dialogue_id if run else None)
        if run is not None and "group_name" in run.state:
            ctx = replace(ctx, vars={**ctx.vars, "group_name": str(run.state["group_name"])})  # a group's dialogue
        return ctx

    def render(self, key: str, user: UserRecord, **values: object) -> str:
        return self.library.text(key).render(self.ctx(user), values)

    def text(self, key: str, user: UserRecord, **values: object) -> Outgoing:
        return Outgoing(self.render(key, user, **values))

    def exercise_buttons(self, user: UserRecord) -> tuple[Button, ...]:
        ctx = self.ctx(user)
        return tuple(Button(START_PREFIX + d.id, d.title.render(ctx), "menu") for d in self.library.listed())

    def menu(self, user: UserRecord) -> Outgoing:
        return Outgoing(self.render("idle_menu", user), self.exercise_buttons(user))

    def exercises(self, user: UserRecord) -> Outgoing:
        ctx = self.ctx(user)
        lines = [self.render("exercises_header", user)]
        for dialogue in self.library.listed():
            title, summary = dialogue.title.render(ctx), dialogue.summary.render(ctx)
            line = self.library.text("exercises_line")  # "*title* : summary" in French, "*title*: summary" in English
            lines.append(line.render(ctx, {"command": dialogue.id, "title": title, "summary": summary}))
        return Outgoing("\n".join(lines), self.exercise_buttons(user))

    def help(self, user: UserRecord, platform: str) -> Outgoing:
        """Every command one can type here, in the reader's language, from the registry (bot/commands.py)."""
        ctx = self.ctx(user)
        lines = [self.render("help_general", user), ""]
        for spec in available(platform):
            if spec.name == "start" or self.library.catalog.get(f"command_{spec.name}") is None:
                continue
            lines.append(f"/{shown_name(spec, ctx.locale)} — {self.render(f'command_{spec.name}', user)}")
        lines += ["", self.render("help_names_note", user)]
        return Outgoing("\n".join(lines))
