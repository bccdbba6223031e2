//! Renderers: pure functions from API responses to table, wide and JSON text.
