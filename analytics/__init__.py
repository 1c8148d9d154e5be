"""Pure, streamlit-free domain logic: burn and runway, risk scoring, and (later) cost and revenue."""
