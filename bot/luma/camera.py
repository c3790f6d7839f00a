"""Camera moves: the one list, and how a move reaches the API. No Discord here.

The API has no motion field (../shared/luma-api.md: `POST /luma/videos` takes action, prompt, aspect_ratio, loop,
enhancement, frames, video): a move is asked for in the prompt, with the words Luma's own Dream Machine inserts for it
(its prompt box offers "camera …" completions; the same phrases are the values of the camera menu in public Luma web
clients, e.g. `VIDEO_CAMERA_OPTION`: "camera orbit left", "camera push in", "camera pan right"…). The bot adds the
phrase once, at the front, only in what it sends; the member's prompt is stored and shown without it.
"""

from __future__ import annotations

from bot.errors import InputError
from bot.i18n import N_, _

__all__ = ["CAMERA_MOVES", "camera_label", "check_camera", "with_camera"]

# key -> (what the member sees, shown translated; the phrase sent to Luma). The keys are stored: never rename one.
CAMERA_MOVES: dict[str, tuple[str, str]] = {
    "static": (N_("Static"), "static camera"),  # not in that menu: the words Luma's guides use for a still shot
    "orbit_left": (N_("Orbit left"), "camera orbit left"),
    "orbit_right": (N_("Orbit right"), "camera orbit right"),
    "push_in": (N_("Push in"), "camera push in"),
    "pull_out": (N_("Pull out"), "camera pull out"),
    "pan_left": (N_("Pan left"), "camera pan left"),
    "pan_right": (N_("Pan right"), "camera pan right"),
    "crane_up": (N_("Crane up"), "camera crane up"),
    "crane_down": (N_("Crane down"), "camera crane down"),
    "move_left": (N_("Move left"), "camera move left"),
    "move_right": (N_("Move right"), "camera move right"),
    "move_up": (N_("Move up"), "camera move up"),
    "move_down": (N_("Move down"), "camera move down"),
}


def check_camera(camera: str | None) -> str | None:
    """A known move's key (or None): a move that is not in the list is refused with a sentence."""
    if camera is None or camera == "":
        return None
    if camera not in CAMERA_MOVES:
        raise InputError(_("That camera move is not one I know. Pick one from the list."))
    return camera


def camera_label(camera: str | None) -> str | None:
    """The move as the member reads it, translated."""
    return _(CAMERA_MOVES[camera][0]) if camera in CAMERA_MOVES else None


def with_camera(prompt: str, camera: str | None) -> str:
    """The prompt as sent: the move's phrase once, in front (never twice, even if the member typed it too)."""
    if camera not in CAMERA_MOVES:
        return prompt
    phrase = CAMERA_MOVES[camera][1]
    if prompt.lower().startswith(phrase):
        return prompt
    return f"{phrase}, {prompt}"
