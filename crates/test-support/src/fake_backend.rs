//! A deterministic fake backend (filled in below).
