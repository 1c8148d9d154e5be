"""The modelhub: registry, models, data sets, trainer and benchmark harness (see issue "Modelhub").

Never imports streamlit; pages start its CLI as background jobs.
"""
