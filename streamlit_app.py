"""Corridor Atlas: the Streamlit app.

Streamlit runs this script again on every rerun; the page lives in the ``app`` package, so its
functions, cache decorators and records are made once per server process, not on every run.
"""

from app.main import main

main()
