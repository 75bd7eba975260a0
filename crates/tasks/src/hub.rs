//! Hugging Face hub datasets (filled in by the hub-datasets work).
