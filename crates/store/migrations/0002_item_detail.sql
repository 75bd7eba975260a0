-- Generative and weighted results (core::ItemResult): JSON object with `weights` (array of
-- [name, value]), `generations` (strings), `filtered` (array of [filter, answer]) and
-- `references` (strings). NULL for multiple-choice items, which have none of these.
ALTER TABLE items ADD COLUMN detail TEXT;
