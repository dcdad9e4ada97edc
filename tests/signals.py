"""Synthesized test audio with known answers: EBU conformance cases, noise, music.

Everything here is generated, seeded and deterministic; nothing is downloaded.

EBU Tech 3341 (V3 2016 / V4 2023, Table 1) and Tech 3342 (V4, Table 1) define
their "minimum requirements" test signals in words and ship them as WAV files in
the EBU loudness test set (v05). The files cannot be fetched here, so each case
is rebuilt from its definition at the requested sample rate. Where the
definition leaves a detail open (a file's exact layout, the construction of the
true-peak cases 20-23), the builder's comment says what was assumed and why.

Where the definitions were read (cited per case below):

[T3341]  EBU Tech 3341 Table 1 (signal descriptions, expected values and
         tolerances) as transcribed in public code: the README conformance table
         of lcweden/loudness-audio-worklet-processor, the reference data and
         tests of jmrplens/phonometry ("EBU Tech 3341:2023 Table 1"), and the
         synthesized Catch2 tests of a C++ port of libebur128 (cases 1-5, 9-19).
[T3342]  EBU Tech 3342 Table 1 (cases 1-4), same sources.
[SET]    EBU loudness test set v05 readme (melchiorrecaruso/audiometer,
         references/ebu-loudness-test-setv05/readme.txt): file list, channel order
         L, R, C, Ls, Rs for case 6, cases 9-23 added in v04.
[RULES]  Per-file check times of lcweden/loudness-audio-worklet-processor's
         validation rules (segment layout of cases 10, 11, 13 and 14).
[DOMAIN] /work/shared/domain/loudness.md (runout's own notes on the cases).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy import signal as sps

Measure = Literal[
    "integrated_lufs",
    "loudness_range_lu",
    "max_momentary_lufs",
    "max_short_term_lufs",
    "true_peak_dbtp",
    "sample_peak_dbfs",
]
Document = Literal["Tech 3341", "Tech 3342"]

#: Tech 3341: M, S and I within +/-0.1 LU.
LOUDNESS_TOLERANCE_LU = 0.1
#: Tech 3342: LRA within +/-1 LU.
LRA_TOLERANCE_LU = 1.0
#: Tech 3341: true peak within +0.2 / -0.4 dB.
TRUE_PEAK_ABOVE_DB = 0.2
TRUE_PEAK_BELOW_DB = 0.4

#: The two rates the conformance suite runs at.
RATES = (44100, 48000)


@dataclass(frozen=True)
class Check:
    """One expected reading: a measure of a frame range of the case's signal.

    Attributes
    ----------
    measure
        The :class:`~sequencer.analysis.TrackAnalysis` field to compare.
    expected
        The value the standard expects.
    below, above
        How far under / over ``expected`` a reading may be (both positive).
    start, stop
        Frames of the case's samples to analyse (``stop=None``: to the end). Cases
        that the EBU ships as one file per segment (10, 13) or checks per segment
        (11, 14) have one check per segment.
    label
        Short name of the segment, for messages.
    """

    measure: Measure
    expected: float
    below: float
    above: float
    start: int = 0
    stop: int | None = None
    label: str = ""

    def accepts(self, value: float | None) -> bool:
        """Return True when ``value`` is within the tolerance window."""
        if value is None or not math.isfinite(value):
            return False
        return self.expected - self.below <= value <= self.expected + self.above


@dataclass(frozen=True)
class ConformanceCase:
    """A synthesized EBU test signal with the readings it must give.

    Attributes
    ----------
    document
        "Tech 3341" or "Tech 3342".
    number
        The case number in the document's Table 1.
    title
        One-line description of the signal.
    sample_rate
        Sample rate of ``samples`` in Hz.
    samples
        float64, shape (frames, channels); full scale 1.0. Stereo except case 6 (5.0).
    checks
        The expected readings.
    """

    document: Document
    number: int
    title: str
    sample_rate: int
    samples: NDArray[np.float64]
    checks: tuple[Check, ...]

    @property
    def measures(self) -> tuple[Measure, ...]:
        """The measures this case checks, in first-seen order."""
        return tuple(dict.fromkeys(check.measure for check in self.checks))


@dataclass(frozen=True)
class CaseInfo:
    """Table row for one case: what it is, what it expects, where it is defined."""

    title: str
    measures: tuple[Measure, ...]
    expected: str
    tolerance: str
    source: str
    assumption: str = ""


_LOUD = "+/-0.1 LU"
_TP = "+0.2/-0.4 dB"

#: EBU Tech 3341 Table 1, the synthesizable cases (7 and 8 are programme material).
TECH3341: dict[int, CaseInfo] = {
    1: CaseInfo(
        "stereo 1 kHz sine at -23 dBFS, 20 s",
        ("integrated_lufs", "max_momentary_lufs", "max_short_term_lufs"),
        "M, S, I = -23.0 LUFS",
        _LOUD,
        "T3341",
    ),
    2: CaseInfo(
        "stereo 1 kHz sine at -33 dBFS, 20 s",
        ("integrated_lufs", "max_momentary_lufs", "max_short_term_lufs"),
        "M, S, I = -33.0 LUFS",
        _LOUD,
        "T3341",
    ),
    3: CaseInfo(
        "1 kHz: -36 dBFS 10 s, -23 dBFS 60 s, -36 dBFS 10 s",
        ("integrated_lufs",),
        "I = -23.0 LUFS",
        _LOUD,
        "T3341 (v02 signal, relative gate -10 LU)",
    ),
    4: CaseInfo(
        "1 kHz: -72/-36/-23/-36/-72 dBFS, 10/10/60/10/10 s",
        ("integrated_lufs",),
        "I = -23.0 LUFS",
        _LOUD,
        "T3341 (v02 signal)",
    ),
    5: CaseInfo(
        "1 kHz: -26 dBFS 20 s, -20 dBFS 20.1 s, -26 dBFS 20 s",
        ("integrated_lufs",),
        "I = -23.0 LUFS",
        _LOUD,
        "T3341 (v02 signal)",
    ),
    6: CaseInfo(
        "5.0 1 kHz sine, L/R -28, C -24, Ls/Rs -30 dBFS, 20 s",
        ("integrated_lufs",),
        "I = -23.0 LUFS",
        _LOUD,
        "T3341; channel order from SET",
    ),
    9: CaseInfo(
        "1 kHz: (1.34 s at -20 dBFS, 1.66 s at -30 dBFS) x 5",
        ("max_short_term_lufs",),
        "S = -23.0 LUFS, constant after 3 s",
        _LOUD,
        "T3341",
        "the API reports only the maximum S, so max S = -23.0 is checked",
    ),
    10: CaseInfo(
        "20 files: 3 s burst at -23 dBFS after 0, 0.15 ... 2.85 s of silence",
        ("max_short_term_lufs",),
        "max S = -23.0 LUFS for each file",
        _LOUD,
        "T3341; offsets and length from RULES and phonometry",
        "each file is 6 s (silence k*0.15 s, burst 3 s, silence 3 - k*0.15 s)",
    ),
    11: CaseInfo(
        "20 x 6 s segments: 3 s burst at -38 ... -19 dBFS, offset k*0.15 s",
        ("max_short_term_lufs",),
        "max S = -38.0, -37.0 ... -19.0 LUFS, successive values",
        _LOUD,
        "T3341; 6 s segments from RULES (checks at 3, 10 ... 120 s)",
        "each 6 s segment is analysed alone (bursts are 3.15 s apart, so no 3 s "
        "window sees two of them)",
    ),
    12: CaseInfo(
        "1 kHz: (0.18 s at -20 dBFS, 0.22 s at -30 dBFS) x 25",
        ("max_momentary_lufs",),
        "M = -23.0 LUFS, constant after 1 s",
        _LOUD,
        "T3341",
        "the API reports only the maximum M, so max M = -23.0 is checked",
    ),
    13: CaseInfo(
        "20 files: 0.4 s burst at -23 dBFS after 0, 0.02 ... 0.38 s of silence",
        ("max_momentary_lufs",),
        "max M = -23.0 LUFS for each file",
        _LOUD,
        "T3341; offsets from DOMAIN, RULES and phonometry",
        "each file is 0.8 s (silence k*0.02 s, burst 0.4 s, silence 0.4 - k*0.02 s)",
    ),
    14: CaseInfo(
        "20 x 0.8 s segments: 0.4 s burst at -38 ... -19 dBFS, offset k*0.02 s",
        ("max_momentary_lufs",),
        "max M = -38.0 ... -19.0 LUFS, successive values",
        _LOUD,
        "T3341; 0.8 s segments from RULES (checks at 0.8 ... 16.0 s)",
        "each 0.8 s segment is analysed alone (bursts are 0.42 s apart)",
    ),
    15: CaseInfo(
        "stereo sine fs/4, phase 0 deg, -6 dBFS",
        ("true_peak_dbtp",),
        "TP = -6.0 dBTP",
        _TP,
        "T3341",
        "3 s with 10 ms linear fades in and out (length and fades not given)",
    ),
    16: CaseInfo(
        "stereo sine fs/4, phase 45 deg, -6 dBFS",
        ("true_peak_dbtp",),
        "TP = -6.0 dBTP",
        _TP,
        "T3341",
        "as case 15",
    ),
    17: CaseInfo(
        "stereo sine fs/6, phase 60 deg, -6 dBFS",
        ("true_peak_dbtp",),
        "TP = -6.0 dBTP",
        _TP,
        "T3341",
        "as case 15",
    ),
    18: CaseInfo(
        "stereo sine fs/8, phase 67.5 deg, -6 dBFS",
        ("true_peak_dbtp",),
        "TP = -6.0 dBTP",
        _TP,
        "T3341",
        "as case 15",
    ),
    19: CaseInfo(
        "stereo sine fs/4, phase 45 deg, +3 dBFS (amplitude 1.41, samples +/-0.997)",
        ("true_peak_dbtp",),
        "TP = +3.0 dBTP",
        _TP,
        "T3341",
        "as case 15",
    ),
    20: CaseInfo(
        "one full-scale period of fs/4 inside an fs/6 sine, band-limited, sample offset 0",
        ("true_peak_dbtp",),
        "TP = 0.0 dBTP",
        _TP,
        "T3341 (expected value); construction from DOMAIN and phonometry",
        "built at 4 fs, low-passed at 0.45 fs, scaled to a 0.0 dBTP band-limited peak, "
        "decimated by 4 at offset 0-3; the fs/6 tone is at half the burst's amplitude",
    ),
    21: CaseInfo(
        "as case 20, sample offset 1",
        ("true_peak_dbtp",),
        "TP = 0.0 dBTP",
        _TP,
        "as case 20",
        "as case 20",
    ),
    22: CaseInfo(
        "as case 20, sample offset 2",
        ("true_peak_dbtp",),
        "TP = 0.0 dBTP",
        _TP,
        "as case 20",
        "as case 20",
    ),
    23: CaseInfo(
        "as case 20, sample offset 3",
        ("true_peak_dbtp",),
        "TP = 0.0 dBTP",
        _TP,
        "as case 20",
        "as case 20",
    ),
}

#: EBU Tech 3342 Table 1, the synthesizable cases (5 and 6 are programme material).
TECH3342: dict[int, CaseInfo] = {
    1: CaseInfo(
        "1 kHz: -20 dBFS 20 s, -30 dBFS 20 s",
        ("loudness_range_lu",),
        "LRA = 10 LU",
        "+/-1 LU",
        "T3342",
    ),
    2: CaseInfo(
        "1 kHz: -20 dBFS 20 s, -15 dBFS 20 s",
        ("loudness_range_lu",),
        "LRA = 5 LU",
        "+/-1 LU",
        "T3342",
    ),
    3: CaseInfo(
        "1 kHz: -40 dBFS 20 s, -20 dBFS 20 s",
        ("loudness_range_lu",),
        "LRA = 20 LU",
        "+/-1 LU",
        "T3342",
    ),
    4: CaseInfo(
        "1 kHz: -50/-35/-20/-35/-50 dBFS, 20 s each",
        ("loudness_range_lu",),
        "LRA = 15 LU",
        "+/-1 LU",
        "T3342",
    ),
}


# ---------------------------------------------------------------------------
# General-purpose generators
# ---------------------------------------------------------------------------


def frames_for(seconds: float, rate: int) -> int:
    """Return the whole number of frames nearest to ``seconds`` at ``rate``."""
    return round(seconds * rate)


def db_to_amplitude(db: float) -> float:
    """Return the linear amplitude of a level in dB re full scale."""
    return float(10.0 ** (db / 20.0))


def sine(
    freq: float,
    dbfs_peak: float,
    seconds: float,
    rate: int,
    channels: int = 2,
    phase: float = 0.0,
) -> NDArray[np.float64]:
    """Return a sine with the given peak level in every channel.

    Parameters
    ----------
    freq
        Frequency in Hz.
    dbfs_peak
        Peak level in dBFS (amplitude ``10 ** (dbfs_peak / 20)``; full scale 1.0).
    seconds
        Duration; rounded to whole frames.
    rate
        Sample rate in Hz.
    channels
        Number of identical channels.
    phase
        Starting phase in radians.

    Returns
    -------
    numpy.ndarray
        float64, shape (frames, channels).
    """
    n = frames_for(seconds, rate)
    mono = db_to_amplitude(dbfs_peak) * np.sin(2.0 * np.pi * freq * np.arange(n) / rate + phase)
    return np.repeat(mono[:, None], channels, axis=1)


def pink_noise(
    seconds: float,
    rate: int,
    seed: int,
    dbfs_rms: float,
    channels: int = 2,
) -> NDArray[np.float64]:
    """Return seeded pink (1/f) noise, 20 Hz to 20 kHz, independent per channel.

    Parameters
    ----------
    seconds
        Duration; rounded to whole frames.
    rate
        Sample rate in Hz.
    seed
        Seed of ``numpy.random.default_rng``.
    dbfs_rms
        RMS level of each channel in dBFS (full-scale sine RMS is -3.01 dBFS here:
        the reference is an RMS of 1.0).
    channels
        Number of independent channels.

    Returns
    -------
    numpy.ndarray
        float64, shape (frames, channels).
    """
    n = frames_for(seconds, rate)
    rng = np.random.default_rng(seed)
    spectrum = np.fft.rfft(rng.standard_normal((channels, n)), axis=1)
    freqs = np.fft.rfftfreq(n, 1.0 / rate)
    band = (freqs >= 20.0) & (freqs <= min(20000.0, 0.45 * rate))
    shape = np.zeros_like(freqs)
    shape[band] = 1.0 / np.sqrt(freqs[band])
    noise = np.fft.irfft(spectrum * shape, n=n, axis=1)
    noise *= db_to_amplitude(dbfs_rms) / np.sqrt(np.mean(noise**2, axis=1, keepdims=True))
    return np.ascontiguousarray(noise.T)


def music_like(seconds: float, rate: int, seed: int) -> NDArray[np.float64]:
    """Return a seeded stereo signal with the structure of pop music.

    A kick, snare and hi-hat pattern at a seeded tempo, a bassline, pad chords and
    a few lead tones over a noise bed pumped by the beat envelope. Sections change
    level (quiet intro, verses, loud choruses, a quiet breakdown) so the gating and
    the loudness range have something to do. Peak-normalised to -1 dBFS.

    Parameters
    ----------
    seconds
        Duration; rounded to whole frames.
    rate
        Sample rate in Hz.
    seed
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    numpy.ndarray
        float64, shape (frames, 2).
    """
    rng = np.random.default_rng(seed)
    n = frames_for(seconds, rate)
    t = np.arange(n) / rate
    beat = 60.0 / rng.uniform(88.0, 136.0)
    out = np.zeros((n, 2))

    def add(at: float, sound: NDArray[np.float64], pan: float) -> None:
        # Constant-power pan: 0 is left, 0.5 centre, 1 right.
        start = int(at * rate)
        if start >= n:
            return
        piece = sound[: n - start]
        out[start : start + piece.size, 0] += piece * math.cos(0.5 * math.pi * pan)
        out[start : start + piece.size, 1] += piece * math.sin(0.5 * math.pi * pan)

    # Drums: kick on every beat, snare on 2 and 4, hats on eighths.
    kt = np.arange(frames_for(0.35, rate)) / rate
    kick = np.sin(2.0 * np.pi * (45.0 * kt + 65.0 * 0.03 * (1.0 - np.exp(-kt / 0.03)))) * np.exp(
        -kt / 0.12
    )
    hp_hat = sps.butter(2, 7000.0, "highpass", fs=rate, output="sos")
    bp_snare = sps.butter(2, [180.0, 5000.0], "bandpass", fs=rate, output="sos")
    st = np.arange(frames_for(0.25, rate)) / rate
    ht = np.arange(frames_for(0.08, rate)) / rate
    for k in range(int(seconds / beat) + 1):
        at = k * beat
        add(at, 0.9 * kick, 0.5)
        if k % 2 == 1:
            body = sps.sosfilt(bp_snare, rng.standard_normal(st.size)) * np.exp(-st / 0.07)
            tone = 0.3 * np.sin(2.0 * np.pi * 190.0 * st) * np.exp(-st / 0.05)
            add(at, 0.5 * body + tone, 0.45)
        for half in (0.0, 0.5):
            hat = sps.sosfilt(hp_hat, rng.standard_normal(ht.size)) * np.exp(-ht / 0.02)
            add(at + half * beat, 0.25 * rng.uniform(0.6, 1.0) * hat, 0.7)

    # Bass and pads follow a seeded four-chord loop, one chord per bar (4 beats).
    roots = 55.0 * 2.0 ** (rng.choice([0, 3, 5, 7, 8, 10], size=4) / 12.0)
    bar = np.floor(t / (4.0 * beat)).astype(int) % 4
    root = roots[bar]
    eighth = (t % (beat / 2.0)) / (beat / 2.0)
    bass_phase = 2.0 * np.pi * np.cumsum(root) / rate
    bass = np.zeros(n)
    for h in range(1, 7):
        bass += np.sin(h * bass_phase) / h
    out += 0.35 * (bass * np.exp(-eighth * 2.5))[:, None]
    pad_phase = 2.0 * np.pi * np.cumsum(4.0 * root) / rate
    vibrato = 0.002 * np.sin(2.0 * np.pi * 5.0 * t)
    pad = np.zeros(n)
    for ratio in (1.0, 1.26, 1.5):
        pad += np.sin(ratio * pad_phase * (1.0 + vibrato))
    swell = 0.6 + 0.4 * np.sin(2.0 * np.pi * t / (8.0 * beat)) ** 2
    out[:, 0] += 0.08 * pad * swell
    out[:, 1] += 0.08 * np.roll(pad, frames_for(0.012, rate)) * swell

    # A few lead tones, 500 Hz to 2 kHz.
    for _ in range(max(1, int(seconds / 3.0))):
        length = rng.uniform(0.15, 0.6)
        lt = np.arange(frames_for(length, rate)) / rate
        freq = rng.uniform(500.0, 2000.0)
        env = np.minimum(1.0, lt / 0.01) * np.exp(-lt / (0.5 * length))
        add(
            rng.uniform(0.0, seconds),
            0.25 * np.sin(2.0 * np.pi * freq * lt) * env,
            rng.uniform(0.2, 0.8),
        )

    # Noise bed pumped by the beat (the envelope dips after each kick).
    pump = 1.0 - 0.7 * np.exp(-(t % beat) / 0.08)
    bed = pink_noise(seconds, rate, seed + 1_000_003, -30.0)
    out += bed * pump[:, None]

    # Sections: quiet intro, verse, loud chorus, quiet breakdown, loud chorus, outro.
    plan_db = np.array([-14.0, -6.0, 0.0, -6.0, -18.0, 0.0, -10.0])
    edges = np.linspace(0.0, seconds, plan_db.size + 1)
    centres = 0.5 * (edges[:-1] + edges[1:])
    level_db = np.interp(t, centres, plan_db)
    level_db = np.where(t < edges[1], plan_db[0], level_db)
    out *= 10.0 ** (level_db[:, None] / 20.0)
    out *= db_to_amplitude(-1.0) / np.max(np.abs(out))
    return out


# ---------------------------------------------------------------------------
# EBU cases
# ---------------------------------------------------------------------------


def _tone_steps(steps: list[tuple[float | None, float]], rate: int) -> NDArray[np.float64]:
    """Concatenate stereo 1 kHz tone steps ``(level dBFS or None for silence, seconds)``.

    Every step starts at phase 0; the step lengths of the EBU cases are whole
    numbers of 1 kHz periods, so the joins are phase-continuous anyway.
    """
    parts = [
        np.zeros((frames_for(seconds, rate), 2))
        if level is None
        else sine(1000.0, level, seconds, rate)
        for level, seconds in steps
    ]
    return np.concatenate(parts)


def _loud(
    measure: Measure, expected: float, start: int = 0, stop: int | None = None, label: str = ""
) -> Check:
    return Check(
        measure, expected, LOUDNESS_TOLERANCE_LU, LOUDNESS_TOLERANCE_LU, start, stop, label
    )


def _burst_segments(
    levels: list[float], burst_s: float, offset_step_s: float, rate: int, measure: Measure
) -> tuple[NDArray[np.float64], tuple[Check, ...]]:
    """Bursts in segments of twice the burst length, each burst delayed by k * offset_step.

    Segment k is: silence k*offset_step, burst at ``levels[k]``, silence filling the
    segment (at least one offset step, because k <= 19 and 20 * step = burst).
    """
    segment = frames_for(2.0 * burst_s, rate)
    burst = frames_for(burst_s, rate)
    parts = []
    checks = []
    for k, level in enumerate(levels):
        lead = frames_for(k * offset_step_s, rate)
        piece = np.zeros((segment, 2))
        piece[lead : lead + burst] = sine(1000.0, level, burst_s, rate)
        parts.append(piece)
        checks.append(_loud(measure, level, k * segment, (k + 1) * segment, f"segment {k + 1}"))
    return np.concatenate(parts), tuple(checks)


def _true_peak_sine(
    fraction: float, amplitude: float, phase_deg: float, rate: int
) -> NDArray[np.float64]:
    """Sine at ``fraction * rate`` for cases 15-19, 3 s with 10 ms linear fades.

    Assumed: the table gives frequency, phase and level; the length and the fades
    are not given. The fades stop the abrupt onset from adding reconstruction
    overshoot at the edges (phonometry's transcription applies the same fade).
    """
    n = frames_for(3.0, rate)
    x = amplitude * np.sin(2.0 * np.pi * fraction * np.arange(n) + math.radians(phase_deg))
    fade = frames_for(0.01, rate)
    ramp = np.linspace(0.0, 1.0, fade)
    x[:fade] *= ramp
    x[-fade:] *= ramp[::-1]
    return np.repeat(x[:, None], 2, axis=1)


def _intersample_burst(offset: int, rate: int) -> NDArray[np.float64]:
    """Cases 20-23: one period of fs/4 hidden in an fs/6 sine, read at a sample offset.

    Assumed construction (the EBU files are not available; the table gives the
    expected 0.0 dBTP; runout's domain notes and phonometry describe the signal as
    one full-scale period of fs/4 inside an fs/6 sine, band-limited and decimated
    at four sample offsets):

    1. At 4 fs, an fs/6 sine of amplitude 0.5 carries one period of fs/4 at
       amplitude 1.0, phase-continuous and starting at a zero crossing, in the
       middle of a 3 s signal with 10 ms fades.
    2. A zero-phase linear-phase low-pass (cutoff 0.45 fs, stop band from about
       0.475 fs, about 100 dB down) makes it band-limited for the rate fs.
    3. It is scaled so that the peak of the band-limited waveform (found by a
       further 16x interpolation) is exactly 1.0, i.e. 0.0 dBTP.
    4. Every fourth sample from ``offset`` (0-3) gives the signal at fs: the same
       waveform, sampled at four different phases relative to its peak.
    """
    over = 4
    fs4 = over * rate
    n4 = frames_for(3.0, fs4)
    freq = np.full(n4, rate / 6.0)
    amp = np.full(n4, 0.5)
    base_period = 6 * over  # samples of fs/6 at 4 fs
    start = (n4 // 2) // base_period * base_period  # a zero crossing of the base sine
    burst_len = 4 * over  # one period of fs/4 at 4 fs
    freq[start : start + burst_len] = rate / 4.0
    amp[start : start + burst_len] = 1.0
    phase = 2.0 * np.pi * np.concatenate(([0.0], np.cumsum(freq[:-1]))) / fs4
    x4 = amp * np.sin(phase)
    fade = frames_for(0.01, fs4)
    ramp = np.linspace(0.0, 1.0, fade)
    x4[:fade] *= ramp
    x4[-fade:] *= ramp[::-1]
    taps = sps.firwin(1025, 0.45 * rate, window=("kaiser", 10.0), fs=fs4)
    x4 = np.convolve(x4, taps, mode="same")
    around = x4[start - 4000 : start + 4000]
    fine = sps.resample_poly(around, 16, 1, window=("kaiser", 10.0))
    x4 /= np.max(np.abs(fine))
    x = x4[offset::over]
    return np.repeat(x[:, None], 2, axis=1)


def tech3341_case(n: int, sample_rate: int) -> ConformanceCase:
    """Build EBU Tech 3341 Table 1 case ``n`` at ``sample_rate``.

    Parameters
    ----------
    n
        Case number: 1-6 or 9-23 (7 and 8 are programme material).
    sample_rate
        Sample rate in Hz.

    Returns
    -------
    ConformanceCase
        The signal and its expected readings.

    Raises
    ------
    ValueError
        For a case that cannot be synthesized.
    """
    if n not in TECH3341:
        raise ValueError(
            f"Tech 3341 case {n} is not synthesizable (7 and 8 are programme material)"
        )
    rate = sample_rate
    checks: tuple[Check, ...]
    if n in (1, 2):
        # [T3341] cases 1-2: stereo 1 kHz sine, 20 s; M, S and I all read the level.
        level = -23.0 if n == 1 else -33.0
        samples = _tone_steps([(level, 20.0)], rate)
        checks = tuple(
            _loud(m, level)
            for m in ("integrated_lufs", "max_momentary_lufs", "max_short_term_lufs")
        )
    elif n in (3, 4, 5):
        # [T3341] cases 3-5 (v02 signals for the -10 LU relative gate): I = -23.0.
        steps: dict[int, list[tuple[float | None, float]]] = {
            3: [(-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0)],
            4: [(-72.0, 10.0), (-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0), (-72.0, 10.0)],
            5: [(-26.0, 20.0), (-20.0, 20.1), (-26.0, 20.0)],
        }
        samples = _tone_steps(steps[n], rate)
        checks = (_loud("integrated_lufs", -23.0),)
    elif n == 6:
        # [T3341] case 6, channel order L, R, C, Ls, Rs from [SET]; BS.1770 weights
        # 1.0 for L, R, C and 1.41 for Ls, Rs make I = -23.0.
        levels = (-28.0, -28.0, -24.0, -30.0, -30.0)
        samples = np.concatenate(
            [sine(1000.0, lv, 20.0, rate, channels=1) for lv in levels], axis=1
        )
        checks = (_loud("integrated_lufs", -23.0),)
    elif n == 9:
        # [T3341] case 9: the 3 s window always holds 1.34 s at -20 and 1.66 s at
        # -30 dBFS once it is full, so S = -23.0 from 3 s on.
        samples = _tone_steps([(-20.0, 1.34), (-30.0, 1.66)] * 5, rate)
        checks = (_loud("max_short_term_lufs", -23.0),)
    elif n == 10:
        # [T3341] case 10 is 20 files seq-3341-10-1 ... -20; [RULES] checks file 1 at
        # 3 s, files 2-7 at 4 s, 8-14 at 5 s, 15-20 at 6 s: burst k starts at k*0.15 s.
        samples, checks = _burst_segments([-23.0] * 20, 3.0, 0.15, rate, "max_short_term_lufs")
    elif n == 11:
        # [T3341] case 11, one file; [RULES] checks the 20 maxima at 3, 10, 16 ... 120 s.
        samples, checks = _burst_segments(
            [-38.0 + k for k in range(20)], 3.0, 0.15, rate, "max_short_term_lufs"
        )
    elif n == 12:
        # [T3341] case 12: the 400 ms window always holds 0.18 s at -20 and 0.22 s
        # at -30 dBFS, so M = -23.0 from 0.4 s on (the table says after 1 s).
        samples = _tone_steps([(-20.0, 0.18), (-30.0, 0.22)] * 25, rate)
        checks = (_loud("max_momentary_lufs", -23.0),)
    elif n == 13:
        # [T3341] case 13 is 20 files seq-3341-13-1 ... -20 with the 400 ms burst at
        # arbitrary 20 ms offsets [DOMAIN]; [RULES] checks each file by 1 s.
        samples, checks = _burst_segments([-23.0] * 20, 0.4, 0.02, rate, "max_momentary_lufs")
    elif n == 14:
        # [T3341] case 14, one file; [RULES] checks the 20 maxima every 0.8 s to 16 s.
        samples, checks = _burst_segments(
            [-38.0 + k for k in range(20)], 0.4, 0.02, rate, "max_momentary_lufs"
        )
    elif n in (15, 16, 17, 18, 19):
        # [T3341] cases 15-19: (frequency / fs, amplitude, phase in degrees, expected dBTP).
        fraction, amplitude, phase_deg, expected = {
            15: (1.0 / 4.0, 0.5, 0.0, -6.0),
            16: (1.0 / 4.0, 0.5, 45.0, -6.0),
            17: (1.0 / 6.0, 0.5, 60.0, -6.0),
            18: (1.0 / 8.0, 0.5, 67.5, -6.0),
            19: (1.0 / 4.0, 1.41, 45.0, 3.0),
        }[n]
        samples = _true_peak_sine(fraction, amplitude, phase_deg, rate)
        checks = (Check("true_peak_dbtp", expected, TRUE_PEAK_BELOW_DB, TRUE_PEAK_ABOVE_DB),)
    else:
        # [T3341] cases 20-23: expected 0.0 dBTP; construction assumed, see _intersample_burst.
        samples = _intersample_burst(n - 20, rate)
        checks = (Check("true_peak_dbtp", 0.0, TRUE_PEAK_BELOW_DB, TRUE_PEAK_ABOVE_DB),)
    return ConformanceCase("Tech 3341", n, TECH3341[n].title, rate, samples, checks)


def tech3342_case(n: int, sample_rate: int) -> ConformanceCase:
    """Build EBU Tech 3342 Table 1 case ``n`` (1-4) at ``sample_rate``.

    Parameters
    ----------
    n
        Case number: 1-4 (5 and 6 are programme material).
    sample_rate
        Sample rate in Hz.

    Returns
    -------
    ConformanceCase
        The signal and its expected loudness range.

    Raises
    ------
    ValueError
        For a case that cannot be synthesized.
    """
    # [T3342] stereo 1 kHz tone steps of 20 s each; LRA within +/-1 LU.
    steps: dict[int, tuple[tuple[float, ...], float]] = {
        1: ((-20.0, -30.0), 10.0),
        2: ((-20.0, -15.0), 5.0),
        3: ((-40.0, -20.0), 20.0),
        4: ((-50.0, -35.0, -20.0, -35.0, -50.0), 15.0),
    }
    if n not in steps:
        raise ValueError(
            f"Tech 3342 case {n} is not synthesizable (5 and 6 are programme material)"
        )
    levels, lra = steps[n]
    samples = _tone_steps([(level, 20.0) for level in levels], sample_rate)
    check = Check("loudness_range_lu", lra, LRA_TOLERANCE_LU, LRA_TOLERANCE_LU)
    return ConformanceCase("Tech 3342", n, TECH3342[n].title, sample_rate, samples, (check,))


def conformance_case(document: Document, n: int, sample_rate: int) -> ConformanceCase:
    """Build case ``n`` of ``document`` ("Tech 3341" or "Tech 3342")."""
    return (
        tech3341_case(n, sample_rate) if document == "Tech 3341" else tech3342_case(n, sample_rate)
    )
