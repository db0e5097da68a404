"""Map layers for Corridor Atlas: the layer catalog and its rendering into Folium maps (no Streamlit)."""
