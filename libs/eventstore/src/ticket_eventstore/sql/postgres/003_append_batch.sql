-- A batch of appends in one statement. The append lock is held only while the server runs this function,
-- never across a round trip to the client, so a client that freezes (SIGSTOP, a paused VM) cannot hold it; the
-- implicit transaction of the calling statement commits as soon as the function returns.
--
-- Each append is judged alone and in order, as ticket_eventstore.group_commit.admit specifies (the tests hold the
-- two together): a key already recorded, or taken by an earlier append of the batch, gives 'key_taken'; a stream
-- no longer at the expected version gives 'conflict'; otherwise 'ok', and the append moves its stream on and takes
-- its key. Appends are described by parallel arrays (a_*), their events by parallel arrays (e_*), a_count events
-- per append in order. Returns one verdict per append and the positions of the admitted events, in order.
CREATE FUNCTION append_batch(
    a_stream text[], a_expected int[], a_count int[],
    a_actor text[], a_key text[], a_hash text[], a_status int[], a_body json[],
    e_id uuid[], e_stream text[], e_version int[], e_type text[], e_data jsonb[], e_metadata jsonb[],
    e_at timestamptz[], channel text,
    OUT verdicts text[], OUT positions bigint[]
) LANGUAGE plpgsql AS $$
DECLARE
    versions jsonb;
    taken jsonb;
    wanted_key jsonb;
    admitted int[] := '{}';
    admitted_events int[] := '{}';
    first_event int := 1;
BEGIN
    PERFORM pg_advisory_xact_lock(1592590338);  -- APPEND_LOCK in postgres.py
    -- Each statement below takes its snapshot after the lock was granted: it sees every earlier append.
    SELECT coalesce(jsonb_object_agg(stream_id, version), '{}') INTO versions
      FROM (SELECT stream_id, max(version) AS version FROM events
             WHERE stream_id = ANY(a_stream) GROUP BY stream_id) current;
    SELECT coalesce(jsonb_agg(jsonb_build_array(k.actor, k.key)), '[]') INTO taken
      FROM idempotency_keys k JOIN unnest(a_actor, a_key) AS wanted(actor, key) USING (actor, key);
    verdicts := '{}';
    FOR i IN 1 .. coalesce(array_length(a_stream, 1), 0) LOOP
        wanted_key := CASE WHEN a_key[i] IS NULL THEN NULL
                           ELSE jsonb_build_array(jsonb_build_array(a_actor[i], a_key[i])) END;
        IF wanted_key IS NOT NULL AND taken @> wanted_key THEN
            verdicts := verdicts || 'key_taken'::text;
        ELSIF coalesce((versions ->> a_stream[i])::int, 0) <> a_expected[i] THEN
            verdicts := verdicts || 'conflict'::text;
        ELSE
            verdicts := verdicts || 'ok'::text;
            versions := versions || jsonb_build_object(a_stream[i], a_expected[i] + a_count[i]);
            IF wanted_key IS NOT NULL THEN
                taken := taken || wanted_key;
            END IF;
            admitted := admitted || i;
            admitted_events := admitted_events
                || ARRAY(SELECT generate_series(first_event, first_event + a_count[i] - 1));
        END IF;
        first_event := first_event + a_count[i];
    END LOOP;
    IF cardinality(admitted) = 0 THEN
        positions := '{}';
        RETURN;
    END IF;
    INSERT INTO idempotency_keys (actor, key, request_hash, status_code, body)
    SELECT a_actor[n], a_key[n], a_hash[n], a_status[n], a_body[n]
      FROM unnest(admitted) AS chosen(n) WHERE a_key[n] IS NOT NULL;
    -- Positions are drawn in the order of the events (nextval runs after the sort).
    WITH inserted AS (
        INSERT INTO events (position, event_id, stream_id, version, type, data, metadata, occurred_at)
        SELECT nextval('events_position_seq'), e_id[j], e_stream[j], e_version[j], e_type[j], e_data[j],
               e_metadata[j], e_at[j]
          FROM unnest(admitted_events) WITH ORDINALITY AS chosen(j, k)
         ORDER BY k
        RETURNING position
    )
    SELECT array_agg(position ORDER BY position) INTO positions FROM inserted;
    PERFORM pg_notify(channel, positions[cardinality(positions)]::text);
END;
$$;
