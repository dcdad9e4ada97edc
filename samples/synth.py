"""Vectorised instruments and mastering tools for the demo album.

Everything here is plain numpy/scipy, seeded and free of per-sample Python
loops: sounds are rendered once as short arrays (one-shots, notes) and then
placed on the timeline; bus processing (reverb, limiter, loudness) works on
whole arrays in C-speed calls. Big arrays are ``float32``; small sounds are
computed in ``float64`` and stored as ``float32``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import ndimage, signal

SR = 44100
"""Sample rate of the demo album in Hz."""

Audio = npt.NDArray[np.float32]
Array = npt.NDArray[np.float64]

_TABLE_SIZE = 4096
_REVERB_DECIMATION = 4


def midi_hz(note: float) -> float:
    """Return the frequency in Hz of a MIDI note number (A4 = 69 = 440 Hz).

    Parameters
    ----------
    note : float
        MIDI note number.

    Returns
    -------
    float
        Frequency in Hz.
    """
    return 440.0 * 2.0 ** ((note - 69.0) / 12.0)


def db(value_db: float) -> float:
    """Return the linear amplitude factor of a level in dB."""
    return float(10.0 ** (value_db / 20.0))


@lru_cache(maxsize=64)
def sos(kind: Literal["lowpass", "highpass", "bandpass"], freq: float | tuple[float, float],
        order: int = 2) -> Array:
    """Return a Butterworth filter as second-order sections at :data:`SR`.

    Parameters
    ----------
    kind : {"lowpass", "highpass", "bandpass"}
        Filter type.
    freq : float or tuple of float
        Corner frequency in Hz (a pair for band-pass).
    order : int
        Butterworth order.

    Returns
    -------
    numpy.ndarray
        Second-order sections, shape ``(n, 6)``.
    """
    return np.asarray(signal.butter(order, freq, btype=kind, fs=SR, output="sos"))


def filt(x: Array | Audio, kind: Literal["lowpass", "highpass", "bandpass"],
         freq: float | tuple[float, float], order: int = 2) -> Audio:
    """Filter a mono signal with a cached Butterworth design, returning float32."""
    coeffs = sos(kind, freq, order)
    if x.dtype == np.float32:
        coeffs = coeffs.astype(np.float32)
    return np.asarray(signal.sosfilt(coeffs, x), dtype=np.float32)


# --------------------------------------------------------------------------------------
# Tonal instruments: band-limited wavetables read with linear interpolation.
# --------------------------------------------------------------------------------------

Shape = Literal["saw", "square", "triangle", "sine", "organ", "vox", "epiano", "flute"]

_FORMANTS_AH = ((700.0, 130.0, 1.0), (1150.0, 150.0, 0.6), (2650.0, 200.0, 0.35))


def _harmonic_amps(shape: Shape, f0: float, cutoff_hz: float) -> Array:
    """Harmonic amplitudes (sine phase) of one waveform, rolled off above ``cutoff_hz``."""
    top = min(0.45 * SR, 16000.0)
    count = max(1, int(top // f0))
    k = np.arange(1, count + 1, dtype=np.float64)
    freqs = k * f0
    if shape == "saw":
        amps = 1.0 / k
    elif shape == "square":
        amps = np.where(k % 2 == 1, 1.0 / k, 0.0)
    elif shape == "triangle":
        amps = np.where(k % 2 == 1, (-1.0) ** ((k - 1) / 2) / k**2, 0.0)
    elif shape == "sine":
        amps = np.where(k == 1, 1.0, 0.0)
    elif shape == "organ":  # drawbars 8', 4', 2 2/3', 2', 1 3/5'
        amps = np.zeros_like(k)
        for harmonic, level in ((1, 1.0), (2, 0.7), (3, 0.45), (4, 0.35), (5, 0.12), (6, 0.1)):
            if harmonic <= count:
                amps[harmonic - 1] = level
    elif shape == "vox":  # a sung "ah": glottal tilt shaped by three formants
        resonance = np.full_like(k, 0.03)
        for centre, width, level in _FORMANTS_AH:
            resonance += level / (1.0 + ((freqs - centre) / width) ** 2)
        amps = resonance / k**0.6
    elif shape == "epiano":
        amps = np.zeros_like(k)
        for harmonic, level in ((1, 1.0), (2, 0.28), (3, 0.1), (4, 0.05)):
            if harmonic <= count:
                amps[harmonic - 1] = level
    elif shape == "flute":
        amps = np.zeros_like(k)
        for harmonic, level in ((1, 1.0), (2, 0.22), (3, 0.07), (4, 0.02)):
            if harmonic <= count:
                amps[harmonic - 1] = level
    else:  # pragma: no cover - Literal guards this
        raise ValueError(shape)
    rolloff = 1.0 / np.sqrt(1.0 + (freqs / cutoff_hz) ** 4)  # 12 dB/octave corner
    return np.asarray(amps * rolloff, dtype=np.float64)


@lru_cache(maxsize=512)
def _wavetable(shape: Shape, f0: float, cutoff_hz: float) -> Array:
    """One band-limited cycle (peak 1) with a guard sample for interpolation."""
    amps = _harmonic_amps(shape, f0, cutoff_hz)
    spectrum = np.zeros(_TABLE_SIZE // 2 + 1, dtype=np.complex128)
    spectrum[1 : len(amps) + 1] = -1j * amps * (_TABLE_SIZE / 2)
    table = np.fft.irfft(spectrum, _TABLE_SIZE)
    table /= np.max(np.abs(table))
    return np.append(table, table[0])


def _read_table(table: Array, cycles: Array) -> Array:
    """Read a wavetable at fractional cycle positions with linear interpolation."""
    pos = (cycles % 1.0) * _TABLE_SIZE
    index = pos.astype(np.int64)
    frac = pos - index
    return np.asarray(table[index] + frac * (table[index + 1] - table[index]))


@dataclass(frozen=True)
class Timbre:
    """A simple subtractive-style voice.

    Attributes
    ----------
    shape : str
        Waveform of the oscillator.
    cutoff_hz : float
        Corner of the harmonic roll-off while the note sustains.
    attack_s, decay_s, sustain, release_s : float
        ADSR envelope; ``sustain`` is a linear level.
    bright_hz : float or None
        Brighter corner at the attack, blended out over ``decay_s`` (a filter envelope).
    detune_cents : float
        Two oscillators detuned by +/- this amount (0: one oscillator).
    vibrato_cents, vibrato_hz, vibrato_delay_s : float
        Vibrato depth, rate and onset delay.
    bell_ratio, bell_level, bell_decay_s : float
        An inharmonic sine partial at ``bell_ratio`` times the pitch (electric-piano tine).
    breath : float
        Level of band-passed breath noise (flute, voice).
    """

    shape: Shape
    cutoff_hz: float
    attack_s: float = 0.005
    decay_s: float = 0.3
    sustain: float = 0.7
    release_s: float = 0.1
    bright_hz: float | None = None
    detune_cents: float = 0.0
    vibrato_cents: float = 0.0
    vibrato_hz: float = 5.0
    vibrato_delay_s: float = 0.25
    bell_ratio: float = 0.0
    bell_level: float = 0.0
    bell_decay_s: float = 0.05
    breath: float = 0.0


def envelope(n: int, gate: int, attack_s: float, decay_s: float, sustain: float,
             release_s: float) -> Array:
    """Return an ADSR envelope of ``n`` samples whose gate closes at sample ``gate``.

    Parameters
    ----------
    n : int
        Length in samples (normally gate plus release).
    gate : int
        Sample at which the release begins.
    attack_s, decay_s, sustain, release_s : float
        Envelope times in seconds and the sustain level (linear).

    Returns
    -------
    numpy.ndarray
        Envelope in [0, 1].
    """
    t = np.arange(n, dtype=np.float64) / SR
    a = max(attack_s, 1.0 / SR)
    # Exponential decay towards the sustain level after a linear attack.
    on = np.where(t < a, t / a, sustain + (1.0 - sustain) * np.exp(-(t - a) / max(decay_s, 1e-4)))
    gate_s = gate / SR
    level = float(np.interp(gate_s, t, on)) if n else 0.0
    release = level * np.clip(1.0 - (t - gate_s) / max(release_s, 1e-4), 0.0, 1.0) ** 2
    return np.where(t < gate_s, on, release)


def render_note(timbre: Timbre, note: float, gate: int, *, variant: int = 0,
                breath_noise: Audio | None = None) -> Audio:
    """Render one note of a timbre as a mono float32 array (gate plus release).

    Parameters
    ----------
    timbre : Timbre
        The voice.
    note : float
        MIDI note number.
    gate : int
        Held length in samples; the release follows.
    variant : int
        Selects a slightly different detune and start phase (for stereo pairs).
    breath_noise : numpy.ndarray or None
        A seeded noise buffer to take breath noise from (needed when ``timbre.breath``).

    Returns
    -------
    numpy.ndarray
        The note, peak roughly 1.
    """
    release = int(timbre.release_s * SR)
    n = gate + release
    t = np.arange(n, dtype=np.float64) / SR
    f0 = midi_hz(note)
    cents = np.zeros(n)
    if timbre.vibrato_cents:
        ramp = np.clip((t - timbre.vibrato_delay_s) / 0.3, 0.0, 1.0)
        cents = timbre.vibrato_cents * ramp * np.sin(2 * np.pi * timbre.vibrato_hz * t + variant)
    phase0 = 0.37 * variant
    detunes = (timbre.detune_cents, -timbre.detune_cents) if timbre.detune_cents else (0.0,)
    spread = 1.0 + 0.35 * variant
    body = np.zeros(n)
    bright = np.zeros(n)
    dark_table = _wavetable(timbre.shape, round(f0, 3), timbre.cutoff_hz)
    bright_table = (
        _wavetable(timbre.shape, round(f0, 3), timbre.bright_hz) if timbre.bright_hz else None
    )
    for i, detune in enumerate(detunes):
        freq = f0 * 2.0 ** ((cents + detune * spread) / 1200.0)
        cycles = np.cumsum(freq) / SR + phase0 + 0.21 * i
        body += _read_table(dark_table, cycles)
        if bright_table is not None:
            bright += _read_table(bright_table, cycles)
    body /= len(detunes)
    if bright_table is not None:
        bright /= len(detunes)
        blend = np.exp(-t / max(timbre.decay_s * 0.6, 1e-3))
        body = body * (1.0 - blend) + bright * blend
    if timbre.bell_level:
        body += timbre.bell_level * np.sin(2 * np.pi * f0 * timbre.bell_ratio * t) * np.exp(
            -t / timbre.bell_decay_s
        )
    if timbre.breath and breath_noise is not None:
        start = (int(note * 7919) + 1031 * variant) % max(1, len(breath_noise) - n)
        body += timbre.breath * breath_noise[start : start + n][: len(body)]
    env = envelope(n, gate, timbre.attack_s, timbre.decay_s, timbre.sustain, timbre.release_s)
    return np.asarray(body * env, dtype=np.float32)


# --------------------------------------------------------------------------------------
# Drums: one-shots drawn once per track from the track's seeded generator.
# --------------------------------------------------------------------------------------


def _time(seconds: float) -> Array:
    return np.arange(int(seconds * SR), dtype=np.float64) / SR


def kick(rng: np.random.Generator, *, start_hz: float = 150.0, end_hz: float = 48.0,
         decay_s: float = 0.35, click: float = 0.3) -> Audio:
    """Return a synthesized kick drum: a sine with a falling pitch and a noise click."""
    t = _time(decay_s * 2.2)
    freq = end_hz + (start_hz - end_hz) * np.exp(-t / 0.03)
    body = np.sin(2 * np.pi * np.cumsum(freq) / SR) * np.exp(-t / decay_s)
    body *= np.clip(t / 0.002, 0.0, 1.0)
    noise = filt(rng.standard_normal(len(t)), "bandpass", (1500.0, 4500.0))
    body += click * noise * np.exp(-t / 0.004)
    out = np.tanh(1.6 * body) / np.tanh(1.6)
    out *= np.clip((t[-1] - t) / 0.05, 0.0, 1.0)  # no step at the end
    return np.asarray(out, dtype=np.float32)


def snare(rng: np.random.Generator, *, tone_hz: float = 190.0, decay_s: float = 0.16,
          noise_lp_hz: float = 5000.0) -> Audio:
    """Return a snare: a damped two-mode shell tone plus band-limited noise (wires)."""
    t = _time(decay_s * 3.0)
    shell = np.sin(2 * np.pi * tone_hz * t) + 0.5 * np.sin(2 * np.pi * tone_hz * 1.47 * t)
    shell *= np.exp(-t / 0.05)
    noise = filt(rng.standard_normal(len(t)), "bandpass", (900.0, noise_lp_hz), 2)
    noise = noise * np.exp(-t / decay_s) * 2.0
    out = 0.6 * shell + noise
    out *= np.clip(t / 0.001, 0.0, 1.0) * np.clip((t[-1] - t) / 0.03, 0.0, 1.0)
    return np.asarray(out / np.max(np.abs(out)), dtype=np.float32)


def clap(rng: np.random.Generator) -> Audio:
    """Return a hand clap: three quick noise bursts and a short tail, 0.9-3.5 kHz."""
    t = _time(0.35)
    noise = filt(rng.standard_normal(len(t)), "bandpass", (900.0, 3500.0), 2)
    env = np.exp(-t / 0.11) * 0.6
    for onset in (0.0, 0.011, 0.022):
        env += np.where(t >= onset, np.exp(-(t - onset) / 0.006), 0.0)
    out = noise * env * np.clip((t[-1] - t) / 0.03, 0.0, 1.0)
    return np.asarray(out / np.max(np.abs(out)), dtype=np.float32)


def hat(rng: np.random.Generator, *, decay_s: float = 0.035, hp_hz: float = 7500.0) -> Audio:
    """Return a hi-hat: high-passed noise with an exponential decay (open when long)."""
    t = _time(max(0.08, decay_s * 5.0))
    noise = filt(rng.standard_normal(len(t)), "highpass", hp_hz, 4)
    noise = filt(noise, "lowpass", 14000.0, 2)
    out = noise * np.exp(-t / decay_s) * np.clip(t / 0.0005, 0.0, 1.0)
    out *= np.clip((t[-1] - t) / 0.01, 0.0, 1.0)
    return np.asarray(out / np.max(np.abs(out)), dtype=np.float32)


def crash(rng: np.random.Generator, *, decay_s: float = 1.1) -> Audio:
    """Return a soft, dark crash cymbal (band 3.5-9 kHz, long decay)."""
    t = _time(decay_s * 3.0)
    noise = filt(rng.standard_normal(len(t)), "bandpass", (3500.0, 9000.0), 2)
    out = noise * np.exp(-t / decay_s) * np.clip(t / 0.002, 0.0, 1.0)
    out *= np.clip((t[-1] - t) / 0.1, 0.0, 1.0)
    return np.asarray(out / np.max(np.abs(out)), dtype=np.float32)


def tom(pitch_hz: float) -> Audio:
    """Return a tom: a sine gliding down a fifth with a 0.18 s decay."""
    t = _time(0.5)
    freq = pitch_hz * (1.0 + 0.5 * np.exp(-t / 0.04))
    out = np.sin(2 * np.pi * np.cumsum(freq) / SR) * np.exp(-t / 0.18)
    out *= np.clip((t[-1] - t) / 0.03, 0.0, 1.0)
    return np.asarray(out, dtype=np.float32)


def ess(rng: np.random.Generator, length_s: float) -> Audio:
    """Return a harsh sibilant "sss": noise in the 5-10 kHz band, peaking near 7 kHz.

    Parameters
    ----------
    rng : numpy.random.Generator
        Seeded generator for the noise.
    length_s : float
        Length of the burst in seconds (attack 12 ms, release 30 ms included).

    Returns
    -------
    numpy.ndarray
        The burst with RMS 1 over its body.
    """
    t = _time(length_s)
    noise = filt(rng.standard_normal(len(t)), "bandpass", (5200.0, 9500.0), 4)
    noise = noise + 0.8 * filt(rng.standard_normal(len(t)), "bandpass", (6200.0, 7800.0), 2)
    env = np.clip(t / 0.012, 0.0, 1.0) * np.clip((t[-1] - t) / 0.030, 0.0, 1.0)
    out = noise * env
    return np.asarray(out / np.sqrt(np.mean(noise**2)), dtype=np.float32)


# --------------------------------------------------------------------------------------
# Bus processing.
# --------------------------------------------------------------------------------------


def reverb_ir(rng: np.random.Generator, rt60_s: float) -> Array:
    """Return a decorrelated stereo impulse response at ``SR / 4``.

    Exponentially decaying noise (60 dB in ``rt60_s``), different in each channel, with
    a 15 ms pre-delay and a high-frequency decay that darkens the tail.

    Parameters
    ----------
    rng : numpy.random.Generator
        Seeded generator.
    rt60_s : float
        Reverberation time in seconds.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, 2)``, float64, scaled to unit energy per channel.
    """
    rate = SR / _REVERB_DECIMATION
    n = int(rt60_s * rate)
    t = np.arange(n) / rate
    ir = rng.standard_normal((n, 2)) * np.exp(-6.91 * t / rt60_s)[:, None]
    b, a = signal.butter(1, 2500.0, fs=rate)
    ir = signal.lfilter(b, a, ir, axis=0)
    ir[: int(0.015 * rate)] = 0.0
    ir -= ir.mean(axis=0)
    return np.asarray(ir / np.sqrt(np.sum(ir**2, axis=0)), dtype=np.float64)


def reverb(send: Audio, ir: Array) -> tuple[Audio, Audio]:
    """Run a mono send through a stereo convolution reverb at a quarter of the rate.

    The reverb band is naturally dark (below about 5 kHz), so the send is decimated by 4,
    convolved by FFT, interpolated back and high-passed at 200 Hz: the return stays clear
    of the low end (it must not smear the mono bass) and of the sibilance band.

    Parameters
    ----------
    send : numpy.ndarray
        Mono send bus (float32).
    ir : numpy.ndarray
        Stereo impulse response from :func:`reverb_ir`.

    Returns
    -------
    tuple of numpy.ndarray
        Left and right returns, the same length as ``send``.
    """
    n = len(send)
    low = signal.resample_poly(send, 1, _REVERB_DECIMATION).astype(np.float32)
    wet = np.stack(
        [signal.oaconvolve(low, ir[:, ch].astype(np.float32))[: len(low)] for ch in range(2)],
        axis=1,
    )
    up = signal.resample_poly(wet, _REVERB_DECIMATION, 1, axis=0)[:n]
    hp = sos("highpass", 200.0, 2).astype(np.float32)
    left = np.asarray(signal.sosfilt(hp, up[:, 0]), dtype=np.float32)
    right = np.asarray(signal.sosfilt(hp, up[:, 1]), dtype=np.float32)
    if len(left) < n:  # pragma: no cover - resample_poly returns ceil(n / 4) * 4 >= n
        left = np.pad(left, (0, n - len(left)))
        right = np.pad(right, (0, n - len(right)))
    return left, right


def limit(left: Audio, right: Audio, ceiling: float, *, block: int = 128,
          hold_blocks: int = 8, release_db_per_s: float = 25.0) -> float:
    """Apply a stereo-linked look-ahead peak limiter in place.

    The gain needed per block of ``block`` samples is held over ``hold_blocks + 1`` blocks
    either side (a minimum filter), smoothed by a centred moving average of
    ``2 * hold_blocks + 1`` blocks, allowed to rise at most ``release_db_per_s`` and
    interpolated linearly between block edges. Every step can only lower the gain below
    what each block needs, so no sample exceeds ``ceiling``.

    Parameters
    ----------
    left, right : numpy.ndarray
        Channels (float32), modified in place.
    ceiling : float
        Largest allowed absolute sample value.
    block : int
        Block length in samples.
    hold_blocks : int
        Look-ahead and hold in blocks.
    release_db_per_s : float
        Largest rate at which the gain recovers.

    Returns
    -------
    float
        The largest gain reduction applied, in dB (positive).
    """
    n = len(left)
    if n == 0:
        return 0.0
    count = -(-n // block)
    peak = np.zeros(count * block, dtype=np.float32)
    np.maximum(np.abs(left), np.abs(right), out=peak[:n])
    block_peak = peak.reshape(count, block).max(axis=1).astype(np.float64)
    need = np.minimum(1.0, ceiling / np.maximum(block_peak, 1e-12))
    held = ndimage.minimum_filter1d(need, 2 * hold_blocks + 3, mode="nearest")
    smooth = ndimage.uniform_filter1d(held, 2 * hold_blocks + 1, mode="nearest")
    gain_db = 20.0 * np.log10(np.maximum(smooth, 1e-9))
    step = release_db_per_s * block / SR
    ramp = step * np.arange(count)
    gain_db = np.minimum(gain_db, np.minimum.accumulate(gain_db - ramp) + ramp)
    gains = 10.0 ** (gain_db / 20.0)
    edges = np.empty(count + 1)
    edges[0] = gains[0]
    edges[-1] = gains[-1]
    edges[1:-1] = np.minimum(gains[:-1], gains[1:])
    frac = np.arange(block, dtype=np.float64) / block
    curve = (edges[:-1, None] + (edges[1:] - edges[:-1])[:, None] * frac[None, :]).ravel()[:n]
    curve32 = curve.astype(np.float32)
    # Cast rounding could lift a gain by one float32 ulp; keep the ceiling strict.
    curve32 *= np.float32(1.0 - 1e-6)
    left *= curve32
    right *= curve32
    return float(-gain_db.min())


def _k_weighting() -> Array:
    """K-weighting of ITU-R BS.1770: RBJ high shelf (+4 dB, 1.5 kHz) and RLB high-pass."""
    stages = []
    for kind, gain_db, q, fc in (("shelf", 4.0, 1.0 / np.sqrt(2.0), 1500.0),
                                 ("hp", 0.0, 0.5, 38.0)):
        a_ = 10.0 ** (gain_db / 40.0)
        w0 = 2.0 * np.pi * fc / SR
        alpha = np.sin(w0) / (2.0 * q)
        cw = np.cos(w0)
        if kind == "shelf":
            b = [a_ * ((a_ + 1) + (a_ - 1) * cw + 2 * np.sqrt(a_) * alpha),
                 -2 * a_ * ((a_ - 1) + (a_ + 1) * cw),
                 a_ * ((a_ + 1) + (a_ - 1) * cw - 2 * np.sqrt(a_) * alpha)]
            a = [(a_ + 1) - (a_ - 1) * cw + 2 * np.sqrt(a_) * alpha,
                 2 * ((a_ - 1) - (a_ + 1) * cw),
                 (a_ + 1) - (a_ - 1) * cw - 2 * np.sqrt(a_) * alpha]
        else:
            b = [(1 + cw) / 2, -(1 + cw), (1 + cw) / 2]
            a = [1 + alpha, -2 * cw, 1 - alpha]
        stages.append(np.concatenate([np.array(b) / a[0], np.array(a) / a[0]]))
    return np.array(stages)


def block_loudness(left: Audio, right: Audio, window_s: float = 0.4,
                   hop_s: float = 0.1) -> Array:
    """Return the loudness (LUFS) of overlapping blocks, BS.1770 K-weighted.

    Parameters
    ----------
    left, right : numpy.ndarray
        Channels.
    window_s : float
        Block length: 0.4 s for momentary/gating blocks, 3 s for short-term.
    hop_s : float
        Step between blocks (0.1 s: 75 % overlap for 400 ms gating blocks).

    Returns
    -------
    numpy.ndarray
        Loudness per block; ``-inf`` for digital silence.
    """
    k = _k_weighting().astype(np.float32)
    hop = int(round(hop_s * SR))
    per_window = int(round(window_s / hop_s))
    count = len(left) // hop
    if count < per_window:
        return np.array([], dtype=np.float64)
    energy = np.zeros(count, dtype=np.float64)
    for ch in (left, right):
        weighted = signal.sosfilt(k, ch[: count * hop])
        energy += (weighted.astype(np.float64) ** 2).reshape(count, hop).sum(axis=1)
    sums = np.convolve(energy, np.ones(per_window), mode="valid")
    mean_square = sums / (per_window * hop)
    with np.errstate(divide="ignore"):
        return np.asarray(-0.691 + 10.0 * np.log10(mean_square))


def integrated_loudness(left: Audio, right: Audio) -> float:
    """Return the gated integrated loudness (BS.1770-4) of a stereo signal in LUFS.

    400 ms blocks with 75 % overlap, absolute gate -70 LUFS, relative gate -10 LU.
    Used to calibrate the demo masters; the project's own meter lives in
    ``sequencer.analysis``.

    Parameters
    ----------
    left, right : numpy.ndarray
        Channels.

    Returns
    -------
    float
        Integrated loudness, ``-inf`` when every block is below the absolute gate.
    """
    blocks = block_loudness(left, right)
    blocks = blocks[blocks > -70.0]
    if blocks.size == 0:
        return float("-inf")
    power = 10.0 ** ((blocks + 0.691) / 10.0)
    relative = -0.691 + 10.0 * np.log10(power.mean()) - 10.0
    gated = power[blocks > relative]
    return float(-0.691 + 10.0 * np.log10(gated.mean()))
