"""Record a real API into an ordinary spec: the recorder, and the routes it writes."""

from .recorder import Recorder, forwarded_headers, recording_spec, start_recording
from .recording import Recording, decode_body

__all__ = [
    "Recorder",
    "Recording",
    "decode_body",
    "forwarded_headers",
    "recording_spec",
    "start_recording",
]
