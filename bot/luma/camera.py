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

# The phrase sent to Luma for each move (Luma's own English, never shown to members, so never translated). The keys
# are stored with requests and videos: never rename one.
_PHRASES = dict(
    line.split(": ")
    for line in """
static: static camera
orbit_left: camera orbit left
orbit_right: camera orbit right
push_in: camera push in
pull_out: camera pull out
pan_left: camera pan left
pan_right: camera pan right
crane_up: camera crane up
crane_down: camera crane down
move_left: camera move left
move_right: camera move right
move_up: camera move up
move_down: camera move down
""".strip().splitlines()  # i18n: not text (what Luma reads)
)
_LABELS = {  # what the member sees, shown translated ("static camera" is not in that menu: Luma's guides' words)
    "static": N_("Static"),
    "orbit_left": N_("Orbit left"),
    "orbit_right": N_("Orbit right"),
    "push_in": N_("Push in"),
    "pull_out": N_("Pull out"),
    "pan_left": N_("Pan left"),
    "pan_right": N_("Pan right"),
    "crane_up": N_("Crane up"),
    "crane_down": N_("Crane down"),
    "move_left": N_("Move left"),
    "move_right": N_("Move right"),
    "move_up": N_("Move up"),
    "move_down": N_("Move down"),
}
# key -> (its label, its phrase), in the order members see them
CAMERA_MOVES: dict[str, tuple[str, str]] = {key: (label, _PHRASES[key]) for key, label in _LABELS.items()}


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
    return f"{phrase}, {prompt}"  # i18n: not text (what Luma reads)
