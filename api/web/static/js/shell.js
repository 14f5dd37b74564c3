// Shared page chrome: logout, and the inbox's unread count in the navigation of every page.
import { api } from "./api.js";
import { can } from "./ui.js";

document.getElementById("logout")?.addEventListener("click", async () => {
  try { await api("/api/auth/logout", { method: "POST" }); } catch { /* already signed out */ }
  location.assign("/login");
});

export async function refreshInboxCount() {
  const badge = document.getElementById("inbox-count");
  if (!badge || !can("workflow:read")) return;
  try {
    const s = await api("/api/inbox/summary");
    badge.textContent = s.unread > 99 ? "99+" : String(s.unread);
    badge.hidden = !s.unread;
    badge.title = `${s.unread} 条未读`;
    badge.setAttribute("aria-label", `${s.unread} 条未读`);
  } catch {
    badge.hidden = true;  // the count is a hint: the page works without it
  }
}

refreshInboxCount();
document.addEventListener("inbox:changed", refreshInboxCount);
