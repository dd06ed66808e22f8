"""The citizen portal: file, track, answer and rate; the public list, statistics and open data.

Public URLs are Indonesian (``/adukan``, ``/lacak``, ``/pengaduan``, ``/statistik``, ``/cara-kerja``).
Every page works without JavaScript, loads no web fonts and nothing from another host, and stays
small for a cheap phone on a weak signal. Errors are answered as pages, not JSON.
"""

from flask import Blueprint

bp = Blueprint("public", __name__)

from web.public import errors, filing, howto, listing, stats, tracking  # noqa: E402,F401  (views attach to bp)
