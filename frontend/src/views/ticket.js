// The ticket page (#/ticket/<id>); its parts live in ../ticket/: header, conversation, actions, timeline, net.

export { renderTicket } from '../ticket/page.js';
