-- When a stream last handed the item to the province system; NULL while it never was. An item sent
-- and not answered within the node's redelivery timeout is sent again on any open stream.
ALTER TABLE work_items ADD COLUMN last_delivered_at timestamptz;

-- Pending items by due time (never delivered first, as -infinity), so a stream's poll reads only the
-- items it is about to send however many others wait for an answer.
CREATE INDEX work_items_pending_due
    ON work_items ((coalesce(last_delivered_at, '-infinity'::timestamptz)), created_at, item_id)
    WHERE status = 'pending';
