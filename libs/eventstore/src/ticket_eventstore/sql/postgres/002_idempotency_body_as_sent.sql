-- A retry gets the stored answer as it was sent. `jsonb` reorders object keys (the places of `state` would no
-- longer be in net order); `json` keeps the text.
ALTER TABLE idempotency_keys ALTER COLUMN body TYPE json USING body::json;
