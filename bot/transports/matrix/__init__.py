"""Phare on Matrix (matrix-nio with end-to-end encryption). Start it with `start_matrix(phare, settings)`."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bot.transports.matrix.options import MatrixOptions, MatrixStartError
from bot.transports.matrix.service import MatrixService, lease_name
from bot.transports.matrix.transport import PLATFORM
from bot.transports.matrix.trust import POLICIES

if TYPE_CHECKING:
    from bot.app import Phare
    from bot.config import Settings
    from bot.ownership import Lease

__all__ = [
    "PLATFORM",
    "MatrixOptions",
    "MatrixService",
    "MatrixStartError",
    "lease_name",
    "options_from",
    "start_matrix",
]


def configured(settings: Settings) -> bool:
    return bool(settings.matrix_homeserver)


def options_from(settings: Settings) -> MatrixOptions:
    if not settings.matrix_homeserver or not settings.matrix_user:
        raise MatrixStartError("set PHARE_MATRIX_HOMESERVER and PHARE_MATRIX_USER")
    if settings.matrix_password is None and settings.matrix_access_token is None:
        raise MatrixStartError("set PHARE_MATRIX_PASSWORD or PHARE_MATRIX_ACCESS_TOKEN")
    if settings.matrix_device_trust not in POLICIES:
        raise MatrixStartError(f"PHARE_MATRIX_DEVICE_TRUST must be one of {', '.join(POLICIES)}")
    if settings.matrix_cross_signing not in ("auto", "reset", "off"):
        raise MatrixStartError("PHARE_MATRIX_CROSS_SIGNING must be auto, reset or off")
    inviters = tuple(p.strip() for p in settings.matrix_allowed_inviters.split(",") if p.strip())
    return MatrixOptions(
        homeserver=settings.matrix_homeserver.rstrip("/"),
        user=settings.matrix_user,
        password=settings.matrix_password.get_secret_value() if settings.matrix_password else None,
        access_token=settings.matrix_access_token.get_secret_value() if settings.matrix_access_token else None,
        device_name=settings.matrix_device_name,
        allowed_inviters=inviters,
        catchup=timedelta(hours=settings.matrix_catchup_hours),
        prefix=settings.matrix_command_prefix,
        device_trust=settings.matrix_device_trust,
        cross_signing=settings.matrix_cross_signing,
        encrypt_new_rooms=settings.matrix_encrypt_new_rooms,
        retry=settings.retry,
    )


def service_for(phare: Phare, settings: Settings, *, lease: Lease | None = None) -> MatrixService:
    """The service, not started (the runner starts and stops it with the others); `lease`: the device's
    ownership among replicas (bot/ownership.py), none with a single process."""
    from bot.app import make_cipher

    cipher = make_cipher(settings, phare.db)
    return MatrixService(phare.writer, options_from(settings), settings.data_dir, cipher, lease=lease)


async def start_matrix(phare: Phare, settings: Settings) -> MatrixService:
    """Sign in, sync and serve; returns the running service (stop it with `await service.stop()`)."""
    service = service_for(phare, settings)
    await service.start()
    return service
