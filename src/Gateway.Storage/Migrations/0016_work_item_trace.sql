-- The W3C trace context of the step that created a work item, so the push to the province system and its answer
-- continue the transfer's trace (docs/operations.md). Nullable and without a default: adding it rewrites nothing.
ALTER TABLE work_items ADD COLUMN trace_parent text;
