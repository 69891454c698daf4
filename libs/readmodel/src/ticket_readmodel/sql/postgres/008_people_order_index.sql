-- The staff directory in pages (GET /api/people?cursor=): ordered by id in code point order (COLLATE "C", the
-- order SQLite's primary key keeps), which the primary key under the database's own collation cannot give. With
-- this index a page, the first or one after a cursor, reads its rows in order and stops at the limit, instead of
-- sorting the whole directory. The prefix filter (q=, on lower(id)) has its own index.
CREATE INDEX IF NOT EXISTS people_id_order_idx ON people (id COLLATE "C");
CREATE INDEX IF NOT EXISTS people_lower_id_prefix_idx ON people (lower(id) text_pattern_ops);
