"""Composition for the demo album: recipes, song forms and the score of each track.

A :class:`Recipe` says how a track goes (tempo, key, form, chords, which instruments
and patterns). :func:`build_score` turns it into a list of :class:`Hit` (a sound placed
at a sample with left/right gains and a reverb send). The score is computed in full
and in a fixed order from the track's seeded generator, so rendering only the first
seconds of a track places exactly the same events as rendering all of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NamedTuple

import numpy as np

from samples.synth import SR, Timbre

SectionName = Literal["intro", "verse", "chorus", "breakdown", "outro"]
Mode = Literal["major", "minor", "dorian", "mixolydian"]
DrumStyle = Literal["four", "backbeat", "halftime", "breakbeat", "ballad"]

SCALES: dict[Mode, tuple[int, ...]] = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
}

# Sixteen steps per bar. X = accent, x = normal, o = ghost, . = rest.
_VELOCITY = {"X": 1.0, "x": 0.75, "o": 0.4}


@dataclass(frozen=True)
class DrumPattern:
    """One bar of drums on a sixteen-step grid for the verse and the chorus."""

    kick: str
    snare: str
    hat: str
    chorus_kick: str
    chorus_snare: str
    chorus_hat: str
    open_hat: str = "................"


DRUM_PATTERNS: dict[DrumStyle, DrumPattern] = {
    "four": DrumPattern(
        kick="X...X...X...X...",
        snare="....X.......X...",
        hat="..x...x...x...x.",
        chorus_kick="X...X...X...X...",
        chorus_snare="....X.......X...",
        chorus_hat="o.x.o.x.o.x.o.xo",
        open_hat="..............x.",
    ),
    "backbeat": DrumPattern(
        kick="X.....x.X.......",
        snare="....X.......X...",
        hat="x.x.x.x.x.x.x.x.",
        chorus_kick="X.....x.X.....x.",
        chorus_snare="....X.......X..o",
        chorus_hat="x.x.x.x.x.x.x.x.",
        open_hat="......x.......x.",
    ),
    "halftime": DrumPattern(
        kick="X.........x.....",
        snare="........X.......",
        hat="x.x.x.x.x.x.x.x.",
        chorus_kick="X.....x...x.....",
        chorus_snare="........X.....o.",
        chorus_hat="x.xox.xox.xox.xo",
        open_hat="..............x.",
    ),
    "breakbeat": DrumPattern(
        kick="X.X.......XX....",
        snare="....X..o.o..X..o",
        hat="x.x.x.x.x.x.x.x.",
        chorus_kick="X.X.......XX..x.",
        chorus_snare="....X..o.o..X..o",
        chorus_hat="x.xxx.xxx.xxx.xx",
        open_hat="..........x.....",
    ),
    "ballad": DrumPattern(
        kick="X.......x.x.....",
        snare="........X.......",
        hat="x...x...x...x...",
        chorus_kick="X.....x.X.x.....",
        chorus_snare="....X.......X...",
        chorus_hat="x.x.x.x.x.x.x.x.",
        open_hat="..............x.",
    ),
}

# Bass patterns: (step, length in steps, interval above the chord root in semitones).
BASS_PATTERNS: dict[str, tuple[tuple[int, int, int], ...]] = {
    "offbeat": ((2, 2, 0), (6, 2, 0), (10, 2, 0), (14, 2, 0)),
    "eighths": tuple((s, 2, 0) for s in range(0, 16, 2)),
    "rootfifth": ((0, 4, 0), (6, 2, 7), (8, 4, 0), (12, 2, 12), (14, 2, 7)),
    "sync": ((0, 3, 0), (3, 3, 0), (6, 2, 12), (8, 3, 0), (11, 3, 7), (14, 2, 0)),
    "long": ((0, 10, 0), (10, 2, 0), (12, 4, 7)),
    "whole": ((0, 16, 0),),
    "octaves": tuple((s, 2, 12 if s % 4 else 0) for s in range(0, 16, 2)),
}

# Keys patterns: (step, length in steps); "arp" plays chord tones one at a time.
KEYS_PATTERNS: dict[str, tuple[tuple[int, int], ...]] = {
    "stabs": ((0, 2), (3, 2), (6, 2), (10, 2), (13, 2)),
    "quarters": ((0, 3), (4, 3), (8, 3), (12, 3)),
    "offbeat": ((2, 2), (6, 2), (10, 2), (14, 2)),
    "arp": tuple((s, 2) for s in range(0, 16, 2)),
    "whole": ((0, 15),),
}

BASS_SOUNDS: dict[str, Timbre] = {
    "sub": Timbre("triangle", 220.0, attack_s=0.006, decay_s=0.5, sustain=0.85, release_s=0.06),
    "saw": Timbre(
        "saw", 420.0, bright_hz=1600.0, attack_s=0.003, decay_s=0.18, sustain=0.6, release_s=0.05
    ),
    "square": Timbre(
        "square", 520.0, bright_hz=1400.0, attack_s=0.003, decay_s=0.2, sustain=0.65, release_s=0.05
    ),
    "pluck": Timbre(
        "saw", 380.0, bright_hz=2200.0, attack_s=0.002, decay_s=0.28, sustain=0.25, release_s=0.08
    ),
}

PAD_SOUNDS: dict[str, Timbre] = {
    "strings": Timbre(
        "saw",
        3000.0,
        attack_s=0.35,
        decay_s=1.2,
        sustain=0.85,
        release_s=0.6,
        detune_cents=7.0,
        vibrato_cents=5.0,
        vibrato_hz=4.6,
        vibrato_delay_s=0.3,
    ),
    "warm": Timbre(
        "saw", 1800.0, attack_s=0.5, decay_s=1.5, sustain=0.9, release_s=0.8, detune_cents=12.0
    ),
    "square": Timbre(
        "square", 2200.0, attack_s=0.25, decay_s=1.0, sustain=0.8, release_s=0.5, detune_cents=9.0
    ),
    "organ": Timbre(
        "organ",
        5000.0,
        attack_s=0.01,
        decay_s=0.3,
        sustain=0.9,
        release_s=0.08,
        vibrato_cents=8.0,
        vibrato_hz=6.5,
        vibrato_delay_s=0.0,
    ),
}

KEYS_SOUNDS: dict[str, Timbre] = {
    "epiano": Timbre(
        "epiano",
        4000.0,
        attack_s=0.003,
        decay_s=0.9,
        sustain=0.0,
        release_s=0.25,
        bell_ratio=14.0,
        bell_level=0.12,
        bell_decay_s=0.04,
    ),
    "pluck": Timbre(
        "saw", 1600.0, bright_hz=6000.0, attack_s=0.002, decay_s=0.25, sustain=0.0, release_s=0.12
    ),
    "marimba": Timbre(
        "triangle",
        2500.0,
        attack_s=0.002,
        decay_s=0.3,
        sustain=0.0,
        release_s=0.1,
        bell_ratio=4.0,
        bell_level=0.25,
        bell_decay_s=0.05,
    ),
}

LEAD_SOUNDS: dict[str, Timbre] = {
    "square": Timbre(
        "square",
        3500.0,
        bright_hz=6000.0,
        attack_s=0.01,
        decay_s=0.25,
        sustain=0.7,
        release_s=0.12,
        vibrato_cents=12.0,
    ),
    "saw": Timbre(
        "saw",
        3200.0,
        bright_hz=5500.0,
        attack_s=0.01,
        decay_s=0.3,
        sustain=0.75,
        release_s=0.15,
        detune_cents=6.0,
        vibrato_cents=10.0,
    ),
    "sine": Timbre(
        "flute",
        3000.0,
        attack_s=0.02,
        decay_s=0.4,
        sustain=0.8,
        release_s=0.2,
        vibrato_cents=10.0,
        vibrato_hz=5.2,
    ),
    "vox": Timbre(
        "vox",
        3800.0,
        attack_s=0.04,
        decay_s=0.3,
        sustain=0.85,
        release_s=0.15,
        vibrato_cents=25.0,
        vibrato_hz=5.5,
        vibrato_delay_s=0.2,
        breath=0.02,
    ),
    "flute": Timbre(
        "flute",
        4000.0,
        attack_s=0.05,
        decay_s=0.3,
        sustain=0.85,
        release_s=0.15,
        vibrato_cents=15.0,
        vibrato_hz=5.0,
        breath=0.05,
    ),
}

# Mix levels in dB before mastering.
MIX_DB: dict[str, float] = {
    "kick": -3.0,
    "snare": -2.0,
    "clap": -4.0,
    "hat": -6.0,
    "open": -10.0,
    "crash": -12.0,
    "tom_hi": -5.0,
    "tom_lo": -5.0,
    "ess": 0.0,
    "bass": -4.0,
    "pad": -8.0,
    "keys": -8.0,
    "lead": -6.0,
}

# Which layers play in each section, with a gain in dB. "_late" layers enter halfway.
SECTION_LAYERS: dict[SectionName, dict[str, float]] = {
    "intro": {"hats": -3.0, "pad": 0.0, "kick_late": -2.0, "keys": -4.0},
    "verse": {
        "kick": 0.0,
        "snare": 0.0,
        "hats": 0.0,
        "bass": 0.0,
        "keys": 0.0,
        "pad": -7.0,
        "lead": 0.0,
    },
    "chorus": {
        "kick": 0.0,
        "snare": 0.0,
        "hats": 0.0,
        "open": 0.0,
        "bass": 0.0,
        "keys": -2.0,
        "pad": 0.0,
        "lead": 0.0,
        "crash": 0.0,
    },
    "breakdown": {"pad": 0.0, "keys": -2.0, "lead": -3.0, "hats_late": -6.0},
    "outro": {"kick": 0.0, "hats": -2.0, "bass": -1.0, "pad": 0.0, "keys": -3.0},
}


@dataclass(frozen=True)
class Section:
    """A part of a song: its kind, its length in bars and a level offset in dB."""

    name: SectionName
    bars: int
    level_db: float = 0.0


@dataclass(frozen=True)
class Recipe:
    """How one demo track goes.

    Attributes
    ----------
    tempo_bpm : float
        Tempo in beats per minute (4/4 time).
    tonic : int
        MIDI note of the key's tonic (pitch class matters; 57 = A).
    mode : str
        Scale of the key.
    form : tuple of Section
        The song form, in order.
    verse_chords, chorus_chords : tuple of int
        Chord roots as scale degrees (0 = tonic), one per bar, repeated.
    drums : str or None
        Drum style (``None``: no drums).
    snare_sound : str
        ``"snare"``, ``"clap"`` or ``"both"``.
    bass, bass_pattern, chorus_bass_pattern : str
        Bass sound and patterns.
    pad : str or None
        Pad sound.
    keys, keys_pattern : str or None
        Keys sound and pattern.
    lead : str
        Lead sound.
    lead_octave : int
        Lead register offset in octaves from the tonic near middle C.
    swing : float
        Delay of the off-beat sixteenths as a fraction of a step.
    sevenths : bool
        Play four-note (seventh) chords.
    kick_tune : tuple of float
        Kick start pitch, end pitch (Hz) and decay (s).
    reverb_s : float
        Reverberation time.
    target_lufs : float
        Integrated loudness of the master.
    ring_drums : bool
        Whether the final hit after the last bar includes kick and crash.
    mix_db : tuple of (str, float)
        Per-track changes to :data:`MIX_DB`.
    """

    tempo_bpm: float
    tonic: int
    mode: Mode
    form: tuple[Section, ...]
    verse_chords: tuple[int, ...]
    chorus_chords: tuple[int, ...]
    drums: DrumStyle | None
    bass: str
    bass_pattern: str
    chorus_bass_pattern: str
    pad: str | None
    keys: str | None
    keys_pattern: str
    lead: str
    target_lufs: float
    snare_sound: Literal["snare", "clap", "both"] = "snare"
    lead_octave: int = 0
    swing: float = 0.0
    sevenths: bool = False
    kick_tune: tuple[float, float, float] = (150.0, 48.0, 0.35)
    reverb_s: float = 1.6
    ring_drums: bool = True
    mix_db: tuple[tuple[str, float], ...] = field(default=())

    @property
    def bar_s(self) -> float:
        """Length of one bar in seconds."""
        return 240.0 / self.tempo_bpm

    @property
    def bars(self) -> int:
        """Number of bars in the form."""
        return sum(section.bars for section in self.form)

    @property
    def music_s(self) -> float:
        """Time of the final hit (the downbeat after the last bar), in seconds."""
        return self.bars * self.bar_s


class Sound(NamedTuple):
    """A renderable sound: a drum one-shot, or a note of an instrument."""

    kind: str
    """``"drum"`` or ``"note"`` (one note or a chord)."""
    name: str
    """Drum name, or instrument family (``bass``, ``pad``, ``keys``, ``lead``)."""
    notes: tuple[int, ...] = ()
    """MIDI notes sounding together."""
    gate: int = 0
    """Held length in samples."""
    variant: int = 0
    """Alternative rendering (detune, phase) for a decorrelated stereo partner."""


class Hit(NamedTuple):
    """A sound placed on the timeline."""

    start: int
    """First sample."""
    sound: Sound
    left: float
    right: float
    send: float
    """Reverb send gain."""


@dataclass(frozen=True)
class SectionSpan:
    """Where a section sits in a track."""

    name: SectionName
    start_s: float
    end_s: float
    occurrence: int


def sections(recipe: Recipe) -> tuple[SectionSpan, ...]:
    """Return the start and end time of every section of a recipe.

    Parameters
    ----------
    recipe : Recipe
        The track.

    Returns
    -------
    tuple of SectionSpan
        In order, with the how-many-th time this kind of section occurs (from 0).
    """
    spans = []
    seen: dict[str, int] = {}
    bar = 0
    for section in recipe.form:
        occurrence = seen.get(section.name, 0)
        seen[section.name] = occurrence + 1
        spans.append(
            SectionSpan(
                section.name, bar * recipe.bar_s, (bar + section.bars) * recipe.bar_s, occurrence
            )
        )
        bar += section.bars
    return tuple(spans)


def _pan(position: float) -> tuple[float, float]:
    """Constant-power pan gains for a position in [-1, 1]."""
    angle = (position + 1.0) * np.pi / 4.0
    return float(np.cos(angle) * np.sqrt(2.0)), float(np.sin(angle) * np.sqrt(2.0))


def _chord(recipe: Recipe, degree: int) -> tuple[int, ...]:
    """Pitch classes (semitones above the tonic) of the chord on a scale degree."""
    scale = SCALES[recipe.mode]
    count = 4 if recipe.sevenths else 3
    return tuple(scale[(degree + 2 * i) % 7] for i in range(count))


def _voicing(recipe: Recipe, degree: int, low: int = 55) -> tuple[int, ...]:
    """Close voicing of a chord with every note in [low, low + 12)."""
    notes = []
    for pc in _chord(recipe, degree):
        note = recipe.tonic + pc
        note = low + (note - low) % 12
        notes.append(note)
    return tuple(sorted(notes))


def _scale_note(recipe: Recipe, degree: int, base: int) -> int:
    """MIDI note of a scale degree counted from the tonic placed at ``base``."""
    scale = SCALES[recipe.mode]
    return base + 12 * (degree // 7) + scale[degree % 7]


def _motif(
    rng: np.random.Generator, *, density: float, steps: int = 32, start_degree: int = 4
) -> tuple[tuple[int, int, int], ...]:
    """Invent a two-bar melodic idea: (step, length, scale degree above the tonic)."""
    notes = []
    pos = int(rng.choice([0, 0, 2]))
    degree = start_degree
    lengths = [2, 2, 3, 4, 4, 6] if density > 0.5 else [3, 4, 4, 6, 8]
    while pos < steps - 2:
        if rng.random() > density and pos % 4 != 0:
            pos += 2
            continue
        length = int(rng.choice(lengths))
        length = min(length, steps - pos)
        degree = int(np.clip(degree + rng.choice([-2, -1, -1, 1, 1, 2, 3]), 0, 9))
        notes.append((pos, length, degree))
        pos += length
    # End each idea on a longer note.
    last_pos, _, last_degree = notes[-1]
    notes[-1] = (last_pos, steps - last_pos, last_degree)
    return tuple(notes)


def _snap_to_chord(recipe: Recipe, degree: int, chord_degree: int) -> int:
    """Move a melody degree to the nearest chord tone (for strong beats)."""
    tones = {(chord_degree + 2 * i) % 7 for i in range(3)}
    for offset in (0, -1, 1, -2, 2):
        if (degree + offset) % 7 in tones:
            return degree + offset
    return degree  # pragma: no cover - a triad is always within two steps


@dataclass
class _ScoreBuilder:
    recipe: Recipe
    rng: np.random.Generator
    hits: list[Hit] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.step_s = self.recipe.bar_s / 16.0
        self.mix = dict(MIX_DB)
        self.mix.update(dict(self.recipe.mix_db))

    def time(self, bar: int, step: float) -> float:
        swing = self.recipe.swing * self.step_s if int(step) % 2 == 1 else 0.0
        return bar * self.recipe.bar_s + step * self.step_s + swing

    def add(self, t: float, sound: Sound, gain_db: float, pan: float, send: float) -> None:
        left, right = _pan(pan)
        gain = 10.0 ** (gain_db / 20.0)
        self.hits.append(Hit(round(t * SR), sound, gain * left, gain * right, send * gain))

    def drum(
        self,
        t: float,
        name: str,
        level_db: float,
        velocity: float,
        pan: float = 0.0,
        send: float = 0.0,
        jitter_ms: float = 0.0,
    ) -> None:
        vel = velocity * (1.0 + 0.06 * float(self.rng.standard_normal()))
        if jitter_ms:
            t += jitter_ms * 1e-3 * float(self.rng.standard_normal())
        gain_db = level_db + self.mix[name] + 20.0 * np.log10(max(vel, 0.05))
        self.add(max(t, 0.0), Sound("drum", name), gain_db, pan, send)

    def note(
        self,
        t: float,
        family: str,
        notes: int | tuple[int, ...],
        steps: float,
        level_db: float,
        pan: float,
        send: float,
        *,
        gate_fraction: float = 0.9,
        variant: int = 0,
        velocity: float = 1.0,
    ) -> None:
        gate = round(steps * self.step_s * gate_fraction * SR)
        vel = velocity * (1.0 + 0.04 * float(self.rng.standard_normal()))
        gain_db = level_db + self.mix[family] + 20.0 * np.log10(max(vel, 0.05))
        chord = (notes,) if isinstance(notes, int) else notes
        self.add(t, Sound("note", family, chord, gate, variant), gain_db, pan, send)


def build_score(recipe: Recipe, rng: np.random.Generator) -> list[Hit]:
    """Compose a track: every sound with its start sample, gains and send.

    Parameters
    ----------
    recipe : Recipe
        The track.
    rng : numpy.random.Generator
        The track's seeded generator (used in a fixed order).

    Returns
    -------
    list of Hit
        The score, in composition order (not sorted by time).
    """
    b = _ScoreBuilder(recipe, rng)
    motifs = {
        "verse": _motif(rng, density=0.55, start_degree=2),
        "chorus": _motif(rng, density=0.8, start_degree=4),
        "alt": _motif(rng, density=0.7, start_degree=5),
    }
    pattern = DRUM_PATTERNS[recipe.drums] if recipe.drums else None
    lead_base = 60 + (recipe.tonic - 60) % 12 + 12 * recipe.lead_octave
    bass_low = 28 if recipe.bass == "sub" else 31
    spans = sections(recipe)
    bar = 0
    for index, (section, span) in enumerate(zip(recipe.form, spans, strict=True)):
        layers = SECTION_LAYERS[section.name]
        following = recipe.form[index + 1].name if index + 1 < len(recipe.form) else None
        chords = (
            recipe.chorus_chords
            if section.name in ("chorus", "breakdown")
            else (recipe.verse_chords)
        )
        for i in range(section.bars):
            level = section.level_db
            if section.name == "outro":
                level -= 10.0 * i / section.bars
            late = i >= section.bars // 2
            degree = chords[i % len(chords)]
            _bar_drums(
                b,
                bar,
                section,
                span,
                layers,
                pattern,
                level,
                late,
                first=i == 0,
                fill=(
                    i == section.bars - 1
                    and following in ("chorus", "verse")
                    and section.name in ("verse", "breakdown")
                ),
            )
            if "bass" in layers:
                name = (
                    recipe.chorus_bass_pattern
                    if section.name == "chorus"
                    else (recipe.bass_pattern)
                )
                root = recipe.tonic + SCALES[recipe.mode][degree]
                root = bass_low + (root - bass_low) % 12
                for step, length, interval in BASS_PATTERNS[name]:
                    b.note(
                        b.time(bar, step),
                        "bass",
                        root + interval,
                        length,
                        level + layers["bass"],
                        0.0,
                        0.0,
                        gate_fraction=0.92,
                    )
            if recipe.pad and "pad" in layers:
                voicing = _voicing(recipe, degree)
                for variant, pan in ((0, -0.75), (1, 0.75)):
                    b.note(
                        b.time(bar, 0),
                        "pad",
                        voicing,
                        16,
                        level + layers["pad"],
                        pan,
                        0.35,
                        gate_fraction=1.0,
                        variant=variant,
                    )
            if recipe.keys and "keys" in layers:
                _bar_keys(b, bar, degree, level + layers["keys"])
            if "lead" in layers:
                kind = "chorus" if section.name != "verse" else "verse"
                if section.name == "breakdown":
                    kind = "alt"
                _bar_lead(
                    b,
                    bar,
                    i,
                    degree,
                    motifs[kind],
                    lead_base + (12 if section.name == "chorus" and span.occurrence >= 2 else 0),
                    level + layers["lead"],
                )
            bar += 1
    _final_hit(b, bar, lead_base)
    return b.hits


def _bar_drums(
    b: _ScoreBuilder,
    bar: int,
    section: Section,
    span: SectionSpan,
    layers: dict[str, float],
    pattern: DrumPattern | None,
    level: float,
    late: bool,
    *,
    first: bool,
    fill: bool,
) -> None:
    if pattern is None:
        return
    chorus = section.name == "chorus"
    kick_gain = layers.get("kick", layers["kick_late"] if late and "kick_late" in layers else None)
    if kick_gain is not None:
        kicks = pattern.chorus_kick if chorus else pattern.kick
        for step, ch in enumerate(kicks):
            if ch != ".":
                b.drum(b.time(bar, step), "kick", level + kick_gain, _VELOCITY[ch])
    hat_gain = layers.get("hats", layers["hats_late"] if late and "hats_late" in layers else None)
    if hat_gain is not None:
        hats = pattern.chorus_hat if chorus or span.occurrence >= 1 else pattern.hat
        for step, ch in enumerate(hats):
            if ch != ".":
                b.drum(
                    b.time(bar, step),
                    "hat",
                    level + hat_gain,
                    _VELOCITY[ch],
                    pan=0.35,
                    send=0.05,
                    jitter_ms=1.5,
                )
    if "open" in layers:
        for step, ch in enumerate(pattern.open_hat):
            if ch != ".":
                b.drum(
                    b.time(bar, step),
                    "open",
                    level + layers["open"],
                    _VELOCITY[ch],
                    pan=0.3,
                    send=0.1,
                )
    if "crash" in layers and first:
        b.drum(b.time(bar, 0), "crash", level + layers["crash"], 1.0, pan=-0.4, send=0.2)
    if "snare" in layers:
        snares = pattern.chorus_snare if chorus else pattern.snare
        for step, ch in enumerate(snares):
            if ch == "." or (fill and step >= 8):
                continue
            _snare_hit(b, b.time(bar, step), level + layers["snare"], _VELOCITY[ch])
    if fill:
        for step, (name, vel) in zip((8, 10), (("tom_hi", 0.8), ("tom_lo", 0.85)), strict=True):
            b.drum(
                b.time(bar, step),
                name,
                level,
                vel,
                pan=0.25 if name == "tom_hi" else -0.25,
                send=0.2,
            )
        for step in range(12, 16):
            _snare_hit(b, b.time(bar, step), level, 0.45 + 0.15 * (step - 12))


def _snare_hit(b: _ScoreBuilder, t: float, level: float, velocity: float) -> None:
    sound = b.recipe.snare_sound
    if sound in ("snare", "both"):
        b.drum(t, "snare", level, velocity, send=0.3)
    if sound in ("clap", "both"):
        b.drum(t, "clap", level, velocity, pan=0.1, send=0.35)


def _bar_keys(b: _ScoreBuilder, bar: int, degree: int, level: float) -> None:
    recipe = b.recipe
    voicing = _voicing(recipe, degree, low=60)
    if recipe.keys_pattern == "arp":
        order = [*voicing, voicing[0] + 12, *reversed(voicing[1:])]
        for k, (step, length) in enumerate(KEYS_PATTERNS["arp"]):
            note = order[k % len(order)]
            b.note(
                b.time(bar, step),
                "keys",
                note,
                length,
                level,
                0.5 * (-1) ** k,
                0.3,
                gate_fraction=0.8,
            )
        return
    for step, length in KEYS_PATTERNS[recipe.keys_pattern]:
        b.note(b.time(bar, step), "keys", voicing, length, level, 0.3, 0.3, gate_fraction=0.85)


def _bar_lead(
    b: _ScoreBuilder,
    bar: int,
    bar_in_section: int,
    degree: int,
    motif: tuple[tuple[int, int, int], ...],
    base: int,
    level: float,
) -> None:
    recipe = b.recipe
    half = bar_in_section % 2
    phrase = (bar_in_section // 2) % 4
    echo = 3.0  # dotted eighth
    for step, length, note_degree in motif:
        if step // 16 != half:
            continue
        d = note_degree
        if phrase == 1 and step == motif[-1][0]:
            d += 1  # answer phrase ends elsewhere
        if phrase == 3 and step == motif[-1][0]:
            d = 7 if d >= 4 else 0  # the fourth phrase comes home
        if step % 4 == 0:
            d = _snap_to_chord(recipe, d, degree)
        note = _scale_note(recipe, d, base)
        t = b.time(bar, step % 16)
        b.note(t, "lead", note, length, level, 0.05, 0.25, gate_fraction=0.95)
        for k, (pan, gain_db) in enumerate(((-0.8, -9.0), (0.8, -14.0), (-0.6, -20.0))):
            b.note(
                t + (k + 1) * echo * b.step_s,
                "lead",
                note,
                length,
                level + gain_db,
                pan,
                0.2,
                gate_fraction=0.95,
                velocity=1.0,
            )


def _final_hit(b: _ScoreBuilder, bar: int, lead_base: int) -> None:
    """Place the downbeat after the last bar, where the tonic chord rings out."""
    recipe = b.recipe
    t = b.time(bar, 0)
    ring_steps = 2.5 / b.step_s
    if recipe.ring_drums and recipe.drums:
        b.drum(t, "kick", -2.0, 1.0)
        b.drum(t, "crash", -2.0, 1.0, pan=-0.4, send=0.3)
    if recipe.pad:
        for variant, pan in ((0, -0.75), (1, 0.75)):
            b.note(
                t,
                "pad",
                _voicing(recipe, 0),
                ring_steps,
                -3.0,
                pan,
                0.4,
                gate_fraction=0.5,
                variant=variant,
            )
    if recipe.keys:
        b.note(
            t, "keys", _voicing(recipe, 0, low=60), ring_steps, -3.0, 0.2, 0.4, gate_fraction=0.9
        )
    bass_low = 28 if recipe.bass == "sub" else 31
    root = bass_low + (recipe.tonic - bass_low) % 12
    if recipe.ring_drums:
        b.note(t, "bass", root, ring_steps, -4.0, 0.0, 0.0, gate_fraction=0.4)
    b.note(t, "lead", lead_base, ring_steps, -6.0, 0.05, 0.4, gate_fraction=0.4)
