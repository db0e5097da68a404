"""Corridor Atlas: the Streamlit app.

``streamlit run streamlit_app.py`` serves it: the server imports this module for its ``app``, which
adds the atlas's own routes (the page data its map fetches), cache headers for the map's hashed
files and a warm start to Streamlit's server (:mod:`app.server`), then runs this script as
``__main__`` on every rerun. The page lives in the ``app`` package, so its functions, cache
decorators and records are made once per server process, not on every run. A plain link's first
run is drawn from the opening kept on disk (:mod:`app.opening`), which needs no geodata library.
"""

import streamlit as st

if __name__ == "__main__":
    from app.opening import opened

    if not opened():  # a plain link's first run is shown from the opening kept on disk (see app.opening)
        from app.main import main

        main()
else:
    from app.server import lifespan, middleware, routes

    app = st.App(__file__, routes=routes(), lifespan=lifespan, middleware=middleware())
