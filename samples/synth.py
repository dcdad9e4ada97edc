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
REVERB_DECIMATION = 4
"""The reverb runs at ``SR / REVERB_DECIMATION``."""


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
def sos(
    kind: Literal["lowpass", "highpass", "bandpass"],
    freq: float | tuple[float, float],
    order: int = 2,
) -> Array:
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


def filt(
    x: Array | Audio,
    kind: Literal["lowpass", "highpass", "bandpass"],
    freq: float | tuple[float, float],
    order: int = 2,
) -> Audio:
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
        sign = np.where(((k - 1) // 2) % 2 == 0, 1.0, -1.0)
        amps = np.where(k % 2 == 1, sign / k**2, 0.0)
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
    pos = cycles * _TABLE_SIZE
    index = pos.astype(np.int64)
    frac = pos - index
    index &= _TABLE_SIZE - 1
    slope = np.diff(table)
    return np.asarray(table[index] + frac * slope[index])


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


def envelope(
    n: int, gate: int, attack_s: float, decay_s: float, sustain: float, release_s: float
) -> Array:
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


def render_note(
    timbre: Timbre, note: float, gate: int, *, variant: int = 0, breath_noise: Audio | None = None
) -> Audio:
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
    cents: Array | float = 0.0
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
    ramp = np.arange(n, dtype=np.float64) / SR
    for i, detune in enumerate(detunes):
        if timbre.vibrato_cents:
            freq = f0 * 2.0 ** ((cents + detune * spread) / 1200.0)
            cycles = np.cumsum(freq) / SR + (phase0 + 0.21 * i)
        else:
            cycles = ramp * (f0 * 2.0 ** (detune * spread / 1200.0)) + (phase0 + 0.21 * i)
        body += _read_table(dark_table, cycles)
        if bright_table is not None:
            bright += _read_table(bright_table, cycles)
    body /= len(detunes)
    if bright_table is not None:
        bright /= len(detunes)
        blend = np.exp(-t / max(timbre.decay_s * 0.6, 1e-3))
        body = body * (1.0 - blend) + bright * blend
    if timbre.bell_level:
        body += (
            timbre.bell_level
            * np.sin(2 * np.pi * f0 * timbre.bell_ratio * t)
            * np.exp(-t / timbre.bell_decay_s)
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


def kick(
    rng: np.random.Generator,
    *,
    start_hz: float = 150.0,
    end_hz: float = 48.0,
    decay_s: float = 0.35,
    click: float = 0.3,
) -> Audio:
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


def snare(
    rng: np.random.Generator,
    *,
    tone_hz: float = 190.0,
    decay_s: float = 0.16,
    noise_lp_hz: float = 8000.0,
) -> Audio:
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
    rate = SR / REVERB_DECIMATION
    n = int(rt60_s * rate)
    t = np.arange(n) / rate
    ir = rng.standard_normal((n, 2)) * np.exp(-6.91 * t / rt60_s)[:, None]
    b, a = signal.butter(1, 2500.0, fs=rate)
    ir = signal.lfilter(b, a, ir, axis=0)
    ir[: int(0.015 * rate)] = 0.0
    ir -= ir.mean(axis=0)
    return np.asarray(ir / np.sqrt(np.sum(ir**2, axis=0)), dtype=np.float64)


CHUNK = 1 << 16
"""Samples per chunk for streaming passes over a track (keeps temporaries small)."""


@lru_cache(maxsize=1)
def _resampling_taps() -> Array:
    """Low-pass FIR (33 taps) at 4.5 kHz for the 4x decimation and interpolation."""
    return np.asarray(signal.firwin(33, 4500.0, fs=SR, window=("kaiser", 6.0)), dtype=np.float64)


def decimate(x: Audio) -> Audio:
    """Return a sound at the reverb rate ``SR / 4`` (low-passed at 4.5 kHz).

    Parameters
    ----------
    x : numpy.ndarray
        Mono sound at :data:`SR`.

    Returns
    -------
    numpy.ndarray
        ``ceil(len(x) / 4)`` samples, float32; sample ``k`` is the sound at ``4 k``.
    """
    taps = _resampling_taps()
    delay = (len(taps) - 1) // 2
    lead = -delay % REVERB_DECIMATION
    padded = np.concatenate([np.zeros(lead, dtype=x.dtype), x, np.zeros(len(taps), dtype=x.dtype)])
    low = signal.upfirdn(taps, padded, down=REVERB_DECIMATION)
    skip = (delay + lead) // REVERB_DECIMATION
    return np.asarray(low[skip : skip + -(-len(x) // REVERB_DECIMATION)], dtype=np.float32)


def interpolate_add(out: Audio, low: Audio, gain: float) -> None:
    """Add ``gain`` times a signal at ``SR / 4``, interpolated to :data:`SR`, into ``out``.

    Works in chunks so that no full-length temporary is made.

    Parameters
    ----------
    out : numpy.ndarray
        Full-rate channel, modified in place.
    low : numpy.ndarray
        Signal at a quarter of the rate (sample ``k`` belongs at ``4 k``).
    gain : float
        Gain applied to the interpolated signal.
    """
    taps = _resampling_taps() * (REVERB_DECIMATION * gain)
    delay = (len(taps) - 1) // 2
    r = REVERB_DECIMATION
    n = len(out)
    for a in range(0, n, CHUNK):
        b = min(n, a + CHUNK)
        k0 = max(0, (a + delay - len(taps)) // r)
        k1 = min(len(low), (b + delay) // r + 1)
        if k0 >= k1:
            continue
        seg = signal.upfirdn(taps, low[k0:k1], up=r)
        lo = a + delay - r * k0
        part = seg[lo : lo + (b - a)]
        out[a : a + len(part)] += part.astype(np.float32)


def reverb_add(left: Audio, right: Audio, send_low: Audio, ir: Array, gain: float) -> None:
    """Add a stereo convolution reverb of a mono send (at ``SR / 4``) into two channels.

    The reverb band is naturally dark (below about 4.5 kHz), so the send bus is kept at a
    quarter of the rate, convolved by FFT, high-passed at 200 Hz and interpolated back to
    :data:`SR`: the return stays clear of the low end (it must not smear the mono bass)
    and of the sibilance band.

    Parameters
    ----------
    left, right : numpy.ndarray
        Full-rate channels, modified in place.
    send_low : numpy.ndarray
        Mono send bus at ``SR / 4`` (float32).
    ir : numpy.ndarray
        Stereo impulse response from :func:`reverb_ir`.
    gain : float
        Return level.
    """
    rate = SR / REVERB_DECIMATION
    hp = np.asarray(
        signal.butter(2, 200.0, btype="highpass", fs=rate, output="sos"), dtype=np.float32
    )
    for ch, out in enumerate((left, right)):
        wet = signal.oaconvolve(send_low, ir[:, ch].astype(np.float32))[: len(send_low)]
        wet = np.asarray(signal.sosfilt(hp, wet), dtype=np.float32)
        interpolate_add(out, wet, gain)


def sosfilt_inplace(coeffs: Array, x: Audio) -> None:
    """Filter a long channel in place, chunk by chunk, carrying the filter state.

    Parameters
    ----------
    coeffs : numpy.ndarray
        Second-order sections.
    x : numpy.ndarray
        Channel (float32), replaced by the filtered signal.
    """
    zi = np.zeros((len(coeffs), 2), dtype=np.float64)
    for a in range(0, len(x), CHUNK):
        y, zi = signal.sosfilt(coeffs, x[a : a + CHUNK], zi=zi)
        x[a : a + CHUNK] = y


LIMITER_BLOCK = 128
"""Block length of the limiter's gain computer in samples."""


def block_peaks(left: Audio, right: Audio, block: int = LIMITER_BLOCK) -> Array:
    """Return the largest absolute sample of both channels in each block.

    Parameters
    ----------
    left, right : numpy.ndarray
        Channels.
    block : int
        Block length in samples (must divide :data:`CHUNK`; the last block is padded
        with zeros).

    Returns
    -------
    numpy.ndarray
        One peak per block.
    """
    n = len(left)
    count = -(-n // block)
    peaks = np.zeros(count, dtype=np.float64)
    buf = np.zeros(CHUNK, dtype=np.float32)
    other = np.empty(CHUNK, dtype=np.float32)
    for a in range(0, n, CHUNK):
        m = min(CHUNK, n - a)
        np.abs(left[a : a + m], out=buf[:m])
        np.abs(right[a : a + m], out=other[:m])
        np.maximum(buf[:m], other[:m], out=buf[:m])
        buf[m:] = 0.0
        blocks = -(-m // block)
        peaks[a // block : a // block + blocks] = (
            buf[: blocks * block].reshape(blocks, block).max(axis=1)
        )
    return peaks


def limiter_edges(
    peaks: Array,
    ceiling: float,
    *,
    hold_blocks: int = 8,
    release_db_per_s: float = 25.0,
    block: int = LIMITER_BLOCK,
) -> Array:
    """Return the gain of a look-ahead peak limiter at every block edge.

    The gain needed per block is held over ``hold_blocks + 1`` blocks either side (a
    minimum filter), smoothed by a centred moving average of ``2 * hold_blocks + 1``
    blocks and allowed to rise at most ``release_db_per_s``. The gain at an edge is the
    smaller of the two blocks it joins, and the gain is linear between edges, so every
    step only lowers the gain below what each block needs: no sample exceeds
    ``ceiling``.

    Parameters
    ----------
    peaks : numpy.ndarray
        Block peaks (:func:`block_peaks`), already scaled by any make-up gain.
    ceiling : float
        Largest allowed absolute sample value.
    hold_blocks : int
        Look-ahead and hold in blocks.
    release_db_per_s : float
        Largest rate at which the gain recovers.
    block : int
        Block length in samples.

    Returns
    -------
    numpy.ndarray
        ``len(peaks) + 1`` linear gains.
    """
    need = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-12))
    held = ndimage.minimum_filter1d(need, 2 * hold_blocks + 3, mode="nearest")
    smooth = ndimage.uniform_filter1d(held, 2 * hold_blocks + 1, mode="nearest")
    gain_db = 20.0 * np.log10(np.maximum(smooth, 1e-9))
    ramp = release_db_per_s * block / SR * np.arange(len(peaks))
    gain_db = np.minimum(gain_db, np.minimum.accumulate(gain_db - ramp) + ramp)
    gains = 10.0 ** (gain_db / 20.0) * (1.0 - 1e-6)  # margin for float32 rounding
    edges = np.empty(len(gains) + 1)
    edges[0] = gains[0]
    edges[-1] = gains[-1]
    edges[1:-1] = np.minimum(gains[:-1], gains[1:])
    return edges


def apply_edges(
    left: Audio, right: Audio, edges: Array, gain: float = 1.0, block: int = LIMITER_BLOCK
) -> None:
    """Multiply both channels in place by ``gain`` times the limiter curve.

    Parameters
    ----------
    left, right : numpy.ndarray
        Channels (float32), modified in place.
    edges : numpy.ndarray
        Gains at block edges from :func:`limiter_edges`.
    gain : float
        Make-up gain applied with the curve.
    block : int
        Block length in samples (must divide :data:`CHUNK`).
    """
    n = len(left)
    frac = np.arange(block, dtype=np.float64) / block
    per_chunk = CHUNK // block
    for j in range(0, len(edges) - 1, per_chunk):
        e = edges[j : j + per_chunk + 1] * gain
        curve = (e[:-1, None] + (e[1:] - e[:-1])[:, None] * frac[None, :]).ravel()
        a = j * block
        count = min(len(curve), n - a)
        curve32 = curve[:count].astype(np.float32)
        left[a : a + count] *= curve32
        right[a : a + count] *= curve32


def edge_power(edges: Array) -> Array:
    """Mean square of a gain ramping linearly between edges, per block."""
    a, b = edges[:-1], edges[1:]
    return np.asarray((a * a + a * b + b * b) / 3.0)


@lru_cache(maxsize=1)
def _k_weighting() -> Array:
    """K-weighting of ITU-R BS.1770: RBJ high shelf (+4 dB, 1.5 kHz) and RLB high-pass."""
    stages = []
    for kind, gain_db, q, fc in (
        ("shelf", 4.0, 1.0 / np.sqrt(2.0), 1500.0),
        ("hp", 0.0, 0.5, 38.0),
    ):
        a_ = 10.0 ** (gain_db / 40.0)
        w0 = 2.0 * np.pi * fc / SR
        alpha = np.sin(w0) / (2.0 * q)
        cw = np.cos(w0)
        if kind == "shelf":
            b = [
                a_ * ((a_ + 1) + (a_ - 1) * cw + 2 * np.sqrt(a_) * alpha),
                -2 * a_ * ((a_ - 1) + (a_ + 1) * cw),
                a_ * ((a_ + 1) + (a_ - 1) * cw - 2 * np.sqrt(a_) * alpha),
            ]
            a = [
                (a_ + 1) - (a_ - 1) * cw + 2 * np.sqrt(a_) * alpha,
                2 * ((a_ - 1) - (a_ + 1) * cw),
                (a_ + 1) - (a_ - 1) * cw - 2 * np.sqrt(a_) * alpha,
            ]
        else:
            b = [(1 + cw) / 2, -(1 + cw), (1 + cw) / 2]
            a = [1 + alpha, -2 * cw, 1 - alpha]
        stages.append(np.concatenate([np.array(b) / a[0], np.array(a) / a[0]]))
    return np.array(stages)


def block_energy(left: Audio, right: Audio, block: int = LIMITER_BLOCK) -> Array:
    """Return the K-weighted energy of both channels summed per block of samples.

    Parameters
    ----------
    left, right : numpy.ndarray
        Channels.
    block : int
        Block length in samples (must divide :data:`CHUNK`; the last block is padded
        with zeros).

    Returns
    -------
    numpy.ndarray
        Sum of squares per block.
    """
    count = -(-len(left) // block)
    energy = np.zeros(count, dtype=np.float64)
    k = _k_weighting()
    for ch in (left, right):
        zi = np.zeros((len(k), 2), dtype=np.float64)
        for a in range(0, len(ch), CHUNK):
            y, zi = signal.sosfilt(k, ch[a : a + CHUNK], zi=zi)
            squares = np.zeros(-(-len(y) // block) * block, dtype=np.float64)
            squares[: len(y)] = y
            squares *= squares
            sums = squares.reshape(-1, block).sum(axis=1)
            energy[a // block : a // block + len(sums)] += sums
    return energy


def gated_loudness(energy: Array, block: int = LIMITER_BLOCK) -> float:
    """Integrated loudness (BS.1770-4 gating) from per-block K-weighted energies.

    Gating blocks are the whole number of ``block``-sample blocks closest to 400 ms,
    stepped by the closest to 100 ms, so the result is within a few hundredths of a LU of
    the standard measurement: good enough to calibrate a master, not a meter.

    Parameters
    ----------
    energy : numpy.ndarray
        Output of :func:`block_energy`, possibly scaled by gains.
    block : int
        Block length the energies were summed over.

    Returns
    -------
    float
        Loudness in LUFS, ``-inf`` when everything is below the absolute gate.
    """
    window = round(0.4 * SR / block)
    hop = round(0.1 * SR / block)
    if len(energy) < window:
        return float("-inf")
    sums = np.convolve(energy, np.ones(window), mode="valid")[::hop]
    power = sums / (window * block)
    with np.errstate(divide="ignore"):
        loudness = -0.691 + 10.0 * np.log10(power)
    power = power[loudness > -70.0]  # absolute gate
    if power.size == 0:
        return float("-inf")
    relative = -0.691 + 10.0 * np.log10(power.mean()) - 10.0  # relative gate, -10 LU
    gated = power[-0.691 + 10.0 * np.log10(power) > relative]
    return float(-0.691 + 10.0 * np.log10(gated.mean()))


def integrated_loudness(left: Audio, right: Audio) -> float:
    """Return the gated integrated loudness (BS.1770-4) of a stereo signal in LUFS.

    Computed with :func:`gated_loudness` on 128-sample blocks; used to calibrate the
    demo masters (the project's own meter lives in the ``sequencer`` package).

    Parameters
    ----------
    left, right : numpy.ndarray
        Channels.

    Returns
    -------
    float
        Integrated loudness, ``-inf`` when every block is below the absolute gate.
    """
    return gated_loudness(block_energy(left, right))
