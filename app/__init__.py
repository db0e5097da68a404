"""The Streamlit app: widgets, caching, session and URL state, layout.

Wiring only: the work is done in layers/ and geo/.
"""
