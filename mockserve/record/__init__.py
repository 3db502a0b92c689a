"""Record a real API into an ordinary spec.

`recorder.py` listens to forwarded exchanges and saves them; `recording.py` is what it
keeps of one; `routes.py` turns recordings into spec routes (HAR imports use it too).
The modules are imported by name: the routes they write sit below the app, the recorder
above it.
"""
