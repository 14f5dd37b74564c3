// Shared page chrome: logout.
import { api } from "./api.js";

document.getElementById("logout")?.addEventListener("click", async () => {
  try { await api("/api/auth/logout", { method: "POST" }); } catch { /* already signed out */ }
  location.assign("/login");
});
