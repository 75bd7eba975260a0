//! lm-eval `filter_list` pipelines (filled in by the filters work).
