// Pure logic of the ticket page (no DOM), covered by node --test frontend/test/.

/** Conversation entries in time order: the description, messages, and notes when the reader is staff. Pure. */
export function conversationEntries(ticket, staff) {
  const entries = [];
  entries.push({
    author: ticket.requester, kind: 'opened', body: ticket.description || '', at: ticket.created_at, staff: false, internal: false, order: 0,
  });
  (ticket.messages || []).forEach((m, i) => entries.push({ ...m, internal: false, order: 1 + i }));
  if (staff) (ticket.notes || []).forEach((m, i) => entries.push({ ...m, internal: true, order: 100000 + i }));
  const time = (e) => {
    const t = Date.parse(e.at);
    return Number.isNaN(t) ? 0 : t;
  };
  return entries.sort((a, b) => (a.order === 0 ? -1 : b.order === 0 ? 1 : time(a) - time(b) || a.order - b.order));
}
