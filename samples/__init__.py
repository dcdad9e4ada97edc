"""The runout demo album: ten synthesized tracks with faults planted at known times.

See ``samples/README.md`` for the track list and the planted-faults table.
"""

from samples.demo_album import (
    ALBUM_ARTIST,
    ALBUM_TITLE,
    DEMO_TRACKS,
    PLANTED_FAULTS,
    DemoTrack,
    PlantedFault,
    faults_for,
    generate_demo_album,
    render_track,
    track,
)

__all__ = [
    "ALBUM_ARTIST",
    "ALBUM_TITLE",
    "DEMO_TRACKS",
    "PLANTED_FAULTS",
    "DemoTrack",
    "PlantedFault",
    "faults_for",
    "generate_demo_album",
    "render_track",
    "track",
]
