// Whole small lists that screens need to turn ids into names (groups, users, inboxes and their
// topics) and the tenant's settings (tiers), each loaded once per screen (inboxes once per tab).
import { api } from "./api.js";
import { useLoad, allPages } from "./ui.js";

const MAX_PAGE = 200;

export function useGroups() {
  return useLoad(() => allPages((cursor) => api.get("/groups", { cursor, limit: MAX_PAGE })), []);
}

/** Every user, inactive ones too, so old audit entries and group members still get a name. */
export function useUsers() {
  return useLoad(
    () =>
      allPages((cursor) => api.get("/users", { cursor, limit: MAX_PAGE, include_inactive: true })),
    [],
  );
}

export function useTenant() {
  return useLoad(() => api.get("/tenant"), []);
}

/** id → name for a loaded list, with the id itself for anything unknown. */
export function namer(list, field = "name") {
  const names = new Map((list || []).map((x) => [x.id, x[field]]));
  return (id) => names.get(id) || id;
}

// Inboxes change rarely (an admin edits them); one load per tab serves every offer and transfer.
let inboxList = null;

/** The tenant's inboxes with their topics, loaded once per tab (again after a failure). */
export function inboxes() {
  inboxList ??= api.get("/inboxes").catch((err) => {
    inboxList = null;
    throw err;
  });
  return inboxList;
}

/** Drops the per-tab lists (on sign-out: the next user may be in another tenant). */
export function forgetLookups() {
  inboxList = null;
}

/** A topic's label in its inbox ("售前咨询 Pre-sales"), or the key itself if unknown. */
export function topicLabel(list, inboxId, key) {
  const inbox = (list || []).find((b) => b.id === inboxId);
  return inbox?.settings?.topics?.find((tp) => tp.key === key)?.label || key;
}
