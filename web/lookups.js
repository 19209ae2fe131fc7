// Whole small lists that screens need to turn ids into names (groups, users) and the tenant's
// settings (tiers), each loaded once per screen.
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
