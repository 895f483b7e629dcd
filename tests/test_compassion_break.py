"""The self-compassion break through the real writer, storage and dispatcher."""

from __future__ import annotations

from tests.harness import App, User, text_of


async def test_full_break_in_french_keeps_before_and_after(app: App) -> None:
    user = User(app)
    await user.onboard()
    await user.send("/break")
    assert await user.step() == "situation"
    await user.tap("patient_stuck")
    await user.tap("continue")
    replies = await user.send("4/10")
    assert await user.step() == "mindfulness"
    assert replies, "the break goes on after a sweet-spot rating"
    await user.tap("continue")
    await user.tap("continue")
    steps_seen = [await user.step()]
    while await user.step() not in ("intensity_after", None):
        _, state = await user.run_state()
        assert state is not None
        current = state.top.step_id
        buttons = user.last_buttons()
        if current == "kind_sentence":
            await user.send("Je fais de mon mieux avec ce que j'ai.")
        else:
            await user.tap(buttons[0].id)
        steps_seen.append(await user.step())
    closing = await user.send("trois")
    assert await user.step() is None
    assert "4/10" in text_of(closing) and "3/10" in text_of(closing)
    history = await user.send("/history")
    assert "4 → 3" in text_of(history)
