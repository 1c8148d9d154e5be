"""FounderDeck's database layer: engine factory, typed ORM models, repositories, migrations.

Never imports streamlit: pages own caching and the UI; this package owns the data.
"""
